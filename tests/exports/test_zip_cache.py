"""Built ZIPs kept as files: the same bytes as streamed, served again as files, keyed by content."""

from __future__ import annotations

import datetime
import gc
import io
import os
import time
import zipfile
from pathlib import Path

import pytest

from archive.delegations.models import Delegation
from archive.exports.storedzip import StoredZip, ZipEntry
from archive.extensions import db
from archive.meetings.models import Meeting
from archive.stores import blob_store, zip_cache

URL = "/meetings/12MSP/download.zip"


def _cache_dir(data_dir: Path) -> Path:
    return data_dir / "cache" / "zips"


def _kept(data_dir: Path) -> list[Path]:
    return sorted(_cache_dir(data_dir).glob("*.zip"))


def _temps(data_dir: Path) -> list[Path]:
    return sorted((_cache_dir(data_dir) / "tmp").glob("*"))


def _get(client, url: str = URL, **headers):
    return client.get(url, buffered=True, headers=headers)


@pytest.fixture
def meeting(make_meeting, add_documents):
    make_meeting("12MSP")
    return add_documents("12MSP", 5, padding=50_000)


def test_first_download_is_kept_byte_for_byte_and_served_again_from_the_file(
    client, meeting, data_dir
):
    first = _get(client)
    assert first.status_code == 200
    assert first.headers["ETag"].strip('"') and "Accept-Ranges" not in first.headers
    [kept] = _kept(data_dir)
    assert kept.read_bytes() == first.data
    assert kept.name == f"meeting.12MSP.public.{first.headers['ETag'].strip(chr(34))}.zip"
    assert zipfile.ZipFile(io.BytesIO(first.data)).testzip() is None
    assert _temps(data_dir) == []
    before = kept.stat()
    os.utime(kept, ns=(1, before.st_mtime_ns))  # as if last served long ago

    again = _get(client)
    assert again.status_code == 200 and again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Accept-Ranges"] == "bytes"  # send_file's response
    assert int(again.headers["Content-Length"]) == len(first.data)
    assert "12MSP_documents.zip" in again.headers["Content-Disposition"]
    assert again.headers["Cache-Control"] == "public, no-cache"
    after = kept.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert after.st_atime_ns > 1  # marked as used (the cache's own mark: noatime is no matter)


def test_the_bytes_do_not_depend_on_when_or_from_what_file_times_they_are_built(
    app, client, meeting, data_dir
):
    first = _get(client).data
    for kept in _kept(data_dir):
        kept.unlink()
    with app.app_context():  # blobs restored from a backup have new times
        for digest in blob_store().iter_digests():
            os.utime(blob_store().path(digest), (1_000_000, 1_000_000))
    time.sleep(2.1)  # past a DOS timestamp's two seconds
    rebuilt = _get(client)
    assert "Accept-Ranges" not in rebuilt.headers  # streamed again
    assert rebuilt.data == first
    archive = zipfile.ZipFile(io.BytesIO(first))
    upload_day = datetime.datetime.now(datetime.UTC).timetuple()[:3]
    assert {info.date_time[:3] for info in archive.infolist()} <= {upload_day, (1980, 1, 1)}


def _change_and_compare(client, data_dir, change) -> None:
    before = _get(client)
    change()
    after = _get(client)
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.data != before.data
    [kept] = _kept(data_dir)  # the older build of the meeting is gone
    assert kept.read_bytes() == after.data


def test_every_change_to_the_meeting_gives_a_new_key_and_new_bytes(
    app, client, meeting, data_dir, upload, auth_headers, pdf_bytes
):
    document = meeting[0]

    def new_document():
        assert upload(["Another statement."], title="New one").status_code == 201

    def new_version():
        response = client.post(
            f"/api/v1/documents/{document}/files",
            data={
                "language": "en",
                "version_label": "rev.1",
                "file": (io.BytesIO(pdf_bytes(["Revised."])), "r.pdf"),
            },
            headers=auth_headers,
        )
        assert response.status_code == 201, response.get_json()

    def new_language():
        response = client.post(
            f"/api/v1/documents/{document}/files",
            data={"language": "fr", "file": (io.BytesIO(pdf_bytes(["Français."])), "fr.pdf")},
            headers=auth_headers,
        )
        assert response.status_code == 201, response.get_json()

    def patch(**fields):
        def do():
            response = client.patch(
                f"/api/v1/documents/{document}", json=fields, headers=auth_headers
            )
            assert response.status_code == 200, response.get_json()

        return do

    def meeting_title():
        with app.app_context():
            db.session.scalars(db.select(Meeting)).one().title = "Renamed meeting"
            db.session.commit()

    def delegation_name():  # in the file names and the manifests
        with app.app_context():
            db.session.scalars(db.select(Delegation).filter_by(code="CHL")).one().name = "Chili"
            db.session.commit()

    for change in (
        new_document,
        new_version,
        new_language,
        patch(title="A better title"),
        patch(status="draft"),
        patch(status="published"),
        patch(status="withdrawn"),
        patch(status="published", delegation="CHL"),
        delegation_name,
        meeting_title,
    ):
        _change_and_compare(client, data_dir, change)


