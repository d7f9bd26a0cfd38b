"""Command-line interface: `flask --app wsgi …` for staff and operators."""

from __future__ import annotations

import secrets
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from archive.auth import services as auth
from archive.auth.models import User
from archive.documents.cli import import_command
from archive.errors import ArchiveError
from archive.extensions import db
from archive.meetings.models import Meeting
from archive.recordings.cli import recordings_cli

users_cli = AppGroup("users", help="Staff accounts.")
tokens_cli = AppGroup("tokens", help="API tokens.")
demo_cli = AppGroup("demo", help="The demo meeting.")


def _fail(exc: ArchiveError) -> None:
    raise click.ClickException(exc.message)


def _read_password(password: str | None) -> str:
    if password:
        return password
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "editor"]), default="editor", show_default=True)
@click.option("--password", help="The password; read from standard input when not given.")
def create_user_command(email: str, role: str, password: str | None) -> None:
    """Create a staff account."""
    try:
        user = auth.create_user(email, _read_password(password), role)
    except ArchiveError as exc:
        _fail(exc)
    click.echo(f"Created {user.role} {user.email}.")


@tokens_cli.command("create")
@click.argument("email")
def create_token_command(email: str) -> None:
    """Create an API token for a user and print it (it is shown only once)."""
    try:
        click.echo(auth.create_token(email))
    except ArchiveError as exc:
        _fail(exc)


def _first_admin() -> None:
    if db.session.scalar(select(func.count(User.id))):
        return
    email = current_app.config["ARCHIVE_ADMIN_EMAIL"]
    password = current_app.config["ARCHIVE_ADMIN_PASSWORD"]
    generated = not password
    password = password or secrets.token_urlsafe(18)
    auth.create_user(email, password, "admin")
    click.echo(f"Created the first admin: {email}")
    if generated:
        click.echo(f"  password (shown once, write it down): {password}")


def _run_jobs_with_progress(app: Flask) -> None:
    from archive.jobs.services import pending_count
    from archive.jobs.worker import run_pending

    total = pending_count()
    if not total:
        return
    with click.progressbar(length=total, label="Extracting and indexing") as bar:
        run_pending(app, progress=bar.update)


@demo_cli.command("load")
def load_demo_command() -> None:
    """Load the demo meeting (12MSP) and index it."""
    from archive.demo.loader import load_demo

    try:
        load_demo()
    except ArchiveError as exc:
        _fail(exc)
    _run_jobs_with_progress(current_app._get_current_object())
    click.echo("Loaded the demo meeting 12MSP.")


@click.command("setup")
@with_appcontext
def setup_command() -> None:
    """First start: known states, the first admin, and the demo meeting when empty."""
    from archive.delegations.services import seed_states
    from archive.demo.loader import load_demo

    added = seed_states()
    if added:
        click.echo(f"Added {added} states from ISO 3166.")
    _first_admin()
    if not db.session.scalar(select(func.count(Meeting.id))):
        click.echo("The archive is empty: loading the demo meeting 12MSP.")
        load_demo()
    _run_jobs_with_progress(current_app._get_current_object())


@click.command("worker")
@with_appcontext
@click.option("--once", is_flag=True, help="Run the jobs that are due, then stop.")
def worker_command(once: bool) -> None:
    """Run the background worker (text extraction and indexing)."""
    from archive.jobs.worker import run_forever, run_pending

    app = current_app._get_current_object()
    if once:
        click.echo(f"Ran {run_pending(app)} jobs.")
        return
    click.echo("Worker started; Ctrl+C stops it.")
    try:
        run_forever(app)
    except KeyboardInterrupt:
        click.echo("Worker stopped.")


@click.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild the search index from stored text (no re-extraction), then swap it in."""
    from archive.search.indexing import all_indexable, indexable_count
    from archive.stores import search_index

    total = indexable_count()
    with click.progressbar(length=total, label="Indexing files") as bar:
        pages = search_index().rebuild(
            all_indexable(), progress=lambda done: bar.update(done - bar.pos)
        )
    click.echo(f"Indexed {total} files ({pages} pages).")


@click.command("check")
@with_appcontext
@click.option("--repair", is_flag=True, help="Fix what can be fixed.")
def check_command(repair: bool) -> None:
    """Check that database, blobs, text and index agree; exit status 1 if not."""
    from archive.check import run_check
    from archive.jobs.worker import run_pending

    report = run_check(repair=repair)
    if repair:
        run_pending(current_app._get_current_object())
    for line in report.problems:
        click.echo(f"problem: {line}")
    for line in report.repaired:
        click.echo(f"repaired: {line}")
    for line in report.unrepairable:
        click.echo(f"cannot repair: {line}")
    if report.clean:
        click.echo("All consistent: database, blobs, text cache and index agree.")
    if report.unrepairable or (report.problems and not repair):
        sys.exit(1)


def register_commands(app: Flask) -> None:
    for command in (users_cli, tokens_cli, demo_cli, setup_command, worker_command):
        app.cli.add_command(command)
    for command in (reindex_command, check_command):
        app.cli.add_command(command)
    app.cli.add_command(import_command)
    app.cli.add_command(recordings_cli)
    from archive.backup.cli import register as register_backup

    register_backup(app)
