"""Text extraction from PDFs: one normalised text per page, in a sandboxed child process.

`extract_pages` runs `extract_pages_unsandboxed` in a fresh Python process (`python -m
indexer._extract_child`) with an address-space limit, a CPU limit as a backstop, and a
wall-clock limit enforced here by killing the child's whole process group. `ExtractionPool`,
which the worker uses, gives the same limits per file without paying an interpreter start,
the pypdf import or a fork for each: a server (`_extract_child --serve`) forks a few limited
extraction processes that take file after file, kills one whose file runs over its time limit,
and replaces any that dies, so a bad file fails alone.
Everything wrong *inside* a file becomes a `failed` (or `needs_ocr`) result with a readable
reason; only a file that cannot be opened at all (missing, a directory, no permission)
raises `OSError`, because that is a storage fault for the caller to retry or repair, not a
property of the document.

The same child also renders a PNG thumbnail of the first page (`indexer.thumbnails`) after it
has written the text result, so a renderer that crashes or runs out of time costs the file
its thumbnail, never its text.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import unicodedata
import zlib
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import DependencyError, EmptyFileError, LimitReachedError, PyPdfError

from indexer.thumbnails import png_size

INDEXED = "indexed"
NEEDS_OCR = "needs_ocr"
FAILED = "failed"

#: Exit status the child uses when it ran out of memory (it cannot be trusted to write JSON).
EXIT_MEMORY = 86

#: What pypdf lets escape on malformed input. `LimitReachedError` is a `PyPdfError` but not a
#: `PdfReadError`; broken encryption raises a plain `ValueError` (see INDEXING.md), and
#: `DependencyError` (e.g. AES without `cryptography`) is not a `PyPdfError` at all.
DAMAGE_ERRORS: tuple[type[BaseException], ...] = (
    PyPdfError,
    DependencyError,
    ValueError,
    LookupError,
    TypeError,
    AttributeError,
    ArithmeticError,
    RecursionError,
    AssertionError,
    EOFError,
    zlib.error,
    struct.error,
)

_PROJECT_ROOT = Path(__file__).resolve().parent.parent
_CHILD_MODULE = "indexer._extract_child"
# C0/C1 control characters except tab and newline, plus lone surrogates (not encodable).
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_STDERR_TAIL = 300


@dataclass(frozen=True)
class ExtractionResult:
    """The outcome of extracting one PDF."""

    status: str  #: "indexed" | "needs_ocr" | "failed"
    pages: list[str]  #: one NFKC-normalised text per page; empty when failed
    page_count: int  #: 0 when unknown
    reason: str | None  #: human-readable; None when every page had text
    #: PNG of the first page, when the sandboxed child could render it (not compared)
    thumbnail: bytes | None = field(default=None, compare=False, repr=False)


class _NeedsPassword(Exception):
    """The PDF is encrypted and the empty user password does not open it."""


# --- in-process extraction (what the child runs) -------------------------------------------


def extract_pages_unsandboxed(path: str | os.PathLike[str]) -> ExtractionResult:
    """Extract one normalised text per page in this process, with no time or memory limit."""
    try:
        reader = _open(path)
        page_count = len(reader.pages)
    except _NeedsPassword:
        return _failed("encrypted: a password is needed to open it")
    except DAMAGE_ERRORS as exc:
        return _failed(_describe(exc, path))
    texts, errors = _read_pages(reader, page_count)
    return _classify(texts, errors)


def normalise_text(text: str) -> str:
    """NFKC-normalise `text`, turn CR/CRLF into LF and drop other control characters."""
    text = _UNWANTED.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return unicodedata.normalize("NFKC", text)


def _open(path: str | os.PathLike[str]) -> PdfReader:
    """Open the PDF leniently, decrypting it with the empty password when it is encrypted."""
    reader = PdfReader(path, strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise _NeedsPassword
    return reader


def _read_pages(reader: PdfReader, page_count: int) -> tuple[list[str], dict[int, str]]:
    """Texts of all pages ("" for a page that failed) and the failures by 1-based page."""
    texts: list[str] = []
    errors: dict[int, str] = {}
    for index in range(page_count):
        try:
            texts.append(normalise_text(reader.pages[index].extract_text()))
        except DAMAGE_ERRORS as exc:
            texts.append("")
            errors[index + 1] = _describe(exc)
    return texts, errors


def _classify(texts: list[str], errors: dict[int, str]) -> ExtractionResult:
    """Decide the status of a document that opened, from its page texts and page failures."""
    count = len(texts)
    if count == 0:
        return _failed("the PDF has no pages")
    if len(errors) == count:
        return _failed(f"no page could be read: {next(iter(errors.values()))}", count)
    notes = [_errors_note(errors)] if errors else []
    if not any(text.strip() for text in texts):
        notes.insert(0, "no text layer on any page (scanned?): needs OCR")
        return ExtractionResult(NEEDS_OCR, texts, count, "; ".join(notes))
    empty = [n for n, text in enumerate(texts, 1) if not text.strip() and n not in errors]
    if empty:
        has = "has" if len(empty) == 1 else "have"
        notes.insert(0, f"{_pages_phrase(empty)} {has} no text layer")
    return ExtractionResult(INDEXED, texts, count, "; ".join(notes) or None)


def _errors_note(errors: dict[int, str]) -> str:
    """'page 2 could not be read: <first reason>' for the pages that failed."""
    return f"{_pages_phrase(sorted(errors))} could not be read: {next(iter(errors.values()))}"


def _pages_phrase(numbers: Sequence[int]) -> str:
    """'page 3' or 'pages 3, 7, 9-12' for sorted 1-based page numbers."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs]
    return ("page " if len(numbers) == 1 else "pages ") + ", ".join(parts)


