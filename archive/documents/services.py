"""Documents and their files: upload, versions, metadata, deletion, and their JSON form."""

from __future__ import annotations

import re
import unicodedata
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select

from archive import validation
from archive.access import is_staff, visible_statuses
from archive.audit.services import record
from archive.auth.models import User
from archive.delegations.services import delegation_for_upload
from archive.documents.models import DOC_TYPES, STATUSES, Document, File
from archive.documents.uploads import discard_unreferenced, store_pdf
from archive.errors import Conflict, Duplicate, NotFound, ValidationError
from archive.extensions import db
from archive.jobs.services import enqueue
from archive.meetings.models import Meeting
from archive.meetings.services import find_meeting
from archive.recordings.media import parse_offset
from archive.recordings.models import Recording
from archive.stores import blob_store
from archive.timeutil import utcnow
from storage import BlobInfo

#: the metadata fields of an upload, as named in the import manifest
METADATA_FIELDS = (
    "meeting",
    "doc_type",
    "title",
    "symbol",
    "delegation",
    "agenda_item",
    "date",
    "status",
    "recording",
    "recording_offset",
)


def _meeting(value: object):
    code = validation.text(value, "meeting", required=True, max_length=32)
    meeting = find_meeting(code)
    if meeting is None:
        raise NotFound(f"No meeting with code {code!r}.", field="meeting")
    return meeting


def _recording(value: object, meeting_id: int) -> Recording | None:
    recording_id = validation.optional_int(value, "recording", minimum=1)
    if recording_id is None:
        return None
    recording = db.session.get(Recording, recording_id)
    if recording is None or recording.meeting_id != meeting_id:
        raise ValidationError("recording is not a recording of this meeting.", field="recording")
    return recording


def _apply_metadata(document: Document, values: dict, *, partial: bool) -> None:
    """Validate the given fields and set them on the document (all of them unless partial)."""

    def given(name: str) -> bool:
        return not partial or name in values

    if given("meeting"):
        document.meeting = _meeting(values.get("meeting"))
    if given("doc_type"):
        document.doc_type = validation.choice(values.get("doc_type"), DOC_TYPES, "doc_type")
    if given("title"):
        document.title = validation.text(values.get("title"), "title", required=True)
    if given("symbol"):
        document.symbol = validation.text(values.get("symbol"), "symbol", max_length=100) or None
    if given("delegation"):
        document.delegation = delegation_for_upload(values.get("delegation"))
    if given("agenda_item"):
        document.agenda_item = validation.text(
            values.get("agenda_item"), "agenda_item", max_length=100
        )
    if given("date"):
        document.date = validation.optional_date(values.get("date"), "date")
    if given("status"):
        document.status = validation.choice(
            values.get("status"), STATUSES, "status", default="draft"
        )
    if given("recording"):
        document.recording = _recording(values.get("recording"), document.meeting.id)
    if given("recording_offset"):
        document.recording_offset = parse_offset(values.get("recording_offset"))


def _new_file(document: Document, language: str, version_label: str, info: BlobInfo, name: str):
    for older in document.files:
        if older.language == language:
            older.is_current = False
    file = File(
        document=document,
        language=language,
        version_label=version_label,
        sha256=info.sha256,
        size=info.size,
        original_filename=_display_filename(name),
        is_current=True,
        text_status="pending",
    )
    db.session.add(file)
    return file


def _display_filename(name: str | None) -> str:
    """The client's file name, kept only for display: never used as a path."""
    base = re.split(r"[\\/]", name or "")[-1]
    return "".join(ch for ch in base if ch.isprintable())[:300]


def _store_then_commit(stream: BinaryIO, build) -> File:
    """Store the blob, let `build` write the rows, commit; on failure leave nothing behind."""
    blobs = blob_store()
    with store_pdf(blobs, stream, max_bytes=current_app.config["MAX_CONTENT_LENGTH"]) as info:
        try:
            file = build(info)
            db.session.flush()
            enqueue("extract", {"file_id": file.id})
            db.session.commit()
            return file
        except BaseException:
            db.session.rollback()
            discard_unreferenced(blobs, info)
            raise


