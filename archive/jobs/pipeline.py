"""The worker's pipeline: claim jobs in batches, extract in parallel, index in batched commits.

Extraction runs in an `ExtractionPool` (a server with a few limited extraction processes, each
taking file after file under per-file limits), while this process keeps the pool fed and indexes
what has come back.
Finished work waits in ``ready`` and goes into the index together: one writer commit for many
documents, at least every ``INDEX_BATCH_SECONDS``, sooner when ``EARLY_FLUSH_PAGES`` pages wait
or the pipeline runs dry. The jobs
of a batch are marked done in the same database commit as their files' outcomes, and only
after the index commit, so a worker killed at any moment loses nothing: its jobs are still
``running`` under its name and are claimed again once it is gone.
"""

from __future__ import annotations

import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from flask import current_app

from archive.documents.models import File
from archive.extensions import db
from archive.jobs import services
from archive.jobs.models import Job
from archive.search import indexing
from archive.stores import blob_store, search_index, text_cache, thumbnail_store
from indexer.extract import ExtractionPool, ExtractionResult, ExtractionServerError

#: jobs claimed at a time, and at most in flight per extraction process
CLAIM_BATCH = 16
IN_FLIGHT_PER_PROCESS = 32
#: flush without waiting for the batch time once this many pages are waiting: the index keeps
#: pace with extraction, and the last batch, indexed on one core once extraction is done, stays
#: small. Not much smaller: on a growing index (500 files) batches of 20 files cost 2.6 CPU ms per
#: page against 1.8 for 50 or 100 files (Whoosh merges segments at each commit)
EARLY_FLUSH_PAGES = 500
#: threads writing extracted text to the text cache (each write waits on fsync)
TEXT_WRITE_THREADS = 4


@dataclass
class _Ready:
    """A job whose work is done apart from the index commit."""

    job_id: int
    kind: str
    document_id: int | None
    file_id: int | None = None
    result: ExtractionResult | None = None


