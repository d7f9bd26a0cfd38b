"""Recordings of meeting sessions: adding, changing and removing them, and reading them back.

A recording is one session (a date and `morning`, `afternoon`, `evening` or a number) on one
channel (`floor` or a language code) of a meeting; there is at most one per (date, session,
channel). The API, the staff pages and the CSV import all call these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from archive import validation
from archive.access import is_staff
from archive.audit.services import record
from archive.auth.models import User
from archive.documents.models import Document
from archive.errors import Conflict, NotFound, ValidationError
from archive.extensions import db
from archive.meetings.models import Meeting
from archive.recordings.media import (
    NAMED_SESSIONS,
    channel_sort_key,
    format_offset,
    moment_url,
    parse_offset,
    session_sort_key,
)
from archive.recordings.models import Recording

#: the fields a recording is made of, in the order they are checked
FIELDS = ("date", "session", "channel", "url", "title", "start_time", "duration")
#: the fields that a whole session's recordings share
SESSION_FIELDS = ("date", "session", "title", "start_time", "duration")


# -- checking values -----------------------------------------------------------------------


def _url(value: object) -> str:
    url = validation.text(value, "url", required=True, max_length=2000)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValidationError("url must be an http or https address.", field="url")
    return url


def _session(value: object) -> str:
    session = validation.text(value, "session", required=True, max_length=32).lower()
    if session in NAMED_SESSIONS:
        return session
    if not session.isdecimal() or int(session) < 1:
        raise ValidationError(
            "session must be morning, afternoon, evening or a number.", field="session"
        )
    return str(int(session))


def _channel(value: object) -> str:
    channel = validation.text(value, "channel", required=True, max_length=16).lower()
    return channel if channel == "floor" else validation.language(channel, "channel")


def _day(value: object, meeting: Meeting) -> date:
    day = validation.optional_date(value, "date")
    if day is None:
        raise ValidationError("date is required.", field="date", code="missing")
    start, end = meeting.start_date, meeting.end_date or meeting.start_date
    if start and not start <= day <= end:
        raise ValidationError("date is outside the meeting's dates.", field="date")
    return day


def _start_time(value: object) -> time | None:
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    text = validation.text(value, "start_time", max_length=8)
    try:
        return time.fromisoformat(text).replace(second=0, microsecond=0) if text else None
    except ValueError:
        raise ValidationError(
            "start_time must be a time of day as HH:MM.", field="start_time"
        ) from None


def _checked(meeting: Meeting, values: Mapping, *, partial: bool) -> dict:
    """The given fields, checked and parsed (all of them unless partial)."""
    parsers = {
        "date": lambda v: _day(v, meeting),
        "session": _session,
        "channel": _channel,
        "url": _url,
        "title": lambda v: validation.text(v, "title", max_length=300),
        "start_time": _start_time,
        "duration": lambda v: parse_offset(v, "duration"),
    }
    return {
        name: parse(values.get(name))
        for name, parse in parsers.items()
        if not partial or name in values
    }


# -- reading -------------------------------------------------------------------------------


def get_recording(recording_id: int, user: User | None) -> Recording:
    """The recording, if its meeting is visible to the user; 404 otherwise."""
    recording = db.session.get(Recording, recording_id)
    if recording is None or not (recording.meeting.published or is_staff(user)):
        raise NotFound(f"No recording with id {recording_id}.")
    return recording


def _same_slot(meeting_id: int, day: date, session: str, channel: str) -> Recording | None:
    return db.session.scalar(
        select(Recording).where(
            Recording.meeting_id == meeting_id,
            Recording.date == day,
            Recording.session == session,
            Recording.channel == channel,
        )
    )


def existing_recording(meeting: Meeting, values: Mapping) -> Recording | None:
    """The recording already in the slot (date, session, channel) that `values` names."""
    return _same_slot(
        meeting.id,
        _day(values.get("date"), meeting),
        _session(values.get("session")),
        _channel(values.get("channel")),
    )


def session_recordings(meeting_id: int, day: date, session: str) -> list[Recording]:
    """Every channel's recording of one session, floor first, then the UN languages."""
    rows = db.session.scalars(
        select(Recording).where(
            Recording.meeting_id == meeting_id,
            Recording.date == day,
            Recording.session == session,
        )
    )
    return sorted(rows, key=lambda r: channel_sort_key(r.channel))


# -- changing ------------------------------------------------------------------------------


