"""Benchmark the archive over HTTP: search under load, downloads and upload memory, vs bare Flask.

Starts the real archive under gunicorn on loopback (a fresh data directory, ``flask db
upgrade``, a user and an API token through the CLI), fills it through the API and measures, in
one bounded run:

* search: the 200-query mix of benchmarks/search.py through ``GET /api/v1/search`` with 4
  concurrent clients (requests/s, median, p95) over ``--search-docs`` uploaded statements,
  indexed by ``flask worker`` (which runs for this step only);
* downloads: a ``--pdf-mb`` PDF (``/documents/<id>/download``) and a 200-file meeting ZIP of
  ``--zip-mb`` in all (``/meetings/<code>/download.zip``): MB/s and the serving worker's memory,
  each against a bare Flask app serving the same bytes with ``send_file`` under the same
  gunicorn settings, in the same run. The ZIP twice: ``zip first`` is a first download (the
  kept ZIP removed from ``<data>/cache/zips`` before each: streamed and written to the cache
  as it is sent), ``zip`` a later one (the kept file, sent as a file);
* upload: one ``--upload-mb`` PDF through ``POST /api/v1/documents`` (streamed by the client):
  time and the growth of the worker's memory.

Memory is read from ``/proc/<pid>/status`` of every gunicorn worker: VmRSS before, VmRSS
sampled every 20 ms during the request, VmHWM after. "Growth" is the largest rise over the
workers of the sampled peak (and, as an upper bound, of VmHWM) over VmRSS before.

    .venv/bin/python benchmarks/http.py                          # 20 MB PDF, 500 MB ZIP, 200 MB
    .venv/bin/python benchmarks/http.py --zip-mb 100 --upload-mb 50   # the quick set
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sqlite3
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from archive.demo.pdfs import make_pdf  # noqa: E402
from benchmarks import search as search_bench  # noqa: E402
from benchmarks.common import (  # noqa: E402
    argument_parser,
    environment,
    run_and_report,
    summarize,
)
from tests.processes import archive_env, flask, free_port, running, wait_http  # noqa: E402

MB = 1_000_000
EMAIL = "http-bench@example.org"
SEARCH_MEETING = "BENCH-SEARCH"
ZIP_MEETING = "BENCH-ZIP"
FILE_MEETING = "BENCH-FILES"
ZIP_FILES = 200
TERMINAL = ("indexed", "failed", "needs_ocr")
BIN = Path(sys.executable).parent
BARE_APP = '''"""A bare Flask app serving two files with send_file (the baseline)."""
import os
from flask import Flask, abort, send_file

app = Flask(__name__)
FILES = {"pdf": os.environ["BARE_PDF"], "zip": os.environ["BARE_ZIP"]}


@app.get("/<name>")
def serve(name):
    if name not in FILES:
        abort(404)
    return send_file(FILES[name], as_attachment=True, conditional=True)
'''


@dataclass(frozen=True)
class Params:
    """What was run."""

    search_docs: int
    clients: int
    pdf_mb: int
    zip_mb: int
    upload_mb: int
    runs: int
    workers: int
    seed: int


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argument_parser(__doc__, prog="benchmarks/http.py")
    parser.add_argument("--search-docs", type=int, default=150, help="statements to search")
    parser.add_argument("--clients", type=int, default=4, help="concurrent search clients")
    parser.add_argument("--pdf-mb", type=int, default=20, help="size of the downloaded PDF")
    parser.add_argument(
        "--zip-mb", type=int, default=500, help="total size of the 200-file meeting ZIP"
    )
    parser.add_argument("--upload-mb", type=int, default=200, help="size of the uploaded PDF")
    parser.add_argument("--runs", type=int, default=3, help="downloads of each file (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (both apps)")
    parser.add_argument("--seed", type=int, default=20240910, help="random seed")
    parser.add_argument("--out", type=Path, default=None, help="JSON results file")
    parser.add_argument("--workdir", type=Path, default=None, help="keep data and files here")
    return parser.parse_args(argv)


# Files


def padded_pdf(path: Path, size: int, label: str) -> Path:
    """Write a valid one-page PDF of ``size`` bytes: the page, plus an unreferenced stream
    object of random bytes (incompressible, as scanned statements are)."""
    content = f"BT /F1 14 Tf 72 720 Td ({label}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets, body = [], bytearray(head)
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    padding = max(0, size - len(body) - 400)
    with open(path, "wb") as out:
        out.write(body)
        offsets.append(len(body))
        out.write(b"6 0 obj\n<< /Length %d >>\nstream\n" % padding)
        start = len(body) + len(b"6 0 obj\n<< /Length %d >>\nstream\n" % padding)
        left = padding
        while left:
            chunk = os.urandom(min(left, 4 * MB))
            out.write(chunk)
            left -= len(chunk)
        tail = b"\nendstream\nendobj\n"
        out.write(tail)
        xref_at = start + padding + len(tail)
        out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1))
        for offset in offsets:
            out.write(b"%010d 00000 n \n" % offset)
        out.write(
            b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(offsets) + 1, xref_at)
        )
    return path


# Processes and memory


def worker_pids(master: int) -> list[int]:
    """The pids of a gunicorn master's worker processes."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


