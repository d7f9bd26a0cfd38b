"""ZIPs of documents, with a CSV and a JSON manifest: built once, then served as files.

An archive's bytes are a function of what it holds (names, each file's blob digest, date and
size, the manifests' bytes; see storedzip.py), so its key names them and is its ETag. A
meeting's or delegation's ZIP is looked up in the ZIP cache (storage/zipcache.py) by that
key, learnt without building the manifests when the rows it is made of are as when it was
last built (`contents_fingerprint`). If it is there, it is sent with send_file (sendfile(2)
under gunicorn; Range, If-Range, conditional GET: resumable). If not, it is streamed as it
is written, a PDF copied from the blob store in 64 KB reads, and the same bytes are written
to a temp file that becomes the cached ZIP when the last byte has gone out; a client that
goes away takes the temp file with it. Memory holds one chunk and one manifest row per file
(its metadata, as compact JSON), never the files. Members are stored uncompressed (PDFs are
compressed already), which lets the archive's size be known before it is written. Search
ZIPs, one per query, are only streamed.

The cost of keeping: a first download writes every byte to disk too (about half as fast as
a plain stream on a loaded machine); every later one is a sendfile until the contents
change.

Why the first download builds the file rather than a worker job: the bytes are read once and
sent and kept in the same pass (a job would read and write them a second time), the file
appears as soon as one client has had the archive, and no job queue or polling is needed.
Two first downloads at once: the second sees the first one's live temp file and only
streams; had both written, each renames a whole file of the same bytes into place.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from flask import Response, current_app, request, send_file, url_for
from sqlalchemy import Select, Table, inspect, select
from werkzeug.http import dump_options_header

from archive.delegations.models import Delegation
from archive.documents.models import Document, File
from archive.documents.services import download_name
from archive.errors import ValidationError
from archive.exports import metadata, queries
from archive.exports.storedzip import FORMAT, StoredZip, ZipEntry
from archive.extensions import db
from archive.meetings.models import Meeting
from archive.search.services import MAX_PAGE, MAX_PER_PAGE, search
from archive.stores import blob_store, zip_cache
from storage.zipcache import ZipCache

log = logging.getLogger(__name__)
#: the date of an empty archive's manifests (the earliest a ZIP can hold)
EMPTY_ARCHIVE_DATE = datetime(1980, 1, 1)
#: bytes read from a blob at a time
CHUNK = 64 * 1024

#: folders by document type, in plural where a meeting has several
ZIP_FOLDERS = {
    "final_report": "Final Report",
    "statement": "Statements",
    "working_paper": "Working Papers",
    "official_document": "Official Documents",
    "information_note": "Information Notes",
    "presentation": "Presentations",
    "press_release": "Press Releases",
    "other": "Other Documents",
}

MANIFEST_COLUMNS = (
    "path",
    "document_id",
    *metadata.DOCUMENT_COLUMNS,
    "language",
    "version_label",
    "page_count",
    "size",
    "sha256",
    "download_url",
    "document_url",
)


@dataclass(frozen=True, slots=True)
class ZipMember:
    """One PDF in the archive: where it goes, where its bytes are, and its manifest row."""

    arcname: str
    blob_path: str
    sha256: str
    size: int
    #: when these bytes were uploaded: the member's date in the ZIP
    uploaded_at: datetime
    #: the newest change to the document or this file
    updated_at: datetime
    #: the manifest row as UTF-8 JSON: a third of the memory of the dict
    row_json: bytes
    document_id: int

    @property
    def row(self) -> dict:
        return json.loads(self.row_json)


def zip_members(
    documents: Iterable[Document], *, language: str | None = None, by_meeting: bool = False
) -> list[ZipMember]:
    """The current files of the documents (of one language if given), with unique names.

    Folders are by document type (`Statements/…`); with by_meeting, inside a folder per
    meeting (`12MSP/Statements/…`), for ZIPs that span meetings.
    """
    taken: set[str] = set()
    members = []
    for document in documents:
        for file in document.current_files:
            if language and file.language != language:
                continue
            arcname = _unique(_arcname(file, by_meeting=by_meeting), document.id, taken)
            path = str(blob_store().path(file.sha256))
            row = json.dumps(_row(file, arcname), ensure_ascii=False).encode()
            updated = max(file.created_at, document.updated_at)
            member = ZipMember(
                arcname, path, file.sha256, file.size, file.created_at, updated, row, document.id
            )
            members.append(member)
    return members


def _arcname(file: File, *, by_meeting: bool) -> str:
    folder = ZIP_FOLDERS.get(file.document.doc_type, "Other Documents")
    if by_meeting:
        folder = f"{file.document.meeting.code}/{folder}"
    return f"{folder}/{download_name(file)}"


def _unique(arcname: str, document_id: int, taken: set[str]) -> str:
    """Two documents with the same readable name: the second gets its id in its name."""
    if arcname in taken:
        stem = arcname.removesuffix(".pdf")
        arcname = f"{stem}_{document_id}.pdf"
    taken.add(arcname)
    return arcname


def _row(file: File, arcname: str) -> dict:
    document = file.document
    return {
        "path": arcname,
        "document_id": document.id,
        "meeting": document.meeting.code,
        "doc_type": document.doc_type,
        "title": document.title,
        "symbol": document.symbol or "",
        "delegation": document.delegation.code if document.delegation else "",
        "delegation_name": document.delegation.name if document.delegation else "",
        "agenda_item": document.agenda_item,
        "date": document.date.isoformat() if document.date else "",
        "language": file.language,
        "version_label": file.version_label,
        "page_count": file.page_count,
        "size": file.size,
        "sha256": file.sha256,
        # this exact version, so the URL keeps giving these bytes after a new version
        "download_url": url_for(
            "documents.download",
            document_id=document.id,
            language=file.language,
            version=file.version_label,
            _external=True,
        ),
        "document_url": url_for("documents.show", document_id=document.id, _external=True),
    }


def manifest_csv(members: list[ZipMember]) -> Iterator[bytes]:
    """manifest.csv, one row at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(MANIFEST_COLUMNS)
    for member in members:
        row = member.row
        writer.writerow([metadata.csv_cell(row[c]) for c in MANIFEST_COLUMNS])
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode()


