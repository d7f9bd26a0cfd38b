"""Every staff route of auth and audit × {anonymous, editor, admin}."""

from __future__ import annotations

import pytest

from archive.auth import services
from archive.extensions import db
from tests.auth.staff_helpers import ADMIN, EDITOR, PASSWORD, log_in, page_token

TARGET = "target@example.org"


@pytest.fixture
def target(app, make_user) -> dict:
    """Another user with a token, for the routes that change a user."""
    user_id = make_user(TARGET, "editor", PASSWORD)
    with app.app_context():
        services.create_token(TARGET)
        [token] = services.list_tokens(db.session.get(services.User, user_id))
        return {"id": user_id, "token_id": token.id}


@pytest.fixture
def as_role(app, make_user):
    def log_in_as(role: str):
        client = app.test_client()
        if role != "anonymous":
            email = ADMIN if role == "admin" else EDITOR
            make_user(email, role, PASSWORD)
            assert log_in(client, email).status_code == 302
        return client

    return log_in_as


PAGES = [
    ("/staff/users", {"editor": 403, "admin": 200}),
    ("/staff/users/{id}", {"editor": 403, "admin": 200}),
    ("/staff/audit", {"editor": 200, "admin": 200}),
    ("/staff/audit?action=login&date_from=2024-01-01", {"editor": 200, "admin": 200}),
]


@pytest.mark.parametrize(("path", "expected"), PAGES)
@pytest.mark.parametrize("role", ["anonymous", "editor", "admin"])
def test_pages_by_role(as_role, target, path, expected, role):
    client = as_role(role)
    response = client.get(path.format(**target))
    if role == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=/staff/")
    else:
        assert response.status_code == expected[role]
        assert response.mimetype == "text/html"


ACTIONS = [
    ("/staff/users", {"email": "new@example.org", "role": "editor", "password": PASSWORD}, 302),
    ("/staff/users/{id}/role", {"role": "admin"}, 302),
    ("/staff/users/{id}/deactivate", {}, 302),
    ("/staff/users/{id}/reactivate", {}, 302),
    ("/staff/users/{id}/password", {"password": "another-long-password"}, 302),
    ("/staff/users/{id}/tokens", {}, 200),
    ("/staff/users/{id}/tokens/{token_id}/revoke", {}, 302),
]


@pytest.mark.parametrize(("path", "data", "admin_status"), ACTIONS)
@pytest.mark.parametrize("role", ["anonymous", "editor", "admin"])
def test_actions_by_role(as_role, target, path, data, admin_status, role):
    client = as_role(role)
    form = data | {"csrf_token": page_token(client)}
    response = client.post(path.format(**target), data=form)
    expected = {"anonymous": 302, "editor": 403, "admin": admin_status}[role]
    assert response.status_code == expected
    if role == "anonymous":
        assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ["anonymous", "editor", "admin"])
def test_login_page_and_logout_by_role(as_role, role):
    client = as_role(role)
    assert client.get("/login").status_code == 200
    response = client.post("/logout", data={"csrf_token": page_token(client)})
    assert response.status_code == 302
    assert client.get("/staff/audit").status_code == 302


def test_editor_403_is_a_readable_page(as_role):
    response = as_role("editor").get("/staff/users")
    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Only administrators may use this page." in html
    assert "<h1>" in html


def test_unknown_user_is_404(as_role):
    assert as_role("admin").get("/staff/users/999").status_code == 404


def test_staff_nav_in_the_header(as_role):
    anonymous = as_role("anonymous").get("/").get_data(as_text=True)
    assert 'href="/login"' in anonymous and "Log out" not in anonymous
    editor = as_role("editor").get("/").get_data(as_text=True)
    assert 'href="/staff/audit"' in editor and 'href="/staff/users"' not in editor
    assert 'action="/logout"' in editor and 'name="csrf_token"' in editor
    admin = as_role("admin").get("/").get_data(as_text=True)
    assert 'href="/staff/users"' in admin
