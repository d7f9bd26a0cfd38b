"""Staff accounts and API tokens: creation, login, changes and authentication.

The web pages, the JSON API and the CLI call these; each is one unit of work that writes its
audit event and commits.
"""

from __future__ import annotations

import functools
import hashlib
import secrets

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from archive import validation
from archive.audit.services import record
from archive.auth.models import ROLES, ApiToken, User, new_session_nonce
from archive.errors import Conflict, NotFound, Unauthorized, ValidationError
from archive.extensions import db
from archive.timeutil import utcnow

MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "ma_"
#: the one answer to every failed login, so that it tells nobody which accounts exist
LOGIN_FAILED_MESSAGE = "The email address or the password is not right."


def _normalise_email(email: str) -> str:
    value = validation.text(email, "email", required=True, max_length=254).lower()
    if "@" not in value or value.startswith("@") or value.endswith("@"):
        raise ValidationError("email must be an email address.", field="email")
    return value


def _check_new_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )


def create_user(email: str, password: str, role: str, *, by: User | None = None) -> User:
    """A new staff account with a hashed password."""
    email = _normalise_email(email)
    role = validation.choice(role, ROLES, "role")
    _check_new_password(password)
    if find_user(email) is not None:
        raise Conflict(f"A user with email {email} exists already.", field="email")
    user = User(email=email, role=role, password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.flush()
    record(by, "user.create", "user", user.id, email=email, role=role)
    db.session.commit()
    return user


def find_user(email: str) -> User | None:
    """The user with this email, if any."""
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def get_user(user_id: int) -> User:
    """The user with this id; NotFound otherwise."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def list_users() -> list[User]:
    """Every staff account, by email."""
    return list(db.session.scalars(select(User).order_by(User.email)))


def check_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


@functools.cache
def _decoy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def _password_matches(user: User | None, password: str) -> bool:
    """Check the password; for an unknown email hash anyway, so timing tells nothing."""
    if user is None:
        check_password_hash(_decoy_hash(), password)
        return False
    return check_password(user, password)


def _failed_login_reason(user: User | None, password_ok: bool) -> str | None:
    if user is None:
        return "unknown email"
    if not password_ok:
        return "wrong password"
    return None if user.is_active else "account deactivated"


def log_in(email: str, password: str) -> User:
    """The active user with this email and password; every attempt is audited.

    Raises Unauthorized with the same message whatever went wrong.
    """
    email_tried = (email or "").strip().lower()[:254]
    user = find_user(email_tried) if email_tried else None
    reason = _failed_login_reason(user, _password_matches(user, password or ""))
    if reason is not None:
        object_id = user.id if user else "-"
        record(
            None,
            "login.failed",
            "user",
            object_id,
            actor="anonymous",
            email=email_tried,
            reason=reason,
        )
        db.session.commit()
        raise Unauthorized(LOGIN_FAILED_MESSAGE)
    record(user, "login", "user", user.id)
    db.session.commit()
    return user


def _end_sessions(user: User) -> None:
    """Every session cookie issued to this user so far stops working."""
    user.session_nonce = new_session_nonce()


def log_out(user: User) -> None:
    """End every session of this user (server-side), audited."""
    _end_sessions(user)
    record(user, "logout", "user", user.id)
    db.session.commit()


def _active_admin_count() -> int:
    query = select(func.count(User.id)).where(User.role == "admin", User.active.is_(True))
    return db.session.scalar(query) or 0


def _keep_an_admin(user: User) -> None:
    """Refuse a change that would leave the archive without an active admin."""
    if user.is_admin and user.active and _active_admin_count() <= 1:
        raise Conflict("The archive needs at least one active admin.")


def change_role(user: User, role: str, *, by: User | None) -> User:
    """Make the user an admin or an editor."""
    role = validation.choice(role, ROLES, "role")
    if role == user.role:
        return user
    if role != "admin":
        _keep_an_admin(user)
    previous, user.role = user.role, role
    record(by, "user.update", "user", user.id, email=user.email, role=role, previous=previous)
    db.session.commit()
    return user


def deactivate_user(user: User, *, by: User | None) -> User:
    """The user can no longer log in or use tokens; open sessions end now."""
    if by is not None and by.id == user.id:
        raise Conflict("You cannot deactivate your own account.")
    if not user.active:
        return user
    _keep_an_admin(user)
    user.active = False
    _end_sessions(user)
    record(by, "user.deactivate", "user", user.id, email=user.email)
    db.session.commit()
    return user


def reactivate_user(user: User, *, by: User | None) -> User:
    """Let a deactivated user log in again (with a fresh login)."""
    if user.active:
        return user
    user.active = True
    record(by, "user.reactivate", "user", user.id, email=user.email)
    db.session.commit()
    return user


def reset_password(user: User, password: str, *, by: User | None) -> User:
    """Set a new password; every open session of the user ends."""
    _check_new_password(password)
    user.password_hash = generate_password_hash(password)
    _end_sessions(user)
    record(by, "user.password_reset", "user", user.id, email=user.email)
    db.session.commit()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(email: str, *, by: User | None = None) -> str:
    """A new API token for the user; returns the token, which is shown only once."""
    user = find_user(email)
    if user is None:
        raise NotFound(f"No user with email {email}.", field="email")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    api_token = ApiToken(user=user, token_hash=_token_hash(token), prefix=token[:10])
    db.session.add(api_token)
    db.session.flush()
    record(by or user, "token.create", "token", api_token.id, owner=user.email, prefix=token[:10])
    db.session.commit()
    return token


def list_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (revoked ones too)."""
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    return list(db.session.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(user: User, token_id: int, *, by: User | None) -> ApiToken:
    """The token stops working at once."""
    api_token = db.session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user.id:
        raise NotFound(f"{user.email} has no token {token_id}.")
    if api_token.revoked:
        return api_token
    api_token.revoked = True
    record(by, "token.revoke", "token", api_token.id, owner=user.email, prefix=api_token.prefix)
    db.session.commit()
    return api_token


def user_for_token(token: str) -> User:
    """The active user owning a valid token; Unauthorized otherwise."""
    api_token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _token_hash(token.strip()))
    )
    if api_token is None or api_token.revoked or not api_token.user.is_active:
        raise Unauthorized("The API token is not valid.")
    now = utcnow()
    # Write at most once a minute per token: reads should not queue up behind writes.
    if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
        api_token.last_used_at = now
        db.session.commit()
    return api_token.user
