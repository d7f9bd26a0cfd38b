"""Benchmark the search index: indexing rate and query latency on statement-like documents.

Generates N documents reproducibly from the UN General Debate speeches in the shared corpus
(2–4 "pages" each, with meetings, delegations, document types, dates and statuses), indexes them
through ``SearchIndex.add_files`` in batches, optionally times a full ``rebuild``, then runs a
fixed mix of queries several times and prints median and p95 latency per kind.

    .venv/bin/python benchmarks/search.py --docs 5000
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    CORPUS,
    environment,
    run_and_report,
    summarize,
    timed,
)
from indexer.index import FileRecord, SearchIndex, SearchQuery  # noqa: E402
from indexer.textcache import TextCache  # noqa: E402

PAGE_CHARS = 2200
MEETINGS = {f"{n}MSP": 2010 + n for n in range(1, 13)} | {"1RC": 2015, "2RC": 2020}
ORGANISATIONS = ["ICRC", "CMC", "UNDP", "UNMAS", "UNICEF", "HI"]
DOC_TYPES = ["statement"] * 14 + ["working_paper", "official_document", "information_note"]
STATUSES = ["published"] * 45 + ["draft"] * 4 + ["withdrawn"]

TERMS = ["peace", "development", "disarmament", "refugees", "sovereignty", "cooperation"]
TERMS += ["nuclear", "independence", "economic", "humanitarian", "assistance", "weapons"]
AND_QUERIES = ["economic development", "nuclear weapons", "human rights", "peace security"]
AND_QUERIES += ["developing countries trade", "victims assistance", "international cooperation"]
PHRASES = ['"united nations"', '"human rights"', '"general assembly"', '"nuclear weapons"']
PHRASES += ['"developing countries"', '"international community"', '"security council"']


@dataclass(frozen=True)
class Params:
    """What was run."""

    docs: int
    queries: int
    batch: int
    seed: int
    rebuild_procs: int


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=5000, help="documents to generate")
    parser.add_argument("--queries", type=int, default=5, help="runs of each query (default 5)")
    parser.add_argument("--batch", type=int, default=500, help="files per add_files call")
    parser.add_argument("--seed", type=int, default=20240910, help="random seed")
    parser.add_argument(
        "--rebuild-procs", type=int, default=2, help="also time rebuild() with N procs (0: skip)"
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON results file")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the index here")
    return parser.parse_args(argv)


# Corpus


def load_speeches() -> list[tuple[str, list[str]]]:
    """(country code, paragraphs) for every speech in the shared corpus, in name order."""
    speeches = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8-sig")
        paragraphs = [" ".join(p.split()) for p in text.split("\n") if len(p.split()) > 5]
        if paragraphs:
            speeches.append((path.name[:3], paragraphs))
    return speeches


def make_pages(rng: random.Random, paragraphs: list[str]) -> list[str]:
    """Two to four pages of about PAGE_CHARS characters from consecutive paragraphs."""
    wanted = rng.randint(2, 4)
    start = rng.randrange(len(paragraphs))
    pages: list[str] = []
    current: list[str] = []
    for paragraph in paragraphs[start:] + paragraphs[:start]:
        current.append(paragraph)
        if sum(len(p) for p in current) >= PAGE_CHARS:
            pages.append("\n".join(current))
            current = []
            if len(pages) == wanted:
                break
    if current and len(pages) < wanted:
        pages.append("\n".join(current))
    return pages


def make_record(rng: random.Random, number: int, country: str, pages: list[str]) -> FileRecord:
    """Metadata for generated document ``number`` (one English file per document)."""
    meeting = rng.choice(sorted(MEETINGS))
    year = MEETINGS[meeting]
    delegation = country if rng.random() < 0.85 else rng.choice(ORGANISATIONS)
    doc_type = rng.choice(DOC_TYPES)
    digest = hashlib.sha256("\f".join(pages).encode("utf-8") + str(number).encode()).hexdigest()
    symbol = f"CCM/MSP/{year}/{number % 40 + 1}" if doc_type == "official_document" else None
    return FileRecord(
        file_id=number,
        document_id=number,
        sha256=digest,
        language="en",
        meeting=meeting,
        doc_type=doc_type,
        delegation=delegation,
        date=datetime.date(year, 9, rng.randint(1, 30)),
        status=rng.choice(STATUSES),
        title=f"{doc_type.replace('_', ' ').title()} by {delegation} at {meeting}",
        symbol=symbol,
        names=delegation,
    )


def generate(count: int, seed: int) -> list[tuple[FileRecord, list[str]]]:
    """``count`` reproducible documents."""
    rng = random.Random(seed)
    speeches = load_speeches()
    files = []
    for number in range(1, count + 1):
        country, paragraphs = rng.choice(speeches)
        pages = make_pages(rng, paragraphs)
        files.append((make_record(rng, number, country, pages), pages))
    return files


# Measurements


def batches(items: list, size: int) -> Iterator[list]:
    """Consecutive slices of ``items``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def index_files(index: SearchIndex, files: list, batch: int) -> dict[str, float]:
    """Index through add_files in batches; return timing and rates."""
    pages = 0
    started = time.perf_counter()
    for chunk in batches(files, batch):
        pages += index.add_files(chunk)
    seconds = time.perf_counter() - started
    return rates(len(files), pages, seconds)


