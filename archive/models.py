"""Every model, imported in one place so that the mapper and migrations see them all."""

from archive.audit.models import AuditEvent
from archive.auth.models import ApiToken, User
from archive.delegations.models import Delegation
from archive.documents.models import Document, File
from archive.jobs.models import Job
from archive.meetings.models import Body, Meeting
from archive.recordings.models import Recording

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Body",
    "Delegation",
    "Document",
    "File",
    "Job",
    "Meeting",
    "Recording",
    "User",
]
