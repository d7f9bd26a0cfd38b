"""Recording links from a CSV file: one row per session and channel, each its own unit of work.

The file is UTF-8 (a BOM is fine) with a header naming the columns: ``meeting``, ``date``,
``session``, ``channel`` and ``url`` are required; ``title``, ``duration`` and
``start_time`` are optional. An unknown, repeated or missing column refuses the whole file
before anything is stored. A row then ends as one of:

- *added*: a new recording;
- *replaced*: its slot (date, session, channel) was taken and ``replace`` was asked for;
- *unchanged*: its slot holds a recording with the same URL already (and ``replace`` was
  not asked for), so a re-run of the same file stores nothing twice;
- *refused*: the reason is kept with the row's line number (the header is line 1), and
  nothing of the row is stored.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from archive.auth.models import User
from archive.errors import ArchiveError, NotFound
from archive.extensions import db
from archive.meetings.services import find_meeting
from archive.recordings.services import existing_recording, save_recording

REQUIRED_COLUMNS = ("meeting", "date", "session", "channel", "url")
OPTIONAL_COLUMNS = ("title", "duration", "start_time")

ADDED, REPLACED, UNCHANGED, REFUSED = "added", "replaced", "unchanged", "refused"
_COUNTED = (ADDED, REPLACED, UNCHANGED)


class RecordingsFileError(ArchiveError):
    """The file as a whole cannot be read; no row is stored."""

    code = "bad_file"


@dataclass(frozen=True)
class CsvRow:
    """One row: the line it starts on and its values by column."""

    line: int
    values: dict[str, str]
    #: values beyond the header's columns; such a row is refused
    surplus: int = 0


@dataclass(frozen=True)
class RowOutcome:
    line: int
    outcome: str
    reason: str = ""
    field: str | None = None

    def describe(self) -> str:
        """``line 4: url must be an http or https address.``"""
        text = f"line {self.line}: {self.reason}"
        if self.field and self.field not in self.reason:
            text += f" ({self.field})"
        return text


@dataclass
class RecordingsImport:
    """The counts of an import and its refused rows, in file order."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_COUNTED, 0))
    refused: list[RowOutcome] = field(default_factory=list)

    def add(self, outcome: RowOutcome) -> None:
        if outcome.outcome == REFUSED:
            self.refused.append(outcome)
        else:
            self.counts[outcome.outcome] += 1

    @property
    def summary(self) -> str:
        parts = [f"{name} {count}" for name, count in self.counts.items()]
        return ", ".join([*parts, f"refused {len(self.refused)}"])


def read_rows(path: Path | str) -> list[CsvRow]:
    """Every non-blank row of the file; RecordingsFileError if the file is unusable."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            columns = _header(next(reader, None))
            return list(_rows(reader, columns))
    except UnicodeDecodeError as exc:
        raise RecordingsFileError(f"{path.name} is not UTF-8 text ({exc.reason}).") from None
    except csv.Error as exc:
        raise RecordingsFileError(f"{path.name} is not a readable CSV file: {exc}.") from None
    except OSError as exc:
        raise RecordingsFileError(f"Cannot read {path}: {exc.strerror}.") from None


def _header(cells: list[str] | None) -> tuple[str, ...]:
    if not cells:
        raise RecordingsFileError("The file is empty: a header row naming the columns is needed.")
    columns = tuple(cell.strip().lower() for cell in cells)
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise RecordingsFileError(
            f"Unknown column(s) in the header: {', '.join(map(repr, unknown))}. "
            f"Columns are: {', '.join(known)}."
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise RecordingsFileError(f"Column(s) named twice in the header: {', '.join(repeated)}.")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise RecordingsFileError(f"Missing column(s) in the header: {', '.join(missing)}.")
    return columns


def _rows(reader, columns: tuple[str, ...]) -> Iterable[CsvRow]:
    start = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            values = dict(zip(columns, cells, strict=False))
            yield CsvRow(start, values, surplus=max(0, len(cells) - len(columns)))
        start = reader.line_num + 1


def import_row(row: CsvRow, user: User | None = None, *, replace: bool = False) -> RowOutcome:
    """Store one row as its own unit of work; a refusal is returned, not raised."""
    try:
        return RowOutcome(row.line, _import_row(row, user, replace))
    except ArchiveError as exc:
        return RowOutcome(row.line, REFUSED, reason=exc.message, field=exc.field)
    finally:
        db.session.rollback()  # end the row's read transaction; its writes are committed


def _import_row(row: CsvRow, user: User | None, replace: bool) -> str:
    if row.surplus:
        raise ArchiveError(f"the row has {row.surplus} more value(s) than the header has columns.")
    code = row.values.get("meeting", "").strip()
    meeting = find_meeting(code) if code else None
    if meeting is None:
        raise NotFound(f"no meeting with code {code!r}.", field="meeting")
    existing = existing_recording(meeting, row.values)
    same_url = existing is not None and existing.url == row.values.get("url", "").strip()
    if same_url and not replace:
        return UNCHANGED
    _, created = save_recording(user, meeting, row.values, replace=replace)
    return ADDED if created else REPLACED


def import_recordings(
    path: Path | str, user: User | None = None, *, replace: bool = False
) -> RecordingsImport:
    """Import every row of a recordings CSV file."""
    result = RecordingsImport()
    for row in read_rows(path):
        result.add(import_row(row, user, replace=replace))
    return result
