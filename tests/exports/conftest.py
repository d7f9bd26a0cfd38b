"""Fixtures for the exports: many documents fast, and an archive with everything hidden."""

from __future__ import annotations

import io

import pytest

#: titles of documents the public must never see in an export
SECRET_TITLES = ("DRAFT-SECRET", "TRASHED-SECRET", "WITHDRAWN-SECRET", "HIDDEN-MEETING-SECRET")


@pytest.fixture
def add_documents(app, pdf_bytes):
    """Add n published documents to a meeting through the upload service; returns their ids.

    A few real PDFs with varied text, each made unique (and `padding` bytes larger) by a
    comment after %%EOF, which PDF readers ignore: hundreds of files in a few seconds.
    """
    from archive.documents.services import create_document

    bases = [pdf_bytes([f"Statement {i} on clearance deadlines."]) for i in range(4)]

    def add(meeting: str, n: int, *, padding: int = 0, **fields) -> list[int]:
        ids = []
        with app.app_context():
            for i in range(n):
                content = bases[i % len(bases)] + f"\n% file {i} of {meeting}\n%".encode()
                metadata = {
                    "meeting": meeting,
                    "doc_type": "statement",
                    "title": f"Statement {i}",
                    "status": "published",
                } | fields
                document = create_document(
                    None,
                    metadata=metadata,
                    language="en",
                    stream=io.BytesIO(content + b"x" * padding + b"\n"),
                    filename=f"{i}.pdf",
                )
                ids.append(document.id)
        return ids

    return add


@pytest.fixture
def hidden_and_public(client, make_meeting, upload, auth_headers):
    """12MSP with a published statement and a draft, a trashed and a withdrawn one; and
    an unpublished meeting with a published document. Returns the documents' ids."""
    make_meeting("12MSP", title="Twelfth Meeting of States Parties")
    make_meeting("13MSP", title="Thirteenth Meeting", published=False)
    ids = {
        "public": upload(
            ["Chile on clearance."],
            title="Chile on clearance deadlines",
            delegation="CHL",
            symbol="CCM/MSP/2024/10",
            date="2024-09-10",
        ).get_json()["id"],
        "draft": upload(
            ["Draft text."], title="DRAFT-SECRET", status="draft", delegation="PER"
        ).get_json()["id"],
        "trashed": upload(["Trashed text."], title="TRASHED-SECRET", delegation="FRA").get_json()[
            "id"
        ],
        "withdrawn": upload(
            ["Withdrawn text."], title="WITHDRAWN-SECRET", delegation="MEX"
        ).get_json()["id"],
        "hidden_meeting": upload(
            ["Hidden text."], meeting="13MSP", title="HIDDEN-MEETING-SECRET", delegation="NOR"
        ).get_json()["id"],
    }
    assert (
        client.delete(f"/api/v1/documents/{ids['trashed']}", headers=auth_headers).status_code
        == 204
    )
    response = client.patch(
        f"/api/v1/documents/{ids['withdrawn']}", json={"status": "withdrawn"}, headers=auth_headers
    )
    assert response.status_code == 200
    return ids