def test_unpublished_document_leaves_the_kept_zip(client, meeting, data_dir, auth_headers):
    before = zipfile.ZipFile(io.BytesIO(_get(client).data))
    assert len([n for n in before.namelist() if n.endswith(".pdf")]) == 5
    client.patch(f"/api/v1/documents/{meeting[0]}", json={"status": "draft"}, headers=auth_headers)
    for _ in range(2):  # streamed, then from the file
        after = zipfile.ZipFile(io.BytesIO(_get(client).data))
        assert len([n for n in after.namelist() if n.endswith(".pdf")]) == 4
        assert f'"document_id": {meeting[0]},' not in after.read("manifest.json").decode()


def test_range_and_if_range_on_the_kept_zip(client, meeting, data_dir):
    whole = _get(client)
    etag = whole.headers["ETag"]
    part = _get(client, Range="bytes=1000-1999")
    assert part.status_code == 206
    assert part.data == whole.data[1000:2000]
    assert part.headers["Content-Range"] == f"bytes 1000-1999/{len(whole.data)}"
    resumed = _get(client, Range="bytes=5000-", **{"If-Range": etag})
    assert resumed.status_code == 206 and resumed.data == whole.data[5000:]
    stale = _get(client, Range="bytes=5000-", **{"If-Range": '"' + "0" * 64 + '"'})
    assert stale.status_code == 200 and stale.data == whole.data


