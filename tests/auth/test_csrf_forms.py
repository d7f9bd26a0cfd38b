"""A POST without its CSRF token, or with a wrong one, is a 400 and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from archive.audit.models import AuditEvent
from archive.auth import services
from archive.auth.models import ApiToken, User
from archive.extensions import db
from tests.auth.staff_helpers import EDITOR, PASSWORD, is_logged_in, page_token

BAD_TOKENS = [None, "", "not-a-token", "IjAwMDAi.ZZZZZZ.wrong-signature"]


def _form(data: dict, token: str | None) -> dict:
    return data if token is None else data | {"csrf_token": token}


def _snapshot(app) -> dict:
    """Everything these forms could change."""
    with app.app_context():
        users = db.session.scalars(select(User).order_by(User.id))
        return {
            "users": [(u.email, u.role, u.active, u.password_hash, u.session_nonce) for u in users],
            "tokens": db.session.scalar(select(func.count(ApiToken.id))),
            "revoked": db.session.scalar(select(func.count()).where(ApiToken.revoked.is_(True))),
            "events": db.session.scalar(select(func.count(AuditEvent.id))),
        }


def _assert_refused(response) -> None:
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "CSRF" in response.get_data(as_text=True)


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_login_without_a_good_token(client, app, editor_id, token):
    page_token(client)  # the session has a CSRF secret; the form does not send it
    before = _snapshot(app)
    response = client.post("/login", data=_form({"email": EDITOR, "password": PASSWORD}, token))
    _assert_refused(response)
    assert not is_logged_in(client)
    assert _snapshot(app) == before


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_logout_without_a_good_token(as_editor, app, token):
    before = _snapshot(app)
    _assert_refused(as_editor.post("/logout", data=_form({}, token)))
    assert is_logged_in(as_editor)
    assert _snapshot(app) == before


def _target(app, make_user) -> int:
    user_id = make_user("target@example.org", "editor", PASSWORD)
    with app.app_context():
        services.create_token("target@example.org")
    return user_id


FORMS = [
    ("/staff/users", {"email": "new@example.org", "role": "admin", "password": PASSWORD}),
    ("/staff/users/{id}/role", {"role": "admin"}),
    ("/staff/users/{id}/deactivate", {}),
    ("/staff/users/{id}/password", {"password": "another-long-password"}),
    ("/staff/users/{id}/tokens", {}),
    ("/staff/users/{id}/tokens/{token_id}/revoke", {}),
]


@pytest.mark.parametrize("token", BAD_TOKENS)
@pytest.mark.parametrize(("path", "data"), FORMS)
def test_users_forms_without_a_good_token(as_admin, app, make_user, path, data, token):
    user_id = _target(app, make_user)
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == user_id))
    before = _snapshot(app)
    url = path.format(id=user_id, token_id=token_id)
    _assert_refused(as_admin.post(url, data=_form(data, token)))
    assert _snapshot(app) == before


def test_a_token_from_another_session_is_refused(app, as_admin, make_user):
    user_id = _target(app, make_user)
    other = app.test_client()
    foreign = page_token(other)
    before = _snapshot(app)
    _assert_refused(as_admin.post(f"/staff/users/{user_id}/tokens", data={"csrf_token": foreign}))
    assert _snapshot(app) == before
