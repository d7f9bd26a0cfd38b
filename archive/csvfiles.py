"""Reading a CSV file with a header row, as the bulk imports take them.

The file is UTF-8 (a BOM is fine) with a header row naming its columns (any order,
case-insensitive): every one of ``required`` and any of ``optional``. A header with an
unknown, repeated or missing column refuses the whole file, as does a file that is not
UTF-8, not CSV or not readable: a misspelt column would otherwise drop its values silently.
Blank rows are skipped; every other row keeps the line it starts on (the header is line 1;
a quoted value may span lines) and how many values it has beyond the header's columns.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from archive.errors import ArchiveError


class CsvFileError(ArchiveError):
    """The file as a whole cannot be read; no row of it is to be imported."""

    code = "bad_csv"


@dataclass(frozen=True)
class CsvRow:
    """One row: the line it starts on and its values by column."""

    line: int
    values: dict[str, str]
    #: values beyond the header's columns; such a row is refused
    surplus: int = 0


def read_csv(
    path: Path | str,
    *,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    what: str = "file",
    empty: str | None = None,
) -> tuple[tuple[str, ...], list[CsvRow]]:
    """The header's columns (lower case) and every non-blank row; CsvFileError if unusable.

    ``what`` names the file in the messages ("The manifest is empty: …"); ``empty`` replaces
    the message for a file without a header row.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            cells = next(reader, None)
            if not cells:
                raise CsvFileError(
                    empty or f"The {what} is empty: a header row naming the columns is required."
                )
            columns = _header(cells, required, optional)
            return columns, list(_rows(reader, columns))
    except UnicodeDecodeError as exc:
        raise CsvFileError(f"{path.name} is not UTF-8 text ({exc.reason}).") from None
    except csv.Error as exc:
        raise CsvFileError(f"{path.name} is not a readable CSV file: {exc}.") from None
    except OSError as exc:
        raise CsvFileError(f"Cannot read {path}: {exc.strerror}.") from None


def _header(
    cells: list[str], required: tuple[str, ...], optional: tuple[str, ...]
) -> tuple[str, ...]:
    columns = tuple(cell.strip().lower() for cell in cells)
    known = required + optional
    unknown = [c for c in columns if c not in known]
    if unknown:
        raise CsvFileError(
            f"Unknown column(s) in the header: {', '.join(map(repr, unknown))}. "
            f"Columns are: {', '.join(known)}."
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise CsvFileError(f"Column(s) named twice in the header: {', '.join(repeated)}.")
    missing = [c for c in required if c not in columns]
    if missing:
        raise CsvFileError(f"Missing column(s) in the header: {', '.join(missing)}.")
    return columns


def _rows(reader, columns: tuple[str, ...]) -> Iterable[CsvRow]:
    """The non-blank rows, each with the line it starts on (a quoted value may span lines)."""
    start = reader.line_num + 1
    for cells in reader:
        if any(cell.strip() for cell in cells):
            values = dict(zip(columns, cells, strict=False))
            yield CsvRow(start, values, surplus=max(0, len(cells) - len(columns)))
        start = reader.line_num + 1


class RefusableRow:
    """A mixin for what became of a row, with its ``line``, ``reason`` and ``field``."""

    line: int
    reason: str
    field: str | None

    def describe(self) -> str:
        """``line 4: doc_type must be one of: …``, naming the field when the reason does not."""
        text = f"line {self.line}: {self.reason}"
        if self.field and self.field not in self.reason:
            text += f" ({self.field})"
        return text