def _commit() -> None:
    """Commit, turning a lost race for a slot into a 409; roll back on any failure."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(
            "This session and channel has a recording already.", field="channel"
        ) from None
    except BaseException:
        db.session.rollback()
        raise


def _write(user: User | None, meeting: Meeting, fields: dict, existing: Recording | None):
    """Add a recording, or overwrite `existing` with `fields`; not committed."""
    if existing is None:
        recording = Recording(meeting=meeting, **fields)
        db.session.add(recording)
        db.session.flush()
        record(user, "recording.create", "recording", recording.id, url=recording.url)
        return recording
    for name, value in fields.items():
        setattr(existing, name, value)
    record(user, "recording.replace", "recording", existing.id, url=existing.url)
    return existing


def _duplicate(fields: dict) -> Conflict:
    return Conflict(
        f"The {fields['session']} session of {fields['date'].isoformat()} has a "
        f"{fields['channel']} recording already (send replace=true to replace it).",
        field="channel",
    )


def save_recording(
    user: User | None, meeting: Meeting, values: Mapping, *, replace: bool = False
) -> tuple[Recording, bool]:
    """Add a recording; a taken slot is a 409 unless `replace`. Returns (recording, created)."""
    fields = _checked(meeting, values, partial=False)
    existing = _same_slot(meeting.id, fields["date"], fields["session"], fields["channel"])
    if existing is not None and not replace:
        raise _duplicate(fields)
    try:
        recording = _write(user, meeting, fields, existing)
    except BaseException:
        db.session.rollback()
        raise
    _commit()
    return recording, existing is None


def add_recording(user: User | None, meeting: Meeting, values: Mapping) -> Recording:
    """Add the recording of one session on one channel; a duplicate is a 409."""
    return save_recording(user, meeting, values)[0]


def update_recording(user: User | None, recording: Recording, values: Mapping) -> Recording:
    """Change some fields of a recording; moving it onto a taken slot is a 409."""
    unknown = sorted(set(values) - set(FIELDS))
    if unknown:
        raise ValidationError(f"Unknown field {unknown[0]!r}.", field=unknown[0])
    fields = _checked(recording.meeting, values, partial=True)
    slot = {name: fields.get(name, getattr(recording, name)) for name in FIELDS[:3]}
    taken = _same_slot(recording.meeting_id, slot["date"], slot["session"], slot["channel"])
    if taken is not None and taken.id != recording.id:
        raise _duplicate(slot)
    for name, value in fields.items():
        setattr(recording, name, value)
    record(user, "recording.update", "recording", recording.id, fields=sorted(fields))
    _commit()
    return recording


def delete_recording(user: User | None, recording: Recording) -> None:
    """Remove a recording; refused (409) while documents point at it."""
    linked = list(
        db.session.scalars(select(Document.id).where(Document.recording_id == recording.id))
    )
    if linked:
        ids = ", ".join(str(i) for i in linked)
        raise Conflict(
            f"Document(s) {ids} point at this recording: link them to another recording "
            "or clear their recording first.",
            field="recording",
        )
    record(user, "recording.delete", "recording", recording.id, url=recording.url)
    db.session.delete(recording)
    _commit()


def _session_fields(meeting: Meeting, values: Mapping, channel: str, url: str) -> dict:
    """One channel's checked fields; a bad URL's error names its channel's form field."""
    try:
        return _checked(meeting, {**values, "channel": channel, "url": url}, partial=False)
    except ValidationError as exc:
        if exc.field not in ("url", "channel"):
            raise
        raise ValidationError(f"{channel}: {exc.message}", field=f"url_{channel}") from None


def add_session(
    user: User | None,
    meeting: Meeting,
    values: Mapping,
    urls: Mapping[str, str],
    *,
    replace: bool = False,
) -> list[Recording]:
    """Add one session's recordings, one URL per channel (empty ones skipped), all or none."""
    shared = {name: values.get(name) for name in SESSION_FIELDS}
    given = [(channel, url.strip()) for channel, url in urls.items() if url and url.strip()]
    if not given:
        raise ValidationError("Give at least one channel's URL.", field="url", code="missing")
    checked = [_session_fields(meeting, shared, channel, url) for channel, url in given]
    slots = [_same_slot(meeting.id, f["date"], f["session"], f["channel"]) for f in checked]
    taken = [f["channel"] for f, slot in zip(checked, slots, strict=True) if slot is not None]
    if taken and not replace:
        raise Conflict(
            f"This session has recordings already on: {', '.join(taken)}. "
            "Tick “replace” to replace them.",
            field="replace",
        )
    try:
        saved = [_write(user, meeting, f, s) for f, s in zip(checked, slots, strict=True)]
    except BaseException:
        db.session.rollback()
        raise
    _commit()
    return saved


# -- reading for pages and JSON ------------------------------------------------------------


@dataclass
class SessionGrid:
    """A meeting's recordings as a table: days down, sessions across, channels in a cell."""

    days: list[date]
    sessions: list[str]
    cells: dict[tuple[date, str], list[Recording]] = field(default_factory=dict)

    def cell(self, day: date, session: str) -> list[Recording]:
        return self.cells.get((day, session), [])


def recording_grid(recordings: Iterable[Recording]) -> SessionGrid:
    """Arrange recordings by day and session, channels in order (floor, ar, zh, en, fr, ru, es)."""
    cells: dict[tuple[date, str], list[Recording]] = {}
    for recording in sorted(recordings, key=lambda r: channel_sort_key(r.channel)):
        cells.setdefault((recording.date, recording.session), []).append(recording)
    days = sorted({day for day, _ in cells})
    sessions = sorted({session for _, session in cells}, key=session_sort_key)
    return SessionGrid(days=days, sessions=sessions, cells=cells)


@dataclass(frozen=True)
class Moment:
    """Where a statement was delivered: its recording, the second, every channel of the session."""

    recording: Recording
    offset: int | None
    channels: list[Recording]

    @property
    def offset_text(self) -> str:
        return format_offset(self.offset) if self.offset else ""

    def url(self, recording: Recording) -> str:
        """The channel's URL at the moment (a media fragment for audio files)."""
        return moment_url(recording.url, self.offset)

    def channel_for(self, language: str | None) -> Recording:
        """The channel in this language if recorded, else the floor, else the linked one."""
        by_channel = {r.channel: r for r in self.channels}
        return by_channel.get(language or "") or by_channel.get("floor") or self.recording


def statement_moment(document: Document) -> Moment | None:
    """The moment a document (a statement) was delivered, if it points at a recording."""
    recording = document.recording
    if recording is None:
        return None
    channels = session_recordings(recording.meeting_id, recording.date, recording.session)
    return Moment(recording=recording, offset=document.recording_offset, channels=channels)


def recording_to_dict(recording: Recording) -> dict:
    return {
        "id": recording.id,
        "meeting": recording.meeting.code,
        "date": recording.date.isoformat(),
        "session": recording.session,
        "channel": recording.channel,
        "url": recording.url,
        "title": recording.title,
        "start_time": recording.start_time.strftime("%H:%M") if recording.start_time else None,
        "duration": recording.duration,
    }
