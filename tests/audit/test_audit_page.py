"""/staff/audit: who, what, which object, when and from where; filters; editors see their own."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from archive.audit.models import AuditEvent
from archive.audit.services import record
from archive.auth.models import User
from archive.extensions import db
from tests.auth.staff_helpers import ADMIN, EDITOR, PASSWORD, log_in, page_token


def _raw_rows(response) -> list[str]:
    """The audit table's body rows (not the "No events match." row), as HTML."""
    html = response.get_data(as_text=True)
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [row for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S) if "colspan" not in row]


def rows(response) -> list[str]:
    """The rows as text, tags stripped."""
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in _raw_rows(response)
    ]


def actions(response) -> list[str]:
    """The What column, top to bottom."""
    return [re.findall(r"<td>(.*?)</td>", row, flags=re.S)[2] for row in _raw_rows(response)]


def object_ids(response) -> list[int]:
    return [int(re.findall(r"<td>document (\d+)</td>", row)[0]) for row in _raw_rows(response)]


def add_event(app, email: str | None, action: str, obj_type="document", obj_id=1, when=None, **kw):
    """An event written as a service would (outside a request: no address)."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email)) if email else None
        record(user, action, obj_type, obj_id, **kw)
        if when is not None:
            db.session.flush()
            event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
            event.created_at = when
        db.session.commit()


def test_admin_sees_the_events_of_every_page_action(as_admin, app, editor_id):
    def post(path: str, data: dict | None = None):
        return as_admin.post(path, data=(data or {}) | {"csrf_token": page_token(as_admin)})

    post("/staff/users", {"email": "third@example.org", "role": "editor", "password": PASSWORD})
    post(f"/staff/users/{editor_id}/role", {"role": "admin"})
    post(f"/staff/users/{editor_id}/password", {"password": "another-long-password"})
    post(f"/staff/users/{editor_id}/deactivate")
    post(f"/staff/users/{editor_id}/tokens")
    with app.app_context():
        token_id = db.session.scalar(
            select(AuditEvent.object_id).where(AuditEvent.action == "token.create")
        )
    post(f"/staff/users/{editor_id}/tokens/{token_id}/revoke")
    log_in(app.test_client(), "nobody@example.org", "wrong-password-here")

    response = as_admin.get("/staff/audit")
    assert response.status_code == 200
    seen = actions(response)
    assert "login" in seen
    assert seen[:7] == [
        "login.failed",
        "token.revoke",
        "token.create",
        "user.deactivate",
        "user.password_reset",
        "user.update",
        "user.create",
    ]
    text = " | ".join(rows(response))
    assert "127.0.0.1" in text
    assert f"user {editor_id}" in text
    assert "anonymous" in text and "nobody@example.org" in text
    assert ADMIN in text


def test_editor_sees_only_their_own_events(as_editor, app, admin_id, editor_id):
    add_event(app, ADMIN, "document.publish", obj_id=7)
    add_event(app, EDITOR, "document.create", obj_id=8)
    add_event(app, None, "delegation.create", obj_type="delegation", obj_id="ICRC")
    response = as_editor.get("/staff/audit")
    assert actions(response) == ["document.create", "login"]
    assert all(EDITOR in row for row in rows(response))
    # asking for someone else's events finds nothing
    assert actions(as_editor.get(f"/staff/audit?email={ADMIN}")) == []
    assert actions(as_editor.get("/staff/audit?action=document.publish")) == []
    assert 'name="email"' not in as_editor.get("/staff/audit").get_data(as_text=True)


def test_admin_sees_everyone(as_admin, app, editor_id):
    add_event(app, EDITOR, "document.create", obj_id=8)
    add_event(app, None, "delegation.create", obj_type="delegation", obj_id="ICRC")
    assert {"document.create", "delegation.create", "login"} <= set(
        actions(as_admin.get("/staff/audit"))
    )


@pytest.fixture
def history(app, admin_id, editor_id):
    add_event(app, EDITOR, "document.create", obj_id=1, when=datetime(2024, 9, 9, 23, 59))
    add_event(app, EDITOR, "document.publish", obj_id=1, when=datetime(2024, 9, 10, 8, 0))
    add_event(app, ADMIN, "document.publish", obj_id=2, when=datetime(2024, 9, 12, 12, 0))
    add_event(app, ADMIN, "recording.create", "recording", 5, when=datetime(2024, 9, 13, 23, 59))
    add_event(app, ADMIN, "document.delete", obj_id=2, when=datetime(2024, 9, 14, 0, 0))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=document.publish", ["document.publish", "document.publish"]),
        (f"email={EDITOR}", ["document.publish", "document.create"]),
        (f"email={EDITOR.upper()}", ["document.publish", "document.create"]),
        ("object_type=recording", ["recording.create"]),
        ("object_type=document&object_id=2", ["document.delete", "document.publish"]),
        (
            "date_from=2024-09-10&date_to=2024-09-13",
            ["recording.create", "document.publish", "document.publish"],
        ),
        ("date_to=2024-09-09", ["document.create"]),
        ("date_from=2024-09-14&date_to=2024-09-14", ["document.delete"]),
        (f"action=document.publish&email={ADMIN}", ["document.publish"]),
    ],
)
def test_filters(as_admin, history, query, expected):
    # the admin's own login today falls outside every date range and filter used here
    response = as_admin.get(f"/staff/audit?{query}")
    assert response.status_code == 200
    assert [a for a in actions(response) if a != "login"] == expected


@pytest.mark.parametrize(
    "query",
    [
        "date_from=yesterday",
        "date_to=2024-13-01",
        "date_from=2024-09-14&date_to=2024-09-01",
        "page=0",
        "page=x",
        "per_page=-1",
    ],
)
def test_bad_filters_are_a_readable_400(as_admin, history, query):
    response = as_admin.get(f"/staff/audit?{query}")
    assert response.status_code == 400
    assert 'class="flash flash-error"' in response.get_data(as_text=True)


def test_pages_newest_first(as_admin, app):
    for n in range(60):
        add_event(app, ADMIN, "document.create", obj_id=n)
    first = as_admin.get("/staff/audit?action=document.create")
    second = as_admin.get("/staff/audit?action=document.create&page=2")
    assert object_ids(first) == list(range(59, 9, -1))
    assert object_ids(second) == list(range(9, -1, -1))
    html = first.get_data(as_text=True)
    assert "60 events" in html and "page 1 of 2" in html
    assert 'href="/staff/audit?page=2&amp;per_page=50&amp;action=document.create"' in html
    assert actions(as_admin.get("/staff/audit?page=99")) == []
    assert len(_raw_rows(as_admin.get("/staff/audit?per_page=5"))) == 5


def test_details_are_escaped(as_admin, app):
    add_event(app, ADMIN, "document.update", title="<script>alert(1)</script>")
    html = as_admin.get("/staff/audit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_events_from_commands_have_no_address(app, admin_id):
    add_event(app, ADMIN, "document.create")
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.ip is None


def test_events_from_requests_carry_the_address(app, editor_id):
    client = app.test_client()
    log_in(client, EDITOR, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login"))
        assert event.ip == "203.0.113.9"
