"""The blob store on real files: streaming, dedupe, crashes, corruption, limits."""

from __future__ import annotations

import hashlib
import io
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import BlobInfo, BlobStore, BlobTooLarge, shard

REPO_ROOT = Path(__file__).resolve().parents[2]
MiB = 1 << 20


class ChunkStream(io.RawIOBase):
    """A readable binary stream fed by an iterator of byte chunks (nothing held in full)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if not self._pending:
            self._pending = next(self._chunks, b"")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self.bytes_read += n
        return n


def random_chunks(size: int, seed: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """Yield ``size`` pseudo-random bytes in chunks, reproducibly from ``seed``."""
    rng = random.Random(seed)
    while size > 0:
        n = min(chunk, size)
        yield rng.randbytes(n)
        size -= n


def failing_chunks(good_bytes: int, error: BaseException) -> Iterator[bytes]:
    """Yield ``good_bytes`` bytes, then raise ``error`` as a dying client would."""
    yield from random_chunks(good_bytes, seed=7)
    raise error


def sha256_of(chunks: Iterator[bytes]) -> str:
    hasher = hashlib.sha256()
    for chunk in chunks:
        hasher.update(chunk)
    return hasher.hexdigest()


def files_under(path: Path) -> list[Path]:
    """Every file of a store but its lock files (``locks/``, 256 at most, kept for good)."""
    return sorted(p for p in path.rglob("*") if p.is_file() and p.parent.name != "locks")


@pytest.fixture
def store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "store")


def assert_empty(store: BlobStore) -> None:
    """No blob and no temp file anywhere under the store's root."""
    assert files_under(store.root) == []


# -- shard ---------------------------------------------------------------------------


def test_shard_is_two_levels_of_two_hex_digits() -> None:
    digest = hashlib.sha256(b"12MSP").hexdigest()
    assert shard(digest) == f"{digest[:2]}/{digest[2:4]}/{digest}"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "a" * 63,
        "a" * 65,
        "A" * 64,
        "g" * 64,
        "a" * 64 + "\n",
        "../" + "a" * 61,
        "aa/bb/" + "a" * 58,
        None,
        b"a" * 64,
    ],
)
def test_shard_rejects_anything_but_64_lowercase_hex(bad: object) -> None:
    with pytest.raises(ValueError):
        shard(bad)  # type: ignore[arg-type]


def test_store_methods_validate_digests(store: BlobStore) -> None:
    for method in (store.path, store.exists, store.open, store.size, store.delete, store.verify):
        with pytest.raises(ValueError):
            method("../../etc/passwd")


# -- writing and reading ------------------------------------------------------------


def test_round_trip_of_50_mb_stream_in_bounded_memory(store: BlobStore) -> None:
    size = 50 * MiB
    expected = sha256_of(random_chunks(size, seed=1))
    stream = ChunkStream(random_chunks(size, seed=1))

    tracemalloc.start()
    try:
        baseline, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        started = time.perf_counter()
        info = store.put_stream(stream)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    growth = peak - baseline
    print(f"\nput_stream 50 MiB: peak memory growth {growth / MiB:.2f} MiB in {elapsed:.2f} s")
    assert growth < 10 * MiB
    assert info == BlobInfo(sha256=expected, size=size, created=True)
    assert store.size(expected) == size
    with store.open(expected) as blob:
        assert sha256_of(iter(lambda: blob.read(MiB), b"")) == expected
    assert store.verify(expected)
    assert files_under(store.tmp_dir) == []


def test_put_bytes_names_the_blob_by_its_sha256(store: BlobStore) -> None:
    info = store.put_bytes(b"Final report of 12MSP")
    digest = hashlib.sha256(b"Final report of 12MSP").hexdigest()
    assert info == BlobInfo(sha256=digest, size=21, created=True)
    assert store.path(digest) == store.root / "blobs" / shard(digest)
    assert store.path(digest).read_bytes() == b"Final report of 12MSP"
    with store.open(digest) as blob:
        assert blob.read() == b"Final report of 12MSP"


def test_empty_blob_is_a_blob(store: BlobStore) -> None:
    info = store.put_bytes(b"")
    assert info.size == 0 and store.exists(info.sha256) and store.verify(info.sha256)


