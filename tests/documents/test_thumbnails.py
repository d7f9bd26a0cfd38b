"""First-page thumbnails: rendered in the sandboxed extraction child, stored by SHA-256 by the
worker, served at /documents/<id>/thumbnail with the same visibility rules as downloads."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import signal
import struct
from pathlib import Path

from archive.stores import text_cache, thumbnail_store
from indexer.extract import _child_outcome
from indexer.thumbnails import PNG_SIGNATURE, WIDTH, encode_png, png_size
from tests.hostile_pdfs import HOSTILE_CASES, image_only_pdf

NEVER = 987654


def _normalised(body: str, doc_id: int) -> str:
    """The body with the asked id replaced (a 404 may name the id it was asked for)."""
    return re.sub(rf"(?<=documents/){doc_id}\b|(?<=id ){doc_id}\b", "ID", body)


def _thumbnail_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "thumbnails").glob("*/*/*.png"))


def test_an_uploaded_pdf_gets_a_png_of_its_first_page(client, make_meeting, upload, run_jobs):
    make_meeting("12MSP")
    doc = upload(["Clearance of mined areas.", "Second page."]).get_json()
    assert client.get(f"/documents/{doc['id']}/thumbnail").status_code == 404  # not yet
    run_jobs()

    response = client.get(f"/documents/{doc['id']}/thumbnail", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "public, no-cache"
    png = response.get_data()
    assert png.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", png[16:24])
    assert width == WIDTH
    assert 300 < height < 360  # A4 portrait: 240 * 842 / 595 = 340
    # a white page with dark text: not blank
    assert len(set(png[33:])) > 50

    etag = response.headers["ETag"]
    again = client.get(f"/documents/{doc['id']}/thumbnail", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_the_document_page_shows_the_thumbnail_with_translated_alt(
    client, make_meeting, upload, run_jobs
):
    make_meeting("12MSP")
    doc_id = upload(["Victim assistance."]).get_json()["id"]
    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    assert "/thumbnail" not in page  # nothing rendered yet: no broken image
    run_jobs()

    page = client.get(f"/documents/{doc_id}").get_data(as_text=True)
    img = re.search(r"<img [^>]*class=\"thumbnail\"[^>]*>", page)
    assert img, page
    tag = img.group(0)
    assert f'src="/documents/{doc_id}/thumbnail"' in tag
    assert 'width="240"' in tag and 'height="340"' in tag
    assert 'loading="lazy"' in tag
    assert 'alt="First page of the document"' in tag
    french = client.get(f"/documents/{doc_id}?lang=fr").get_data(as_text=True)
    assert 'alt="Première page du document"' in french
    csp = client.get(f"/documents/{doc_id}").headers["Content-Security-Policy"]
    assert re.search(r"img-src 'self'", csp)


def test_the_english_file_is_the_thumbnail_else_the_first_language(
    app, client, auth_headers, make_meeting, upload, run_jobs, pdf_bytes
):
    make_meeting("12MSP")
    french = pdf_bytes(["Déclaration en français."])
    doc_id = upload(data=french, language="fr").get_json()["id"]
    run_jobs()
    served = client.get(f"/documents/{doc_id}/thumbnail").get_data()
    with app.app_context():
        assert served == thumbnail_store().get(hashlib.sha256(french).hexdigest())

    english = pdf_bytes(["Statement in English, a different first page.", "More."])
    response = client.post(
        f"/api/v1/documents/{doc_id}/files",
        data={"language": "en", "file": (io.BytesIO(english), "en.pdf")},
        headers=auth_headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    run_jobs()
    served = client.get(f"/documents/{doc_id}/thumbnail").get_data()
    with app.app_context():
        assert served == thumbnail_store().get(hashlib.sha256(english).hexdigest())


def test_a_draft_thumbnail_is_the_same_404_as_a_missing_id(
    client, make_meeting, upload, run_jobs, login
):
    make_meeting("12MSP")
    draft = upload(["Draft text."], status="draft").get_json()["id"]
    run_jobs()

    hidden = client.get(f"/documents/{draft}/thumbnail")
    missing = client.get(f"/documents/{NEVER}/thumbnail")
    assert hidden.status_code == missing.status_code == 404
    assert _normalised(hidden.get_data(as_text=True), draft) == _normalised(
        missing.get_data(as_text=True), NEVER
    )
    assert hidden.headers.get("Content-Type") == missing.headers.get("Content-Type")

    login("editor")  # staff see the draft's thumbnail, privately
    response = client.get(f"/documents/{draft}/thumbnail", buffered=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert png_size(response.get_data()) == (WIDTH, 340)


def test_a_trashed_documents_thumbnail_is_404(client, auth_headers, make_meeting, upload, run_jobs):
    make_meeting("12MSP")
    doc_id = upload(["Soon deleted."]).get_json()["id"]
    run_jobs()
    assert client.get(f"/documents/{doc_id}/thumbnail").status_code == 200
    assert client.delete(f"/api/v1/documents/{doc_id}", headers=auth_headers).status_code == 204
    assert client.get(f"/documents/{doc_id}/thumbnail").status_code == 404


def test_hostile_pdfs_get_no_thumbnail_and_no_crash(client, make_meeting, upload, run_jobs, app):
    make_meeting("12MSP")
    ids = {}
    for name in (
        "truncated",
        "deeply_nested",
        "cyclic_page_tree",
        "encrypted",
        "decompression_bomb",
    ):
        factory, _, _ = HOSTILE_CASES[name]
        response = upload(data=factory(), filename=f"{name}.pdf", title=name)
        assert response.status_code == 201, (name, response.get_json())
        ids[name] = response.get_json()["id"]
    good = upload(["A good one beside them."]).get_json()["id"]
    run_jobs()

    for name, doc_id in ids.items():
        assert client.get(f"/api/v1/documents/{doc_id}").get_json()["files"][0]["text_status"] == (
            "failed"
        ), name
        assert client.get(f"/documents/{doc_id}/thumbnail").status_code == 404, name
        page = client.get(f"/documents/{doc_id}")
        assert page.status_code == 200 and "/thumbnail" not in page.get_data(as_text=True)
    assert client.get(f"/documents/{good}/thumbnail").status_code == 200
    assert len(_thumbnail_files(Path(app.config["ARCHIVE_DATA_DIR"]))) == 1


def test_a_scan_without_text_still_gets_a_thumbnail(client, make_meeting, upload, run_jobs):
    make_meeting("12MSP")
    doc_id = upload(data=image_only_pdf(), filename="scan.pdf").get_json()["id"]
    run_jobs()
    assert client.get(f"/api/v1/documents/{doc_id}").get_json()["files"][0]["text_status"] == (
        "needs_ocr"
    )
    assert png_size(client.get(f"/documents/{doc_id}/thumbnail").get_data()) == (WIDTH, 340)


def test_the_same_bytes_again_reuse_the_thumbnail(
    app, client, make_meeting, upload, run_jobs, pdf_bytes, data_dir
):
    make_meeting("12MSP")
    content = pdf_bytes(["Same bytes twice."])
    first = upload(data=content).get_json()["id"]
    run_jobs()
    stored = _thumbnail_files(data_dir)
    assert len(stored) == 1
    mtime = stored[0].stat().st_mtime_ns
    second = upload(data=content, title="Again").get_json()["id"]
    run_jobs()
    assert _thumbnail_files(data_dir) == stored and stored[0].stat().st_mtime_ns == mtime
    assert (
        client.get(f"/documents/{second}/thumbnail").get_data()
        == client.get(f"/documents/{first}/thumbnail").get_data()
    )


def test_the_text_stands_when_the_child_dies_rendering(tmp_path):
    """The child writes the text result (one JSON line) before it renders: killed by its
    render alarm, or by the memory or CPU limit, after that line, it loses only the image."""
    line = b'{"status": "indexed", "pages": ["Text"], "page_count": 1, "reason": null}\n'
    for returncode in (-signal.SIGALRM, -signal.SIGSEGV, -signal.SIGXCPU, 86):
        result = _child_outcome(returncode, line + b"iVBORw0KGgo", b"", 60.0, 1 << 30)
        assert (result.status, result.pages, result.thumbnail) == ("indexed", ["Text"], None)
    png = encode_png(2, 1, 6, b"\x00\x00\x00\xff\xff\xff")
    whole = _child_outcome(0, line + base64.b64encode(png), b"", 60.0, 1 << 30)
    assert whole.thumbnail == png
    junk = _child_outcome(0, line + b"not base64!", b"", 60.0, 1 << 30)
    assert junk.status == "indexed" and junk.thumbnail is None


def test_check_is_quiet_about_thumbnails_and_repair_drops_orphans(
    app, runner, client, auth_headers, make_meeting, upload, run_jobs, data_dir
):
    make_meeting("12MSP")
    kept = upload(["Kept."]).get_json()["id"]
    gone = upload(["Gone for good."], title="Gone").get_json()
    run_jobs()
    assert len(_thumbnail_files(data_dir)) == 2
    with app.app_context():  # a file without a thumbnail is no problem either
        assert thumbnail_store().delete(gone["files"][0]["sha256"])
        orphan = "ab" * 32
        thumbnail_store().put(orphan, encode_png(1, 1, 3, b"\xff\xff\xff"))
        text_cache().put(orphan, ["orphan text"])
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0, result.output
    assert "thumbnail" not in result.output

    assert client.delete(f"/api/v1/documents/{gone['id']}", headers=auth_headers).status_code == 204
    result = runner.invoke(args=["check", "--repair"])
    assert result.exit_code == 0, result.output
    assert "deleted 1 thumbnails of files that no longer exist" in result.output
    assert "deleted 1 text-cache entries of files that no longer exist" in result.output
    with app.app_context():
        assert thumbnail_store().get(orphan) is None and text_cache().get(orphan) is None
    assert len(_thumbnail_files(data_dir)) == 1  # a trashed document keeps its file
    assert client.get(f"/documents/{kept}/thumbnail").status_code == 200
