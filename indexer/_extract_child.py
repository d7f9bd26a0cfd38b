"""The sandboxed extraction child: `python -m indexer._extract_child PATH AS_BYTES CPU_SECONDS`.

Sets its own resource limits, extracts the PDF with `extract_pages_unsandboxed` and writes the
result as JSON on stdout. Out of memory, it exits with `EXIT_MEMORY` and writes nothing.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import sys
from dataclasses import asdict

from indexer.extract import EXIT_MEMORY, extract_pages_unsandboxed

_MAX_OPEN_FILES = 64


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
    """Run one extraction under limits and print its result as JSON."""
    path, memory_limit, cpu_seconds = argv[0], int(argv[1]), int(argv[2])
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # strict=False warns on every repair
    apply_limits(memory_limit, cpu_seconds)
    try:
        payload = json.dumps(asdict(extract_pages_unsandboxed(path)))
        sys.stdout.write(payload)
        sys.stdout.flush()
    except MemoryError:
        os._exit(EXIT_MEMORY)  # skip cleanup that would need memory too
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
