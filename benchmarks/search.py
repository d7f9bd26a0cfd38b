"""Benchmark search at scale: Whoosh (``SearchIndex``) against SQLite FTS5, in the same run.

Generates N statement-like documents reproducibly from the UN General Debate speeches in the
shared corpus (2–4 "pages" of ~2,200 characters each, with meetings, delegations, document types,
dates and statuses), indexes them into a ``SearchIndex`` and into an SQLite FTS5 table
(``tokenize='porter unicode61'``), then runs a fixed mix of 200 queries drawn reproducibly from
the same statements (term, AND, phrase, filtered, faceted, sorted by date, many snippets)
through both, several times, and prints median and p95 per kind and the ratio of Whoosh's p95
to FTS5's.

Both engines answer each query with the same result: the number of matching documents, one
page of documents (pages grouped by document, best page first) with up to three highlighted
snippets each, and facet counts (meeting, doc_type, language, delegation, year).

Large corpora are built once and kept under ``--cache-dir`` (keyed by size, seed and schema
version); later runs reuse them and report the build's indexing rates.

    .venv/bin/python benchmarks/search.py                 # 5,000 documents
    .venv/bin/python benchmarks/search.py --docs 50000    # builds the cache once (~10 min)
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (  # noqa: E402
    CORPUS,
    RESULTS,
    argument_parser,
    environment,
    run_and_report,
    summarize,
    timed,
)
from indexer import schema as schema_module  # noqa: E402
from indexer.index import FileRecord, SearchIndex, SearchQuery  # noqa: E402
from indexer.textcache import TextCache  # noqa: E402

PAGE_CHARS = 2200
MEETINGS = {f"{n}MSP": 2010 + n for n in range(1, 13)} | {"1RC": 2015, "2RC": 2020}
ORGANISATIONS = ["ICRC", "CMC", "UNDP", "UNMAS", "UNICEF", "HI"]
DOC_TYPES = ["statement"] * 14 + ["working_paper", "official_document", "information_note"]
STATUSES = ["published"] * 45 + ["draft"] * 4 + ["withdrawn"]
#: Bump when generate() or the FTS5 layout changes (invalidates cached corpora).
CORPUS_VERSION = 1
#: Queries per kind in the fixed mix (200 in all).
MIX = {
    "term": 40,
    "and": 35,
    "phrase": 30,
    "filtered": 30,
    "faceted": 20,
    "sorted": 25,
    "snippets": 20,
}
STAFF = ("draft", "published", "withdrawn")
SNIPPETS_PER_DOC = 3
_WORD = re.compile(r"[A-Za-z]+")
#: Common English words never drawn as query terms (they would only test the stop-word path).
_STOP_WORDS = (
    "the and for that this with from have which been were their there they will would "
    "shall also these those its our has had are was not but all can more such into other "
    "than upon what when where who whom whose why how very must should could may might "
    "being some any each every only over under about after before again further then once "
    "here both few most own same just now you your his her him she them"
)
STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True)
class Params:
    """What was run."""

    docs: int
    runs: int
    batch: int
    seed: int
    build: str
    rebuild_procs: int
    cached: bool


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argument_parser(__doc__)
    parser.add_argument("--docs", type=int, default=5000, help="documents (default 5000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of the 200-query mix (default 3)")
    parser.add_argument("--batch", type=int, default=500, help="files per add_files call")
    parser.add_argument("--seed", type=int, default=20240910, help="random seed")
    parser.add_argument(
        "--build",
        choices=("auto", "add_files", "rebuild"),
        default="auto",
        help="how Whoosh is filled: add_files batches (the worker's path) or rebuild(procs=2); "
        "auto: add_files up to 10,000 documents, else rebuild",
    )
    parser.add_argument(
        "--rebuild-procs",
        type=int,
        default=0,
        help="procs of rebuild() (2 when --build rebuild and this is 0); with --build add_files "
        "and N > 0, also time one rebuild with N procs (default 0: skip)",
    )
    parser.add_argument(
        "--cache",
        choices=("auto", "yes", "no"),
        default="auto",
        help="keep/reuse the built corpus under --cache-dir (auto: from 20,000 documents)",
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=RESULTS / "cache", help="where built corpora are kept"
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


def generate(
    count: int, seed: int, speeches: list[tuple[str, list[str]]]
) -> list[tuple[FileRecord, list[str]]]:
    """``count`` reproducible documents."""
    rng = random.Random(seed)
    files = []
    for number in range(1, count + 1):
        country, paragraphs = rng.choice(speeches)
        pages = make_pages(rng, paragraphs)
        files.append((make_record(rng, number, country, pages), pages))
    return files


def fill_text_cache(cache: TextCache, files: list) -> None:
    """Store every file's pages in the text cache (the format TextCache reads; no fsync)."""
    for record, pages in files:
        path = cache.path(record.sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"format": 1, "sha256": record.sha256, "pages": pages}
        path.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")


