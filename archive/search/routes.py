"""The search page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from archive.auth.sessions import current_viewer
from archive.errors import ValidationError
from archive.search import services

bp = Blueprint("search", __name__)


@bp.get("/search")
def search_page():
    """Query box, facets, filters, results with their best pages; errors shown on the page."""
    args = request.args
    if not any(args.get(k) for k in ("q", "meeting", "doc_type", "language", "delegation")):
        return render_template("search.html", results=None, error=None, args=args)
    try:
        results = services.search(args, current_viewer())
    except ValidationError as exc:
        return render_template("search.html", results=None, error=exc.message, args=args), 400
    return render_template("search.html", results=results, error=None, args=args)
