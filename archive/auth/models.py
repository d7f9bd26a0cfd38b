"""Staff accounts and API tokens."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.extensions import db
from archive.timeutil import utcnow

ROLES = ("admin", "editor")


def new_session_nonce() -> str:
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    """A staff member of the secretariat."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16), default="editor")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: part of every session cookie; changing it (at logout, password reset, deactivation)
    #: makes every earlier session of this user invalid
    session_nonce: Mapped[str] = mapped_column(String(32), default=new_session_nonce)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: the session holds the id and the nonce
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: the first characters of the token, to tell tokens apart in listings
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="tokens")


class RateLimitCounter(db.Model):
    """One fixed-window counter of the login limiter, shared by every process and machine."""

    __tablename__ = "rate_limit_counters"

    #: the limiter's key, e.g. LIMITER/login/account/x@example.org/10/1/minute (hashed if long)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    #: when the window ends, in seconds since the epoch; expired rows go on the next write
    expires_at: Mapped[float] = mapped_column(index=True)
