"""SIGKILL of the web process during a large upload leaves no row, no blob and no temp file.

Two moments: while the body is still arriving (the whole gunicorn, master and workers, is
killed, then started again) and while the worker serving the request writes the blob (that
worker alone is killed; gunicorn starts a new one, whose startup cleanup removes the temp file
of the dead one).
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.load.harness import MEETING, LiveArchive, big_pdf, multipart_body

pytestmark = [pytest.mark.slow, pytest.mark.load]

BIG = 48 << 20
FORM = {
    "meeting": MEETING,
    "doc_type": "working_paper",
    "language": "en",
    "title": "A large annex",
    "status": "published",
}


def _request_head(archive: LiveArchive, content_type: str, length: int) -> bytes:
    return (
        f"POST /api/v1/documents HTTP/1.1\r\nHost: 127.0.0.1:{archive.port}\r\n"
        f"Authorization: Bearer {archive.token}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
    ).encode()


def _send(archive: LiveArchive, data: bytes, *, pause_after: int | None = None) -> socket.socket:
    """Send the request's bytes; with pause_after, only that many, slowly, then stop."""
    sock = socket.create_connection(("127.0.0.1", archive.port), timeout=120)
    if pause_after is None:
        sock.sendall(data)
        return sock
    for start in range(0, pause_after, 256 << 10):
        sock.sendall(data[start : min(start + (256 << 10), pause_after)])
        time.sleep(0.02)
    return sock


def _send_whole(archive: LiveArchive, data: bytes) -> None:
    """Send the whole request and wait for the server to answer or drop the connection."""
    try:
        with _send(archive, data) as sock:
            sock.recv(1)
    except OSError:  # the server died under us: what this test does
        pass


def _writer_pid(archive: LiveArchive, timeout: float = 60) -> int:
    """The pid in the name of the first temp file of the blob store (host~pid~….tmp)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in archive.temp_files():
            return int(path.name.split("~")[1])
        time.sleep(0.001)
    raise AssertionError("no temp file appeared in the blob store")


def _assert_nothing_stored(archive: LiveArchive, spool: Path, rows: dict) -> None:
    assert archive.blob_files() == []
    assert archive.temp_files() == []
    assert [p for p in spool.rglob("*") if p.is_file()] == []  # no spooled request body either
    assert archive.row_counts() == rows


def test_sigkill_of_the_web_process_during_a_large_upload(tmp_path: Path):
    content = big_pdf(BIG)
    body, content_type = multipart_body(FORM, "annex.pdf", content)
    archive = LiveArchive(tmp_path / "data", tmp_path / "logs")
    archive.prepare()
    request = _request_head(archive, content_type, len(body)) + body
    spool = tmp_path / "spool"  # the web processes' TMPDIR: where request bodies are spooled
    spool.mkdir()

    with archive.web_server(workers=2, TMPDIR=str(spool)) as web:
        archive.create_meeting()
        rows = archive.row_counts()
        assert rows["Document"] == rows["File"] == rows["Job"] == 0

        # 1. the worker serving the request dies while it writes the blob
        sender = threading.Thread(target=_send_whole, args=(archive, request), daemon=True)
        sender.start()
        pid = _writer_pid(archive)
        os.kill(pid, signal.SIGKILL)
        sender.join(timeout=60)
        deadline = time.monotonic() + 60  # gunicorn starts another worker, which cleans up
        while archive.temp_files():
            assert time.monotonic() < deadline, archive.temp_files()
            time.sleep(0.2)
        _assert_nothing_stored(archive, spool, rows)

        # 2. gunicorn, master and workers, dies while the body is still arriving
        sock = _send(archive, request, pause_after=len(request) // 3)
        time.sleep(0.5)
        archive.kill(web)
        sock.close()
        _assert_nothing_stored(archive, spool, rows)

    with archive.web_server(workers=2, TMPDIR=str(spool)):
        _assert_nothing_stored(archive, spool, rows)
        status, raw = archive.upload(content, "The annex, uploaded again")
        assert status == 201, raw[:500]
        assert len(archive.blob_files()) == 1 and archive.temp_files() == []
    assert "database is locked" not in archive.log_text()
