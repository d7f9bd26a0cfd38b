"""Real concurrency: 4 clients upload 12 PDFs each at once to gunicorn (2 workers) while a fifth
searches; the worker process is SIGKILLed mid-queue and restarted; every upload ends indexed.

The figures (uploads accepted, seconds, 5xx) are printed and written to
test-artifacts/load-uploads-<database>.json.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, text

from archive.config import database_url
from archive.demo.pdfs import make_pdf
from tests.databases import on_postgres
from tests.load.harness import LOCKED, LiveArchive, check_ok
from tests.processes import ROOT, archive_env, flask, get

pytestmark = [pytest.mark.slow, pytest.mark.load]

CLIENTS = 4
UPLOADS_PER_CLIENT = 12
#: the first SHARED uploads of every client are the same files (same bytes, same blob)
SHARED = 3
DATABASE = "postgresql" if on_postgres() else "sqlite"
ARTIFACT = ROOT / "test-artifacts" / f"load-uploads-{DATABASE}.json"


def _pages(word: str, n: int) -> list[str]:
    return [
        f"Statement {word}. The delegation reported on clearance of contaminated land "
        f"and on victim assistance, page {page}; reference {word}."
        for page in range(1, n + 1)
    ]


@dataclass
class Upload:
    client: int
    number: int
    word: str
    content: bytes
    status: int = 0
    body: dict = field(default_factory=dict)
    seconds: float = 0.0


def _plan() -> list[list[Upload]]:
    """Per client, its uploads: shared files first, then files of its own."""
    shared = [make_pdf(_pages(f"sharedword{i}", 2)) for i in range(SHARED)]
    plan = []
    for client in range(CLIENTS):
        uploads = [Upload(client, i, f"sharedword{i}", shared[i]) for i in range(SHARED)]
        for i in range(SHARED, UPLOADS_PER_CLIENT):
            word = f"loadword{client}x{i:02d}"
            uploads.append(Upload(client, i, word, make_pdf(_pages(word, 1 + i % 3))))
        plan.append(uploads)
    return plan


class Searcher(threading.Thread):
    """Searches until told to stop, with and without a token; keeps every status."""

    def __init__(self, archive: LiveArchive, words: list[str]) -> None:
        super().__init__(name="searcher", daemon=True)
        self.archive = archive
        self.words = words
        self.stop = threading.Event()
        self.statuses: list[int] = []
        self.seconds: list[float] = []
        self.bad: list[str] = []

    def run(self) -> None:
        rng = random.Random(7)
        while not self.stop.is_set():
            q = rng.choice(["clearance", "victim assistance", *rng.sample(self.words, 2)])
            headers = self.archive.headers if rng.random() < 0.5 else None
            url = f"{self.archive.base}/api/v1/search?" + urlencode({"q": q})
            started = time.perf_counter()
            try:
                status, raw = get(url, headers=headers)
            except OSError as exc:  # a refused or dropped connection is a failure too
                status, raw = 599, str(exc).encode()
            self.seconds.append(time.perf_counter() - started)
            self.statuses.append(status)
            if status >= 500 or LOCKED in raw.decode(errors="replace"):
                self.bad.append(f"{status} {q}: {raw[:300]!r}")
            time.sleep(0.05)


def _client(archive: LiveArchive, uploads: list[Upload], start: threading.Barrier) -> None:
    start.wait()
    for upload in uploads:
        started = time.perf_counter()
        try:
            status, raw = archive.upload(
                upload.content,
                f"Load statement {upload.word} from client {upload.client}",
                filename=f"client{upload.client}-{upload.number}.pdf",
            )
        except OSError as exc:
            status, raw = 599, str(exc).encode()
        upload.seconds = time.perf_counter() - started
        upload.status = status
        try:
            upload.body = json.loads(raw)
        except ValueError:
            upload.body = {"raw": raw.decode(errors="replace")[:1000]}


class LiveBackup(threading.Thread):
    """`flask backup` of the archive while the uploads run."""

    def __init__(self, archive: LiveArchive, dest: Path) -> None:
        super().__init__(name="backup", daemon=True)
        self.archive = archive
        self.dest = dest
        self.result = None
        self.documents = None

    def run(self) -> None:
        self.result = flask(self.archive.data_dir, "backup", str(self.dest))
        if self.result.returncode == 0:
            manifest = json.loads((self.dest / "manifest.json").read_text())
            self.documents = manifest["database"]["tables"]["documents"]


def _restore_and_check(backup: LiveBackup, data_dir: Path) -> None:
    """The backup taken under load restores into a consistent archive."""
    backup.join(timeout=300)
    check_ok(backup.result, "backup during uploads")
    check_ok(flask(data_dir, "restore", str(backup.dest)), "restore of that backup")
    check_ok(flask(data_dir, "check"), "check of the restored archive")


def _job_counts(archive: LiveArchive) -> dict[str, int]:
    """Jobs by status, read straight from the archive's database (cheap enough to poll)."""
    env = archive_env(archive.data_dir)
    url = database_url(env.get("DATABASE_URL")) or f"sqlite:///{archive.data_dir}/archive.sqlite3"
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT status, count(*) FROM jobs GROUP BY status"))
            return {status: count for status, count in rows}
    finally:
        engine.dispose()


