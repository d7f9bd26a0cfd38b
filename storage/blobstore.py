"""A content-addressed blob store: files named by the SHA-256 of their bytes.

Layout under the root::

    blobs/ab/cd/abcd…   one file per blob, sharded by the first four hex digits
    tmp/                temp files being written; moved into blobs/ by os.replace
    locks/ab.lock       256 lock files, one per first two hex digits of a digest

Both folders live under one root, so the final ``os.replace`` never crosses a
filesystem and is atomic: a reader sees either no blob or the whole blob.

A blob is shared by every file with the same bytes, so "store it, then commit the row that
refers to it" and "delete it because no row refers to it" must not interleave: both hold the
digest's lock (``put_stream_held``, ``delete_unreferenced``), in every process.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from storage.files import fsync_dir, remove_abandoned, write_all, writer_prefix

_DIGEST_RE = re.compile(r"[0-9a-f]{64}")
_SHARD_RE = re.compile(r"[0-9a-f]{2}")
_TEMP_SUFFIX = ".tmp"


_BLOB_MODE = 0o644


class BlobTooLarge(Exception):
    """The stream held more bytes than the caller allowed."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"blob exceeds the limit of {max_bytes} bytes")
        self.max_bytes = max_bytes


@dataclass(frozen=True)
class BlobInfo:
    """What ``put_stream`` stored: the digest, the size, and whether the blob is new."""

    sha256: str
    size: int
    created: bool


def shard(digest: str) -> str:
    """Return the relative path ``ab/cd/abcd…`` of a blob; ValueError for a bad digest."""
    if not isinstance(digest, str) or not _DIGEST_RE.fullmatch(digest):
        raise ValueError(f"not a lowercase hex SHA-256 digest: {digest!r}")
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


