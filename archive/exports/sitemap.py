"""The sitemap: an index of pages of at most SITEMAP_PAGE_SIZE public URLs each.

The URLs come in a fixed order (home, meetings, delegations, documents), so a page is an
offset and a limit on each kind in turn: no page loads more than its own rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree as ET

from flask import url_for
from sqlalchemy import Select, literal, select

from archive.delegations.models import Delegation
from archive.documents.models import Document
from archive.exports import queries
from archive.exports.xml import datestamp, sub, to_bytes
from archive.extensions import db
from archive.meetings.models import Meeting

SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
#: the protocol's limit of URLs in one sitemap file
MAX_PAGE_SIZE = 50_000

Url = tuple[str, datetime | None]


@dataclass(frozen=True)
class Source:
    """One kind of public page: a query of its rows, and how a row becomes (URL, lastmod)."""

    query: Select
    to_url: Callable[..., Url]

    def count(self) -> int:
        return queries.count(self.query)

    def urls(self, offset: int, limit: int) -> list[Url]:
        rows = db.session.execute(self.query.offset(offset).limit(limit))
        return [self.to_url(row) for row in rows]


def _public_document_rows() -> Select:
    return (
        select(Document.id, Document.updated_at, Document.delegation_id)
        .join(Document.meeting)
        .where(*queries.public_conditions())
    )


def _sources() -> list[Source]:
    documents = _public_document_rows().subquery()
    return [
        Source(select(literal(1)), lambda row: (url_for("meetings.home", _external=True), None)),
        Source(
            select(Meeting.code).where(Meeting.published.is_(True)).order_by(Meeting.code),
            lambda row: (url_for("meetings.show", code=row.code, _external=True), None),
        ),
        Source(
            select(Delegation.code)
            .where(Delegation.id.in_(select(documents.c.delegation_id)))
            .order_by(Delegation.code),
            lambda row: (url_for("delegations.show", code=row.code, _external=True), None),
        ),
        Source(
            select(documents.c.id, documents.c.updated_at).order_by(documents.c.id),
            lambda row: (
                url_for("documents.show", document_id=row.id, _external=True),
                row.updated_at,
            ),
        ),
    ]


def page_count(page_size: int) -> int:
    """How many sitemap pages the public URLs fill (at least one)."""
    total = sum(source.count() for source in _sources())
    return max(1, -(-total // page_size))


def page_urls(page: int, page_size: int) -> list[Url]:
    """The URLs of page `page` (from 1), taken from each kind of page in turn."""
    skip, room, urls = (page - 1) * page_size, page_size, []
    for source in _sources():
        if room == 0:
            break
        size = source.count()
        if skip >= size:
            skip -= size
            continue
        chunk = source.urls(skip, room)
        urls += chunk
        skip, room = 0, room - len(chunk)
    return urls


def urlset(urls: list[Url]) -> bytes:
    """One sitemap page."""
    root = ET.Element("urlset", xmlns=SITEMAP)
    for loc, lastmod in urls:
        url = sub(root, "url")
        sub(url, "loc", loc)
        if lastmod is not None:
            sub(url, "lastmod", datestamp(lastmod))
    return to_bytes(root)


def sitemap_index(pages: list[str]) -> bytes:
    """The index that lists the sitemap pages."""
    root = ET.Element("sitemapindex", xmlns=SITEMAP)
    for loc in pages:
        sub(sub(root, "sitemap"), "loc", loc)
    return to_bytes(root)
