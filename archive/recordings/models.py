"""Audio recordings of meeting sessions, one per session and channel."""

from __future__ import annotations

from datetime import date, time
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.extensions import db

if TYPE_CHECKING:
    from archive.meetings.models import Meeting


class Recording(db.Model):
    """A link to the recording of one session on one channel (floor or a language)."""

    __tablename__ = "recordings"
    __table_args__ = (UniqueConstraint("meeting_id", "date", "session", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    date: Mapped[date]
    #: morning, afternoon, evening or a number
    session: Mapped[str] = mapped_column(String(32))
    #: "floor" or an ISO 639-1 language code
    channel: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(300), default="")
    #: local time of day at the venue when the recording starts
    start_time: Mapped[time | None]
    #: seconds
    duration: Mapped[int | None]

    meeting: Mapped[Meeting] = relationship(back_populates="recordings")
