"""Who is asking: a signed-in staff session or an API bearer token."""

from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError as WTFValidationError

from archive.auth.models import User
from archive.auth.services import user_for_token
from archive.errors import Forbidden, Unauthorized
from archive.extensions import db, login_manager


def init_login(app: Flask) -> None:
    """Flask-Login's user loader and login page, and the template helper `has_endpoint`."""
    login_manager.user_loader(_load_user)
    login_manager.login_view = "auth.login"
    app.jinja_env.globals.update(has_endpoint=has_endpoint)


def has_endpoint(endpoint: str) -> bool:
    """Whether the app has this endpoint, so templates can link to pages added later."""
    return endpoint in current_app.view_functions


def _load_user(session_id: str) -> User | None:
    """The user of a session cookie, if active and its nonce is still the user's current one."""
    user_id, _, nonce = session_id.partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    if user is None or not nonce or user.session_nonce != nonce or not user.is_active:
        return None
    return user


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use 'Authorization: Bearer <token>'.")
    return token


def current_viewer() -> User | None:
    """The user behind this request (token first, then session), or None for the public."""
    if "archive_viewer" not in g:
        token = _bearer_token()
        if token is not None:
            g.archive_viewer = user_for_token(token)
        elif current_user.is_authenticated:
            g.archive_viewer = current_user._get_current_object()
        else:
            g.archive_viewer = None
    return g.archive_viewer


def require_writer() -> User:
    """The user allowed to change things: a token, or a session that sent its CSRF token."""
    token = _bearer_token()
    if token is not None:
        user = user_for_token(token)
    elif current_user.is_authenticated:
        try:
            validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
        except (CSRFError, WTFValidationError) as exc:
            raise Forbidden(f"CSRF check failed: {exc}") from None
        user = current_user._get_current_object()
    else:
        raise Unauthorized("Authentication required: send 'Authorization: Bearer <token>'.")
    if user.role not in ("admin", "editor"):
        raise Forbidden("Your role may not change the archive.")
    return user
