"""Enumerating drafts (and trashed documents, and documents of unpublished meetings) by
id, by hash and by search: the public gets the same 404 as for an id that never existed,
and no listing, search, facet, feed, harvest or export counts them."""

from __future__ import annotations

import hashlib
import re

import pytest

SECRET_WORD = "zanzibarquokka"
NEVER = 987654


@pytest.fixture
def hidden(app, client, make_meeting, upload, auth_headers, pdf_bytes, run_jobs) -> dict:
    make_meeting("12MSP")
    make_meeting("13MSP", published=False)
    ids = {"public": upload(["Clearance deadlines."], delegation="CHL").get_json()["id"]}
    drafts = {
        "draft": {"status": "draft"},
        "trashed": {},
        "hidden_meeting": {"meeting": "13MSP"},
    }
    shas = {}
    for key, fields in drafts.items():
        content = pdf_bytes([f"{SECRET_WORD} {key} clearance."])
        shas[key] = hashlib.sha256(content).hexdigest()
        response = upload(data=content, title=f"{SECRET_WORD} {key}", delegation="PER", **fields)
        assert response.status_code == 201
        ids[key] = response.get_json()["id"]
    assert (
        client.delete(f"/api/v1/documents/{ids['trashed']}", headers=auth_headers).status_code
        == 204
    )
    run_jobs()
    return {"ids": ids, "shas": shas}


def _normalised(body: str, doc_id: int) -> str:
    """The body with the asked id replaced (a 404 may name the id it was asked for)."""
    return re.sub(rf"(?<=documents/){doc_id}\b|(?<=id ){doc_id}\b", "ID", body)


URLS = [
    "/documents/{id}",
    "/documents/{id}/download",
    "/documents/{id}/download?attachment=1",
    "/documents/{id}/download?language=en&version=final",
    "/documents/{id}/thumbnail",
    "/documents/{id}/cite?format=bibtex",
    "/api/v1/documents/{id}",
]


def test_hidden_documents_are_the_same_404_as_none(client, hidden):
    for key in ("draft", "trashed", "hidden_meeting"):
        doc = hidden["ids"][key]
        for url in URLS:
            hidden_response = client.get(url.format(id=doc), buffered=True)
            never = client.get(url.format(id=NEVER), buffered=True)
            assert hidden_response.status_code == never.status_code == 404, (key, url)
            assert _normalised(hidden_response.get_data(as_text=True), doc) == _normalised(
                never.get_data(as_text=True), NEVER
            ), (key, url)
            assert hidden_response.headers.get("Content-Type") == never.headers.get("Content-Type")
            assert "ETag" not in hidden_response.headers


def test_oai_answers_a_hidden_id_as_a_missing_one(client, hidden):
    def record(doc_id: int) -> str:
        response = client.get(
            "/oai",
            query_string={
                "verb": "GetRecord",
                "metadataPrefix": "oai_dc",
                "identifier": f"oai:localhost:documents/{doc_id}",
            },
        )
        body = response.get_data(as_text=True)
        return re.sub(r"<responseDate>[^<]*</responseDate>", "", _normalised(body, doc_id))

    for key in ("draft", "trashed", "hidden_meeting"):
        assert record(hidden["ids"][key]) == record(NEVER)
        assert "idDoesNotExist" in record(hidden["ids"][key])


def _no_secret(body: str, where: str, *, echoed: bool = False) -> None:
    """No hidden title or text; `echoed`: the page repeats the query, but nothing found."""
    if echoed:
        assert not re.search(rf"{SECRET_WORD}(</mark>)? (draft|trashed|hidden_meeting)", body)
    else:
        assert SECRET_WORD not in body, where


def test_search_finds_nothing_hidden(client, hidden):
    for query in (SECRET_WORD, f"{SECRET_WORD}*", "draft", "trashed", "clearance"):
        body = client.get("/api/v1/search", query_string={"q": query}).get_json()
        ids = [i["document_id"] for i in body["items"]]
        assert set(ids) <= {hidden["ids"]["public"]}, query
        _no_secret(str(body), query)
        assert "PER" not in body["facets"]["delegation"]  # facets count nothing hidden
        assert "13MSP" not in body["facets"]["meeting"]
        for page in (
            f"/search?q={query}",
            f"/feeds/documents.atom?q={query}",
            f"/search/download.zip?q={query}",
        ):
            body = client.get(page, buffered=True).data.decode("utf-8", "replace")
            _no_secret(body, page, echoed=True)
    assert client.get("/api/v1/search", query_string={"q": SECRET_WORD}).get_json()["total"] == 0


def test_hashes_find_nothing_hidden(client, hidden):
    """No route looks a file up by its SHA-256; search and listings do not know them either."""
    for sha in hidden["shas"].values():
        body = client.get("/api/v1/search", query_string={"q": sha}).get_json()
        assert body["total"] == 0
        for url in (
            "/api/v1/documents?per_page=500",
            "/meetings/12MSP/documents.json",
            "/oai?verb=ListRecords&metadataPrefix=oai_dc",
            "/feeds/documents.atom",
            "/sitemap.xml",
            "/sitemaps/1.xml",
        ):
            response = client.get(url, buffered=True)
            assert sha not in response.get_data(as_text=True), url
        response = client.get(f"/documents/{sha}/download")
        assert response.status_code == 404


def test_listings_and_exports_hold_nothing_hidden(client, hidden):
    for url in (
        "/",
        "/meetings/12MSP",
        "/delegations/PER",
        "/api/v1/meetings",
        "/api/v1/meetings/12MSP",
        "/api/v1/documents?delegation=PER",
        "/meetings/12MSP/documents.csv",
        "/meetings/12MSP/documents.json",
        "/meetings/12MSP/download.zip",
        "/delegations/PER/download.zip",
        "/feeds/documents.atom",
        "/oai?verb=ListRecords&metadataPrefix=oai_dc",
        "/oai?verb=ListIdentifiers&metadataPrefix=oai_dc",
        "/sitemaps/1.xml",
    ):
        response = client.get(url, buffered=True)
        assert response.status_code in (200, 404), url
        _no_secret(response.data.decode("utf-8", "replace"), url)
    for url in (
        "/meetings/13MSP",
        "/api/v1/meetings/13MSP",
        "/meetings/13MSP/download.zip",
        "/meetings/13MSP/documents.csv",
    ):
        assert client.get(url).status_code == 404, url
