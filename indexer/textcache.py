"""Extracted page texts per file, keyed by the file's SHA-256.

The cache lets the search index be rebuilt, and snippets be made, without extracting the PDFs
again. Each entry is one JSON file at ``root/ab/cd/<sha256>.json`` written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

from storage.digests import DigestFiles, validate_digest

__all__ = ["TextCache", "shard", "validate_digest"]

_FORMAT = 1


def shard(sha256: str) -> Path:
    """Return the relative path of a digest's entry: ``ab/cd/<sha256>.json``."""
    validate_digest(sha256)
    return Path(sha256[:2], sha256[2:4], f"{sha256}.json")


class TextCache(DigestFiles):
    """A content-addressed store of page texts: ``put``, ``get``, ``exists``, ``delete``."""

    suffix = ".json"

    def put(self, sha256: str, pages: list[str]) -> None:
        """Store the page texts of a file, replacing any previous entry atomically."""
        if not isinstance(pages, list) or not all(isinstance(p, str) for p in pages):
            raise TypeError("pages must be a list of str")
        payload = {"format": _FORMAT, "sha256": sha256, "pages": pages}
        self._write(sha256, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    def get(self, sha256: str) -> list[str] | None:
        """Return the page texts of a file, or None if absent or unreadable."""
        raw = self._read(sha256)
        if raw is None:
            return None
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        return _pages_from(payload, sha256)


def _pages_from(payload: object, sha256: str) -> list[str] | None:
    """Return the page list of a decoded entry if it is well-formed, else None."""
    if not isinstance(payload, dict) or payload.get("sha256") != sha256:
        return None
    pages = payload.get("pages")
    if not isinstance(pages, list) or not all(isinstance(p, str) for p in pages):
        return None
    return pages