def _describe(exc: BaseException, path: str | os.PathLike[str] | None = None) -> str:
    """A short readable reason for an exception raised on a broken or unsupported file."""
    if isinstance(exc, EmptyFileError):
        return "empty file"
    if path is not None and not _has_pdf_header(path):
        return f"not a PDF (no %PDF- header): {_first_line(exc)}"
    if isinstance(exc, LimitReachedError):
        return f"over pypdf's decompression limit: {_first_line(exc)}"
    if isinstance(exc, RecursionError):
        return "damaged PDF: objects nested too deeply"
    if isinstance(exc, DependencyError):  # pypdf without `cryptography` cannot do AES
        prefix = "encrypted: cannot decrypt" if "AES" in str(exc) else "missing library"
        return f"{prefix}: {_first_line(exc)}"
    return f"damaged PDF: {_first_line(exc)}"


def _has_pdf_header(path: str | os.PathLike[str]) -> bool:
    """Whether `%PDF-` occurs in the first 1024 bytes (where readers look for it)."""
    with open(path, "rb") as file:
        return b"%PDF-" in file.read(1024)


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its class name when it has none), capped."""
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200]


def _failed(reason: str, page_count: int = 0) -> ExtractionResult:
    """A failed result."""
    return ExtractionResult(FAILED, [], page_count, reason)


# --- the sandbox (parent side) -------------------------------------------------------------


def extract_pages(
    path: str | os.PathLike[str], *, time_limit: float = 120.0, memory_limit: int = 1 << 30
) -> ExtractionResult:
    """Extract page texts in a child process limited to `time_limit` seconds (wall clock,
    interpreter start included) and `memory_limit` bytes of address space.

    Never raises for a bad PDF; raises `OSError` when `path` itself cannot be opened.
    """
    path = os.path.abspath(path)
    with open(path, "rb"):
        pass  # a missing or unreadable file is the caller's fault, not the document's
    with _start_child(path, time_limit, memory_limit) as child:
        try:
            out, err = child.communicate(timeout=time_limit)
        except subprocess.TimeoutExpired:
            _kill_group(child)
            return _failed(f"over the time limit ({time_limit:g} s)")
        except BaseException:
            _kill_group(child)
            raise
    return _child_outcome(child.returncode, out, err, time_limit, memory_limit)


def _start_child(path: str, time_limit: float, memory_limit: int) -> subprocess.Popen[bytes]:
    """Start the extraction child in its own session (so its group can be killed at once).

    The child sets its own rlimits before reading the file: `preexec_fn` is not safe in a
    threaded parent such as the web app's in-process worker.
    """
    cpu_seconds = _cpu_seconds(time_limit)
    return _python_child([path, str(memory_limit), str(cpu_seconds)], stdin=subprocess.DEVNULL)


def _cpu_seconds(time_limit: float) -> int:
    """The CPU rlimit: a backstop if the parent dies before killing the child."""
    return int(time_limit) + 2


def _python_child(
    args: list[str], *, stdin: int, stderr: int | None = subprocess.PIPE
) -> subprocess.Popen[bytes]:
    """`python -m indexer._extract_child ARGS` in its own session, with piped output."""
    pythonpath = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", _CHILD_MODULE, *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=_PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": pythonpath},
        start_new_session=True,
    )


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's whole process group and reap the child."""
    with contextlib.suppress(ProcessLookupError):  # the group is already gone
        os.killpg(child.pid, signal.SIGKILL)
    child.communicate()


