"""Failures between the database commit and the index update are repaired.

- the worker is dead when a change is committed: the job was committed with it, so the
  restarted worker brings the index up to date;
- a document's index entries vanish behind the app's back: `check` says so (exit 1) and
  `check --repair` reindexes it;
- a file's extracted text vanishes from the text cache: `check --repair` extracts it again.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from archive.demo.pdfs import make_pdf
from tests.load.harness import LiveArchive, check_ok
from tests.processes import ROOT, archive_env

pytestmark = [pytest.mark.slow, pytest.mark.load]

_DELETE_FROM_INDEX = """
import sys
from indexer.index import SearchIndex
from indexer.textcache import TextCache
data = sys.argv[1]
SearchIndex(data + "/index", TextCache(data + "/text")).delete_document(int(sys.argv[2]))
"""


def _upload(archive: LiveArchive, word: str) -> dict:
    status, raw = archive.upload(make_pdf([f"Clearance report {word}."]), f"Report {word}")
    assert status == 201, raw[:500]
    return json.loads(raw)


def _patch(archive: LiveArchive, doc_id: int, changes: dict) -> None:
    request = urllib.request.Request(
        f"{archive.base}/api/v1/documents/{doc_id}",
        data=json.dumps(changes).encode(),
        method="PATCH",
        headers={"Content-Type": "application/json", **archive.headers},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def _wait_found(archive: LiveArchive, word: str, doc_id: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while archive.search_ids(word) != {doc_id}:
        assert time.monotonic() < deadline, f"{word} never found"
        time.sleep(0.3)


def test_index_failures_are_repaired(tmp_path: Path):
    archive = LiveArchive(tmp_path / "data", tmp_path / "logs")
    archive.prepare()
    with archive.web_server(workers=1):
        archive.create_meeting()
        with archive.job_worker():
            first = _upload(archive, "repairwordone")["id"]
            second = _upload(archive, "repairwordtwo")
            _wait_found(archive, "repairwordone", first)
            _wait_found(archive, "repairwordtwo", second["id"])
        assert archive.row_counts()["pending_jobs"] == 0

        # the database commits a change while no worker runs: the index is stale …
        _patch(archive, first, {"title": "Renamed repairwordthree"})
        assert archive.search_ids("repairwordthree") == set()
        assert archive.row_counts()["pending_jobs"] == 1
        # … until a worker runs again, and takes up the job committed with the change
        with archive.job_worker():
            _wait_found(archive, "repairwordthree", first)

            # the index loses a document behind the app's back
            check_ok(
                subprocess.run(
                    [sys.executable, "-c", _DELETE_FROM_INDEX, str(archive.data_dir), str(first)],
                    cwd=ROOT,
                    env=archive_env(archive.data_dir),
                    capture_output=True,
                    text=True,
                ),
                "delete from the index",
            )
            assert archive.search_ids("repairwordone") == set()
            check = archive.check()
            assert check.returncode == 1 and "missing from the search index" in check.stdout
            repair = archive.check("--repair")
            assert repair.returncode == 0, repair.stdout + repair.stderr
            assert f"queued reindexing of document {first}" in repair.stdout
            _wait_found(archive, "repairwordone", first)

            # the text cache loses a file's text
            sha = second["files"][0]["sha256"]
            (archive.data_dir / "text" / sha[:2] / sha[2:4] / f"{sha}.json").unlink()
            check = archive.check()
            assert check.returncode == 1 and "not in the text cache" in check.stdout
            repair = archive.check("--repair")
            assert repair.returncode == 0, repair.stdout + repair.stderr
            assert (archive.data_dir / "text" / sha[:2] / sha[2:4] / f"{sha}.json").is_file()
            _wait_found(archive, "repairwordtwo", second["id"])

            final = archive.check()
            assert final.returncode == 0, final.stdout + final.stderr
    assert "database is locked" not in archive.log_text()