# The query mix


@dataclass(frozen=True)
class Probe:
    """One query of the mix: what the user typed, as words, and the filters around it."""

    kind: str
    words: tuple[str, ...]
    phrase: bool = False
    meeting: str | None = None
    doc_type: str | None = None
    delegation: str | None = None
    year: int | None = None
    sort: str = "relevance"
    statuses: tuple[str, ...] = ("published",)
    page: int = 1
    per_page: int = 20

    def whoosh(self) -> SearchQuery:
        """The same query for ``SearchIndex.search``."""
        text = " ".join(self.words)
        first = datetime.date(self.year, 1, 1) if self.year else None
        last = datetime.date(self.year, 12, 31) if self.year else None
        return SearchQuery(
            q=f'"{text}"' if self.phrase else text,
            meeting=self.meeting,
            doc_type=self.doc_type,
            delegation=self.delegation,
            date_from=first,
            date_to=last,
            statuses=self.statuses,
            page=self.page,
            per_page=self.per_page,
            sort=self.sort,
        )

    def fts5_match(self) -> str:
        """The FTS5 MATCH expression: a phrase, or every word (AND)."""
        if self.phrase:
            return '"' + " ".join(self.words) + '"'
        return " AND ".join(f'"{word}"' for word in self.words)


def _content_words(paragraph: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(paragraph) if len(w) >= 4 and w.lower() not in STOP]


def _bigrams(paragraph: str) -> list[tuple[str, str]]:
    words = paragraph.split()
    pairs = []
    for left, right in zip(words, words[1:], strict=False):
        if _WORD.fullmatch(left) and _WORD.fullmatch(right):
            a, b = left.lower(), right.lower()
            if len(a) >= 3 and len(b) >= 3 and not (a in STOP and b in STOP):
                pairs.append((a, b))
    return pairs


def query_mix(seed: int, speeches: list[tuple[str, list[str]]]) -> list[Probe]:
    """The fixed mix of 200 queries, drawn from random paragraphs of the real statements."""
    rng = random.Random(seed * 7 + 1)
    meetings = sorted(MEETINGS)
    delegations = sorted({country for country, _ in speeches})

    def paragraph() -> str:
        return rng.choice(rng.choice(speeches)[1])

    def words(count: int) -> tuple[str, ...]:
        while True:
            found = sorted(set(_content_words(paragraph())))
            if len(found) >= count:
                return tuple(rng.sample(found, count))

    def bigram() -> tuple[str, ...]:
        while True:
            pairs = _bigrams(paragraph())
            if pairs:
                return rng.choice(pairs)

    probes: list[Probe] = []
    for _ in range(MIX["term"]):
        probes.append(Probe("term", words(1)))
    for _ in range(MIX["and"]):
        probes.append(Probe("and", words(2)))
    for _ in range(MIX["phrase"]):
        probes.append(Probe("phrase", bigram(), phrase=True))
    for _ in range(MIX["filtered"]):
        probes.append(
            Probe("filtered", words(1), meeting=rng.choice(meetings), doc_type="statement")
        )
    for _ in range(MIX["faceted"]):
        probes.append(
            Probe(
                "faceted",
                words(1),
                delegation=rng.choice(delegations),
                year=rng.choice(sorted(set(MEETINGS.values()))),
            )
        )
    for _ in range(MIX["sorted"]):
        probes.append(
            Probe("sorted", words(rng.choice((1, 2))), sort="date", statuses=STAFF, page=2)
        )
    for _ in range(MIX["snippets"]):
        probes.append(Probe("snippets", words(1), per_page=50))
    return probes


# SQLite FTS5, the baseline


FTS5_SCHEMA = """
CREATE TABLE meta(
    id INTEGER PRIMARY KEY, document_id INTEGER, file_id INTEGER, page INTEGER,
    status TEXT, language TEXT, meeting TEXT, doc_type TEXT, delegation TEXT,
    year INTEGER, day INTEGER);
CREATE INDEX meta_document ON meta(document_id);
CREATE VIRTUAL TABLE pages USING fts5(body, neutral, tokenize='porter unicode61');
"""
FACETS = ("meeting", "doc_type", "language", "delegation", "year")


