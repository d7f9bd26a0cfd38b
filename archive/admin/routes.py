"""Staff pages: upload, a meeting's staff view, editing, publishing, trash."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from archive.admin import services
from archive.admin.forms import ActionForm, AddFileForm, MetadataForm, UploadForm
from archive.auth.access import admin_required, current_staff, staff_required
from archive.documents import services as documents
from archive.documents.models import Document
from archive.errors import ArchiveError, NotFound, ValidationError
from archive.meetings import services as meetings

bp = Blueprint("admin", __name__, url_prefix="/staff")

#: what each status button does, in words for the audit trail and the flash message
STATUS_ACTIONS = {"published": "published", "draft": "unpublished", "withdrawn": "withdrawn"}
STATUS_MESSAGES = {
    "published": _l("Document published."),
    "draft": _l("Document unpublished."),
    "withdrawn": _l("Document withdrawn."),
}


def _meeting_choices(form: MetadataForm) -> None:
    form.meeting.choices = [
        SelectChoice(m.code, f"{m.code} — {m.title}")
        for m in meetings.list_meetings(current_staff())
    ]


def _metadata(form: MetadataForm) -> dict:
    """The form's values as the document services take them."""
    return {name: getattr(form, name).data for name in documents.METADATA_FIELDS}


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.get("/")
@staff_required
def home():
    return render_template("admin/home.html", meetings=meetings.list_meetings(current_staff()))


@bp.route("/upload", methods=["GET", "POST"])
@staff_required
def upload():
    """One or many PDFs with shared metadata; a result line per file."""
    form = UploadForm()
    _meeting_choices(form)
    if request.method == "GET":
        return render_template("admin/upload.html", form=form, results=None)
    if not form.validate_on_submit():
        raise ValidationError(_form_errors(form))
    files = [f for f in request.files.getlist("file") if f.filename]
    if not files:
        raise ValidationError("Choose at least one PDF file.", field="file", code="missing")
    results = services.upload_many(
        current_staff(), _metadata(form), form.language.data, form.version_label.data, files
    )
    if _wants_json():
        return jsonify({"results": [r.to_dict() for r in results]})
    return render_template("admin/upload.html", form=form, results=results)


def _form_errors(form) -> str:
    return "; ".join(f"{name}: {', '.join(errs)}" for name, errs in form.errors.items())


@bp.get("/meetings/<code>")
@staff_required
def meeting(code: str):
    found = meetings.get_meeting(code, current_staff())
    overview = services.meeting_overview(found)
    return render_template(
        "admin/meeting.html", meeting=found, overview=overview, action=ActionForm()
    )


def _staff_document(document_id: int) -> Document:
    return documents.get_document(document_id, current_staff())


@bp.route("/documents/<int:document_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_document(document_id: int):
    document = _staff_document(document_id)
    form = MetadataForm(obj=document)
    _meeting_choices(form)
    if request.method == "GET":
        form.meeting.data = document.meeting.code
        form.delegation.data = document.delegation.code if document.delegation else ""
    elif form.validate_on_submit():
        try:
            documents.update_document(current_staff(), document, _metadata(form))
        except ArchiveError as exc:
            flash(exc.message, "error")
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("admin.edit_document", document_id=document.id))
    return _edit_page(document, form)


def _edit_page(document: Document, form: MetadataForm, status: int = 200):
    return (
        render_template(
            "admin/edit.html",
            document=document,
            form=form,
            add_form=AddFileForm(),
            action=ActionForm(),
        ),
        status,
    )


@bp.post("/documents/<int:document_id>/files")
@staff_required
def add_file(document_id: int):
    """Another language or a new version; the older version is kept."""
    document = _staff_document(document_id)
    form = AddFileForm()
    upload = next((f for f in request.files.getlist("file") if f.filename), None)
    if not form.validate_on_submit() or upload is None:
        raise ValidationError("Choose a PDF file.", field="file", code="missing")
    try:
        documents.add_file(
            current_staff(),
            document,
            language=form.language.data,
            stream=upload.stream,
            filename=upload.filename,
            version_label=form.version_label.data,
        )
    except ArchiveError as exc:
        flash(_("Not added: %(reason)s", reason=exc.message), "error")
    else:
        language, version = form.language.data, form.version_label.data
        flash(
            _("Added the %(language)s file (%(version)s).", language=language, version=version),
            "success",
        )
    return redirect(url_for("admin.edit_document", document_id=document.id))


@bp.post("/documents/<int:document_id>/status/<status>")
@staff_required
def set_status(document_id: int, status: str):
    """Publish, unpublish (back to draft) or withdraw."""
    if status not in STATUS_ACTIONS or not ActionForm().validate_on_submit():
        raise ValidationError("Unknown action or missing CSRF token.")
    document = _staff_document(document_id)
    documents.update_document(current_staff(), document, {"status": status})
    flash(str(STATUS_MESSAGES[status]), "success")
    if request.form.get("return_to") == "meeting":
        return redirect(url_for("admin.meeting", code=document.meeting.code))
    return redirect(url_for("admin.edit_document", document_id=document_id))


@bp.post("/documents/<int:document_id>/delete")
@staff_required
def delete_document(document_id: int):
    if not ActionForm().validate_on_submit():
        raise ValidationError("Missing CSRF token.")
    document = _staff_document(document_id)
    code = document.meeting.code
    documents.delete_document(current_staff(), document)
    flash(_("Moved “%(title)s” to the trash.", title=document.title), "success")
    return redirect(url_for("admin.meeting", code=code))


@bp.get("/trash")
@admin_required
def trash():
    return render_template(
        "admin/trash.html", documents=documents.trashed_documents(), action=ActionForm()
    )


@bp.post("/trash/<int:document_id>/restore")
@admin_required
def restore(document_id: int):
    document = documents.find_document(document_id)
    if document is None or document.deleted_at is None or not ActionForm().validate_on_submit():
        raise NotFound("No such document in the trash.")
    documents.restore_document(current_staff(), document)
    flash(_("Restored “%(title)s”.", title=document.title), "success")
    return redirect(url_for("admin.trash"))


@bp.post("/trash/empty")
@admin_required
def empty_trash():
    if not ActionForm().validate_on_submit():
        raise ValidationError("Missing CSRF token.")
    count = documents.empty_trash(current_staff())
    flash(_("Deleted %(count)s documents for good.", count=count), "success")
    return redirect(url_for("admin.trash"))