def _child_outcome(
    returncode: int, out: bytes, err: bytes, time_limit: float, memory_limit: int
) -> ExtractionResult:
    """Turn the finished child's exit status and output into a result."""
    over_memory = f"over the memory limit ({memory_limit // (1 << 20)} MB)"
    stderr_tail = err.decode("utf-8", "replace").strip()[-_STDERR_TAIL:]
    if returncode == 0:
        return _parse_child_output(out)
    if b"\n" in out:  # the text result was written; the child died rendering the thumbnail
        return _parse_child_output(out.partition(b"\n")[0])
    if returncode == -signal.SIGXCPU:
        return _failed(f"over the time limit ({time_limit:g} s of CPU)")
    if returncode == EXIT_MEMORY or "MemoryError" in stderr_tail:
        return _failed(over_memory)
    if returncode < 0:
        return _failed(f"{over_memory}: the extractor was killed by {_signal_name(-returncode)}")
    last_line = stderr_tail.splitlines()[-1] if stderr_tail else "no message"
    return _failed(f"the extractor crashed (exit status {returncode}): {last_line}")


def _parse_child_output(out: bytes) -> ExtractionResult:
    """Rebuild the result the child wrote on its stdout: a JSON line, then maybe a thumbnail
    (a base64 PNG)."""
    line, _, thumbnail = out.partition(b"\n")
    try:
        data = json.loads(line)
        return ExtractionResult(
            status=str(data["status"]),
            pages=[str(text) for text in data["pages"]],
            page_count=int(data["page_count"]),
            reason=None if data["reason"] is None else str(data["reason"]),
            thumbnail=_decode_thumbnail(thumbnail),
        )
    except (ValueError, KeyError, TypeError) as exc:
        return _failed(f"the extractor wrote an unreadable result: {_first_line(exc)}")


def _decode_thumbnail(data: bytes) -> bytes | None:
    """The PNG the child wrote in base64, or None when there is none or it is not a PNG."""
    if not data.strip():
        return None
    try:
        png = base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return png if png_size(png) is not None else None


