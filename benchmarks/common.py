"""Helpers shared by the benchmark scripts: environment, summaries, JSON results."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
#: the real speeches in the shared corpus beside the repository (override: ARCHIVE_SHARED_DIR)
CORPUS = (
    Path(os.environ.get("ARCHIVE_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
    / "corpus"
    / "speeches"
    / "files"
)

#: Distribution names whose versions go into every result file.
PACKAGES = ("pypdf", "whoosh-reloaded", "fpdf2", "flask", "gunicorn", "sqlalchemy")


def environment() -> dict[str, object]:
    """Machine, Python and library versions."""
    versions: dict[str, object] = {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (``fraction`` in 0..1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summarize(values: list[float], unit: str = "ms", digits: int = 1) -> dict[str, float]:
    """Count, median, p95 and max of ``values`` (already in ``unit``)."""
    ordered = sorted(values)
    return {
        "n": len(ordered),
        f"median_{unit}": round(statistics.median(ordered), digits),
        f"p95_{unit}": round(percentile(ordered, 0.95), digits),
        f"max_{unit}": round(ordered[-1], digits),
    }


def timed(function: Callable[[], object]) -> float:
    """Seconds one call takes."""
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def write_json(result: dict, out: Path | None, prefix: str) -> Path:
    """Write the results (default: benchmarks/results/<prefix>-<timestamp>.json)."""
    if out is None:
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = RESULTS / f"{prefix}-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return out


def run_and_report(
    run: Callable[[Path], dict],
    report: Callable[[dict], None],
    *,
    workdir: Path | None,
    out: Path | None,
    prefix: str,
) -> int:
    """Run a benchmark in ``workdir`` (a temp dir removed afterwards when None), print, save."""
    scratch = workdir or Path(tempfile.mkdtemp(prefix=f"{prefix}-bench-"))
    try:
        result = run(scratch)
    finally:
        if workdir is None:
            shutil.rmtree(scratch, ignore_errors=True)
    report(result)
    print(f"results: {write_json(result, out, prefix)}")
    return 0


def argument_parser(doc: str, prog: str | None = None) -> argparse.ArgumentParser:
    """A script's parser: its docstring's first paragraph as the description."""
    return argparse.ArgumentParser(
        prog=prog,
        description=doc.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
