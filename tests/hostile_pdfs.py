"""Factories for small real PDFs, good and hostile, written as raw bytes.

Each factory returns the file's bytes; write them wherever a test needs a file.
`HOSTILE_CASES` maps a name to (factory, expected extraction status, reason fragment)
so indexing and worker tests can parametrize over the same hostile inputs.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Sequence
from functools import cache

from pypdf import PdfReader, PdfWriter

_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
_PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources %s /Contents %d 0 R >>"
_CHUNK = 1 << 20


def build_pdf(objects: Sequence[bytes], *, root: int = 1) -> bytes:
    """Number `objects` 1..n and add a correct xref table and trailer (catalog = `root`)."""
    out = bytearray(_HEADER)
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(objects) + 1, root)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def stream(data: bytes, entries: bytes = b"") -> bytes:
    """A stream object's body: dictionary with /Length (plus `entries`) and the data."""
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), entries, data)


def _pdf_string(text: str) -> bytes:
    """`text` as a literal PDF string in WinAnsi (cp1252) encoding."""
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _text_ops(text: str) -> bytes:
    """Content-stream operators that show each line of `text` in Helvetica 12."""
    lines = [line for line in text.splitlines() if line]
    shows = b"".join(b"%s Tj T*\n" % _pdf_string(line) for line in lines)
    return (b"BT /F1 12 Tf 14 TL 72 770 Td\n" + shows + b"ET") if lines else b""


def _pages_pdf(contents: Sequence[bytes], resources: bytes, extra: Sequence[bytes] = ()) -> bytes:
    """A PDF with one page per content-stream object in `contents`, sharing `resources`;
    `extra` objects follow the catalog and the page tree (numbered 3, 4, ...)."""
    first_page = 3 + len(extra)
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(len(contents)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(contents)),
        *extra,
    ]
    for i, content in enumerate(contents):
        objects.append(_PAGE % (resources, first_page + 2 * i + 1))
        objects.append(content)
    return build_pdf(objects)


def text_pdf(pages: Sequence[str]) -> bytes:
    """A valid PDF with one page per string (cp1252 characters only), drawn in Helvetica;
    "" gives a page with no text."""
    contents = [stream(_text_ops(text)) for text in pages]
    return _pages_pdf(contents, b"<< /Font << /F1 3 0 R >> >>", [_FONT])


def image_only_pdf(page_count: int = 1) -> bytes:
    """A PDF whose pages only show a grey 8x8 image, like a scan with no text layer."""
    image = stream(
        bytes(range(0, 256, 4)),
        b"/Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8",
    )
    draw = stream(b"q 400 0 0 400 100 300 cm /Im1 Do Q")
    return _pages_pdf([draw] * page_count, b"<< /XObject << /Im1 3 0 R >> >>", [image])


def encrypted_pdf(password: str = "secret", text: str = "Confidential statement") -> bytes:
    """A one-page text PDF encrypted (RC4-128) with a non-empty user password."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf([text]))))
    writer.encrypt(password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf() -> bytes:
    """A valid three-page text PDF cut in half (no xref, no trailer)."""
    data = text_pdf([f"Page {n} of a statement that will be cut off." for n in (1, 2, 3)])
    return data[: len(data) // 2]


def empty_file() -> bytes:
    """Zero bytes."""
    return b""


def not_a_pdf() -> bytes:
    """Plain text with no PDF structure at all."""
    return b"Minutes of the meeting, plain text and not a PDF.\n" * 40


def cyclic_page_tree_pdf() -> bytes:
    """A page tree whose intermediate node lists the root /Pages node as its own kid."""
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids [2 0 R] /Count 1 >>",
        ]
    )


def deeply_nested_pdf(depth: int = 100_000) -> bytes:
    """A one-page PDF whose page dictionary holds `depth` nested arrays."""
    nested = b"[" * depth + b"]" * depth
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Nested %s >>" % nested
    return build_pdf(
        [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page]
    )


@cache
def _deflated_zeros(size: int) -> bytes:
    """`size` zero bytes deflated, produced 1 MB at a time (never all in memory)."""
    compressor = zlib.compressobj(9)
    zeros = bytes(_CHUNK)
    parts = [compressor.compress(zeros) for _ in range(size // _CHUNK)]
    parts.append(compressor.compress(bytes(size % _CHUNK)))
    return b"".join(parts) + compressor.flush()


def decompression_bomb_pdf(size: int = 200 * _CHUNK) -> bytes:
    """A one-page PDF whose FlateDecode content stream inflates to `size` bytes of zeros."""
    content = stream(_deflated_zeros(size), b"/Filter /FlateDecode")
    # A font resource makes pypdf decode the content (a page without one has no text).
    return _pages_pdf([content], b"<< /Font << /F1 3 0 R >> >>", [_FONT])


def slow_pdf(operations: int = 400_000) -> bytes:
    """A one-page PDF with a small compressed content stream of `operations` text-show
    operators: cheap to store, seconds of CPU for pypdf to extract."""
    ops = b"BT /F1 10 Tf " + b"(slow) Tj " * operations + b"ET"
    content = stream(zlib.compress(ops, 9), b"/Filter /FlateDecode")
    return _pages_pdf([content], b"<< /Font << /F1 3 0 R >> >>", [_FONT])


HOSTILE_CASES: dict[str, tuple[Callable[[], bytes], str, str]] = {
    "decompression_bomb": (decompression_bomb_pdf, "failed", "decompression limit"),
    "cyclic_page_tree": (cyclic_page_tree_pdf, "failed", "damaged PDF"),
    "deeply_nested": (deeply_nested_pdf, "failed", "damaged PDF"),
    "encrypted": (encrypted_pdf, "failed", "encrypted"),
    "truncated": (truncated_pdf, "failed", "damaged PDF"),
    "empty_file": (empty_file, "failed", "empty file"),
    "not_a_pdf": (not_a_pdf, "failed", "not a PDF"),
    "image_only": (image_only_pdf, "needs_ocr", "needs OCR"),
}
"""name -> (factory, expected `ExtractionResult.status`, a fragment of the expected reason)."""
