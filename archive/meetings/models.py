"""Treaty bodies and their meetings."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from archive.extensions import db

if TYPE_CHECKING:
    from archive.documents.models import Document
    from archive.recordings.models import Recording


class Body(db.Model):
    """A treaty (e.g. the Convention on Cluster Munitions) whose meetings the archive holds."""

    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    adopted: Mapped[date | None]
    signed: Mapped[date | None]
    in_force: Mapped[date | None]
    #: counts as published by the treaty's depositary; updated by staff
    states_parties: Mapped[int | None]
    signatories: Mapped[int | None]


class Meeting(db.Model):
    """A meeting (e.g. 12MSP) with its documents and recordings."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the unique slug used in URLs, e.g. "12MSP"
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    #: the treaty body's code, e.g. "CCM"
    body: Mapped[str] = mapped_column(String(32), default="", index=True)
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    venue: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(default=True)

    documents: Mapped[list[Document]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )
    recordings: Mapped[list[Recording]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        order_by="(Recording.date, Recording.session, Recording.channel)",
    )