def manifest_json(about: dict, members: list[ZipMember]) -> Iterator[bytes]:
    """manifest.json: what the archive is (`about`), then its files, one at a time."""
    head = json.dumps(about | {"files": None}, ensure_ascii=False, indent=2)
    yield head.removesuffix("null\n}").encode() + b"["
    for i, member in enumerate(members):
        yield ("," if i else "").encode() + b"\n    "
        yield member.row_json
    yield b"\n  ]\n}\n"


def _read(path: str) -> Iterator[bytes]:
    with open(path, "rb") as blob:
        while chunk := blob.read(CHUNK):
            yield chunk


def _generated(name: str, chunks: Callable[[], Iterator[bytes]], date: datetime) -> ZipEntry:
    """An entry generated twice: once now for its size and digest, once when it is sent."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks():
        digest.update(chunk)
        size += len(chunk)
    return ZipEntry(name, size, date, digest.hexdigest(), chunks)


def build_zip(about: dict, members: list[ZipMember]) -> StoredZip:
    """The archive: the manifests first, then every file; nothing is read until it is sent.

    Nothing in it depends on when it is built: the manifests are dated by the newest change
    to what the archive holds (`updated_at`), each PDF by its upload.
    """
    updated = max((m.updated_at for m in members), default=EMPTY_ARCHIVE_DATE)
    about = about | {
        "updated_at": updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "file_count": len(members),
        "document_count": len({m.document_id for m in members}),
    }
    entries = [
        _generated("manifest.csv", lambda: manifest_csv(members), updated),
        _generated("manifest.json", lambda: manifest_json(about, members), updated),
    ]
    for m in members:
        entries.append(
            ZipEntry(m.arcname, m.size, m.uploaded_at, m.sha256, lambda p=m.blob_path: _read(p))
        )
    return StoredZip(entries)


def zip_response(
    archive: StoredZip, filename: str, headers: dict | None = None, *, cache_slot: str = ""
) -> Response:
    """Send the archive: the cached file of its key if there is one (with `cache_slot`),
    else stream it (and, with `cache_slot`, keep what is sent as that file)."""
    cache = zip_cache() if cache_slot else None
    response = _cached(archive.key, filename, cache, cache_slot) if cache else None
    if response is None:
        response = _streamed(archive, filename, cache, cache_slot)
    response.headers["Cache-Control"] = "public, no-cache"
    response.headers.update(headers or {})
    return response


def _cached(key: str, filename: str, cache: ZipCache, slot: str) -> Response | None:
    path = cache.get(slot, key)
    if path is None:
        return None
    try:
        response = send_file(
            path,
            mimetype="application/zip",
            as_attachment=True,
            download_name=filename,
            conditional=True,
            etag=key,
            max_age=0,
        )
    except FileNotFoundError:  # evicted between the look-up and the open
        return None
    response.headers["Cache-Control"] = "public, no-cache"
    return response


def _streamed(archive: StoredZip, filename: str, cache: ZipCache | None, slot: str) -> Response:
    body: Iterable[bytes] = archive
    if cache and cache.accepts(len(archive)) and not cache.being_written(slot, archive.key):
        body = _kept_while_sent(archive, cache, slot)
    response = Response(body, mimetype="application/zip")
    response.headers["Content-Length"] = str(len(archive))
    response.headers["Content-Disposition"] = dump_options_header(
        "attachment", {"filename": filename}
    )
    response.set_etag(archive.key)
    # If-None-Match with the key: 304, nothing read; a Range is answered with the whole
    # archive (allowed), since only a cached archive can be read from the middle
    return response.make_conditional(request)


def _kept_while_sent(archive: StoredZip, cache: ZipCache, slot: str) -> Iterator[bytes]:
    """The archive's bytes, written to the cache as they are sent; kept if all were sent.

    The temp file is opened only when the first byte is asked for, and removed if the
    client goes away (the server closes this generator) or anything fails. A full disk
    stops the keeping, not the download.
    """
    try:
        writer = cache.writer(slot, archive.key, len(archive))
    except OSError as error:
        log.warning("ZIP cache: cannot write %s.%s: %s", slot, archive.key, error)
        writer = None
    try:
        for chunk in archive:
            if writer is not None:
                try:
                    writer.write(chunk)
                except OSError as error:
                    log.warning("ZIP cache: stopped writing %s: %s", writer.target.name, error)
                    writer.discard()
                    writer = None
            yield chunk
    except BaseException:
        if writer is not None:
            writer.discard()
        raise
    if writer is not None:
        try:
            writer.commit()
        except (OSError, ValueError) as error:
            log.warning("ZIP cache: cannot keep %s: %s", writer.target.name, error)


def cache_slot(kind: str, code: str) -> str:
    """The cache slot of a meeting's or delegation's public ZIP (older builds share it);
    empty (not kept) for a code that cannot be part of a file name."""
    slot = f"{kind}.{code}.public"
    return slot if ZipCache.is_slot(slot) else ""


# --- knowing the key without building the archive ---------------------------------------


class KnownKeys:
    """Archive keys by contents fingerprint, the most recent `size` of them (per process)."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._keys: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, fingerprint: str) -> str | None:
        with self._lock:
            key = self._keys.get(fingerprint)
            if key is not None:
                self._keys.move_to_end(fingerprint)
            return key

    def put(self, fingerprint: str, key: str) -> None:
        with self._lock:
            self._keys[fingerprint] = key
            self._keys.move_to_end(fingerprint)
            while len(self._keys) > self.size:
                self._keys.popitem(last=False)


