"""The public's documents: published, not in the trash, of a published meeting."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import contains_eager, selectinload

from archive.delegations.models import Delegation
from archive.documents.models import Document, File
from archive.extensions import db
from archive.meetings.models import Body, Meeting
from archive.search.services import parse_query

#: the request parameters that narrow a listing, as search names them
FILTER_KEYS = ("meeting", "doc_type", "language", "delegation")


@dataclass(frozen=True)
class DocumentFilters:
    """Which documents a feed, export or API listing asks for; None means any."""

    meeting: str | None = None
    doc_type: str | None = None
    language: str | None = None
    delegation: str | None = None
    q: str = ""


def parse_filters(params) -> DocumentFilters:
    """Filters from request parameters, checked exactly as search checks them (400 if bad)."""
    query = parse_query({k: params.get(k) for k in (*FILTER_KEYS, "q")}, None)
    return DocumentFilters(
        meeting=query.meeting,
        doc_type=query.doc_type,
        language=query.language,
        delegation=query.delegation,
        q=query.q,
    )


def visible_documents(statuses: tuple[str, ...], *, staff: bool = False) -> Select:
    """Documents in these statuses, out of the trash, of a published meeting unless staff."""
    query = (
        select(Document)
        .join(Document.meeting)
        .where(Document.status.in_(statuses), Document.deleted_at.is_(None))
        .options(contains_eager(Document.meeting))
    )
    return query if staff else query.where(Meeting.published.is_(True))


def public_documents() -> Select:
    """What the public may see and take away."""
    return visible_documents(("published",))


def public_conditions() -> tuple:
    """The rule of `public_documents`, for queries of a few columns (join the meeting)."""
    return (
        Document.status == "published",
        Document.deleted_at.is_(None),
        Meeting.published.is_(True),
    )


def with_filters(query: Select, filters: DocumentFilters) -> Select:
    """Narrow a document query by meeting, type, delegation and file language."""
    if filters.meeting:
        query = query.where(Meeting.code == filters.meeting)
    if filters.doc_type:
        query = query.where(Document.doc_type == filters.doc_type)
    if filters.delegation:
        query = query.where(
            Document.delegation_id.in_(
                select(Delegation.id).where(Delegation.code == filters.delegation)
            )
        )
    if filters.language:
        query = query.where(
            Document.files.any(and_(File.language == filters.language, File.is_current))
        )
    return query


def with_rows_for_export(query: Select) -> Select:
    """Load files and delegations with the documents, for exports that touch them all."""
    return query.options(selectinload(Document.files), selectinload(Document.delegation))


def count(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def is_public(document: Document) -> bool:
    """Whether the public may see this document (the rule of `public_documents`)."""
    return (
        document.status == "published"
        and document.deleted_at is None
        and document.meeting.published
    )


def body_name(meeting: Meeting) -> str:
    """The treaty's name for a meeting (e.g. Convention on Cluster Munitions), else its code."""
    body = (
        db.session.scalar(select(Body).where(Body.code == meeting.body)) if meeting.body else None
    )
    return body.name if body else (meeting.body or "Meeting Archive")
