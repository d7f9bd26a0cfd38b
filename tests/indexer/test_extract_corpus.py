"""indexer.extract on the 62 real PDFs of the shared corpus, against its manifest."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path
from typing import Any

import pytest

from indexer.extract import FAILED, INDEXED, NEEDS_OCR, ExtractionResult, extract_pages

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
