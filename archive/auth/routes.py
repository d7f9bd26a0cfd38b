"""Logging in and out."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from archive.auth import services
from archive.auth.forms import LoginForm
from archive.auth.limits import login_attempt_allowed, seconds_until_retry
from archive.auth.redirects import safe_next_path
from archive.errors import Unauthorized

bp = Blueprint("auth", __name__)

#: where staff land after login when no (safe) `next` was given
DEFAULT_AFTER_LOGIN = "/staff/upload"


@bp.get("/login")
def login():
    form = LoginForm(next=safe_next_path(request.args.get("next")) or "")
    return render_template("auth/login.html", form=form)


@bp.post("/login")
def login_submit():
    """Check the password (attempts are limited), start a fresh session, go on to `next`."""
    form = LoginForm()
    email, address = form.email.data or "", request.remote_addr
    if not login_attempt_allowed(email, address):
        return _too_many_attempts(email, address)
    try:
        user = services.log_in(email, form.password.data or "")
    except Unauthorized as err:
        return render_template("auth/login.html", form=form, error=err.message)
    session.clear()  # no value chosen before login (session fixation) survives it
    login_user(user)
    next_path = safe_next_path(form.next.data) or safe_next_path(request.args.get("next"))
    return redirect(next_path or DEFAULT_AFTER_LOGIN)


def _too_many_attempts(email: str, address: str | None):
    current_app.logger.warning("Login attempts limited for %r from %s", email, address)
    retry_after = seconds_until_retry(email, address)
    page = render_template("auth/too_many_attempts.html", retry_after=retry_after)
    return page, 429, {"Retry-After": str(retry_after)}


@bp.post("/logout")
def logout():
    """End the session here and on the server: a copied cookie no longer works."""
    if current_user.is_authenticated:
        services.log_out(current_user._get_current_object())
    logout_user()
    session.clear()
    return redirect(url_for("meetings.home"))
