"""Turning an uploaded stream into a stored blob: checks on the bytes, nothing left on refusal."""

from __future__ import annotations

import errno
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from sqlalchemy import select

from archive.documents.models import File
from archive.errors import InsufficientStorage, TooLarge, UnsupportedMedia, ValidationError
from archive.extensions import db
from storage import BlobInfo, BlobStore, BlobTooLarge

PDF_MAGIC = b"%PDF-"
HEAD_SIZE = 1024
#: errors of a write that found no room (a full disk, a used-up quota)
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)

log = logging.getLogger(__name__)


class _HeadThenRest(io.RawIOBase):
    """A stream that replays bytes already read from a non-seekable stream."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def check_pdf_head(head: bytes) -> None:
    """Refuse an empty file (400) or one that is not a PDF by its bytes (415)."""
    if not head:
        raise ValidationError("The file is empty.", field="file", code="empty_file")
    if PDF_MAGIC not in head[:HEAD_SIZE]:
        raise UnsupportedMedia(
            "The file is not a PDF (no %PDF- header in its first 1 KB).", field="file"
        )


@contextmanager
def store_pdf(blobs: BlobStore, stream: BinaryIO, *, max_bytes: int | None) -> Iterator[BlobInfo]:
    """Check that the stream holds a PDF and store it; refusals store nothing.

    The blob's lock is held until the block ends: commit the rows that refer to the blob
    inside it, and call ``discard_unreferenced`` there if the unit of work fails.
    """
    head = stream.read(HEAD_SIZE)
    check_pdf_head(head)
    try:
        with blobs.put_stream_held(_HeadThenRest(head, stream), max_bytes=max_bytes) as info:
            yield info
    except BlobTooLarge:
        raise TooLarge(f"The file is larger than {max_bytes} bytes.", field="file") from None
    except OSError as exc:
        if exc.errno not in DISK_FULL:
            raise
        log.error("An upload was refused: no space left for the blob store (%s).", exc)
        raise InsufficientStorage(
            "The archive's disk is full, so the file was not stored. Nothing was saved; "
            "try again once an administrator has freed space.",
            field="file",
        ) from None


def discard_unreferenced(blobs: BlobStore, info: BlobInfo) -> None:
    """After a failed unit of work, remove a blob that it created and nothing refers to.

    Called inside ``store_pdf``'s block, whose lock keeps a concurrent upload of the same
    bytes from committing a reference to the blob between this check and the delete.
    """
    if not info.created:
        return
    if db.session.scalar(select(File.id).where(File.sha256 == info.sha256).limit(1)) is None:
        blobs.delete(info.sha256)
