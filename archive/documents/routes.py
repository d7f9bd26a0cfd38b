"""A document's page, its downloads and its thumbnail."""

from __future__ import annotations

import io

from flask import Blueprint, render_template, request, send_file
from werkzeug.exceptions import NotFound

from archive.auth.sessions import current_viewer
from archive.documents import services
from archive.documents.thumbnails import document_thumbnail
from archive.stores import blob_store, thumbnail_store

bp = Blueprint("documents", __name__)


@bp.get("/documents/<int:document_id>")
def show(document_id: int):
    document = services.get_document(document_id, current_viewer())
    thumbnail = document_thumbnail(document)
    return render_template("document.html", document=document, thumbnail=thumbnail)


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


@bp.get("/documents/<int:document_id>/thumbnail")
def thumbnail(document_id: int):
    """A PNG of the first page (English file, else the first language), seen as the PDF is."""
    document = services.get_document(document_id, current_viewer())
    found = document_thumbnail(document)
    png = thumbnail_store().get(found.file.sha256) if found is not None else None
    if png is None:
        raise NotFound("This document has no thumbnail.")
    response = send_file(  # a few KB, served from memory
        io.BytesIO(png), mimetype="image/png", conditional=True, etag=found.file.sha256, max_age=0
    )
    public = document.status == "published"
    response.headers["Cache-Control"] = "public, no-cache" if public else "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
