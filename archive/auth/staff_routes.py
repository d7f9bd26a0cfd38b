"""Staff accounts and their API tokens (admins only)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from archive.auth import services
from archive.auth.access import admin_required, current_staff
from archive.auth.forms import ActionForm, CreateUserForm, PasswordResetForm, RoleForm
from archive.auth.models import User
from archive.errors import ArchiveError
from archive.i18n import ROLE_LABELS

bp = Blueprint("staff_users", __name__, url_prefix="/staff")


def _users_page(form: CreateUserForm, *, error: str | None = None, status: int = 200):
    page = render_template("auth/users.html", users=services.list_users(), form=form, error=error)
    return page, status


@bp.get("/users")
@admin_required
def users():
    return _users_page(CreateUserForm())


@bp.post("/users")
@admin_required
def create_user():
    form = CreateUserForm()
    try:
        user = services.create_user(
            form.email.data or "",
            form.password.data or "",
            form.role.data or "",
            by=current_staff(),
        )
    except ArchiveError as err:
        return _users_page(form, error=err.message, status=err.status)
    role = str(ROLE_LABELS.get(user.role, user.role))
    flash(_("Created the %(role)s account %(email)s.", role=role, email=user.email), "success")
    return redirect(url_for(".user", user_id=user.id))


def _user_page(
    user: User, *, new_token: str | None = None, error: str | None = None, status: int = 200
):
    page = render_template(
        "auth/user.html",
        user=user,
        tokens=services.list_tokens(user),
        role_form=RoleForm(role=user.role),
        password_form=PasswordResetForm(),
        action_form=ActionForm(),
        new_token=new_token,
        error=error,
    )
    # a new token is on this page once: keep it out of every cache
    headers = {"Cache-Control": "no-store"} if new_token else {}
    return page, status, headers


@bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int):
    return _user_page(services.get_user(user_id))


def _change(user_id: int, change: Callable[[User], str]):
    """Apply one change to a user; flash what happened, or show the page with the refusal."""
    target = services.get_user(user_id)
    try:
        message = change(target)
    except ArchiveError as err:
        return _user_page(target, error=err.message, status=err.status)
    flash(message, "success")
    return redirect(url_for(".user", user_id=user_id))


@bp.post("/users/<int:user_id>/role")
@admin_required
def change_role(user_id: int):
    role = RoleForm().role.data or ""

    def change(target: User) -> str:
        services.change_role(target, role, by=current_staff())
        label = str(ROLE_LABELS.get(target.role, target.role))
        return _("The role of %(email)s is now %(role)s.", email=target.email, role=label)

    return _change(user_id, change)


@bp.post("/users/<int:user_id>/deactivate")
@admin_required
def deactivate(user_id: int):
    def change(target: User) -> str:
        services.deactivate_user(target, by=current_staff())
        return _("%(email)s is deactivated; their sessions have ended.", email=target.email)

    return _change(user_id, change)


@bp.post("/users/<int:user_id>/reactivate")
@admin_required
def reactivate(user_id: int):
    def change(target: User) -> str:
        services.reactivate_user(target, by=current_staff())
        return _("%(email)s may log in again.", email=target.email)

    return _change(user_id, change)


@bp.post("/users/<int:user_id>/password")
@admin_required
def reset_password(user_id: int):
    password = PasswordResetForm().password.data or ""

    def change(target: User) -> str:
        services.reset_password(target, password, by=current_staff())
        return _(
            "The password of %(email)s is changed; their sessions have ended.", email=target.email
        )

    return _change(user_id, change)


@bp.post("/users/<int:user_id>/tokens")
@admin_required
def create_token(user_id: int):
    """A new token, shown on the page this once (never stored in clear, never flashed)."""
    target = services.get_user(user_id)
    try:
        token = services.create_token(target.email, by=current_staff())
    except ArchiveError as err:
        return _user_page(target, error=err.message, status=err.status)
    return _user_page(target, new_token=token)


@bp.post("/users/<int:user_id>/tokens/<int:token_id>/revoke")
@admin_required
def revoke_token(user_id: int, token_id: int):
    def change(target: User) -> str:
        api_token = services.revoke_token(target, token_id, by=current_staff())
        return _("Token %(prefix)s… is revoked.", prefix=api_token.prefix)

    return _change(user_id, change)
