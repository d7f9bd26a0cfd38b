"""Meeting, delegation and search ZIPs: complete, hashed, streamed, nothing hidden."""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import tracemalloc
import zipfile

import pytest

from tests.exports.conftest import SECRET_TITLES


def _zip(client, url: str) -> tuple[zipfile.ZipFile, object]:
    response = client.get(url, buffered=True)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/zip"
    assert int(response.headers["Content-Length"]) == len(response.data)
    return zipfile.ZipFile(io.BytesIO(response.data)), response


def _manifests(archive: zipfile.ZipFile) -> tuple[list[dict], dict]:
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    return rows, json.loads(archive.read("manifest.json"))


def test_meeting_zip_of_200_files_is_complete_and_hashed(client, make_meeting, add_documents):
    make_meeting("12MSP")
    ids = add_documents("12MSP", 200)
    add_documents("12MSP", 3, status="draft", title="DRAFT-SECRET")
    archive, response = _zip(client, "/meetings/12MSP/download.zip")
    assert archive.testzip() is None
    assert 'filename="12MSP_documents.zip"' in response.headers["Content-Disposition"] or (
        "filename=12MSP_documents.zip" in response.headers["Content-Disposition"]
    )
    rows, manifest = _manifests(archive)
    pdfs = sorted(n for n in archive.namelist() if n.endswith(".pdf"))
    assert archive.namelist()[:2] == ["manifest.csv", "manifest.json"]
    assert sorted(r["path"] for r in rows) == pdfs == sorted(f["path"] for f in manifest["files"])
    assert len(pdfs) == 200 and len(set(pdfs)) == 200
    assert {int(r["document_id"]) for r in rows} == set(ids)
    for row in rows:
        data = archive.read(row["path"])
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert len(data) == int(row["size"])
        assert row["path"].startswith("Statements/12MSP_Statement_EN")
        assert row["download_url"].startswith("http://localhost/documents/")
    assert manifest["file_count"] == 200 and manifest["document_count"] == 200
    assert manifest["source"]["code"] == "12MSP"
    assert "DRAFT-SECRET" not in archive.read("manifest.csv").decode()


def test_folders_by_type_and_readable_names(client, make_meeting, upload, auth_headers, pdf_bytes):
    make_meeting("12MSP")
    chile = upload(["Chile."], delegation="CHL").get_json()
    client.post(
        f"/api/v1/documents/{chile['id']}/files",
        data={"language": "es", "file": (io.BytesIO(pdf_bytes(["Chile ES."])), "es.pdf")},
        headers=auth_headers,
    )
    upload(["Report."], doc_type="final_report", title="Final report")
    upload(["Paper."], doc_type="working_paper", title="A paper", delegation="FRA")
    archive, _ = _zip(client, "/meetings/12MSP/download.zip")
    assert set(archive.namelist()) == {
        "manifest.csv",
        "manifest.json",
        "Statements/12MSP_Statement_Chile_EN.pdf",
        "Statements/12MSP_Statement_Chile_ES.pdf",
        "Final Report/12MSP_FinalReport_EN.pdf",
        "Working Papers/12MSP_WorkingPaper_France_EN.pdf",
    }


def test_two_documents_with_the_same_name_both_arrive(client, make_meeting, upload):
    make_meeting("12MSP")
    first = upload(["One."], delegation="CHL").get_json()["id"]
    second = upload(["Two."], delegation="CHL", title="Another").get_json()["id"]
    archive, _ = _zip(client, "/meetings/12MSP/download.zip")
    names = {n for n in archive.namelist() if n.endswith(".pdf")}
    assert len(names) == 2
    assert any(str(second) in n or str(first) in n for n in names)


def test_only_current_versions_are_in_the_zip(
    client, make_meeting, upload, auth_headers, pdf_bytes
):
    make_meeting("12MSP")
    doc = upload(["Advance."], version_label="advance").get_json()
    final = pdf_bytes(["Final version."])
    client.post(
        f"/api/v1/documents/{doc['id']}/files",
        data={"language": "en", "version_label": "final", "file": (io.BytesIO(final), "f.pdf")},
        headers=auth_headers,
    )
    archive, _ = _zip(client, "/meetings/12MSP/download.zip")
    rows, _ = _manifests(archive)
    assert [r["version_label"] for r in rows] == ["final"]
    assert archive.read(rows[0]["path"]) == final
    assert rows[0]["download_url"].endswith("version=final")


def _memory(client, url: str) -> dict[str, int]:
    """Memory of one streamed ZIP: what the request leaves held when the body starts, what
    reading the body adds at most, the peak of it all, and the bytes sent."""
    gc.collect()
    tracemalloc.start()
    response = client.get(url, buffered=False)
    gc.collect()  # what the request let go of (its database rows), let it go now
    held, request_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    sent = 0
    for chunk in response.response:  # chunk by chunk, as a server sends them
        sent += len(chunk)
    _, body_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    response.close()
    return {
        "held": held,
        "streaming": body_peak - held,
        "peak": max(request_peak, body_peak),
        "sent": sent,
    }


