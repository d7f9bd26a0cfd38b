"""The interface in the six UN languages: which language a request gets, and localised labels.

The language comes from `?lang=xx` (then remembered in the `lang` cookie for a year), else the
cookie, else the best match of `Accept-Language`, else English. Document content (titles,
symbols, text) is never translated: only the interface around it.
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from babel.dates import format_interval
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request
from flask_babel import Babel, format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from archive import templating

#: the interface languages, in the UN's order
LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
DEFAULT_LANGUAGE = "en"
RIGHT_TO_LEFT = frozenset({"ar"})
COOKIE_NAME = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"

DOC_TYPE_LABELS = {
    "final_report": _l("Final Report"),
    "statement": _l("Statement"),
    "working_paper": _l("Working Paper"),
    "official_document": _l("Official Document"),
    "information_note": _l("Information Note"),
    "presentation": _l("Presentation"),
    "press_release": _l("Press Release"),
    "other": _l("Document"),
}
#: a meeting page's section headings: one heading per type, over a list of documents
DOC_TYPE_HEADINGS = {
    "final_report": _l("Final Report"),
    "statement": _l("Statements"),
    "working_paper": _l("Working Papers"),
    "official_document": _l("Official Documents"),
    "information_note": _l("Information Notes"),
    "presentation": _l("Presentations"),
    "press_release": _l("Press Releases"),
    "other": _l("Other documents"),
}
STATUS_LABELS = {
    "draft": _l("draft"),
    "published": _l("published"),
    "withdrawn": _l("withdrawn"),
}
TEXT_STATUS_LABELS = {
    "pending": _l("pending"),
    "indexed": _l("indexed"),
    "failed": _l("failed"),
    "needs_ocr": _l("needs OCR"),
}
ROLE_LABELS = {"admin": _l("admin"), "editor": _l("editor")}
SESSION_LABELS = {
    "morning": _l("morning session"),
    "afternoon": _l("afternoon session"),
    "evening": _l("evening session"),
}
UPLOAD_OUTCOMES = {"stored": _l("stored"), "duplicate": _l("duplicate"), "refused": _l("refused")}


def current_language() -> str:
    """The interface language of this request ("en" outside one)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def text_direction(language: str | None = None) -> str:
    """ "rtl" for Arabic, else "ltr"."""
    return "rtl" if (language or current_language()) in RIGHT_TO_LEFT else "ltr"


def select_language() -> str:
    """?lang= (one of the six), else the cookie, else Accept-Language, else English."""
    wanted = request.args.get("lang", "")
    if wanted in LANGUAGES:
        return wanted
    remembered = request.cookies.get(COOKIE_NAME, "")
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def language_links() -> list[dict]:
    """The switcher: this page (path and query kept) in each language, named in itself."""
    current = current_language()
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return [
        {
            "code": code,
            "name": templating.NATIVE_LANGUAGE_NAMES[code],
            "url": f"{request.script_root}{request.path}?{urlencode([*query, ('lang', code)])}",
            "current": code == current,
        }
        for code in LANGUAGES
    ]


def long_date(value: date | None) -> str:
    """A date in the interface language: 10 September 2024, 10 septembre 2024, 2024年9月10日."""
    if not value:
        return ""
    if current_language() == "en":
        return templating.long_date(value)
    return format_date(value, "long")


def date_range(start: date | None, end: date | None) -> str:
    """10–13 September 2024 in the interface language."""
    if current_language() == "en":
        return templating.date_range(start, end)
    if not start:
        return ""
    if not end or end == start:
        return long_date(start)
    return format_interval(start, end, "yMMMMd", locale=get_locale())


def doc_type_label(doc_type: str) -> str:
    return str(DOC_TYPE_LABELS.get(doc_type, doc_type))


def doc_type_heading(doc_type: str) -> str:
    return str(DOC_TYPE_HEADINGS.get(doc_type, doc_type))


def title_language(document) -> str:
    """The language of a document's title: its only language, else English (the metadata's)."""
    languages = sorted({file.language for file in document.current_files})
    if len(languages) == 1:
        return languages[0]
    return "en" if "en" in languages or not languages else languages[0]


def delegation_name(delegation) -> str:
    """A delegation's name in the interface language when the archive has it."""
    names = getattr(delegation, "names", None) or {}
    return names.get(current_language()) or delegation.name


def _label(labels: dict):
    def translate(value) -> str:
        return str(labels[value]) if value in labels else (value or "")

    return translate


def script_messages() -> dict[str, str]:
    """What the page's scripts write into it, in the interface language (a data attribute)."""
    return {
        **{f"status_{key}": str(label) for key, label in TEXT_STATUS_LABELS.items()},
        **{f"outcome_{key}": str(label) for key, label in UPLOAD_OUTCOMES.items()},
        "files_chosen": _("Files chosen:"),
        "uploaded": _("Uploaded:"),
        "upload_finished": _("Upload finished."),
        "upload_failed": _("The upload failed (HTTP status %(status)s).", status="{status}"),
        "no_answer": _("The upload failed: no answer from the server."),
    }


def session_label(session: str) -> str:
    """ "afternoon session", or "session 3" for a numbered one, in the interface language."""
    if session in SESSION_LABELS:
        return str(SESSION_LABELS[session])
    return _("session %(number)s", number=session)


def file_size(size: int | None) -> str:
    if size is not None and size < 1024:
        return _("%(count)s bytes", count=size)
    return templating.file_size(size)


def compile_catalogues(directory: Path = TRANSLATIONS_DIR) -> list[Path]:
    """Compile each .po whose .mo is missing or older (`make translations` does the same)."""
    compiled = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        handle, temporary = tempfile.mkstemp(dir=po_path.parent, suffix=".mo.tmp")
        with os.fdopen(handle, "wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(temporary, mo_path)  # atomic: a concurrent reader sees the old or the new
        compiled.append(mo_path)
    return compiled


def init_i18n(app: Flask) -> None:
    """Flask-Babel, the language cookie, and the template helpers that follow the language."""
    try:
        compile_catalogues()
    except OSError as err:  # a read-only install: `make translations` should have run
        app.logger.warning("Could not compile the message catalogues: %s", err)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS_DIR))
    Babel(app, locale_selector=select_language)
    app.jinja_env.filters.update(
        long_date=long_date,
        doc_type_label=doc_type_label,
        doc_type_heading=doc_type_heading,
        status_label=_label(STATUS_LABELS),
        text_status_label=_label(TEXT_STATUS_LABELS),
        role_label=_label(ROLE_LABELS),
        outcome_label=_label(UPLOAD_OUTCOMES),
        file_size=file_size,
        text_direction=text_direction,
        session_label=session_label,
        title_language=title_language,
        delegation_name=delegation_name,
    )
    app.jinja_env.globals.update(
        date_range=date_range,
        current_language=current_language,
        text_direction=text_direction,
        language_links=language_links,
        script_messages=script_messages,
    )

    @app.after_request
    def remember_language(response):
        """?lang= is remembered for a year; pages say which language they are in."""
        wanted = request.args.get("lang", "")
        if wanted in LANGUAGES and request.cookies.get(COOKIE_NAME) != wanted:
            response.set_cookie(
                COOKIE_NAME,
                wanted,
                max_age=COOKIE_MAX_AGE,
                samesite="Lax",
                secure=request.is_secure,
                httponly=True,
            )
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Language", current_language())
            response.vary.update(("Accept-Language", "Cookie"))
        return response