def test_same_content_twice_is_stored_once(store: BlobStore) -> None:
    first = store.put_bytes(b"statement of Chile")
    second = store.put_stream(io.BytesIO(b"statement of Chile"), chunk_size=4)
    assert first.created is True
    assert second == BlobInfo(sha256=first.sha256, size=first.size, created=False)
    assert list(store.iter_digests()) == [first.sha256]
    assert files_under(store.root) == [store.path(first.sha256)]


def test_exists_size_delete(store: BlobStore) -> None:
    digest = store.put_bytes(b"working paper").sha256
    assert store.exists(digest) and store.size(digest) == 13
    assert store.delete(digest) is True
    assert not store.exists(digest)
    assert store.delete(digest) is False
    with pytest.raises(FileNotFoundError):
        store.size(digest)
    with pytest.raises(FileNotFoundError):
        store.open(digest)


# -- failures leave nothing behind --------------------------------------------------


@pytest.mark.parametrize("error", [OSError("client went away"), KeyboardInterrupt()])
def test_stream_failing_mid_write_leaves_nothing(store: BlobStore, error: BaseException) -> None:
    stream = ChunkStream(failing_chunks(3 * MiB + 5, error))
    with pytest.raises(type(error)):
        store.put_stream(stream, chunk_size=MiB)
    assert stream.bytes_read == 3 * MiB + 5
    assert_empty(store)


