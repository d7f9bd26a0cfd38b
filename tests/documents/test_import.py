"""`flask import MANIFEST.csv`: rows by line number, duplicates skipped, refusals store nothing."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from archive.audit.models import AuditEvent
from archive.documents.models import DOC_TYPES, Document, File
from archive.extensions import db
from tests.conftest import stored_blobs

HEADER = (
    "file,meeting,doc_type,language,title,symbol,delegation,agenda_item,date,status,version_label"
)


@pytest.fixture(autouse=True)
def meeting(make_meeting):
    return make_meeting("12MSP")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "upload"
    path.mkdir()
    return path


@pytest.fixture
def write_pdf(folder, pdf_bytes):
    """Write a real PDF with these pages into the manifest's folder; returns its bytes."""

    def write(name: str, *pages: str) -> bytes:
        content = pdf_bytes(list(pages) or [f"The text of {name}."])
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
        return content

    return write


@pytest.fixture
def write_manifest(folder):
    """Write manifest.csv from the header and rows of dicts (missing cells are empty)."""

    def write(rows: list[dict], *, header: str = HEADER, encoding: str = "utf-8") -> Path:
        columns = header.split(",")
        path = folder / "manifest.csv"
        with path.open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in rows:
                writer.writerow([row.get(c, "") for c in columns])
        return path

    return write


def row(file: str, **fields) -> dict:
    """A good statement row, with fields overriding its values."""
    return {
        "file": file,
        "meeting": "12MSP",
        "doc_type": "statement",
        "language": "en",
        "title": f"Statement {file}",
        "agenda_item": "7",
        "date": "2024-09-11",
        "status": "published",
    } | fields


def counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Document.id))),
            db.session.scalar(select(func.count(File.id))),
        )


def summary_lines(output: str) -> list[str]:
    """The summary and the refused rows: everything after the progress bar's label."""
    lines = output.strip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("imported "))
    return lines[start:]


def import_(runner, path: Path, *extra: str):
    return runner.invoke(args=["import", str(path), *extra])


def test_the_issue_check_good_missing_bad_and_duplicate_rows(
    runner, app, client, auth_headers, write_pdf, write_manifest, data_dir
):
    chile = write_pdf("statements/chile.pdf", "Chile on clearance deadlines.")
    write_pdf("statements/france.pdf", "La France et l'assistance aux victimes.")
    write_pdf("statements/bad.pdf", "A statement of an unknown type.")
    manifest = write_manifest(
        [
            row("statements/chile.pdf", title="Statement by Chile", delegation="CHL"),
            row("statements/france.pdf", language="fr", symbol="CCM/MSP/2024/ST.2"),
            row("statements/missing.pdf"),
            row("statements/bad.pdf", doc_type="speech"),
            row("statements/chile.pdf", title="Statement by Chile", delegation="CHL"),
        ]
    )
    result = import_(runner, manifest)
    assert result.exit_code == 1, result.output
    assert summary_lines(result.output) == [
        "imported 2, added versions 0, duplicates 1, refused 2",
        "line 4: file not found: statements/missing.pdf",
        f"line 5: doc_type must be one of: {', '.join(DOC_TYPES)}.",
    ]
    assert counts(app) == (2, 2)
    assert len(stored_blobs(data_dir)) == 2  # the bad row's PDF was not stored
    documents = client.get("/api/v1/meetings/12MSP", headers=auth_headers).get_json()["documents"]
    by_title = {d["title"]: d for d in documents}
    assert set(by_title) == {"Statement by Chile", "Statement statements/france.pdf"}
    chile_doc = by_title["Statement by Chile"]
    assert chile_doc["delegation"] == "CHL" and chile_doc["status"] == "published"
    assert chile_doc["date"] == "2024-09-11" and chile_doc["agenda_item"] == "7"
    (file,) = chile_doc["files"]
    assert file["sha256"] == hashlib.sha256(chile).hexdigest()
    assert file["original_filename"] == "chile.pdf" and file["version_label"] == "final"
    assert by_title["Statement statements/france.pdf"]["symbol"] == "CCM/MSP/2024/ST.2"

    again = import_(runner, manifest)
    assert again.exit_code == 1, again.output
    assert summary_lines(again.output) == [
        "imported 0, added versions 0, duplicates 3, refused 2",
        "line 4: file not found: statements/missing.pdf",
        f"line 5: doc_type must be one of: {', '.join(DOC_TYPES)}.",
    ]
    assert counts(app) == (2, 2)
    assert len(stored_blobs(data_dir)) == 2


