"""Staff accounts and API tokens: creation and authentication."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from archive import validation
from archive.audit.services import record
from archive.auth.models import ROLES, ApiToken, User
from archive.errors import Conflict, NotFound, Unauthorized, ValidationError
from archive.extensions import db
from archive.timeutil import utcnow

MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "ma_"


def _normalise_email(email: str) -> str:
    value = validation.text(email, "email", required=True, max_length=254).lower()
    if "@" not in value or value.startswith("@") or value.endswith("@"):
        raise ValidationError("email must be an email address.", field="email")
    return value


def create_user(email: str, password: str, role: str, *, by: User | None = None) -> User:
    """A new staff account with a hashed password."""
    email = _normalise_email(email)
    role = validation.choice(role, ROLES, "role")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
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


def check_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(email: str, *, by: User | None = None) -> str:
    """A new API token for the user; returns the token, which is shown only once."""
    user = find_user(email)
    if user is None:
        raise NotFound(f"No user with email {email}.", field="email")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_token_hash(token), prefix=token[:10]))
    record(by or user, "token.create", "user", user.id, prefix=token[:10])
    db.session.commit()
    return token


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
