"""Session fixation and replay: login starts a new session (nothing chosen before it
survives, the cookie changes), and a cookie copied before logout opens nothing after it."""

from __future__ import annotations

from flask.sessions import SecureCookieSessionInterface

from tests.auth.staff_helpers import (
    ADMIN,
    EDITOR,
    PASSWORD,
    is_logged_in,
    log_in,
    log_out,
    page_token,
)
from tests.security.conftest import assert_unchanged, snapshot


def _cookie(client) -> str:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else ""


def test_the_session_cookie_changes_at_login(app, client, editor_id):
    page_token(client)  # an anonymous session exists (it holds the CSRF secret)
    before = _cookie(client)
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        csrf_secret = session.get("csrf_token")
    planted = _cookie(client)
    assert log_in(client, EDITOR).status_code == 302
    after = _cookie(client)
    assert after and after not in (before, planted)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("csrf_token") != csrf_secret  # a new CSRF secret too


def test_a_cookie_fixed_before_login_stays_anonymous(app, client, editor_id):
    """The attacker gives the victim a cookie, the victim logs in: the attacker's copy is
    still an anonymous session."""
    page_token(client)
    fixed = _cookie(client)
    assert log_in(client, EDITOR).status_code == 302
    attacker = app.test_client()
    attacker.set_cookie("session", fixed)
    assert not is_logged_in(attacker)
    assert is_logged_in(client)


def test_a_forged_session_cookie_is_refused(app, editor_id):
    """A cookie claiming a user, signed with another key, is ignored."""
    other_key = app.__class__(__name__)
    other_key.secret_key = "not-the-archive-secret"
    serializer = SecureCookieSessionInterface().get_signing_serializer(other_key)
    forged = serializer.dumps({"_user_id": f"{editor_id}:whatever", "_fresh": True})
    attacker = app.test_client()
    attacker.set_cookie("session", forged)
    assert not is_logged_in(attacker)


def test_a_cookie_copied_before_logout_is_refused_after(app, make_user):
    make_user(ADMIN, "admin", PASSWORD)
    victim = app.test_client()
    assert log_in(victim, ADMIN).status_code == 302
    stolen_csrf = page_token(victim, "/staff/users")
    stolen = _cookie(victim)  # with the CSRF secret of that token
    assert log_out(victim).status_code == 302

    thief = app.test_client()
    thief.set_cookie("session", stolen)
    for path in ("/staff/audit", "/staff/users", "/staff/upload", "/staff/"):
        response = thief.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next=")
    before = snapshot(app)
    for url, data in (
        ("/staff/users", {"email": "thief@example.org", "role": "admin", "password": PASSWORD}),
        ("/staff/trash/empty", {}),
    ):
        thief = app.test_client()
        thief.set_cookie("session", stolen)
        response = thief.post(url, data=data | {"csrf_token": stolen_csrf})
        # the CSRF check passes (same session secret); the login check refuses
        assert response.status_code == 302, (url, response.get_data(as_text=True)[:300])
        assert response.headers["Location"].startswith("/login?next=")
    assert_unchanged(before, snapshot(app))


def test_a_copied_cookie_cannot_write_to_the_api_after_logout(app, make_user, world):
    make_user(ADMIN, "admin", PASSWORD)
    victim = app.test_client()
    log_in(victim, ADMIN)
    stolen_csrf = page_token(victim, "/staff/audit")
    stolen = _cookie(victim)
    log_out(victim)
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    before = snapshot(app)
    response = thief.patch(
        f"/api/v1/documents/{world['public']}",
        json={"title": "Stolen"},
        headers={"X-CSRFToken": stolen_csrf},
    )
    assert response.status_code == 401
    response = thief.get(f"/api/v1/documents/{world['draft']}")
    assert response.status_code == 404
    assert_unchanged(before, snapshot(app))
