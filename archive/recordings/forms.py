"""Staff forms for recordings: a whole session at once, and one recording."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField, URLField
from wtforms.validators import Optional

from archive.recordings.media import CHANNEL_ORDER
from archive.templating import language_name

SESSION_HINT = _l("morning, afternoon, evening or a number")


def channel_label(channel: str) -> str:
    """ "Floor", or the language's name in that language."""
    return _l("Floor") if channel == "floor" else language_name(channel)


class _RecordingFields(FlaskForm):
    """What every recording of a session shares (the services check the values)."""

    date = DateField(_l("Date"), validators=[Optional()])
    session = StringField(_l("Session"), default="morning", description=SESSION_HINT)
    start_time = StringField(_l("Start time"), description=_l("HH:MM, optional"))
    title = StringField(_l("Title"), description=_l("optional"))
    duration = StringField(_l("Duration"), description=_l("seconds or h:mm:ss, optional"))


def _url_field(channel: str) -> URLField:
    return URLField(channel_label(channel), render_kw={"placeholder": "https://…"})


class SessionForm(_RecordingFields):
    """One session: one URL per channel (floor and the six languages); empty ones skipped."""

    url_floor = _url_field("floor")
    url_ar = _url_field("ar")
    url_zh = _url_field("zh")
    url_en = _url_field("en")
    url_fr = _url_field("fr")
    url_ru = _url_field("ru")
    url_es = _url_field("es")
    replace = BooleanField(_l("Replace recordings this session already has on these channels"))

    def url_fields(self) -> list:
        return [getattr(self, f"url_{channel}") for channel in CHANNEL_ORDER]

    def urls(self) -> dict[str, str]:
        return {channel: getattr(self, f"url_{channel}").data or "" for channel in CHANNEL_ORDER}

    def shared_values(self) -> dict:
        return {name: getattr(self, name).data for name in _SHARED}


class RecordingForm(_RecordingFields):
    """One recording, for editing."""

    channel = StringField(_l("Channel"), description=_l("floor, or a language code such as fr"))
    url = URLField(_l("URL"))

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in (*_SHARED, "channel", "url")}


_SHARED = ("date", "session", "start_time", "title", "duration")
