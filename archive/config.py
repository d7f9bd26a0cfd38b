"""Configuration from environment variables, with defaults for one data directory."""

from __future__ import annotations

import os
from pathlib import Path

MB = 1024 * 1024


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def database_url(url: str | None) -> str | None:
    """DATABASE_URL as SQLAlchemy wants it: postgresql:// (and postgres://) use psycopg 3."""
    if not url:
        return None
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def from_environment() -> dict:
    """Settings read from the environment; `create_app` layers test config over them."""
    data_dir = Path(os.environ.get("ARCHIVE_DATA_DIR", "instance")).resolve()
    secure_cookies = os.environ.get("ARCHIVE_COOKIE_SECURE") == "1"
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "ARCHIVE_DATA_DIR": str(data_dir),
        "SQLALCHEMY_DATABASE_URI": database_url(os.environ.get("DATABASE_URL"))
        or f"sqlite:///{data_dir / 'archive.sqlite3'}",
        #: inline (a worker thread in the web process), external (`flask worker`), off (tests)
        "ARCHIVE_WORKER": os.environ.get("ARCHIVE_WORKER", "inline"),
        "MAX_CONTENT_LENGTH": _int_env("ARCHIVE_MAX_UPLOAD_MB", 200) * MB,
        "EXTRACT_TIME_LIMIT": float(os.environ.get("ARCHIVE_EXTRACT_TIME_LIMIT", "120")),
        "EXTRACT_MEMORY_LIMIT": _int_env("ARCHIVE_EXTRACT_MEMORY_MB", 1024) * MB,
        "JOB_MAX_ATTEMPTS": _int_env("ARCHIVE_JOB_MAX_ATTEMPTS", 3),
        #: a running job whose worker has not reported for this long is taken up again
        "JOB_LEASE_SECONDS": _int_env("ARCHIVE_JOB_LEASE_SECONDS", 600),
        "WORKER_POLL_SECONDS": float(os.environ.get("ARCHIVE_WORKER_POLL_SECONDS", "1.0")),
        #: sandboxed extractions a worker runs at once (default: one per CPU core)
        "EXTRACT_PROCESSES": _int_env("ARCHIVE_EXTRACT_PROCESSES", os.cpu_count() or 1),
        #: a worker commits its finished files to the index at least this often
        "INDEX_BATCH_SECONDS": float(os.environ.get("ARCHIVE_INDEX_BATCH_SECONDS", "1.0")),
        "ARCHIVE_ADMIN_EMAIL": os.environ.get("ARCHIVE_ADMIN_EMAIL", "admin@example.org"),
        "ARCHIVE_ADMIN_PASSWORD": os.environ.get("ARCHIVE_ADMIN_PASSWORD"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "WTF_CSRF_TIME_LIMIT": None,
        #: session and remember cookies: never readable by scripts, not sent cross-site
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        #: where login attempts are counted (Flask-Limiter): database:// is the app's database,
        #: shared by every process; memory:// is per process
        "RATELIMIT_STORAGE_URI": os.environ.get("ARCHIVE_RATELIMIT_STORAGE_URI", "database://"),
        #: wrong or right, POSTs to /login allowed per account and per address
        "LOGIN_RATE_LIMIT": os.environ.get("ARCHIVE_LOGIN_RATE_LIMIT", "10 per minute"),
        "JSON_SORT_KEYS": False,
        #: built meeting and delegation ZIPs kept under <data>/cache/zips, least recently
        #: served removed first past this total; 0 keeps none (every download is streamed)
        "ZIP_CACHE_MAX_BYTES": _int_env("ARCHIVE_ZIP_CACHE_MB", 5120) * MB,
        #: the namespace of OAI-PMH identifiers (oai:<this>:documents/42); else the request's host
        "OAI_REPOSITORY_IDENTIFIER": os.environ.get("ARCHIVE_OAI_REPOSITORY_IDENTIFIER", ""),
    }


def data_path(config: dict, *parts: str) -> Path:
    """A path inside the data directory."""
    return Path(config["ARCHIVE_DATA_DIR"], *parts)
