"""/staff/audit: the audit log, newest first, filtered and paginated."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from archive import validation
from archive.audit import services
from archive.auth.access import current_staff, staff_required
from archive.errors import ValidationError

bp = Blueprint("audit", __name__, url_prefix="/staff")

FILTER_FIELDS = ("action", "email", "object_type", "object_id", "date_from", "date_to")
MAX_PER_PAGE = 200
#: past this, offsets stop being numbers a database takes
MAX_PAGE = 1_000_000


def _filters(args) -> services.AuditFilters:
    return services.AuditFilters(
        action=validation.text(args.get("action"), "action", max_length=64),
        email=validation.text(args.get("email"), "email", max_length=254),
        object_type=validation.text(args.get("object_type"), "object_type", max_length=32),
        object_id=validation.text(args.get("object_id"), "object_id", max_length=64),
        date_from=validation.optional_date(args.get("date_from"), "date_from"),
        date_to=validation.optional_date(args.get("date_to"), "date_to"),
    )


def _paging(args) -> tuple[int, int]:
    page = validation.optional_int(args.get("page"), "page", minimum=1) or 1
    per_page = validation.optional_int(args.get("per_page"), "per_page", minimum=1) or 50
    return min(page, MAX_PAGE), min(per_page, MAX_PER_PAGE)


@bp.get("/audit")
@staff_required
def events():
    """Admins see every event, editors their own; bad filters get the form back with a 400."""
    staff = current_staff()
    result, error = None, None
    try:
        page, per_page = _paging(request.args)
        result = services.list_events(staff, _filters(request.args), page=page, per_page=per_page)
    except ValidationError as err:
        error = err.message
    page_html = render_template(
        "audit/events.html",
        result=result,
        error=error,
        values={name: request.args.get(name, "") for name in FILTER_FIELDS},
        actions=services.event_actions(staff),
        staff=staff,
    )
    return page_html, 400 if error else 200
