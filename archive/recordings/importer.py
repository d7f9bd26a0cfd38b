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

from dataclasses import dataclass, field
from pathlib import Path

from archive.auth.models import User
from archive.csvfiles import CsvFileError, CsvRow, RefusableRow, read_csv
from archive.errors import ArchiveError, NotFound
from archive.extensions import db
from archive.meetings.services import find_meeting
from archive.recordings.services import existing_recording, save_recording

REQUIRED_COLUMNS = ("meeting", "date", "session", "channel", "url")
OPTIONAL_COLUMNS = ("title", "duration", "start_time")

ADDED, REPLACED, UNCHANGED, REFUSED = "added", "replaced", "unchanged", "refused"
_COUNTED = (ADDED, REPLACED, UNCHANGED)


class RecordingsFileError(CsvFileError):
    """The file as a whole cannot be read; no row is stored."""

    code = "bad_file"


@dataclass(frozen=True)
class RowOutcome(RefusableRow):
    """What became of one row."""

    line: int
    outcome: str
    reason: str = ""
    field: str | None = None


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
    try:
        _, rows = read_csv(
            path,
            required=REQUIRED_COLUMNS,
            optional=OPTIONAL_COLUMNS,
            what="file",
            empty="The file is empty: a header row naming the columns is needed.",
        )
    except CsvFileError as exc:
        raise RecordingsFileError(exc.message) from None
    return rows


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
