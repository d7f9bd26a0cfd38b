"""Forms of the login page and the users pages (the services validate the values)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectChoice, SelectField

from archive.auth.models import ROLES

ROLE_CHOICES = [
    SelectChoice(role, label)
    for role, label in zip(ROLES, (_l("Admin"), _l("Editor")), strict=True)
]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email address"))
    password = PasswordField(_l("Password"))
    #: where to go after login; honoured only when it leads back into the archive
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Just the CSRF token: logging out is a POST."""


class CreateUserForm(FlaskForm):
    email = EmailField(_l("Email address"))
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="editor")
    password = PasswordField(_l("Password"), description=_l("At least 12 characters."))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password"), description=_l("At least 12 characters."))


class ActionForm(FlaskForm):
    """A button that changes something (deactivate, create or revoke a token): CSRF only."""
