"""Staff pages for recordings (add a session, edit, remove) and the template helpers
that the meeting, document and search pages use to show recordings."""

from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from archive import i18n
from archive.admin.forms import ActionForm
from archive.admin.services import meeting_overview
from archive.auth.access import current_staff, staff_required
from archive.errors import ArchiveError
from archive.meetings import services as meetings
from archive.meetings.models import Meeting
from archive.recordings import media, services
from archive.recordings.forms import RecordingForm, SessionForm, channel_label
from archive.recordings.models import Recording

bp = Blueprint("recordings", __name__, url_prefix="/staff")


@bp.record_once
def _template_helpers(state) -> None:
    app: Flask = state.app
    app.jinja_env.globals.update(
        recording_grid=services.recording_grid,
        statement_moment=services.statement_moment,
        new_session_form=_new_session_form,
    )
    app.jinja_env.filters.update(
        channel_label=channel_label,
        format_offset=media.format_offset,
        session_label=i18n.session_label,
    )
    app.jinja_env.tests["direct_audio"] = media.is_direct_audio


def _new_session_form(meeting: Meeting) -> SessionForm:
    """An empty form for the meeting's staff view, dated on the meeting's first day."""
    return SessionForm(formdata=None, date=meeting.start_date)


def _show_error(form, exc: ArchiveError) -> None:
    """Put the refusal beside its field when the form has one, else in a message."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None and hasattr(target, "errors"):
        target.errors = [*target.errors, exc.message]
    else:
        flash(exc.message, "error")


def _meeting_page(meeting: Meeting, form: SessionForm, status: int):
    """The meeting's staff view again, with the session form as it was sent."""
    page = render_template(
        "admin/meeting.html",
        meeting=meeting,
        overview=meeting_overview(meeting),
        action=ActionForm(),
        session_form=form,
    )
    return page, status


@bp.post("/meetings/<code>/recordings")
@staff_required
def add_session(code: str):
    """Add one session's recordings, one URL per channel, all or none."""
    meeting = meetings.get_meeting(code, current_staff())
    form = SessionForm()
    if not form.validate_on_submit():
        return _meeting_page(meeting, form, 400)
    try:
        saved = services.add_session(
            current_staff(), meeting, form.shared_values(), form.urls(), replace=form.replace.data
        )
    except ArchiveError as exc:
        _show_error(form, exc)
        return _meeting_page(meeting, form, exc.status)
    first = saved[0]
    flash(
        _(
            "Saved %(count)s recording(s) of %(day)s, %(session)s.",
            count=len(saved),
            day=i18n.long_date(first.date),
            session=i18n.session_label(first.session),
        ),
        "success",
    )
    return redirect(url_for("admin.meeting", code=code, _anchor="recordings"))


def _edit_form(recording: Recording) -> RecordingForm:
    if request.method == "POST":
        return RecordingForm()
    form = RecordingForm(obj=recording)
    form.start_time.data = recording.start_time.strftime("%H:%M") if recording.start_time else ""
    return form


@bp.route("/recordings/<int:recording_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(recording_id: int):
    recording = services.get_recording(recording_id, current_staff())
    form = _edit_form(recording)
    if request.method == "GET":
        return render_template("recordings/edit.html", recording=recording, form=form)
    status = 400
    if form.validate_on_submit():
        try:
            services.update_recording(current_staff(), recording, form.values())
        except ArchiveError as exc:
            _show_error(form, exc)
            status = exc.status
        else:
            flash(_("Saved the recording."), "success")
            return redirect(
                url_for("admin.meeting", code=recording.meeting.code, _anchor="recordings")
            )
    return render_template("recordings/edit.html", recording=recording, form=form), status


@bp.post("/recordings/<int:recording_id>/delete")
@staff_required
def delete(recording_id: int):
    """Remove a recording (refused while a statement points at it)."""
    recording = services.get_recording(recording_id, current_staff())
    code = recording.meeting.code
    try:
        services.delete_recording(current_staff(), recording)
    except ArchiveError as exc:
        flash(_("Not removed: %(reason)s", reason=exc.message), "error")
    else:
        flash(_("Removed the recording."), "success")
    return redirect(url_for("admin.meeting", code=code, _anchor="recordings"))
