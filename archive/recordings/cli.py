"""`flask --app wsgi recordings import FILE.csv`: recording links in bulk."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from archive.cli_support import ImportRefused, importing_user
from archive.recordings.importer import (
    CsvRow,
    RecordingsFileError,
    RecordingsImport,
    import_row,
    read_rows,
)

recordings_cli = AppGroup("recordings", help="Recordings of meeting sessions.")


def _row_label(row: CsvRow | None) -> str:
    if row is None:
        return ""
    return " ".join(row.values.get(c, "") for c in ("meeting", "date", "session", "channel"))


@recordings_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "email", help="Attribute the import to this staff member's account.")
@click.option("--replace", is_flag=True, help="Replace recordings whose slot is taken.")
def import_command(path: Path, email: str | None, replace: bool) -> None:
    """Import recording links from a CSV file (meeting,date,session,channel,url,title,duration).

    Prints one line per refused row and a summary; exit status 1 if any row was refused,
    2 if the file itself is unusable (nothing is imported then).
    """
    user = importing_user(email)
    try:
        rows = read_rows(path)
    except RecordingsFileError as exc:
        raise ImportRefused(exc.message) from None
    result = RecordingsImport()
    label = f"Importing {len(rows)} recordings"
    with click.progressbar(rows, label=label, item_show_func=_row_label) as bar:
        for row in bar:
            result.add(import_row(row, user, replace=replace))
    click.echo(result.summary)
    for refused in result.refused:
        click.echo(refused.describe())
    if result.refused:
        raise SystemExit(1)
