"""`flask --app wsgi recordings import FILE.csv`: good rows stored, bad rows reported by line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from archive.audit.models import AuditEvent
from archive.extensions import db
from archive.recordings.importer import import_recordings
from archive.recordings.models import Recording

HEADER = "meeting,date,session,channel,url,title,duration"


@pytest.fixture
def write_csv(tmp_path: Path):
    def write(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> Path:
        path = tmp_path / "recordings.csv"
        path.write_text("\n".join([header, *lines]) + "\n", encoding=encoding)
        return path

    return write


@pytest.fixture
def invoke(runner):
    return lambda path, *extra: runner.invoke(args=["recordings", "import", str(path), *extra])


def _stored(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(select(Recording).order_by(Recording.id))
        return [
            (r.date.isoformat(), r.session, r.channel, r.url, r.title, r.duration) for r in rows
        ]


def test_good_rows_are_stored_and_bad_rows_reported_by_line(app, invoke, write_csv):
    path = write_csv(
        "12MSP,2024-09-11,afternoon,floor,https://x.org/f.mp3,Floor,3600",  # line 2
        "12MSP,2024-09-11,afternoon,en,javascript:alert(1),,",  # line 3: bad URL
        "",  # line 4: blank, skipped
        "12MSP,2024-09-14,afternoon,fr,https://x.org/fr,,",  # line 5: after the meeting
        "12MSP,2024-09-11,Afternoon,ES,https://x.org/es,,",  # line 6
        "11MSP,2024-09-11,afternoon,ru,https://x.org/ru,,",  # line 7: no such meeting
        "12MSP,2024-09-11,lunch,ru,https://x.org/ru,,",  # line 8: bad session
        "12MSP,2024-09-11,afternoon,xx,https://x.org/xx,,",  # line 9: bad channel
        "12MSP,2024-09-11,afternoon,zh,https://x.org/zh,,an hour",  # line 10: bad duration
        "12MSP,2024-09-11,afternoon,floor,https://x.org/other,,",  # line 11: taken slot
        "12MSP,2024-09-11,afternoon,ar,https://x.org/ar,,,surplus",  # line 12: extra value
    )
    result = invoke(path)
    assert result.exit_code == 1, result.output
    assert "added 2, replaced 0, unchanged 0, refused 8" in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("line ")]
    assert [line.split(":")[0] for line in lines] == [
        f"line {n}" for n in (3, 5, 7, 8, 9, 10, 11, 12)
    ]
    assert "url must be an http or https address" in lines[0]
    assert "outside the meeting's dates" in lines[1]
    assert "meeting" in lines[2] and "session" in lines[3] and "channel" in lines[4]
    assert "duration" in lines[5] and "already" in lines[6] and "more value" in lines[7]
    assert _stored(app) == [
        ("2024-09-11", "afternoon", "floor", "https://x.org/f.mp3", "Floor", 3600),
        ("2024-09-11", "afternoon", "es", "https://x.org/es", "", None),
    ]


def test_a_clean_file_exits_zero_with_a_progress_label_and_reruns_store_nothing_twice(
    app, invoke, write_csv
):
    path = write_csv(
        *(f"12MSP,2024-09-10,morning,{c},https://x.org/{c},," for c in ("floor", "en", "fr"))
    )
    first = invoke(path)
    assert first.exit_code == 0, first.output
    assert "Importing 3 recordings" in first.output
    assert "added 3, replaced 0, unchanged 0, refused 0" in first.output
    again = invoke(path)
    assert again.exit_code == 0 and "added 0, replaced 0, unchanged 3" in again.output
    assert len(_stored(app)) == 3


def test_replace_updates_taken_slots(app, invoke, write_csv):
    invoke(write_csv("12MSP,2024-09-10,morning,en,https://x.org/old,,"))
    path = write_csv("12MSP,2024-09-10,morning,en,https://x.org/new,New,60")
    refused = invoke(path)
    assert refused.exit_code == 1 and "line 2:" in refused.output
    replaced = invoke(path, "--replace")
    assert replaced.exit_code == 0 and "replaced 1" in replaced.output
    assert _stored(app) == [("2024-09-10", "morning", "en", "https://x.org/new", "New", 60)]


def test_a_refused_row_leaves_nothing_behind(app, invoke, write_csv):
    result = invoke(write_csv("12MSP,2024-09-10,morning,en,https://x.org/a,,-3"))
    assert result.exit_code == 1
    with app.app_context():
        events = select(AuditEvent).where(AuditEvent.object_type == "recording")
        assert db.session.scalars(events).all() == []
    assert _stored(app) == []


def test_columns_in_any_order_and_case_with_optional_start_time(app, invoke, write_csv):
    path = write_csv(
        '"https://x.org/a.mp3",FR,3,2024-09-12,12MSP,10:00',
        header="URL,Channel,Session,Date,Meeting,start_time",
    )
    assert invoke(path).exit_code == 0
    with app.app_context():
        recording = db.session.scalar(select(Recording))
        assert (recording.session, recording.channel, recording.start_time.isoformat()) == (
            "3",
            "fr",
            "10:00:00",
        )


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("meeting,date,session,channel,link", "Unknown column"),
        ("meeting,date,session,channel", "Missing column(s) in the header: url"),
        ("meeting,date,session,channel,url,url", "named twice"),
    ],
)
def test_a_bad_header_refuses_the_whole_file(app, invoke, write_csv, header, message):
    result = invoke(write_csv("12MSP,2024-09-10,morning,en,https://x.org/a", header=header))
    assert result.exit_code == 2
    assert message in result.output
    assert _stored(app) == []


def test_an_empty_or_non_utf8_file_is_refused(app, invoke, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert invoke(empty).exit_code == 2
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        f"{HEADER}\n12MSP,2024-09-10,morning,fr,https://x.org/a,Séance,\n".encode("latin-1")
    )
    result = invoke(latin)
    assert result.exit_code == 2 and "not UTF-8" in result.output


def test_a_missing_file_is_a_usage_error(invoke, tmp_path):
    assert invoke(tmp_path / "nope.csv").exit_code == 2


def test_the_import_is_audited_as_the_given_user(app, invoke, write_csv, make_user):
    make_user("staff@example.org", "editor")
    path = write_csv("12MSP,2024-09-10,morning,en,https://x.org/a,,")
    assert invoke(path, "--user", "nobody@example.org").exit_code == 2
    assert invoke(path, "--user", "staff@example.org").exit_code == 0
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "recording"))
        assert (event.action, event.actor) == ("recording.create", "staff@example.org")


def test_the_service_imports_without_click(app, write_csv):
    path = write_csv("12MSP,2024-09-10,morning,en,https://x.org/a,,", "12MSP,x,morning,en,,,")
    with app.app_context():
        result = import_recordings(path)
    assert result.counts["added"] == 1
    assert [r.line for r in result.refused] == [3]
    assert result.refused[0].field == "date"
