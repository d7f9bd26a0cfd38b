"""Fixtures for recordings: the 12MSP meeting (10–13 September 2024) and recordings of it."""

from __future__ import annotations

import pytest

UN_CHANNELS = ("floor", "ar", "zh", "en", "fr", "ru", "es")
NATIVE_NAMES = {
    "floor": "Floor",
    "ar": "العربية",
    "zh": "中文",
    "en": "English",
    "fr": "Français",
    "ru": "Русский",
    "es": "Español",
}


def portal_url(day: str, session: str, channel: str) -> str:
    return f"https://media.example.org/portal/12msp/{day}/{session}?channel={channel}"


def audio_url(day: str, session: str, channel: str) -> str:
    return f"https://media.example.org/audio/12msp-{day}-{session}-{channel}.mp3"


@pytest.fixture(autouse=True)
def meeting(make_meeting):
    return make_meeting("12MSP")


@pytest.fixture
def post_recording(client, auth_headers):
    """POST a recording of 12MSP through the API; returns the response."""

    def post(headers: dict | None = None, query: str = "", **fields):
        body = {
            "date": "2024-09-11",
            "session": "afternoon",
            "channel": "floor",
            "url": portal_url("2024-09-11", "afternoon", "floor"),
        } | fields
        return client.post(
            f"/api/v1/meetings/12MSP/recordings{query}",
            json=body,
            headers=auth_headers if headers is None else headers,
        )

    return post


@pytest.fixture
def add_session(post_recording):
    """Add every UN channel of one session; returns {channel: recording id}."""

    def add(day: str = "2024-09-11", session: str = "afternoon", url=portal_url, channels=None):
        ids = {}
        for channel in channels or UN_CHANNELS:
            response = post_recording(
                date=day, session=session, channel=channel, url=url(day, session, channel)
            )
            assert response.status_code == 201, response.get_json()
            ids[channel] = response.get_json()["id"]
        return ids

    return add
