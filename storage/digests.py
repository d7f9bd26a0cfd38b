"""Small files kept per SHA-256 of the file they describe (text cache, thumbnails).

Each entry lives at ``root/ab/cd/<sha256><suffix>`` and is written atomically.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from storage.files import fsync_dir, write_atomic

_DIGEST = re.compile(r"[0-9a-f]{64}")
_SHARD = re.compile(r"[0-9a-f]{2}")


def validate_digest(sha256: str) -> str:
    """Return ``sha256`` if it is 64 lowercase hex digits, else raise ValueError."""
    if not isinstance(sha256, str) or not _DIGEST.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


class DigestFiles:
    """One file per digest under ``root``: ``path``, ``exists``, ``delete``, ``iter_digests``."""

    #: the file name ending of every entry, e.g. ".json"
    suffix = ""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        """The absolute path of a digest's entry (which may not exist)."""
        validate_digest(sha256)
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}{self.suffix}"

    def exists(self, sha256: str) -> bool:
        """True if there is an entry for the digest."""
        return self.path(sha256).is_file()

    def _write(self, sha256: str, data: bytes) -> None:
        write_atomic(self.path(sha256), data)

    def _read(self, sha256: str) -> bytes | None:
        try:
            return self.path(sha256).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, sha256: str) -> bool:
        """Remove a digest's entry; True if there was one."""
        path = self.path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_dir(path.parent)
        return True

    def iter_digests(self) -> Iterator[str]:
        """Every stored digest, in sorted order."""
        for first in _shards(self.root):
            for second in _shards(first):
                for entry in sorted(second.glob(f"*{self.suffix}")):
                    digest = entry.name[: len(entry.name) - len(self.suffix)]
                    if _DIGEST.fullmatch(digest):
                        yield digest


def _shards(path: Path) -> list[Path]:
    """The two-hex-digit shard directories inside ``path``, sorted."""
    return sorted(p for p in path.iterdir() if p.is_dir() and _SHARD.fullmatch(p.name))
