"""Consistency of database, blob store, text cache and index: find problems, repair some."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import select

from archive.documents.models import Document, File
from archive.extensions import db
from archive.jobs.models import Job
from archive.jobs.services import enqueue, release_jobs_of_dead_workers
from archive.stores import blob_store, search_index, text_cache, thumbnail_store, zip_cache

#: an unreferenced blob younger than this may belong to an upload still being committed
ORPHAN_GRACE_SECONDS = 600


@dataclass
class Report:
    """What `check` found, and what it repaired."""

    problems: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    unrepairable: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


def _check_blobs(report: Report, repair: bool) -> None:
    blobs = blob_store()
    referenced = set(db.session.scalars(select(File.sha256).distinct()))
    for digest in sorted(referenced):
        if not blobs.exists(digest):
            report.problems.append(f"blob {digest} is missing")
            report.unrepairable.append(f"blob {digest}: restore it from a backup")
        elif not blobs.verify(digest):
            report.problems.append(f"blob {digest} is corrupted (its SHA-256 no longer matches)")
            report.unrepairable.append(f"blob {digest}: restore it from a backup")
    for digest in blobs.iter_digests():
        if digest in referenced:
            continue
        report.problems.append(f"blob {digest} belongs to no file")
        age = time.time() - blobs.path(digest).stat().st_mtime
        if (
            repair
            and age > ORPHAN_GRACE_SECONDS
            and blobs.delete_unreferenced(digest, lambda digest=digest: _blob_referenced(digest))
        ):
            report.repaired.append(f"deleted orphan blob {digest}")


def _blob_referenced(digest: str) -> bool:
    """Whether a file row refers to the blob now (asked again under the blob's lock: an
    upload of the same bytes may have committed since the list of references was read)."""
    db.session.commit()  # end the read transaction, so that the query sees new commits
    return db.session.scalar(select(File.id).where(File.sha256 == digest).limit(1)) is not None


def _expected_index() -> dict[int, int]:
    """file id → document id for every file that should be in the index."""
    rows = db.session.execute(
        select(File.id, File.document_id, File.sha256).where(
            File.is_current.is_(True), File.text_status == "indexed"
        )
    )
    cache = text_cache()
    return {file_id: doc_id for file_id, doc_id, sha in rows if cache.get(sha)}


def _active_jobs() -> set[tuple[str, int]]:
    jobs = db.session.scalars(select(Job).where(Job.status.in_(("queued", "running"))))
    return {(job.kind, job.payload.get("file_id", job.payload.get("document_id"))) for job in jobs}


def _check_text(report: Report, repair: bool, active: set) -> None:
    cache = text_cache()
    for file in db.session.scalars(
        select(File).where(File.text_status.in_(("indexed", "pending")))
    ):
        if file.text_status == "pending" and ("extract", file.id) not in active:
            report.problems.append(f"file {file.id} waits for text extraction but no job is queued")
        elif file.text_status == "indexed" and cache.get(file.sha256) is None:
            report.problems.append(
                f"file {file.id} is indexed but its text is not in the text cache"
            )
        else:
            continue
        if repair:
            enqueue("extract", {"file_id": file.id})
            report.repaired.append(f"queued text extraction of file {file.id}")


def _check_index(report: Report, repair: bool, active: set) -> None:
    expected = _expected_index()
    actual = search_index().indexed_file_ids()
    stale_docs = {doc for fid, doc in expected.items() if fid not in actual}
    extra = actual - set(expected)
    for fid in sorted(set(expected) - actual):
        report.problems.append(f"file {fid} is missing from the search index")
    for fid in sorted(extra):
        report.problems.append(f"the search index holds file {fid}, which it should not")
    if extra:
        owners = db.session.execute(select(File.id, File.document_id).where(File.id.in_(extra)))
        known = dict(owners.all())
        stale_docs |= set(known.values())
        if repair and set(extra) - set(known):
            search_index().delete_files(set(extra) - set(known))
            report.repaired.append(
                f"removed {len(set(extra) - set(known))} deleted files from the index"
            )
    if repair:
        for doc_id in sorted(stale_docs):
            if ("index_document", doc_id) not in active and db.session.get(Document, doc_id):
                enqueue("index_document", {"document_id": doc_id})
                report.repaired.append(f"queued reindexing of document {doc_id}")


def _collect_derived(report: Report, repair: bool) -> None:
    """With repair, delete text-cache entries and thumbnails of bytes no file has any more.

    Neither is a problem (nothing reads them; a missing thumbnail only means none is shown,
    and repair does not render missing ones), so a plain check says nothing about them.
    """
    if not repair:
        return
    referenced = set(db.session.scalars(select(File.sha256).distinct()))
    for name, store in (("text-cache entries", text_cache()), ("thumbnails", thumbnail_store())):
        orphans = [digest for digest in store.iter_digests() if digest not in referenced]
        for digest in orphans:
            store.delete(digest)
        if orphans:
            report.repaired.append(f"deleted {len(orphans)} {name} of files that no longer exist")


def _tidy_zip_cache(report: Report, repair: bool) -> None:
    """With repair, remove ZIPs half-written by dead processes and keep the cache in its cap.

    Built ZIPs are copies named by the digest of their contents: never a problem (a stale
    one is never served, only left unused), never backed up; a plain check ignores them.
    """
    if not repair:
        return
    cache = zip_cache()
    abandoned, evicted = cache.cleanup_abandoned(), cache.evict()
    if abandoned:
        report.repaired.append(f"deleted {abandoned} half-written ZIPs of processes that died")
    if evicted:
        report.repaired.append(f"deleted {evicted} least recently used ZIPs over the cache cap")


def _check_jobs(report: Report, repair: bool) -> None:
    if repair:
        released = release_jobs_of_dead_workers()
        if released:
            report.problems.append(f"{released} jobs were held by workers that died")
            report.repaired.append(f"requeued {released} jobs of dead workers")


def run_check(*, repair: bool = False) -> Report:
    """Compare database, blobs, text cache and index; with repair, fix what can be fixed."""
    report = Report()
    _check_jobs(report, repair)
    active = _active_jobs()
    _check_blobs(report, repair)
    _check_text(report, repair, active)
    _check_index(report, repair, active)
    _collect_derived(report, repair)
    _tidy_zip_cache(report, repair)
    db.session.commit()
    return report