def _known_keys() -> KnownKeys:
    return current_app.extensions.setdefault("archive.zip_keys", KnownKeys())


def _values(table: Table, item: object | None) -> tuple:
    """A mapped object's value of each column of its table, in the table's order."""
    if item is None:  # what an outer join gives for no row
        return (None,) * len(table.c)
    mapper = inspect(item).mapper
    return tuple(getattr(item, mapper.get_property_by_column(c).key) for c in table.c)


def _fingerprint(owner: Meeting | Delegation, rows: list[tuple]) -> str:
    head = (FORMAT, request.url_root, type(owner).__name__, _values(owner.__table__, owner))
    return hashlib.sha256(repr((head, rows)).encode()).hexdigest()


_DOCUMENTS, _MEETINGS = Document.__table__, Meeting.__table__
_DELEGATIONS, _FILES = Delegation.__table__, File.__table__


def contents_fingerprint(selection: Select, owner: Meeting | Delegation) -> str:
    """SHA-256 of every row an archive of these documents is made of, read in one query.

    The rows of the documents `selection` picks, with their meetings, delegations and files,
    every column of each (so a column added later counts too), the owner's row (the
    meeting's title is in the manifest) and the address the manifests' URLs start with:
    an archive is a function of these (and of blobs, named by their digests in the file
    rows). Reading them takes a few milliseconds where building the manifests to learn the
    archive's key takes tens. A document unpublished, edited or added changes its rows or
    the set, and so the fingerprint. `built_fingerprint` gives the same digest from the
    objects an archive was built from.
    """
    ids = selection.with_only_columns(Document.id).order_by(None)
    joined = (
        _DOCUMENTS.join(_MEETINGS, _DOCUMENTS.c.meeting_id == _MEETINGS.c.id)
        .outerjoin(_DELEGATIONS, _DOCUMENTS.c.delegation_id == _DELEGATIONS.c.id)
        .outerjoin(_FILES, _FILES.c.document_id == _DOCUMENTS.c.id)
    )
    query = (
        select(*_DOCUMENTS.c, *_MEETINGS.c, *_DELEGATIONS.c, *_FILES.c)
        .select_from(joined)
        .where(_DOCUMENTS.c.id.in_(ids))
        .order_by(_DOCUMENTS.c.id, _FILES.c.id)
    )
    rows = db.session.connection().execute(query).all()  # Core rows: no ORM loading
    return _fingerprint(owner, [tuple(row) for row in rows])


