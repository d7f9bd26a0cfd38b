"""indexer.extract on generated PDFs, good and hostile, in real child processes."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer.extract import (
    FAILED,
    INDEXED,
    NEEDS_OCR,
    ExtractionResult,
    _child_outcome,
    extract_pages,
    extract_pages_unsandboxed,
    normalise_text,
)
from tests.hostile_pdfs import HOSTILE_CASES, decompression_bomb_pdf, slow_pdf, text_pdf

MB = 1 << 20


@pytest.fixture
def write_pdf(tmp_path: Path) -> Callable[[bytes], Path]:
    """Write bytes to a fresh file under tmp_path and return its path."""

    def write(data: bytes, name: str = "document.pdf") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


def assert_terminal(result: ExtractionResult) -> None:
    """Every result is one of the three states, consistent with its fields."""
    assert result.status in {INDEXED, NEEDS_OCR, FAILED}
    if result.status == FAILED:
        assert result.pages == [] and result.reason
    else:
        assert len(result.pages) == result.page_count > 0
    if result.status == NEEDS_OCR:
        assert not any(text.strip() for text in result.pages) and result.reason


def test_text_lands_on_the_right_page(write_pdf: Callable[[bytes], Path]) -> None:
    path = write_pdf(
        text_pdf(["Chile on clearance deadlines", "", "Victim assistance\nat 12MSP (Geneva)"])
    )

    result = extract_pages(path)

    assert result.status == INDEXED
    assert result.page_count == 3
    assert "Chile on clearance deadlines" in result.pages[0]
    assert result.pages[1] == ""
    assert "Victim assistance\nat 12MSP (Geneva)" in result.pages[2]
    assert result.reason == "page 2 has no text layer"


def test_every_page_with_text_gives_no_reason(write_pdf: Callable[[bytes], Path]) -> None:
    result = extract_pages(write_pdf(text_pdf(["Première page", "Segunda página"])))

    assert result == ExtractionResult(INDEXED, ["Première page\n", "Segunda página\n"], 2, None)


def test_empty_pages_are_listed_as_ranges(write_pdf: Callable[[bytes], Path]) -> None:
    result = extract_pages(write_pdf(text_pdf(["text", "", "", "", "more text", ""])))

    assert result.status == INDEXED
    assert result.reason == "pages 2-4, 6 have no text layer"


def test_sandboxed_and_unsandboxed_agree(write_pdf: Callable[[bytes], Path]) -> None:
    path = write_pdf(text_pdf(["One", "Two", ""]))

    assert extract_pages(path) == extract_pages_unsandboxed(path)


@pytest.mark.parametrize("case", sorted(HOSTILE_CASES))
def test_hostile_pdf_ends_in_expected_state(case: str, write_pdf: Callable[[bytes], Path]) -> None:
    make, status, reason = HOSTILE_CASES[case]

    result = extract_pages(write_pdf(make()), time_limit=60)

    assert_terminal(result)
    assert result.status == status
    assert result.reason is not None and reason in result.reason


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        extract_pages(tmp_path / "absent.pdf")


def test_normalise_text_applies_nfkc_and_drops_control_characters() -> None:
    assert normalise_text("ﬁnal ﬂag") == "final flag"
    assert normalise_text("\ufefb") == "\u0644\u0627"  # Arabic lam-alef presentation form
    assert normalise_text("a\x00b\r\nc\rd\x07\te\x0c\ud800") == "ab\nc\nd\te"


def test_time_limit_kills_the_child(write_pdf: Callable[[bytes], Path]) -> None:
    path = write_pdf(slow_pdf(), name="slow-unique-name.pdf")
    children_before = _children_of(os.getpid())
    started = time.monotonic()

    result = extract_pages(path, time_limit=0.5)

    elapsed = time.monotonic() - started
    assert result == ExtractionResult(FAILED, [], 0, "over the time limit (0.5 s)")
    assert elapsed < 3
    assert _processes_mentioning(str(path)) == []
    assert _children_of(os.getpid()) <= children_before  # no zombie left behind


def test_memory_limit_stops_a_decompression_bomb(write_pdf: Callable[[bytes], Path]) -> None:
    result = extract_pages(write_pdf(decompression_bomb_pdf()), memory_limit=100 * MB)

    assert result == ExtractionResult(FAILED, [], 0, "over the memory limit (100 MB)")


def test_bomb_under_a_moderate_limit_ends_cleanly(write_pdf: Callable[[bytes], Path]) -> None:
    result = extract_pages(write_pdf(decompression_bomb_pdf()), memory_limit=200 * MB)

    assert_terminal(result)
    assert result.status == FAILED
    assert result.reason is not None
    assert (
        result.reason == "over the memory limit (200 MB)"
        or "over pypdf's decompression limit" in result.reason
    )


@pytest.mark.parametrize(
    ("returncode", "stderr", "reason"),
    [
        (
            -signal.SIGSEGV,
            b"",
            "over the memory limit (1024 MB): the extractor was killed by SIGSEGV",
        ),
        (-signal.SIGXCPU, b"", "over the time limit (120 s of CPU)"),
        (1, b"Traceback ...\nMemoryError\n", "over the memory limit (1024 MB)"),
        (
            1,
            b"Traceback ...\nImportError: boom\n",
            "the extractor crashed (exit status 1): ImportError: boom",
        ),
        (
            0,
            b"",
            "the extractor wrote an unreadable result: Expecting value: line 1 column 1 (char 0)",
        ),
    ],
)
def test_child_failures_become_readable_reasons(
    returncode: int, stderr: bytes, reason: str
) -> None:
    assert _child_outcome(returncode, b"", stderr, 120.0, 1 << 30) == ExtractionResult(
        FAILED, [], 0, reason
    )


def _processes_mentioning(text: str) -> list[int]:
    """Pids of live processes whose command line contains `text`."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text.encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue  # the process ended while we looked
    return pids


def _children_of(parent: int) -> set[int]:
    """Pids of all processes (zombies included) whose parent is `parent`."""
    children = set()
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.add(int(entry.parent.name))
    return children
