"""`flask backup DEST` and `flask restore SRC`: every document back, byte-exact and searchable.

The archive is built and read through real processes (gunicorn and `flask worker`) on their
own data directories; the restore goes into a fresh, empty one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from archive.demo.pdfs import make_pdf
from tests.databases import on_postgres
from tests.load.harness import MEETING, LiveArchive, check_ok
from tests.processes import flask, get, post_json, post_multipart

pytestmark = pytest.mark.slow


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _upload(archive: LiveArchive, word: str, **fields: str) -> tuple[dict, bytes]:
    content = make_pdf([f"Backup test statement {word}.", f"Second page on clearance, {word}."])
    status, raw = archive.upload(content, f"Statement {word}", **fields)
    assert status == 201, raw[:500]
    return json.loads(raw), content


def _add_version(archive: LiveArchive, doc_id: int, word: str, **fields: str) -> bytes:
    content = make_pdf([f"Revised statement {word}."])
    status, raw = post_multipart(
        f"{archive.base}/api/v1/documents/{doc_id}/files",
        fields,
        "revised.pdf",
        content,
        archive.headers,
    )
    assert status == 201, raw[:500]
    return content


def _build(archive: LiveArchive) -> dict[str, tuple[int, str, str, bytes]]:
    """Documents of every kind; returns word → (document id, language, version, bytes)."""
    status, raw = post_json(
        f"{archive.base}/api/v1/meetings/{MEETING}/recordings",
        {
            "date": "2024-09-11",
            "session": "morning",
            "channel": "floor",
            "url": "https://media.example.org/12msp/0911-morning",
        },
        archive.headers,
    )
    assert status == 201, raw[:500]
    recording = json.loads(raw)["id"]
    made = {}
    doc, content = _upload(archive, "backupadvance", version_label="advance")
    made["backupadvance"] = (doc["id"], "en", "advance", content)
    revised = _add_version(archive, doc["id"], "backupfinal", language="en", version_label="final")
    made["backupfinal"] = (doc["id"], "en", "final", revised)
    doc, content = _upload(archive, "backupdraft", status="draft")
    made["backupdraft"] = (doc["id"], "en", "final", content)
    doc, content = _upload(
        archive, "backupspoken", recording=str(recording), recording_offset="754"
    )
    made["backupspoken"] = (doc["id"], "en", "final", content)
    french = _add_version(archive, doc["id"], "backupfrancais", language="fr")
    made["backupfrancais"] = (doc["id"], "fr", "final", french)
    return made


def _assert_restored(archive: LiveArchive, made: dict, meeting_before: dict) -> None:
    for word, (doc_id, language, version, content) in made.items():
        status, body = get(
            f"{archive.base}/documents/{doc_id}/download?language={language}&version={version}",
            headers=archive.headers,
        )
        assert status == 200 and _sha(body) == _sha(content), word
        assert archive.search_ids(word) == {doc_id}, word  # the advance copy: by its title
    status, meeting = archive.get_json(f"/api/v1/meetings/{MEETING}")
    assert status == 200
    assert meeting["recordings"] == meeting_before["recordings"]
    assert meeting["documents"] == meeting_before["documents"]


def test_backup_then_restore_into_an_empty_data_directory(tmp_path: Path):
    source = LiveArchive(tmp_path / "source", tmp_path / "logs-source")
    source.prepare()
    with source.web_server(workers=1):
        source.create_meeting()
        with source.job_worker():
            made = _build(source)
            source.wait_indexed(3)
        _status, meeting_before = source.get_json(f"/api/v1/meetings/{MEETING}")

        backup = tmp_path / "backups" / "monday"
        out = check_ok(flask(source.data_dir, "backup", str(backup)), "backup")
        assert "Backed up 3 documents, 5 files" in out
        manifest = json.loads((backup / "manifest.json").read_text())
        assert manifest["blobs"]["count"] == 5 and manifest["text"]["count"] == 5
        # SQLite: a snapshot by the sqlite3 backup API; PostgreSQL: a portable JSON dump
        assert manifest["database"]["file"] == (
            "database.json" if on_postgres() else "database.sqlite3"
        )
        assert not (backup / "index").exists()
        refused = flask(source.data_dir, "backup", str(backup))
        assert refused.returncode != 0 and "not empty" in refused.stderr

    # a damaged copy is refused before anything is written
    damaged = tmp_path / "damaged"
    shutil.copytree(backup, damaged)
    blob = next(p for p in (damaged / "blobs").rglob("*") if p.is_file())
    blob.write_bytes(blob.read_bytes()[:-1] + b"?")
    elsewhere = tmp_path / "elsewhere"
    result = flask(elsewhere, "restore", str(damaged))
    assert result.returncode != 0 and "does not match its checksum" in result.stderr
    assert not list((elsewhere / "blobs").rglob("*.pdf")) and not any(
        p.is_file() for p in (elsewhere / "blobs").rglob("*")
    )

    target = LiveArchive(tmp_path / "target", tmp_path / "logs-target")
    target.token = source.token  # the tokens come back with the database
    out = check_ok(flask(target.data_dir, "restore", str(backup)), "restore")
    assert "Restored 3 documents, 5 files and 5 extracted texts" in out
    refused = flask(target.data_dir, "restore", str(backup))
    assert refused.returncode != 0 and "not empty" in refused.stderr
    check_ok(flask(target.data_dir, "restore", "--force", str(backup)), "restore --force")
    check_ok(target.check(), "check after restore")
    with target.web_server(workers=1):
        _assert_restored(target, made, meeting_before)
        assert target.row_counts()["pending_jobs"] == 0
        _upload(target, "backupafter")  # new rows get new ids (PostgreSQL: sequences restored)
