"""CSRF: every state-changing route, taken from the app's url_map, refuses a POST without
its session's CSRF token (400) and changes nothing; with the token the same POST works.

The JSON API (`/api/v1`) is exempt from the form check by design: a bearer token is not
sent by browsers on their own. A browser *session* writing to the API must still send
its CSRF token (X-CSRFToken): without it, 403 and nothing changed. POST /oai is exempt
too: OAI-PMH harvesters post their arguments and nothing there changes anything.
"""

from __future__ import annotations

from sqlalchemy import select

from archive.auth import services
from archive.auth.models import ApiToken
from archive.extensions import db
from tests.auth.staff_helpers import ADMIN, PASSWORD, is_logged_in, page_token
from tests.security.conftest import assert_unchanged, pdf_file, snapshot

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BAD_TOKENS = [None, "", "not-a-token", "IjAwMDAi.ZZZZZZ.wrong-signature"]
TARGET = "target@example.org"

#: endpoint → (url, form) for a POST that changes something, in an order where each works
FORMS = {
    "admin.upload": lambda w, pdf: (
        "/staff/upload",
        {
            "meeting": "12MSP",
            "doc_type": "statement",
            "language": "en",
            "title": "New",
            "status": "published",
            "version_label": "final",
            "file": pdf_file(pdf),
        },
    ),
    "admin.edit_document": lambda w, pdf: (
        f"/staff/documents/{w['public']}/edit",
        {
            "meeting": "12MSP",
            "doc_type": "statement",
            "title": "Edited title",
            "status": "published",
            "delegation": "CHL",
        },
    ),
    "admin.add_file": lambda w, pdf: (
        f"/staff/documents/{w['public']}/files",
        {"language": "fr", "version_label": "final", "file": pdf_file(pdf, "fr.pdf")},
    ),
    "admin.set_status": lambda w, pdf: (f"/staff/documents/{w['public']}/status/withdrawn", {}),
    "recordings.add_session": lambda w, pdf: (
        "/staff/meetings/12MSP/recordings",
        {
            "date": "2024-09-10",
            "session": "afternoon",
            "url_floor": "https://recordings.example.org/12msp/2.mp3",
        },
    ),
    "recordings.edit": lambda w, pdf: (
        f"/staff/recordings/{w['recording']}/edit",
        {
            "date": "2024-09-11",
            "session": "morning",
            "channel": "floor",
            "url": "https://recordings.example.org/12msp/1.mp3",
        },
    ),
    "recordings.delete": lambda w, pdf: (f"/staff/recordings/{w['recording']}/delete", {}),
    "admin.restore": lambda w, pdf: (f"/staff/trash/{w['trashed']}/restore", {}),
    "admin.delete_document": lambda w, pdf: (f"/staff/documents/{w['public']}/delete", {}),
    "admin.empty_trash": lambda w, pdf: ("/staff/trash/empty", {}),
    "staff_users.create_user": lambda w, pdf: (
        "/staff/users",
        {"email": "new@example.org", "role": "editor", "password": PASSWORD},
    ),
    "staff_users.change_role": lambda w, pdf: (
        f"/staff/users/{w['target']}/role",
        {"role": "admin"},
    ),
    "staff_users.reset_password": lambda w, pdf: (
        f"/staff/users/{w['target']}/password",
        {"password": "another-long-password"},
    ),
    "staff_users.create_token": lambda w, pdf: (f"/staff/users/{w['target']}/tokens", {}),
    "staff_users.revoke_token": lambda w, pdf: (
        f"/staff/users/{w['target']}/tokens/{w['token']}/revoke",
        {},
    ),
    "staff_users.deactivate": lambda w, pdf: (f"/staff/users/{w['target']}/deactivate", {}),
    "staff_users.reactivate": lambda w, pdf: (f"/staff/users/{w['target']}/reactivate", {}),
    "auth.login_submit": lambda w, pdf: ("/login", {"email": ADMIN, "password": PASSWORD}),
    "auth.logout": lambda w, pdf: ("/logout", {}),
}

