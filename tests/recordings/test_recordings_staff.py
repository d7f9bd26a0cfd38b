"""Staff pages for recordings: a whole session at once, edit, remove; access and CSRF."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from archive.documents.models import Document
from archive.extensions import db
from archive.recordings.models import Recording
from tests.conftest import csrf_from
from tests.recordings.conftest import UN_CHANNELS, portal_url

MEETING_PAGE = "/staff/meetings/12MSP"
ADD_SESSION = "/staff/meetings/12MSP/recordings"


def _recordings(app) -> dict[str, str]:
    """channel → url of every stored recording."""
    with app.app_context():
        return {r.channel: r.url for r in db.session.scalars(select(Recording))}


def _session_form(client, day="2024-09-11", session="afternoon", channels=UN_CHANNELS, **extra):
    token = csrf_from(client.get(MEETING_PAGE).get_data(as_text=True))
    urls = {f"url_{c}": portal_url(day, session, c) if c in channels else "" for c in UN_CHANNELS}
    return {"csrf_token": token, "date": day, "session": session} | urls | extra


@pytest.fixture
def recording_id(post_recording) -> int:
    return post_recording(start_time="14:30", title="Floor").get_json()["id"]


@pytest.mark.parametrize(
    ("path", "needle"),
    [(MEETING_PAGE, "Add a session"), ("/staff/recordings/{id}/edit", 'value="14:30"')],
)
@pytest.mark.parametrize("role", ["anonymous", "editor", "admin"])
def test_staff_pages_by_role(client, login, recording_id, path, needle, role):
    if role != "anonymous":
        login(role)
    response = client.get(path.format(id=recording_id))
    if role == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    else:
        assert response.status_code == 200
        assert needle in response.get_data(as_text=True)


def test_add_a_whole_session_at_once(client, login, app):
    login("editor")
    response = client.post(ADD_SESSION, data=_session_form(client, title="Second day"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/meetings/12MSP#recordings"
    assert _recordings(app) == {c: portal_url("2024-09-11", "afternoon", c) for c in UN_CHANNELS}
    page = client.get(MEETING_PAGE).get_data(as_text=True)
    assert "Saved 7 recording(s) of 11 September 2024, afternoon session." in page
    assert len(re.findall(r'href="/staff/recordings/\d+/edit"', page)) == 7
    public = client.get("/meetings/12MSP").get_data(as_text=True)
    assert public.count('class="channel external"') == 7


def test_empty_urls_are_skipped(client, login, app):
    login("editor")
    form = _session_form(client, session="2", channels=("floor", "en", "fr"))
    assert client.post(ADD_SESSION, data=form).status_code == 302
    assert sorted(_recordings(app)) == ["en", "floor", "fr"]


def test_one_bad_url_stores_none_and_keeps_what_was_typed(client, login, app):
    login("editor")
    form = _session_form(client) | {"url_fr": "javascript:alert(1)"}
    response = client.post(ADD_SESSION, data=form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert _recordings(app) == {}
    assert re.search(r'aria-invalid="true" id="url_fr"', html)
    assert "fr: url must be an http or https address." in html
    assert f'value="{portal_url("2024-09-11", "afternoon", "en")}"' in html.replace("&amp;", "&")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({f"url_{c}": "" for c in UN_CHANNELS}, "Give at least one channel"),
        ({"date": "2024-09-20"}, "date is outside the meeting"),
        ({"date": "tomorrow"}, "Not a valid date value"),
        ({"session": "lunch"}, "session must be morning"),
        ({"start_time": "9h"}, "start_time must be a time of day"),
    ],
)
def test_bad_session_values_are_refused(client, login, app, changes, message):
    login("editor")
    response = client.post(ADD_SESSION, data=_session_form(client) | changes)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _recordings(app) == {}


def test_a_recorded_session_is_replaced_only_when_asked(client, login, app):
    login("editor")
    client.post(ADD_SESSION, data=_session_form(client, channels=("floor", "en")))
    with app.app_context():
        ids = set(db.session.scalars(select(Recording.id)))
    again = _session_form(client, channels=("en", "es")) | {"url_en": "https://new.example.org/en"}
    refused = client.post(ADD_SESSION, data=again)
    assert refused.status_code == 409
    assert "This session has recordings already on: en" in refused.get_data(as_text=True)
    assert sorted(_recordings(app)) == ["en", "floor"]

    assert client.post(ADD_SESSION, data=again | {"replace": "y"}).status_code == 302
    stored = _recordings(app)
    assert stored["en"] == "https://new.example.org/en" and sorted(stored) == ["en", "es", "floor"]
    with app.app_context():
        assert ids <= set(db.session.scalars(select(Recording.id)))  # replaced in place


def test_edit_a_recording(client, login, app, recording_id):
    login("editor")
    edit = f"/staff/recordings/{recording_id}/edit"
    token = csrf_from(client.get(edit).get_data(as_text=True))
    form = {
        "csrf_token": token,
        "date": "2024-09-12",
        "session": "evening",
        "channel": "ru",
        "url": "https://x.org/ru.ogg",
        "title": "Russian",
        "start_time": "19:00",
        "duration": "1:00:00",
    }
    response = client.post(edit, data=form)
    assert response.status_code == 302
    shown = client.get(f"/api/v1/recordings/{recording_id}").get_json()
    assert shown | {"id": 0} == {
        "id": 0,
        "meeting": "12MSP",
        "date": "2024-09-12",
        "session": "evening",
        "channel": "ru",
        "url": "https://x.org/ru.ogg",
        "title": "Russian",
        "start_time": "19:00",
        "duration": 3600,
    }
    bad = client.post(edit, data=form | {"url": "data:audio/ogg;base64,AAAA"})
    assert bad.status_code == 400
    assert re.search(r'aria-invalid="true" id="url"', bad.get_data(as_text=True))
    assert client.get(f"/api/v1/recordings/{recording_id}").get_json()["url"] == form["url"]


def test_remove_a_recording_unless_a_statement_points_at_it(
    client, login, app, recording_id, post_recording, upload
):
    other = post_recording(channel="en", url="https://x.org/en").get_json()["id"]
    upload(recording=str(recording_id), recording_offset="60")
    login("editor")
    token = csrf_from(client.get(MEETING_PAGE).get_data(as_text=True))
    refused = client.post(f"/staff/recordings/{recording_id}/delete", data={"csrf_token": token})
    assert refused.status_code == 302
    assert "Not removed: Document(s) 1 point at this recording" in client.get(
        MEETING_PAGE
    ).get_data(as_text=True)
    removed = client.post(f"/staff/recordings/{other}/delete", data={"csrf_token": token})
    assert removed.status_code == 302
    assert sorted(_recordings(app)) == ["floor"]


@pytest.mark.parametrize(
    "path",
    [ADD_SESSION, "/staff/recordings/{id}/edit", "/staff/recordings/{id}/delete"],
)
def test_writes_refuse_anonymous_and_missing_csrf(client, login, app, recording_id, path):
    url = path.format(id=recording_id)
    data = {"url": "https://x.org/changed", "url_en": "https://x.org/en", "date": "2024-09-11"}
    anonymous_token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post(url, data=data | {"csrf_token": anonymous_token}).status_code == 302
    login("editor")
    assert client.post(url, data=data).status_code == 400
    assert client.post(url, data=data | {"csrf_token": "forged"}).status_code == 400
    assert _recordings(app) == {"floor": portal_url("2024-09-11", "afternoon", "floor")}


def test_an_unknown_recording_or_meeting_is_a_404(client, login):
    login("editor")
    assert client.get("/staff/recordings/999/edit").status_code == 404
    token = csrf_from(client.get(MEETING_PAGE).get_data(as_text=True))
    assert (
        client.post("/staff/meetings/NOPE/recordings", data={"csrf_token": token}).status_code
        == 404
    )


# -- a statement's recording through the staff upload and edit forms -----------------------


def test_the_upload_form_links_a_statement_to_its_moment(client, login, pdf_bytes, recording_id):
    login("editor")
    page = client.get("/staff/upload").get_data(as_text=True)
    assert 'name="recording"' in page and 'name="recording_offset"' in page
    form = {
        "csrf_token": csrf_from(page),
        "meeting": "12MSP",
        "doc_type": "statement",
        "language": "en",
        "version_label": "final",
        "status": "published",
        "title": "Chile on clearance",
        "recording": str(recording_id),
        "recording_offset": "10:32",
        "file": [(io.BytesIO(pdf_bytes()), "chile.pdf")],
    }
    results = client.post(
        "/staff/upload", data=form, headers={"Accept": "application/json"}
    ).get_json()["results"]
    assert results[0]["outcome"] == "stored", results
    document = client.get(f"/api/v1/documents/{results[0]['document_id']}").get_json()
    assert (document["recording"], document["recording_offset"]) == (recording_id, 632)


def test_the_edit_form_shows_changes_and_clears_the_recording(
    client, login, upload, recording_id, app
):
    document_id = upload(recording=str(recording_id), recording_offset="632").get_json()["id"]
    login("editor")
    edit = f"/staff/documents/{document_id}/edit"
    page = client.get(edit).get_data(as_text=True)
    assert re.search(rf'name="recording"[^>]*value="{recording_id}"', page)
    assert re.search(r'name="recording_offset"[^>]*value="632"', page)
    form = {
        "csrf_token": csrf_from(page),
        "meeting": "12MSP",
        "doc_type": "statement",
        "title": "Statement on victim assistance",
        "status": "published",
        "recording": "",
        "recording_offset": "",
    }
    assert client.post(edit, data=form).status_code == 302
    with app.app_context():
        document = db.session.get(Document, document_id)
        assert (document.recording_id, document.recording_offset) == (None, None)
        assert db.session.scalar(select(func.count(Recording.id))) == 1
