"""The audit log: writing events (they join the caller's unit of work) and reading them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import has_request_context, request
from sqlalchemy import Select, func, select

from archive.audit.models import AuditEvent
from archive.auth.models import User
from archive.errors import ValidationError
from archive.extensions import db


def _request_address() -> str | None:
    return request.remote_addr if has_request_context() else None


def record(
    user: User | None,
    action: str,
    obj_type: str,
    obj_id: object,
    *,
    actor: str | None = None,
    **detail,
) -> None:
    """Add an audit event to the session; it is committed with the change it describes.

    `actor` names who acted when there is no user (e.g. "anonymous" for a failed login);
    the address is the request's, when there is one.
    """
    db.session.add(
        AuditEvent(
            user_id=user.id if user else None,
            actor=user.email if user else (actor or "system"),
            action=action,
            object_type=obj_type,
            object_id=str(obj_id),
            detail=detail,
            ip=_request_address(),
        )
    )


@dataclass(frozen=True)
class AuditFilters:
    """What /staff/audit narrows the log to; empty values filter nothing."""

    action: str = ""
    email: str = ""
    object_type: str = ""
    object_id: str = ""
    date_from: date | None = None
    #: inclusive: the whole day counts
    date_to: date | None = None


@dataclass(frozen=True)
class EventPage:
    events: list[AuditEvent]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _visible_to(viewer: User) -> Select:
    """Admins see every event, editors only their own."""
    query = select(AuditEvent)
    return query if viewer.is_admin else query.where(AuditEvent.user_id == viewer.id)


def _filtered(query: Select, filters: AuditFilters) -> Select:
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ValidationError("date_from must not be after date_to.", field="date_from")
    conditions = {
        AuditEvent.action: filters.action,
        AuditEvent.actor: filters.email.lower(),
        AuditEvent.object_type: filters.object_type,
        AuditEvent.object_id: filters.object_id,
    }
    for column, value in conditions.items():
        if value:
            query = query.where(column == value)
    if filters.date_from:
        query = query.where(AuditEvent.created_at >= datetime.combine(filters.date_from, time()))
    if filters.date_to:
        day_after = datetime.combine(filters.date_to + timedelta(days=1), time())
        query = query.where(AuditEvent.created_at < day_after)
    return query


def list_events(
    viewer: User, filters: AuditFilters, *, page: int = 1, per_page: int = 50
) -> EventPage:
    """The events this viewer may see that match the filters, newest first."""
    query = _filtered(_visible_to(viewer), filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    events = db.session.scalars(ordered.limit(per_page).offset((page - 1) * per_page))
    return EventPage(list(events), total, page, per_page)


def event_actions(viewer: User) -> list[str]:
    """The actions among the events this viewer may see, for the filter's choices."""
    query = _visible_to(viewer).with_only_columns(AuditEvent.action).distinct()
    return sorted(db.session.scalars(query))