#: the API's writes: (method, url, keyword arguments for the test client)
API_WRITES = {
    "api.create_meeting": lambda w, pdf: (
        "POST",
        "/api/v1/meetings",
        {
            "json": {
                "code": "13MSP",
                "title": "Thirteenth",
                "start_date": "2025-09-01",
                "end_date": "2025-09-04",
            }
        },
    ),
    "api.create_recording": lambda w, pdf: (
        "POST",
        "/api/v1/meetings/12MSP/recordings",
        {
            "json": {
                "date": "2024-09-12",
                "session": "morning",
                "channel": "en",
                "url": "https://recordings.example.org/12msp/3.mp3",
            }
        },
    ),
    "api.update_recording": lambda w, pdf: (
        "PATCH",
        f"/api/v1/recordings/{w['recording']}",
        {"json": {"session": "evening"}},
    ),
    "api.delete_recording": lambda w, pdf: ("DELETE", f"/api/v1/recordings/{w['recording']}", {}),
    "api.create_document": lambda w, pdf: (
        "POST",
        "/api/v1/documents",
        {
            "data": {
                "meeting": "12MSP",
                "doc_type": "statement",
                "language": "en",
                "title": "Via API",
                "file": pdf_file(pdf),
            },
            "content_type": "multipart/form-data",
        },
    ),
    "api.update_document": lambda w, pdf: (
        "PATCH",
        f"/api/v1/documents/{w['public']}",
        {"json": {"title": "Patched"}},
    ),
    "api.add_file": lambda w, pdf: (
        "POST",
        f"/api/v1/documents/{w['public']}/files",
        {
            "data": {"language": "es", "file": pdf_file(pdf, "es.pdf")},
            "content_type": "multipart/form-data",
        },
    ),
    "api.delete_document": lambda w, pdf: ("DELETE", f"/api/v1/documents/{w['public']}", {}),
}

#: state-changing by method, yet changing nothing: OAI-PMH takes its arguments by POST
READ_ONLY_POSTS = {"harvest.oai_pmh"}


def _write_endpoints(app) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if rule.methods & WRITE_METHODS}


def test_every_state_changing_route_is_in_the_catalogue(app):
    """A new POST form or API write fails here until it is added to FORMS or API_WRITES."""
    assert _write_endpoints(app) == set(FORMS) | set(API_WRITES) | READ_ONLY_POSTS
    assert all(e.startswith("api.") for e in API_WRITES)
    assert not any(e.startswith("api.") for e in FORMS)


def _target(app, make_user) -> dict:
    user_id = make_user(TARGET, "editor", PASSWORD)
    with app.app_context():
        services.create_token(TARGET)
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user_id))
    return {"target": user_id, "token": token_id}


def _refused(response) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "CSRF" in response.get_data(as_text=True)


def test_every_form_refuses_a_post_without_its_token(
    app, world, admin_client, make_user, pdf_bytes
):
    world = world | _target(app, make_user)
    pdf = pdf_bytes(["A new statement for the CSRF test."])
    other = app.test_client()
    foreign = page_token(other)  # a valid token, of another session
    for endpoint, build in FORMS.items():
        for token in [*BAD_TOKENS, foreign]:
            before = snapshot(app)
            url, data = build(world, pdf)
            if token is not None:
                data = data | {"csrf_token": token}
            response = admin_client.post(url, data=data)
            _refused(response)
            assert_unchanged(before, snapshot(app))
            assert is_logged_in(admin_client), endpoint
        # the same POST with the session's token does change the archive
        before = snapshot(app)
        url, data = build(world, pdf)
        token = page_token(admin_client, "/staff/audit")
        response = admin_client.post(url, data=data | {"csrf_token": token})
        assert response.status_code in (200, 302), (endpoint, response.get_data(as_text=True)[:500])
        assert snapshot(app) != before, f"{endpoint} changed nothing with a good token"
    assert not is_logged_in(admin_client)  # the last form was logout


def test_the_api_refuses_a_session_without_its_csrf_token(app, world, admin_client, pdf_bytes):
    pdf = pdf_bytes(["A statement sent to the API by a session."])
    for endpoint, build in API_WRITES.items():
        for headers in ({}, {"X-CSRFToken": "not-a-token"}, {"X-CSRFToken": ""}):
            before = snapshot(app)
            method, url, kwargs = build(world, pdf)
            response = admin_client.open(url, method=method, headers=headers, **kwargs)
            assert response.status_code == 403, (endpoint, response.get_json())
            assert response.get_json()["error"]["code"] == "forbidden"
            assert_unchanged(before, snapshot(app))
        before = snapshot(app)
        method, url, kwargs = build(world, pdf)
        token = page_token(admin_client, "/staff/audit")
        response = admin_client.open(url, method=method, headers={"X-CSRFToken": token}, **kwargs)
        assert response.status_code in (200, 201, 204), (endpoint, response.get_json())
        assert snapshot(app) != before, endpoint


def test_the_api_takes_a_bearer_token_without_csrf(app, world, client, auth_headers):
    """The exemption: a bearer token is proof enough (browsers never send one by themselves)."""
    response = client.patch(
        f"/api/v1/documents/{world['public']}", json={"title": "By token"}, headers=auth_headers
    )
    assert response.status_code == 200


def test_oai_by_post_changes_nothing(app, world, client):
    before = snapshot(app)
    response = client.post("/oai", data={"verb": "ListRecords", "metadataPrefix": "oai_dc"})
    assert response.status_code == 200
    assert b"<ListRecords>" in response.data or b"ListRecords" in response.data
    assert_unchanged(before, snapshot(app))