def create_document(
    user: User | None,
    *,
    metadata: dict,
    language: object,
    stream: BinaryIO,
    filename: str | None = None,
    version_label: object = "",
    allow_duplicate: bool = True,
) -> Document:
    """Upload a new document with its first file; the text is extracted in the background.

    With allow_duplicate=False, bytes already stored for a live document are refused
    (Duplicate, naming that document) and nothing is written.
    """
    document = Document()
    try:
        with db.session.no_autoflush:  # not half-built into the session
            _apply_metadata(document, metadata, partial=False)
        db.session.add(document)  # complete now; a later refusal rolls it back
        lang = validation.language(language)
        label = validation.text(version_label, "version_label", max_length=32) or "final"
    except BaseException:
        db.session.rollback()  # forget the half-built document and any state it touched
        raise

    def build(info: BlobInfo) -> File:
        if not allow_duplicate and not info.created:
            existing = document_with_file(info.sha256)
            if existing is not None:
                raise Duplicate(existing.id)
        db.session.flush()
        file = _new_file(document, lang, label, info, filename or "")
        record(user, "document.create", "document", document.id, title=document.title)
        return file

    _store_then_commit(stream, build)
    return document


def add_file(
    user: User | None,
    document: Document,
    *,
    language: object,
    stream: BinaryIO,
    filename: str | None = None,
    version_label: object = "",
) -> File:
    """Add a language version, or a new version of a language; older versions are kept."""
    lang = validation.language(language)
    label = validation.text(version_label, "version_label", max_length=32) or "final"
    if any(f.language == lang and f.version_label == label for f in document.files):
        raise Conflict(
            f"Document {document.id} already has a {lang} file labelled {label!r}.",
            field="version_label",
        )

    def build(info: BlobInfo) -> File:
        document.updated_at = utcnow()  # harvesters (OAI, feeds) see the new version
        file = _new_file(document, lang, label, info, filename or "")
        db.session.flush()
        record(user, "file.add", "document", document.id, language=lang, version=label)
        return file

    return _store_then_commit(stream, build)


def update_document(user: User | None, document: Document, changes: dict) -> Document:
    """Change metadata (including status: draft, published, withdrawn); reindexes it."""
    unknown = sorted(set(changes) - set(METADATA_FIELDS))
    if unknown:
        raise ValidationError(f"Unknown field {unknown[0]!r}.", field=unknown[0])
    try:
        _apply_metadata(document, changes, partial=True)
        record(user, "document.update", "document", document.id, fields=sorted(changes))
        enqueue("index_document", {"document_id": document.id})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return document


def delete_document(user: User | None, document: Document) -> None:
    """Move a document to the trash: hidden everywhere, restorable by an admin."""
    document.deleted_at = utcnow()
    record(user, "document.delete", "document", document.id, title=document.title)
    enqueue("unindex_document", {"document_id": document.id})
    db.session.commit()


def restore_document(user: User | None, document: Document) -> None:
    """Bring a document back from the trash, with its status as it was."""
    document.deleted_at = None
    record(user, "document.restore", "document", document.id, title=document.title)
    enqueue("index_document", {"document_id": document.id})
    db.session.commit()


def trashed_documents() -> list[Document]:
    query = select(Document).where(Document.deleted_at.is_not(None))
    return list(db.session.scalars(query.order_by(Document.deleted_at.desc())))


def empty_trash(user: User | None) -> int:
    """Delete trashed documents for good; blobs no longer used go at the next repair."""
    documents = trashed_documents()
    for document in documents:
        record(user, "document.purge", "document", document.id, title=document.title)
        db.session.delete(document)
    db.session.commit()
    return len(documents)


