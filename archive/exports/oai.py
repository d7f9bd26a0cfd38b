"""An OAI-PMH 2.0 repository over the public documents, with oai_dc records.

Records are documents that are published or withdrawn, not in the trash, of a published
meeting; a withdrawn document is a deleted record (its header only). A record's
datestamp is its document's updated_at. Lists come in pages of PAGE_SIZE in id order,
each with a signed, expiring resumption token that carries the request and the cursor.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, func, select
from werkzeug.datastructures import MultiDict

from archive.documents.models import DOC_TYPES, Document
from archive.documents.services import DOC_TYPE_LABELS
from archive.exports import queries
from archive.exports.xml import datestamp, sub, to_bytes, xml_text
from archive.extensions import db
from archive.meetings.models import Meeting
from archive.timeutil import utcnow

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier"
OAI_SCHEMA = f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
OAI_DC_SCHEMA = f"{OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"

PAGE_SIZE = 100
TOKEN_LIFETIME = timedelta(hours=24)
EARLIEST = datetime(2000, 1, 1)

#: verb → (required arguments, optional arguments); resumptionToken is exclusive
VERBS = {
    "Identify": ((), ()),
    "ListMetadataFormats": ((), ("identifier",)),
    "ListSets": ((), ()),
    "ListIdentifiers": (("metadataPrefix",), ("from", "until", "set")),
    "ListRecords": (("metadataPrefix",), ("from", "until", "set")),
    "GetRecord": (("identifier", "metadataPrefix"), ()),
}
RESUMABLE = ("ListSets", "ListIdentifiers", "ListRecords")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


class OAIError(Exception):
    """An OAI-PMH error condition: its code and a message for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Repository:
    """Who this repository is: its name, base URL, identifier namespace and signing key."""

    name: str
    base_url: str
    admin_email: str
    #: the namespace of OAI identifiers: oai:<this>:documents/42
    identifier: str
    secret_key: str
    #: a document's page URL from its id, and a meeting's from its code
    document_url: Callable[[int], str]
    meeting_url: Callable[[str], str]
    page_size: int = PAGE_SIZE

    def oai_identifier(self, document_id: int) -> str:
        return f"oai:{self.identifier}:documents/{document_id}"

    def serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt="oai-pmh-resumption-token")


@dataclass(frozen=True)
class ListRequest:
    """A ListIdentifiers or ListRecords request: its filters and where the page starts."""

    verb: str
    prefix: str
    from_: str | None = None
    until: str | None = None
    set_spec: str | None = None
    after_id: int = 0
    cursor: int = 0


def respond(repo: Repository, args: MultiDict) -> bytes:
    """The OAI-PMH response to a request's arguments (errors included), as XML bytes."""
    root = ET.Element("OAI-PMH", {"xmlns": OAI, "xmlns:xsi": XSI, "xsi:schemaLocation": OAI_SCHEMA})
    sub(root, "responseDate", datestamp(utcnow()))
    request_element = sub(root, "request", repo.base_url)
    try:
        verb, values = _check_arguments(args)
        request_element.attrib.update(
            {k: xml_text(v) for k, v in (values | {"verb": verb}).items()}
        )
        HANDLERS[verb](repo, values, root)
    except OAIError as error:
        if error.code in ("badVerb", "badArgument"):
            request_element.attrib.clear()  # the request's arguments were not understood
        sub(root, "error", error.message, code=error.code)
    return to_bytes(root)


def _check_arguments(args: MultiDict) -> tuple[str, dict[str, str]]:
    verbs = args.getlist("verb")
    if len(verbs) != 1 or verbs[0] not in VERBS:
        raise OAIError("badVerb", "The verb is missing, repeated or not an OAI-PMH verb.")
    verb = verbs[0]
    values = {}
    for key in args:
        if key == "verb":
            continue
        if len(args.getlist(key)) > 1:
            raise OAIError("badArgument", f"The argument {key} is repeated.")
        values[key] = args[key]
    required, optional = VERBS[verb]
    if "resumptionToken" in values and verb in RESUMABLE:
        if len(values) > 1:
            raise OAIError("badArgument", "resumptionToken must be the only argument.")
        return verb, values
    unknown = sorted(set(values) - set(required) - set(optional))
    if unknown:
        raise OAIError("badArgument", f"{verb} does not take the argument {unknown[0]}.")
    missing = [name for name in required if not values.get(name)]
    if missing:
        raise OAIError("badArgument", f"{verb} needs the argument {missing[0]}.")
    return verb, values


# --- records ------------------------------------------------------------------------


def _records() -> Select:
    """Every document the repository reports, with its meeting loaded."""
    return queries.with_rows_for_export(queries.visible_documents(("published", "withdrawn")))


def _document(repo: Repository, identifier: str) -> Document:
    match = re.fullmatch(r"oai:(?P<repo>[^:]+):documents/(?P<id>[0-9]{1,9})", identifier)
    if match and match["repo"] == repo.identifier:
        query = _records().where(Document.id == int(match["id"]))
        document = db.session.scalars(query).first()
        if document is not None:
            return document
    raise OAIError("idDoesNotExist", f"No record has the identifier {identifier}.")


