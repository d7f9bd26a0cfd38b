"""The app factory: configuration and the refusal to start without a secret key."""

from __future__ import annotations

import socket

import pytest

from archive import create_app


def test_refuses_to_start_without_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path))
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app()


def test_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("ARCHIVE_MAX_UPLOAD_MB", "7")
    monkeypatch.setenv("ARCHIVE_WORKER", "external")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["MAX_CONTENT_LENGTH"] == 7 * 1024 * 1024
    assert app.config["ARCHIVE_WORKER"] == "external"
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("/d/archive.sqlite3")
    assert (tmp_path / "d").is_dir()


def test_start_removes_temp_files_of_dead_uploads(tmp_path, monkeypatch, dead_pid):
    leftover = tmp_path / "blobs" / "tmp" / f"{socket.gethostname()}~{dead_pid}~x.tmp"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"%PDF-1.4 half an upload")
    monkeypatch.setenv("SECRET_KEY", "s")
    monkeypatch.setenv("ARCHIVE_DATA_DIR", str(tmp_path))
    create_app()
    assert not leftover.exists()
