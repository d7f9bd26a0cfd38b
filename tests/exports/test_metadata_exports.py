"""A meeting's documents as CSV and JSON; the API's document list with filters and pages."""

from __future__ import annotations

import csv
import io

import pytest

from tests.exports.conftest import SECRET_TITLES


@pytest.fixture
def meeting_with_documents(make_meeting, upload, client, auth_headers, pdf_bytes):
    make_meeting("12MSP")
    make_meeting("11MSP", start_date="2023-09-10", end_date="2023-09-13")
    chile = upload(
        ["Chile."], delegation="CHL", symbol="CCM/MSP/2024/10", date="2024-09-10", title="Chile"
    ).get_json()
    client.post(
        f"/api/v1/documents/{chile['id']}/files",
        data={"language": "es", "file": (io.BytesIO(pdf_bytes(["Chile ES."])), "es.pdf")},
        headers=auth_headers,
    )
    upload(["Report."], doc_type="final_report", title="Final report, with a comma")
    upload(["France."], meeting="11MSP", delegation="FRA", title="France")
    return chile["id"]


def test_meeting_documents_csv(client, meeting_with_documents):
    response = client.get("/meetings/12MSP/documents.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "12MSP_documents.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["title"] for r in rows] == ["Final report, with a comma", "Chile"]
    chile = rows[1]
    assert chile["id"] == str(meeting_with_documents)
    assert chile["symbol"] == "CCM/MSP/2024/10"
    assert chile["delegation"] == "CHL" and chile["delegation_name"] == "Chile"
    assert chile["languages"] == "en es"
    assert chile["url"] == f"http://localhost/documents/{meeting_with_documents}"


def test_meeting_documents_json(client, meeting_with_documents):
    body = client.get("/meetings/12MSP/documents.json").get_json()
    assert body["meeting"]["code"] == "12MSP"
    assert body["meeting"]["url"] == "http://localhost/meetings/12MSP"
    assert body["total"] == 2 == len(body["documents"])
    chile = body["documents"][1]
    assert chile["languages"] == ["en", "es"]
    assert {f["language"] for f in chile["files"]} == {"en", "es"}
    for file in chile["files"]:
        assert len(file["sha256"]) == 64
        assert file["download_url"].startswith(
            f"http://localhost/documents/{chile['id']}/download?language="
        )


def test_unknown_or_unpublished_meeting_is_a_404(client, make_meeting, auth_headers):
    make_meeting("13MSP", published=False)
    for url in ("/meetings/13MSP/documents.csv", "/meetings/NOPE/documents.json"):
        assert client.get(url).status_code == 404
        assert client.get(url, headers=auth_headers).status_code == 404


def test_api_document_list_paginates_and_reports_the_total(client, meeting_with_documents):
    first = client.get("/api/v1/documents?per_page=2").get_json()
    assert first["total"] == 3 and first["page"] == 1 and first["per_page"] == 2
    assert len(first["items"]) == 2
    second = client.get("/api/v1/documents?per_page=2&page=2").get_json()
    assert len(second["items"]) == 1
    ids = [d["id"] for d in first["items"] + second["items"]]
    assert len(set(ids)) == 3
    assert client.get("/api/v1/documents?per_page=2&page=3").get_json()["items"] == []


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("meeting=12MSP", {"Chile", "Final report, with a comma"}),
        ("meeting=11MSP", {"France"}),
        ("doc_type=final_report", {"Final report, with a comma"}),
        ("language=es", {"Chile"}),
        ("delegation=chl", {"Chile"}),
        ("meeting=12MSP&delegation=FRA", set()),
    ],
)
def test_api_document_list_filters(client, meeting_with_documents, query, titles):
    body = client.get(f"/api/v1/documents?{query}").get_json()
    assert {d["title"] for d in body["items"]} == titles
    assert body["total"] == len(titles)


@pytest.mark.parametrize(
    ("query", "field"),
    [("doc_type=memo", "doc_type"), ("language=xx1", "language"), ("per_page=0", "per_page")],
)
def test_api_document_list_refuses_bad_parameters(client, query, field):
    response = client.get(f"/api/v1/documents?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field


def test_api_list_shows_drafts_to_staff_only(client, hidden_and_public, auth_headers):
    public = client.get("/api/v1/documents").get_json()
    assert [d["id"] for d in public["items"]] == [hidden_and_public["public"]]
    staff = client.get("/api/v1/documents", headers=auth_headers).get_json()
    seen = {d["id"] for d in staff["items"]}
    assert {hidden_and_public[k] for k in ("draft", "withdrawn", "hidden_meeting")} <= seen
    assert hidden_and_public["trashed"] not in seen


def test_metadata_exports_hold_nothing_hidden(client, hidden_and_public):
    for url in ("/meetings/12MSP/documents.csv", "/meetings/12MSP/documents.json"):
        text = client.get(url).get_data(as_text=True)
        assert "Chile on clearance deadlines" in text
        assert not any(secret in text for secret in SECRET_TITLES), url


def test_pages_offer_the_exports(client, meeting_with_documents, run_jobs):
    meeting = client.get("/meetings/12MSP").get_data(as_text=True)
    for link in (
        "/meetings/12MSP/download.zip",
        "/meetings/12MSP/documents.csv",
        "/meetings/12MSP/documents.json",
        "/feeds/documents.atom?meeting=12MSP",
    ):
        assert f'href="{link}"' in meeting, link
    delegation = client.get("/delegations/CHL").get_data(as_text=True)
    assert 'href="/delegations/CHL/download.zip"' in delegation
    run_jobs()
    search = client.get("/search?q=Chile&meeting=12MSP&page=1").get_data(as_text=True)
    assert 'href="/search/download.zip?q=Chile&amp;meeting=12MSP"' in search
