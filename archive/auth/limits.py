"""Login attempts counted per account and per address (Flask-Limiter).

Each app gets its own Limiter, and so its own counters: two apps in one process (tests, or
a command next to the web app) never share them, unless they share a database. Only POST
/login is counted; no limit is declared for any other route.
"""

from __future__ import annotations

import time

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse

from archive.auth import limit_storage
from archive.extensions import db

EXTENSION_KEY = "archive.login_limiter"


def init_limiter(app: Flask) -> None:
    """A Limiter for this app, on the storage named by RATELIMIT_STORAGE_URI.

    `database://` (the default) counts in the app's database, so limits hold across
    gunicorn workers and machines; memory:// counts per process.
    """
    uri = app.config.get("RATELIMIT_STORAGE_URI") or limit_storage.SCHEME + "://"
    options = {}
    if uri.partition(":")[0] == limit_storage.SCHEME:
        with app.app_context():
            options["engine"] = db.engine
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=uri,
        storage_options=options,
        headers_enabled=False,
    )
    limiter.init_app(app)
    app.extensions[EXTENSION_KEY] = limiter


def _limit() -> tuple[Limiter, RateLimitItem]:
    limiter: Limiter = current_app.extensions[EXTENSION_KEY]
    return limiter, parse(current_app.config.get("LOGIN_RATE_LIMIT") or "10 per minute")


def _counters(email: str, address: str | None) -> list[tuple[str, ...]]:
    return [
        ("login", "account", email.strip().lower()),
        ("login", "address", address or "unknown"),
    ]


def login_attempt_allowed(email: str, address: str | None) -> bool:
    """Count one login attempt for this account and this address; False past the limit."""
    limiter, item = _limit()
    allowed = [limiter.limiter.hit(item, *keys) for keys in _counters(email, address)]
    return all(allowed)


def seconds_until_retry(email: str, address: str | None) -> int:
    """How long until both counters allow another attempt."""
    limiter, item = _limit()
    resets = [
        limiter.limiter.get_window_stats(item, *keys).reset_time
        for keys in _counters(email, address)
    ]
    return max(1, int(max(resets) - time.time()) + 1)
