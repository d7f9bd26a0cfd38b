"""What backup and restore refuse, in-process: each refusal says why and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from archive.backup.services import FORMAT, MANIFEST, VERSION
from tests.databases import on_postgres


def test_backup_refuses_a_folder_inside_the_data_directory(runner, data_dir: Path):
    result = runner.invoke(args=["backup", str(data_dir / "backups" / "today")])
    assert result.exit_code == 1
    assert "inside the data directory" in result.output
    assert not (data_dir / "backups").exists()


def test_backup_refuses_a_folder_that_holds_something(runner, tmp_path: Path):
    dest = tmp_path / "full"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 1 and "not empty" in result.output
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]


def test_backup_into_an_empty_folder_leaves_no_partial_folder(runner, tmp_path: Path):
    dest = tmp_path / "empty"
    dest.mkdir()
    result = runner.invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    database = "database.json" if on_postgres() else "database.sqlite3"
    assert (dest / MANIFEST).is_file() and (dest / database).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "empty"]


def test_restore_refuses_a_folder_that_is_not_a_backup(runner, tmp_path: Path):
    result = runner.invoke(args=["restore", str(tmp_path)])
    assert result.exit_code == 1 and "is not a backup of the archive" in result.output


def test_restore_refuses_a_backup_from_a_newer_version(runner, tmp_path: Path):
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "database": {"file": "database.sqlite3", "alembic_revision": "ffffffffffff"},
        "blobs": {"count": 0, "bytes": 0, "items": {}},
        "text": {"count": 0, "items": {}},
    }
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    result = runner.invoke(args=["restore", str(tmp_path)])
    assert result.exit_code == 1 and "unknown to this version" in result.output
