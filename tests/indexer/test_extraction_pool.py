"""indexer.extract.ExtractionPool: the fork server and its reused, limited extraction processes."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer._extract_child import EXTRACT_NICENESS, _Extractor, _Server
from indexer.extract import (
    FAILED,
    ExtractionPool,
    ExtractionResult,
    ExtractionServerError,
    extract_pages_unsandboxed,
)
from tests.hostile_pdfs import HOSTILE_CASES, decompression_bomb_pdf, slow_pdf, text_pdf

MB = 1 << 20


def _collect(pool: ExtractionPool, timeout: float = 60.0) -> dict:
    results = {}
    deadline = time.monotonic() + timeout
    while pool.busy:
        assert time.monotonic() < deadline, "the pool did not finish in time"
        results.update(pool.results(1.0))
    return results


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _descendants(root: int) -> set[int]:
    """Pids of every live process below `root` (zombies included)."""
    parents = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(entry.parent.name)] = int(entry.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def test_results_equal_in_process_extraction_for_good_and_hostile_files(tmp_path):
    paths = {"good": _write(tmp_path, "good.pdf", text_pdf(["Clearance of mined areas", ""]))}
    for name, (factory, _, _) in HOSTILE_CASES.items():
        paths[name] = _write(tmp_path, f"{name}.pdf", factory())
    with ExtractionPool(2, time_limit=60) as pool:
        for name, path in paths.items():
            pool.submit(name, path)
        results = _collect(pool)
    assert set(results) == set(paths)
    for name, path in paths.items():
        assert results[name] == extract_pages_unsandboxed(path), name
    for name, (_, status, fragment) in HOSTILE_CASES.items():
        assert results[name].status == status and fragment in results[name].reason, name


def test_a_hanging_file_fails_alone_and_the_others_finish(tmp_path):
    slow = _write(tmp_path, "slow.pdf", slow_pdf())
    good = [_write(tmp_path, f"good{n}.pdf", text_pdf([f"statement {n}"])) for n in range(6)]
    with ExtractionPool(2, time_limit=0.5) as pool:
        pool.submit("slow", slow)
        for n, path in enumerate(good):
            pool.submit(n, path)
        started = time.monotonic()
        results = _collect(pool)
        elapsed = time.monotonic() - started
        server = pool._server
        assert server is not None
        assert _all_idle(_descendants(server.pid), 2)  # the slow file's process is gone
    assert results["slow"] == ExtractionResult(FAILED, [], 0, "over the time limit (0.5 s)")
    assert all(results[n].status == "indexed" for n in range(6))
    assert elapsed < 5


def test_a_memory_bomb_fails_alone(tmp_path):
    bomb = _write(tmp_path, "bomb.pdf", decompression_bomb_pdf())
    good = _write(tmp_path, "good.pdf", text_pdf(["after the bomb"]))
    with ExtractionPool(2, memory_limit=100 * MB) as pool:
        pool.submit("bomb", bomb)
        pool.submit("good", good)
        results = _collect(pool)
    assert results["bomb"] == ExtractionResult(FAILED, [], 0, "over the memory limit (100 MB)")
    assert results["good"].status == "indexed" and "after the bomb" in results["good"].pages[0]


def test_a_missing_file_raises_at_submit_and_changes_nothing(tmp_path):
    with ExtractionPool(1) as pool:
        with pytest.raises(FileNotFoundError):
            pool.submit("absent", tmp_path / "absent.pdf")
        assert pool.busy == 0


def test_a_dead_server_is_reported_once_then_replaced(tmp_path):
    slow = _write(tmp_path, "slow.pdf", slow_pdf())
    good = _write(tmp_path, "good.pdf", text_pdf(["second life"]))
    with ExtractionPool(1, time_limit=60) as pool:
        pool.submit("slow", slow)
        first = pool._server
        assert first is not None
        deadline = time.monotonic() + 10
        while not (orphans := _descendants(first.pid)):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        with pytest.raises(ExtractionServerError):
            _collect(pool)
        assert pool.busy == 0
        pool.submit("good", good)
        assert pool._server is not None and pool._server.pid != first.pid
        assert _collect(pool)["good"].status == "indexed"
    deadline = time.monotonic() + 5  # the orphaned grandchild dies with its server
    while any(_alive(pid) for pid in orphans):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_closing_the_pool_stops_every_extraction(tmp_path):
    slow = [_write(tmp_path, f"slow{n}.pdf", slow_pdf()) for n in range(3)]
    pool = ExtractionPool(2, time_limit=60)
    for n, path in enumerate(slow):
        pool.submit(n, path)
    server = pool._server
    assert server is not None
    deadline = time.monotonic() + 10
    while len(running := _descendants(server.pid)) < 2:  # the grandchildren are at work
        assert time.monotonic() < deadline
        time.sleep(0.05)
    pool.close()
    assert server.poll() is not None
    assert not any(_alive(pid) for pid in running)


def test_one_process_extracts_file_after_file(tmp_path):
    paths = [_write(tmp_path, f"good{n}.pdf", text_pdf([f"statement {n}"])) for n in range(3)]
    with ExtractionPool(1) as pool:
        seen = []
        for n, path in enumerate(paths):
            pool.submit(n, path)
            assert _collect(pool)[n].pages == [f"statement {n}\n"]
            seen.append(_descendants(pool._server.pid))  # type: ignore[union-attr]
        # and it runs nicer than the worker, which indexes what it produces
        niceness = [_niceness(pid) for pid in seen[-1]]
        assert niceness == [min(19, os.getpriority(os.PRIO_PROCESS, 0) + EXTRACT_NICENESS)]
    assert len(seen[0]) == 1 and seen[0] == seen[1] == seen[2]


def test_after_a_timeout_a_crash_or_a_bomb_a_fresh_process_takes_over(tmp_path):
    good = [_write(tmp_path, f"good{n}.pdf", text_pdf([f"statement {n}"])) for n in range(4)]
    slow = _write(tmp_path, "slow.pdf", slow_pdf(80_000))  # ~1 s of CPU, within 100 MB
    gone = _write(tmp_path, "gone.pdf", text_pdf(["deleted before its turn"]))
    bomb = _write(tmp_path, "bomb.pdf", decompression_bomb_pdf())
    with ExtractionPool(1, time_limit=0.5, memory_limit=100 * MB) as pool:
        results, pids = {}, []

        def run(*items: tuple[object, Path]) -> None:
            for key, path in items:
                pool.submit(key, path)
            if len(items) > 1:  # the second file waits behind the slow one: delete it
                gone.unlink()
            results.update(_collect(pool))
            pids.append(_descendants(pool._server.pid))  # type: ignore[union-attr]

        run((0, good[0]))
        run(("slow", slow), ("gone", gone))  # a timeout, then a crash (the file is missing)
        run((1, good[1]))
        run(("bomb", bomb))
        run((2, good[2]))
        run((3, good[3]))
    assert results["slow"] == ExtractionResult(FAILED, [], 0, "over the time limit (0.5 s)")
    assert results["gone"].status == FAILED
    assert "crashed" in (results["gone"].reason or "")
    assert "FileNotFoundError" in (results["gone"].reason or "")
    assert results["bomb"] == ExtractionResult(FAILED, [], 0, "over the memory limit (100 MB)")
    for n in range(4):
        assert results[n].status == "indexed" and results[n].pages == [f"statement {n}\n"]
    # a failure takes its process with it and the next file gets a fresh one; a good file
    # leaves its process waiting for the next
    assert pids[1] == pids[3] == set()
    assert len(pids[0]) == len(pids[2]) == len(pids[4]) == 1
    assert pids[0] != pids[2] != pids[4] == pids[5]


def test_each_file_gets_its_own_cpu_budget_in_a_reused_process():
    burn = "t = time.process_time()\nwhile time.process_time() - t < 0.7: pass"
    code = "\n".join(
        [
            "import resource, time",
            "from indexer._extract_child import _allow_cpu",
            "resource.setrlimit(resource.RLIMIT_CPU, (1, 30))",
            burn,
            "_allow_cpu(1)",  # a second file: 1 s more, though 0.7 s are already used
            burn,
            "print(resource.getrlimit(resource.RLIMIT_CPU))",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(2, 30)"


def _all_idle(pids: set[int], most: int) -> bool:
    """At most `most` processes, none of them using CPU (waiting for their next file)."""
    before = {pid: _cpu_ticks(pid) for pid in pids}
    time.sleep(0.3)
    return len(pids) <= most and all(_cpu_ticks(pid) == ticks for pid, ticks in before.items())


def _niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for a reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_reaping_a_process_leaves_the_pipes_of_a_newer_one_alone():
    """The two pipes of a finished process reach EOF one after the other; a process started
    in between may get the first one's number, and reaping the old must not close it."""
    server = _Server(2, 1 << 30, 10, 10.0)
    old_pid = os.fork()
    if old_pid == 0:  # stands for an extraction process that has just retired
        os._exit(0)
    request_r, request_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    old = _Extractor(old_pid, request_w, out_r, err_r, retiring=True)
    server.extractors[old_pid] = old
    for fd in (out_r, err_r):
        server.selector.register(fd, selectors.EVENT_READ, old)
    os.close(out_w)
    server._read_extractor(out_r, old)  # EOF on its output: the number is free
    new_r, new_w = os.pipe()  # a newer process's pipe, as _spawn would make it
    assert new_r == out_r
    server.selector.register(new_r, selectors.EVENT_READ, "newer")
    os.close(err_w)
    server._read_extractor(err_r, old)  # EOF on its stderr: reaped
    assert old_pid not in server.extractors
    assert server.selector.get_key(new_r).data == "newer"
    os.write(new_w, b"still open")
    assert os.read(new_r, 100) == b"still open"
    for fd in (request_r, new_r, new_w):
        os.close(fd)
