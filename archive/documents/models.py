"""Documents and their files (language versions and revisions)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.extensions import db

if TYPE_CHECKING:
    from archive.delegations.models import Delegation
    from archive.meetings.models import Meeting
    from archive.recordings.models import Recording
from archive.timeutil import utcnow

DOC_TYPES = (
    "final_report",
    "statement",
    "working_paper",
    "official_document",
    "information_note",
    "presentation",
    "press_release",
    "other",
)
STATUSES = ("draft", "published", "withdrawn")
TEXT_STATUSES = ("pending", "indexed", "failed", "needs_ocr")


class Document(db.Model):
    """A meeting document: a report, a statement, a working paper …"""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    doc_type: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(500))
    #: UN-style document symbol, e.g. CCM/MSP/2024/10
    symbol: Mapped[str | None] = mapped_column(String(100), index=True)
    delegation_id: Mapped[int | None] = mapped_column(ForeignKey("delegations.id"), index=True)
    agenda_item: Mapped[str] = mapped_column(String(100), default="")
    date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    #: for a statement: the recording it was delivered in, and the second it starts at
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id"))
    recording_offset: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: set when moved to the trash; an admin can restore it or empty the trash
    deleted_at: Mapped[datetime | None] = mapped_column(index=True)

    meeting: Mapped[Meeting] = relationship(back_populates="documents")
    delegation: Mapped[Delegation | None] = relationship()
    recording: Mapped[Recording | None] = relationship()
    files: Mapped[list[File]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="File.id"
    )

    @property
    def current_files(self) -> list[File]:
        """The current version of each language, in upload order."""
        return [f for f in self.files if f.is_current]

    @property
    def languages(self) -> list[str]:
        return [f.language for f in self.current_files]


class File(db.Model):
    """One language version of a document at one revision, stored as a blob."""

    __tablename__ = "files"
    __table_args__ = (UniqueConstraint("document_id", "language", "version_label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    #: ISO 639-1 code
    language: Mapped[str] = mapped_column(String(8))
    #: advance, final, rev.1, corr.1 …
    version_label: Mapped[str] = mapped_column(String(32), default="final")
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_filename: Mapped[str] = mapped_column(String(300), default="")
    size: Mapped[int]
    page_count: Mapped[int | None]
    #: the newest version of its language; what downloads and search serve
    is_current: Mapped[bool] = mapped_column(default=True)
    text_status: Mapped[str] = mapped_column(String(16), default="pending")
    #: why the text is not (fully) indexed, in words a person understands
    text_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[Document] = relationship(back_populates="files")
