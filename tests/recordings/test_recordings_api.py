"""The recordings API: create, validation of each field, duplicates and replace, PATCH, DELETE."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from archive.audit.models import AuditEvent
from archive.extensions import db
from archive.recordings.models import Recording
from tests.recordings.conftest import portal_url


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Recording.id)))


def test_create_returns_the_recording_and_the_meeting_lists_it(client, post_recording):
    response = post_recording(
        title="Afternoon, floor", start_time="15:00", duration="3:02:05", session="Afternoon"
    )
    assert response.status_code == 201
    created = response.get_json()
    assert created == {
        "id": created["id"],
        "meeting": "12MSP",
        "date": "2024-09-11",
        "session": "afternoon",
        "channel": "floor",
        "url": portal_url("2024-09-11", "afternoon", "floor"),
        "title": "Afternoon, floor",
        "start_time": "15:00",
        "duration": 3 * 3600 + 2 * 60 + 5,
    }
    listed = client.get("/api/v1/meetings/12MSP").get_json()["recordings"]
    assert listed == [created]
    assert client.get(f"/api/v1/recordings/{created['id']}").get_json() == created


def test_a_form_encoded_body_and_a_numbered_session_work(client, auth_headers):
    response = client.post(
        "/api/v1/meetings/12MSP/recordings",
        data={"date": "2024-09-10", "session": "03", "channel": "ES", "url": "http://x.org/a"},
        headers=auth_headers,
    )
    assert response.status_code == 201
    assert (response.get_json()["session"], response.get_json()["channel"]) == ("3", "es")


BAD_VALUES = [
    ("url", "javascript:alert(1)"),
    ("url", "data:text/html,<script>alert(1)</script>"),
    ("url", "ftp://media.example.org/a.mp3"),
    ("url", "media.example.org/a.mp3"),
    ("url", "//media.example.org/a.mp3"),
    ("url", "https://"),
    ("url", ""),
    ("url", "   "),
    ("url", None),
    ("url", "https://example.org/" + "a" * 2000),
    ("date", "2024-09-09"),
    ("date", "2024-09-14"),
    ("date", "2025-09-11"),
    ("date", "11/09/2024"),
    ("date", ""),
    ("session", "night"),
    ("session", "0"),
    ("session", "-1"),
    ("session", ""),
    ("channel", "xx"),
    ("channel", "english"),
    ("channel", "floor2"),
    ("channel", ""),
    ("start_time", "25:00"),
    ("start_time", "noon"),
    ("duration", "-5"),
    ("duration", "an hour"),
    ("title", "t" * 301),
]


@pytest.mark.parametrize(("field", "value"), BAD_VALUES)
def test_each_bad_value_is_a_400_naming_its_field(app, post_recording, field, value):
    response = post_recording(**{field: value})
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["field"] == field
    assert error["message"]
    assert _count(app) == 0


def test_a_meeting_without_an_end_date_accepts_only_its_start_date(make_meeting, client, token):
    make_meeting("OneDay", start_date="2024-05-02", end_date="")
    headers = {"Authorization": f"Bearer {token}"}
    url = "/api/v1/meetings/OneDay/recordings"
    body = {"session": "morning", "channel": "en", "url": "https://x.org/a"}
    assert client.post(url, json=body | {"date": "2024-05-02"}, headers=headers).status_code == 201
    refused = client.post(url, json=body | {"date": "2024-05-03"}, headers=headers)
    assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "date"


def test_unknown_meeting_is_a_404_and_a_non_object_body_a_400(client, auth_headers):
    body = {"date": "2024-09-11", "session": "morning", "channel": "en", "url": "https://x.org"}
    assert (
        client.post("/api/v1/meetings/NOPE/recordings", json=body, headers=auth_headers).status_code
        == 404
    )
    response = client.post("/api/v1/meetings/12MSP/recordings", json=[1], headers=auth_headers)
    assert response.status_code == 400


def test_a_duplicate_is_a_409_unless_replacing(app, client, post_recording):
    first = post_recording(title="first").get_json()
    duplicate = post_recording(session="AFTERNOON", url="https://other.example.org/a")
    assert duplicate.status_code == 409
    assert duplicate.get_json()["error"]["code"] == "conflict"
    assert _count(app) == 1

    replaced = post_recording(url="https://other.example.org/a", replace=True)
    assert replaced.status_code == 200
    body = replaced.get_json()
    assert body["id"] == first["id"]
    assert (body["url"], body["title"]) == ("https://other.example.org/a", "")

    by_query = post_recording(url="https://third.example.org/a", query="?replace=true")
    assert by_query.status_code == 200 and by_query.get_json()["id"] == first["id"]
    assert _count(app) == 1
    assert post_recording(replace="perhaps").status_code == 400


def test_patch_changes_the_given_fields_only(client, auth_headers, post_recording):
    created = post_recording(title="Floor").get_json()
    url = f"/api/v1/recordings/{created['id']}"
    response = client.patch(
        url,
        json={"url": "https://new.example.org/a.mp3", "start_time": "10:05"},
        headers=auth_headers,
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["url"] == "https://new.example.org/a.mp3"
    assert (body["start_time"], body["title"], body["session"]) == ("10:05", "Floor", "afternoon")

    moved = client.patch(url, json={"date": "2024-09-12", "session": "1"}, headers=auth_headers)
    assert (moved.get_json()["date"], moved.get_json()["session"]) == ("2024-09-12", "1")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": ""}, "url"),
        ({"date": "2024-10-01"}, "date"),
        ({"session": "lunch"}, "session"),
        ({"channel": "klingon"}, "channel"),
        ({"meeting": "11MSP"}, "meeting"),
    ],
)
def test_patch_refuses_bad_values_and_changes_nothing(
    client, auth_headers, post_recording, changes, field
):
    created = post_recording().get_json()
    url = f"/api/v1/recordings/{created['id']}"
    response = client.patch(url, json=changes, headers=auth_headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == field
    assert client.get(url).get_json() == created


def test_patch_onto_a_taken_slot_is_a_409(client, auth_headers, post_recording):
    post_recording(channel="en", url="https://x.org/en")
    french = post_recording(channel="fr", url="https://x.org/fr").get_json()
    url = f"/api/v1/recordings/{french['id']}"
    assert client.patch(url, json={"channel": "EN"}, headers=auth_headers).status_code == 409
    assert client.get(url).get_json()["channel"] == "fr"
    # its own slot is not a conflict
    assert client.patch(url, json={"channel": "fr"}, headers=auth_headers).status_code == 200


def test_delete_removes_it(app, client, auth_headers, post_recording):
    created = post_recording().get_json()
    url = f"/api/v1/recordings/{created['id']}"
    assert client.delete(url, headers=auth_headers).status_code == 204
    assert client.get(url).status_code == 404
    assert client.delete(url, headers=auth_headers).status_code == 404
    assert client.patch(url, json={"title": "x"}, headers=auth_headers).status_code == 404
    assert _count(app) == 0


def test_delete_is_refused_while_a_statement_points_at_it(
    client, auth_headers, post_recording, upload
):
    recording_id = post_recording().get_json()["id"]
    document = upload(recording=str(recording_id), recording_offset="632").get_json()
    response = client.delete(f"/api/v1/recordings/{recording_id}", headers=auth_headers)
    assert response.status_code == 409
    assert str(document["id"]) in response.get_json()["error"]["message"]
    client.patch(
        f"/api/v1/documents/{document['id']}", json={"recording": ""}, headers=auth_headers
    )
    assert (
        client.delete(f"/api/v1/recordings/{recording_id}", headers=auth_headers).status_code == 204
    )


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "x"}])
def test_writes_need_a_token(app, client, post_recording, auth_headers, headers):
    created = post_recording().get_json()
    url = f"/api/v1/recordings/{created['id']}"
    assert post_recording(headers=headers, channel="en").status_code == 401
    assert client.patch(url, json={"title": "x"}, headers=headers).status_code == 401
    assert client.delete(url, headers=headers).status_code == 401
    assert client.get(url).get_json()["title"] == ""
    assert _count(app) == 1


def test_recordings_of_an_unpublished_meeting_are_hidden_from_the_public(
    make_meeting, client, auth_headers
):
    make_meeting("DRAFT", published=False)
    body = {"date": "2024-09-11", "session": "morning", "channel": "en", "url": "https://x.org"}
    created = client.post(
        "/api/v1/meetings/DRAFT/recordings", json=body, headers=auth_headers
    ).get_json()
    assert client.get(f"/api/v1/recordings/{created['id']}").status_code == 404
    shown = client.get(f"/api/v1/recordings/{created['id']}", headers=auth_headers)
    assert shown.status_code == 200


def test_changes_are_audited(app, client, auth_headers, post_recording):
    recording_id = post_recording().get_json()["id"]
    post_recording(url="https://x.org/b", replace=True)
    client.patch(f"/api/v1/recordings/{recording_id}", json={"title": "t"}, headers=auth_headers)
    client.delete(f"/api/v1/recordings/{recording_id}", headers=auth_headers)
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "recording").order_by(AuditEvent.id)
        )
        actions = [(e.action, e.object_id, e.actor) for e in events]
    editor = "editor@example.org"
    assert actions == [
        (action, str(recording_id), editor)
        for action in (
            "recording.create",
            "recording.replace",
            "recording.update",
            "recording.delete",
        )
    ]