def document_with_file(sha256: str) -> Document | None:
    """A live document that has a file with these bytes, if any."""
    query = (
        select(Document)
        .join(File)
        .where(File.sha256 == sha256, Document.deleted_at.is_(None))
        .limit(1)
    )
    return db.session.scalars(query).first()


def find_document(document_id: int) -> Document | None:
    return db.session.get(Document, document_id)


def get_document(document_id: int, user: User | None) -> Document:
    """The document as this user may see it by its URL; drafts and trashed ones are a 404.

    A withdrawn document keeps its URL (its page says it was withdrawn) but leaves
    listings and search.
    """
    document = find_document(document_id)
    staff = is_staff(user)
    if (
        document is None
        or document.deleted_at is not None
        or (document.status == "draft" and not staff)
        or not (document.meeting.published or staff)
    ):
        raise NotFound(f"No document with id {document_id}.")
    return document


def file_for_download(document: Document, language: str | None, version: str | None) -> File:
    """The file to serve: the language asked (else the first), the version asked (else current)."""
    current = document.current_files
    if not current:
        raise NotFound("This document has no file.")
    lang = language or current[0].language
    candidates = [f for f in document.files if f.language == lang]
    if version:
        candidates = [f for f in candidates if f.version_label == version]
    else:
        candidates = [f for f in candidates if f.is_current]
    if not candidates:
        raise NotFound(
            f"No {lang} file{' labelled ' + version if version else ''} for this document."
        )
    return candidates[-1]


DOC_TYPE_LABELS = {
    "final_report": "Final Report",
    "statement": "Statement",
    "working_paper": "Working Paper",
    "official_document": "Official Document",
    "information_note": "Information Note",
    "presentation": "Presentation",
    "press_release": "Press Release",
    "other": "Document",
}


def _ascii_part(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", folded).strip("-")


def download_name(file: File) -> str:
    """A readable file name, e.g. 12MSP_Statement_Chile_EN.pdf."""
    document = file.document
    parts = [document.meeting.code, DOC_TYPE_LABELS[document.doc_type].replace(" ", "")]
    if document.delegation:
        parts.append(document.delegation.name)
    parts.append(file.language.upper())
    if not file.is_current:
        parts.append(file.version_label)
    return "_".join(p for p in map(_ascii_part, parts) if p) + ".pdf"


def list_documents(user: User | None, *, delegation_id: int | None = None) -> list[Document]:
    """Visible documents, newest first, optionally of one delegation."""
    query = select(Document).where(
        Document.status.in_(visible_statuses(user)), Document.deleted_at.is_(None)
    )
    if not is_staff(user):  # nor the documents of a meeting that is not published
        query = query.join(Document.meeting).where(Meeting.published.is_(True))
    if delegation_id is not None:
        query = query.where(Document.delegation_id == delegation_id)
    newest = (Document.date.desc().nulls_last(), Document.id.desc())  # the same on every database
    return list(db.session.scalars(query.order_by(*newest)))


def file_to_dict(file: File) -> dict:
    return {
        "id": file.id,
        "language": file.language,
        "version_label": file.version_label,
        "current": file.is_current,
        "sha256": file.sha256,
        "size": file.size,
        "original_filename": file.original_filename,
        "download_name": download_name(file),
        "page_count": file.page_count,
        "text_status": file.text_status,
        "text_reason": file.text_reason,
    }


def document_to_dict(document: Document) -> dict:
    return {
        "id": document.id,
        "meeting": document.meeting.code,
        "doc_type": document.doc_type,
        "title": document.title,
        "symbol": document.symbol,
        "delegation": document.delegation.code if document.delegation else None,
        "delegation_name": document.delegation.name if document.delegation else None,
        "agenda_item": document.agenda_item,
        "date": document.date.isoformat() if document.date else None,
        "status": document.status,
        "languages": document.languages,
        "recording": document.recording_id,
        "recording_offset": document.recording_offset,
        "files": [file_to_dict(f) for f in document.files],
    }
