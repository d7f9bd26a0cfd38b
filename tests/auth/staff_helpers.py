"""Helpers for tests that log in through the pages (CSRF on, as in production)."""

from __future__ import annotations

from sqlalchemy import select

from archive.audit.models import AuditEvent
from archive.extensions import db
from tests.conftest import csrf_from

PASSWORD = "a-long-password"
ADMIN = "alice.admin@example.org"
EDITOR = "eddie.editor@example.org"


def page_token(client, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a rendered form."""
    return csrf_from(client.get(path).get_data(as_text=True))


def log_in(client, email: str, password: str = PASSWORD, *, next_path=None, **request_kwargs):
    """POST /login with a valid CSRF token; returns the response (not followed)."""
    data = {"email": email, "password": password, "csrf_token": page_token(client)}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/login", data=data, **request_kwargs)


def log_out(client):
    return client.post("/logout", data={"csrf_token": page_token(client)})


def is_logged_in(client) -> bool:
    """Whether the client's cookie opens a staff page."""
    return client.get("/staff/audit").status_code == 200


def events(app, action: str | None = None) -> list[dict]:
    """The audit events (as plain dicts), oldest first."""
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return [
            {
                "user_id": e.user_id,
                "actor": e.actor,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "detail": e.detail,
                "ip": e.ip,
                "created_at": e.created_at,
            }
            for e in db.session.scalars(query)
        ]
