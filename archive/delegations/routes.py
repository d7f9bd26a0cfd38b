"""A delegation's page: its statements and documents across meetings."""

from __future__ import annotations

from flask import Blueprint, render_template

from archive.auth.sessions import current_viewer
from archive.delegations.services import get_delegation
from archive.documents.services import list_documents

bp = Blueprint("delegations", __name__)


@bp.get("/delegations/<code>")
def show(code: str):
    delegation = get_delegation(code)
    documents = list_documents(current_viewer(), delegation_id=delegation.id)
    return render_template("delegation.html", delegation=delegation, documents=documents)