def test_a_clean_manifest_exits_zero_with_a_progress_label(runner, write_pdf, write_manifest):
    write_pdf("a.pdf")
    result = import_(runner, write_manifest([row("a.pdf")]))
    assert result.exit_code == 0, result.output
    assert "Importing 1 rows" in result.output
    assert summary_lines(result.output) == ["imported 1, added versions 0, duplicates 0, refused 0"]


def test_advance_then_final_keeps_both_and_the_final_is_current(
    runner, app, client, write_pdf, write_manifest
):
    advance_pdf = write_pdf("report-advance.pdf", "Final report, advance copy.")
    final_pdf = write_pdf("report-final.pdf", "Final report as adopted.")
    report = dict(doc_type="final_report", title="Final report", symbol="CCM/MSP/2024/10")
    manifest = write_manifest(
        [
            row("report-advance.pdf", version_label="advance", **report),
            row("report-final.pdf", version_label="final", **report),
        ]
    )
    result = import_(runner, manifest)
    assert result.exit_code == 0, result.output
    assert summary_lines(result.output) == ["imported 1, added versions 1, duplicates 0, refused 0"]
    with app.app_context():
        document = db.session.scalar(select(Document))
        versions = {f.version_label: f.is_current for f in document.files}
        document_id = document.id
    assert versions == {"advance": False, "final": True}
    url = f"/documents/{document_id}/download"
    final, advance = (
        client.get(url, buffered=True),
        client.get(url + "?version=advance", buffered=True),
    )
    assert final.data == final_pdf and advance.data == advance_pdf
    assert import_(runner, manifest).output.count("duplicates 2") == 1


def test_language_versions_of_one_symbol_make_one_document(runner, app, write_pdf, write_manifest):
    rows = []
    for language in ("en", "fr", "es"):
        write_pdf(f"wp1-{language}.pdf", f"Working paper 1 in {language}.")
        rows.append(
            row(
                f"wp1-{language}.pdf",
                language=language,
                doc_type="working_paper",
                title="Working paper on clearance",
                symbol="CCM/MSP/2024/WP.1",
            )
        )
    result = import_(runner, write_manifest(rows))
    assert result.exit_code == 0, result.output
    assert summary_lines(result.output)[0] == (
        "imported 1, added versions 2, duplicates 0, refused 0"
    )
    with app.app_context():
        (document,) = db.session.scalars(select(Document))
        assert document.languages == ["en", "fr", "es"]
        assert all(f.version_label == "final" and f.is_current for f in document.files)


def test_a_new_file_under_an_existing_label_is_refused(
    runner, app, write_pdf, write_manifest, data_dir
):
    write_pdf("first.pdf", "The first text.")
    write_pdf("second.pdf", "Different bytes, same label.")
    same = dict(symbol="CCM/MSP/2024/ST.9", title="Statement")
    result = import_(runner, write_manifest([row("first.pdf", **same), row("second.pdf", **same)]))
    assert result.exit_code == 1
    (refused,) = summary_lines(result.output)[1:]
    assert refused.startswith("line 3: Document ") and "labelled 'final'" in refused
    assert refused.endswith("(version_label)")
    assert counts(app) == (1, 1) and len(stored_blobs(data_dir)) == 1


def test_a_manifest_with_a_bom_and_accented_text(runner, app, write_pdf, write_manifest):
    write_pdf("fra.pdf", "Déclaration de la France.")
    title = "Déclaration de la France sur l'assistance aux victimes"
    manifest = write_manifest(
        [row("fra.pdf", language="fr", title=title, delegation="fra")], encoding="utf-8-sig"
    )
    assert manifest.read_bytes().startswith(b"\xef\xbb\xbf")
    result = import_(runner, manifest)
    assert result.exit_code == 0, result.output
    with app.app_context():
        document = db.session.scalar(select(Document))
        assert document.title == title and document.delegation.code == "FRA"