def test_non_blocking_stream_with_no_data_is_an_error_not_the_end(store: BlobStore) -> None:
    class NothingYet(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> None:  # type: ignore[no-untyped-def]
            return None  # what a non-blocking stream says when no data is ready

    with pytest.raises(BlockingIOError):
        store.put_stream(NothingYet())
    assert_empty(store)


def test_max_bytes_raises_blob_too_large_and_leaves_nothing(store: BlobStore) -> None:
    stream = ChunkStream(random_chunks(20 * MiB, seed=3))
    with pytest.raises(BlobTooLarge) as excinfo:
        store.put_stream(stream, max_bytes=5 * MiB, chunk_size=MiB)
    assert excinfo.value.max_bytes == 5 * MiB
    assert stream.bytes_read == 5 * MiB + 1  # stopped one byte past the limit
    assert_empty(store)


def test_max_bytes_allows_exactly_the_limit(store: BlobStore) -> None:
    info = store.put_stream(io.BytesIO(b"x" * 1000), max_bytes=1000, chunk_size=64)
    assert info.size == 1000 and store.exists(info.sha256)


CHILD_WRITER = textwrap.dedent(
    """
    import sys, time
    from storage import BlobStore

    class EndlessUpload:
        reads = 0

        def read(self, n):
            self.reads += 1
            if self.reads == 4:  # three chunks are in the temp file by now
                print("writing", flush=True)
                time.sleep(120)
            return b"x" * n

    BlobStore(sys.argv[1]).put_stream(EndlessUpload(), chunk_size=64 * 1024)
    """
)


def test_process_killed_mid_write_leaves_only_a_temp_file_that_cleanup_removes(
    tmp_path: Path,
) -> None:
    root = tmp_path / "store"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    with subprocess.Popen(
        [sys.executable, "-c", CHILD_WRITER, str(root)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline() == "writing\n"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    leftovers = files_under(root)
    assert len(leftovers) == 1 and leftovers[0].parent == root / "tmp"
    assert leftovers[0].stat().st_size == 3 * 64 * 1024

    store = BlobStore(root)  # a restart: the constructor itself deletes nothing
    assert files_under(root) == leftovers
    assert list(store.iter_digests()) == []
    assert store.cleanup_abandoned() == 1  # its writer is dead: no age needed
    assert_empty(store)


def test_cleanup_temp_can_spare_recent_temp_files(store: BlobStore) -> None:
    stale = store.tmp_dir / "stale.tmp"
    fresh = store.tmp_dir / "fresh.tmp"
    stale.write_bytes(b"half an upload")
    fresh.write_bytes(b"an upload in progress")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))

    assert store.cleanup_temp(older_than=600) == 1
    assert files_under(store.tmp_dir) == [fresh]
    assert store.cleanup_temp() == 1
    assert_empty(store)


# -- integrity and listing ----------------------------------------------------------


def test_verify_detects_a_flipped_byte(store: BlobStore) -> None:
    digest = store.put_stream(ChunkStream(random_chunks(3 * MiB, seed=5))).sha256
    assert store.verify(digest)
    with open(store.path(digest), "r+b") as blob:
        blob.seek(2 * MiB + 17)
        byte = blob.read(1)
        blob.seek(-1, os.SEEK_CUR)
        blob.write(bytes([byte[0] ^ 0x01]))
    assert store.verify(digest) is False
    assert store.size(digest) == 3 * MiB


def test_verify_is_false_for_a_missing_blob(store: BlobStore) -> None:
    assert store.verify(hashlib.sha256(b"never stored").hexdigest()) is False


def test_iter_digests_lists_exactly_the_stored_blobs(store: BlobStore) -> None:
    digests = {store.put_bytes(f"document {n}".encode()).sha256 for n in range(20)}
    misplaced = hashlib.sha256(b"in the wrong shard").hexdigest()
    assert not misplaced.startswith("0000")
    wrong_dir = store.blobs_dir / "00" / "00"
    wrong_dir.mkdir(parents=True, exist_ok=True)
    (wrong_dir / misplaced).write_bytes(b"in the wrong shard")
    (store.blobs_dir / "README").write_text("junk")
    (store.blobs_dir / "zz").mkdir()
    some = store.path(next(iter(digests)))
    (some.parent / (some.name + ".tmp")).write_bytes(b"junk")
    (store.tmp_dir / "upload.tmp").write_bytes(b"half")

    assert list(store.iter_digests()) == sorted(digests)


def test_cleanup_abandoned_spares_live_writers(store: BlobStore) -> None:
    import socket

    mine = store.tmp_dir / f"{socket.gethostname()}~{os.getpid()}~abc.tmp"
    other_host = store.tmp_dir / "elsewhere~1~abc.tmp"
    mine.write_bytes(b"in progress")
    other_host.write_bytes(b"someone else's")
    assert store.cleanup_abandoned() == 0
    assert sorted(files_under(store.tmp_dir)) == sorted([mine, other_host])


# Deleting a shared blob must not race with committing a reference to it


def _in_thread(target) -> tuple[threading.Thread, dict]:  # type: ignore[no-untyped-def]
    """Start ``target`` in a thread; its result (or exception) lands in the returned dict."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = target()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_same_bytes_stored_while_a_failed_upload_discards_its_blob_are_stored_again(
    store: BlobStore,
) -> None:
    """Upload A creates the blob, fails and deletes it; upload B of the same bytes, arriving
    in between, must not come away counting on the deleted blob."""
    data = b"%PDF-1.4 shared bytes"

    def upload_b() -> BlobInfo:
        with store.put_stream_held(io.BytesIO(data)) as info:
            assert store.exists(info.sha256)  # what B's row will refer to is there
            return info

    with store.put_stream_held(io.BytesIO(data)) as first:
        assert first.created
        thread, outcome = _in_thread(upload_b)
        thread.join(timeout=0.3)
        assert thread.is_alive(), "B must wait for A's unit of work to end"
        store.delete(first.sha256)  # A failed: nothing refers to its new blob
    thread.join(timeout=10)
    assert "error" not in outcome, outcome
    assert outcome["result"].created  # stored again, not "already there"
    assert store.exists(first.sha256)


def test_delete_unreferenced_asks_again_under_the_lock(store: BlobStore) -> None:
    """An orphan found by a scan is kept if a reference appeared before the lock was taken."""
    info = store.put_bytes(b"orphan for now")
    assert not store.delete_unreferenced(info.sha256, lambda: True)
    assert store.exists(info.sha256)
    assert store.delete_unreferenced(info.sha256, lambda: False)
    assert not store.exists(info.sha256)


def test_delete_unreferenced_waits_for_an_upload_holding_the_blob(store: BlobStore) -> None:
    """While an upload of the same bytes holds the blob, a check's delete waits, then sees
    the upload's reference and keeps the blob."""
    data = b"orphan adopted by a new upload"
    orphan = store.put_bytes(data)
    committed = threading.Event()
    with store.put_stream_held(io.BytesIO(data)) as info:
        assert not info.created
        thread, outcome = _in_thread(
            lambda: store.delete_unreferenced(orphan.sha256, committed.is_set)
        )
        thread.join(timeout=0.3)
        assert thread.is_alive()
        committed.set()  # the upload's row is committed inside its block
    thread.join(timeout=10)
    assert outcome == {"result": False}
    assert store.exists(orphan.sha256)
