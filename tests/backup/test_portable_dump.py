"""The portable JSON dump (PostgreSQL's backup format) loads back row for row, types intact."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from archive import create_app
from archive.backup import database
from archive.extensions import db
from archive.meetings.models import Meeting
from tests.databases import database_uri


def _rows(app) -> dict[str, list[tuple]]:
    with app.app_context(), db.engine.connect() as connection:
        return {
            table.name: sorted(tuple(row) for row in connection.execute(select(table)))
            for table in database.reflected(connection)
        }


def test_json_dump_then_load_gives_the_same_rows(app, upload, make_meeting, tmp_path: Path):
    make_meeting("12MSP")
    assert upload(title="Dumped statement").status_code == 201
    dump = tmp_path / "dump"
    dump.mkdir()
    with app.app_context():
        database.dump_json(db.engine, dump / database.JSON_FILE)

    other_dir = tmp_path / "other"
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "ARCHIVE_DATA_DIR": str(other_dir),
            "SQLALCHEMY_DATABASE_URI": database_uri(other_dir, tables=False),
            "ARCHIVE_WORKER": "off",
        }
    )
    try:
        with other.app_context():
            db.create_all()
            info = {"file": database.JSON_FILE}
            counts = database.load_rows(db.engine, database.source_rows(dump, info))
            assert counts["documents"] == 1 and counts["files"] == 1 and counts["jobs"] == 1
            meeting = db.session.scalar(select(Meeting))
            assert meeting.start_date.isoformat() == "2024-09-10"
        assert _rows(other) == _rows(app)
    finally:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()
