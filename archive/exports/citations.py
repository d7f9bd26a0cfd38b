"""Citations of a document: BibTeX, RIS and CSL-JSON, and a line of text for its page."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from flask import url_for

from archive.documents.models import Document
from archive.documents.services import DOC_TYPE_LABELS
from archive.exports.queries import body_name
from archive.templating import long_date

#: format name → (content type, file extension)
FORMATS = {
    "bibtex": ("application/x-bibtex; charset=utf-8", "bib"),
    "ris": ("application/x-research-info-systems; charset=utf-8", "ris"),
    "csl-json": ("application/vnd.citationstyles.csl+json; charset=utf-8", "json"),
}

#: CSL item types (https://docs.citationstyles.org/en/stable/specification.html#appendix-iii-types)
CSL_TYPES = {"statement": "speech", "final_report": "report", "working_paper": "report"}
#: RIS reference types
RIS_TYPES = {"final_report": "RPRT", "working_paper": "RPRT", "official_document": "GOVDOC"}


@dataclass(frozen=True)
class Citation:
    """What a citation says about a document, in plain values."""

    key: str
    doc_type: str
    title: str
    author: str
    symbol: str
    meeting_code: str
    meeting_title: str
    venue: str
    publisher: str
    issued: date | None
    url: str
    accessed: date
    language: str


def citation_for(document: Document, accessed: date) -> Citation:
    """The facts to cite: the delegation (else the treaty) as author, the stable page URL."""
    meeting = document.meeting
    publisher = body_name(meeting)
    return Citation(
        key=re.sub(r"[^A-Za-z0-9_-]+", "-", f"{meeting.code}-{document.id}"),
        doc_type=document.doc_type,
        title=document.title,
        author=document.delegation.name if document.delegation else publisher,
        symbol=document.symbol or "",
        meeting_code=meeting.code,
        meeting_title=meeting.title,
        venue=meeting.venue,
        publisher=publisher,
        issued=document.date or meeting.start_date,
        url=url_for("documents.show", document_id=document.id, _external=True),
        accessed=accessed,
        language=document.languages[0] if document.languages else "",
    )


def citation_text(c: Citation) -> str:
    """A readable reference: author, title, symbol, meeting, place, date, URL, access date."""
    parts = [f"{c.author}. “{c.title}.”"]
    if c.symbol:
        parts.append(f"{c.symbol}.")
    where = ", ".join(p for p in (c.meeting_title, c.venue, long_date(c.issued)) if p)
    parts.append(f"{where}.")
    parts.append(f"{c.url} (accessed {long_date(c.accessed)}).")
    return " ".join(parts)


def filename(c: Citation, fmt: str) -> str:
    return f"{c.key}.{FORMATS[fmt][1]}"


def render(c: Citation, fmt: str) -> str:
    """The citation in one of FORMATS."""
    return {"bibtex": bibtex, "ris": ris, "csl-json": csl_json}[fmt](c)


_BIBTEX_SPECIAL = re.compile(r"[\\{}&%$#_^~]")
_BIBTEX_ESCAPES = {"\\": r"\textbackslash{}", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}


def _bib(value: str) -> str:
    """A value safe inside BibTeX braces: TeX's special characters escaped, one line."""
    value = " ".join(value.split())
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_ESCAPES.get(m[0], "\\" + m[0]), value)


def bibtex(c: Citation) -> str:
    """A BibLaTeX-friendly @report or @misc entry; the author is braced as an institution."""
    entry = "report" if CSL_TYPES.get(c.doc_type) == "report" else "misc"
    fields = {
        "author": "{" + _bib(c.author) + "}",
        "title": "{" + _bib(c.title) + "}",
        "type": _bib(DOC_TYPE_LABELS.get(c.doc_type, "Document")),
        "number": _bib(c.symbol),
        "institution" if entry == "report" else "organization": _bib(c.publisher),
        "eventtitle": _bib(c.meeting_title),
        "venue": _bib(c.venue),
        "howpublished": _bib(f"{c.meeting_title}, {c.venue}".strip(", ")),
        "year": str(c.issued.year) if c.issued else "",
        "date": c.issued.isoformat() if c.issued else "",
        "language": c.language,
        "url": c.url,
        "urldate": c.accessed.isoformat(),
        "note": _bib(f"Accessed {c.accessed.isoformat()}"),
    }
    lines = [f"  {name} = {{{value}}}" for name, value in fields.items() if value]
    return f"@{entry}{{{c.key},\n" + ",\n".join(lines) + "\n}\n"


def _ris_line(tag: str, value: str) -> str:
    return f"{tag}  - {' '.join(value.split())}\r\n" if value else ""


def ris(c: Citation) -> str:
    """An RIS record: TY first, ER last, CRLF line ends."""
    lines = [
        _ris_line("TY", RIS_TYPES.get(c.doc_type, "GEN")),
        _ris_line("TI", c.title),
        _ris_line("AU", c.author),
        _ris_line("T2", c.meeting_title),
        _ris_line("M1", c.symbol),
        _ris_line("M3", DOC_TYPE_LABELS.get(c.doc_type, "Document")),
        _ris_line("PB", c.publisher),
        _ris_line("CY", c.venue),
        _ris_line("PY", str(c.issued.year) if c.issued else ""),
        _ris_line("DA", c.issued.strftime("%Y/%m/%d") if c.issued else ""),
        _ris_line("LA", c.language),
        _ris_line("UR", c.url),
        _ris_line("Y2", c.accessed.strftime("%Y/%m/%d")),
        "ER  - \r\n",
    ]
    return "".join(lines)


def _date_parts(value: date) -> dict:
    return {"date-parts": [[value.year, value.month, value.day]]}


def csl_item(c: Citation) -> dict:
    """One CSL-JSON item (CSL 1.0.2 variable names)."""
    item = {
        "id": c.key,
        "type": CSL_TYPES.get(c.doc_type, "document"),
        "title": c.title,
        "author": [{"literal": c.author}],
        "genre": DOC_TYPE_LABELS.get(c.doc_type, "Document"),
        "number": c.symbol or None,
        "publisher": c.publisher,
        "event-title": c.meeting_title,
        "event-place": c.venue or None,
        "issued": _date_parts(c.issued) if c.issued else {"literal": "n.d."},
        "accessed": _date_parts(c.accessed),
        "language": c.language or None,
        "URL": c.url,
    }
    return {k: v for k, v in item.items() if v is not None}


def csl_json(c: Citation) -> str:
    """CSL-JSON: a list of one item, as citation managers import it."""
    return json.dumps([csl_item(c)], ensure_ascii=False, indent=2) + "\n"
