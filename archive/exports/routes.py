"""Downloads for researchers: ZIPs with manifests, metadata as CSV and JSON, citations."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from werkzeug.http import dump_options_header

from archive.delegations.services import get_delegation
from archive.documents.models import Document
from archive.documents.services import get_document
from archive.errors import NotFound, ValidationError
from archive.exports import citations, metadata, queries, zips
from archive.meetings.services import get_meeting
from archive.timeutil import utcnow

bp = Blueprint("exports", __name__)


def _attachment(filename: str) -> str:
    return dump_options_header("attachment", {"filename": filename})


@bp.get("/meetings/<code>/download.zip")
def meeting_zip(code: str):
    meeting = get_meeting(code, None)  # exports are the public's view, whoever asks
    return zips.meeting_zip(meeting)


@bp.get("/delegations/<code>/download.zip")
def delegation_zip(code: str):
    return zips.delegation_zip(get_delegation(code))


@bp.get("/search/download.zip")
def search_zip():
    cap = current_app.config.get("EXPORT_ZIP_MAX_DOCUMENTS", zips.SEARCH_ZIP_CAP)
    archive = zips.search_archive(request.args.to_dict(), cap)
    headers = {
        "X-Archive-Document-Cap": str(archive.cap),
        "X-Archive-Documents-Matched": str(archive.matched),
        "X-Archive-Documents-Included": str(archive.included),
    }
    return zips.zip_response(archive.stream, "search_results.zip", headers)


@bp.get("/meetings/<code>/documents.csv")
def meeting_documents_csv(code: str):
    meeting = get_meeting(code, None)
    body = metadata.documents_csv(metadata.meeting_export_documents(meeting))
    response = Response(body, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = _attachment(f"{meeting.code}_documents.csv")
    return response


@bp.get("/meetings/<code>/documents.json")
def meeting_documents_json(code: str):
    meeting = get_meeting(code, None)
    return jsonify(metadata.documents_json(meeting, metadata.meeting_export_documents(meeting)))


def _citable(document_id: int) -> Document:
    """A published document (drafts, withdrawn and trashed ones are not offered)."""
    document = get_document(document_id, None)
    if not queries.is_public(document):
        raise NotFound(f"Document {document_id} is not published.")
    return document


@bp.get("/documents/<int:document_id>/cite")
def cite(document_id: int):
    fmt = request.args.get("format", "")
    if fmt not in citations.FORMATS:
        raise ValidationError(
            f"format must be one of: {', '.join(citations.FORMATS)}.", field="format"
        )
    citation = citations.citation_for(_citable(document_id), utcnow().date())
    response = Response(citations.render(citation, fmt), content_type=citations.FORMATS[fmt][0])
    response.headers["Content-Disposition"] = _attachment(citations.filename(citation, fmt))
    return response


@bp.app_template_global()
def citation_box(document: Document) -> dict | None:
    """For the document page's Cite box: the reference and its three formats, if citable."""
    if not queries.is_public(document):
        return None
    citation = citations.citation_for(document, utcnow().date())
    return {
        "citation": citation,
        "text": citations.citation_text(citation),
        "formats": [
            (label, url_for("exports.cite", document_id=document.id, format=fmt))
            for fmt, label in (("bibtex", "BibTeX"), ("ris", "RIS"), ("csl-json", "CSL-JSON"))
        ],
    }


@bp.app_template_global()
def feed_url(filters: dict) -> str:
    """The Atom feed narrowed by the filters given (empty ones left out)."""
    wanted = {k: filters.get(k) for k in (*queries.FILTER_KEYS, "q") if filters.get(k)}
    return url_for("harvest.documents_feed", **wanted)