def _signal_name(number: int) -> str:
    """'SIGSEGV' for 11, or 'signal N' for an unknown number."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# --- many files: a server with a few reused, limited extraction processes -----------------


class ExtractionServerError(RuntimeError):
    """The fork server stopped or answered nonsense; the files it held must be tried again."""


class ExtractionPool:
    """Extract many PDFs, up to ``concurrency`` at once, in limited processes reused from file
    to file (each file under its own time and CPU limit).

    ``submit(key, path)`` queues a file (raising `OSError` at once when it cannot be opened);
    ``results(timeout)`` returns the ``(key, ExtractionResult)`` pairs finished so far, waiting
    up to ``timeout`` seconds for the first. Each file gets the same limits and the same
    results as `extract_pages`; the wall-clock limit counts from the file's own start. If the
    server itself dies, ``results`` raises `ExtractionServerError` once, forgets the files it
    held, and the next ``submit`` starts a new server. Not thread-safe: one owner.
    """

    def __init__(
        self, concurrency: int = 2, *, time_limit: float = 120.0, memory_limit: int = 1 << 30
    ) -> None:
        self.concurrency = max(1, concurrency)
        self.time_limit = time_limit
        self.memory_limit = memory_limit
        self._server: subprocess.Popen[bytes] | None = None
        self._buffer = b""
        self._pending: dict[int, Hashable] = {}
        self._next_id = 0

    @property
    def busy(self) -> int:
        """Files submitted whose result has not been returned yet."""
        return len(self._pending)

    def submit(self, key: Hashable, path: str | os.PathLike[str]) -> None:
        """Queue one file for extraction under ``key``."""
        path = os.path.abspath(path)
        with open(path, "rb"):
            pass  # a missing or unreadable file is the caller's fault, not the document's
        server = self._ensure_server()
        self._next_id += 1
        request = {"id": self._next_id, "path": path}
        assert server.stdin is not None
        try:
            server.stdin.write(json.dumps(request).encode() + b"\n")
            server.stdin.flush()
        except OSError as exc:
            self.close()
            raise ExtractionServerError(f"the extraction server stopped: {exc}") from exc
        self._pending[self._next_id] = key

    def results(self, timeout: float = 0.0) -> list[tuple[Hashable, ExtractionResult]]:
        """Finished extractions; wait at most ``timeout`` seconds for the first one."""
        done = self._parse()
        if done or not self._pending or self._server is None:
            return done
        assert self._server.stdout is not None
        fd = self._server.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], max(0.0, timeout))
        while ready:
            data = os.read(fd, 1 << 20)
            if not data:
                lost = len(self._pending)
                self.close()
                raise ExtractionServerError(
                    f"the extraction server stopped with {lost} files unfinished"
                )
            self._buffer += data
            ready, _, _ = select.select([fd], [], [], 0)
        return self._parse()

    def close(self) -> None:
        """Stop the server and its extraction processes; forget unfinished files."""
        server, self._server = self._server, None
        self._pending.clear()
        self._buffer = b""
        if server is None:
            return
        with contextlib.suppress(OSError):
            server.stdin.close()  # type: ignore[union-attr]  # EOF: it kills its extraction processes
        try:
            server.wait(timeout=2)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        if server.stdout is not None:
            server.stdout.close()

    def __enter__(self) -> ExtractionPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _ensure_server(self) -> subprocess.Popen[bytes]:
        if self._server is None or self._server.poll() is not None:
            self.close()
            self._server = _python_child(  # its own errors go to our stderr (a log)
                [
                    "--serve",
                    str(self.concurrency),
                    str(self.memory_limit),
                    str(_cpu_seconds(self.time_limit)),
                    repr(float(self.time_limit)),
                ],
                stdin=subprocess.PIPE,
                stderr=None,
            )
        return self._server

    def _parse(self) -> list[tuple[Hashable, ExtractionResult]]:
        """Take the complete replies out of the buffer."""
        done = []
        while True:
            line_end = self._buffer.find(b"\n")
            if line_end < 0:
                return done
            try:
                header = json.loads(self._buffer[:line_end])
                size = int(header["out_len"])
            except (ValueError, KeyError, TypeError) as exc:
                self.close()
                raise ExtractionServerError(f"unreadable answer from the server: {exc}") from exc
            end = line_end + 1 + size
            if len(self._buffer) < end:
                return done
            out, self._buffer = self._buffer[line_end + 1 : end], self._buffer[end:]
            key = self._pending.pop(header["id"], None)
            if key is None:
                continue
            if header["timed_out"]:
                result = _failed(f"over the time limit ({self.time_limit:g} s)")
            else:
                err = str(header["err"]).encode()
                result = _child_outcome(
                    int(header["returncode"]), out, err, self.time_limit, self.memory_limit
                )
            done.append((key, result))
