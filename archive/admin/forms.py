"""Forms of the staff workspace; field names are the import manifest's column names."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, SelectChoice, SelectField, StringField
from wtforms.validators import Optional

from archive.documents.models import DOC_TYPES, STATUSES
from archive.templating import NATIVE_LANGUAGE_NAMES, doc_type_label

LANGUAGE_CHOICES = [SelectChoice(code, name) for code, name in NATIVE_LANGUAGE_NAMES.items()]
DOC_TYPE_CHOICES = [SelectChoice(t, doc_type_label(t)) for t in DOC_TYPES]
STATUS_CHOICES = [SelectChoice(s, s.capitalize()) for s in STATUSES]


class RelatedIdField(StringField):
    """A related row's id as text: a row given through `obj=` (a Recording) shows as its id."""

    def process_data(self, value):
        super().process_data(getattr(value, "id", value))


class MetadataForm(FlaskForm):
    """A document's metadata (the services validate the values)."""

    meeting = SelectField("Meeting", choices=[])
    doc_type = SelectField("Document type", choices=DOC_TYPE_CHOICES, default="statement")
    title = StringField("Title")
    symbol = StringField("Symbol", description="e.g. CCM/MSP/2024/10")
    delegation = StringField("Delegation code", description="ISO 3166 alpha-3, e.g. CHL, or ICRC")
    agenda_item = StringField("Agenda item")
    date = DateField("Date", validators=[Optional()])
    status = SelectField("Status", choices=STATUS_CHOICES, default="draft")
    recording = RelatedIdField(
        "Recording", description="for a statement: the recording's id (meeting's staff view)"
    )
    recording_offset = StringField(
        "Delivered at", description="into that recording: seconds (632) or minutes (10:32)"
    )


class UploadForm(MetadataForm):
    """One or many PDFs with the metadata they share."""

    language = SelectField("Language", choices=LANGUAGE_CHOICES, default="en")
    version_label = StringField("Version", default="final", description="advance, final, rev.1 …")
    file = MultipleFileField("PDF files")


class AddFileForm(FlaskForm):
    """Another language, or a new version of a language, of an existing document."""

    language = SelectField("Language", choices=LANGUAGE_CHOICES, default="en")
    version_label = StringField("Version", default="final")
    file = MultipleFileField("PDF file")


class ActionForm(FlaskForm):
    """A bare form for buttons that change state (publish, delete …): only CSRF."""
