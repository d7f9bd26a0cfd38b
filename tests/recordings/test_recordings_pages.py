"""Recordings on the public pages: the meeting's grid, a statement's moment, search results."""

from __future__ import annotations

import re
from html import unescape

import pytest

from archive.errors import ValidationError
from archive.recordings.media import format_offset, is_direct_audio, moment_url, parse_offset
from tests.recordings.conftest import NATIVE_NAMES, UN_CHANNELS, audio_url, portal_url

CHANNEL_LINK = re.compile(
    r'<a class="channel (external|audio)" href="([^"]+)"([^>]*)>'
    r'<span class="channel-name"([^>]*)>([^<]+)</span>'
)


def _channel_links(html: str) -> list[tuple[str, str, str, str]]:
    """(kind, href, the link's attributes and its name's, name) of each channel link."""
    return [
        (kind, unescape(href), attrs + name_attrs, name)
        for kind, href, attrs, name_attrs, name in CHANNEL_LINK.findall(html)
    ]


def test_two_days_of_two_sessions_give_28_links_named_in_their_languages(client, add_session):
    for day in ("2024-09-10", "2024-09-11"):
        for session in ("afternoon", "morning"):
            add_session(day, session)
    html = client.get("/meetings/12MSP").get_data(as_text=True)
    links = _channel_links(html)
    assert len(links) == 28
    assert all(kind == "external" for kind, *_ in links)
    assert [text for *_, text in links[:7]] == [NATIVE_NAMES[c] for c in UN_CHANNELS]
    for name in NATIVE_NAMES.values():
        assert sum(text == name for *_, text in links) == 4
    assert all('rel="noopener noreferrer"' in attrs for _, _, attrs, _ in links)
    assert ('lang="ar"' in links[1][2]) and ("lang=" not in links[0][2])  # floor has no language
    # days down (10 before 11 September), sessions across (morning before afternoon)
    assert html.index("10 September 2024") < html.index("11 September 2024")
    assert html.index(">Morning session<") < html.index(">Afternoon session<")
    assert links[0][1] == portal_url("2024-09-10", "morning", "floor")
    assert "<audio" not in html
    assert "↗" in html and "external recordings portal" in html


def test_sessions_run_morning_afternoon_evening_then_by_number(client, add_session):
    for session in ("10", "evening", "2", "afternoon", "morning"):
        add_session("2024-09-12", session, channels=["en"])
    html = client.get("/meetings/12MSP").get_data(as_text=True)
    headers = re.findall(r'<th scope="col">([^<]+)</th>', html)
    assert headers == [
        "Day",
        "Morning session",
        "Afternoon session",
        "Evening session",
        "Session 2",
        "Session 10",
    ]


def test_a_missing_session_leaves_an_empty_cell(client, add_session):
    add_session("2024-09-10", "morning", channels=["floor"])
    add_session("2024-09-11", "afternoon", channels=["floor"])
    html = client.get("/meetings/12MSP").get_data(as_text=True)
    assert html.count("no recording") == 2
    assert len(_channel_links(html)) == 2


def test_a_direct_audio_file_gets_a_player(client, add_session):
    add_session("2024-09-10", "morning", url=audio_url, channels=["floor", "fr"])
    add_session("2024-09-10", "afternoon", channels=["en"])
    html = client.get("/meetings/12MSP").get_data(as_text=True)
    players = re.findall(r'<audio controls preload="none" src="([^"]+)"', html)
    assert [unescape(src) for src in players] == [
        audio_url("2024-09-10", "morning", "floor"),
        audio_url("2024-09-10", "morning", "fr"),
    ]
    kinds = [kind for kind, *_ in _channel_links(html)]
    assert kinds == ["audio", "audio", "external"]


def test_no_recordings_no_section(client):
    assert "Recordings" not in client.get("/meetings/12MSP").get_data(as_text=True)


def test_a_hostile_title_or_url_is_escaped(client, post_recording):
    post_recording(url='https://x.org/a"><script>alert(1)</script>.mp3', title="<b>x</b>")
    html = client.get("/meetings/12MSP").get_data(as_text=True)
    assert "<script>alert(1)" not in html


# -- a statement at its moment -------------------------------------------------------------


@pytest.fixture
def statement(add_session, upload, post_recording):
    """A statement delivered 10:32 into the floor recording of 11 September, afternoon.

    Floor, Arabic and French are audio files; the other channels are on the portal.
    """
    audio_channels = ("floor", "ar", "fr")
    ids = add_session(
        "2024-09-11",
        "afternoon",
        url=lambda d, s, c: (audio_url if c in audio_channels else portal_url)(d, s, c),
    )
    post_recording(date="2024-09-11", session="morning", channel="en", url="https://x.org/m")
    document = upload(recording=str(ids["floor"]), recording_offset="10:32").get_json()
    assert document["recording_offset"] == 632
    return document