def fts5_build(path: Path, files: list, batch: int) -> dict[str, float]:
    """Create the FTS5 database at ``path``: one row per page, one transaction per batch."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.executescript(FTS5_SCHEMA)
    started = time.perf_counter()
    rowid = pages_written = 0
    for start in range(0, len(files), batch):
        with db:
            for record, pages in files[start : start + batch]:
                neutral = " ".join(p for p in (record.symbol, record.title, record.names) if p)
                for number, text in enumerate(pages, start=1):
                    rowid += 1
                    db.execute(
                        "INSERT INTO meta VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        (
                            rowid,
                            record.document_id,
                            record.file_id,
                            number,
                            record.status,
                            record.language,
                            record.meeting,
                            record.doc_type,
                            record.delegation or "",
                            record.date.year,
                            record.date.toordinal(),
                        ),
                    )
                    db.execute(
                        "INSERT INTO pages(rowid, body, neutral) VALUES (?,?,?)",
                        (rowid, text, neutral),
                    )
                pages_written += len(pages)
    seconds = time.perf_counter() - started
    db.close()
    return rates(len(files), pages_written, seconds)


class Fts5Engine:
    """Answers a Probe with FTS5 as SearchIndex does: total, one page with snippets, facets."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE TEMP TABLE hits(id INTEGER, document_id INTEGER, score REAL, day INTEGER,"
            " meeting TEXT, doc_type TEXT, language TEXT, delegation TEXT, year INTEGER)"
        )

    def close(self) -> None:
        self.db.close()

    def search(self, probe: Probe) -> dict:
        """Run one probe; returns total, [(document_id, [snippets])] and facets."""
        db = self.db
        where = [f"m.status IN ({','.join('?' * len(probe.statuses))})"]
        args: list[object] = [probe.fts5_match(), *probe.statuses]
        for name in ("meeting", "doc_type", "delegation"):
            value = getattr(probe, name)
            if value:
                where.append(f"m.{name} = ?")
                args.append(value)
        if probe.year:
            where.append("m.day BETWEEN ? AND ?")
            args += [
                datetime.date(probe.year, 1, 1).toordinal(),
                datetime.date(probe.year, 12, 31).toordinal(),
            ]
        db.execute("DELETE FROM hits")
        db.execute(
            "INSERT INTO hits SELECT m.id, m.document_id, p.rank, m.day, m.meeting, m.doc_type,"
            " m.language, m.delegation, m.year FROM pages p JOIN meta m ON m.id = p.rowid"
            f" WHERE pages MATCH ? AND {' AND '.join(where)}",
            args,
        )
        total = db.execute("SELECT count(DISTINCT document_id) FROM hits").fetchone()[0]
        order = "max(day) DESC" if probe.sort == "date" else "min(score), max(day) DESC"
        offset = (probe.page - 1) * probe.per_page
        chosen = [
            row[0]
            for row in db.execute(
                f"SELECT document_id FROM hits GROUP BY document_id ORDER BY {order},"
                " document_id DESC LIMIT ? OFFSET ?",
                (probe.per_page, offset),
            )
        ]
        items = self._snippets(probe, chosen)
        facets = {
            name: dict(
                db.execute(
                    f"SELECT {name}, count(DISTINCT document_id) c FROM hits GROUP BY {name}"
                    f" ORDER BY c DESC, {name}"
                ).fetchall()
            )
            for name in FACETS
        }
        return {"total": total, "items": items, "facets": facets}

    def _snippets(self, probe: Probe, chosen: list[int]) -> list[tuple[int, list[str]]]:
        """Up to SNIPPETS_PER_DOC best pages of each chosen document, highlighted by FTS5."""
        if not chosen:
            return []
        marks = ",".join("?" * len(chosen))
        rows = self.db.execute(
            "SELECT id, document_id FROM (SELECT id, document_id, row_number() OVER"
            " (PARTITION BY document_id ORDER BY score) n FROM hits"
            f" WHERE document_id IN ({marks})) WHERE n <= ?",
            (*chosen, SNIPPETS_PER_DOC),
        ).fetchall()
        ids = [row[0] for row in rows]
        texts = dict(
            self.db.execute(
                "SELECT rowid, snippet(pages, 0, '<mark>', '</mark>', ' … ', 40) FROM pages"
                f" WHERE pages MATCH ? AND rowid IN ({','.join('?' * len(ids))})",
                (probe.fts5_match(), *ids),
            ).fetchall()
        )
        by_doc: dict[int, list[str]] = {doc: [] for doc in chosen}
        for page_id, document_id in rows:
            by_doc[document_id].append(texts.get(page_id, ""))
        return list(by_doc.items())


