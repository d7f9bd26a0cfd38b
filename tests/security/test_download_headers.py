"""Downloads carry X-Content-Type-Options: nosniff and a restrictive Content-Security-Policy.

Anything that is not a page (attachments, ZIPs, CSV, JSON, citations, feeds, OAI, the
sitemap) gets `default-src 'none'; sandbox`: a browser talked into rendering it runs
nothing. A PDF shown inline (the default, so that search results open it at `#page=N`)
gets `default-src 'none'` without `sandbox`: every browser's PDF viewer refuses to run in
a sandboxed document. Its type is always application/pdf, whatever bytes follow `%PDF-`.
"""

from __future__ import annotations

import pytest

from archive.templating import DOWNLOAD_CSP, PDF_VIEW_CSP

POLYGLOT_TAIL = b"\n<html><script>alert(document.domain)</script></html>\n"


@pytest.fixture
def doc(make_meeting, upload, pdf_bytes, run_jobs) -> int:
    make_meeting("12MSP")
    content = pdf_bytes(["Victim assistance."]) + POLYGLOT_TAIL  # still a PDF to the archive
    response = upload(data=content, delegation="CHL")
    assert response.status_code == 201
    run_jobs()
    return response.get_json()["id"]


def _directives(csp: str) -> dict[str, str]:
    parts = (p.strip().split(None, 1) for p in csp.split(";") if p.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def _assert_locked_down(response, url: str) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff", url
    csp = _directives(response.headers["Content-Security-Policy"])
    assert csp["default-src"] == "'none'", url
    assert "sandbox" in csp and csp["sandbox"] == "", url  # no allow-scripts or others


def test_an_inline_pdf_is_locked_down_as_far_as_viewers_allow(client, doc):
    for headers in ({}, {"Range": "bytes=0-99"}):
        response = client.get(f"/documents/{doc}/download", headers=headers, buffered=True)
        assert response.status_code in (200, 206)
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("inline;")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Security-Policy"] == PDF_VIEW_CSP
        csp = _directives(PDF_VIEW_CSP)
        assert csp["default-src"] == "'none'"
        assert "script-src" not in csp  # falls back to 'none'
        assert csp["form-action"] == "'none'" and csp["base-uri"] == "'none'"


def test_a_conditional_get_keeps_the_headers(client, doc):
    first = client.get(f"/documents/{doc}/download", buffered=True)
    again = client.get(
        f"/documents/{doc}/download",
        headers={"If-None-Match": first.headers["ETag"]},
        buffered=True,
    )
    assert again.status_code == 304
    assert again.headers["X-Content-Type-Options"] == "nosniff"
    assert again.headers["Content-Security-Policy"]


def test_attachments_and_exports_are_sandboxed(client, doc):
    urls = [
        f"/documents/{doc}/download?attachment=1",
        "/meetings/12MSP/download.zip",
        "/delegations/CHL/download.zip",
        "/search/download.zip?q=victim",
        "/meetings/12MSP/documents.csv",
        "/meetings/12MSP/documents.json",
        f"/documents/{doc}/cite?format=bibtex",
        f"/documents/{doc}/cite?format=ris",
        f"/documents/{doc}/cite?format=csl-json",
        "/feeds/documents.atom",
        "/oai?verb=Identify",
        "/sitemap.xml",
        "/robots.txt",
        "/api/v1/documents",
        f"/api/v1/documents/{doc}",
        "/api/v1/search?q=victim",
    ]
    for url in urls:
        response = client.get(url, buffered=True)
        assert response.status_code == 200, url
        _assert_locked_down(response, url)
        assert response.headers["Content-Security-Policy"] == DOWNLOAD_CSP, url


def test_pages_keep_their_own_policy(client, doc):
    response = client.get(f"/documents/{doc}")
    csp = _directives(response.headers["Content-Security-Policy"])
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
