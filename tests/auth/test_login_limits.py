"""Login attempts are limited per account and per address: the 11th in a minute is a 429."""

from __future__ import annotations

from archive import config, create_app
from archive.extensions import db
from tests.auth.staff_helpers import EDITOR, events, log_in, page_token

WRONG = "not-the-password"


def attempt(client, email: str, password: str = WRONG, address: str = "127.0.0.1"):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": page_token(client)},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_11th_wrong_password_in_a_minute_is_refused(client, app, editor_id):
    for _ in range(10):
        assert attempt(client, EDITOR).status_code == 200
    response = attempt(client, EDITOR)
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    assert "Too many login attempts" in response.get_data(as_text=True)
    assert 0 < int(response.headers["Retry-After"]) <= 61
    assert len(events(app, "login.failed")) == 10


def test_the_right_password_does_not_get_past_the_limit(client, editor_id):
    for _ in range(10):
        attempt(client, EDITOR)
    assert attempt(client, EDITOR, password="a-long-password").status_code == 429
    assert client.get("/staff/audit").status_code == 302


def test_one_address_trying_many_accounts_is_limited(client, editor_id):
    for n in range(10):
        assert attempt(client, f"user{n}@example.org").status_code == 200
    assert attempt(client, "user10@example.org").status_code == 429


def test_one_account_tried_from_many_addresses_is_limited(client, editor_id):
    for n in range(10):
        assert attempt(client, EDITOR, address=f"10.0.0.{n}").status_code == 200
    assert attempt(client, EDITOR, address="10.0.0.99").status_code == 429


def test_others_can_still_log_in(client, app, editor_id, make_user):
    for _ in range(11):
        attempt(client, EDITOR)
    make_user("other@example.org", "editor", "a-long-password")
    other = app.test_client()
    response = other.post(
        "/login",
        data={
            "email": "other@example.org",
            "password": "a-long-password",
            "csrf_token": page_token(other),
        },
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert response.status_code == 302


def test_nothing_but_posts_to_login_is_limited(client, editor_id):
    for _ in range(30):
        assert client.get("/login").status_code == 200
        assert client.get("/").status_code == 200
    assert log_in(client, EDITOR).status_code == 302


def test_each_app_counts_on_its_own(client, app, editor_id, tmp_path):
    for _ in range(11):
        attempt(client, EDITOR)
    data = tmp_path / "other"
    other_app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "ARCHIVE_DATA_DIR": str(data),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data / 'archive.sqlite3'}",
            "ARCHIVE_WORKER": "off",
        }
    )
    with other_app.app_context():
        db.create_all()
    assert attempt(other_app.test_client(), EDITOR).status_code == 200
    assert attempt(client, EDITOR).status_code == 429
    with other_app.app_context():
        db.engine.dispose()


def test_storage_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("ARCHIVE_RATELIMIT_STORAGE_URI", raising=False)
    assert config.from_environment()["RATELIMIT_STORAGE_URI"] == "database://"
    monkeypatch.setenv("ARCHIVE_RATELIMIT_STORAGE_URI", "redis://cache.internal:6379")
    assert config.from_environment()["RATELIMIT_STORAGE_URI"] == "redis://cache.internal:6379"