def built_fingerprint(documents: list[Document], owner: Meeting | Delegation) -> str:
    """`contents_fingerprint` of the values these loaded documents hold."""
    rows = []
    for document in sorted(documents, key=lambda d: d.id):
        head = _values(_DOCUMENTS, document) + _values(_MEETINGS, document.meeting)
        head += _values(_DELEGATIONS, document.delegation)
        for file in sorted(document.files, key=lambda f: f.id) or [None]:
            rows.append(head + _values(_FILES, file))
    return _fingerprint(owner, rows)


def _kept_zip(
    kind: str,
    owner: Meeting | Delegation,
    selection: Select,
    load: Callable[[], list[Document]],
    build: Callable[[list[Document]], StoredZip],
) -> Response:
    """The owner's ZIP: the kept file if its contents are as when it was built, else built.

    The key is remembered under the fingerprint of the values it was built from (not of a
    read before or after, which a change committed in between could make differ), so a
    known fingerprint means these very contents.
    """
    slot, filename = cache_slot(kind, owner.code), f"{owner.code}_documents.zip"
    if not slot:
        return zip_response(build(load()), filename)
    key = _known_keys().get(contents_fingerprint(selection, owner))
    if key is not None:
        response = _cached(key, filename, zip_cache(), slot)
        if response is not None:
            return response
    documents = load()
    archive = build(documents)
    _known_keys().put(built_fingerprint(documents, owner), archive.key)
    return zip_response(archive, filename, cache_slot=slot)


def meeting_zip(meeting: Meeting) -> Response:
    """A meeting's public ZIP as a response (see the module's docstring)."""
    return _kept_zip(
        "meeting",
        meeting,
        metadata.meeting_public_documents(meeting),
        lambda: metadata.meeting_export_documents(meeting),
        lambda documents: meeting_archive(meeting, documents),
    )


