"""Durable file operations shared by the blob store, the text cache and the index."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path
from typing import BinaryIO


def fsync_dir(path: Path) -> None:
    """Flush a directory entry change (a rename, a new or removed file) to disk."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temp file beside ``path``, fsync it, rename it into place, fsync the folder.

    Readers see the old content or the new, never a part; on error nothing is left behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.name}-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


#: temp file names start with "host~pid~" so that abandoned ones can be told apart
WRITER_SEP = "~"


def writer_prefix() -> str:
    """The start of a temp file's name: the host and process that write it."""
    return f"{socket.gethostname()}{WRITER_SEP}{os.getpid()}{WRITER_SEP}"


def temp_writer(name: str) -> tuple[int | None, str]:
    """The pid of the process of this host that writes temp file ``name`` (None: another
    host's, or not a name from :func:`writer_prefix`) and the rest of the name."""
    host, _, rest = name.partition(WRITER_SEP)
    pid, _, tail = rest.partition(WRITER_SEP)
    if host != socket.gethostname() or not pid.isdigit():
        return None, tail
    return int(pid), tail


def abandoned(name: str) -> bool:
    """Whether temp file ``name`` was being written by a process of this host that is gone."""
    pid, _ = temp_writer(name)
    return pid is not None and not process_alive(pid)


def remove_abandoned(folder: Path) -> int:
    """Remove the temp files in ``folder`` whose writing process, on this host, is gone;
    return how many. Safe at any time: the files of live writers stay."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if abandoned(entry.name):
            try:
                os.unlink(entry.path)
                removed += 1
            except FileNotFoundError:
                continue
    return removed


def write_all(out: BinaryIO, chunk: bytes) -> None:
    """Write every byte of ``chunk`` (an unbuffered file may write fewer per call)."""
    view = memoryview(chunk)
    while view:
        view = view[out.write(view) :]