def _check_prefix(prefix: str) -> None:
    if prefix != "oai_dc":
        raise OAIError("cannotDisseminateFormat", f"{prefix} is not a format of this repository.")


def _parse_datestamp(value: str, name: str, *, end: bool) -> tuple[datetime, str]:
    """A from/until value, with the granularity it was given in; until covers its whole unit."""
    try:
        if _DAY.match(value):
            moment = datetime.strptime(value, "%Y-%m-%d")
            return moment + (timedelta(days=1) if end else timedelta()), "day"
        if _SECOND.match(value):
            moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
            return moment + (timedelta(seconds=1) if end else timedelta()), "second"
    except (ValueError, OverflowError):  # 2024-02-30; 9999-12-31 as an end
        pass
    raise OAIError("badArgument", f"{name} must be YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ.")


def _selection(request: ListRequest) -> Select:
    """The records a list request asks for (before its page), or noRecordsMatch."""
    query = _records()
    bounds = {}
    for name, value, end in (("from", request.from_, False), ("until", request.until, True)):
        if value:
            bounds[name] = _parse_datestamp(value, name, end=end)
    if len({granularity for _, granularity in bounds.values()}) > 1:
        raise OAIError("badArgument", "from and until must have the same granularity.")
    if "from" in bounds:
        query = query.where(Document.updated_at >= bounds["from"][0])
    if "until" in bounds:
        query = query.where(Document.updated_at < bounds["until"][0])
    if "from" in bounds and "until" in bounds and bounds["from"][0] >= bounds["until"][0]:
        raise OAIError("badArgument", "from is later than until.")
    return _in_set(query, request.set_spec)


def _in_set(query: Select, set_spec: str | None) -> Select:
    if not set_spec or set_spec in ("meeting", "type"):
        return query  # every record is in a meeting and has a type
    kind, _, value = set_spec.partition(":")
    if kind == "meeting" and value:
        return query.where(Meeting.code == value)
    if kind == "type" and value in DOC_TYPES:
        return query.where(Document.doc_type == value)
    raise OAIError("noRecordsMatch", f"There is no set {set_spec}.")


def _set_specs(document: Document) -> list[str]:
    return [f"meeting:{document.meeting.code}", f"type:{document.doc_type}"]


def _header(repo: Repository, parent: ET.Element, document: Document) -> None:
    status = "deleted" if document.status == "withdrawn" else None
    header = sub(parent, "header", status=status)
    sub(header, "identifier", repo.oai_identifier(document.id))
    sub(header, "datestamp", datestamp(document.updated_at))
    for spec in _set_specs(document):
        sub(header, "setSpec", spec)


def _record(repo: Repository, parent: ET.Element, document: Document) -> None:
    record = sub(parent, "record")
    _header(repo, record, document)
    if document.status != "withdrawn":
        _dublin_core(repo, sub(record, "metadata"), document)


def _dublin_core(repo: Repository, parent: ET.Element, document: Document) -> None:
    """oai_dc: title, creator, publisher, date, type, format, identifiers, languages, relation."""
    namespaces = {"xmlns:oai_dc": OAI_DC, "xmlns:dc": DC, "xmlns:xsi": XSI}
    dc = sub(parent, "oai_dc:dc", **namespaces, **{"xsi:schemaLocation": OAI_DC_SCHEMA})
    meeting = document.meeting
    values = [
        ("title", document.title),
        ("creator", document.delegation.name if document.delegation else None),
        ("publisher", queries.body_name(meeting)),
        ("date", (document.date or meeting.start_date or document.created_at).isoformat()[:10]),
        ("type", "Text"),
        ("type", DOC_TYPE_LABELS.get(document.doc_type, "Document")),
        ("format", "application/pdf"),
        ("identifier", repo.document_url(document.id)),
        ("identifier", document.symbol),
        *[("language", language) for language in document.languages],
        ("subject", document.agenda_item or None),
        ("relation", repo.meeting_url(meeting.code)),
        ("relation", f"{meeting.code}: {meeting.title}"),
    ]
    for name, value in values:
        if value:
            sub(dc, f"dc:{name}", value)


# --- verbs --------------------------------------------------------------------------


def _identify(repo: Repository, values: dict, root: ET.Element) -> None:
    records = _records().subquery()
    earliest = db.session.scalar(select(func.min(records.c.updated_at)))
    identify = sub(root, "Identify")
    sub(identify, "repositoryName", repo.name)
    sub(identify, "baseURL", repo.base_url)
    sub(identify, "protocolVersion", "2.0")
    sub(identify, "adminEmail", repo.admin_email)
    sub(identify, "earliestDatestamp", datestamp(earliest or EARLIEST))
    # documents in the trash or of a meeting taken offline leave without a trace
    sub(identify, "deletedRecord", "transient")
    sub(identify, "granularity", "YYYY-MM-DDThh:mm:ssZ")
    if "." in repo.identifier:  # the oai-identifier scheme needs a domain name
        _identifier_description(repo, sub(identify, "description"))


