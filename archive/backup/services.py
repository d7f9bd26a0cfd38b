"""Backups of the whole archive, and restores of them into an empty data directory.

A backup is a folder::

    manifest.json        what is inside, with counts and SHA-256 checksums
    database.sqlite3     SQLite: a snapshot taken with the sqlite3 backup API
    database.json        any other database (PostgreSQL): every table's rows, portable JSON
    blobs/ab/cd/<sha>    every file the database refers to, verified against its name
    text/ab/cd/<sha>.json  the extracted text of those files (the text cache)

The search index is not copied: a restore rebuilds it from the text cache; nor are built ZIPs
(cache/zips/): a download builds them again. The database is snapshotted first and only the
blobs and texts its snapshot refers to are copied; blobs are written before their rows are
committed and never change, so a backup taken while uploads run is consistent. The backup is
written into a hidden folder beside DEST and renamed to DEST when complete, so a DEST that
exists is a whole backup.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from flask import current_app
from sqlalchemy import select, update

from archive.backup import database
from archive.documents.models import File
from archive.errors import ArchiveError
from archive.extensions import db
from archive.jobs.models import Job
from archive.jobs.services import enqueue
from archive.stores import blob_store, search_index, text_cache, zip_cache
from storage.blobstore import shard
from storage.files import fsync_dir, write_atomic

FORMAT = "meeting-archive-backup"
VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 1 << 20

#: progress(label, total) gives a context manager whose value has update(n)
Progress = Callable[[str, int], AbstractContextManager[Any]]


class BackupError(ArchiveError):
    status, code = 400, "backup"


class _Quiet:
    def update(self, n: int) -> None:
        pass


@contextmanager
def _no_progress(label: str, total: int) -> Iterator[_Quiet]:
    yield _Quiet()


def _copy_hashing(source: BinaryIO, target: Path) -> tuple[str, int]:
    """Copy a stream to a new file (fsynced); return its (sha256, size)."""
    hasher, size = hashlib.sha256(), 0
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as out:
        while chunk := source.read(CHUNK):
            hasher.update(chunk)
            out.write(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return hasher.hexdigest(), size


def file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def _text_path(root: Path, sha256: str) -> Path:
    return root / "text" / f"{shard(sha256)}.json"


# Backup


def _check_destination(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not empty; give a new folder for the backup.")
    data_dir = Path(current_app.config["ARCHIVE_DATA_DIR"]).resolve()
    if dest.resolve().is_relative_to(data_dir):
        raise BackupError(
            f"{dest} is inside the data directory {data_dir}; a backup must live elsewhere."
        )


def _snapshot_database(staging: Path) -> dict:
    """Copy or dump the database; describe the snapshot (file, checksum, revision, counts)."""
    engine = db.engine
    path = database.sqlite_path(engine)
    if path is not None:
        name = database.SQLITE_FILE
        database.copy_sqlite(path, staging / name)
    else:
        name = database.JSON_FILE
        database.dump_json(engine, staging / name)
    info = {"engine": engine.dialect.name, "file": name, "sha256": file_sha256(staging / name)}
    tables = {
        table: (columns, rows) for table, columns, rows in database.source_rows(staging, info)
    }
    info["tables"] = {table: len(rows) for table, (_columns, rows) in tables.items()}
    versions = tables.get("alembic_version", ([], [[None]]))[1] or [[None]]
    info["alembic_revision"] = versions[0][0]
    return info | {"_files": _file_digests(*tables.get("files", ([], [])))}


def _file_digests(columns: list[str], rows: list[list]) -> list[tuple[str, str]]:
    """(sha256, text_status) of every file row in the snapshot."""
    if not rows:
        return []
    sha, status = columns.index("sha256"), columns.index("text_status")
    return [(row[sha], row[status]) for row in rows]


def _copy_blobs(staging: Path, digests: list[str], progress: Progress) -> dict:
    items = {}
    blobs = blob_store()
    with progress("Copying files", len(digests)) as bar:
        for digest in digests:
            try:
                with blobs.open(digest) as source:
                    got, size = _copy_hashing(source, staging / "blobs" / shard(digest))
            except FileNotFoundError:
                raise BackupError(
                    f"The stored file {digest} is missing; run `flask check` first."
                ) from None
            if got != digest:
                raise BackupError(
                    f"The stored file {digest} is corrupted (its bytes hash to {got}); "
                    "run `flask check` first."
                )
            items[digest] = size
            bar.update(1)
    return {"count": len(items), "bytes": sum(items.values()), "items": items}


def _copy_texts(staging: Path, digests: list[str], progress: Progress) -> dict:
    items = {}
    cache = text_cache()
    with progress("Copying extracted text", len(digests)) as bar:
        for digest in digests:
            try:
                with open(cache.path(digest), "rb") as source:
                    items[digest], _size = _copy_hashing(source, _text_path(staging, digest))
            except FileNotFoundError:
                pass  # not extracted (yet): a restore queues its extraction
            bar.update(1)
    return {"count": len(items), "items": items}


def _publish(staging: Path, dest: Path) -> None:
    if dest.exists():
        dest.rmdir()  # an empty folder given as the destination
    os.rename(staging, dest)
    fsync_dir(dest.parent)


def create_backup(dest: Path | str, *, progress: Progress | None = None) -> dict:
    """Back up the database, the stored files and their extracted text into the folder DEST."""
    progress = progress or _no_progress
    dest = Path(dest).absolute()
    _check_destination(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.parent / f".{dest.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        db_info = _snapshot_database(staging)
        files = db_info.pop("_files")
        digests = sorted({sha for sha, _status in files})
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "database": db_info,
            "blobs": _copy_blobs(staging, digests, progress),
            "text": _copy_texts(staging, digests, progress),
        }
        write_atomic(staging / MANIFEST, json.dumps(manifest, indent=1).encode())
        _publish(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


# Restore


def read_manifest(src: Path) -> dict:
    """The manifest of a backup folder; BackupError if it is not one this code can restore."""
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(
            f"{src} is not a backup of the archive (no readable {MANIFEST})."
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{src} is not a backup of the archive ({MANIFEST} is not ours).")
    if manifest.get("version") != VERSION:
        raise BackupError(f"{src} is a backup in format {manifest.get('version')}, not {VERSION}.")
    _check_revision(manifest["database"].get("alembic_revision"))
    return manifest


def _check_revision(revision: str | None) -> None:
    """Refuse a backup made by a newer version of the archive (a migration unknown here)."""
    if revision is None:
        return
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    known = {rev.revision for rev in script.walk_revisions()}
    if revision not in known:
        raise BackupError(
            f"The backup's database is at migration {revision}, unknown to this version of "
            "the archive: restore it with the version that made it, or a newer one."
        )


def verify_backup(src: Path, manifest: dict, progress: Progress | None = None) -> None:
    """Check every checksum of the manifest; BackupError naming what is damaged or missing."""
    progress = progress or _no_progress
    problems = []
    db_info = manifest["database"]
    checks = [(src / db_info["file"], db_info["sha256"], f"the database ({db_info['file']})")]
    checks += [
        (src / "blobs" / shard(d), d, f"stored file {d}") for d in manifest["blobs"]["items"]
    ]
    checks += [
        (_text_path(src, d), sha, f"the text of {d}")
        for d, sha in manifest["text"]["items"].items()
    ]
    with progress("Verifying the backup", len(checks)) as bar:
        for path, expected, what in checks:
            try:
                if file_sha256(path) != expected:
                    problems.append(f"{what} does not match its checksum")
            except FileNotFoundError:
                problems.append(f"{what} is missing")
            bar.update(1)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise BackupError("The backup is damaged: " + "; ".join(problems[:5]) + more + ".")


def _contents() -> dict[str, int]:
    """What the target archive holds already (its index does not count: it is rebuilt)."""
    with db.engine.connect() as connection:
        counts = database.table_counts(connection)
    rows = sum(n for table, n in counts.items() if table != "alembic_version")
    blobs = sum(1 for _ in blob_store().iter_digests())
    texts = sum(1 for _ in text_cache().iter_digests())
    return {"database rows": rows, "stored files": blobs, "extracted texts": texts}


def _make_room(force: bool) -> None:
    """Refuse a non-empty archive, or with force empty it."""
    found = {what: n for what, n in _contents().items() if n}
    if not found:
        return
    if not force:
        listed = ", ".join(f"{n} {what}" for what, n in found.items())
        raise BackupError(
            f"The archive in {current_app.config['ARCHIVE_DATA_DIR']} is not empty ({listed}); "
            "restore fills an empty archive only. Use --force to replace everything in it."
        )
    db.session.remove()
    database.drop_everything(db.engine)
    for digest in list(blob_store().iter_digests()):
        blob_store().delete(digest)
    blob_store().cleanup_temp()
    for digest in list(text_cache().iter_digests()):
        text_cache().delete(digest)
    zip_cache().clear()  # ZIPs of the replaced archive: never wrong, but of no use now


def _restore_database(src: Path, db_info: dict) -> None:
    """Put the backup's rows into the (empty) target database, then migrate it to head."""
    import flask_migrate

    engine = db.engine
    db.session.remove()
    target = database.sqlite_path(engine)
    if db_info["file"] == database.SQLITE_FILE and target is not None:
        engine.dispose()
        database.copy_sqlite(src / database.SQLITE_FILE, target)
        engine.dispose()
    else:
        database.drop_everything(engine)  # empty tables, perhaps of another migration
        revision = db_info.get("alembic_revision")
        if revision:
            flask_migrate.upgrade(revision=revision)
        else:
            db.create_all()
        database.load_rows(engine, database.source_rows(src, db_info))
    if db_info.get("alembic_revision"):
        flask_migrate.upgrade()


