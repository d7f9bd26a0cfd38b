"""Keeping the search index in step with the database; run by the worker only."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from archive.documents.models import Document, File
from archive.extensions import db
from archive.stores import blob_store, search_index, text_cache, thumbnail_store
from indexer.extract import ExtractionResult, extract_pages
from indexer.index import FileRecord

#: text statuses whose outcome is final for a blob, so a duplicate upload can reuse it
_SETTLED = ("indexed", "needs_ocr", "failed")


def file_record(file: File) -> FileRecord:
    """What the index needs to know about a file besides its pages."""
    document = file.document
    delegation = document.delegation
    return FileRecord(
        file_id=file.id,
        document_id=document.id,
        sha256=file.sha256,
        language=file.language,
        meeting=document.meeting.code,
        doc_type=document.doc_type,
        delegation=delegation.code if delegation else None,
        date=document.date,
        status=document.status,
        title=document.title,
        symbol=document.symbol,
        names=" ".join((delegation.names or {}).values()) if delegation else "",
    )


def _earlier_outcome(file: File) -> File | None:
    """Another file with the same bytes whose extraction has already finished."""
    query = select(File).where(
        File.sha256 == file.sha256, File.id != file.id, File.text_status.in_(_SETTLED)
    )
    return db.session.scalars(query.limit(1)).first()


def reusable_outcome(file: File) -> ExtractionResult | None:
    """The finished extraction of a file with the same bytes, if there is one to reuse."""
    earlier = _earlier_outcome(file)
    if earlier is None:
        return None
    pages = text_cache().get(file.sha256)
    if pages is not None or earlier.text_status == "failed":
        return ExtractionResult(
            earlier.text_status, pages or [], earlier.page_count or 0, earlier.text_reason
        )
    return None


def _extract(file: File) -> ExtractionResult:
    reused = reusable_outcome(file)
    if reused is not None:
        return reused
    path = blob_store().path(file.sha256)
    db.session.commit()  # hold no transaction open during a long extraction
    return extract_pages(
        path,
        time_limit=current_app.config["EXTRACT_TIME_LIMIT"],
        memory_limit=current_app.config["EXTRACT_MEMORY_LIMIT"],
    )


def extract_file(file_id: int) -> None:
    """Extract a file's text (in a sandboxed process), keep it, index the document."""
    file = db.session.get(File, file_id)
    if file is None:
        return  # deleted since the job was queued
    result = _extract(file)
    if result.status != "failed":
        text_cache().put(file.sha256, result.pages)
    if result.thumbnail is not None:
        thumbnail_store().put(file.sha256, result.thumbnail)
    file.page_count = result.page_count or None
    file.text_status = result.status
    file.text_reason = result.reason
    _sync_document(file.document)
    db.session.commit()


def record_extraction(file: File, result: ExtractionResult, *, store_text: bool = True) -> None:
    """Keep a finished extraction: its text in the cache (unless the caller stores it), its
    outcome on the file (the caller indexes the document and commits)."""
    if store_text and result.status != "failed":
        text_cache().put(file.sha256, result.pages)
    file.page_count = result.page_count or None
    file.text_status = result.status
    file.text_reason = result.reason


def load_files(file_ids: Iterable[int]) -> list[File]:
    """These files with their documents, each document's files, meeting and delegation, in a
    few queries instead of several per file. The session finds them there as long as the
    caller holds on to the returned list (it keeps unchanged objects only weakly)."""
    ids = sorted(set(file_ids))
    if not ids:
        return []
    document = selectinload(File.document)
    query = (
        select(File)
        .where(File.id.in_(ids))
        .options(
            document.selectinload(Document.files),
            document.selectinload(Document.meeting),
            document.selectinload(Document.delegation),
        )
    )
    return list(db.session.scalars(query))


def document_entries(
    document_id: int, fresh: dict[str, list[str]] | None = None
) -> list[tuple[FileRecord, list[str]]]:
    """What the index should hold for a document now: nothing when it is gone or deleted.

    ``fresh`` maps SHA-256 digests to page texts just extracted (saves re-reading the cache).
    """
    document = db.session.get(Document, document_id)
    if document is None or document.deleted_at is not None:
        return []
    return list(_indexable(document, fresh))


def _indexable(
    document: Document, fresh: dict[str, list[str]] | None = None
) -> Iterator[tuple[FileRecord, list[str]]]:
    for file in document.current_files:
        if file.text_status != "indexed":
            continue
        pages = (fresh or {}).get(file.sha256) or text_cache().get(file.sha256)
        if pages:
            yield file_record(file), pages


def _sync_document(document: Document) -> None:
    """Replace the document's pages in one commit, so it never drops out of search."""
    search_index().replace_document(document.id, _indexable(document))


def index_document(document_id: int) -> None:
    """Bring a document's index entries in line with its current files and metadata."""
    document = db.session.get(Document, document_id)
    if document is None or document.deleted_at is not None:
        search_index().delete_document(document_id)
    else:
        _sync_document(document)


def unindex_document(document_id: int) -> None:
    """Remove a deleted document from the index."""
    search_index().delete_document(document_id)


def mark_extraction_given_up(file_id: int, error: str) -> None:
    """After the last failed attempt, say so on the file."""
    file = db.session.get(File, file_id)
    if file is not None:
        file.text_status = "failed"
        file.text_reason = f"could not be processed: {error}"[:2000]
        db.session.commit()


def all_indexable() -> Iterator[tuple[FileRecord, list[str]]]:
    """Every current, indexed file with its stored text: the input of a rebuild."""
    live = select(Document).where(Document.deleted_at.is_(None)).order_by(Document.id)
    for document in db.session.scalars(live):
        yield from _indexable(document)


def indexable_count() -> int:
    """How many files a rebuild will index (for progress bars)."""
    query = select(File.id).where(File.is_current.is_(True), File.text_status == "indexed")
    return len(db.session.scalars(query).all())


def ensure_index_current() -> None:
    """Rebuild the index when its schema version differs from the code's (or it is missing)."""
    index = search_index()
    if index.needs_rebuild():
        index.rebuild(all_indexable())