def test_streaming_memory_does_not_grow_with_the_meeting(client, make_meeting, add_documents):
    make_meeting("SMALL")
    make_meeting("LARGE")
    add_documents("SMALL", 20, padding=100_000)
    add_documents("LARGE", 200, padding=100_000)
    _memory(client, "/meetings/SMALL/download.zip")  # warm up imports and caches
    small = _memory(client, "/meetings/SMALL/download.zip")
    large = _memory(client, "/meetings/LARGE/download.zip")
    print(f"\n20 files: {small}\n200 files: {large}")
    assert large["sent"] > 9 * small["sent"] > 9 * 2_000_000
    # reading the body adds a 64 KB read buffer and, per file, its central directory entry
    assert large["streaming"] < small["streaming"] + 192 * 1024
    assert large["streaming"] < large["sent"] / 50
    # the request holds one manifest row per file (about a kilobyte), never the files
    assert large["held"] < 200 * 4096
    assert large["peak"] < large["sent"] / 5


def test_unpublished_meeting_has_no_zip(client, make_meeting, upload, auth_headers):
    make_meeting("13MSP", published=False)
    upload(meeting="13MSP")
    assert client.get("/meetings/13MSP/download.zip", buffered=True).status_code == 404
    assert (
        client.get("/meetings/13MSP/download.zip", buffered=True, headers=auth_headers).status_code
        == 404
    )
    assert client.get("/meetings/NOPE/download.zip", buffered=True).status_code == 404


def test_delegation_zip_spans_meetings_in_folders(client, make_meeting, upload):
    make_meeting("11MSP", start_date="2023-09-10", end_date="2023-09-13")
    make_meeting("12MSP")
    upload(["Chile 11."], meeting="11MSP", delegation="CHL")
    upload(["Chile 12."], meeting="12MSP", delegation="CHL")
    upload(["France 12."], meeting="12MSP", delegation="FRA", title="France")
    archive, response = _zip(client, "/delegations/chl/download.zip")
    assert "CHL_documents.zip" in response.headers["Content-Disposition"]
    assert sorted(n for n in archive.namelist() if n.endswith(".pdf")) == [
        "11MSP/Statements/11MSP_Statement_Chile_EN.pdf",
        "12MSP/Statements/12MSP_Statement_Chile_EN.pdf",
    ]
    _, manifest = _manifests(archive)
    assert manifest["source"] == {
        "kind": "delegation",
        "code": "CHL",
        "name": "Chile",
        "url": "http://localhost/delegations/CHL",
    }


def test_search_zip_is_capped_and_says_so(app, client, make_meeting, upload, run_jobs):
    app.config["EXPORT_ZIP_MAX_DOCUMENTS"] = 2
    make_meeting("12MSP")
    for name in ("CHL", "FRA", "MEX"):
        upload([f"Clearance deadlines, said {name}."], delegation=name, title=f"{name} statement")
    upload(["Nothing on the topic."], title="Unrelated")
    run_jobs()
    archive, response = _zip(client, "/search/download.zip?q=clearance")
    assert response.headers["X-Archive-Document-Cap"] == "2"
    assert response.headers["X-Archive-Documents-Matched"] == "3"
    assert response.headers["X-Archive-Documents-Included"] == "2"
    rows, manifest = _manifests(archive)
    assert len(rows) == 2
    assert manifest["cap"] == 2 and manifest["matched"] == 3 and manifest["truncated"] is True
    assert manifest["source"]["query"] == {"q": "clearance"}
    assert all(r["path"].startswith("12MSP/Statements/") for r in rows)


def test_search_zip_keeps_the_language_asked_for(
    client, make_meeting, upload, auth_headers, pdf_bytes, run_jobs
):
    make_meeting("12MSP")
    doc = upload(["Clearance."], delegation="CHL").get_json()
    client.post(
        f"/api/v1/documents/{doc['id']}/files",
        data={"language": "fr", "file": (io.BytesIO(pdf_bytes(["Dépollution."])), "fr.pdf")},
        headers=auth_headers,
    )
    run_jobs()
    archive, _ = _zip(client, "/search/download.zip?meeting=12MSP&language=fr")
    rows, _ = _manifests(archive)
    assert [r["language"] for r in rows] == ["fr"]


@pytest.mark.parametrize("query", ["", "?q=", "?doc_type=nonsense", "?language=xx1"])
def test_search_zip_needs_a_valid_search(client, query):
    response = client.get(f"/search/download.zip{query}", buffered=True)
    assert response.status_code == 400


def test_zips_hold_nothing_hidden(client, hidden_and_public, run_jobs):
    run_jobs()
    public = hidden_and_public["public"]
    for url in (
        "/meetings/12MSP/download.zip",
        "/delegations/CHL/download.zip",
        "/search/download.zip?meeting=12MSP",
        "/search/download.zip?q=text",
    ):
        archive, _ = _zip(client, url)
        rows, manifest = _manifests(archive)
        text = archive.read("manifest.csv").decode() + archive.read("manifest.json").decode()
        assert not any(secret in text for secret in SECRET_TITLES), url
        assert {int(r["document_id"]) for r in rows} <= {public}, url
    for code in ("PER", "FRA", "MEX", "NOR"):
        archive, _ = _zip(client, f"/delegations/{code}/download.zip")
        assert archive.namelist() == ["manifest.csv", "manifest.json"]


def test_a_download_stopped_halfway_leaves_no_open_file(client, make_meeting, add_documents):
    make_meeting("12MSP")
    add_documents("12MSP", 3, padding=200_000)
    response = client.get("/meetings/12MSP/download.zip", buffered=False)
    chunks = iter(response.response)
    received = 0
    while received < 300_000:  # into the second PDF, then the client goes away
        received += len(next(chunks))
    response.close()
    del chunks
    gc.collect()  # an unclosed blob would warn here (ResourceWarning is an error)
