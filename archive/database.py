"""Database engine settings: SQLite in WAL mode with a busy timeout, so readers and one
writer get along across threads and processes. PostgreSQL (DATABASE_URL=postgresql://…,
driven by psycopg 3) needs no per-connection settings."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from archive.extensions import db


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def configure_engine(app: Flask) -> None:
    """Apply per-connection settings for the configured database."""
    with app.app_context():
        engine: Engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
