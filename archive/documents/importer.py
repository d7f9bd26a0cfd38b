"""Bulk import from a CSV manifest: one row per file, each row its own unit of work.

The manifest is UTF-8 (a BOM is fine) with a header row naming the columns in
``REQUIRED_COLUMNS`` (any order, case-insensitive) and, optionally, those in
``OPTIONAL_COLUMNS``. A header with an unknown, duplicated or missing column refuses the
whole manifest before anything is imported: a misspelt column would otherwise drop its
values silently.

Each row names a PDF by a path relative to the manifest's folder; a path that leaves the
folder (``..``, absolute, or a symbolic link pointing out) is refused for that row. A row
then does one of four things:

- *duplicate*: its document exists and already has this file (same SHA-256) in this
  language; nothing is stored, and re-running a manifest imports nothing twice;
- *added*: its document exists but lacks this language or this version label, so the
  file is added (``add_file``); the document's metadata stays as it is;
- *imported*: no document matches, so one is created (``create_document``);
- *refused*: the reason is kept with the row's line number; nothing of it is stored.

A row's document is the one with the same meeting and symbol or, for a row without a
symbol, a document without a symbol with the same meeting, title and delegation.
Rows are handled in order, so an ``advance`` row followed by a ``final`` row leaves the
final version current.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import Select, select

from archive import validation
from archive.auth.models import User
from archive.csvfiles import CsvFileError, CsvRow, RefusableRow, read_csv
from archive.delegations.models import Delegation
from archive.documents.models import DOC_TYPES, STATUSES, Document
from archive.documents.services import METADATA_FIELDS, add_file, create_document
from archive.errors import ArchiveError, Conflict, NotFound, ValidationError
from archive.extensions import db
from archive.meetings.services import find_meeting

#: the file, the metadata fields up to ``status`` (``language`` after ``doc_type``), and
#: the file's version label
REQUIRED_COLUMNS = (
    "file",
    *METADATA_FIELDS[:2],
    "language",
    *METADATA_FIELDS[2:8],
    "version_label",
)
#: the metadata fields after ``status``: ``recording`` and ``recording_offset``
OPTIONAL_COLUMNS = METADATA_FIELDS[8:]

IMPORTED, ADDED, DUPLICATE, REFUSED = "imported", "added", "duplicate", "refused"


class ManifestError(CsvFileError):
    """The manifest as a whole cannot be read; no row is imported."""

    code = "bad_manifest"


@dataclass(frozen=True)
class ManifestRow(CsvRow):
    """One row: its line in the file (the header is line 1) and its values by column."""

    @property
    def file(self) -> str:
        return self.values.get("file", "")


@dataclass(frozen=True)
class Manifest:
    folder: Path
    columns: tuple[str, ...]
    rows: list[ManifestRow]


@dataclass(frozen=True)
class RowResult(RefusableRow):
    """What became of one row; ``document_id`` is set unless it was refused."""

    line: int
    outcome: str
    document_id: int | None = None
    reason: str = ""
    field: str | None = None


@dataclass
class ImportSummary:
    """The counts of an import and the refused rows, in manifest order."""

    imported: int = 0
    added: int = 0
    duplicates: int = 0
    refused: list[RowResult] = field(default_factory=list)

    def add(self, result: RowResult) -> None:
        if result.outcome == IMPORTED:
            self.imported += 1
        elif result.outcome == ADDED:
            self.added += 1
        elif result.outcome == DUPLICATE:
            self.duplicates += 1
        else:
            self.refused.append(result)

    @property
    def counts(self) -> str:
        return (
            f"imported {self.imported}, added versions {self.added}, "
            f"duplicates {self.duplicates}, refused {len(self.refused)}"
        )


# -- reading the manifest ----------------------------------------------------------------


def read_manifest(path: Path | str) -> Manifest:
    """Read and check the whole manifest (header and encoding); ManifestError if unusable."""
    path = Path(path)
    try:
        columns, rows = read_csv(
            path, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS, what="manifest"
        )
    except CsvFileError as exc:
        raise ManifestError(exc.message) from None
    return Manifest(
        folder=path.resolve().parent,
        columns=columns,
        rows=[ManifestRow(row.line, row.values, row.surplus) for row in rows],
    )


# -- importing -----------------------------------------------------------------------------


def import_manifest(
    path: Path | str,
    user: User | None = None,
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import every row of a manifest; ManifestError when its header is unusable."""
    manifest = read_manifest(path)
    summary = ImportSummary()
    for row in manifest.rows:
        summary.add(import_row(manifest, row, user))
        if progress:
            progress(1)
    return summary


def import_row(manifest: Manifest, row: ManifestRow, user: User | None = None) -> RowResult:
    """Import one row as its own unit of work; a refusal is returned, not raised."""
    try:
        return _import_row(manifest, row, user)
    except ArchiveError as exc:
        return RowResult(row.line, REFUSED, reason=exc.message, field=exc.field)
    except OSError as exc:
        reason = f"cannot read file {row.file}: {exc.strerror or exc}"
        return RowResult(row.line, REFUSED, reason=reason, field="file")
    finally:
        db.session.rollback()  # end the row's read transaction; its writes are committed


