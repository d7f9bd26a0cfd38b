"""A `limits` storage in the archive's own database: login counters shared by every process.

Flask-Limiter's memory:// counts per process, so with several gunicorn workers (or
machines) an attacker gets the limit once per process. `database://` keeps fixed-window
counters in the table `rate_limit_counters` of the app's database (SQLite or PostgreSQL):
each hit is one atomic `INSERT … ON CONFLICT DO UPDATE … RETURNING`, in its own
transaction, so it counts even when the request's own unit of work is rolled back.
"""

from __future__ import annotations

import hashlib
import time

from limits.errors import ConfigurationError
from limits.storage import Storage
from sqlalchemy import case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from archive.auth.models import RateLimitCounter

SCHEME = "database"
_TABLE = RateLimitCounter.__table__
_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
#: longer keys (a hostile email address) are stored by their SHA-256
_MAX_KEY = 200


def _stored_key(key: str) -> str:
    """The key as stored: itself when short and printable, else its SHA-256."""
    if len(key) <= _MAX_KEY and key.isprintable():
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class DatabaseStorage(Storage):
    """Fixed-window counters in the app's database (`database://`); needs `engine=`."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, *, engine: Engine | None = None
    ):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        if engine is None:
            raise ConfigurationError("database:// needs the app's engine (storage option engine)")
        if engine.dialect.name not in _INSERTS:
            raise ConfigurationError(f"database:// does not support {engine.dialect.name}")
        self._engine = engine
        self._insert = _INSERTS[engine.dialect.name]

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count `amount` more in the key's window (a new window once it has ended)."""
        now = time.time()
        ended = _TABLE.c.expires_at <= now
        upsert = (
            self._insert(_TABLE)
            .values(key=_stored_key(key), count=amount, expires_at=now + expiry)
            .on_conflict_do_update(
                index_elements=[_TABLE.c.key],
                set_={
                    "count": case((ended, amount), else_=_TABLE.c.count + amount),
                    "expires_at": case((ended, now + expiry), else_=_TABLE.c.expires_at),
                },
            )
            .returning(_TABLE.c.count)
        )
        self._delete_expired(now)
        with self._engine.begin() as connection:
            return connection.execute(upsert).scalar_one()

    def _delete_expired(self, now: float) -> None:
        """Old windows go on each write (in their own transaction: it is only tidying)."""
        with self._engine.begin() as connection:
            connection.execute(delete(_TABLE).where(_TABLE.c.expires_at <= now))

    def _live(self, column, key: str):
        query = select(column).where(
            _TABLE.c.key == _stored_key(key), _TABLE.c.expires_at > time.time()
        )
        with self._engine.connect() as connection:
            return connection.execute(query).scalar()

    def get(self, key: str) -> int:
        """The count in the key's current window (0 when none)."""
        return self._live(_TABLE.c.count, key) or 0

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (now when it has none)."""
        return self._live(_TABLE.c.expires_at, key) or time.time()

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with self._engine.connect() as connection:
                connection.execute(select(func.count()).select_from(_TABLE))
            return True
        except SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        """Forget every counter; returns how many there were."""
        with self._engine.begin() as connection:
            return connection.execute(delete(_TABLE)).rowcount

    def clear(self, key: str) -> None:
        """Forget one key's counter."""
        with self._engine.begin() as connection:
            connection.execute(delete(_TABLE).where(_TABLE.c.key == _stored_key(key)))
