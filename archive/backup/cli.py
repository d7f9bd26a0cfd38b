"""`flask --app wsgi backup DEST` and `flask --app wsgi restore SRC`."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from archive.backup.services import create_backup, restore_backup
from archive.errors import ArchiveError


def _progress(label: str, total: int):
    return click.progressbar(length=max(total, 0), label=label.ljust(30))


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def backup_command(dest: Path) -> None:
    """Back up the database, stored files and extracted text into the new folder DEST."""
    try:
        manifest = create_backup(dest, progress=_progress)
    except ArchiveError as exc:
        raise click.ClickException(exc.message) from None
    tables = manifest["database"]["tables"]
    click.echo(
        f"Backed up {tables.get('documents', 0)} documents, {tables.get('files', 0)} files "
        f"({manifest['blobs']['count']} stored, {manifest['blobs']['bytes']} bytes) and "
        f"{manifest['text']['count']} extracted texts to {dest} "
        f"(database: {manifest['database']['file']})."
    )


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace everything in a non-empty archive.")
@with_appcontext
def restore_command(src: Path, force: bool) -> None:
    """Restore the backup SRC into this (empty) archive and rebuild the search index.

    Stop the web server and workers of this archive first.
    """
    try:
        summary = restore_backup(src, force=force, progress=_progress)
    except ArchiveError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(
        f"Restored {summary['documents']} documents, {summary['files']} files and "
        f"{summary['texts']} extracted texts; indexed {summary['pages_indexed']} pages."
    )
    if summary["extractions_queued"]:
        click.echo(
            f"{summary['extractions_queued']} files wait for text extraction: "
            "run `flask --app wsgi worker`."
        )


def register(app) -> None:
    """Add the backup and restore commands to the app's CLI."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
