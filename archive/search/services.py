"""Search over the archive: parse the request's parameters, ask the index, add metadata."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from archive import validation
from archive.access import is_staff, visible_statuses
from archive.auth.models import User
from archive.documents.models import DOC_TYPES, Document
from archive.errors import ValidationError
from archive.extensions import db
from archive.meetings.models import Meeting
from archive.stores import search_index
from indexer.index import DocumentHit, QueryError, SearchQuery

MAX_PER_PAGE = 100
MAX_PAGE = 1000
SORTS = ("relevance", "date")


@dataclass
class SearchPage:
    """One page of results, with the documents' rows for display."""

    query: SearchQuery
    total: int
    items: list[tuple[DocumentHit, Document]]
    facets: dict[str, dict[str, int]]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def unpublished_meeting_codes() -> tuple[str, ...]:
    """Meetings the public does not see, nor their documents (whatever their status)."""
    query = select(Meeting.code).where(Meeting.published.is_(False))
    return tuple(db.session.scalars(query))


def parse_query(params, user: User | None) -> SearchQuery:
    """A SearchQuery from request parameters (a mapping of strings)."""
    doc_type = validation.text(params.get("doc_type"), "doc_type", max_length=32) or None
    if doc_type and doc_type not in DOC_TYPES:
        raise ValidationError(f"doc_type must be one of: {', '.join(DOC_TYPES)}.", field="doc_type")
    language = params.get("language") or None
    return SearchQuery(
        q=validation.text(params.get("q"), "q", max_length=1000),
        meeting=validation.text(params.get("meeting"), "meeting", max_length=32) or None,
        doc_type=doc_type,
        language=validation.language(language) if language else None,
        delegation=(
            validation.text(params.get("delegation"), "delegation", max_length=16) or ""
        ).upper()
        or None,
        date_from=validation.optional_date(params.get("date_from"), "date_from"),
        date_to=validation.optional_date(params.get("date_to"), "date_to"),
        statuses=visible_statuses(user),
        hidden_meetings=() if is_staff(user) else unpublished_meeting_codes(),
        page=validation.bounded_int(params.get("page"), "page", default=1, maximum=MAX_PAGE),
        per_page=validation.bounded_int(
            params.get("per_page"), "per_page", default=20, maximum=MAX_PER_PAGE
        ),
        sort=validation.choice(params.get("sort"), SORTS, "sort", default="relevance"),
    )


def search(params, user: User | None) -> SearchPage:
    """Run a search as this user may see it; a bad query is a 400 with its reason."""
    query = parse_query(params, user)
    try:
        results = search_index().search(query)
    except QueryError as exc:
        raise ValidationError(str(exc), field="q") from None
    ids = [hit.document_id for hit in results.items]
    rows = {d.id: d for d in db.session.scalars(select(Document).where(Document.id.in_(ids)))}
    items = [(hit, rows[hit.document_id]) for hit in results.items if hit.document_id in rows]
    return SearchPage(query=query, total=results.total, items=items, facets=results.facets)


def search_to_dict(page: SearchPage) -> dict:
    """The JSON shape of DESIGN.md's search API."""
    return {
        "total": page.total,
        "page": page.query.page,
        "per_page": page.query.per_page,
        "items": [
            {
                "document_id": document.id,
                "title": document.title,
                "meeting": document.meeting.code,
                "doc_type": document.doc_type,
                "language": hit.language,
                "delegation": document.delegation.code if document.delegation else None,
                "symbol": document.symbol,
                "date": document.date.isoformat() if document.date else None,
                "score": round(hit.score, 4),
                "hits": [{"page": h.page, "snippet": h.snippet} for h in hit.hits],
            }
            for hit, document in page.items
        ],
        "facets": {
            key: page.facets.get(key, {})
            for key in ("meeting", "doc_type", "language", "delegation")
        },
    }
