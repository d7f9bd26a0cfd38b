"""Uncompressed ZIP archives written as they are read, byte for byte the same every time.

Each entry's name, size, date and the digest of its contents are known before a byte is
written; its CRC-32 is computed as its bytes pass and written after them, in a data
descriptor. So the archive's length is known up front, memory holds one chunk and one
central-directory record per entry, and the archive's bytes are a function of its entries
alone (no current time, no file-system mode or mtime): `StoredZip.key` names those bytes,
and a copy kept on disk is the archive. Zip64 records are written where sizes or offsets
pass 2 GiB, as Python's zipfile does. No Flask here.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

#: what the key covers besides the entries: change it when this writer's output changes
FORMAT = "meeting-archive stored zip 1"
#: past this, sizes and offsets go into Zip64 records (zipfile's limit, safe for signed readers)
ZIP64_LIMIT = (1 << 31) - 1

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_END64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<IIQI")
_DESCRIPTOR = struct.Struct("<IIII")
_DESCRIPTOR64 = struct.Struct("<IIQQ")
#: bit 3: CRC and sizes follow the data; bit 11: names are UTF-8
_FLAGS = 0x0008 | 0x0800
_MADE_BY_UNIX = 3 << 8
#: a regular file, rw-r--r--
_EXTERNAL_ATTR = 0o100644 << 16


@dataclass(frozen=True, slots=True)
class ZipEntry:
    """One member: its name, size, date, what its bytes are, and how to read them."""

    name: str
    size: int
    #: stored as a DOS date and time (local, two-second steps, 1980–2107)
    modified: datetime
    #: a digest of the contents (a blob's SHA-256): the key trusts it to name the bytes
    content_digest: str
    #: called when the entry is written; yields exactly `size` bytes
    chunks: Callable[[], Iterable[bytes]]


def _dos(moment: datetime) -> tuple[int, int]:
    year = min(max(moment.year, 1980), 2107)
    date = (year - 1980) << 9 | moment.month << 5 | moment.day
    time = moment.hour << 11 | moment.minute << 5 | moment.second // 2
    return date, time


class StoredZip:
    """An archive of entries, in order: iterate it for its bytes, `len()` for their count."""

    def __init__(self, entries: list[ZipEntry], *, zip64_limit: int = ZIP64_LIMIT) -> None:
        self.entries = entries
        self._limit = zip64_limit
        self._names = [entry.name.encode() for entry in entries]
        self._offsets: list[int] = []
        position = 0
        for entry, name in zip(entries, self._names, strict=True):
            self._offsets.append(position)
            position += len(self._local_header(entry, name)) + entry.size
            position += (_DESCRIPTOR64 if self._big(entry) else _DESCRIPTOR).size
        self._directory_offset = position
        directory = sum(
            len(self._central_record(i, 0)) for i in range(len(entries))
        )  # a CRC does not change a record's length
        self._length = position + directory + len(self._end(directory))

    def __len__(self) -> int:
        return self._length

    @property
    def key(self) -> str:
        """SHA-256 of everything the bytes depend on: equal keys, equal archives."""
        digest = hashlib.sha256(f"{FORMAT}\0{self._limit}\0".encode())
        for entry in self.entries:
            line = f"{entry.name}\0{entry.size}\0{_dos(entry.modified)}\0{entry.content_digest}\n"
            digest.update(line.encode())
        return digest.hexdigest()

    def __iter__(self) -> Iterator[bytes]:
        crcs = []
        for entry, name in zip(self.entries, self._names, strict=True):
            yield self._local_header(entry, name)
            crc, written = 0, 0
            for chunk in entry.chunks():
                crc = zlib.crc32(chunk, crc)
                written += len(chunk)
                yield chunk
            if written != entry.size:
                raise ValueError(f"{entry.name}: {written} bytes, not the {entry.size} announced")
            crcs.append(crc)
            if self._big(entry):
                yield _DESCRIPTOR64.pack(0x08074B50, crc, entry.size, entry.size)
            else:
                yield _DESCRIPTOR.pack(0x08074B50, crc, entry.size, entry.size)
        directory = 0
        for i, crc in enumerate(crcs):
            record = self._central_record(i, crc)
            directory += len(record)
            yield record
        yield self._end(directory)

    def _big(self, entry: ZipEntry) -> bool:
        return entry.size > self._limit

    def _local_header(self, entry: ZipEntry, name: bytes) -> bytes:
        date, time = _dos(entry.modified)
        if self._big(entry):  # sizes in the descriptor; the Zip64 field says so
            extra = struct.pack("<HHQQ", 0x0001, 16, 0, 0)
            version, size = 45, 0xFFFFFFFF
        else:
            extra, version, size = b"", 20, 0
        fixed = _LOCAL.pack(
            0x04034B50, version, _FLAGS, 0, time, date, 0, size, size, len(name), len(extra)
        )
        return fixed + name + extra

    def _central_record(self, index: int, crc: int) -> bytes:
        entry, name, offset = self.entries[index], self._names[index], self._offsets[index]
        date, time = _dos(entry.modified)
        wide = []
        size = entry.size
        if entry.size > self._limit:
            wide += [entry.size, entry.size]
            size = 0xFFFFFFFF
        if offset > self._limit:
            wide.append(offset)
            offset = 0xFFFFFFFF
        extra = struct.pack(f"<HH{len(wide)}Q", 0x0001, 8 * len(wide), *wide) if wide else b""
        version = 45 if wide else 20
        fixed = _CENTRAL.pack(
            0x02014B50,
            _MADE_BY_UNIX | version,
            version,
            _FLAGS,
            0,  # stored
            time,
            date,
            crc,
            size,
            size,
            len(name),
            len(extra),
            0,  # comment
            0,  # disk
            0,  # internal attributes
            _EXTERNAL_ATTR,
            offset,
        )
        return fixed + name + extra

    def _end(self, directory_size: int) -> bytes:
        count, start = len(self.entries), self._directory_offset
        end = b""
        if count >= 0xFFFF or start > self._limit or directory_size > self._limit:
            end64_at = start + directory_size
            end = _END64.pack(
                0x06064B50, 44, _MADE_BY_UNIX | 45, 45, 0, 0, count, count, directory_size, start
            )
            end += _LOCATOR64.pack(0x07064B50, 0, end64_at, 1)
            count, start = min(count, 0xFFFF), min(start, 0xFFFFFFFF)
            directory_size = min(directory_size, 0xFFFFFFFF)
        return end + _END.pack(0x06054B50, 0, 0, count, count, directory_size, start, 0)