def test_the_statement_page_shows_when_it_was_delivered(client, statement):
    html = client.get(f"/documents/{statement['id']}").get_data(as_text=True)
    assert "Delivered on 11 September 2024, afternoon session — listen from 10:32" in html
    section = html[html.index('id="delivered"') :]
    links = _channel_links(section)
    assert [text for *_, text in links] == [NATIVE_NAMES[c] for c in UN_CHANNELS]
    hrefs = {text: href for _, href, _, text in links}
    assert hrefs["Floor"] == audio_url("2024-09-11", "afternoon", "floor") + "#t=632"
    assert hrefs["Français"] == audio_url("2024-09-11", "afternoon", "fr") + "#t=632"
    assert hrefs["English"] == portal_url("2024-09-11", "afternoon", "en")
    assert section.count("(from 10:32)") == 4  # the portal channels show the time as text
    assert 'src="https://media.example.org/audio/12msp-2024-09-11-afternoon-ar.mp3#t=632"' in html
    assert "https://x.org/m" not in section  # another session's recording


def test_a_statement_without_an_offset_links_to_the_start(client, statement, auth_headers):
    client.patch(
        f"/api/v1/documents/{statement['id']}", json={"recording_offset": ""}, headers=auth_headers
    )
    html = client.get(f"/documents/{statement['id']}").get_data(as_text=True)
    assert "Delivered on 11 September 2024, afternoon session — listen</p>" in html
    assert "#t=" not in html


def test_a_document_without_a_recording_shows_none(client, upload, add_session):
    add_session(channels=["floor"])
    document = upload().get_json()
    assert "Delivered on" not in client.get(f"/documents/{document['id']}").get_data(as_text=True)


def test_search_results_carry_a_listen_link(client, statement, upload, run_jobs):
    upload(["Victim assistance, and nothing delivered."], title="Paper", doc_type="working_paper")
    run_jobs()
    html = client.get("/search?q=victim").get_data(as_text=True)
    assert html.count('class="listen"') == 1
    listen = re.search(r'<p class="listen"><a href="([^"]+)"[^>]*>([^<]+)</a>', html)
    # the result is in English: the English channel (a portal page: no media fragment)
    assert unescape(listen.group(1)) == portal_url("2024-09-11", "afternoon", "en")
    assert listen.group(2) == "Listen from 10:32"


def test_a_statement_in_french_listens_on_the_french_channel(client, statement, upload, run_jobs):
    french = upload(
        ["Assistance aux victimes."],
        language="fr",
        title="Déclaration",
        recording=str(statement["recording"]),
        recording_offset="75",
    ).get_json()
    run_jobs()
    html = client.get("/search?q=victimes&language=fr").get_data(as_text=True)
    assert f"/documents/{french['id']}" in html
    listen = re.search(r'<p class="listen"><a href="([^"]+)"', html)
    assert unescape(listen.group(1)) == audio_url("2024-09-11", "afternoon", "fr") + "#t=75"
    assert "Listen from 1:15" in html


# -- helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (59, "0:59"), (632, "10:32"), (3725, "1:02:05")]
)
def test_format_offset(seconds, text):
    assert format_offset(seconds) == text
    assert parse_offset(text) == seconds


@pytest.mark.parametrize("bad", ["-1", "1:60", "1:2", "1:60:00", "ten", "10:32:"])
def test_parse_offset_refuses_what_is_not_a_time(bad):
    with pytest.raises(ValidationError):
        parse_offset(bad)


@pytest.mark.parametrize(
    ("url", "audio"),
    [
        ("https://x.org/a.mp3", True),
        ("https://x.org/a.M4A?token=1", True),
        ("http://x.org/path/a.ogg#x", True),
        ("https://x.org/a.wav", True),
        ("https://x.org/a.mp3.html", False),
        ("https://x.org/player?file=a.mp3", False),
        ("https://x.org/", False),
    ],
)
def test_direct_audio_is_told_by_the_path(url, audio):
    assert is_direct_audio(url) is audio


def test_moment_url_replaces_any_fragment():
    assert moment_url("https://x.org/a.mp3#old", 5) == "https://x.org/a.mp3#t=5"
    assert moment_url("https://x.org/page#old", 5) == "https://x.org/page#old"
    assert moment_url("https://x.org/a.mp3", None) == "https://x.org/a.mp3"