class MemoryWatch:
    """Samples the VmRSS of some processes every 20 ms while a request runs."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.before = {pid: memory_kb(pid)["VmRSS"] for pid in pids}
        self.peak = dict(self.before)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.hwm = {pid: memory_kb(pid)["VmHWM"] for pid in self.pids}

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            for pid in self.pids:
                try:
                    rss = memory_kb(pid)["VmRSS"]
                except (OSError, KeyError):
                    continue
                self.peak[pid] = max(self.peak[pid], rss)

    def growth_mb(self) -> dict[str, float]:
        """Largest rise over the workers: sampled peak, and VmHWM (an upper bound)."""
        sampled = max(self.peak[p] - self.before[p] for p in self.pids)
        hwm = max(self.hwm[p] - self.before[p] for p in self.pids)
        return {
            "rss_before_mb": round(max(self.before.values()) / 1024, 1),
            "growth_sampled_mb": round(sampled / 1024, 1),
            "growth_hwm_mb": round(hwm / 1024, 1),
        }


class Archive:
    """The archive under gunicorn on a fresh data directory, with an API token."""

    def __init__(self, stack: ExitStack, data_dir: Path, workers: int) -> None:
        self.data_dir = data_dir
        self.env = {"ARCHIVE_WORKER": "external", "ARCHIVE_MAX_UPLOAD_MB": "2048"}
        data_dir.mkdir(parents=True, exist_ok=True)
        self._cli("db", "upgrade")
        self._cli("users", "create", EMAIL, "--role", "editor", "--password", uuid.uuid4().hex)
        self.token = self._cli("tokens", "create", EMAIL).strip().splitlines()[-1]
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{self.port}"]
        cmd += ["--timeout", "600", "wsgi:app"]
        self.proc = stack.enter_context(
            running(cmd, archive_env(data_dir, **self.env), data_dir / "gunicorn.log")
        )
        wait_http(f"{self.base}/api/v1/meetings", proc=self.proc)
        self.stack = stack

    def _cli(self, *args: str) -> str:
        done = flask(self.data_dir, *args, **self.env)
        if done.returncode:
            raise RuntimeError(f"flask {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def workers(self) -> list[int]:
        return worker_pids(self.proc.pid)

    def json(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read() or b"{}")

    def upload(self, path: Path, meeting: str, title: str) -> dict:
        """POST one PDF to /api/v1/documents, streaming it from disk."""
        fields = {
            "meeting": meeting,
            "doc_type": "statement",
            "title": title,
            "date": "2024-09-10",
            "status": "published",
            "language": "en",
        }
        boundary = uuid.uuid4().hex
        head = "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in fields.items()
        )
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{path.name}"\r\nContent-Type: application/pdf\r\n\r\n'
        )
        tail = f"\r\n--{boundary}--\r\n".encode()
        size = len(head.encode()) + path.stat().st_size + len(tail)

        def body():
            yield head.encode()
            with open(path, "rb") as handle:
                while chunk := handle.read(1024 * 1024):
                    yield chunk
            yield tail

        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        with closing(connection):
            connection.request(
                "POST",
                "/api/v1/documents",
                body=body(),
                headers={
                    "Authorization": f"Bearer {self.token}",
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                    "Content-Length": str(size),
                },
            )
            response = connection.getresponse()
            data = response.read()
        if response.status != 201:
            raise RuntimeError(f"upload of {path.name}: {response.status} {data[:300]!r}")
        return json.loads(data)

    def indexed_count(self) -> int:
        """Files whose text status is final (read from the SQLite database)."""
        database = self.data_dir / "archive.sqlite3"
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            db.execute("PRAGMA busy_timeout = 5000")
            marks = ", ".join("?" * len(TERMINAL))
            sql = f"SELECT COUNT(*) FROM files WHERE text_status IN ({marks})"  # noqa: S608
            return db.execute(sql, TERMINAL).fetchone()[0]


def download(url: str) -> tuple[int, float]:
    """GET ``url`` reading 1 MB at a time; (bytes, seconds)."""
    started = time.perf_counter()
    size = 0
    with urllib.request.urlopen(url, timeout=600) as response:
        while chunk := response.read(1024 * 1024):
            size += len(chunk)
    return size, time.perf_counter() - started


def measure_download(url: str, master: int, runs: int) -> dict:
    """``runs`` downloads: MB/s (median) and the workers' memory growth (largest)."""
    speeds, growth = [], []
    size = 0
    for _ in range(runs):
        with MemoryWatch(worker_pids(master)) as watch:
            size, seconds = download(url)
        speeds.append(size / MB / seconds)
        growth.append(watch.growth_mb())
    return {
        "bytes": size,
        "mb_per_s_median": round(statistics.median(speeds), 1),
        "mb_per_s_all": [round(s, 1) for s in speeds],
        "rss_before_mb": growth[-1]["rss_before_mb"],
        "growth_sampled_mb": max(g["growth_sampled_mb"] for g in growth),
        "growth_hwm_mb": max(g["growth_hwm_mb"] for g in growth),
    }


