"""Access checks for staff pages: decorators that every staff blueprint uses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from flask import redirect, request, url_for
from flask_login import current_user

from archive.access import is_staff
from archive.auth.models import User
from archive.errors import Forbidden, Unauthorized

View = TypeVar("View", bound=Callable)


def current_staff() -> User:
    """The signed-in staff member; Unauthorized for anyone else."""
    if not current_user.is_authenticated:
        raise Unauthorized("Please log in.")
    user = current_user._get_current_object()
    if not is_staff(user):
        raise Forbidden("Your account may not use the staff pages.")
    return user


def _login_redirect():
    """To the login page, with `next` leading back here after login."""
    target = request.full_path if request.method == "GET" else request.path
    return redirect(url_for("auth.login", next=target.rstrip("?")))


def staff_required(view: View) -> View:
    """Anonymous → 302 to /login?next=…; signed in but not staff → 403."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _login_redirect()
        current_staff()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def admin_required(view: View) -> View:
    """Like staff_required, and the user must be an admin (403 for an editor)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return _login_redirect()
        if not current_staff().is_admin:
            raise Forbidden("Only administrators may use this page.")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