# Whoosh


def whoosh_build(index: SearchIndex, files: list, how: str, batch: int, procs: int) -> dict:
    """Fill the index with add_files batches or one rebuild; return rates."""
    started = time.perf_counter()
    if how == "add_files":
        pages = sum(index.add_files(chunk) for chunk in batches(files, batch))
        return rates(len(files), pages, time.perf_counter() - started) | {"how": how}
    pages = index.rebuild(iter(files), procs=procs)
    return rates(len(files), pages, time.perf_counter() - started) | {"how": how, "procs": procs}


def batches(items: list, size: int) -> Iterator[list]:
    """Consecutive slices of ``items``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def rates(docs: int, pages: int, seconds: float) -> dict[str, float]:
    """Throughput figures."""
    return {
        "docs": docs,
        "pages": pages,
        "seconds": round(seconds, 2),
        "docs_per_s": round(docs / seconds, 1),
        "pages_per_s": round(pages / seconds, 1),
    }


def after_commit(index: SearchIndex, files: list, query: SearchQuery) -> dict[str, float]:
    """Re-add 10 files (one small commit, as the worker does), then time the next search."""
    commit = timed(lambda: index.add_files(files[:10]))
    search = timed(lambda: index.search(query))
    again = timed(lambda: index.search(query))
    return {
        "commit_10_files_ms": round(commit * 1000, 1),
        "next_search_ms": round(search * 1000, 1),
        "same_search_again_ms": round(again * 1000, 1),
    }


# The corpus on disk (built, or reused from the cache)


def prepare(params: Params, workdir: Path, cache_dir: Path, files: list) -> tuple[Path, dict]:
    """Build (or reuse) the Whoosh index, text cache and FTS5 database; return dir and rates."""
    key = f"search-{params.docs}-{params.seed}-s{schema_module.SCHEMA_VERSION}-c{CORPUS_VERSION}"
    home = cache_dir / key if params.cached else workdir / "corpus"
    done = home / "build.json"
    if params.cached and done.is_file():
        return home, json.loads(done.read_text(encoding="utf-8")) | {"reused_cache": str(home)}
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    build: dict = {"load": os.getloadavg()[0]}
    cache = TextCache(home / "text")
    build["text_cache_s"] = round(timed(lambda: fill_text_cache(cache, files)), 1)
    index = SearchIndex(home / "index", cache)
    build["whoosh"] = whoosh_build(index, files, params.build, params.batch, params.rebuild_procs)
    if params.build == "add_files" and params.rebuild_procs:
        build["whoosh_rebuild"] = whoosh_build(
            index, files, "rebuild", params.batch, params.rebuild_procs
        )
    index.close()
    build["fts5"] = fts5_build(home / "fts5.sqlite", files, params.batch)
    build["load_after"] = os.getloadavg()[0]
    done.write_text(json.dumps(build, indent=2), encoding="utf-8")
    return home, build


# Measurements


def measure(index: SearchIndex, fts: Fts5Engine, probes: list[Probe], runs: int) -> dict:
    """Run the mix ``runs`` times through both engines (alternating); latencies per kind.

    Whoosh's figures are from the first run ("cold": nothing of the query cached yet in this
    index generation); its later runs, which reuse the cached matches and facet counts, are
    reported apart as "repeat". FTS5 keeps no results between queries: all its runs count.
    """
    kinds = list(MIX)
    engines = ("cold", "repeat", "fts5")
    times: dict[str, dict[str, list[float]]] = {e: {k: [] for k in kinds} for e in engines}
    agree = 0
    for run in range(runs):
        for probe in probes:
            query = probe.whoosh()
            started = time.perf_counter()
            result = index.search(query)
            times["repeat" if run else "cold"][probe.kind].append(
                (time.perf_counter() - started) * 1000
            )
            started = time.perf_counter()
            baseline = fts.search(probe)
            times["fts5"][probe.kind].append((time.perf_counter() - started) * 1000)
            if run == 0 and _close(result.total, baseline["total"]):
                agree += 1
    out: dict = {"kinds": {}, "totals_agree": f"{agree}/{len(probes)} within 10%"}
    for engine in engines:
        times[engine]["overall"] = [ms for k in kinds for ms in times[engine][k]]
    for kind in [*kinds, "overall"]:
        whoosh, sqlite = summarize(times["cold"][kind]), summarize(times["fts5"][kind])
        ratio = round(whoosh["p95_ms"] / max(sqlite["p95_ms"], 0.1), 2)
        row = {"whoosh": whoosh, "fts5": sqlite, "p95_ratio": ratio}
        if times["repeat"][kind]:
            row["whoosh_repeat"] = summarize(times["repeat"][kind])
        out["kinds"][kind] = row
    return out


def _close(a: int, b: int) -> bool:
    return abs(a - b) <= max(2, 0.1 * max(a, b))


def run(params: Params, workdir: Path, cache_dir: Path) -> dict:
    """Generate, index (or reuse), query both engines; return all figures."""
    speeches = load_speeches()
    files = generate(params.docs, params.seed, speeches)
    result: dict = {"params": asdict(params), "environment": environment()}
    result["load_before"] = os.getloadavg()
    result["avg_doc_chars"] = round(sum(len("".join(p)) for _, p in files) / len(files))
    home, result["build"] = prepare(params, workdir, cache_dir, files)
    index = SearchIndex(home / "index", TextCache(home / "text"))
    first = SearchQuery(q="peace")
    result["first_search_ms"] = round(timed(lambda: index.search(first)) * 1000, 1)
    fts = Fts5Engine(home / "fts5.sqlite")
    probes = query_mix(params.seed, speeches)
    result["mix"] = [asdict(p) for p in probes]
    result["latency"] = measure(index, fts, probes, params.runs)
    result["after_commit"] = after_commit(index, files, first)
    result["load_after"] = os.getloadavg()
    fts.close()
    index.close()
    return result


# Reporting


def print_report(result: dict) -> None:
    """Human-readable summary."""
    p = result["params"]
    load = result["load_before"]
    print(
        f"{p['docs']} documents, {p['runs']} runs of {sum(MIX.values())} queries;"
        f" load average before {load[0]:.2f}, after {result['load_after'][0]:.2f}"
    )
    build = result["build"]
    if "reused_cache" in build:
        print(f"reused cached corpus {build['reused_cache']} (rates from its build)")
    for label in ("whoosh", "whoosh_rebuild", "fts5"):
        if build.get(label):
            r = build[label]
            how = (
                f" ({r['how']}{', procs=' + str(r['procs']) if 'procs' in r else ''})"
                if "how" in r
                else ""
            )
            print(
                f"index {label + how:<30} {r['docs']} docs / {r['pages']} pages in {r['seconds']} s"
                f" = {r['docs_per_s']} docs/s, {r['pages_per_s']} pages/s"
            )
    print(f"first search (open searcher, load columns): {result['first_search_ms']} ms")
    after = result["after_commit"]
    print(
        f"10-file commit: {after['commit_10_files_ms']} ms; next search (reopen):"
        f" {after['next_search_ms']} ms; same again: {after['same_search_again_ms']} ms"
    )
    latency = result["latency"]
    print(f"totals agree (whoosh vs fts5): {latency['totals_agree']}")
    print("whoosh: first run of each query; repeat: later runs (cached matches and facets)")
    print(
        f"{'kind':<10}{'n':>5}{'whoosh med':>12}{'p95':>9}{'fts5 med':>10}{'p95':>9}"
        f"{'p95 ratio':>11}{'repeat med':>12}{'p95':>9}"
    )
    for kind, row in latency["kinds"].items():
        w, f = row["whoosh"], row["fts5"]
        again = row.get("whoosh_repeat", {"median_ms": "-", "p95_ms": "-"})
        print(
            f"{kind:<10}{w['n']:>5}{w['median_ms']:>12}{w['p95_ms']:>9}{f['median_ms']:>10}"
            f"{f['p95_ms']:>9}{row['p95_ratio']:>11}{again['median_ms']:>12}{again['p95_ms']:>9}"
        )


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    how = args.build if args.build != "auto" else ("add_files" if args.docs <= 10000 else "rebuild")
    cached = args.cache == "yes" or (args.cache == "auto" and args.docs >= 20000)
    procs = args.rebuild_procs or (2 if how == "rebuild" else 0)
    params = Params(args.docs, args.runs, args.batch, args.seed, how, procs, cached)
    return run_and_report(
        lambda workdir: run(params, workdir, args.cache_dir),
        print_report,
        workdir=args.workdir,
        out=args.out,
        prefix="search",
    )


if __name__ == "__main__":
    raise SystemExit(main())