def test_if_none_match_is_304_whether_kept_or_not(app, client, meeting, data_dir):
    etag = _get(client).headers["ETag"]
    assert _get(client, **{"If-None-Match": etag}).status_code == 304
    for kept in _kept(data_dir):
        kept.unlink()
    not_modified = _get(client, **{"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert _kept(data_dir) == [] and _temps(data_dir) == []
    assert _get(client, **{"If-None-Match": '"other"'}).status_code == 200


def test_a_first_download_stopped_halfway_keeps_nothing(client, meeting, data_dir):
    response = client.get(URL, buffered=False)
    chunks = iter(response.response)
    received = 0
    while received < 120_000:
        received += len(next(chunks))
    assert len(_temps(data_dir)) == 1  # being written alongside
    response.close()
    del chunks
    gc.collect()
    assert _kept(data_dir) == [] and _temps(data_dir) == []
    assert _get(client).status_code == 200 and len(_kept(data_dir)) == 1


def test_two_first_downloads_at_once_keep_one_whole_file(client, meeting, data_dir):
    one = client.get(URL, buffered=False)
    first = iter(one.response)
    head = next(first)  # the first is writing its temp file now
    two = client.get(URL, buffered=True)  # sees it and only streams
    assert len(_temps(data_dir)) == 1 and _kept(data_dir) == []
    body = head + b"".join(first)
    one.close()
    assert body == two.data
    [kept] = _kept(data_dir)
    assert kept.read_bytes() == body and _temps(data_dir) == []


def test_the_cache_keeps_the_recently_served_within_its_cap(
    app, client, make_meeting, add_documents, data_dir
):
    sizes = {}
    for code in ("A1", "B2", "C3"):
        make_meeting(code)
        add_documents(code, 2, padding=40_000)
        sizes[code] = len(_get(client, f"/meetings/{code}/download.zip").data)
    with app.app_context():
        zip_cache().evict()  # nothing over the default cap
        zip_cache().max_bytes = sizes["A1"] + sizes["B2"] + 1000
    assert len(_kept(data_dir)) == 3
    for kept in _kept(data_dir):
        kept.unlink()

    def download(code: str) -> None:
        assert _get(client, f"/meetings/{code}/download.zip").status_code == 200
        time.sleep(0.01)  # distinct access times

    download("A1")
    download("B2")
    download("A1")  # A1 served again: B2 is now the least recently used
    download("C3")
    assert [p.name.split(".")[1] for p in _kept(data_dir)] == ["A1", "C3"]

    with app.app_context():
        zip_cache().max_bytes = min(sizes.values()) - 1  # too large to keep at all
    for kept in _kept(data_dir):
        kept.unlink()
    download("B2")
    assert _kept(data_dir) == [] and _temps(data_dir) == []


def test_delegation_zip_is_kept_and_search_zip_is_not(app, client, make_meeting, upload, data_dir):
    make_meeting("12MSP")
    upload(["Chile."], delegation="CHL")
    etag = _get(client, "/delegations/CHL/download.zip").headers["ETag"].strip('"')
    assert [p.name.split(".")[:2] for p in _kept(data_dir)] == [["delegation", "CHL"]]
    from archive.exports import zips

    with app.test_request_context("/delegations/CHL/download.zip"):  # found again by its rows
        delegation = db.session.scalars(db.select(Delegation).filter_by(code="CHL")).one()
        fingerprint = zips.contents_fingerprint(
            zips.delegation_public_documents(delegation), delegation
        )
        assert fingerprint == zips.built_fingerprint(
            zips.delegation_export_documents(delegation), delegation
        )
        assert app.extensions["archive.zip_keys"].get(fingerprint) == etag
    _get(client, "/search/download.zip?meeting=12MSP")
    assert len(_kept(data_dir)) == 1


def test_check_leaves_kept_zips_alone_and_repair_removes_abandoned_ones(
    runner, client, meeting, data_dir, dead_pid
):
    _get(client)
    tmp = _cache_dir(data_dir) / "tmp"
    abandoned = tmp / f"{os.uname().nodename}~{dead_pid}~meeting.12MSP.public.{'a' * 64}.x.tmp"
    abandoned.write_bytes(b"PK half")
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert abandoned.exists() and len(_kept(data_dir)) == 1
    result = runner.invoke(args=["check", "--repair"])
    assert result.exit_code == 0, result.output
    assert "half-written ZIPs" in result.output
    assert not abandoned.exists() and len(_kept(data_dir)) == 1


def test_backups_leave_kept_zips_out_and_restore_force_removes_them(
    app, client, meeting, data_dir, tmp_path
):
    from archive.backup.services import create_backup, restore_backup

    _get(client)
    with app.app_context():
        create_backup(tmp_path / "backup")
    assert not [p for p in (tmp_path / "backup").rglob("*") if p.suffix == ".zip"]
    with app.app_context():
        restore_backup(tmp_path / "backup", force=True)
        db.session.remove()
    assert _kept(data_dir) == []
    assert _get(client).status_code == 200 and len(_kept(data_dir)) == 1


# --- the writer and the store, directly -----------------------------------------------------


def _entries(contents: list[bytes]) -> list[ZipEntry]:
    moment = datetime.datetime(2024, 9, 10, 14, 30, 12)
    return [
        ZipEntry(f"dir/f{i}.pdf", len(data), moment, f"d{i}", lambda d=data: [d[:7], d[7:]])
        for i, data in enumerate(contents)
    ]


@pytest.mark.parametrize("limit", [(1 << 31) - 1, 100])
def test_stored_zip_reads_back_with_zipfile_with_and_without_zip64(limit):
    contents = [os.urandom(n) for n in (0, 10, 150, 3000)]
    archive = StoredZip(_entries(contents), zip64_limit=limit)
    data = b"".join(archive)
    assert len(data) == len(archive)
    opened = zipfile.ZipFile(io.BytesIO(data))
    assert opened.testzip() is None
    assert [opened.read(f"dir/f{i}.pdf") for i in range(4)] == contents
    assert opened.getinfo("dir/f1.pdf").date_time == (2024, 9, 10, 14, 30, 12)
    assert b"".join(StoredZip(_entries(contents), zip64_limit=limit)) == data


def test_stored_zip_refuses_an_entry_of_another_size():
    entry = ZipEntry("a.pdf", 5, datetime.datetime(2024, 1, 1), "d", lambda: [b"abc"])
    with pytest.raises(ValueError, match="3 bytes, not the 5"):
        b"".join(StoredZip([entry]))


def test_the_key_changes_with_each_thing_that_shapes_the_bytes():
    base = _entries([b"0123456789"])[0]
    keys = {
        StoredZip([e]).key
        for e in (
            base,
            ZipEntry("other.pdf", base.size, base.modified, "d0", base.chunks),
            ZipEntry(base.name, base.size, datetime.datetime(2020, 1, 1), "d0", base.chunks),
            ZipEntry(base.name, base.size, base.modified, "other", base.chunks),
        )
    }
    assert len(keys) == 4


def test_a_kept_zip_is_found_by_the_fingerprint_of_the_rows_it_was_built_from(
    app, client, make_meeting, upload, auth_headers, pdf_bytes
):
    from archive.exports import metadata, zips
    from archive.meetings.services import get_meeting

    make_meeting("12MSP")
    chile = upload(["Chile."], delegation="CHL", version_label="advance").get_json()["id"]
    for language, version in (("en", "final"), ("es", "final")):
        client.post(
            f"/api/v1/documents/{chile}/files",
            data={
                "language": language,
                "version_label": version,
                "file": (io.BytesIO(pdf_bytes([f"Chile {language}."])), "c.pdf"),
            },
            headers=auth_headers,
        )
    upload(["No delegation."], doc_type="final_report", title="Report")
    upload(["Draft."], title="DRAFT-SECRET", status="draft")
    etag = _get(client).headers["ETag"].strip('"')
    with app.test_request_context(URL):
        meeting = get_meeting("12MSP", None)
        selection = metadata.meeting_public_documents(meeting)
        documents = metadata.meeting_export_documents(meeting)
        fingerprint = zips.contents_fingerprint(selection, meeting)
        assert fingerprint == zips.built_fingerprint(documents, meeting)
        assert app.extensions["archive.zip_keys"].get(fingerprint) == etag
        other = zips.built_fingerprint(documents[1:], meeting)
        assert other != fingerprint
    with app.test_request_context(URL, base_url="https://archive.example.org"):
        meeting = get_meeting("12MSP", None)
        assert zips.contents_fingerprint(selection, meeting) != fingerprint  # other URLs