@dataclass
class Pipeline:
    """One worker's pipeline; call `step` in a loop, `close` at the end (see module doc)."""

    worker: str
    processes: int
    batch_seconds: float
    time_limit: float
    memory_limit: int
    ready: list[_Ready] = field(default_factory=list)
    in_flight: dict[int, int] = field(default_factory=dict)  # job id -> file id
    ready_since: float | None = None
    processed: int = 0
    _pool: ExtractionPool | None = None
    _threads: ThreadPoolExecutor | None = None

    @classmethod
    def for_app(cls, worker: str | None = None, processes: int | None = None) -> Pipeline:
        config = current_app.config
        return cls(
            worker=worker or services.worker_name(),
            processes=processes or config["EXTRACT_PROCESSES"],
            batch_seconds=config["INDEX_BATCH_SECONDS"],
            time_limit=config["EXTRACT_TIME_LIMIT"],
            memory_limit=config["EXTRACT_MEMORY_LIMIT"],
        )

    @property
    def idle(self) -> bool:
        """Nothing in flight and nothing waiting for the index."""
        return not self.in_flight and not self.ready

    def step(self, *, wait: float, max_claims: int | None = None) -> int:
        """Claim what fits, collect finished extractions (waiting up to ``wait`` s when there
        is nothing else to do), flush to the index when due. Returns jobs claimed."""
        claimed = self._claim(max_claims)
        self._collect(0.0 if claimed else self._wait_time(wait))
        if self.ready and self._flush_due():
            self.flush()
        return claimed

    def drain(self) -> None:
        """Finish everything in flight and flush it."""
        while self.in_flight:
            self._collect(1.0)
        self.flush()

    def close(self) -> None:
        """Flush what is done and stop the extraction processes (in-flight jobs stay
        claimed; a later worker takes them up)."""
        try:
            if self.ready:
                self.flush()
        finally:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
            if self._threads is not None:
                self._threads.shutdown()
                self._threads = None
            self.in_flight.clear()

    # Claiming and starting work

    def _claim(self, max_claims: int | None) -> int:
        room = self.processes * IN_FLIGHT_PER_PROCESS - len(self.in_flight)
        if max_claims is not None:
            room = min(room, max_claims)
        if room <= 0:
            return 0
        jobs = services.claim_batch(self.worker, min(room, CLAIM_BATCH))
        for job in jobs:
            self._start(job)
        db.session.commit()  # end the read transaction
        self.processed += len(jobs)
        return len(jobs)

    def _start(self, job: Job) -> None:
        """Hand an extraction to the pool (or take a reusable outcome); queue index jobs."""
        payload = job.payload or {}
        if job.kind in ("index_document", "unindex_document"):
            self._add_ready(_Ready(job.id, job.kind, payload.get("document_id")))
            return
        if job.kind != "extract":
            self._fail([job.id], f"unknown job kind {job.kind!r}")
            return
        file = db.session.get(File, payload.get("file_id"))
        if file is None:  # deleted since the job was queued
            self._add_ready(_Ready(job.id, job.kind, None))
            return
        reused = indexing.reusable_outcome(file)
        if reused is not None:
            self._add_ready(_Ready(job.id, job.kind, file.document_id, file.id, reused))
            return
        try:
            self._ensure_pool().submit(job.id, blob_store().path(file.sha256))
        except (OSError, ExtractionServerError) as exc:  # storage fault: retry later
            self._fail([job.id], f"{type(exc).__name__}: {exc}")
            return
        self.in_flight[job.id] = file.id

    def _ensure_pool(self) -> ExtractionPool:
        if self._pool is None:
            self._pool = ExtractionPool(
                self.processes, time_limit=self.time_limit, memory_limit=self.memory_limit
            )
        return self._pool

    # Collecting

    def _wait_time(self, wait: float) -> float:
        if not self.in_flight:
            return 0.0
        if self.ready_since is None:
            return wait
        return max(0.0, min(wait, self.ready_since + self.batch_seconds - time.monotonic()))

    def _collect(self, timeout: float) -> None:
        if self._pool is None or not self.in_flight:
            return
        try:
            finished = self._pool.results(timeout)
        except ExtractionServerError as exc:  # its files are lost: retry them later
            lost = list(self.in_flight)
            self.in_flight.clear()
            self._fail(lost, f"ExtractionServerError: {exc}")
            return
        if not finished:
            return
        for job_id, result in finished:
            file_id = self.in_flight.pop(job_id)  # type: ignore[call-overload]
            self._add_ready(_Ready(job_id, "extract", None, file_id, result))  # type: ignore[arg-type]

    def _add_ready(self, item: _Ready) -> None:
        if not self.ready:
            self.ready_since = time.monotonic()
        self.ready.append(item)

    def _pages_ready(self) -> int:
        return sum(item.result.page_count for item in self.ready if item.result is not None)

    def _flush_due(self) -> bool:
        if not self.in_flight:
            return True  # nothing else is coming soon: do not keep finished work waiting
        assert self.ready_since is not None
        overdue = time.monotonic() - self.ready_since >= self.batch_seconds
        return overdue or self._pages_ready() >= EARLY_FLUSH_PAGES

    # Flushing: one index commit, then one database commit

    def flush(self) -> None:
        """Record outcomes, write the affected documents to the index in one commit, then
        mark the jobs done. On a failure the jobs of the batch are retried."""
        items, self.ready, self.ready_since = self.ready, [], None
        if not items:
            return
        try:
            failed = self._flush(items)
        except Exception as exc:  # e.g. the index is locked or the disk is full
            traceback.print_exc()
            db.session.rollback()
            self._fail([item.job_id for item in items], f"{type(exc).__name__}: {exc}")
            return
        for job_ids, error in failed:
            self._fail(job_ids, error)

    def _flush(self, items: list[_Ready]) -> list[tuple[list[int], str]]:
        """The work of `flush`; returns the jobs of documents that could not be indexed."""
        fresh: dict[str, list[str]] = {}
        jobs_of: dict[int, list[int]] = {}
        entries, failed = {}, []
        writes: list[Future] = []  # text-cache writes wait on fsync: let them overlap the index
        with db.session.no_autoflush:  # no write lock on the database during the index commit
            # the batch's files and documents in a few queries; held here, the session keeps
            # them for document_entries below
            files = {f.id: f for f in indexing.load_files(i.file_id for i in items if i.file_id)}
            for item in items:
                document_id = self._apply(item, files.get(item.file_id), fresh, writes)
                if document_id is not None:
                    jobs_of.setdefault(document_id, []).append(item.job_id)
            for document_id, job_ids in jobs_of.items():
                try:
                    entries[document_id] = indexing.document_entries(document_id, fresh)
                except Exception as exc:  # one bad document must not hold up the others
                    traceback.print_exc()
                    failed.append((job_ids, f"{type(exc).__name__}: {exc}"))
            if entries:
                search_index().replace_documents(entries)
            for write in writes:
                write.result()  # the text is safely stored before the job is marked done
            failed_ids = {job_id for job_ids, _ in failed for job_id in job_ids}
            for item in items:  # keep no outcome of a file whose document was not indexed
                if item.job_id in failed_ids and item.file_id is not None:
                    file = files.get(item.file_id)
                    if file is not None:
                        db.session.expire(file)
        services.mark_done([item.job_id for item in items if item.job_id not in failed_ids])
        db.session.commit()
        return failed

    def _apply(
        self,
        item: _Ready,
        file: File | None,
        fresh: dict[str, list[str]],
        writes: list[Future],
    ) -> int | None:
        """Record an extraction on its file (None: deleted meanwhile; its text stored by a
        background thread, see `writes`); return the document to reindex (None: none)."""
        if item.result is None:
            return item.document_id
        if file is None:
            return None
        result = item.result
        indexing.record_extraction(file, result, store_text=False)
        if result.status != "failed":
            writes.append(
                self._writer_threads().submit(text_cache().put, file.sha256, result.pages)
            )
        if result.thumbnail is not None:
            writes.append(
                self._writer_threads().submit(thumbnail_store().put, file.sha256, result.thumbnail)
            )
        if result.status == "indexed":
            fresh[file.sha256] = result.pages
        return file.document_id

    def _writer_threads(self) -> ThreadPoolExecutor:
        if self._threads is None:
            self._threads = ThreadPoolExecutor(TEXT_WRITE_THREADS, "archive-text-write")
        return self._threads

    def _fail(self, job_ids: list[int], error: str) -> None:
        """A failed attempt for each job: retried with backoff, or given up with a reason."""
        for job_id in job_ids:
            job = db.session.get(Job, job_id)
            if job is None:
                continue
            if services.fail_attempt(job, error) and job.kind == "extract":
                indexing.mark_extraction_given_up(job.payload["file_id"], error)
