"""Extracted page texts per file, keyed by the file's SHA-256.

The cache lets the search index be rebuilt, and snippets be made, without extracting the PDFs
again. Each entry is one JSON file at ``root/ab/cd/<sha256>.json`` written atomically.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from storage.files import fsync_dir, write_atomic

_DIGEST = re.compile(r"[0-9a-f]{64}")
_FORMAT = 1


def validate_digest(sha256: str) -> str:
    """Return ``sha256`` if it is 64 lowercase hex digits, else raise ValueError."""
    if not isinstance(sha256, str) or not _DIGEST.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


def shard(sha256: str) -> Path:
    """Return the relative path of a digest's entry: ``ab/cd/<sha256>.json``."""
    validate_digest(sha256)
    return Path(sha256[:2], sha256[2:4], f"{sha256}.json")


class TextCache:
    """A content-addressed store of page texts: ``put``, ``get``, ``exists``, ``delete``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        """Return the absolute path of a digest's entry (which may not exist)."""
        return self.root / shard(sha256)

    def put(self, sha256: str, pages: list[str]) -> None:
        """Store the page texts of a file, replacing any previous entry atomically."""
        if not isinstance(pages, list) or not all(isinstance(p, str) for p in pages):
            raise TypeError("pages must be a list of str")
        payload = {"format": _FORMAT, "sha256": sha256, "pages": pages}
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        write_atomic(self.path(sha256), data)

    def get(self, sha256: str) -> list[str] | None:
        """Return the page texts of a file, or None if absent or unreadable."""
        try:
            raw = self.path(sha256).read_bytes()
        except FileNotFoundError:
            return None
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        return _pages_from(payload, sha256)

    def exists(self, sha256: str) -> bool:
        """Return True if the cache holds an entry for the digest."""
        return self.path(sha256).is_file()

    def delete(self, sha256: str) -> bool:
        """Remove a digest's entry; return True if there was one."""
        path = self.path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_dir(path.parent)
        return True

    def iter_digests(self) -> Iterator[str]:
        """Yield the digest of every entry, in sorted order."""
        for first in sorted(self._subdirs(self.root)):
            for second in sorted(self._subdirs(first)):
                for entry in sorted(second.glob("*.json")):
                    if _DIGEST.fullmatch(entry.stem):
                        yield entry.stem

    @staticmethod
    def _subdirs(path: Path) -> Iterator[Path]:
        """Yield the two-hex-digit shard directories inside ``path``."""
        for child in path.iterdir():
            if child.is_dir() and re.fullmatch(r"[0-9a-f]{2}", child.name):
                yield child


def _pages_from(payload: object, sha256: str) -> list[str] | None:
    """Return the page list of a decoded entry if it is well-formed, else None."""
    if not isinstance(payload, dict) or payload.get("sha256") != sha256:
        return None
    pages = payload.get("pages")
    if not isinstance(pages, list) or not all(isinstance(p, str) for p in pages):
        return None
    return pages