def delegation_zip(delegation: Delegation) -> Response:
    """A delegation's public ZIP as a response."""
    return _kept_zip(
        "delegation",
        delegation,
        delegation_public_documents(delegation),
        lambda: delegation_export_documents(delegation),
        lambda documents: delegation_archive(delegation, documents),
    )


# --- the three archives -------------------------------------------------------------

#: documents in a search result's ZIP at most (config EXPORT_ZIP_MAX_DOCUMENTS)
SEARCH_ZIP_CAP = 500
#: the search parameters a search ZIP understands
SEARCH_KEYS = ("q", "meeting", "doc_type", "language", "delegation", "date_from", "date_to")


def _public_in_order(ids: list[int]) -> list[Document]:
    """These documents with their files, in this order, keeping the public ones only."""
    query = queries.with_rows_for_export(queries.public_documents().where(Document.id.in_(ids)))
    rows = {d.id: d for d in db.session.scalars(query)}
    return [rows[i] for i in ids if i in rows]


def meeting_archive(meeting: Meeting, documents: list[Document]) -> StoredZip:
    """A meeting's public files by document type, with manifests (`documents`: the
    meeting's export documents, loaded already)."""
    about = {
        "source": {
            "kind": "meeting",
            "code": meeting.code,
            "title": meeting.title,
            "url": url_for("meetings.show", code=meeting.code, _external=True),
        }
    }
    return build_zip(about, zip_members(documents))


def delegation_public_documents(delegation: Delegation) -> Select:
    """The query of the delegation's public documents, in every meeting."""
    filters = queries.DocumentFilters(delegation=delegation.code)
    return queries.with_filters(queries.public_documents(), filters)


def delegation_export_documents(delegation: Delegation) -> list[Document]:
    """The delegation's public documents by meeting (oldest first) and type, with files."""
    query = queries.with_rows_for_export(delegation_public_documents(delegation))
    query = query.order_by(
        Meeting.start_date.nulls_first(), Meeting.code, Document.doc_type, Document.id
    )
    return list(db.session.scalars(query))


def delegation_archive(delegation: Delegation, documents: list[Document]) -> StoredZip:
    """A delegation's public files across meetings, by meeting then document type
    (`documents`: its export documents, loaded already)."""
    about = {
        "source": {
            "kind": "delegation",
            "code": delegation.code,
            "name": delegation.name,
            "url": url_for("delegations.show", code=delegation.code, _external=True),
        }
    }
    return build_zip(about, zip_members(documents, by_meeting=True))


@dataclass(frozen=True)
class SearchArchive:
    """A search result's ZIP, how many documents matched and how many it holds."""

    stream: StoredZip
    matched: int
    included: int
    cap: int


def search_archive(params: dict, cap: int = SEARCH_ZIP_CAP) -> SearchArchive:
    """The first `cap` public documents of a search (words or filters), by meeting and type."""
    wanted = {k: params.get(k) for k in SEARCH_KEYS if params.get(k)}
    if not wanted:
        raise ValidationError("Give search words or a filter for the ZIP.", field="q")
    ids: list[int] = []
    page, matched = 1, 0
    while len(ids) < cap:
        result = search(wanted | {"page": str(page), "per_page": str(MAX_PER_PAGE)}, None)
        matched = result.total
        ids += [hit.document_id for hit, _ in result.items]
        if page * MAX_PER_PAGE >= matched or page >= MAX_PAGE:
            break
        page += 1
    documents = _public_in_order(ids[:cap])
    language = queries.parse_filters(wanted).language
    about = {
        "source": {
            "kind": "search",
            "query": wanted,
            "url": url_for("search.search_page", **wanted, _external=True),
        },
        "cap": cap,
        "matched": matched,
        "truncated": matched > cap,
    }
    members = zip_members(documents, language=language, by_meeting=True)
    return SearchArchive(build_zip(about, members), matched, len(documents), cap)