def test_paths_that_leave_the_manifest_folder_are_refused(
    runner, app, tmp_path, folder, pdf_bytes, write_pdf, write_manifest, data_dir
):
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(pdf_bytes(["Outside the folder."]))
    (folder / "link.pdf").symlink_to(outside)
    write_pdf("inside.pdf")
    manifest = write_manifest(
        [
            row("../outside.pdf"),
            row(str(outside)),
            row("link.pdf"),
            row("sub/../../outside.pdf"),
            row("inside.pdf"),
        ]
    )
    result = import_(runner, manifest)
    assert result.exit_code == 1
    lines = summary_lines(result.output)
    assert lines[0] == "imported 1, added versions 0, duplicates 0, refused 4"
    assert lines[1:] == [
        f"line {n}: file must be a path inside the manifest's folder: {name}"
        for n, name in [
            (2, "../outside.pdf"),
            (3, outside),
            (4, "link.pdf"),
            (5, "sub/../../outside.pdf"),
        ]
    ]
    assert counts(app) == (1, 1) and len(stored_blobs(data_dir)) == 1


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"delegation": "XYZ"}, "Unknown delegation code 'XYZ'."),
        ({"meeting": "99MSP"}, "No meeting with code '99MSP'."),
        ({"language": "xx"}, "language must be an ISO 639-1 code such as en or fr."),
        ({"title": ""}, "title is required."),
        ({"status": "final"}, "status must be one of: draft, published, withdrawn."),
        ({"date": "11/09/2024"}, "date must be a date as YYYY-MM-DD."),
        ({"file": ""}, "file is required."),
    ],
)
def test_a_bad_value_refuses_its_row_only(
    runner, app, write_pdf, write_manifest, data_dir, fields, reason
):
    write_pdf("good.pdf", "A good statement.")
    write_pdf("bad.pdf", "A statement with a bad value.")
    manifest = write_manifest([row("bad.pdf") | fields, row("good.pdf")])
    result = import_(runner, manifest)
    assert result.exit_code == 1
    assert summary_lines(result.output) == [
        "imported 1, added versions 0, duplicates 0, refused 1",
        f"line 2: {reason}",
    ]
    assert counts(app) == (1, 1) and len(stored_blobs(data_dir)) == 1


def test_a_file_that_is_not_a_pdf_is_refused_and_not_stored(
    runner, app, folder, write_manifest, data_dir
):
    (folder / "notes.pdf").write_text("just text")
    (folder / "empty.pdf").write_bytes(b"")
    result = import_(runner, write_manifest([row("notes.pdf"), row("empty.pdf")]))
    assert result.exit_code == 1
    lines = summary_lines(result.output)
    assert lines[1].startswith("line 2: The file is not a PDF")
    assert lines[2] == "line 3: The file is empty."
    assert counts(app) == (0, 0) and stored_blobs(data_dir) == []


def test_line_numbers_count_blank_lines_and_multi_line_values(runner, folder, write_pdf):
    write_pdf("a.pdf")
    manifest = folder / "manifest.csv"
    manifest.write_text(
        HEADER + "\n"
        'a.pdf,12MSP,statement,en,"A title\non two lines",,,,,published,\n'
        "\n"
        "a.pdf,12MSP,speech,en,Other,,,,,published,\n"
        "a.pdf,12MSP,statement,en,Third,,,,,published,,surplus\n",
        encoding="utf-8",
    )
    result = import_(runner, manifest)
    assert summary_lines(result.output) == [
        "imported 1, added versions 0, duplicates 0, refused 2",
        f"line 5: doc_type must be one of: {', '.join(DOC_TYPES)}.",
        "line 6: the row has 1 more value(s) than the header has columns.",
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (HEADER.replace(",status", ""), "Missing column(s) in the header: status."),
        (
            HEADER.replace("delegation", "delegaton"),
            "Unknown column(s) in the header: 'delegaton'.",
        ),
        (HEADER + ",file", "Column(s) named twice in the header: file."),
    ],
)
def test_a_bad_header_refuses_the_whole_manifest(
    runner, app, write_pdf, write_manifest, data_dir, header, message
):
    write_pdf("a.pdf")
    result = import_(runner, write_manifest([row("a.pdf")], header=header))
    assert result.exit_code == 2
    assert message in result.output
    assert counts(app) == (0, 0) and stored_blobs(data_dir) == []