def _wait_uploaded(archive: LiveArchive, at_least: int) -> None:
    """Let the queue fill before any worker runs, so that the kill lands mid-queue."""
    deadline = time.monotonic() + 120
    while sum(_job_counts(archive).values()) < at_least:
        assert time.monotonic() < deadline, f"fewer than {at_least} uploads after 120 s"
        time.sleep(0.1)


def _kill_worker_mid_queue(archive: LiveArchive, worker) -> dict:
    """SIGKILL the worker while it holds claimed jobs and others still wait."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        counts = _job_counts(archive)
        if counts.get("running", 0) >= 1 and counts.get("queued", 0) + counts["running"] >= 4:
            archive.kill(worker)
            return {
                "jobs_running_at_kill": counts["running"],
                "jobs_queued_at_kill": counts.get("queued", 0),
                "jobs_done_at_kill": counts.get("done", 0),
            }
        time.sleep(0.02)
    raise AssertionError("the worker never held jobs while others waited")


def test_concurrent_uploads_searches_and_a_killed_worker(tmp_path: Path):
    plan = _plan()
    uploads = [u for per_client in plan for u in per_client]
    archive = LiveArchive(tmp_path / "data", tmp_path / "logs")
    archive.prepare()
    with archive.web_server(workers=2):
        archive.create_meeting()
        searcher = Searcher(archive, sorted({u.word for u in uploads}))
        start = threading.Barrier(CLIENTS + 1)
        clients = [
            threading.Thread(target=_client, args=(archive, per_client, start), daemon=True)
            for per_client in plan
        ]
        searcher.start()
        for thread in clients:
            thread.start()
        start.wait()
        began = time.perf_counter()
        backup = LiveBackup(archive, tmp_path / "live-backup")
        backup.start()
        _wait_uploaded(archive, len(uploads) // 2)
        with archive.job_worker() as worker:
            kill = _kill_worker_mid_queue(archive, worker)
            killed_at = time.perf_counter() - began
        time.sleep(1.0)  # uploads go on while no worker runs
        with archive.job_worker():
            for thread in clients:
                thread.join(timeout=300)
            upload_seconds = time.perf_counter() - began
            docs = archive.wait_indexed(len(uploads))
            indexed_seconds = time.perf_counter() - began
            searcher.stop.set()
            searcher.join(timeout=60)

            failures = [(u.client, u.number, u.status, u.body) for u in uploads if u.status != 201]
            figures = {
                "database": DATABASE,
                "clients": CLIENTS,
                "uploads": len(uploads),
                "uploads_accepted": sum(u.status == 201 for u in uploads),
                "upload_5xx": sum(u.status >= 500 for u in uploads),
                "upload_seconds": round(upload_seconds, 2),
                "upload_median_ms": round(
                    sorted(u.seconds for u in uploads)[len(uploads) // 2] * 1000
                ),
                "upload_max_ms": round(max(u.seconds for u in uploads) * 1000),
                "all_indexed_seconds": round(indexed_seconds, 2),
                "worker_killed_after_seconds": round(killed_at, 2),
                **kill,
                "searches": len(searcher.statuses),
                "search_5xx": sum(s >= 500 for s in searcher.statuses),
                "search_median_ms": round(
                    sorted(searcher.seconds)[len(searcher.seconds) // 2] * 1000
                ),
                "search_max_ms": round(max(searcher.seconds) * 1000),
                "blobs_on_disk": len(archive.blob_files()),
                #: jobs the killed worker held, run again by the restarted one
                "jobs_run_twice": archive.row_counts()["jobs_run_twice"],
                "documents_in_backup_taken_during_uploads": backup.documents,
            }
            ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
            ARTIFACT.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
            print("\nload figures:", json.dumps(figures))

            assert not failures, failures
            assert not searcher.bad, searcher.bad[:5]
            assert searcher.statuses and set(searcher.statuses) <= {200}

            # every upload is its own document; the same bytes are one blob
            ids = {u.body["id"] for u in uploads}
            assert len(ids) == len(uploads)
            digests = {u.body["files"][0]["sha256"] for u in uploads}
            assert len(digests) == len(uploads) - (CLIENTS - 1) * SHARED
            assert len(archive.blob_files()) == len(digests)
            assert not archive.temp_files()

            statuses = {f["text_status"] for d in docs for f in d["files"]}
            assert statuses == {"indexed"}, statuses
            for word in sorted({u.word for u in uploads}):
                expected = {u.body["id"] for u in uploads if u.word == word}
                assert archive.search_ids(word) == expected, word

            check = archive.check()
            assert check.returncode == 0, check.stdout + check.stderr
    _restore_and_check(backup, tmp_path / "restored")
    assert LOCKED not in archive.log_text()
    assert "Traceback" not in archive.log_text(), archive.log_text()[-5000:]
