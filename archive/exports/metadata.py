"""Metadata as data: a meeting's documents as CSV and JSON, and the API's document list."""

from __future__ import annotations

import csv
import io

from flask import url_for
from sqlalchemy import Select

from archive.access import is_staff, visible_statuses
from archive.auth.models import User
from archive.documents.models import Document
from archive.documents.services import document_to_dict
from archive.exports import queries
from archive.extensions import db
from archive.meetings.models import Meeting
from archive.meetings.services import meeting_to_dict

#: a document's metadata as the exports show it (in the API's document form)
DOCUMENT_COLUMNS = (
    "meeting",
    "doc_type",
    "title",
    "symbol",
    "delegation",
    "delegation_name",
    "agenda_item",
    "date",
)
CSV_COLUMNS = ("id", *DOCUMENT_COLUMNS, "languages", "url")


def meeting_public_documents(meeting: Meeting) -> Select:
    """The query of the meeting's public documents: what its exports hold."""
    return queries.public_documents().where(Document.meeting_id == meeting.id)


def meeting_export_documents(meeting: Meeting) -> list[Document]:
    """The meeting's public documents, by type, date and title, with their files."""
    query = queries.with_rows_for_export(meeting_public_documents(meeting))
    query = query.order_by(
        Document.doc_type, Document.date.nulls_first(), Document.title, Document.id
    )
    return list(db.session.scalars(query))


def export_dict(document: Document) -> dict:
    """The API's form of a document, with the URLs of its page and of each file."""
    data = document_to_dict(document)
    data["url"] = url_for("documents.show", document_id=document.id, _external=True)
    for file_data, file in zip(data["files"], document.files, strict=True):
        file_data["download_url"] = url_for(
            "documents.download",
            document_id=document.id,
            language=file.language,
            version=file.version_label,
            _external=True,
        )
    return data


#: a cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def csv_cell(value: object) -> object:
    """A value for a CSV export: empty for None; text that a spreadsheet would run as a
    formula (`=HYPERLINK(…)`, `+1`, `@SUM`) gets a leading apostrophe and stays text."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def documents_csv(documents: list[Document]) -> str:
    """One row per document; `languages` lists its current languages, space-separated."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for document in documents:
        data = export_dict(document)
        data["languages"] = " ".join(document.languages)
        writer.writerow([csv_cell(data[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()


def documents_json(meeting: Meeting, documents: list[Document]) -> dict:
    """The meeting, how many documents, and each document with its files and URLs."""
    about = meeting_to_dict(meeting)
    about["url"] = url_for("meetings.show", code=meeting.code, _external=True)
    return {
        "meeting": about,
        "total": len(documents),
        "documents": [export_dict(d) for d in documents],
    }


def document_page(
    params, user: User | None, *, page: int, per_page: int
) -> dict[str, int | list[dict]]:
    """One page of the documents this user may see, newest first, narrowed by the filters
    (meeting, doc_type, language, delegation; words are for the search API)."""
    filters = queries.parse_filters(params)
    query = queries.visible_documents(visible_statuses(user), staff=is_staff(user))
    query = queries.with_filters(query, filters)
    total = queries.count(query)
    query = queries.with_rows_for_export(query).order_by(
        Document.date.desc().nulls_last(), Document.id.desc()
    )
    rows = db.session.scalars(query.offset((page - 1) * per_page).limit(per_page))
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "items": [export_dict(d) for d in rows],
    }
