"""The database part of a backup: a snapshot out, rows back in.

SQLite is copied with the sqlite3 backup API (a consistent snapshot of a live database, even
while others write). Any other database (PostgreSQL) is dumped portably: every table's rows as
JSON, read in one REPEATABLE READ transaction, so the dump is one consistent moment too. A
restore into SQLite from a SQLite backup copies the file back with the same API; every other
combination creates the schema at the backup's migration, inserts the rows in foreign-key order,
then migrates to the current schema.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, func, select, text

SQLITE_FILE = "database.sqlite3"
JSON_FILE = "database.json"
#: restored rows are inserted this many at a time
BATCH = 500


def sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite database, or None for another database (or an in-memory one)."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        return None
    return Path(engine.url.database)


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database page by page with the backup API (consistent while in use).

    The copy is left in rollback-journal mode, so reading it creates no -wal file beside it;
    the app switches a database it opens back to WAL.
    """
    with (
        closing(sqlite3.connect(source, timeout=30)) as src,
        closing(sqlite3.connect(target, timeout=30)) as dst,
    ):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")


def reflected(connection: Connection) -> list[Table]:
    """Every table of the database, parents before children."""
    metadata = MetaData()
    metadata.reflect(connection)
    return list(metadata.sorted_tables)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def dump_json(engine: Engine, target: Path) -> None:
    """Write every table's rows to a JSON file, from one consistent snapshot."""
    level = "SERIALIZABLE" if engine.dialect.name == "sqlite" else "REPEATABLE READ"
    with engine.connect().execution_options(isolation_level=level) as connection:
        tables = {}
        for table in reflected(connection):
            rows = connection.execute(select(table)).all()
            tables[table.name] = {
                "columns": [column.name for column in table.columns],
                "rows": [[_plain(value) for value in row] for row in rows],
            }
        connection.rollback()
    with open(target, "w", encoding="utf-8") as out:
        json.dump({"tables": tables}, out, ensure_ascii=False)


@contextmanager
def snapshot_engine(backup_dir: Path, manifest_db: dict) -> Iterator[Engine | None]:
    """An engine on the backup's SQLite snapshot (None for a JSON dump)."""
    if manifest_db["file"] != SQLITE_FILE:
        yield None
        return
    engine = create_engine(f"sqlite:///{backup_dir / SQLITE_FILE}")
    try:
        yield engine
    finally:
        engine.dispose()


def source_rows(backup_dir: Path, manifest_db: dict) -> Iterator[tuple[str, list[str], list]]:
    """(table, columns, rows) of every table in the backup."""
    if manifest_db["file"] == JSON_FILE:
        with open(backup_dir / JSON_FILE, encoding="utf-8") as handle:
            tables = json.load(handle)["tables"]
        for name, table in tables.items():
            yield name, table["columns"], table["rows"]
        return
    with snapshot_engine(backup_dir, manifest_db) as engine, engine.connect() as connection:
        for table in reflected(connection):
            rows = [list(row) for row in connection.execute(select(table)).all()]
            yield table.name, [column.name for column in table.columns], rows


def table_counts(connection: Connection) -> dict[str, int]:
    """Rows per table."""
    return {
        table.name: connection.scalar(select(func.count()).select_from(table))
        for table in reflected(connection)
    }


def _typed(table: Table, columns: list[str], row: list) -> dict:
    """A row from a dump as the target table's column types want it."""
    values = {}
    for name, value in zip(columns, row, strict=True):
        column = table.columns.get(name)
        if column is None:
            continue
        if isinstance(value, str):
            try:
                kind = column.type.python_type
            except NotImplementedError:
                kind = None
            if kind is datetime.datetime:
                value = datetime.datetime.fromisoformat(value)
            elif kind is datetime.date:
                value = datetime.date.fromisoformat(value)
        values[name] = value
    return values


def load_rows(engine: Engine, rows: Iterator[tuple[str, list[str], list]]) -> dict[str, int]:
    """Insert the backup's rows (except alembic_version) into the target's empty tables."""
    by_name = {name: (columns, data) for name, columns, data in rows}
    counts = {}
    with engine.begin() as connection:
        for table in reflected(connection):
            if table.name == "alembic_version" or table.name not in by_name:
                continue
            columns, data = by_name[table.name]
            for start in range(0, len(data), BATCH):
                batch = [_typed(table, columns, row) for row in data[start : start + BATCH]]
                connection.execute(table.insert(), batch)
            counts[table.name] = len(data)
        if engine.dialect.name == "postgresql":
            _reset_sequences(connection)
    return counts


def _reset_sequences(connection: Connection) -> None:
    """Make PostgreSQL's id sequences continue after the restored ids."""
    quote = connection.dialect.identifier_preparer.quote
    for table in reflected(connection):
        if "id" not in table.columns:
            continue
        name = quote(table.name)
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {name}), 1), "
                f"(SELECT MAX(id) FROM {name}) IS NOT NULL) "
                "WHERE pg_get_serial_sequence(:table, 'id') IS NOT NULL"
            ),
            {"table": table.name},
        )


def drop_everything(engine: Engine) -> None:
    """Drop every table (the archive's and alembic_version): for restore --force."""
    with engine.begin() as connection:
        metadata = MetaData()
        metadata.reflect(connection)
        metadata.drop_all(connection)
