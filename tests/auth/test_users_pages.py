"""/staff/users: create, change role, deactivate, reset password, tokens shown once."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from archive.auth import services
from archive.auth.models import ApiToken, User
from archive.extensions import db
from tests.auth.staff_helpers import (
    ADMIN,
    PASSWORD,
    events,
    is_logged_in,
    log_in,
    page_token,
)

NEW = "new.person@example.org"


def post(client, path: str, data: dict | None = None):
    return client.post(path, data=(data or {}) | {"csrf_token": page_token(client)})


def user_row(app, email: str) -> dict | None:
    with app.app_context():
        user = services.find_user(email)
        if user is None:
            return None
        return {
            "id": user.id,
            "role": user.role,
            "active": user.active,
            "nonce": user.session_nonce,
        }


@pytest.fixture
def new_user(app, make_user) -> int:
    return make_user(NEW, "editor", PASSWORD)


def test_users_list_shows_every_account(as_admin, new_user):
    html = as_admin.get("/staff/users").get_data(as_text=True)
    assert ADMIN in html and NEW in html
    assert 'name="csrf_token"' in html


def test_create_user(as_admin, app, admin_id):
    response = post(
        as_admin, "/staff/users", {"email": NEW, "role": "editor", "password": PASSWORD}
    )
    assert response.status_code == 302
    created = user_row(app, NEW)
    assert created["role"] == "editor" and created["active"]
    assert response.headers["Location"] == f"/staff/users/{created['id']}"
    page = as_admin.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Created the editor account {NEW}." in page
    [event] = [e for e in events(app, "user.create") if e["user_id"] == admin_id]
    assert event["detail"] == {"email": NEW, "role": "editor"}
    assert event["ip"] == "127.0.0.1"
    new_client = app.test_client()
    assert log_in(new_client, NEW).status_code == 302


def test_passwords_are_stored_as_scrypt_hashes(app, new_user):
    with app.app_context():
        stored = db.session.get(User, new_user).password_hash
    assert stored.startswith("scrypt:") and PASSWORD not in stored


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"email": NEW, "role": "editor", "password": "short"}, 400, "at least 12 characters"),
        ({"email": "not-an-email", "role": "editor", "password": PASSWORD}, 400, "email"),
        ({"email": NEW, "role": "owner", "password": PASSWORD}, 400, "role must be one of"),
        ({"email": ADMIN, "role": "editor", "password": PASSWORD}, 409, "exists already"),
    ],
)
def test_create_user_refusals(as_admin, app, data, status, message):
    before = events(app)
    response = post(as_admin, "/staff/users", data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert events(app) == before
    assert user_row(app, NEW) is None


def test_change_role(as_admin, app, admin_id, new_user):
    response = post(as_admin, f"/staff/users/{new_user}/role", {"role": "admin"})
    assert response.status_code == 302
    assert user_row(app, NEW)["role"] == "admin"
    [event] = events(app, "user.update")
    assert event["detail"] == {"email": NEW, "role": "admin", "previous": "editor"}
    assert event["user_id"] == admin_id


def test_the_last_admin_cannot_be_demoted(as_admin, app, admin_id):
    response = post(as_admin, f"/staff/users/{admin_id}/role", {"role": "editor"})
    assert response.status_code == 409
    assert "at least one active admin" in response.get_data(as_text=True)
    assert user_row(app, ADMIN)["role"] == "admin"


def test_deactivate_ends_sessions_and_tokens_then_reactivate(as_admin, app, new_user):
    theirs = app.test_client()
    log_in(theirs, NEW)
    with app.app_context():
        token = services.create_token(NEW)
    nonce = user_row(app, NEW)["nonce"]

    assert post(as_admin, f"/staff/users/{new_user}/deactivate").status_code == 302
    assert user_row(app, NEW)["active"] is False
    assert user_row(app, NEW)["nonce"] != nonce
    assert not is_logged_in(theirs)
    assert log_in(app.test_client(), NEW).status_code == 200  # the generic failure
    bearer = {"Authorization": f"Bearer {token}"}
    assert theirs.get("/api/v1/meetings", headers=bearer).status_code == 401
    with app.app_context():
        assert not db.session.scalar(select(ApiToken)).revoked  # tokens are left as they were

    assert post(as_admin, f"/staff/users/{new_user}/reactivate").status_code == 302
    assert user_row(app, NEW)["active"] is True
    assert log_in(app.test_client(), NEW).status_code == 302
    assert theirs.get("/api/v1/meetings", headers=bearer).status_code == 200
    changes = [e for e in events(app) if e["action"] in ("user.deactivate", "user.reactivate")]
    assert [(e["action"], e["object_id"]) for e in changes] == [
        ("user.deactivate", str(new_user)),
        ("user.reactivate", str(new_user)),
    ]


def test_an_admin_cannot_deactivate_themselves(as_admin, app, admin_id):
    response = post(as_admin, f"/staff/users/{admin_id}/deactivate")
    assert response.status_code == 409
    assert user_row(app, ADMIN)["active"] is True
    assert is_logged_in(as_admin)


def test_reset_password(as_admin, app, new_user):
    theirs = app.test_client()
    log_in(theirs, NEW)
    response = post(as_admin, f"/staff/users/{new_user}/password", {"password": "x" * 12})
    assert response.status_code == 302
    assert not is_logged_in(theirs)
    assert log_in(app.test_client(), NEW).status_code == 200
    assert log_in(app.test_client(), NEW, "x" * 12).status_code == 302
    [event] = events(app, "user.password_reset")
    assert "x" * 12 not in str(event)


def test_reset_password_too_short_changes_nothing(as_admin, app, new_user):
    before = user_row(app, NEW)
    response = post(as_admin, f"/staff/users/{new_user}/password", {"password": "short"})
    assert response.status_code == 400
    assert user_row(app, NEW) == before


def meeting_codes(response) -> list[str]:
    return [m["code"] for m in response.get_json()["items"]]


def _shown_token(html: str) -> str:
    match = re.search(r'<code class="new-token">([^<]+)</code>', html)
    assert match, "no token on the page"
    return match.group(1)


def test_token_is_shown_once_works_and_can_be_revoked(as_admin, app, client, new_user):
    response = post(as_admin, f"/staff/users/{new_user}/tokens")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = _shown_token(response.get_data(as_text=True))
    assert token not in as_admin.get(f"/staff/users/{new_user}").get_data(as_text=True)
    with app.app_context():
        stored = db.session.execute(text("SELECT token_hash, prefix FROM api_tokens")).all()
        assert all(token not in row for row in stored)
        [api_token] = services.list_tokens(db.session.get(User, new_user))
        token_id = api_token.id

    bearer = {"Authorization": f"Bearer {token}"}
    meeting = {"code": "13MSP", "title": "Thirteenth", "start_date": "2025-09-01"}
    created = client.post("/api/v1/meetings", json=meeting, headers=bearer)
    assert created.status_code == 201
    draft = client.post(
        "/api/v1/meetings", json=meeting | {"code": "DRAFT1", "published": False}, headers=bearer
    )
    assert draft.status_code == 201
    assert "DRAFT1" in meeting_codes(client.get("/api/v1/meetings", headers=bearer))
    assert "DRAFT1" not in meeting_codes(app.test_client().get("/api/v1/meetings"))

    revoked = post(as_admin, f"/staff/users/{new_user}/tokens/{token_id}/revoke")
    assert revoked.status_code == 302
    assert client.get("/api/v1/meetings", headers=bearer).status_code == 401
    assert client.post("/api/v1/meetings", json=meeting, headers=bearer).status_code == 401
    page = as_admin.get(f"/staff/users/{new_user}").get_data(as_text=True)
    assert "revoked" in page

    [created_event] = events(app, "token.create")
    [revoked_event] = events(app, "token.revoke")
    assert created_event["object_type"] == revoked_event["object_type"] == "token"
    assert created_event["object_id"] == revoked_event["object_id"] == str(token_id)
    assert created_event["detail"]["owner"] == NEW
    assert token not in str(created_event)


def test_revoking_another_users_token_is_404(as_admin, app, admin_id, new_user):
    with app.app_context():
        services.create_token(ADMIN)
        token_id = db.session.scalar(select(ApiToken.id))
    response = post(as_admin, f"/staff/users/{new_user}/tokens/{token_id}/revoke")
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked is False
