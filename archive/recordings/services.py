"""Recordings of meeting sessions: adding them and their JSON form."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from archive import validation
from archive.audit.services import record
from archive.auth.models import User
from archive.errors import Conflict, ValidationError
from archive.extensions import db
from archive.meetings.models import Meeting
from archive.recordings.models import Recording

NAMED_SESSIONS = ("morning", "afternoon", "evening")


def _url(value: object) -> str:
    url = validation.text(value, "url", required=True, max_length=2000)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationError("url must be an http or https address.", field="url")
    return url


def _session(value: object) -> str:
    session = validation.text(value, "session", required=True, max_length=32).lower()
    if session not in NAMED_SESSIONS and not session.isdigit():
        raise ValidationError(
            "session must be morning, afternoon, evening or a number.", field="session"
        )
    return session


def _channel(value: object) -> str:
    channel = validation.text(value, "channel", required=True, max_length=16).lower()
    return channel if channel == "floor" else validation.language(channel, "channel")


def add_recording(user: User | None, meeting: Meeting, values: dict) -> Recording:
    """Add the recording of one session on one channel; a duplicate is a 409."""
    day = validation.optional_date(values.get("date"), "date")
    if day is None:
        raise ValidationError("date is required.", field="date", code="missing")
    if (
        meeting.start_date
        and meeting.end_date
        and not meeting.start_date <= day <= meeting.end_date
    ):
        raise ValidationError("date is outside the meeting's dates.", field="date")
    recording = Recording(
        meeting=meeting,
        date=day,
        session=_session(values.get("session")),
        channel=_channel(values.get("channel")),
        url=_url(values.get("url")),
        title=validation.text(values.get("title"), "title", max_length=300),
        duration=validation.optional_int(values.get("duration"), "duration"),
    )
    duplicate = select(Recording.id).where(
        Recording.meeting_id == meeting.id,
        Recording.date == recording.date,
        Recording.session == recording.session,
        Recording.channel == recording.channel,
    )
    if db.session.scalar(duplicate):
        db.session.rollback()
        raise Conflict("This session and channel has a recording already.", field="channel")
    db.session.add(recording)
    db.session.flush()
    record(user, "recording.create", "recording", recording.id, url=recording.url)
    db.session.commit()
    return recording


def recording_to_dict(recording: Recording) -> dict:
    return {
        "id": recording.id,
        "date": recording.date.isoformat(),
        "session": recording.session,
        "channel": recording.channel,
        "url": recording.url,
        "title": recording.title,
        "duration": recording.duration,
    }
