"""Pure helpers about recordings: session and channel order, audio files, moments in time."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from archive.errors import ValidationError
from archive.validation import MAX_INT

NAMED_SESSIONS = ("morning", "afternoon", "evening")
#: floor first, then the six UN languages in the UN's order
CHANNEL_ORDER = ("floor", "ar", "zh", "en", "fr", "ru", "es")
#: file endings that a browser's <audio> element plays directly
AUDIO_SUFFIXES = (".mp3", ".m4a", ".ogg", ".wav")

_OFFSET_RE = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")


def session_sort_key(session: str) -> tuple[int, int, str]:
    """Morning, afternoon, evening, then numbered sessions in numeric order."""
    if session in NAMED_SESSIONS:
        return (0, NAMED_SESSIONS.index(session), session)
    if session.isdigit():
        return (1, int(session), session)
    return (2, 0, session)


def channel_sort_key(channel: str) -> tuple[int, str]:
    """Floor, Arabic, Chinese, English, French, Russian, Spanish, then others by code."""
    if channel in CHANNEL_ORDER:
        return (CHANNEL_ORDER.index(channel), channel)
    return (len(CHANNEL_ORDER), channel)


def session_label(session: str) -> str:
    """ "afternoon session", or "session 3" for a numbered one."""
    return f"{session} session" if session in NAMED_SESSIONS else f"session {session}"


def is_direct_audio(url: str) -> bool:
    """Whether the URL's path names an audio file a browser plays (not a portal page)."""
    return urlsplit(url).path.lower().endswith(AUDIO_SUFFIXES)


def moment_url(url: str, offset: int | None) -> str:
    """The URL at `offset` seconds: a `#t=` media fragment for audio files, else unchanged."""
    if not offset or not is_direct_audio(url):
        return url
    return urlunsplit(urlsplit(url)._replace(fragment=f"t={offset}"))


def format_offset(seconds: int) -> str:
    """632 → "10:32"; 3725 → "1:02:05"."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def parse_offset(value: object, field: str = "recording_offset") -> int | None:
    """Seconds from "632", "10:32" or "1:02:05"; None when empty."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if text.isdecimal():  # not isdigit: int() refuses "²"
        return _bounded_seconds(int(text), field)
    match = _OFFSET_RE.match(text)
    if match is None or int(match.group(3)) >= 60 or (match.group(1) and int(match.group(2)) >= 60):
        raise ValidationError(
            f"{field} must be seconds (632) or minutes:seconds (10:32).", field=field
        )
    hours, minutes, secs = (int(g or 0) for g in match.groups())
    return _bounded_seconds(hours * 3600 + minutes * 60 + secs, field)


def _bounded_seconds(seconds: int, field: str) -> int:
    """Seconds that fit a database integer (about 68 years)."""
    if seconds > MAX_INT:
        raise ValidationError(f"{field} is too large.", field=field)
    return seconds