def _import_row(manifest: Manifest, row: ManifestRow, user: User | None) -> RowResult:
    if row.surplus:
        raise ValidationError(
            f"the row has {row.surplus} more value(s) than the header has columns."
        )
    path = resolve_file(manifest.folder, row.file)
    language = _check_row(row.values)
    with path.open("rb") as stream:
        candidates = _matching_documents(row.values)
        if not candidates:
            metadata = {name: row.values[name] for name in METADATA_FIELDS if name in row.values}
            document = create_document(
                user, metadata=metadata, stream=stream, **_file_arguments(row)
            )
            return RowResult(row.line, IMPORTED, document.id)
        return _add_to_existing(candidates, row, language, stream, user)


def _add_to_existing(
    candidates: list[Document],
    row: ManifestRow,
    language: str,
    stream: BinaryIO,
    user: User | None,
) -> RowResult:
    """A duplicate when a candidate holds this file already; else a new file of the document."""
    duplicate = _holding_same_file(candidates, language, stream)
    if duplicate is not None:
        return RowResult(row.line, DUPLICATE, duplicate.id)
    document = _only_live(candidates)
    add_file(user, document, stream=stream, **_file_arguments(row))
    return RowResult(row.line, ADDED, document.id)


def resolve_file(folder: Path, value: str) -> Path:
    """The file a row names, inside the manifest's folder; refused if it leaves it or is absent."""
    name = validation.text(value, "file", required=True, max_length=1000)
    relative = Path(name)
    outside = ValidationError(
        f"file must be a path inside the manifest's folder: {name}", field="file"
    )
    if "\0" in name or relative.is_absolute() or ".." in relative.parts:
        raise outside
    path = (folder / relative).resolve()
    if not path.is_relative_to(folder):
        raise outside  # a symbolic link that points out of the folder
    if not path.is_file():
        raise NotFound(f"file not found: {name}", field="file")
    return path


def _check_row(values: dict[str, str]) -> str:
    """Check the row's own values before looking for its document; returns its language.

    The services check them again; checking here too refuses a bad row whether it would
    create a document or add a file to one.
    """
    validation.text(values.get("meeting"), "meeting", required=True, max_length=32)
    validation.choice(values.get("doc_type"), DOC_TYPES, "doc_type")
    validation.text(values.get("title"), "title", required=True)
    validation.text(values.get("symbol"), "symbol", max_length=100)
    validation.optional_date(values.get("date"), "date")
    validation.choice(values.get("status"), STATUSES, "status", default="draft")
    validation.text(values.get("version_label"), "version_label", max_length=32)
    return validation.language(values.get("language"))


def _matching_documents(values: dict[str, str]) -> list[Document]:
    """Documents of the row's meeting that the row describes (see the module's docstring)."""
    meeting = find_meeting(values["meeting"].strip())
    if meeting is None:
        return []  # create_document refuses the row with its own message
    query = select(Document).where(Document.meeting_id == meeting.id)
    symbol = values.get("symbol", "").strip()
    if symbol:
        query = query.where(Document.symbol == symbol)
    else:
        query = query.where(Document.symbol.is_(None), Document.title == values["title"].strip())
        query = _same_delegation(query, values.get("delegation", "").strip().upper())
    return list(db.session.scalars(query.order_by(Document.id)))


def _same_delegation(query: Select, code: str) -> Select:
    if not code:
        return query.where(Document.delegation_id.is_(None))
    return query.join(Document.delegation).where(Delegation.code == code)


def _holding_same_file(
    candidates: list[Document], language: str, stream: BinaryIO
) -> Document | None:
    """The candidate that has this very file in this language, if any (hashes only if needed)."""
    in_language = [(d, f) for d in candidates for f in d.files if f.language == language]
    if not in_language:
        return None
    digest = hashlib.file_digest(stream, "sha256").hexdigest()
    stream.seek(0)
    return next((d for d, f in in_language if f.sha256 == digest), None)


def _only_live(candidates: list[Document]) -> Document:
    """The one document (not in the trash) a new file goes to; refused if none or several."""
    live = [d for d in candidates if d.deleted_at is None]
    if len(live) > 1:
        ids = ", ".join(str(d.id) for d in live)
        raise Conflict(f"the row matches several documents ({ids}); cannot tell which.")
    if not live:
        raise Conflict(
            f"the row matches document {candidates[0].id}, which is in the trash: "
            "restore it or empty the trash first."
        )
    return live[0]


def _file_arguments(row: ManifestRow) -> dict:
    """The arguments that create_document and add_file share (the file name as written)."""
    return {
        "language": row.values.get("language"),
        "filename": row.file.strip(),
        "version_label": row.values.get("version_label", ""),
    }
