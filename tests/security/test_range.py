"""Range abuse on downloads: multi-range, overlapping, unsatisfiable, malformed and huge
ranges get 416 (with `Content-Range: bytes */size`), the whole file (200) or one correct
range (206) — never a 500, never the wrong bytes, never a draft."""

from __future__ import annotations

import pytest

RANGES_SOMETIMES_REFUSED = [
    "bytes=0-10,20-30",
    "bytes=0-10,5-20",
    "bytes=0-0,-1",
    "bytes=" + ",".join(f"{i}-{i}" for i in range(2000)),
    "bytes=0-99999999999999999999999",
    "bytes=-99999999999999999999",
    "bytes=99999999999999999999-",
    "bytes=-0",
    "bytes=5-1",
    "bytes=abc",
    "bytes=--1",
    "bytes=0--1",
    "bytes= 0 - 1 ",
    "bytes=0x10-0x20",
    "bytes=1e3-2e3",
    "items=0-10",
    "bytes=",
    "bytes",
    "bytes=\u0661-\u0662",
    "=0-1",
]


@pytest.fixture
def pdf(make_meeting, upload, pdf_bytes) -> tuple[int, bytes, int]:
    make_meeting("12MSP")
    content = pdf_bytes(["Clearance deadlines.", "Victim assistance."])
    published = upload(data=content).get_json()["id"]
    draft = upload(data=content + b"\n", status="draft").get_json()["id"]
    return published, content, draft


def _get(client, doc: int, value: str, **headers):
    return client.get(
        f"/documents/{doc}/download", headers={"Range": value} | headers, buffered=True
    )


def test_single_ranges_are_exact(client, pdf):
    doc, content, _ = pdf
    size = len(content)
    for value, expected, first, last in (
        ("bytes=0-99", content[:100], 0, 99),
        ("bytes=-100", content[-100:], size - 100, size - 1),
        ("bytes=100-", content[100:], 100, size - 1),
        (f"bytes=0-{size + 1000}", content, 0, size - 1),
    ):
        response = _get(client, doc, value)
        assert response.status_code == 206, value
        assert response.data == expected, value
        assert response.headers["Content-Range"] == f"bytes {first}-{last}/{size}"


def test_unsatisfiable_ranges_are_416(client, pdf):
    doc, content, _ = pdf
    size = len(content)
    for value in (f"bytes={size}-", f"bytes={size + 100}-{size + 200}", "bytes=99999999999999-"):
        response = _get(client, doc, value)
        assert response.status_code == 416, value
        assert response.headers["Content-Range"] == f"bytes */{size}"
        assert b"%PDF" not in response.data


def test_abusive_ranges_get_416_the_file_or_one_exact_range(client, pdf):
    doc, content, _ = pdf
    size = len(content)
    for value in RANGES_SOMETIMES_REFUSED:
        response = _get(client, doc, value)
        assert response.status_code in (200, 206, 416), (value, response.status_code)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        if response.status_code == 200:
            assert response.data == content, value
        elif response.status_code == 416:
            assert response.headers["Content-Range"] == f"bytes */{size}", value
        else:
            assert response.mimetype == "application/pdf", value  # one range, not multipart
            unit, _, span = response.headers["Content-Range"].partition(" ")
            first, last = (int(n) for n in span.split("/")[0].split("-"))
            assert unit == "bytes" and response.data == content[first : last + 1], value


def test_if_range_with_a_wrong_etag_gives_the_whole_file(client, pdf):
    doc, content, _ = pdf
    response = _get(client, doc, "bytes=0-9", **{"If-Range": '"not-the-etag"'})
    assert response.status_code == 200
    assert response.data == content


def test_a_draft_is_a_404_whatever_the_range(client, pdf):
    _, _, draft = pdf
    for value in ("bytes=0-9", "bytes=0-0,1-1", "bytes=99999999-"):
        response = _get(client, draft, value)
        assert response.status_code == 404
        assert b"%PDF" not in response.data
