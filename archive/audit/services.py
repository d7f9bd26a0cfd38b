"""Writing the audit log; events join the caller's unit of work."""

from __future__ import annotations

from archive.audit.models import AuditEvent
from archive.auth.models import User
from archive.extensions import db


def record(user: User | None, action: str, obj_type: str, obj_id: object, **detail) -> None:
    """Add an audit event to the session; it is committed with the change it describes."""
    db.session.add(
        AuditEvent(
            user_id=user.id if user else None,
            actor=user.email if user else "system",
            action=action,
            object_type=obj_type,
            object_id=str(obj_id),
            detail=detail,
        )
    )