def settle_zips(data_dir: Path) -> Path:
    """Wait for a ZIP still being put in place (its fsync and rename come after the client
    has its last byte); return the archive's ZIP cache folder."""
    cache = data_dir / "cache" / "zips"
    deadline = time.monotonic() + 120
    while any((cache / "tmp").glob("*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    return cache


def forget_zips(data_dir: Path) -> None:
    """Remove the archive's kept ZIPs: its next ZIP download is a first one."""
    for kept in settle_zips(data_dir).glob("*.zip"):
        kept.unlink()


def merge_runs(runs: list[dict]) -> dict:
    """One figure set from single-download measurements: median speed, largest growth."""
    speeds = [speed for run in runs for speed in run["mb_per_s_all"]]
    return {
        "bytes": runs[-1]["bytes"],
        "mb_per_s_median": round(statistics.median(speeds), 1),
        "mb_per_s_all": speeds,
        "rss_before_mb": runs[-1]["rss_before_mb"],
        "growth_sampled_mb": max(run["growth_sampled_mb"] for run in runs),
        "growth_hwm_mb": max(run["growth_hwm_mb"] for run in runs),
    }


# Steps


def fill_search(archive: Archive, params: Params, workdir: Path) -> dict:
    """Upload statements as PDFs and run the worker until every file is processed."""
    archive.json("POST", "/api/v1/meetings", {"code": SEARCH_MEETING, "title": "Search"})
    speeches = search_bench.load_speeches()
    files = search_bench.generate(params.search_docs, params.seed, speeches)
    folder = workdir / "statements"
    folder.mkdir(exist_ok=True)
    started = time.perf_counter()
    for record, pages in files:
        path = folder / f"{record.document_id:05d}.pdf"
        short = [page[:1400] for page in pages]  # one PDF page each
        path.write_bytes(make_pdf(short, title=record.title))
        archive.upload(path, SEARCH_MEETING, record.title)
    uploaded = time.perf_counter() - started
    worker = [str(BIN / "flask"), "--app", "wsgi", "worker"]
    env = archive_env(archive.data_dir, **archive.env)
    with running(worker, env, archive.data_dir / "worker.log"):
        deadline = time.monotonic() + 600
        while archive.indexed_count() < len(files):
            if time.monotonic() > deadline:
                raise RuntimeError("the worker did not process the statements in 10 minutes")
            time.sleep(0.5)
    return {
        "docs": len(files),
        "upload_s": round(uploaded, 1),
        "indexed_s": round(time.perf_counter() - started - uploaded, 1),
    }


def measure_search(archive: Archive, params: Params) -> dict:
    """The query mix through the API with ``params.clients`` concurrent clients."""
    probes = search_bench.query_mix(params.seed, search_bench.load_speeches())
    urls = []
    for probe in probes:
        query = probe.whoosh()
        args = {"q": query.q, "page": query.page, "per_page": query.per_page}
        args |= {"sort": query.sort} if query.sort != "relevance" else {}
        for name in ("meeting", "doc_type", "delegation", "date_from", "date_to"):
            value = getattr(query, name)
            if value:
                args[name] = str(value)
        if probe.meeting:  # this corpus has one meeting: keep the filter, make it match
            args["meeting"] = SEARCH_MEETING
        urls.append(f"{archive.base}/api/v1/search?{urllib.parse.urlencode(args)}")

    def one(url: str) -> tuple[float, int, int]:
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=120) as response:
            total = json.loads(response.read())["total"]
            status = response.status
        return (time.perf_counter() - started) * 1000, status, total

    for url in urls[:10]:  # warm: open the searchers of both workers
        one(url)
    started = time.perf_counter()
    with ThreadPoolExecutor(params.clients) as pool:
        answers = list(pool.map(one, urls))
    seconds = time.perf_counter() - started
    latencies = [ms for ms, _, _ in answers]
    return {
        "requests": len(urls),
        "clients": params.clients,
        "requests_per_s": round(len(urls) / seconds, 1),
        "with_hits": sum(1 for _, _, total in answers if total),
        **summarize(latencies),
    }


def make_zip_meeting(archive: Archive, params: Params, workdir: Path) -> int:
    """A meeting of ZIP_FILES PDFs of ``zip_mb`` in all; returns total bytes uploaded."""
    archive.json("POST", "/api/v1/meetings", {"code": ZIP_MEETING, "title": "ZIP"})
    folder = workdir / "zipfiles"
    folder.mkdir(exist_ok=True)
    each = max(2000, params.zip_mb * MB // ZIP_FILES)
    total = 0
    for number in range(1, ZIP_FILES + 1):
        path = padded_pdf(folder / f"member-{number:03d}.pdf", each, f"Member {number}")
        archive.upload(path, ZIP_MEETING, f"Statement {number} for the ZIP")
        total += path.stat().st_size
        path.unlink()
    return total


def run(params: Params, workdir: Path) -> dict:
    """Start both apps, fill the archive, measure; return all figures."""
    result: dict = {"params": asdict(params), "environment": environment()}
    result["load_before"] = os.getloadavg()
    random.seed(params.seed)
    with ExitStack() as stack:
        archive = Archive(stack, workdir / "data", params.workers)
        result["search_corpus"] = fill_search(archive, params, workdir)
        result["search"] = measure_search(archive, params)

        pdf = padded_pdf(workdir / "big.pdf", params.pdf_mb * MB, "Large statement")
        archive.json("POST", "/api/v1/meetings", {"code": FILE_MEETING, "title": "Files"})
        document = archive.upload(pdf, FILE_MEETING, "Large statement")
        pdf_url = f"{archive.base}/documents/{document['id']}/download"
        zip_bytes = make_zip_meeting(archive, params, workdir)
        zip_url = f"{archive.base}/meetings/{ZIP_MEETING}/download.zip"
        saved = workdir / "meeting.zip"
        with urllib.request.urlopen(zip_url, timeout=600) as response, open(saved, "wb") as out:
            while chunk := response.read(1024 * 1024):
                out.write(chunk)

        (workdir / "bare.py").write_text(BARE_APP, encoding="utf-8")
        bare_port = free_port()
        bare_cmd = [str(BIN / "gunicorn"), "-w", str(params.workers), "--chdir", str(workdir)]
        bare_cmd += ["-b", f"127.0.0.1:{bare_port}", "--timeout", "600", "bare:app"]
        bare_env = os.environ | {"BARE_PDF": str(pdf), "BARE_ZIP": str(saved)}
        bare = stack.enter_context(running(bare_cmd, bare_env, workdir / "bare.log"))
        bare_base = f"http://127.0.0.1:{bare_port}"
        wait_http(f"{bare_base}/pdf", proc=bare)

        downloads = {}
        first = archive.data_dir  # before each run of "zip first", forget the kept ZIP
        for label, ours, theirs, forget in (
            ("pdf", pdf_url, f"{bare_base}/pdf", None),
            ("zip first", zip_url, f"{bare_base}/zip", first),
            ("zip", zip_url, f"{bare_base}/zip", None),
        ):
            download(ours)  # warm the page cache for both (and, for "zip", keep the ZIP)
            download(theirs)
            settle_zips(archive.data_dir)
            runs = params.runs * (5 if label == "pdf" else 1)  # short downloads: more runs
            archive_runs, bare_runs = [], []
            for _ in range(runs):  # alternate, so that load changes hit both alike
                if forget is not None:
                    forget_zips(forget)
                archive_runs.append(measure_download(ours, archive.proc.pid, 1))
                bare_runs.append(measure_download(theirs, bare.pid, 1))
            archive_figures, bare_figures = merge_runs(archive_runs), merge_runs(bare_runs)
            ratio = archive_figures["mb_per_s_median"] / max(bare_figures["mb_per_s_median"], 0.1)
            downloads[label] = {
                "archive": archive_figures,
                "bare_flask": bare_figures,
                "speed_ratio": round(ratio, 2),
            }
        for label in ("zip first", "zip"):
            downloads[label]["members"] = ZIP_FILES
            downloads[label]["uploaded_bytes"] = zip_bytes
        result["downloads"] = downloads

        big = padded_pdf(workdir / "upload.pdf", params.upload_mb * MB, "Very large statement")
        with MemoryWatch(archive.workers()) as watch:
            started = time.perf_counter()
            archive.upload(big, FILE_MEETING, "Very large statement")
            seconds = time.perf_counter() - started
        result["upload"] = {
            "bytes": big.stat().st_size,
            "seconds": round(seconds, 2),
            "mb_per_s": round(big.stat().st_size / MB / seconds, 1),
            **watch.growth_mb(),
        }
    result["load_after"] = os.getloadavg()
    return result


# Reporting


def print_report(result: dict) -> None:
    """Human-readable summary."""
    p = result["params"]
    print(
        f"gunicorn -w {p['workers']}; load average before {result['load_before'][0]:.2f},"
        f" after {result['load_after'][0]:.2f}"
    )
    corpus, search = result["search_corpus"], result["search"]
    print(
        f"search: {corpus['docs']} statements (uploaded {corpus['upload_s']} s, indexed"
        f" {corpus['indexed_s']} s); {search['requests']} requests, {search['clients']} clients:"
        f" {search['requests_per_s']} req/s, median {search['median_ms']} ms,"
        f" p95 {search['p95_ms']} ms ({search['with_hits']} with hits)"
    )
    print(
        f"{'download':<10}{'MB':>8}{'archive MB/s':>14}{'bare MB/s':>11}{'ratio':>7}"
        f"{'RSS before':>12}{'growth':>8}{'HWM growth':>12}{'bare growth':>13}"
    )
    for label, row in result["downloads"].items():
        ours, theirs = row["archive"], row["bare_flask"]
        print(
            f"{label:<10}{ours['bytes'] / MB:>8.1f}{ours['mb_per_s_median']:>14}"
            f"{theirs['mb_per_s_median']:>11}{row['speed_ratio']:>7}"
            f"{ours['rss_before_mb']:>12}{ours['growth_sampled_mb']:>8}"
            f"{ours['growth_hwm_mb']:>12}{theirs['growth_sampled_mb']:>13}"
        )
    up = result["upload"]
    print(
        f"upload {up['bytes'] / MB:.0f} MB in {up['seconds']} s ({up['mb_per_s']} MB/s):"
        f" worker RSS {up['rss_before_mb']} MB before, growth {up['growth_sampled_mb']} MB"
        f" sampled, {up['growth_hwm_mb']} MB by VmHWM"
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    params = Params(
        args.search_docs,
        args.clients,
        args.pdf_mb,
        args.zip_mb,
        args.upload_mb,
        args.runs,
        args.workers,
        args.seed,
    )
    return run_and_report(
        lambda workdir: run(params, workdir),
        print_report,
        workdir=args.workdir,
        out=args.out,
        prefix="http",
    )


if __name__ == "__main__":
    raise SystemExit(main())
