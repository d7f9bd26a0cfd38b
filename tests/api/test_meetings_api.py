"""The meetings API: list, create, show, with access rules and bad input."""

from __future__ import annotations

import pytest


def test_create_list_and_show_meeting(client, make_meeting):
    created = make_meeting("12MSP", title="Twelfth Meeting of States Parties")
    assert created["code"] == "12MSP"
    assert created["start_date"] == "2024-09-10"

    listing = client.get("/api/v1/meetings").get_json()
    assert listing["total"] == 1
    assert [m["code"] for m in listing["items"]] == ["12MSP"]

    shown = client.get("/api/v1/meetings/12MSP").get_json()
    assert shown["title"] == "Twelfth Meeting of States Parties"
    assert shown["documents"] == [] and shown["recordings"] == []


def test_create_meeting_needs_a_valid_token(client):
    body = {"code": "X", "title": "X"}
    assert client.post("/api/v1/meetings", json=body).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    response = client.post("/api/v1/meetings", json=body, headers=bad)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/api/v1/meetings").get_json()["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "No code"}, "code"),
        ({"code": "12MSP"}, "title"),
        ({"code": "../etc", "title": "Bad code"}, "code"),
        ({"code": "A", "title": "T", "start_date": "10/09/2024"}, "start_date"),
        (
            {"code": "A", "title": "T", "start_date": "2024-09-13", "end_date": "2024-09-10"},
            "end_date",
        ),
    ],
)
def test_create_meeting_refuses_bad_fields(client, auth_headers, body, field):
    response = client.post("/api/v1/meetings", json=body, headers=auth_headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field
    assert client.get("/api/v1/meetings").get_json()["total"] == 0


def test_duplicate_meeting_code_is_a_conflict(client, auth_headers, make_meeting):
    make_meeting("12MSP")
    response = client.post(
        "/api/v1/meetings", json={"code": "12MSP", "title": "Again"}, headers=auth_headers
    )
    assert response.status_code == 409


def test_body_that_is_not_a_json_object_is_refused(client, auth_headers):
    response = client.post(
        "/api/v1/meetings", data="[1, 2", headers=auth_headers, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_json"


def test_unknown_meeting_is_a_json_404(client):
    response = client.get("/api/v1/meetings/NOPE")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_unpublished_meeting_is_hidden_from_the_public(client, make_meeting, auth_headers):
    make_meeting("13MSP", published=False)
    assert client.get("/api/v1/meetings/13MSP").status_code == 404
    assert client.get("/api/v1/meetings").get_json()["total"] == 0
    assert client.get("/api/v1/meetings/13MSP", headers=auth_headers).status_code == 200
