"""Public pages: the home page (treaties and their meetings) and a meeting's page."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, render_template

from archive.auth.sessions import current_viewer
from archive.meetings import services

bp = Blueprint("meetings", __name__)


@bp.get("/")
def home():
    viewer = current_viewer()
    return render_template(
        "home.html", bodies=services.list_bodies(), meetings=services.list_meetings(viewer)
    )


@bp.get("/meetings/<code>")
def show(code: str):
    viewer = current_viewer()
    meeting = services.get_meeting(code, viewer)
    documents = services.meeting_documents(meeting, viewer)
    by_type = [(t, list(docs)) for t, docs in groupby(documents, key=lambda d: d.doc_type)]
    return render_template("meeting.html", meeting=meeting, documents_by_type=by_type)
