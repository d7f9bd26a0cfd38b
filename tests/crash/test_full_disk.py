"""A full disk during an upload: a clear 507, and no row, no blob, no temp file left behind.

The real case mounts a 2 MB tmpfs as the blob store of a live archive (gunicorn, as root);
the in-process case makes the blob store's file write fail with a real ENOSPC.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive.documents.models import Document, File
from archive.extensions import db
from archive.jobs.models import Job
from storage import blobstore
from tests.conftest import multipart, stored_blobs
from tests.load.harness import LiveArchive, big_pdf

SMALL_DISK = "2m"


def _mount_tmpfs(path: Path) -> None:
    path.mkdir(parents=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SMALL_DISK}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})")


@pytest.mark.slow
@pytest.mark.load
def test_full_disk_under_a_live_archive(tmp_path: Path):
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    archive = LiveArchive(tmp_path / "data", tmp_path / "logs")
    disk = archive.data_dir / "blobs"  # the blob store: its blobs and its temp files
    _mount_tmpfs(disk)
    try:
        archive.prepare()
        with archive.web_server(workers=1):
            archive.create_meeting()
            rows = archive.row_counts()
            free_before = shutil.disk_usage(disk).free

            status, body = archive.upload(big_pdf(3 << 20), "Too big for the disk")
            assert status == 507, body[:500]
            error = json.loads(body)["error"]
            assert error["code"] == "insufficient_storage" and error["field"] == "file"
            assert "disk is full" in error["message"]
            assert archive.blob_files() == [] and archive.temp_files() == []
            assert archive.row_counts() == rows
            assert shutil.disk_usage(disk).free == free_before  # the partial file is gone

            status, body = archive.upload(big_pdf(64 << 10, "smallword"), "Fits on the disk")
            assert status == 201, body[:500]
            assert len(archive.blob_files()) == 1
        assert "Traceback" not in archive.log_text()
        assert "no space left for the blob store" in archive.log_text()
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_enospc_from_the_blob_write_is_a_507_and_leaves_nothing(
    app, client, auth_headers, make_meeting, data_dir, monkeypatch
):
    make_meeting("12MSP")
    real_write = blobstore.write_all
    writes = []

    def disk_fills_up(out, chunk):
        """The first chunk fits; then the disk is full (the error the OS gives)."""
        writes.append(len(chunk))
        if len(writes) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(out, chunk)

    monkeypatch.setattr(blobstore, "write_all", disk_fills_up)
    form = {
        "meeting": "12MSP",
        "doc_type": "statement",
        "language": "en",
        "title": "Disk full",
        "status": "published",
    }
    body = multipart(form, "full.pdf", big_pdf(3 << 20))
    response = client.post("/api/v1/documents", headers=auth_headers, **body)
    assert response.status_code == 507
    assert response.get_json()["error"]["code"] == "insufficient_storage"
    assert len(writes) == 2  # it did write, and the second write failed
    assert stored_blobs(data_dir) == []
    with app.app_context():
        for model in (Document, File, Job):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0

    monkeypatch.setattr(blobstore, "write_all", real_write)
    response = client.post("/api/v1/documents", headers=auth_headers, **body)
    assert response.status_code == 201
