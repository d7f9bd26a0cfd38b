"""Staff workspace operations over the document services: many files at once, and the
overview of a meeting's drafts, failures and missing language versions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select

from archive.auth.models import User
from archive.documents import services as documents
from archive.documents.models import Document, File
from archive.errors import ArchiveError, Duplicate
from archive.extensions import db
from archive.meetings.models import Meeting
from archive.validation import UN_LANGUAGES

#: document types expected in all six UN languages
TRANSLATED_TYPES = ("final_report", "official_document")


@dataclass(frozen=True)
class UploadResult:
    """What became of one uploaded file."""

    filename: str
    outcome: str  # stored | duplicate | refused
    message: str
    document_id: int | None = None

    def to_dict(self) -> dict:
        return {
            "filename": self.filename,
            "outcome": self.outcome,
            "message": self.message,
            "document_id": self.document_id,
        }


def _title_from(filename: str) -> str:
    stem = filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return stem.replace("_", " ").strip() or "Untitled"


def upload_one(
    user: User, metadata: dict, language: str, version_label: str, stream: BinaryIO, filename: str
) -> UploadResult:
    """Store one file as a new document; a refusal is a result, not an exception."""
    values = dict(metadata)
    if not (values.get("title") or "").strip():
        values["title"] = _title_from(filename)
    try:
        document = documents.create_document(
            user,
            metadata=values,
            language=language,
            stream=stream,
            filename=filename,
            version_label=version_label,
            allow_duplicate=False,
        )
    except Duplicate as exc:
        return UploadResult(filename, "duplicate", exc.message, exc.document_id)
    except ArchiveError as exc:
        field = f" ({exc.field})" if exc.field else ""
        return UploadResult(filename, "refused", exc.message + field)
    return UploadResult(filename, "stored", f"stored as document {document.id}", document.id)


def upload_many(
    user: User, metadata: dict, language: str, version_label: str, files: list
) -> list[UploadResult]:
    """Each file its own unit of work: a bad one does not stop the others."""
    return [
        upload_one(user, metadata, language, version_label, f.stream, f.filename or "file.pdf")
        for f in files
    ]


@dataclass
class MeetingOverview:
    """What needs a staff member's attention in a meeting."""

    documents: list[Document]
    drafts: list[Document]
    failures: list[File]
    missing_languages: list[tuple[Document, list[str]]]


def meeting_overview(meeting: Meeting) -> MeetingOverview:
    """All live documents of the meeting, with drafts, failed files and missing languages."""
    docs = list(
        db.session.scalars(
            select(Document)
            .where(Document.meeting_id == meeting.id, Document.deleted_at.is_(None))
            .order_by(Document.doc_type, Document.date.nulls_first(), Document.title, Document.id)
        )
    )
    failures = [
        f for d in docs for f in d.current_files if f.text_status in ("failed", "needs_ocr")
    ]
    missing = [
        (d, [lang for lang in UN_LANGUAGES if lang not in d.languages])
        for d in docs
        if d.doc_type in TRANSLATED_TYPES and set(UN_LANGUAGES) - set(d.languages)
    ]
    return MeetingOverview(docs, [d for d in docs if d.status == "draft"], failures, missing)