def _release_jobs() -> None:
    """Jobs that were running when the backup was taken belong to no worker here."""
    db.session.execute(
        update(Job)
        .where(Job.status == "running")
        .values(status="queued", locked_by=None, locked_at=None)
    )
    db.session.commit()


def _restore_blobs(src: Path, manifest: dict, progress: Progress) -> None:
    items = manifest["blobs"]["items"]
    with progress("Restoring files", len(items)) as bar:
        for digest in items:
            with open(src / "blobs" / shard(digest), "rb") as source:
                info = blob_store().put_stream(source)
            if info.sha256 != digest:  # changed since it was verified
                raise BackupError(f"The backup's file {digest} changed while being restored.")
            bar.update(1)


def _restore_texts(src: Path, manifest: dict, progress: Progress) -> None:
    items = manifest["text"]["items"]
    with progress("Restoring extracted text", len(items)) as bar:
        for digest, checksum in items.items():
            data = _text_path(src, digest).read_bytes()
            if hashlib.sha256(data).hexdigest() != checksum:
                raise BackupError(f"The backup's text of {digest} changed while being restored.")
            write_atomic(text_cache().path(digest), data)
            bar.update(1)


def _queue_missing_text() -> int:
    """Queue extraction for files whose text the backup did not hold."""
    active = {
        job.payload.get("file_id")
        for job in db.session.scalars(
            select(Job).where(Job.kind == "extract", Job.status.in_(("queued", "running")))
        )
    }
    queued = 0
    for file in db.session.scalars(
        select(File).where(File.text_status.in_(("indexed", "pending")))
    ):
        has_text = text_cache().exists(file.sha256)
        if (file.text_status == "indexed" and has_text) or file.id in active:
            continue
        file.text_status = "pending"
        enqueue("extract", {"file_id": file.id})
        queued += 1
    db.session.commit()
    return queued


def _rebuild_index(progress: Progress) -> int:
    from archive.search.indexing import all_indexable, indexable_count

    with progress("Rebuilding the search index", indexable_count()) as bar:
        shown = 0

        def advance(done: int) -> None:
            nonlocal shown
            bar.update(done - shown)
            shown = done

        return search_index().rebuild(all_indexable(), progress=advance)


def restore_backup(
    src: Path | str, *, force: bool = False, progress: Progress | None = None
) -> dict:
    """Restore a backup into this (empty) archive and rebuild its search index."""
    progress = progress or _no_progress
    src = Path(src)
    manifest = read_manifest(src)
    verify_backup(src, manifest, progress)
    _make_room(force)
    _restore_database(src, manifest["database"])
    _release_jobs()
    _restore_blobs(src, manifest, progress)
    _restore_texts(src, manifest, progress)
    queued = _queue_missing_text()
    pages = _rebuild_index(progress)
    with db.engine.connect() as connection:
        tables = database.table_counts(connection)
    return {
        "documents": tables.get("documents", 0),
        "files": tables.get("files", 0),
        "blobs": manifest["blobs"]["count"],
        "texts": manifest["text"]["count"],
        "pages_indexed": pages,
        "extractions_queued": queued,
    }