def test_optional_and_reordered_columns_in_any_case_are_accepted(
    runner, app, write_pdf, write_manifest
):
    write_pdf("a.pdf")
    columns = HEADER.split(",")
    header = ",".join(c.upper() for c in reversed(columns)) + ",recording,recording_offset"
    result = import_(runner, write_manifest([row("a.pdf")], header=header))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The manifest is empty"),
        (HEADER.encode() + b"\na.pdf,12MSP,statement,en,D\xe9claration,,,,,,\n", "not UTF-8"),
    ],
)
def test_an_empty_or_non_utf8_manifest_is_refused(runner, app, folder, content, message):
    manifest = folder / "manifest.csv"
    manifest.write_bytes(content)
    result = import_(runner, manifest)
    assert result.exit_code == 2 and message in result.output
    assert counts(app) == (0, 0)


def test_a_missing_manifest_is_a_usage_error(runner, folder):
    result = import_(runner, folder / "nowhere.csv")
    assert result.exit_code == 2 and "does not exist" in result.output


def test_text_is_extracted_after_import(runner, app, client, write_pdf, write_manifest, run_jobs):
    write_pdf("chile.pdf", "Chile reaffirms its clearance deadlines.")
    write_pdf("france.pdf", "La France soutient l'assistance aux victimes.")
    manifest = write_manifest(
        [
            row("chile.pdf", title="Statement by Chile"),
            row("france.pdf", language="fr", title="Déclaration de la France"),
        ]
    )
    assert import_(runner, manifest).exit_code == 0
    assert run_jobs() >= 2
    with app.app_context():
        assert set(db.session.scalars(select(File.text_status))) == {"indexed"}
    body = client.get("/api/v1/search?q=clearance").get_json()
    assert body["total"] == 1


def test_the_import_is_audited_as_system_or_as_the_given_user(
    runner, app, make_user, write_pdf, write_manifest
):
    write_pdf("a.pdf")
    write_pdf("b.pdf")
    assert import_(runner, write_manifest([row("a.pdf")])).exit_code == 0
    make_user("importer@example.org")
    result = import_(runner, write_manifest([row("b.pdf")]), "--user", "Importer@example.org")
    assert result.exit_code == 0, result.output
    with app.app_context():
        actors = db.session.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "document.create")
        )
        assert list(actors) == ["system", "importer@example.org"]
    unknown = import_(runner, write_manifest([row("b.pdf")]), "--user", "nobody@example.org")
    assert unknown.exit_code == 2 and "No active user" in unknown.output


def test_a_document_in_the_trash_gets_no_new_file(runner, app, write_pdf, write_manifest):
    from archive.documents.services import delete_document

    write_pdf("first.pdf", "The first text.")
    write_pdf("second.pdf", "A corrected text.")
    same = dict(symbol="CCM/MSP/2024/ST.3", title="Statement")
    assert import_(runner, write_manifest([row("first.pdf", **same)])).exit_code == 0
    with app.app_context():
        delete_document(None, db.session.scalar(select(Document)))
    rows = [row("first.pdf", **same), row("second.pdf", version_label="rev.1", **same)]
    result = import_(runner, write_manifest(rows))
    assert result.exit_code == 1
    (counts_line, refused) = summary_lines(result.output)
    assert counts_line == "imported 0, added versions 0, duplicates 1, refused 1"
    assert refused.startswith("line 3: the row matches document ") and "in the trash" in refused
    assert counts(app) == (1, 1)


def test_a_row_matching_several_documents_is_refused(
    runner, app, upload, write_pdf, write_manifest
):
    for text in ("One.", "Two."):
        assert upload([text], symbol="CCM/MSP/2024/ST.4").status_code == 201
    write_pdf("third.pdf", "Three.")
    rows = [row("third.pdf", language="fr", symbol="CCM/MSP/2024/ST.4")]
    result = import_(runner, write_manifest(rows))
    assert result.exit_code == 1
    assert summary_lines(result.output)[1].startswith("line 2: the row matches several documents")
    assert counts(app) == (2, 2)


def test_the_service_imports_without_click(app, write_pdf, write_manifest):
    from archive.documents.importer import import_manifest

    write_pdf("a.pdf")
    manifest = write_manifest([row("a.pdf"), row("a.pdf"), row("nowhere.pdf")])
    steps = []
    with app.app_context():
        summary = import_manifest(manifest, progress=steps.append)
    assert (summary.imported, summary.added, summary.duplicates) == (1, 0, 1)
    assert [r.describe() for r in summary.refused] == ["line 4: file not found: nowhere.pdf"]
    assert steps == [1, 1, 1]
