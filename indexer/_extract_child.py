"""The sandboxed extraction child: `python -m indexer._extract_child PATH AS_BYTES CPU_SECONDS`.

Sets its own resource limits, extracts the PDF with `extract_pages_unsandboxed` and writes the
result as one JSON line on stdout. Out of memory, it exits with `EXIT_MEMORY` and writes
nothing. Then, unless the extraction failed, it renders a thumbnail of the first page
(`indexer.thumbnails`) and appends it in base64; a crash or timeout while rendering (a
SIGALRM ends it after `RENDER_SECONDS`) leaves the text result standing.

`python -m indexer._extract_child --serve CONCURRENCY` is the fork server behind
`indexer.extract.ExtractionPool`: it has pypdf imported once, reads requests (one JSON line
each: id, path, memory, cpu, time) on stdin and forks a fresh grandchild per file, in its own
process group, which sets the same limits as the one-shot child before touching the file. At
most CONCURRENCY grandchildren run at once; one that outlives its wall-clock limit is killed
with its group. For each file the server writes a JSON header line (id, returncode, timed_out,
out_len, err) followed by out_len bytes of the grandchild's stdout. On EOF on stdin (the parent
has gone) it kills its grandchildren and exits.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import json
import logging
import os
import resource
import selectors
import signal
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass, field

from indexer.extract import EXIT_MEMORY, FAILED, extract_pages_unsandboxed
from indexer.thumbnails import render_first_page

_MAX_OPEN_FILES = 64
#: wall-clock seconds the thumbnail may take (a SIGALRM, whose default action ends the process)
RENDER_SECONDS = 10.0


def apply_limits(memory_limit: int, cpu_seconds: int) -> None:
    """Limit this process's address space, CPU time and open files, and disable core dumps."""
    _set_limit(resource.RLIMIT_AS, memory_limit)
    # The soft CPU limit sends SIGXCPU, which the parent reports as a time limit; the hard
    # one (SIGKILL) is only the last resort.
    _set_limit(resource.RLIMIT_CPU, cpu_seconds, cpu_seconds + 1)
    _set_limit(resource.RLIMIT_NOFILE, _MAX_OPEN_FILES)
    _set_limit(resource.RLIMIT_CORE, 0)


def _set_limit(kind: int, soft: int, hard: int | None = None) -> None:
    """Lower the soft and hard limits of `kind` (hard defaults to soft; never raise them)."""
    _, current = resource.getrlimit(kind)
    hard = soft if hard is None else hard
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(kind, (soft, hard))


def main(argv: list[str]) -> int:
    """Run one extraction under limits and print its result as JSON (or serve, see above)."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # strict=False warns on every repair
    if argv[:1] == ["--serve"]:
        return _Server(int(argv[1])).run()
    path, memory_limit, cpu_seconds = argv[0], int(argv[1]), int(argv[2])
    deadline = time.monotonic() + cpu_seconds - 2  # the parent's wall-clock limit, roughly
    apply_limits(memory_limit, cpu_seconds)
    try:
        extract_and_write(path, sys.stdout.fileno(), deadline)
    except MemoryError:
        os._exit(EXIT_MEMORY)  # skip cleanup that would need memory too
    return 0


def extract_and_write(path: str, fd: int, deadline: float) -> None:
    """Extract ``path``, write the result as a JSON line on ``fd``, then (unless it failed)
    the first page's thumbnail in base64, if it renders before ``deadline``."""
    result = extract_pages_unsandboxed(path)
    data = asdict(result)
    del data["thumbnail"]
    _write_all(fd, json.dumps(data).encode() + b"\n")
    seconds = min(RENDER_SECONDS, deadline - time.monotonic() - 0.5)
    if result.status == FAILED or seconds <= 0:
        return
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        png = render_first_page(path)
    except MemoryError:
        png = None
    signal.setitimer(signal.ITIMER_REAL, 0)
    if png is not None:
        _write_all(fd, base64.b64encode(png))


# --- the fork server ------------------------------------------------------------------------

_READ_CHUNK = 1 << 16
_ERR_TAIL = 2000


@dataclass
class _Child:
    """One forked extraction and what it has written so far."""

    request: dict
    pid: int
    deadline: float
    out_fd: int
    err_fd: int
    out: bytearray = field(default_factory=bytearray)
    err: bytearray = field(default_factory=bytearray)
    open_fds: int = 2
    timed_out: bool = False


