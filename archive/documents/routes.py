"""A document's page and its downloads."""

from __future__ import annotations

from flask import Blueprint, render_template, request, send_file

from archive.auth.sessions import current_viewer
from archive.documents import services
from archive.stores import blob_store

bp = Blueprint("documents", __name__)


@bp.get("/documents/<int:document_id>")
def show(document_id: int):
    document = services.get_document(document_id, current_viewer())
    return render_template("document.html", document=document)


@bp.get("/documents/<int:document_id>/download")
def download(document_id: int):
    """The PDF, inline so that `#page=N` opens it at a page, with a readable file name."""
    document = services.get_document(document_id, current_viewer())
    file = services.file_for_download(
        document, request.args.get("language"), request.args.get("version")
    )
    response = send_file(
        blob_store().path(file.sha256),
        mimetype="application/pdf",
        as_attachment=request.args.get("attachment") == "1",
        download_name=services.download_name(file),
        conditional=True,
        etag=file.sha256,
        max_age=0,
    )
    public = document.status == "published"
    response.headers["Cache-Control"] = "public, no-cache" if public else "private, no-store"
    return response
