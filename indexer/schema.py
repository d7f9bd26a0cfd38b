"""The one place that defines the Whoosh schema of the search index and its version.

Bump ``SCHEMA_VERSION`` whenever a field, an analyzer or what goes into a field changes: the
index then reports ``needs_rebuild()`` and the ``reindex`` command rebuilds it from the text
cache. One Whoosh document is one page of one file (a language version of a document).
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import pairwise

from whoosh.fields import DATETIME, ID, NUMERIC, STORED, TEXT, FieldType, Schema
from whoosh.formats import Format

from indexer.analysis import LANGUAGES, PageTerms, analyzer_for, generic_analyzer

#: 2: the bigram field; page text is indexed from pre-analysed terms (same postings).
SCHEMA_VERSION = 2

#: Analysed page text: one field per UN language plus one for every other language.
TEXT_FIELDS: dict[str, str] = {lang: f"text_{lang}" for lang in LANGUAGES}
OTHER_TEXT_FIELD = "text_other"
#: Language-neutral text: symbol, title and delegation names, on every page of the file.
NEUTRAL_FIELD = "neutral"
#: Metadata kept in columns for filters, facets and sorting (always written, never omitted).
FACET_FIELDS: tuple[str, ...] = ("meeting", "doc_type", "language", "delegation")
#: Consecutive term pairs of every page, "text_en|united nation" (see :func:`bigram_term`).
BIGRAM_FIELD = "bigrams"
#: Fields a user may name in the query box (``meeting:12MSP``); others are read as words.
USER_QUERY_FIELDS: tuple[str, ...] = FACET_FIELDS


def text_field_for(language: str) -> str:
    """Return the name of the analysed text field for an ISO 639-1 code."""
    return TEXT_FIELDS.get(language, OTHER_TEXT_FIELD)


def all_text_fields() -> list[str]:
    """Return every analysed page-text field name."""
    return [*TEXT_FIELDS.values(), OTHER_TEXT_FIELD]


def bigram_term(fieldname: str, first: str, second: str) -> str:
    """The bigram field's term for two consecutive terms of a text field."""
    return f"{fieldname}|{first} {second}"


def page_bigrams(fieldname: str, terms: list[str | None]) -> list[str]:
    """The bigram terms of a page's terms by position (None, a dropped token, pairs with none)."""
    prefix = f"{fieldname}|"
    return [
        f"{prefix}{first} {second}"
        for first, second in pairwise(terms)
        if first is not None and second is not None
    ]


class PageText:
    """One page's text, given to both its text field and the bigram field: analysed once.

    The first of the two fields to index it analyses it (:func:`page_terms`) and the other
    reuses the terms. It pickles as its field name and text only, so with Whoosh's
    multi-process writer (a rebuild with procs > 1) the writer processes analyse the pages
    in parallel instead of the process that feeds them.
    """

    __slots__ = ("fieldname", "text", "_terms")

    def __init__(self, fieldname: str, text: str) -> None:
        self.fieldname = fieldname
        self.text = text
        self._terms: list[str | None] | None = None

    def terms(self) -> list[str | None]:
        """The term at each token position (None where the analyzer dropped the token)."""
        if self._terms is None:
            self._terms = page_terms(self.fieldname).terms(self.text)
        return self._terms

    def bigrams(self) -> list[str]:
        """The page's bigram terms."""
        return page_bigrams(self.fieldname, self.terms())

    def __getstate__(self) -> tuple[str, str]:
        return self.fieldname, self.text

    def __setstate__(self, state: tuple[str, str]) -> None:
        self.fieldname, self.text = state
        self._terms = None


@functools.cache
def page_terms(fieldname: str) -> PageTerms:
    """The memoising page analyser of a text field, one per process (bounded memo)."""
    return PageTerms(SCHEMA[fieldname].analyzer)


class PreAnalysedText(TEXT):
    """A positional TEXT field that also accepts its terms already analysed.

    A list value is the term at each token position (None where the analyzer dropped the
    token), as :class:`indexer.analysis.PageTerms` makes it; it gives the same postings as
    the text through the analyzer, without running the analyzer again. A string value is
    analysed as usual, and queries and highlighting use the analyzer unchanged.
    """

    def index(self, value: object, **kwargs: object) -> Iterator[tuple[bytes, int, float, bytes]]:
        """(term bytes, frequency, weight, encoded positions) for each distinct term."""
        if isinstance(value, PageText):
            value = value.terms()
        if not isinstance(value, list):
            yield from super().index(value, **kwargs)
            return
        positions: defaultdict[str, list[int]] = defaultdict(list)
        for pos, term in enumerate(value):
            if term is not None:
                positions[term].append(pos)
        encode, boost = self.format.encode, self.format.field_boost
        for term, poslist in positions.items():
            yield term.encode("utf-8"), len(poslist), len(poslist) * boost, encode(poslist)


class FrequencyAsWeight(Format):
    """Postings whose weight is the term's frequency on the page, with no value bytes.

    Whoosh keeps every posting's weight in its blocks (all 1.0 costs nothing), so a separate
    encoded frequency (the ``Frequency`` format) only adds bytes and time. BM25 reads the
    weight; there is no ``frequency`` value to decode.
    """

    posting_size = 0

    def encode(self, value: object) -> bytes:
        return b""


class BigramField(FieldType):
    """Unstored term pairs of a page, scored with BM25 over their frequencies; no positions."""

    def __init__(self) -> None:
        super().__init__(FrequencyAsWeight(), analyzer=None, scorable=True, stored=False)

    def index(self, value: object, **kwargs: object) -> Iterator[tuple[bytes, int, float, bytes]]:
        """(term bytes, frequency, weight = frequency, no value) for each distinct bigram."""
        if isinstance(value, PageText):
            value = value.bigrams()
        if not isinstance(value, list):
            raise TypeError(f"the {BIGRAM_FIELD} field takes a list of bigram terms")
        boost = self.format.field_boost
        for term, freq in Counter(value).items():
            yield term.encode("utf-8"), freq, freq * boost, b""


def _text_field(analyzer: object) -> TEXT:
    """An unstored, positional text field whose multi-token words are phrase queries."""
    return PreAnalysedText(analyzer=analyzer, stored=False, phrase=True, multitoken_query="phrase")


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
        BIGRAM_FIELD: BigramField(),
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
