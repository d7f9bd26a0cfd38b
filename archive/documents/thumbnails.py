"""Which thumbnail a document shows: the first page of its English file, else of its first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from archive.documents.models import Document, File
from archive.stores import thumbnail_store
from indexer.thumbnails import png_size


@dataclass(frozen=True)
class Thumbnail:
    """A stored thumbnail of one of a document's current files."""

    file: File
    path: Path
    width: int
    height: int


def thumbnail_file(document: Document) -> File | None:
    """The current English file, else the first current file (None: the document has none)."""
    current = document.current_files
    english = [f for f in current if f.language == "en"]
    return (english or current or [None])[0]


def document_thumbnail(document: Document) -> Thumbnail | None:
    """The stored thumbnail of the document's `thumbnail_file`, or None when there is none."""
    file = thumbnail_file(document)
    if file is None:
        return None
    path = thumbnail_store().path(file.sha256)
    try:
        with open(path, "rb") as handle:
            size = png_size(handle.read(24))
    except FileNotFoundError:
        return None
    if size is None:
        return None
    return Thumbnail(file, path, *size)
