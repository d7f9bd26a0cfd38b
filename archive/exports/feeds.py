"""The Atom 1.0 feed of the newest published documents, filtered like search."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from flask import url_for

from archive.documents.models import Document
from archive.documents.services import DOC_TYPE_LABELS
from archive.exports import queries
from archive.exports.xml import datestamp, sub, to_bytes
from archive.extensions import db
from archive.search.services import search
from archive.timeutil import utcnow

ATOM = "http://www.w3.org/2005/Atom"
#: entries in one feed
FEED_SIZE = 50


def feed_documents(filters: queries.DocumentFilters, limit: int = FEED_SIZE) -> list[Document]:
    """The newest public documents that match: by search when there are words, else by date."""
    if filters.q:
        params = {k: getattr(filters, k) or "" for k in (*queries.FILTER_KEYS, "q")}
        page = search(params | {"sort": "date", "per_page": str(limit)}, None)
        return [doc for _, doc in page.items if queries.is_public(doc)]
    query = queries.with_rows_for_export(queries.with_filters(queries.public_documents(), filters))
    query = query.order_by(Document.updated_at.desc(), Document.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def feed_title(filters: queries.DocumentFilters) -> str:
    """ "Meeting Archive: newest documents", with what the feed is narrowed to."""
    narrowed = [
        filters.meeting,
        DOC_TYPE_LABELS.get(filters.doc_type or "", filters.doc_type),
        filters.delegation,
        filters.language,
        f"“{filters.q}”" if filters.q else None,
    ]
    label = " · ".join(part for part in narrowed if part)
    return "Meeting Archive: newest documents" + (f" ({label})" if label else "")


def atom_feed(
    filters: queries.DocumentFilters,
    documents: list[Document],
    *,
    self_url: str,
    page_url: str,
) -> bytes:
    """The feed as Atom 1.0 XML: id, title, updated, author, links, one entry per document."""
    feed = ET.Element("feed", xmlns=ATOM)
    sub(feed, "id", self_url)
    sub(feed, "title", feed_title(filters))
    newest = max((d.updated_at for d in documents), default=utcnow())
    sub(feed, "updated", datestamp(newest))
    sub(sub(feed, "author"), "name", "Meeting Archive")
    sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=page_url)
    sub(feed, "generator", "Meeting Archive")
    for document in documents:
        _entry(feed, document, filters.language)
    return to_bytes(feed)


def _summary(document: Document) -> str:
    parts = [document.meeting.code, DOC_TYPE_LABELS.get(document.doc_type, "Document")]
    if document.delegation:
        parts.append(document.delegation.name)
    parts += [document.symbol, document.date.isoformat() if document.date else None]
    return " · ".join(p for p in parts if p)


def _entry(feed: ET.Element, document: Document, language: str | None) -> None:
    url = url_for("documents.show", document_id=document.id, _external=True)
    entry = sub(feed, "entry")
    sub(entry, "id", url)
    sub(entry, "title", document.title, type="text")
    sub(entry, "updated", datestamp(document.updated_at))
    sub(entry, "published", datestamp(document.created_at))
    if document.delegation:
        sub(sub(entry, "author"), "name", document.delegation.name)
    sub(entry, "link", rel="alternate", type="text/html", href=url)
    for file in document.current_files:
        if language and file.language != language:
            continue
        href = url_for(
            "documents.download", document_id=document.id, language=file.language, _external=True
        )
        sub(
            entry,
            "link",
            rel="enclosure",
            type="application/pdf",
            hreflang=file.language,
            length=file.size,
            href=href,
        )
    label = DOC_TYPE_LABELS.get(document.doc_type, "Document")
    sub(entry, "category", term=document.doc_type, label=label)
    sub(entry, "summary", _summary(document), type="text")
