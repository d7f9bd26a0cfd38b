"""The one place that defines the Whoosh schema of the search index and its version.

Bump ``SCHEMA_VERSION`` whenever a field, an analyzer or what goes into a field changes: the
index then reports ``needs_rebuild()`` and the ``reindex`` command rebuilds it from the text
cache. One Whoosh document is one page of one file (a language version of a document).
"""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, NUMERIC, STORED, TEXT, FieldType, Schema

from indexer.analysis import LANGUAGES, analyzer_for, generic_analyzer

SCHEMA_VERSION = 1

#: Analysed page text: one field per UN language plus one for every other language.
TEXT_FIELDS: dict[str, str] = {lang: f"text_{lang}" for lang in LANGUAGES}
OTHER_TEXT_FIELD = "text_other"
#: Language-neutral text: symbol, title and delegation names, on every page of the file.
NEUTRAL_FIELD = "neutral"
#: Metadata kept in columns for filters, facets and sorting (always written, never omitted).
FACET_FIELDS: tuple[str, ...] = ("meeting", "doc_type", "language", "delegation")
#: Fields a user may name in the query box (``meeting:12MSP``); others are read as words.
USER_QUERY_FIELDS: tuple[str, ...] = FACET_FIELDS


def text_field_for(language: str) -> str:
    """Return the name of the analysed text field for an ISO 639-1 code."""
    return TEXT_FIELDS.get(language, OTHER_TEXT_FIELD)


def all_text_fields() -> list[str]:
    """Return every analysed page-text field name."""
    return [*TEXT_FIELDS.values(), OTHER_TEXT_FIELD]


def _text_field(analyzer: object) -> TEXT:
    """An unstored, positional text field whose multi-token words are phrase queries."""
    return TEXT(analyzer=analyzer, stored=False, phrase=True, multitoken_query="phrase")


def _fields() -> dict[str, FieldType]:
    """Return the schema's fields by name."""
    fields: dict[str, FieldType] = {
        "key": ID(unique=True),  # f"{file_id}:{page}"
        "document_id": NUMERIC(int, bits=64, stored=True, sortable=True),
        "file_id": NUMERIC(int, bits=64, stored=True, sortable=True),
        "page": NUMERIC(int, stored=True),
        "sha256": STORED(),
        "status": ID(sortable=True),
        "year": NUMERIC(int, sortable=True),  # 0 when the date is unknown
        "day": NUMERIC(int, sortable=True),  # date.toordinal(), 0 when unknown
        "date": DATETIME(),  # only when known, for DateRange filters
        NEUTRAL_FIELD: _text_field(generic_analyzer()),
        OTHER_TEXT_FIELD: _text_field(generic_analyzer()),
    }
    for name in FACET_FIELDS:
        fields[name] = ID(stored=name == "language", sortable=True)
    for lang, name in TEXT_FIELDS.items():
        fields[name] = _text_field(analyzer_for(lang))
    return fields


def build_schema() -> Schema:
    """Return a new instance of the index schema."""
    return Schema(**_fields())


def build_query_schema(schema: Schema) -> Schema:
    """Return the subset of ``schema`` the query parser may use (text fields and facets).

    Fields left out (page, date, status, ids) are read as plain words when typed as
    ``name:value``, so a user cannot write range or status queries in the query box.
    """
    names = [*all_text_fields(), NEUTRAL_FIELD, *USER_QUERY_FIELDS]
    return Schema(**{name: schema[name] for name in names})


SCHEMA = build_schema()
QUERY_SCHEMA = build_query_schema(SCHEMA)
