"""Streamed ZIPs of documents, with a CSV and a JSON manifest, written as they are sent.

zipstream-ng writes each member as the response is read: a PDF is copied from the blob
store in 64 KB reads and the manifests are generated a row at a time, so memory holds
one manifest row per file (its metadata, as compact JSON), never the files. Members are
stored uncompressed (PDFs are compressed already), which lets the archive's size be
known before it is written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from flask import Response, url_for
from werkzeug.http import dump_options_header
from zipstream import ZIP_STORED, ZipStream

from archive.delegations.models import Delegation
from archive.documents.models import Document, File
from archive.documents.services import download_name
from archive.errors import ValidationError
from archive.exports import metadata, queries
from archive.extensions import db
from archive.meetings.models import Meeting
from archive.search.services import MAX_PAGE, MAX_PER_PAGE, search
from archive.stores import blob_store
from archive.timeutil import utcnow

#: folders by document type, in plural where a meeting has several
ZIP_FOLDERS = {
    "final_report": "Final Report",
    "statement": "Statements",
    "working_paper": "Working Papers",
    "official_document": "Official Documents",
    "information_note": "Information Notes",
    "presentation": "Presentations",
    "press_release": "Press Releases",
    "other": "Other Documents",
}

MANIFEST_COLUMNS = (
    "path",
    "document_id",
    *metadata.DOCUMENT_COLUMNS,
    "language",
    "version_label",
    "page_count",
    "size",
    "sha256",
    "download_url",
    "document_url",
)


@dataclass(frozen=True, slots=True)
class ZipMember:
    """One PDF in the archive: where it goes, where its bytes are, and its manifest row."""

    arcname: str
    blob_path: str
    #: the manifest row as UTF-8 JSON: a third of the memory of the dict
    row_json: bytes
    document_id: int

    @property
    def row(self) -> dict:
        return json.loads(self.row_json)


def zip_members(
    documents: Iterable[Document], *, language: str | None = None, by_meeting: bool = False
) -> list[ZipMember]:
    """The current files of the documents (of one language if given), with unique names.

    Folders are by document type (`Statements/…`); with by_meeting, inside a folder per
    meeting (`12MSP/Statements/…`), for ZIPs that span meetings.
    """
    taken: set[str] = set()
    members = []
    for document in documents:
        for file in document.current_files:
            if language and file.language != language:
                continue
            arcname = _unique(_arcname(file, by_meeting=by_meeting), document.id, taken)
            path = str(blob_store().path(file.sha256))
            row = json.dumps(_row(file, arcname), ensure_ascii=False).encode()
            members.append(ZipMember(arcname, path, row, document.id))
    return members


def _arcname(file: File, *, by_meeting: bool) -> str:
    folder = ZIP_FOLDERS.get(file.document.doc_type, "Other Documents")
    if by_meeting:
        folder = f"{file.document.meeting.code}/{folder}"
    return f"{folder}/{download_name(file)}"


def _unique(arcname: str, document_id: int, taken: set[str]) -> str:
    """Two documents with the same readable name: the second gets its id in its name."""
    if arcname in taken:
        stem = arcname.removesuffix(".pdf")
        arcname = f"{stem}_{document_id}.pdf"
    taken.add(arcname)
    return arcname


def _row(file: File, arcname: str) -> dict:
    document = file.document
    return {
        "path": arcname,
        "document_id": document.id,
        "meeting": document.meeting.code,
        "doc_type": document.doc_type,
        "title": document.title,
        "symbol": document.symbol or "",
        "delegation": document.delegation.code if document.delegation else "",
        "delegation_name": document.delegation.name if document.delegation else "",
        "agenda_item": document.agenda_item,
        "date": document.date.isoformat() if document.date else "",
        "language": file.language,
        "version_label": file.version_label,
        "page_count": file.page_count,
        "size": file.size,
        "sha256": file.sha256,
        # this exact version, so the URL keeps giving these bytes after a new version
        "download_url": url_for(
            "documents.download",
            document_id=document.id,
            language=file.language,
            version=file.version_label,
            _external=True,
        ),
        "document_url": url_for("documents.show", document_id=document.id, _external=True),
    }


def manifest_csv(members: list[ZipMember]) -> Iterator[bytes]:
    """manifest.csv, one row at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(MANIFEST_COLUMNS)
    for member in members:
        row = member.row
        writer.writerow([metadata.csv_cell(row[c]) for c in MANIFEST_COLUMNS])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode()


