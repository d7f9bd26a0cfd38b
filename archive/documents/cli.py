"""`flask --app wsgi import MANIFEST.csv`: bulk import of documents from a CSV manifest."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from archive.cli_support import ImportRefused, importing_user
from archive.documents.importer import (
    ImportSummary,
    ManifestError,
    ManifestRow,
    import_row,
    read_manifest,
)


def _row_label(row: ManifestRow | None) -> str:
    """The file a row names, shown beside the progress bar."""
    return row.file if row is not None else ""


@click.command("import")
@with_appcontext
@click.argument(
    "manifest", type=click.Path(exists=True, dir_okay=False, readable=True, path_type=Path)
)
@click.option("--user", "email", help="Attribute the import to this staff member's account.")
def import_command(manifest: Path, email: str | None) -> None:
    """Import the PDFs listed in a CSV manifest (paths relative to its folder).

    Prints one line per refused row and a summary; exit status 1 if any row was refused,
    2 if the manifest itself is unusable (nothing is imported then).
    """
    user = importing_user(email)
    try:
        loaded = read_manifest(manifest)
    except ManifestError as exc:
        raise ImportRefused(exc.message) from None
    summary = ImportSummary()
    label = f"Importing {len(loaded.rows)} rows"
    with click.progressbar(loaded.rows, label=label, item_show_func=_row_label) as rows:
        for row in rows:
            summary.add(import_row(loaded, row, user))
    click.echo(summary.counts)
    for refused in summary.refused:
        click.echo(refused.describe())
    if summary.refused:
        raise SystemExit(1)
