"""The sandboxed extraction child: `python -m indexer._extract_child PATH AS_BYTES CPU_SECONDS`.

Sets its own resource limits, extracts the PDF with `extract_pages_unsandboxed` and writes the
result as one JSON line on stdout. Out of memory, it exits with `EXIT_MEMORY` and writes
nothing. Then, unless the extraction failed, it renders a thumbnail of the first page
(`indexer.thumbnails`) and appends it in base64; a crash or timeout while rendering (a
SIGALRM ends it after `RENDER_SECONDS`) leaves the text result standing.

`python -m indexer._extract_child --serve CONCURRENCY AS_BYTES CPU_SECONDS TIME_LIMIT` is the
server behind `indexer.extract.ExtractionPool`. It imports pypdf and PDFium once, reads requests
(one JSON line each: id, path) on stdin and hands each file to one of at most CONCURRENCY
extraction processes forked from it. Each runs in its own process group under the same memory
limit as the one-shot child and takes file after file, saving a fork per file; before each file
it raises its soft CPU limit to what it has used plus CPU_SECONDS, so every file has its own CPU
budget. The server kills one whose file outlives TIME_LIMIT (wall clock) with its group. A
process that dies (time, memory, crash) fails only its file, and the next file gets a fresh
process; a file whose process died on it after extracting others is first tried once more in a
fresh process, so no state left by an earlier file can fail it. A process retires after
FILES_PER_PROCESS files, once its address space has grown by GROWTH_LIMIT, after a MemoryError
while rendering, or after IDLE_SECONDS unused. For each file the server writes a JSON header
line (id, returncode, timed_out, out_len, err) followed by out_len bytes of what a one-shot
child would have written. On EOF on stdin (the parent has gone) it kills its extraction
processes and exits.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import json
import logging
import math
import os
import resource
import selectors
import signal
import struct
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass, field

from indexer.extract import EXIT_MEMORY, FAILED, extract_pages_unsandboxed
from indexer.thumbnails import render_first_page

_MAX_OPEN_FILES = 64
#: wall-clock seconds the thumbnail may take (a SIGALRM, whose default action ends the process)
RENDER_SECONDS = 10.0


def apply_limits(memory_limit: int, cpu_seconds: int, lifetime_cpu: int | None = None) -> None:
    """Limit this process's address space, CPU time and open files, and disable core dumps.

    The soft CPU limit sends SIGXCPU, which the parent reports as a time limit; the hard one
    (SIGKILL), ``cpu_seconds + 1`` or ``lifetime_cpu`` for a process that will raise its soft
    limit file after file, is only the last resort."""
    _set_limit(resource.RLIMIT_AS, memory_limit)
    hard = cpu_seconds + 1 if lifetime_cpu is None else lifetime_cpu
    _set_limit(resource.RLIMIT_CPU, cpu_seconds, hard)
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
        return _Server(int(argv[1]), int(argv[2]), int(argv[3]), float(argv[4])).run()
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
    text = _text_result(path)
    _write_all(fd, text + b"\n")
    png, _ = _thumbnail(path, json.loads(text)["status"], deadline)
    if png is not None:
        _write_all(fd, base64.b64encode(png))


def _text_result(path: str) -> bytes:
    """The extraction of ``path`` as JSON (no thumbnail)."""
    data = asdict(extract_pages_unsandboxed(path))
    del data["thumbnail"]
    return json.dumps(data).encode()


def _thumbnail(path: str, status: str, deadline: float) -> tuple[bytes | None, bool]:
    """The first page's PNG (None when the extraction failed, there is no time left before
    ``deadline``, or PDFium cannot render it) and whether rendering left the process sound
    (False after a MemoryError). Over RENDER_SECONDS, a SIGALRM ends the process."""
    seconds = min(RENDER_SECONDS, deadline - time.monotonic() - 0.5)
    if status == FAILED or seconds <= 0:
        return None, True
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return render_first_page(path), True
    except MemoryError:
        return None, False
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


# --- the server and its reusable extraction processes ---------------------------------------

_READ_CHUNK = 1 << 16
_ERR_TAIL = 2000
#: how an extraction process frames what it writes: a kind byte and a length, then the payload
_FRAME = struct.Struct(">cI")
#: the JSON text result; the end of a file (payload: the base64 thumbnail, maybe empty), after
#: which the process takes the next file; the same, after which it exits (see `_retire_after`)
_TEXT, _DONE, _RETIRING = b"T", b"D", b"R"
#: an extraction process retires after this many files, or once its address space has grown by
#: GROWTH_LIMIT since it started (fragmentation left by a big file), or IDLE_SECONDS unused
FILES_PER_PROCESS = 50
GROWTH_LIMIT = 256 << 20
IDLE_SECONDS = 60.0
#: extraction processes run this much nicer than the server's parent (the worker, which indexes
#: what they produce): on a busy machine the index keeps pace instead of being left with a long
#: tail of work on one core once extraction is done; idle cores still go to extraction
EXTRACT_NICENESS = 5


@dataclass
class _Extractor:
    """One extraction process of the server, and the file it is working on (if any)."""

    pid: int
    request_fd: int
    out_fd: int
    err_fd: int
    request: dict | None = None
    deadline: float = float("inf")
    idle_since: float = field(default_factory=time.monotonic)
    frames: bytearray = field(default_factory=bytearray)
    text: bytes | None = None
    err: bytearray = field(default_factory=bytearray)
    files_done: int = 0
    retiring: bool = False


class _Server:
    """Hands requested files to at most ``concurrency`` limited extraction processes, each
    forked from this warmed-up process and reused for file after file (see the module
    docstring); kills and replaces one whose file runs over its time limit."""

    def __init__(self, concurrency: int, memory: int, cpu: int, seconds: float) -> None:
        self.concurrency = max(1, concurrency)
        self.memory, self.cpu, self.seconds = memory, cpu, seconds
        self.selector = selectors.DefaultSelector()
        self.queue: deque[dict] = deque()
        self.extractors: dict[int, _Extractor] = {}
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
                self._dispatch()
                self._want_to_write(bool(self.replies))
                for key, _ in self.selector.select(self._timeout()):
                    if key.data is not None:
                        self._read_extractor(key.fd, key.data)
                    elif key.fd == self.reply_fd:
                        self._write_replies()
                    else:
                        self._read_requests()
                self._enforce_deadlines()
        finally:
            for extractor in list(self.extractors.values()):
                _kill_group(extractor.pid)
            for extractor in list(self.extractors.values()):
                os.waitpid(extractor.pid, 0)
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
        moments = [e.deadline for e in self.extractors.values() if e.request is not None]
        moments += [e.idle_since + IDLE_SECONDS for e in self._idle()]
        return max(0.0, min(moments) - time.monotonic()) if moments else None

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

    def _idle(self) -> list[_Extractor]:
        return [e for e in self.extractors.values() if e.request is None and not e.retiring]

    def _dispatch(self) -> None:
        """Give queued files to idle extraction processes, starting new ones up to the limit
        (one that is retiring does not count: it is on its way out). A file tried again
        (see `_finish`) goes to a fresh process."""
        while self.queue:
            request = self.queue[0]
            extractor = self._extractor_for(fresh=bool(request.get("again")))
            if extractor is None:
                return
            self.queue.popleft()
            try:
                _write_all(extractor.request_fd, json.dumps(request).encode() + b"\n")
            except OSError:  # it died while idle: replace it, and the file waits for that
                self.queue.appendleft(request)
                extractor.retiring = True
                _kill_group(extractor.pid)
                continue
            extractor.request = request
            extractor.deadline = time.monotonic() + self.seconds
            extractor.err.clear()

    def _extractor_for(self, *, fresh: bool) -> _Extractor | None:
        """An idle process (one that has extracted nothing yet if ``fresh``), a new one if
        there is room, or None (wait for one to finish)."""
        idle = self._idle()
        usable = [e for e in idle if e.files_done == 0] if fresh else idle
        if usable:
            return usable[0]
        if sum(not e.retiring for e in self.extractors.values()) < self.concurrency:
            return self._spawn()
        if fresh and idle:  # a used process makes way for a fresh one
            idle[0].retiring = True
            _kill_group(idle[0].pid)
            return self._spawn()
        return None

    def _spawn(self) -> _Extractor:
        request_r, request_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the extraction process: never returns
            _extractor_main(request_r, out_w, err_w, self.memory, self.cpu, self.seconds)
        for fd in (request_r, out_w, err_w):
            os.close(fd)
        extractor = _Extractor(pid, request_w, out_r, err_r)
        self.extractors[pid] = extractor
        for fd in (out_r, err_r):
            os.set_blocking(fd, False)
            self.selector.register(fd, selectors.EVENT_READ, extractor)
        return extractor

    def _read_extractor(self, fd: int, extractor: _Extractor) -> None:
        try:
            data = os.read(fd, _READ_CHUNK)
        except BlockingIOError:
            return
        if data:
            if fd == extractor.out_fd:
                extractor.frames += data
                self._take_frames(extractor)
            else:
                extractor.err = (extractor.err + data)[-_ERR_TAIL:]
            return
        self.selector.unregister(fd)
        os.close(fd)
        # forget the number: a process started before the other pipe ends may be given it
        if fd == extractor.out_fd:
            extractor.out_fd = -1
        else:
            extractor.err_fd = -1
        if extractor.out_fd < 0 and extractor.err_fd < 0:
            self._finish(extractor, timed_out=False)

    def _take_frames(self, extractor: _Extractor) -> None:
        """Act on the complete frames the extractor has written."""
        frames = extractor.frames
        while len(frames) >= _FRAME.size:
            kind, size = _FRAME.unpack_from(frames)
            if size > self.memory or kind not in (_TEXT, _DONE, _RETIRING) or not extractor.request:
                _kill_group(extractor.pid)  # not a plausible result: it is ended as a crash
                frames.clear()
                return
            end = _FRAME.size + size
            if len(frames) < end:
                return
            payload = bytes(frames[_FRAME.size : end])
            del frames[:end]
            if kind == _TEXT:
                extractor.text = payload
                continue
            self._reply(extractor.request, 0, (extractor.text or b"") + b"\n" + payload, b"")
            extractor.request, extractor.text, extractor.deadline = None, None, float("inf")
            extractor.files_done += 1
            extractor.idle_since = time.monotonic()
            extractor.retiring = kind == _RETIRING

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for extractor in list(self.extractors.values()):
            if extractor.request is not None and extractor.deadline <= now:
                self._finish(extractor, timed_out=True)
            elif extractor.request is None and extractor.idle_since + IDLE_SECONDS <= now:
                extractor.retiring = True  # unused for a while: give its memory back
                _kill_group(extractor.pid)

    def _finish(self, extractor: _Extractor, *, timed_out: bool) -> None:
        """The extractor has ended (or is killed now, over its time limit): reap it, and
        answer for the file it held."""
        if timed_out:
            _kill_group(extractor.pid)
        for fd in (extractor.out_fd, extractor.err_fd):
            if fd >= 0:  # still open (only when killed here)
                self.selector.unregister(fd)
                os.close(fd)
        extractor.out_fd = extractor.err_fd = -1
        os.close(extractor.request_fd)
        _, status = os.waitpid(extractor.pid, 0)
        del self.extractors[extractor.pid]
        if extractor.request is None:
            return  # it retired between files
        # it died on this file after others: in case what broke it was left behind by an
        # earlier file, the file is tried once more, alone in a fresh process, and the
        # outcome there (the same failure, for a file really at fault) is its answer
        died_early = not timed_out and extractor.text is None
        if died_early and extractor.files_done and not extractor.request.get("again"):
            self.queue.appendleft({**extractor.request, "again": True})
            return
        returncode = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        # the text result stands when only the thumbnail was lost
        out = b"" if timed_out or extractor.text is None else extractor.text + b"\n"
        self._reply(extractor.request, returncode, out, bytes(extractor.err), timed_out=timed_out)

    def _reply(
        self, request: dict, returncode: int, out: bytes, err: bytes, *, timed_out: bool = False
    ) -> None:
        header = {
            "id": request["id"],
            "returncode": returncode,
            "timed_out": timed_out,
            "out_len": len(out),
            "err": err.decode("utf-8", "replace"),
        }
        self.replies += json.dumps(header).encode() + b"\n" + out


def _extractor_main(
    request_fd: int, out_fd: int, err_fd: int, memory: int, cpu: int, seconds: float
) -> None:
    """In the forked extraction process: own group, limits, then one file after another
    until told to stop (EOF), retiring, or dying; never returns into the server loop."""
    code = 1
    try:
        os.setpgid(0, 0)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        os.dup2(request_fd, 0)
        os.closerange(3, 1 << 16)  # the server's pipes to the parent and to other extractors
        _die_with_parent()
        with contextlib.suppress(OSError):
            os.nice(EXTRACT_NICENESS)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        # the hard CPU limit bounds the whole life of the process (each file gets `cpu`
        # seconds of soft limit in turn, see `_allow_cpu`)
        apply_limits(memory, cpu, lifetime_cpu=(FILES_PER_PROCESS + 1) * (cpu + 1))
        start_size = _address_space()
        for number in range(1, FILES_PER_PROCESS + 1):
            line = _read_line(0)
            if not line:
                break  # the server closed our pipe
            path = json.loads(line)["path"]
            _allow_cpu(cpu)
            started = time.monotonic()  # about when the server started the clock on this file
            text = _text_result(path)
            _write_frame(1, _TEXT, text)
            png, clean = _thumbnail(path, json.loads(text)["status"], started + seconds)
            gc.collect()  # the file's objects go now, not in some later file's time
            retire = (
                not clean
                or number == FILES_PER_PROCESS
                or _address_space() - start_size > GROWTH_LIMIT
            )
            _write_frame(1, _RETIRING if retire else _DONE, base64.b64encode(png or b""))
            if retire:
                break
        code = 0
    except MemoryError:
        code = EXIT_MEMORY
    except BaseException as exc:  # report and exit: never return into the server loop
        with contextlib.suppress(BaseException):
            os.write(2, f"{type(exc).__name__}: {exc}\n".encode("utf-8", "replace"))
    finally:
        os._exit(code)


def _read_line(fd: int) -> bytes:
    """One request line from the server's pipe (b"" at EOF); the server sends the next
    request only after this file's answer, so nothing past the line is ever in the pipe."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = os.read(fd, _READ_CHUNK)
        if not chunk:
            return b""
        line += chunk
    return line


def _allow_cpu(seconds: int) -> None:
    """Set the soft CPU limit to what this process has used so far plus ``seconds``: the
    next file gets its own CPU budget, as a fresh process would."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime) + seconds
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _address_space() -> int:
    """This process's virtual memory size in bytes (what RLIMIT_AS limits)."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _write_frame(fd: int, kind: bytes, payload: bytes) -> None:
    _write_all(fd, _FRAME.pack(kind, len(payload)) + payload)


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
