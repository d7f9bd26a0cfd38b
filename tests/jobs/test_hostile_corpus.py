"""The whole corpus of real PDFs, hostile ones included, through a real gunicorn server
with its inline worker: every upload ends in a terminal state with a reason, the server keeps
answering, and a good document uploaded afterwards is still indexed."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from tests.processes import flask, free_port, get, gunicorn, post_json, post_multipart, wait_http

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pdfs"
TERMINAL = {"indexed", "needs_ocr", "failed"}


def _manifest() -> list[dict]:
    with open(CORPUS / "manifest.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def server(tmp_path):
    if not (CORPUS / "manifest.csv").exists():
        pytest.skip(f"the shared corpus is missing at {CORPUS}")
    data = tmp_path / "data"
    assert flask(data, "db", "upgrade").returncode == 0
    assert (
        flask(data, "users", "create", "ed@example.org", "--password", "a-long-password").returncode
        == 0
    )
    token = flask(data, "tokens", "create", "ed@example.org").stdout.strip()
    port = free_port()
    env = {"ARCHIVE_WORKER": "inline", "ARCHIVE_EXTRACT_TIME_LIMIT": "60"}
    with gunicorn(data, port, tmp_path / "gunicorn.log", **env) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/", proc=proc)
        yield base, {"Authorization": f"Bearer {token}"}, tmp_path / "gunicorn.log"


def _upload(base, headers, path: Path, title: str):
    fields = {
        "meeting": "12MSP",
        "doc_type": "other",
        "language": "en",
        "title": title,
        "status": "published",
    }
    return post_multipart(base + "/api/v1/documents", fields, path.name, path.read_bytes(), headers)


def _wait_terminal(base, headers, ids: list[int], timeout: float) -> dict[int, dict]:
    deadline = time.monotonic() + timeout
    while True:
        files = {}
        for doc_id in ids:
            status, body = get(f"{base}/api/v1/documents/{doc_id}", headers)
            assert status == 200
            files[doc_id] = json.loads(body)["files"][0]
        if all(f["text_status"] in TERMINAL for f in files.values()) or time.monotonic() > deadline:
            return files
        assert get(base + "/")[0] == 200  # the web process keeps answering meanwhile
        time.sleep(1)


def test_hostile_corpus_through_the_worker(server):
    base, headers, log = server
    assert post_json(base + "/api/v1/meetings", {"code": "12MSP", "title": "T"}, headers)[0] == 201
    uploaded, refused = {}, {}
    for row in _manifest():
        status, body = _upload(base, headers, CORPUS / row["file"], row["file"])
        if status == 201:
            uploaded[json.loads(body)["id"]] = row
        else:
            assert status in (400, 415), (row["file"], status, body)
            refused[row["file"]] = json.loads(body)["error"]["message"]
    # only files whose bytes lack a PDF header in the first kilobyte are refused at the door
    for name in refused:
        row = next(r for r in _manifest() if r["file"] == name)
        assert int(row["pdf_header_offset"]) not in range(0, 1020), (name, refused[name])

    files = _wait_terminal(base, headers, list(uploaded), timeout=600)
    stuck = {
        uploaded[i]["file"]: f["text_status"]
        for i, f in files.items()
        if f["text_status"] not in TERMINAL
    }
    assert not stuck, f"not finished: {stuck}\n{log.read_text()[-3000:]}"
    for doc_id, file in files.items():
        if file["text_status"] != "indexed":
            assert file["text_reason"], uploaded[doc_id]["file"]
        expected = uploaded[doc_id]["expected_archive_behaviour"]
        if expected == "text_extractable":
            assert file["text_status"] == "indexed", (uploaded[doc_id]["file"], file)
        if expected in ("broken_should_be_rejected_cleanly", "encrypted_needs_user_password"):
            assert file["text_status"] == "failed", (uploaded[doc_id]["file"], file)
        if expected == "image_only_needs_ocr":
            assert file["text_status"] == "needs_ocr", (uploaded[doc_id]["file"], file)

    good = Path(__file__).parent / "good.pdf"
    from archive.demo.pdfs import make_pdf

    good.write_bytes(make_pdf(["After the storm, the quinquennial review was adopted."]))
    try:
        status, body = _upload(base, headers, good, "Good one")
    finally:
        good.unlink()
    assert status == 201
    doc_id = json.loads(body)["id"]
    assert _wait_terminal(base, headers, [doc_id], timeout=60)[doc_id]["text_status"] == "indexed"
    status, body = get(base + "/api/v1/search?q=quinquennial")
    assert status == 200 and json.loads(body)["total"] == 1