class _Server:
    """Forks one limited grandchild per requested file (see the module docstring)."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = max(1, concurrency)
        self.selector = selectors.DefaultSelector()
        self.queue: deque[dict] = deque()
        self.children: dict[int, _Child] = {}
        self.requests = b""
        self.stdin_open = True
        self.reply_fd = sys.stdout.fileno()
        #: replies not yet taken by the parent: buffered here, so that a parent busy with
        #: something else (indexing) never stops the server from starting the next files
        self.replies = bytearray()

    def run(self) -> int:
        _warm_up()
        os.set_blocking(sys.stdin.fileno(), False)
        os.set_blocking(self.reply_fd, False)
        self.selector.register(sys.stdin.fileno(), selectors.EVENT_READ, None)
        try:
            while self.stdin_open:  # EOF: the parent is gone, nobody wants the results
                self._start_queued()
                self._want_to_write(bool(self.replies))
                for key, _ in self.selector.select(self._timeout()):
                    if key.data is not None:
                        self._read_child(key.fd, key.data)
                    elif key.fd == self.reply_fd:
                        self._write_replies()
                    else:
                        self._read_requests()
                self._enforce_deadlines()
        finally:
            for child in list(self.children.values()):
                _kill_group(child.pid)
            for child in list(self.children.values()):
                os.waitpid(child.pid, 0)
        return 0

    def _want_to_write(self, wanted: bool) -> None:
        """Watch stdout for room while replies wait, and only then."""
        watched = self.reply_fd in self.selector.get_map()
        if wanted and not watched:
            self.selector.register(self.reply_fd, selectors.EVENT_WRITE, None)
        elif watched and not wanted:
            self.selector.unregister(self.reply_fd)

    def _write_replies(self) -> None:
        try:
            written = os.write(self.reply_fd, self.replies[: _READ_CHUNK * 16])
        except BlockingIOError:
            return
        del self.replies[:written]

    def _timeout(self) -> float | None:
        if not self.children:
            return None
        return max(0.0, min(c.deadline for c in self.children.values()) - time.monotonic())

    def _read_requests(self) -> None:
        try:
            data = os.read(sys.stdin.fileno(), _READ_CHUNK)
        except BlockingIOError:
            return
        if not data:
            self.stdin_open = False
            self.selector.unregister(sys.stdin.fileno())
            return
        self.requests += data
        *lines, self.requests = self.requests.split(b"\n")
        self.queue.extend(json.loads(line) for line in lines if line.strip())

    def _start_queued(self) -> None:
        while self.queue and len(self.children) < self.concurrency:
            request = self.queue.popleft()
            child = self._fork(request)
            self.children[child.pid] = child
            for fd in (child.out_fd, child.err_fd):
                os.set_blocking(fd, False)
                self.selector.register(fd, selectors.EVENT_READ, child)

    def _fork(self, request: dict) -> _Child:
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the grandchild: never returns
            _grandchild(request, out_w, err_w)
        os.close(out_w)
        os.close(err_w)
        deadline = time.monotonic() + float(request["time"])
        return _Child(request, pid, deadline, out_r, err_r)

    def _read_child(self, fd: int, child: _Child) -> None:
        try:
            data = os.read(fd, _READ_CHUNK)
        except BlockingIOError:
            return
        if data:
            if fd == child.out_fd:
                child.out += data
                if len(child.out) > int(child.request["memory"]):  # not a plausible result
                    _kill_group(child.pid)
            else:
                child.err = (child.err + data)[-_ERR_TAIL:]
            return
        self.selector.unregister(fd)
        os.close(fd)
        child.open_fds -= 1
        if child.open_fds == 0:
            self._finish(child)

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for child in list(self.children.values()):
            if child.deadline <= now and not child.timed_out:
                child.timed_out = True
                _kill_group(child.pid)
                for fd in (child.out_fd, child.err_fd):
                    if fd in self.selector.get_map():
                        self.selector.unregister(fd)
                        os.close(fd)
                self._finish(child)

    def _finish(self, child: _Child) -> None:
        _, status = os.waitpid(child.pid, 0)
        del self.children[child.pid]
        returncode = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        header = {
            "id": child.request["id"],
            "returncode": returncode,
            "timed_out": child.timed_out,
            "out_len": 0 if child.timed_out else len(child.out),
            "err": child.err.decode("utf-8", "replace"),
        }
        self.replies += json.dumps(header).encode() + b"\n"
        if not child.timed_out:
            self.replies += child.out


def _grandchild(request: dict, out_fd: int, err_fd: int) -> None:
    """In the forked process: own group, limits, extract, write JSON, exit."""
    code = 1
    try:
        os.setpgid(0, 0)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.closerange(3, 1 << 16)  # the server's pipes to the parent and to other children
        _die_with_parent()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        apply_limits(int(request["memory"]), int(request["cpu"]))
        started = time.monotonic()  # about when the server started the clock on this file
        extract_and_write(request["path"], 1, started + float(request["time"]))
        code = 0
    except MemoryError:
        code = EXIT_MEMORY
    except BaseException as exc:  # report and exit: never return into the server loop
        with contextlib.suppress(BaseException):
            os.write(2, f"{type(exc).__name__}: {exc}\n".encode("utf-8", "replace"))
    finally:
        os._exit(code)


#: a one-page PDF with a line of Helvetica text, extracted once by the server before it forks
_WARM_UP_OBJECTS = (
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
    b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    b"<< /Length 38 >>\nstream\nBT /F1 12 Tf 72 770 Td (warm up) Tj ET\nendstream",
)


def _warm_up_pdf() -> bytes:
    """The warm-up PDF, with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(_WARM_UP_OBJECTS, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(offsets) + 1)
    return bytes(out + b"startxref\n%d\n%%%%EOF\n" % xref)


_prctl = None


def _warm_up() -> None:
    """Load, once and before any fork, what each extraction would otherwise load itself:
    pypdf's lazily imported text-extraction modules, PDFium and its fonts, and prctl for
    `_die_with_parent`."""
    global _prctl
    try:
        import ctypes

        _prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        _prctl = None
    try:
        import io

        from pypdf import PdfReader

        PdfReader(io.BytesIO(_warm_up_pdf()), strict=True).pages[0].extract_text()
    except Exception:  # only an optimisation
        pass
    with contextlib.suppress(Exception):
        render_first_page(_warm_up_pdf())  # PDFium loaded, with its fonts, before any fork
    gc.collect()
    gc.freeze()  # the children's collections then leave the shared pages alone (copy-on-write)


def _die_with_parent() -> None:
    """Linux: get SIGKILL when the server dies, so no extraction outlives it."""
    if _prctl is not None:
        _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() == 1:  # the server died before prctl took effect
        os._exit(1)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
