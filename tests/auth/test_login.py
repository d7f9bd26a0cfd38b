"""Login and logout: generic failures, a fresh session, server-side logout, cookie flags."""

from __future__ import annotations

import re

import pytest

from archive import create_app
from archive.auth import services
from archive.auth.models import User
from archive.extensions import db
from tests.auth.staff_helpers import (
    EDITOR,
    PASSWORD,
    events,
    is_logged_in,
    log_in,
    log_out,
    page_token,
)
from tests.conftest import csrf_from


def test_login_page_has_the_contract_fields(client):
    response = client.get("/login?next=/meetings/12MSP")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for name in ("email", "password", "csrf_token", "next"):
        assert f'name="{name}"' in html
    assert 'value="/meetings/12MSP"' in html
    assert "<script>" not in html


def test_login_succeeds_and_is_audited(client, app, editor_id):
    response = log_in(client, EDITOR)
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/upload"
    assert is_logged_in(client)
    [event] = events(app, "login")
    assert event["user_id"] == editor_id
    assert event["actor"] == EDITOR
    assert event["ip"] == "127.0.0.1"


def test_email_is_matched_without_case_or_spaces(client, editor_id):
    assert log_in(client, f"  {EDITOR.upper()} ").status_code == 302


@pytest.mark.parametrize(
    ("email", "password", "reason"),
    [
        (EDITOR, "not-the-password", "wrong password"),
        ("nobody@example.org", PASSWORD, "unknown email"),
        ("", "", "unknown email"),
    ],
)
def test_failed_login_tells_nothing_and_is_audited(client, app, editor_id, email, password, reason):
    response = log_in(client, email, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert services.LOGIN_FAILED_MESSAGE in html
    assert 'name="email"' in html
    assert not is_logged_in(client)
    [event] = events(app, "login.failed")
    assert event["actor"] == "anonymous"
    assert event["user_id"] is None
    assert event["detail"] == {"email": email.strip().lower(), "reason": reason}
    assert event["ip"] == "127.0.0.1"


def test_the_failure_page_is_the_same_for_known_and_unknown_emails(client, editor_id):
    known = log_in(client, EDITOR, "not-the-password").get_data(as_text=True)
    unknown = log_in(client, "ghost@example.org", "not-the-password").get_data(as_text=True)

    def without_tokens(html: str) -> str:
        html = re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "", html)
        return re.sub(r'value="[^"]*@example.org"', "", html)

    assert without_tokens(known) == without_tokens(unknown)


def test_a_deactivated_user_gets_the_same_message(client, app, editor_id):
    with app.app_context():
        services.deactivate_user(db.session.get(User, editor_id), by=None)
    response = log_in(client, EDITOR)
    assert response.status_code == 200
    assert services.LOGIN_FAILED_MESSAGE in response.get_data(as_text=True)
    assert events(app, "login.failed")[0]["detail"]["reason"] == "account deactivated"


def test_login_starts_a_fresh_session(client, editor_id):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    log_in(client, EDITOR)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{editor_id}:")


def test_logout_by_get_is_refused(as_editor):
    response = as_editor.get("/logout")
    assert response.status_code == 405
    assert "text/html" in response.content_type
    assert is_logged_in(as_editor)


def test_logout_ends_the_session_and_is_audited(as_editor, app, editor_id):
    response = log_out(as_editor)
    assert response.status_code == 302
    assert not is_logged_in(as_editor)
    [event] = events(app, "logout")
    assert event["user_id"] == editor_id


def test_a_cookie_copied_before_logout_is_refused_after_it(app, editor_id):
    client = app.test_client()
    log_in(client, EDITOR)
    stolen = client.get_cookie("session").value
    assert is_logged_in(client)
    log_out(client)

    replay = app.test_client()
    replay.set_cookie("session", stolen)
    response = replay.get("/staff/audit")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logging_out_ends_every_session_of_the_user(app, editor_id):
    laptop, phone = app.test_client(), app.test_client()
    log_in(laptop, EDITOR)
    log_in(phone, EDITOR)
    log_out(laptop)
    assert not is_logged_in(phone)


def test_a_deactivated_users_session_is_refused(as_editor, app, editor_id):
    with app.app_context():
        services.deactivate_user(db.session.get(User, editor_id), by=None)
    assert not is_logged_in(as_editor)


def test_a_password_reset_ends_the_users_sessions(as_editor, app, editor_id):
    with app.app_context():
        services.reset_password(db.session.get(User, editor_id), "another-long-password", by=None)
    assert not is_logged_in(as_editor)


def test_a_session_of_a_deactivated_user_is_refused_even_with_its_nonce(as_editor, app, editor_id):
    """Defence in depth: the loader checks `active` too, not only the nonce."""
    with app.app_context():
        db.session.get(User, editor_id).active = False
        db.session.commit()
    assert not is_logged_in(as_editor)


def _session_cookie_header(response) -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return header


def test_session_cookie_is_httponly_and_samesite_lax(client, editor_id):
    header = _session_cookie_header(log_in(client, EDITOR))
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header


def test_cookies_are_secure_when_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHIVE_COOKIE_SECURE", "1")
    data = tmp_path / "secure"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "ARCHIVE_DATA_DIR": str(data),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data / 'archive.sqlite3'}",
            "ARCHIVE_WORKER": "off",
        }
    )
    with app.app_context():
        db.create_all()
        services.create_user(EDITOR, PASSWORD, "editor")
    client = app.test_client()
    https = {"base_url": "https://localhost"}
    token = csrf_from(client.get("/login", **https).get_data(as_text=True))
    response = client.post(
        "/login",
        data={"email": EDITOR, "password": PASSWORD, "csrf_token": token},
        headers={"Referer": "https://localhost/login"},  # Flask-WTF checks it over HTTPS
        **https,
    )
    assert response.status_code == 302
    header = _session_cookie_header(response)
    assert "Secure" in header
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    with app.app_context():
        db.engine.dispose()


def test_login_while_logged_in_switches_user(as_editor, app, make_user):
    make_user("second@example.org", "editor", PASSWORD)
    assert log_in(as_editor, "second@example.org").status_code == 302
    with as_editor.session_transaction() as session:
        user_id = session["_user_id"]
    with app.app_context():
        assert user_id.startswith(f"{services.find_user('second@example.org').id}:")


def test_logout_form_is_in_the_header_of_staff_pages(as_editor):
    html = as_editor.get("/staff/audit").get_data(as_text=True)
    assert 'action="/logout"' in html
    assert page_token(as_editor, "/staff/audit")
