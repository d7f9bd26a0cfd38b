"""Migrations: `flask db upgrade` on an empty data directory (or an empty PostgreSQL
database) builds exactly the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from archive import create_app
from archive.extensions import db
from tests.databases import database_uri


def test_upgrade_on_an_empty_data_directory_matches_the_models(tmp_path):
    data = tmp_path / "data"
    app = create_app(
        {
            "TESTING": True,
            "ARCHIVE_DATA_DIR": str(data),
            "SQLALCHEMY_DATABASE_URI": database_uri(data, tables=False),
            "ARCHIVE_WORKER": "off",
        }
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert diff == []