def manifest_json(about: dict, members: list[ZipMember]) -> Iterator[bytes]:
    """manifest.json: what the archive is (`about`), then its files, one at a time."""
    head = json.dumps(about | {"files": None}, ensure_ascii=False, indent=2)
    yield head.removesuffix("null\n}").encode() + b"["
    for i, member in enumerate(members):
        yield ("," if i else "").encode() + b"\n    "
        yield member.row_json
    yield b"\n  ]\n}\n"


def _size(chunks: Iterable[bytes]) -> int:
    return sum(len(chunk) for chunk in chunks)


def build_zip(about: dict, members: list[ZipMember]) -> ZipStream:
    """The archive: the manifests first, then every file; nothing is read until it is sent."""
    about = about | {
        "generated_at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "file_count": len(members),
        "document_count": len({m.document_id for m in members}),
    }
    stream = ZipStream(compress_type=ZIP_STORED, sized=True)
    # generated twice, once to count: the archive's size is known without holding them
    for name, chunks in (
        ("manifest.csv", lambda: manifest_csv(members)),
        ("manifest.json", lambda: manifest_json(about, members)),
    ):
        stream.add(chunks(), name, size=_size(chunks()))
    for member in members:
        stream.add_path(member.blob_path, member.arcname)
    return stream


def zip_response(stream: ZipStream, filename: str, headers: dict | None = None) -> Response:
    """Send the archive as it is written, with its length and a readable file name."""
    response = Response(stream, mimetype="application/zip")
    response.headers["Content-Length"] = str(len(stream))
    response.headers["Content-Disposition"] = dump_options_header(
        "attachment", {"filename": filename}
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response


# --- the three archives -------------------------------------------------------------

#: documents in a search result's ZIP at most (config EXPORT_ZIP_MAX_DOCUMENTS)
SEARCH_ZIP_CAP = 500
#: the search parameters a search ZIP understands
SEARCH_KEYS = ("q", "meeting", "doc_type", "language", "delegation", "date_from", "date_to")


def _public_in_order(ids: list[int]) -> list[Document]:
    """These documents with their files, in this order, keeping the public ones only."""
    query = queries.with_rows_for_export(queries.public_documents().where(Document.id.in_(ids)))
    rows = {d.id: d for d in db.session.scalars(query)}
    return [rows[i] for i in ids if i in rows]


def meeting_archive(meeting: Meeting) -> ZipStream:
    """A meeting's public files by document type, with manifests."""
    documents = metadata.meeting_export_documents(meeting)
    about = {
        "source": {
            "kind": "meeting",
            "code": meeting.code,
            "title": meeting.title,
            "url": url_for("meetings.show", code=meeting.code, _external=True),
        }
    }
    return build_zip(about, zip_members(documents))


def delegation_archive(delegation: Delegation) -> ZipStream:
    """A delegation's public files across meetings, by meeting then document type."""
    filters = queries.DocumentFilters(delegation=delegation.code)
    query = queries.with_rows_for_export(queries.with_filters(queries.public_documents(), filters))
    query = query.order_by(
        Meeting.start_date.nulls_first(), Meeting.code, Document.doc_type, Document.id
    )
    about = {
        "source": {
            "kind": "delegation",
            "code": delegation.code,
            "name": delegation.name,
            "url": url_for("delegations.show", code=delegation.code, _external=True),
        }
    }
    return build_zip(about, zip_members(db.session.scalars(query), by_meeting=True))


@dataclass(frozen=True)
class SearchArchive:
    """A search result's ZIP, how many documents matched and how many it holds."""

    stream: ZipStream
    matched: int
    included: int
    cap: int


def search_archive(params: dict, cap: int = SEARCH_ZIP_CAP) -> SearchArchive:
    """The first `cap` public documents of a search (words or filters), by meeting and type."""
    wanted = {k: params.get(k) for k in SEARCH_KEYS if params.get(k)}
    if not wanted:
        raise ValidationError("Give search words or a filter for the ZIP.", field="q")
    ids: list[int] = []
    page, matched = 1, 0
    while len(ids) < cap:
        result = search(wanted | {"page": str(page), "per_page": str(MAX_PER_PAGE)}, None)
        matched = result.total
        ids += [hit.document_id for hit, _ in result.items]
        if page * MAX_PER_PAGE >= matched or page >= MAX_PAGE:
            break
        page += 1
    documents = _public_in_order(ids[:cap])
    language = queries.parse_filters(wanted).language
    about = {
        "source": {
            "kind": "search",
            "query": wanted,
            "url": url_for("search.search_page", **wanted, _external=True),
        },
        "cap": cap,
        "matched": matched,
        "truncated": matched > cap,
    }
    members = zip_members(documents, language=language, by_meeting=True)
    return SearchArchive(build_zip(about, members), matched, len(documents), cap)
