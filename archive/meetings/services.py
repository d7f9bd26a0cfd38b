"""Meetings: creation, lookup with visibility rules, and their JSON form."""

from __future__ import annotations

from sqlalchemy import select

from archive import validation
from archive.access import is_staff, visible_statuses
from archive.audit.services import record
from archive.auth.models import User
from archive.documents.models import Document
from archive.errors import Conflict, NotFound, ValidationError
from archive.extensions import db
from archive.meetings.models import Body, Meeting


def create_meeting(
    user: User | None,
    *,
    code: object,
    title: object,
    start_date: object = None,
    end_date: object = None,
    venue: object = "",
    body: object = "",
    description: object = "",
    published: object = True,
) -> Meeting:
    """Add a meeting; its code must be new."""
    meeting = Meeting(
        code=validation.slug(code, "code"),
        title=validation.text(title, "title", required=True, max_length=300),
        start_date=validation.optional_date(start_date, "start_date"),
        end_date=validation.optional_date(end_date, "end_date"),
        venue=validation.text(venue, "venue", max_length=200),
        body=validation.text(body, "body", max_length=32),
        description=validation.text(description, "description", max_length=5000),
        published=validation.boolean(published, "published", default=True),
    )
    if meeting.start_date and meeting.end_date and meeting.end_date < meeting.start_date:
        raise ValidationError("end_date is before start_date.", field="end_date")
    if db.session.scalar(select(Meeting.id).where(Meeting.code == meeting.code)):
        raise Conflict(f"A meeting with code {meeting.code} exists already.", field="code")
    db.session.add(meeting)
    db.session.flush()
    record(user, "meeting.create", "meeting", meeting.code, title=meeting.title)
    db.session.commit()
    return meeting


def find_meeting(code: str) -> Meeting | None:
    """The meeting with this code, whatever its visibility."""
    return db.session.scalar(select(Meeting).where(Meeting.code == code))


def get_meeting(code: str, user: User | None) -> Meeting:
    """The meeting with this code as this user may see it; 404 otherwise."""
    meeting = find_meeting(code)
    if meeting is None or not (meeting.published or is_staff(user)):
        raise NotFound(f"No meeting with code {code!r}.")
    return meeting


def list_meetings(user: User | None) -> list[Meeting]:
    """Meetings visible to the user, newest first."""
    query = select(Meeting).order_by(Meeting.start_date.desc().nulls_last(), Meeting.code)
    if not is_staff(user):
        query = query.where(Meeting.published.is_(True))
    return list(db.session.scalars(query))


def list_bodies() -> list[Body]:
    return list(db.session.scalars(select(Body).order_by(Body.code)))


def meeting_documents(meeting: Meeting, user: User | None) -> list[Document]:
    """The meeting's documents visible to the user, by type, date and title."""
    query = (
        select(Document)
        .where(
            Document.meeting_id == meeting.id,
            Document.status.in_(visible_statuses(user)),
            Document.deleted_at.is_(None),
        )
        .order_by(Document.doc_type, Document.date.nulls_first(), Document.title, Document.id)
    )
    return list(db.session.scalars(query))


def meeting_to_dict(meeting: Meeting) -> dict:
    """A meeting's own fields as JSON."""
    return {
        "code": meeting.code,
        "title": meeting.title,
        "body": meeting.body,
        "start_date": meeting.start_date.isoformat() if meeting.start_date else None,
        "end_date": meeting.end_date.isoformat() if meeting.end_date else None,
        "venue": meeting.venue,
        "description": meeting.description,
        "published": meeting.published,
    }
