"""DATABASE_URL: postgresql:// URLs are driven by psycopg 3; anything else is used as given."""

from __future__ import annotations

import pytest

from archive import config, create_app
from archive.extensions import db
from tests.databases import SERVER_URL, on_postgres


@pytest.mark.parametrize(
    ("given", "used"),
    [
        (
            "postgresql://u:p@db.internal:5432/archive",
            "postgresql+psycopg://u:p@db.internal:5432/archive",
        ),
        ("postgres://u@db.internal/archive", "postgresql+psycopg://u@db.internal/archive"),
        ("postgresql+psycopg://u@h/a", "postgresql+psycopg://u@h/a"),
        ("sqlite:////srv/archive/archive.sqlite3", "sqlite:////srv/archive/archive.sqlite3"),
    ],
)
def test_database_url_from_the_environment(monkeypatch, tmp_path, given, used):
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", given)
    assert config.from_environment()["SQLALCHEMY_DATABASE_URI"] == used


def test_no_database_url_means_sqlite_in_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "")
    uri = config.from_environment()["SQLALCHEMY_DATABASE_URI"]
    assert uri == f"sqlite:///{tmp_path.resolve() / 'archive.sqlite3'}"


@pytest.mark.skipif(not on_postgres(), reason="needs the PostgreSQL server of the second pass")
def test_a_plain_postgresql_url_reaches_the_server(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", SERVER_URL)
    app = create_app(
        {"TESTING": True, "ARCHIVE_DATA_DIR": str(tmp_path / "data"), "ARCHIVE_WORKER": "off"}
    )
    with app.app_context():
        assert (db.engine.dialect.name, db.engine.dialect.driver) == ("postgresql", "psycopg")
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
        db.engine.dispose()
    # and nothing was written in the data directory for a database
    assert not (tmp_path / "data" / "archive.sqlite3").exists()
