"""Template helpers shared by every page, and response headers for safety."""

from __future__ import annotations

from datetime import date

import pycountry
from flask import Flask

from archive.auth.sessions import current_viewer
from archive.documents.services import DOC_TYPE_LABELS

#: each UN language's name in that language
NATIVE_LANGUAGE_NAMES = {
    "ar": "العربية",
    "zh": "中文",
    "en": "English",
    "fr": "Français",
    "ru": "Русский",
    "es": "Español",
}


def language_name(code: str) -> str:
    """A language's name in itself for the six, else its English name."""
    if code in NATIVE_LANGUAGE_NAMES:
        return NATIVE_LANGUAGE_NAMES[code]
    language = pycountry.languages.get(alpha_2=code)
    return language.name if language else code


def long_date(value: date | None) -> str:
    return f"{value.day} {value.strftime('%B %Y')}" if value else ""


def date_range(start: date | None, end: date | None) -> str:
    """10–13 September 2024."""
    if not start:
        return ""
    if not end or end == start:
        return long_date(start)
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end.strftime('%B %Y')}"
    return f"{long_date(start)} – {long_date(end)}"


def doc_type_label(doc_type: str) -> str:
    return DOC_TYPE_LABELS.get(doc_type, doc_type)


def file_size(size: int | None) -> str:
    if size is None:
        return ""
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def init_templating(app: Flask) -> None:
    app.jinja_env.filters.update(
        language_name=language_name,
        long_date=long_date,
        file_size=file_size,
        doc_type_label=doc_type_label,
    )
    app.jinja_env.globals.update(date_range=date_range, viewer=current_viewer)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; media-src https: http:; "
                "object-src 'none'; base-uri 'self'; frame-ancestors 'self'",
            )
        else:
            response.headers.setdefault("Content-Security-Policy", _download_csp(response))
        return response


#: anything not a page (downloads, ZIPs, CSV, JSON, feeds): never a document that runs
#: anything, even if a browser were talked into rendering it
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
#: a PDF shown inline (so that #page=N opens it at a page): as strict as browsers' PDF
#: viewers allow; they refuse to run in a sandboxed document, so no `sandbox` here
PDF_VIEW_CSP = (
    "default-src 'none'; object-src 'self'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


def _download_csp(response) -> str:
    disposition = response.headers.get("Content-Disposition", "")
    if response.mimetype == "application/pdf" and not disposition.startswith("attachment"):
        return PDF_VIEW_CSP
    return DOWNLOAD_CSP
