"""Forms of the staff workspace; field names are the import manifest's column names."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Optional

from archive.documents.models import DOC_TYPES, STATUSES
from archive.i18n import DOC_TYPE_LABELS
from archive.templating import NATIVE_LANGUAGE_NAMES

LANGUAGE_CHOICES = [SelectChoice(code, name) for code, name in NATIVE_LANGUAGE_NAMES.items()]
DOC_TYPE_CHOICES = [SelectChoice(t, DOC_TYPE_LABELS[t]) for t in DOC_TYPES]
STATUS_CHOICES = [
    SelectChoice(s, label)
    for s, label in zip(STATUSES, (_l("Draft"), _l("Published"), _l("Withdrawn")), strict=True)
]


class RelatedIdField(StringField):
    """A related row's id as text: a row given through `obj=` (a Recording) shows as its id."""

    def process_data(self, value):
        super().process_data(getattr(value, "id", value))


class MetadataForm(FlaskForm):
    """A document's metadata (the services validate the values)."""

    meeting = SelectField(_l("Meeting"), choices=[])
    doc_type = SelectField(_l("Document type"), choices=DOC_TYPE_CHOICES, default="statement")
    title = StringField(_l("Title"))
    symbol = StringField(_l("Symbol"), description=_l("e.g. CCM/MSP/2024/10"))
    delegation = StringField(
        _l("Delegation code"), description=_l("ISO 3166 alpha-3, e.g. CHL, or ICRC")
    )
    agenda_item = StringField(_l("Agenda item"))
    date = DateField(_l("Date"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=STATUS_CHOICES, default="draft")
    recording = RelatedIdField(
        _l("Recording"),
        description=_l("for a statement: the recording's id (meeting's staff view)"),
    )
    recording_offset = StringField(
        _l("Delivered at"),
        description=_l("into that recording: seconds (632) or minutes (10:32)"),
    )


class UploadForm(MetadataForm):
    """One or many PDFs with the metadata they share."""

    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="en")
    version_label = StringField(
        _l("Version"), default="final", description=_l("advance, final, rev.1 …")
    )
    file = MultipleFileField(_l("PDF files"))


class AddFileForm(FlaskForm):
    """Another language, or a new version of a language, of an existing document."""

    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES, default="en")
    version_label = StringField(_l("Version"), default="final")
    file = MultipleFileField(_l("PDF file"))


class ActionForm(FlaskForm):
    """A bare form for buttons that change state (publish, delete …): only CSRF."""