def rebuild_files(index: SearchIndex, files: list, procs: int) -> dict[str, float]:
    """Time one full rebuild into a new directory."""
    started = time.perf_counter()
    pages = index.rebuild(iter(files), procs=procs)
    seconds = time.perf_counter() - started
    return rates(len(files), pages, seconds) | {"procs": procs}


def rates(docs: int, pages: int, seconds: float) -> dict[str, float]:
    """Throughput figures."""
    return {
        "docs": docs,
        "pages": pages,
        "seconds": round(seconds, 2),
        "docs_per_s": round(docs / seconds, 1),
        "pages_per_s": round(pages / seconds, 1),
    }


def query_mix(rng: random.Random) -> dict[str, list[SearchQuery]]:
    """The fixed mix of queries, by kind."""
    meetings = sorted(MEETINGS)
    staff = ("draft", "published", "withdrawn")
    return {
        "term": [SearchQuery(q=t) for t in TERMS],
        "and": [SearchQuery(q=q) for q in AND_QUERIES],
        "phrase": [SearchQuery(q=q) for q in PHRASES],
        "filtered": [
            SearchQuery(q=t, meeting=rng.choice(meetings), doc_type="statement") for t in TERMS
        ],
        "sorted": [
            SearchQuery(q=t, sort="date", statuses=staff, page=2, per_page=10) for t in TERMS[:6]
        ]
        + [SearchQuery(meeting=m) for m in meetings[:6]],
    }


def time_queries(index: SearchIndex, mix: dict[str, list[SearchQuery]], runs: int) -> dict:
    """Run every query ``runs`` times; return latencies (ms) per kind."""
    latencies: dict[str, list[float]] = {kind: [] for kind in mix}
    for _ in range(runs):
        for kind, queries in mix.items():
            for query in queries:
                started = time.perf_counter()
                index.search(query)
                latencies[kind].append((time.perf_counter() - started) * 1000)
    latencies["overall"] = [ms for values in latencies.values() for ms in values]
    return {kind: summarize(values) for kind, values in latencies.items()}


def after_commit(index: SearchIndex, files: list, query: SearchQuery) -> dict[str, float]:
    """Re-add 10 files (one small commit, as the worker does), then time the next search."""
    commit = timed(lambda: index.add_files(files[:10]))
    search = timed(lambda: index.search(query))
    return {
        "commit_10_files_ms": round(commit * 1000, 1),
        "next_search_ms": round(search * 1000, 1),
    }


# Reporting


def print_report(result: dict) -> None:
    """Human-readable summary."""
    for label in ("add_files", "rebuild"):
        if result.get(label):
            r = result[label]
            extra = f", procs={r['procs']}" if "procs" in r else ""
            print(
                f"{label:>9}: {r['docs']} docs / {r['pages']} pages in {r['seconds']} s"
                f" = {r['docs_per_s']} docs/s, {r['pages_per_s']} pages/s{extra}"
            )
    print(f"first search (open searcher + load columns): {result['first_search_ms']} ms")
    after = result["after_commit"]
    print(
        f"10-file commit: {after['commit_10_files_ms']} ms;"
        f" next search (reopen, new segment's columns): {after['next_search_ms']} ms"
    )
    print(f"{'kind':<10}{'n':>6}{'median ms':>12}{'p95 ms':>10}{'max ms':>10}")
    for kind, stats in result["latency"].items():
        print(
            f"{kind:<10}{stats['n']:>6}{stats['median_ms']:>12}"
            f"{stats['p95_ms']:>10}{stats['max_ms']:>10}"
        )


def run(params: Params, workdir: Path) -> dict:
    """Generate, index, query; return all figures."""
    files = generate(params.docs, params.seed)
    cache = TextCache(workdir / "text")
    for record, pages in files:
        cache.put(record.sha256, pages)
    index = SearchIndex(workdir / "index", cache)
    result: dict = {"params": asdict(params), "environment": environment()}
    result["avg_doc_chars"] = round(sum(len("".join(p)) for _, p in files) / len(files))
    result["add_files"] = index_files(index, files, params.batch)
    if params.rebuild_procs:
        result["rebuild"] = rebuild_files(index, files, params.rebuild_procs)
    first = SearchQuery(q="peace")
    result["first_search_ms"] = round(timed(lambda: index.search(first)) * 1000, 1)
    mix = query_mix(random.Random(params.seed))
    result["latency"] = time_queries(index, mix, params.queries)
    result["after_commit"] = after_commit(index, files, first)
    index.close()
    return result


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    params = Params(args.docs, args.queries, args.batch, args.seed, args.rebuild_procs)
    return run_and_report(
        lambda workdir: run(params, workdir),
        print_report,
        workdir=args.workdir,
        out=args.out,
        prefix="search",
    )


if __name__ == "__main__":
    raise SystemExit(main())