def _identifier_description(repo: Repository, parent: ET.Element) -> None:
    schema = f"{OAI_IDENTIFIER} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
    scheme = sub(parent, "oai-identifier", xmlns=OAI_IDENTIFIER, **{"xsi:schemaLocation": schema})
    sub(scheme, "scheme", "oai")
    sub(scheme, "repositoryIdentifier", repo.identifier)
    sub(scheme, "delimiter", ":")
    sub(scheme, "sampleIdentifier", repo.oai_identifier(1))


def _list_metadata_formats(repo: Repository, values: dict, root: ET.Element) -> None:
    if values.get("identifier"):
        _document(repo, values["identifier"])
    formats = sub(root, "ListMetadataFormats")
    fmt = sub(formats, "metadataFormat")
    sub(fmt, "metadataPrefix", "oai_dc")
    sub(fmt, "schema", "http://www.openarchives.org/OAI/2.0/oai_dc.xsd")
    sub(fmt, "metadataNamespace", OAI_DC)


def available_sets() -> list[tuple[str, str]]:
    """(setSpec, setName): the two roots, each published meeting, each document type."""
    meetings = db.session.execute(
        select(Meeting.code, Meeting.title)
        .where(Meeting.published.is_(True))
        .order_by(Meeting.code)
    )
    return [
        ("meeting", "Meetings"),
        *[(f"meeting:{code}", f"{code}: {title}") for code, title in meetings],
        ("type", "Document types"),
        *[(f"type:{t}", DOC_TYPE_LABELS[t]) for t in DOC_TYPES],
    ]


def _list_sets(repo: Repository, values: dict, root: ET.Element) -> None:
    if "resumptionToken" in values:
        raise OAIError("badResumptionToken", "The list of sets comes whole; no token is valid.")
    sets = sub(root, "ListSets")
    for spec, name in available_sets():
        element = sub(sets, "set")
        sub(element, "setSpec", spec)
        sub(element, "setName", name)


def _get_record(repo: Repository, values: dict, root: ET.Element) -> None:
    _check_prefix(values["metadataPrefix"])
    document = _document(repo, values["identifier"])
    _record(repo, sub(root, "GetRecord"), document)


def _list_request(repo: Repository, verb: str, values: dict) -> ListRequest:
    """The request as given, or as its resumption token carries it."""
    if "resumptionToken" not in values:
        _check_prefix(values["metadataPrefix"])
        return ListRequest(
            verb,
            values["metadataPrefix"],
            values.get("from"),
            values.get("until"),
            values.get("set"),
        )
    try:
        data = repo.serializer().loads(
            values["resumptionToken"], max_age=TOKEN_LIFETIME.total_seconds()
        )
        request = ListRequest(**data)
    except SignatureExpired:
        raise OAIError("badResumptionToken", "The resumption token has expired.") from None
    except (BadSignature, TypeError, ValueError):
        raise OAIError("badResumptionToken", "The resumption token is not valid.") from None
    if request.verb != verb:
        raise OAIError("badResumptionToken", f"The resumption token is not one of {verb}.")
    return request


def _list(repo: Repository, verb: str, values: dict, root: ET.Element) -> None:
    request = _list_request(repo, verb, values)
    selection = _selection(request)
    page = list(
        db.session.scalars(
            selection.where(Document.id > request.after_id)
            .order_by(Document.id)
            .limit(repo.page_size + 1)
        )
    )
    if not page:
        raise OAIError("noRecordsMatch", "No records match the request.")
    more, page = len(page) > repo.page_size, page[: repo.page_size]
    listing = sub(root, verb)
    for document in page:
        if verb == "ListRecords":
            _record(repo, listing, document)
        else:
            _header(repo, listing, document)
    if more or request.cursor:
        _resumption_token(repo, listing, request, page, more, queries.count(selection))


def _resumption_token(
    repo: Repository, parent: ET.Element, request: ListRequest, page, more: bool, total: int
) -> None:
    """The token for the next page, or the empty token that closes a list given in pages."""
    token = None
    expires = None
    if more:
        following = ListRequest(
            request.verb,
            request.prefix,
            request.from_,
            request.until,
            request.set_spec,
            after_id=page[-1].id,
            cursor=request.cursor + len(page),
        )
        token = repo.serializer().dumps(following.__dict__)
        expires = datestamp(utcnow() + TOKEN_LIFETIME)
    element = sub(
        parent,
        "resumptionToken",
        completeListSize=total,
        cursor=request.cursor,
        expirationDate=expires,
    )
    element.text = token


HANDLERS = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "GetRecord": _get_record,
    "ListIdentifiers": lambda repo, values, root: _list(repo, "ListIdentifiers", values, root),
    "ListRecords": lambda repo, values, root: _list(repo, "ListRecords", values, root),
}
