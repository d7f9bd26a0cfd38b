"""indexer.extract on the 62 real PDFs of the shared corpus, against its manifest."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path
from typing import Any

import pytest

from indexer.extract import (
    FAILED,
    INDEXED,
    NEEDS_OCR,
    ExtractionPool,
    ExtractionResult,
    extract_pages,
    extract_pages_unsandboxed,
)
from indexer.thumbnails import render_first_page

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pdfs"
TIME_LIMIT = 60.0
HAS_CRYPTOGRAPHY = importlib.util.find_spec("cryptography") is not None

# The whole real corpus is "slow" in this project's sense (pyproject.toml): it still runs by
# default (~14 s for 62 files, the 117-page book ~3 s); `-m "not slow"` leaves it out.
pytestmark = pytest.mark.slow

#: expected_archive_behaviour -> acceptable statuses (behaviours not listed: any status).
EXPECTED = {
    "text_extractable": {INDEXED},
    "scanned_with_ocr_text_layer": {INDEXED},
    "huge_document_process_within_limits": {INDEXED},
    "image_only_needs_ocr": {NEEDS_OCR},
    "encrypted_needs_user_password": {FAILED},
    "broken_should_be_rejected_cleanly": {FAILED},
    "encrypted_opens_with_empty_user_password": {INDEXED, NEEDS_OCR},
}


def _manifest_params() -> list[Any]:
    """One pytest param per manifest row, or a single skip when the corpus is absent."""
    manifest = CORPUS / "manifest.csv"
    if not manifest.is_file():
        reason = f"PDF corpus not found at {CORPUS} (see /work/shared/corpus/README.md)"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="corpus-absent")]
    with manifest.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return [pytest.param(row, id=Path(row["file"]).name) for row in rows]


def _acceptable(row: dict[str, str], result: ExtractionResult) -> set[str]:
    """Statuses acceptable for this row; failure is accepted where pypdf itself cannot open
    the file (per the manifest) or where AES needs the absent `cryptography` package."""
    behaviour = row["expected_archive_behaviour"]
    allowed = set(EXPECTED.get(behaviour, {INDEXED, NEEDS_OCR, FAILED}))
    if behaviour == "encrypted_opens_with_empty_user_password":
        missing_aes = not HAS_CRYPTOGRAPHY and "cryptography" in (result.reason or "")
        if row["pypdf_exception"] or missing_aes:
            allowed.add(FAILED)
    return allowed


@pytest.mark.parametrize("row", _manifest_params())
def test_corpus_pdf_ends_in_expected_state(row: dict[str, str]) -> None:
    result = extract_pages(CORPUS / row["file"], time_limit=TIME_LIMIT)

    assert result.status in _acceptable(row, result), result.reason
    if result.status == FAILED:
        assert result.pages == [] and result.reason
        assert "over the" not in result.reason  # no corpus file may need the limits
    else:
        assert len(result.pages) == result.page_count == int(row["pypdf_pages"] or 0)
    if row["expected_archive_behaviour"] == "encrypted_needs_user_password":
        assert result.reason is not None and result.reason.startswith("encrypted")
    if result.status == INDEXED:
        assert any(text.strip() for text in result.pages)


def test_the_corpus_through_reused_processes_gives_fresh_results() -> None:
    """Two pool processes take the whole corpus file after file (hostile files included):
    every result, thumbnail included, equals that of a fresh in-process extraction, so no
    file's outcome depends on the files its process handled before."""
    manifest = CORPUS / "manifest.csv"
    if not manifest.is_file():
        pytest.skip(f"PDF corpus not found at {CORPUS}")
    with manifest.open(newline="", encoding="utf-8") as file:
        paths = [CORPUS / row["file"] for row in csv.DictReader(file)]
    with ExtractionPool(2, time_limit=TIME_LIMIT) as pool:
        for path in paths:
            pool.submit(path, path)
        results = {}
        while pool.busy:
            results.update(pool.results(1.0))
    for path in paths:
        fresh = extract_pages_unsandboxed(path)
        assert results[path] == fresh, path.name
        if fresh.status != FAILED:
            assert results[path].thumbnail == render_first_page(path), path.name
