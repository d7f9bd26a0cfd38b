"""Forms of the login page and the users pages (the services validate the values)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectChoice, SelectField

from archive.auth.models import ROLES

ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ROLES]


class LoginForm(FlaskForm):
    email = EmailField("Email address")
    password = PasswordField("Password")
    #: where to go after login; honoured only when it leads back into the archive
    next = HiddenField()


class LogoutForm(FlaskForm):
    """Just the CSRF token: logging out is a POST."""


class CreateUserForm(FlaskForm):
    email = EmailField("Email address")
    role = SelectField("Role", choices=ROLE_CHOICES, default="editor")
    password = PasswordField("Password", description="At least 12 characters.")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class PasswordResetForm(FlaskForm):
    password = PasswordField("New password", description="At least 12 characters.")


class ActionForm(FlaskForm):
    """A button that changes something (deactivate, create or revoke a token): CSRF only."""
