"""The JSON API, /api/v1: thin routes over the same services as the pages and the CLI."""

from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from archive import validation
from archive.auth.sessions import current_viewer, require_writer
from archive.documents import services as documents
from archive.errors import ValidationError
from archive.exports.metadata import document_page
from archive.meetings import services as meetings
from archive.recordings import services as recordings
from archive.search import services as search

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _values() -> dict:
    """The request's fields, from a JSON object body or a form."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise ValidationError("The body must be a JSON object.", code="bad_json")
        return body
    return request.form.to_dict()


def _upload():
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError(
            "file is required (multipart field 'file').", field="file", code="missing"
        )
    return upload


def _page_args() -> tuple[int, int]:
    """The request's page (from 1) and per_page."""
    page = validation.bounded_int(request.args.get("page"), "page", default=1, maximum=100_000)
    per_page = validation.bounded_int(
        request.args.get("per_page"), "per_page", default=50, maximum=500
    )
    return page, per_page


def _paginate(items: list) -> dict:
    page, per_page = _page_args()
    start = (page - 1) * per_page
    return {
        "total": len(items),
        "page": page,
        "per_page": per_page,
        "items": items[start : start + per_page],
    }


@bp.get("/meetings")
def list_meetings():
    rows = [meetings.meeting_to_dict(m) for m in meetings.list_meetings(current_viewer())]
    return jsonify(_paginate(rows))


@bp.post("/meetings")
def create_meeting():
    user = require_writer()
    values = _values()
    meeting = meetings.create_meeting(
        user,
        code=values.get("code"),
        title=values.get("title"),
        start_date=values.get("start_date"),
        end_date=values.get("end_date"),
        venue=values.get("venue", ""),
        body=values.get("body", ""),
        description=values.get("description", ""),
        published=values.get("published", True),
    )
    response = jsonify(meetings.meeting_to_dict(meeting))
    response.headers["Location"] = url_for("api.show_meeting", code=meeting.code)
    return response, 201


@bp.get("/meetings/<code>")
def show_meeting(code: str):
    viewer = current_viewer()
    meeting = meetings.get_meeting(code, viewer)
    body = meetings.meeting_to_dict(meeting)
    body["documents"] = [
        documents.document_to_dict(d) for d in meetings.meeting_documents(meeting, viewer)
    ]
    body["recordings"] = [recordings.recording_to_dict(r) for r in meeting.recordings]
    return jsonify(body)


@bp.post("/meetings/<code>/recordings")
def create_recording(code: str):
    """201 for a new recording; with replace=true a taken slot is updated instead (200)."""
    user = require_writer()
    values = _values()
    replace = validation.boolean(
        values.get("replace", request.args.get("replace")), "replace", default=False
    )
    recording, created = recordings.save_recording(
        user, meetings.get_meeting(code, user), values, replace=replace
    )
    return jsonify(recordings.recording_to_dict(recording)), 201 if created else 200


@bp.get("/recordings/<int:recording_id>")
def show_recording(recording_id: int):
    recording = recordings.get_recording(recording_id, current_viewer())
    return jsonify(recordings.recording_to_dict(recording))


@bp.patch("/recordings/<int:recording_id>")
def update_recording(recording_id: int):
    user = require_writer()
    recording = recordings.get_recording(recording_id, user)
    recordings.update_recording(user, recording, _values())
    return jsonify(recordings.recording_to_dict(recording))


@bp.delete("/recordings/<int:recording_id>")
def delete_recording(recording_id: int):
    user = require_writer()
    recordings.delete_recording(user, recordings.get_recording(recording_id, user))
    return "", 204


@bp.get("/documents")
def list_documents():
    """Documents the caller may see, newest first, by meeting, doc_type, language, delegation."""
    page, per_page = _page_args()
    return jsonify(document_page(request.args, current_viewer(), page=page, per_page=per_page))


@bp.post("/documents")
def create_document():
    user = require_writer()
    upload = _upload()
    values = request.form.to_dict()
    document = documents.create_document(
        user,
        metadata={k: values.get(k) for k in documents.METADATA_FIELDS},
        language=values.get("language"),
        stream=upload.stream,
        filename=upload.filename,
        version_label=values.get("version_label", ""),
    )
    response = jsonify(documents.document_to_dict(document))
    response.headers["Location"] = url_for("api.show_document", document_id=document.id)
    return response, 201


@bp.get("/documents/<int:document_id>")
def show_document(document_id: int):
    document = documents.get_document(document_id, current_viewer())
    return jsonify(documents.document_to_dict(document))


@bp.patch("/documents/<int:document_id>")
def update_document(document_id: int):
    user = require_writer()
    document = documents.get_document(document_id, user)
    documents.update_document(user, document, _values())
    return jsonify(documents.document_to_dict(document))


@bp.delete("/documents/<int:document_id>")
def delete_document(document_id: int):
    user = require_writer()
    documents.delete_document(user, documents.get_document(document_id, user))
    return "", 204


@bp.post("/documents/<int:document_id>/files")
def add_file(document_id: int):
    user = require_writer()
    document = documents.get_document(document_id, user)
    upload = _upload()
    documents.add_file(
        user,
        document,
        language=request.form.get("language"),
        stream=upload.stream,
        filename=upload.filename,
        version_label=request.form.get("version_label", ""),
    )
    return jsonify(documents.document_to_dict(document)), 201


@bp.get("/search")
def search_documents():
    return jsonify(search.search_to_dict(search.search(request.args, current_viewer())))
