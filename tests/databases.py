"""The database each test gets: SQLite in its data directory, or, when ARCHIVE_TEST_DATABASE
names a PostgreSQL server (see tests/postgres_server.py), a fresh database there.

On PostgreSQL the models' tables are made once per run, in a template database. The first
database with tables that a test asks for is one shared database (a copy of the template)
emptied at the start of the test (TRUNCATE … RESTART IDENTITY, so ids start at 1 as in a
new SQLite file): that costs a tenth of a CREATE DATABASE. Further databases in the same
test, and empty ones (for `flask db upgrade`), are new databases, dropped when the test
ends. Real processes started on a data directory share that directory's database
(tests/processes.archive_env).
"""

from __future__ import annotations

import os
from pathlib import Path

#: the PostgreSQL server's maintenance database (postgresql://…/postgres), or unset: SQLite
SERVER_URL = os.environ.get("ARCHIVE_TEST_DATABASE", "")
TEMPLATE = "archive_test_template"
SHARED = "archive_test_shared"

_admin = None
_template_ready = False
_counter = 0
#: data directory → (database name, URL) of the databases made for the running test
_databases: dict[Path, tuple[str, str]] = {}


def on_postgres() -> bool:
    """True in the PostgreSQL run of the suite."""
    return bool(SERVER_URL)


def _sqlalchemy_url(database: str) -> str:
    base = SERVER_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base.rsplit('/', 1)[0]}/{database}"


def _connection():
    global _admin
    if _admin is None or _admin.closed:
        _admin = psycopg_connect("postgres")
    return _admin


def _make_template() -> None:
    global _template_ready
    if _template_ready:
        return
    from sqlalchemy import create_engine

    from archive import models  # noqa: F401  (every model's table in the metadata)
    from archive.extensions import db

    admin = _connection()
    for name in (SHARED, TEMPLATE):
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {TEMPLATE}")
    engine = create_engine(_sqlalchemy_url(TEMPLATE))
    try:
        db.metadata.create_all(engine)
    finally:
        engine.dispose()
    admin.execute(f"CREATE DATABASE {SHARED} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
    _template_ready = True


def _empty_shared() -> None:
    """Empty the shared database, ending any connection an earlier test left open."""
    from archive.extensions import db

    with psycopg_connect(SHARED) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (SHARED,),
        )
        tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


def psycopg_connect(database: str):
    """An autocommit psycopg connection to one database of the test server."""
    import psycopg

    return psycopg.connect(f"{SERVER_URL.rsplit('/', 1)[0]}/{database}", autocommit=True)


def database_uri(data_dir: Path, *, tables: bool = True) -> str:
    """The SQLAlchemy URL of the database that goes with this data directory.

    SQLite: the file in the directory. PostgreSQL: a new database, made with the models'
    tables when `tables` (else empty, for `flask db upgrade`), or the one already made for
    this directory during the test.
    """
    data_dir = Path(data_dir).resolve()
    if not SERVER_URL:
        return f"sqlite:///{data_dir / 'archive.sqlite3'}"
    if data_dir in _databases:
        return _databases[data_dir][1]
    global _counter
    _counter += 1
    name = f"archive_test_{os.getpid()}_{_counter}"
    if tables:
        _make_template()
        if not any(used == SHARED for used, _url in _databases.values()):
            _empty_shared()
            _databases[data_dir] = (SHARED, _sqlalchemy_url(SHARED))
            return _databases[data_dir][1]
        _connection().execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
    else:
        _connection().execute(f"CREATE DATABASE {name}")
    _databases[data_dir] = (name, _sqlalchemy_url(name))
    return _databases[data_dir][1]


def drop_test_databases() -> None:
    """Drop the databases made during the test (connections still open are ended)."""
    if not _databases:
        return
    admin = _connection()
    for name, _url in _databases.values():
        if name != SHARED:  # emptied when the next test takes it
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _databases.clear()