class BlobStore:
    """Blobs on the local filesystem under ``root``, safe to share between processes."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.blobs_dir = self.root / "blobs"
        self.tmp_dir = self.root / "tmp"
        self.locks_dir = self.root / "locks"
        self.blobs_dir.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"BlobStore({str(self.root)!r})"

    # -- writing -----------------------------------------------------------------

    def put_stream(
        self, stream: BinaryIO, *, max_bytes: int | None = None, chunk_size: int = 1 << 20
    ) -> BlobInfo:
        """Store everything ``stream`` yields; on any error nothing is left behind."""
        with self.put_stream_held(stream, max_bytes=max_bytes, chunk_size=chunk_size) as info:
            return info

    @contextmanager
    def put_stream_held(
        self, stream: BinaryIO, *, max_bytes: int | None = None, chunk_size: int = 1 << 20
    ) -> Iterator[BlobInfo]:
        """Store ``stream`` like ``put_stream`` and hold the blob's lock until the block ends.

        Commit the rows that refer to the blob inside the block. Until then no other process
        can delete the blob as unreferenced, and if the block deletes a blob it created (its
        unit of work failed), a concurrent upload of the same bytes stores them again instead
        of counting on the deleted blob.
        """
        fd, tmp_name = tempfile.mkstemp(
            prefix=writer_prefix(), suffix=_TEMP_SUFFIX, dir=self.tmp_dir
        )
        tmp_path: Path | None = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb", buffering=0) as tmp:
                digest, size = _copy_hashing(stream, tmp, max_bytes, chunk_size)
                os.fchmod(tmp.fileno(), _BLOB_MODE)
                os.fsync(tmp.fileno())
            with self._digest_lock(digest):
                created = self._move_into_place(tmp_path, digest)
                tmp_path = None
                yield BlobInfo(sha256=digest, size=size, created=created)
        finally:
            if tmp_path is not None:
                tmp_path.unlink(missing_ok=True)

    def delete_unreferenced(self, digest: str, referenced: Callable[[], bool]) -> bool:
        """Delete a blob if ``referenced()``, asked under the blob's lock, says nothing needs it.

        Returns True if the blob was deleted. Must not be called inside ``put_stream_held``
        for the same digest (use ``delete`` there: the lock is already held).
        """
        with self._digest_lock(digest):
            if referenced():
                return False
            return self.delete(digest)

    @contextmanager
    def _digest_lock(self, digest: str) -> Iterator[None]:
        """An exclusive lock shared by the digests with the same first two hex digits.

        ``flock`` on a fresh descriptor, so threads of one process exclude each other too.
        Striping keeps the lock files to 256; a lock is held for a commit, not for an upload.
        """
        shard(digest)  # validates
        self.locks_dir.mkdir(exist_ok=True)
        fd = os.open(self.locks_dir / f"{digest[:2]}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def put_bytes(self, data: bytes) -> BlobInfo:
        """Store ``data``; a convenience for small blobs and tests."""
        return self.put_stream(io.BytesIO(data))

    def _move_into_place(self, tmp_path: Path, digest: str) -> bool:
        """Rename a finished temp file to its blob path; False if the blob already existed."""
        target = self.path(digest)
        if target.is_file():
            tmp_path.unlink()
            return False
        _make_dirs(target.parent, stop=self.blobs_dir)
        os.replace(tmp_path, target)
        fsync_dir(target.parent)
        return True

    def cleanup_temp(self, older_than: float = 0) -> int:
        """Remove temp files last written more than ``older_than`` seconds ago; return the count.

        A writer touches its temp file with every chunk, so a positive ``older_than``
        spares uploads still in progress in other processes.
        """
        cutoff = time.time() - older_than
        removed = 0
        with os.scandir(self.tmp_dir) as entries:
            for entry in entries:
                try:
                    if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime <= cutoff:
                        os.unlink(entry.path)
                        removed += 1
                except FileNotFoundError:  # another process finished or cleaned it first
                    continue
        return removed

    def cleanup_abandoned(self) -> int:
        """Remove temp files whose writing process, on this host, no longer runs.

        Safe at any time, even while other processes upload: their writers are alive.
        """
        return remove_abandoned(self.tmp_dir)

    # -- reading -----------------------------------------------------------------

    def path(self, digest: str) -> Path:
        """Return the filesystem path of a blob (whether or not it exists)."""
        return self.blobs_dir / shard(digest)

    def exists(self, digest: str) -> bool:
        """Return True if the blob is stored."""
        return self.path(digest).is_file()

    def open(self, digest: str) -> BinaryIO:
        """Open a blob for reading in binary mode; FileNotFoundError if missing."""
        return open(self.path(digest), "rb")  # noqa: SIM115 - the caller closes it

    def size(self, digest: str) -> int:
        """Return the size of a blob in bytes; FileNotFoundError if missing."""
        return self.path(digest).stat().st_size

    def delete(self, digest: str) -> bool:
        """Delete a blob; return False if it was not there.

        Empty shard folders are kept: removing them could race with a concurrent put.
        """
        try:
            self.path(digest).unlink()
        except FileNotFoundError:
            return False
        return True

    def verify(self, digest: str, *, chunk_size: int = 1 << 20) -> bool:
        """Re-hash a blob; False if it is missing or its bytes no longer match its name."""
        hasher = hashlib.sha256()
        try:
            with self.open(digest) as blob:
                while chunk := blob.read(chunk_size):
                    hasher.update(chunk)
        except FileNotFoundError:
            return False
        return hasher.hexdigest() == digest

    def iter_digests(self) -> Iterator[str]:
        """Yield the digest of every stored blob, in sorted order; skip anything else."""
        for first in _sorted_subdirs(self.blobs_dir):
            for second in _sorted_subdirs(first):
                prefix = first.name + second.name
                for entry in sorted(os.scandir(second), key=lambda e: e.name):
                    name = entry.name
                    if (
                        _DIGEST_RE.fullmatch(name)
                        and name.startswith(prefix)
                        and entry.is_file(follow_symlinks=False)
                    ):
                        yield name


def _copy_hashing(
    stream: BinaryIO, out: BinaryIO, max_bytes: int | None, chunk_size: int
) -> tuple[str, int]:
    """Copy ``stream`` to ``out`` in chunks; return (sha256 hex, size)."""
    hasher = hashlib.sha256()
    size = 0
    while True:
        # Ask for one byte past the limit at most, so an oversized stream is caught
        # without reading (or writing) much more of it.
        want = chunk_size if max_bytes is None else min(chunk_size, max_bytes - size + 1)
        chunk = stream.read(want)
        if chunk is None:  # a non-blocking stream with nothing yet: not the end of it
            raise BlockingIOError("the stream returned no data; it must be blocking")
        if not chunk:
            break
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise BlobTooLarge(max_bytes)
        hasher.update(chunk)
        write_all(out, chunk)
    return hasher.hexdigest(), size


def _make_dirs(path: Path, *, stop: Path) -> None:
    """Create ``path`` and missing parents below ``stop``, fsyncing each new entry's parent."""
    if path.is_dir() or path == stop:
        return
    _make_dirs(path.parent, stop=stop)
    try:
        path.mkdir()
    except FileExistsError:  # another process created it first
        return
    fsync_dir(path.parent)


def _sorted_subdirs(path: Path) -> list[Path]:
    """Return the two-hex-digit shard folders directly under ``path``, sorted."""
    return sorted(
        Path(entry.path)
        for entry in os.scandir(path)
        if _SHARD_RE.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False)
    )
