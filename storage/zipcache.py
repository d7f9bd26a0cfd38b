"""Built archives kept as files, named by the key of their bytes, least recently used first out.

Layout under the root::

    <slot>.<key>.zip    a finished archive: <slot> names what it is an archive of
                        (``meeting.12MSP.public``), <key> (64 hex digits) its exact bytes
    tmp/                archives being written: ``host~pid~<slot>.<key>.<random>.tmp``

A file appears under its final name only whole (written to tmp/, fsynced, renamed), so a
reader finds the archive or nothing. Committing an archive removes the other keys of its
slot (older builds) and then the least recently served archives until the total is within
``max_bytes``; serving one marks it used by setting its access time (explicitly, so
``noatime`` mounts do not matter; the mtime, which HTTP shows as Last-Modified, stays).
A key names bytes, not a moment, so a stale file is never wrong, only unused. No Flask here.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

from storage.files import (
    fsync_dir,
    process_alive,
    remove_abandoned,
    temp_writer,
    write_all,
    writer_prefix,
)

_KEY_RE = re.compile(r"[0-9a-f]{64}")
_SLOT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_SUFFIX = ".zip"


class ZipCache:
    """Finished archives by slot and key, at most ``max_bytes`` of them (0: keep none)."""

    def __init__(self, root: Path | str, max_bytes: int) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"
        self.max_bytes = max_bytes

    @staticmethod
    def is_slot(slot: str) -> bool:
        """Whether this can name a slot (letters, digits, `.`, `_`, `-`; at most 128)."""
        return bool(_SLOT_RE.fullmatch(slot))

    def path(self, slot: str, key: str) -> Path:
        """Where the archive of this slot and key is kept (whether or not it is)."""
        if not _SLOT_RE.fullmatch(slot) or not _KEY_RE.fullmatch(key):
            raise ValueError(f"not a cache slot and key: {slot!r}, {key!r}")
        return self.root / f"{slot}.{key}{_SUFFIX}"

    def get(self, slot: str, key: str) -> Path | None:
        """The kept archive, marked as just used; None if there is none."""
        path = self.path(slot, key)
        try:
            mtime_ns = path.stat().st_mtime_ns
            os.utime(path, ns=(time.time_ns(), mtime_ns))
        except FileNotFoundError:
            return None
        return path

    def accepts(self, size: int) -> bool:
        """Whether an archive of this size would be kept at all."""
        return 0 < size <= self.max_bytes

    def being_written(self, slot: str, key: str) -> bool:
        """Whether a live process of this host is writing this archive now."""
        wanted = f"{slot}.{key}."
        for name in self._temp_names():
            pid, tail = temp_writer(name)
            if pid is not None and tail.startswith(wanted) and process_alive(pid):
                return True
        return False

    def writer(self, slot: str, key: str, size: int) -> CacheWriter:
        """A temp file for this archive; `commit` it once all ``size`` bytes are written."""
        return CacheWriter(self, self.path(slot, key), slot, size)

    def archives(self) -> list[os.DirEntry]:
        """The finished archives (scandir entries)."""
        try:
            with os.scandir(self.root) as entries:
                return [e for e in entries if e.name.endswith(_SUFFIX) and e.is_file()]
        except FileNotFoundError:
            return []

    def remove_others(self, slot: str, keep: Path) -> int:
        """Remove the archives of ``slot`` other than ``keep``; return how many."""
        removed = 0
        for entry in self.archives():
            rest = entry.name.removeprefix(f"{slot}.").removesuffix(_SUFFIX)
            ours = entry.name.startswith(f"{slot}.") and _KEY_RE.fullmatch(rest)
            if ours and entry.path != str(keep):
                removed += _unlink(entry.path)
        return removed

    def evict(self, keep: Path | None = None) -> int:
        """Remove least recently used archives until the total is within max_bytes."""
        entries = []
        for entry in self.archives():
            try:
                info = entry.stat()
            except FileNotFoundError:
                continue
            entries.append((info.st_atime_ns, info.st_size, entry.path))
        total = sum(size for _, size, _ in entries)
        removed = 0
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            if keep is not None and path == str(keep):
                continue
            removed += _unlink(path)
            total -= size
        return removed

    def clear(self) -> int:
        """Remove every finished archive; return how many."""
        return sum(_unlink(entry.path) for entry in self.archives())

    def cleanup_abandoned(self) -> int:
        """Remove temp files whose writing process, on this host, no longer runs."""
        return remove_abandoned(self.tmp_dir)

    def _temp_names(self) -> list[str]:
        try:
            return os.listdir(self.tmp_dir)
        except FileNotFoundError:
            return []


class CacheWriter:
    """One archive being written to a temp file: `write`, then `commit` or `discard`."""

    def __init__(self, cache: ZipCache, target: Path, slot: str, size: int) -> None:
        self.cache, self.target, self.slot, self.size = cache, target, slot, size
        cache.tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(
            prefix=f"{writer_prefix()}{target.name.removesuffix(_SUFFIX)}.",
            suffix=".tmp",
            dir=cache.tmp_dir,
        )
        self.temp = Path(name)
        self._file = os.fdopen(fd, "wb", buffering=0)
        self.written = 0

    def write(self, chunk: bytes) -> None:
        write_all(self._file, chunk)
        self.written += len(chunk)

    def commit(self) -> Path:
        """Put the whole archive in place, drop older builds of its slot, evict to the cap."""
        if self.written != self.size:
            self.discard()
            raise ValueError(f"{self.target.name}: {self.written} bytes, not {self.size}")
        try:
            os.fchmod(self._file.fileno(), 0o644)
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self.temp, self.target)
        except BaseException:
            self.discard()
            raise
        fsync_dir(self.target.parent)
        self.cache.remove_others(self.slot, self.target)
        self.cache.evict(keep=self.target)
        return self.target

    def discard(self) -> None:
        """Close and remove the temp file (an archive not written to its end)."""
        self._file.close()
        self.temp.unlink(missing_ok=True)


def _unlink(path: str | Path) -> int:
    try:
        os.unlink(path)
    except FileNotFoundError:  # another process removed it first
        return 0
    return 1
