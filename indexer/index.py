"""The search index: page-level writes, atomic rebuilds, and grouped, faceted search.

Layout under ``root``: versioned index directories ``v<SCHEMA_VERSION>-<timestamp>-<pid>``
(each with a ``SCHEMA_VERSION`` sentinel file) and a ``CURRENT`` pointer file naming the live
one. A rebuild fills a new directory and then replaces ``CURRENT`` with ``os.replace``; every
``SearchIndex`` (in any process) notices the new pointer on its next search.

One Whoosh document is one page. A search evaluates the query over whole posting blocks
(:mod:`indexer.matching`) into arrays of matching pages and scores, groups the pages by
``document_id`` and derives the ranked documents, the total and the facet counts from those
arrays, so they always agree. Page text is not stored in the index: snippets are highlighted from
the :class:`~indexer.textcache.TextCache`.
"""

from __future__ import annotations

import datetime
import functools
import html
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TypeVar

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import StemFilter
from whoosh.codec.whoosh3 import W3PerDocReader
from whoosh.filedb.filestore import FileStorage
from whoosh.highlight import (
    FIRST,
    BasicFragmentScorer,
    Fragment,
    HtmlFormatter,
    PinpointFragmenter,
    top_fragments,
)
from whoosh.index import FileIndex, LockError
from whoosh.lang import stemmer_for_language
from whoosh.qparser import MultifieldParser, plugins
from whoosh.reading import IndexReader
from whoosh.searching import Searcher
from whoosh.writing import IndexWriter

from indexer import matching
from indexer import schema as schema_module
from indexer.analysis import PageTerms, nfkc
from indexer.phrases import phrase_by_bigrams
from indexer.textcache import TextCache, validate_digest
from indexer.writing import open_writer
from storage.files import write_atomic

__all__ = [
    "DocumentHit",
    "FileRecord",
    "IndexOutdatedError",
    "LockError",
    "PageHit",
    "QueryError",
    "SearchIndex",
    "SearchQuery",
    "SearchResults",
    "parse_user_query",
]

log = logging.getLogger(__name__)

STATUSES = ("draft", "published", "withdrawn")
SORTS = ("relevance", "date")
MAX_QUERY_CHARS = 1000
MAX_QUERY_WORDS = 64
MAX_QUERY_NESTING = 16
MIN_WILDCARD_PREFIX = 3
MAX_WILDCARD_TERMS = 200
MAX_PHRASE_SLOP = 10
MAX_PER_PAGE = 100
HITS_PER_DOCUMENT = 3
WRITER_LIMITMB = 256
REBUILD_BATCH_FILES = 1000
NEUTRAL_BOOST = 1.5
POINTER = "CURRENT"
VERSION_FILE = "SCHEMA_VERSION"
OPEN_RETRIES = (0.05, 0.2, 0.5)
_QUESTION_MARKS = re.compile("[?\u055e\u061f\u1367]")
_WILDCARD_WORD = re.compile(r"[^\s()\"]*\*[^\s()\"]*")
_WORD_CHARS = re.compile(r"\w")
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
_T = TypeVar("_T")
_NULL_QUERY_TYPE = type(wq.NullQuery)  # the parser returns _NullQuery instances for "nothing"


# Public data types


@dataclass(frozen=True)
class FileRecord:
    """Metadata of one file (a language version of a document) whose pages are indexed."""

    file_id: int
    document_id: int
    sha256: str
    language: str
    meeting: str
    doc_type: str
    delegation: str | None
    date: datetime.date | None
    status: str
    title: str
    symbol: str | None
    names: str = ""

    def __post_init__(self) -> None:
        validate_digest(self.sha256)
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")
        if not _LANGUAGE_CODE.fullmatch(self.language):
            raise ValueError(f"language must be a lowercase ISO 639 code, not {self.language!r}")


@dataclass
class SearchQuery:
    """What a user asked for: query text, filters, statuses visible to them, page and order."""

    q: str = ""
    meeting: str | None = None
    doc_type: str | None = None
    language: str | None = None
    delegation: str | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    statuses: tuple[str, ...] = ("published",)
    page: int = 1
    per_page: int = 20
    sort: str = "relevance"
    #: meetings whose documents this user may not see (the public: unpublished meetings)
    hidden_meetings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PageHit:
    """A matching page; ``snippet`` is escaped text whose only markup is ``<mark>``."""

    page: int
    snippet: str


@dataclass(frozen=True)
class DocumentHit:
    """A matching document, shown through its best-matching file and pages."""

    document_id: int
    file_id: int
    language: str
    score: float
    hits: list[PageHit]


@dataclass(frozen=True)
class SearchResults:
    """One page of documents, the number of matching documents and facet counts."""

    total: int
    page: int
    per_page: int
    items: list[DocumentHit]
    facets: dict[str, dict[str, int]]


class QueryError(ValueError):
    """The query cannot be run; the message is safe to show to the user."""


class IndexOutdatedError(RuntimeError):
    """The live index was built with another schema version; run the reindex command."""


# Query parsing


def parse_user_query(text: str, fields: list[str]) -> wq.Query | None:
    """Parse query-box text over ``fields``; None when empty. Raises QueryError."""
    cleaned = _clean_query_text(text)
    if not cleaned:
        return None
    parser = _make_parser(fields)
    try:
        parsed = parser.parse(cleaned)
    except Exception as exc:  # whoosh raises assorted errors on odd input
        raise QueryError(
            "The query could not be understood; check its quotes and brackets."
        ) from exc
    _check_patterns(parsed)
    _cap_slop(parsed)
    return parsed


def _clean_query_text(text: str) -> str:
    """NFKC the text, enforce the size limits and drop '?' (not a wildcard here)."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"The query is too long (at most {MAX_QUERY_CHARS} characters).")
    text = _QUESTION_MARKS.sub(" ", nfkc(text)).strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"The query is too long (at most {MAX_QUERY_CHARS} characters).")
    if len(text.split()) > MAX_QUERY_WORDS:
        raise QueryError(f"The query has too many words (at most {MAX_QUERY_WORDS}).")
    if _nesting(text) > MAX_QUERY_NESTING:
        raise QueryError("The query has too many nested brackets.")
    _check_wildcards(text)
    return text


def _nesting(text: str) -> int:
    """Return the deepest bracket nesting in ``text`` (unbalanced brackets are tolerated)."""
    depth = deepest = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(0, depth - 1)
    return deepest


def _make_parser(fields: list[str]) -> MultifieldParser:
    """A parser over ``fields`` without ranges, '*:*', single quotes or date parsing."""
    boosts = {schema_module.NEUTRAL_FIELD: NEUTRAL_BOOST}
    parser = MultifieldParser(fields, schema_module.QUERY_SCHEMA, fieldboosts=boosts)
    for plugin in (plugins.RangePlugin, plugins.EveryPlugin, plugins.SingleQuotePlugin):
        parser.remove_plugin_class(plugin)
    return parser


def _check_wildcards(text: str) -> None:
    """Require MIN_WILDCARD_PREFIX letters before the first * of every word (bounded scans)."""
    for word in _WILDCARD_WORD.findall(text):
        if len(_WORD_CHARS.findall(word.split("*", 1)[0])) < MIN_WILDCARD_PREFIX:
            raise QueryError(f"A wildcard needs at least {MIN_WILDCARD_PREFIX} letters before *.")


def _check_patterns(parsed: wq.Query) -> None:
    """Reject what still scans a whole field: '*' alone (Every) or an empty pattern prefix."""
    for node in _walk(parsed):
        empty_prefix = isinstance(node, wq.PatternQuery) and node.text[:1] in ("", "*", "?")
        if isinstance(node, wq.Every) or empty_prefix:
            raise QueryError(f"A wildcard needs at least {MIN_WILDCARD_PREFIX} letters before *.")


def _cap_slop(parsed: wq.Query) -> None:
    """Limit ``"a b"~N`` proximity to MAX_PHRASE_SLOP words."""
    for node in _walk(parsed):
        if isinstance(node, wq.Phrase):
            node.slop = max(1, min(node.slop, MAX_PHRASE_SLOP))


def check_expansions(parsed: wq.Query, reader: IndexReader) -> None:
    """Reject wildcards that expand to more than MAX_WILDCARD_TERMS words in the index."""
    for node in _walk(parsed):
        if isinstance(node, wq.MultiTerm):
            terms = islice(node.expanded_terms(reader), MAX_WILDCARD_TERMS + 1)
            if sum(1 for _ in terms) > MAX_WILDCARD_TERMS:
                raise QueryError("A wildcard matches too many words; type more letters before *.")


def _walk(node: wq.Query) -> Iterator[wq.Query]:
    """Yield ``node`` and all its sub-queries."""
    yield node
    for child in node.children():
        yield from _walk(child)


def _positive_nodes(node: wq.Query) -> Iterator[wq.Query]:
    """Yield the sub-queries whose matches should be highlighted (not under NOT)."""
    if isinstance(node, wq.Not):
        return
    if isinstance(node, wq.AndNot):
        yield from _positive_nodes(node.a)
        return
    yield node
    for child in node.children():
        yield from _positive_nodes(child)


def _filter_query(query: SearchQuery) -> wq.Query:
    """Build the Whoosh filter for statuses and facet values.

    The date range is not part of it: :func:`_day_bounds` applies it over the cached ``day``
    column, which costs a pass over the allowed pages instead of a DateRange query (a union
    of many numeric terms, ~80% of a filtered search's time on 5,000 documents).
    """
    parts: list[wq.Query] = [wq.Or([wq.Term("status", s) for s in query.statuses])]
    for name in schema_module.FACET_FIELDS:
        value = getattr(query, name)
        if value:
            parts.append(wq.Term(name, value.lower() if name == "language" else value))
    if query.hidden_meetings:
        hidden = wq.Or([wq.Term("meeting", code) for code in sorted(query.hidden_meetings)])
        return wq.AndNot(wq.And(parts), hidden)
    return wq.And(parts)


def _day_bounds(query: SearchQuery) -> tuple[int, int] | None:
    """The date range as inclusive ``date.toordinal()`` bounds (None: no range).

    Pages of undated files (day 0) fall outside every range, as with a DateRange query.
    """
    if not (query.date_from or query.date_to):
        return None
    low = query.date_from.toordinal() if query.date_from else 1
    high = query.date_to.toordinal() if query.date_to else datetime.date.max.toordinal()
    return low, high


def _start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min)


def _search_fields(language: str | None) -> list[str]:
    """The fields a query searches: one language's text field or all, plus the neutral one."""
    if language:
        texts = [schema_module.text_field_for(language.lower())]
    else:
        texts = schema_module.all_text_fields()
    return [*texts, schema_module.NEUTRAL_FIELD]


def _validate(query: SearchQuery) -> None:
    """Raise QueryError for paging, sorting or status values the index cannot serve."""
    if query.page < 1:
        raise QueryError("page must be 1 or more.")
    if not 1 <= query.per_page <= MAX_PER_PAGE:
        raise QueryError(f"per_page must be between 1 and {MAX_PER_PAGE}.")
    if query.sort not in SORTS:
        raise QueryError(f"sort must be one of: {', '.join(SORTS)}.")
    unknown = set(query.statuses) - set(STATUSES)
    if unknown:
        raise QueryError(f"Unknown status: {', '.join(sorted(unknown))}.")


# Snippets


class MarkFormatter(HtmlFormatter):
    """Whoosh's escaping HTML formatter, wrapping matches in a bare ``<mark>`` element."""

    template = "<%(tag)s>%(t)s</%(tag)s>"

    def __init__(self) -> None:
        super().__init__(tagname="mark", between=" … ")


_ONLY_MARK = re.compile(r"</?mark>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LEAD_CHARS = 200


def clean_page_text(text: str) -> str:
    """NFKC, drop control characters and collapse whitespace (offsets then match tokens)."""
    return " ".join(_CONTROL.sub(" ", nfkc(text)).split())


@dataclass(slots=True)
class _Span:
    """A token as whoosh's fragmenters, scorers and formatters use it."""

    text: str
    pos: int
    startchar: int
    endchar: int
    matched: bool = False
    boost: float = 1.0

    def copy(self) -> _Span:
        return _Span(self.text, self.pos, self.startchar, self.endchar, self.matched, self.boost)


def make_snippet(
    text: str, spans: PageTerms, terms: frozenset[str], phrases: list[list[str]]
) -> str:
    """Return an escaped excerpt of ``text`` with the matched words in ``<mark>``.

    Falls back to the escaped start of the page when nothing on it matches (for example when
    only the title or symbol matched).
    """
    text = clean_page_text(text)
    matched = list(_merge_adjacent(text, _matched_spans(text, spans, terms, phrases)))
    if matched:
        fragmenter = PinpointFragmenter(maxchars=240, surround=70, charlimit=None)
        fragments = [_trim_to_words(f) for f in fragmenter.fragment_matches(text, matched)]
        best = top_fragments(fragments, 2, BasicFragmentScorer(), FIRST)
        snippet = MarkFormatter().format(best)
        if best and _only_mark_markup(snippet):
            return snippet
    return _lead(text)


def _trim_to_words(fragment: Fragment) -> Fragment:
    """Drop the partial words at the cut edges of a fragment (not at the page's own edges)."""
    text, matches = fragment.text, fragment.matches
    if fragment.startchar > 0:
        space = text.find(" ", fragment.startchar, matches[0].startchar)
        fragment.startchar = space + 1 if space >= 0 else fragment.startchar
    if fragment.endchar < len(text):
        space = text.rfind(" ", matches[-1].endchar, fragment.endchar)
        fragment.endchar = space if space >= 0 else fragment.endchar
    return fragment


def _only_mark_markup(snippet: str) -> bool:
    """True if the only markup in ``snippet`` is <mark>…</mark> (a guard on the formatter)."""
    rest = _ONLY_MARK.sub("", snippet)
    return "<" not in rest and ">" not in rest


def _lead(text: str) -> str:
    """The escaped beginning of ``text``, cut at a word boundary."""
    if len(text) <= LEAD_CHARS:
        return html.escape(text, quote=False)
    cut = text.rfind(" ", 0, LEAD_CHARS)
    return html.escape(text[: cut if cut > 0 else LEAD_CHARS], quote=False) + " …"


def _matched_spans(
    text: str, spans: PageTerms, terms: frozenset[str], phrases: list[list[str]]
) -> list[_Span]:
    """The tokens of ``text`` equal to a query term or inside an occurrence of a phrase."""
    wanted = terms.union(*phrases)
    if not wanted:
        return []
    found = [_Span(t, pos, a, b, t in terms) for pos, t, a, b in spans.spans(text, wanted)]
    by_pos = {span.pos: span for span in found}
    for words in phrases:
        for span in found:
            run = [by_pos.get(span.pos + k) for k in range(len(words))]
            if all(s is not None and s.text == w for s, w in zip(run, words, strict=True)):
                for s in run:
                    s.matched = True  # type: ignore[union-attr]
    return [span for span in found if span.matched]


def _merge_adjacent(text: str, matched: list[_Span]) -> Iterator[_Span]:
    """Merge consecutive matches separated only by spaces (or nothing) into one highlight."""
    pending: _Span | None = None
    for span in matched:
        if pending is not None and _adjacent(text, pending, span):
            pending.endchar, pending.pos = span.endchar, span.pos
            continue
        if pending is not None:
            yield pending
        pending = span.copy()
    if pending is not None:
        yield pending


def _adjacent(text: str, left: _Span, right: _Span) -> bool:
    """True if ``right`` is the next token after ``left`` with only spaces between them."""
    return right.pos == left.pos + 1 and not text[left.endchar : right.startchar].strip()


def _highlight_terms(
    parsed: wq.Query, fieldname: str, reader: IndexReader
) -> tuple[frozenset[str], list[list[str]]]:
    """Return the terms and phrases of ``parsed`` that apply to ``fieldname``."""
    terms: set[str] = set()
    phrases: list[list[str]] = []
    for node in _positive_nodes(parsed):
        if getattr(node, "fieldname", None) != fieldname:
            continue
        if isinstance(node, wq.Phrase):
            phrases.append(list(node.words))
        elif isinstance(node, wq.Term):
            terms.add(node.text)
        elif isinstance(node, wq.MultiTerm):
            terms.update(_expanded_words(node, reader))
    return frozenset(terms), phrases


def _expanded_words(node: wq.MultiTerm, reader: IndexReader, limit: int = 500) -> list[str]:
    """The index words a prefix or wildcard query expands to (at most ``limit``)."""
    field = reader.schema[node.fieldname]
    words = []
    for _, btext in node.expanded_terms(reader):
        words.append(field.from_bytes(btext))
        if len(words) >= limit:
            break
    return words


# Column values, loaded once per searcher generation

_INT_COLUMNS = ("document_id", "file_id", "year", "day")
_TEXT_COLUMNS = ("language", "meeting", "doc_type", "delegation")


@dataclass(frozen=True)
class _Columns:
    """Per-page metadata indexed by global docnum, read from the index's columns.

    Numbers are int64 arrays; text values are codes into a sorted vocabulary per column
    (``text(name, docnum)`` reads one back), so filters, grouping and facet counts run in numpy.
    """

    document_id: np.ndarray
    file_id: np.ndarray
    year: np.ndarray
    day: np.ndarray
    codes: dict[str, np.ndarray]
    values: dict[str, list[str]]

    def text(self, name: str, docnum: int) -> str:
        """The value of text column ``name`` for one page."""
        return self.values[name][self.codes[name][docnum]]


def _no_pages() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


_NO_COLUMNS = _Columns(
    **{name: _no_pages() for name in _INT_COLUMNS},
    codes={name: _no_pages() for name in _TEXT_COLUMNS},
    values={name: [] for name in _TEXT_COLUMNS},
)


@dataclass
class _SegmentColumns:
    """The column values of one segment, and its field lengths as queries need them."""

    ints: dict[str, np.ndarray]
    texts: dict[str, tuple[list[str], np.ndarray]]  # name -> (sorted values, codes)
    lengths: dict[str, np.ndarray] = field(default_factory=dict)


class _ColumnCache:
    """Column values per segment, kept across commits: a written segment never changes
    (deletions are recorded apart), so after a commit only the new segments are read."""

    def __init__(self) -> None:
        self._segments: dict[str, _SegmentColumns] = {}

    def load(self, reader: IndexReader) -> _Columns:
        """The columns of every document of ``reader``, in global docnum order."""
        if reader.doc_count_all() == 0:  # no segments, no column readers
            return _NO_COLUMNS
        current: dict[str, _SegmentColumns] = {}
        for leaf, _ in reader.leaf_readers():
            key = leaf.segment().segment_id()
            current[key] = self._segments.get(key) or _segment_columns(leaf)
        self._segments = current
        parts = list(current.values())
        ints = {name: np.concatenate([p.ints[name] for p in parts]) for name in _INT_COLUMNS}
        codes, values = {}, {}
        for name in _TEXT_COLUMNS:
            vocabulary = sorted(set().union(*(p.texts[name][0] for p in parts)))
            position = {value: n for n, value in enumerate(vocabulary)}
            recoded = []
            for part in parts:
                local, part_codes = part.texts[name]
                mapping = np.array([position[value] for value in local], dtype=np.int64)
                recoded.append(mapping[part_codes] if len(local) else part_codes)
            codes[name], values[name] = np.concatenate(recoded), vocabulary
        return _Columns(**ints, codes=codes, values=values)

    def lengths(self, leaf: IndexReader, fieldname: str) -> np.ndarray:
        """A segment's lengths of ``fieldname`` by docnum (read once per segment)."""
        part = self._segments.get(leaf.segment().segment_id())
        if part is None:  # not a segment of the loaded generation: read, do not keep
            return matching.field_lengths(leaf, fieldname)
        if fieldname not in part.lengths:
            part.lengths[fieldname] = matching.field_lengths(leaf, fieldname)
        return part.lengths[fieldname]


def _segment_columns(leaf: IndexReader) -> _SegmentColumns:
    """All column values of one segment, one per docnum (deleted documents included)."""
    count = leaf.doc_count_all()
    ints, texts = {}, {}
    for name in (*_INT_COLUMNS, *_TEXT_COLUMNS):
        values = list(leaf.column_reader(name))
        if len(values) != count:
            raise RuntimeError(f"column {name!r} has {len(values)} values for {count} pages")
        if name in _INT_COLUMNS:
            ints[name] = np.array(values, dtype=np.int64)
        else:
            vocabulary = sorted(set(values))
            position = {value: n for n, value in enumerate(vocabulary)}
            codes = np.fromiter((position[v] for v in values), dtype=np.int64, count=count)
            texts[name] = (vocabulary, codes)
    return _SegmentColumns(ints, texts)


@dataclass
class _Generation:
    """What is cached for one searcher generation: columns and filter document sets."""

    searcher: Searcher
    columns: _Columns
    lengths: matching.LengthSource
    postings: matching.PostingCache
    filters: dict[str, np.ndarray] = field(default_factory=dict)
    results: dict[tuple[str, str], _Matches] = field(default_factory=dict)

    MAX_FILTERS = 64
    MAX_RESULTS = 32
    #: matching pages held by all cached results together (~30 bytes each: ~6 MB)
    MAX_CACHED_PAGES = 200_000

    def matches(self, key: tuple[str, str], compute: Callable[[], _Matches]) -> _Matches:
        """The grouped matches of a (query, filter) pair, with their total and facet counts.

        Kept for this generation only (a commit or a rebuild makes a new one), so paging
        through results, changing the sort or repeating a popular query costs no new pass
        over the postings and no new facet count. Least recently used entries go first;
        the cache holds at most MAX_RESULTS entries and MAX_CACHED_PAGES matching pages.
        """
        found = self.results.pop(key, None)
        if found is None:
            found = compute()
            if found.pages > self.MAX_CACHED_PAGES:
                return found  # too large to keep: computed, not cached
        self.results[key] = found  # re-inserted: most recently used last
        while len(self.results) > self.MAX_RESULTS or (
            sum(entry.pages for entry in self.results.values()) > self.MAX_CACHED_PAGES
        ):
            self.results.pop(next(iter(self.results)))
        return found

    def allowed(self, filter_query: wq.Query, days: tuple[int, int] | None = None) -> np.ndarray:
        """A mask over docnums: live pages matching a filter query and day range (cached)."""
        key = repr(filter_query)
        if key not in self.filters:
            if len(self.filters) >= self.MAX_FILTERS:
                self.filters.clear()
            mask = np.zeros(self.searcher.doc_count_all(), dtype=bool)
            hits = matching.evaluate(filter_query, self.searcher, self.lengths, self.postings)
            mask[hits.ids] = True
            self.filters[key] = mask
        if days is None:
            return self.filters[key]
        ranged = f"{key} {days}"
        if ranged not in self.filters:
            if len(self.filters) >= self.MAX_FILTERS:
                self.filters.clear()
                return self.allowed(filter_query, days)
            low, high = days
            day = self.columns.day
            self.filters[ranged] = self.filters[key] & (day >= low) & (day <= high)
        return self.filters[ranged]


# Grouping and ranking


@dataclass
class _Matches:
    """The matching pages of one query and filter, grouped, with facet counts and rankings.

    ``docnums``/``scores`` hold the pages grouped by document (ascending document id, pages
    in docnum order); document ``i`` is ``documents[i]``, its pages are
    ``starts[i]:starts[i + 1]`` and its best page (highest score, then lowest docnum) is
    ``best[i]``, scored ``best_scores[i]``. Only the documents shown get their pages sorted.
    """

    docnums: np.ndarray
    scores: np.ndarray
    starts: np.ndarray
    documents: np.ndarray
    best: np.ndarray
    best_scores: np.ndarray
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    rankings: dict[bool, tuple[int, np.ndarray]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return len(self.docnums)

    @property
    def total(self) -> int:
        return len(self.documents)

    def pages_of(self, i: int) -> list[tuple[float, int]]:
        """The (score, docnum) pages of document ``i``, best first."""
        span = slice(self.starts[i], self.starts[i + 1])
        pages = zip(self.scores[span].tolist(), self.docnums[span].tolist(), strict=True)
        return sorted(pages, key=lambda page: (-page[0], page[1]))

    def ranked(self, cols: _Columns, by_date: bool, depth: int) -> np.ndarray:
        """The first ``depth`` document positions by relevance or by date.

        Kept per order and extended when a later page needs more of it.
        """
        known = self.rankings.get(by_date)
        if known is None or known[0] < min(depth, self.total):
            known = (depth, _rank(self, cols, by_date, depth))
            self.rankings[by_date] = known
        return known[1][:depth]


def _collect(
    searcher: Searcher, parsed: wq.Query | None, allowed: np.ndarray, generation: _Generation
) -> _Matches:
    """Group the allowed matching pages by document, with facet counts."""
    if parsed is None:
        docnums = np.flatnonzero(allowed)
        scores = np.zeros(len(docnums), dtype=np.float64)
    else:
        hits = matching.evaluate(parsed, searcher, generation.lengths, generation.postings)
        keep = allowed[hits.ids]
        docnums, scores = hits.ids[keep], hits.scores[keep]
    return _group(docnums, scores, generation.columns)


def _group(docnums: np.ndarray, scores: np.ndarray, cols: _Columns) -> _Matches:
    """Group pages (ascending docnums) by document and find each document's best page."""
    documents = cols.document_id[docnums]
    if len(documents) > 1 and np.any(documents[1:] < documents[:-1]):
        order = np.argsort(documents, kind="stable")  # pages stay in docnum order
        docnums, scores, documents = docnums[order], scores[order], documents[order]
    first = np.ones(len(documents), dtype=bool)
    first[1:] = documents[1:] != documents[:-1]
    starts = np.flatnonzero(first)
    best = starts
    if len(starts):
        # the first page of each group holding the group's highest score
        top = np.maximum.reduceat(scores, starts)
        at_top = np.flatnonzero(scores == np.repeat(top, np.diff(np.append(starts, len(scores)))))
        group = np.cumsum(first)[at_top] - 1
        leads = np.ones(len(at_top), dtype=bool)
        leads[1:] = group[1:] != group[:-1]
        best = at_top[leads]
    bounds = np.append(starts, len(documents))
    matches = _Matches(docnums, scores, bounds, documents[starts], docnums[best], scores[best])
    matches.facets = _facets(matches, cols)
    return matches


def _rank(matches: _Matches, cols: _Columns, by_date: bool, depth: int) -> np.ndarray:
    """The first ``depth`` documents by best page score, or by date (newest first); ties:
    newer, then higher document id.

    Only documents that can be among the first ``depth`` are sorted: those whose primary key
    (score, or day) is at least the ``depth``-th largest.
    """
    day = cols.day[matches.best]
    primary = day if by_date else matches.best_scores
    chosen = np.arange(matches.total)
    if depth < matches.total:
        threshold = np.partition(primary, matches.total - depth)[matches.total - depth]
        chosen = np.flatnonzero(primary >= threshold)
    keys = (-matches.documents[chosen], -day[chosen])
    if not by_date:
        keys = (*keys, -primary[chosen])
    return chosen[np.lexsort(keys)][:depth]


_FACET_NAMES = (*schema_module.FACET_FIELDS, "year")


def _facets(matches: _Matches, cols: _Columns) -> dict[str, dict[str, int]]:
    """Count matching documents per meeting, doc_type, language, delegation and year.

    Each document counts by its best page, except for languages: every language among its
    matching pages counts once.
    """
    counts: dict[str, dict[str, int]] = {}
    for name in ("meeting", "doc_type", "delegation"):
        tally = np.bincount(cols.codes[name][matches.best], minlength=len(cols.values[name]))
        counts[name] = {v: int(c) for v, c in zip(cols.values[name], tally, strict=True) if c}
        counts[name].pop("", None)
    years, tally = np.unique(cols.year[matches.best], return_counts=True)
    counts["year"] = {str(y): int(c) for y, c in zip(years, tally, strict=True) if y}
    counts["language"] = _language_counts(matches, cols)
    return {name: _by_count(counts[name]) for name in _FACET_NAMES}


def _language_counts(matches: _Matches, cols: _Columns) -> dict[str, int]:
    """Documents per language among their matching pages (a bit per language, or pairs)."""
    languages = cols.values["language"]
    codes = cols.codes["language"][matches.docnums]
    if not len(codes):
        return {}
    if len(languages) <= 62:
        present = np.bitwise_or.reduceat(np.left_shift(1, codes), matches.starts[:-1])
        tally = [int(np.count_nonzero((present >> n) & 1)) for n in range(len(languages))]
    else:
        document = np.repeat(np.arange(matches.total), np.diff(matches.starts))
        pairs = np.unique(document * len(languages) + codes)
        tally = np.bincount(pairs % len(languages), minlength=len(languages)).tolist()
    return {value: count for value, count in zip(languages, tally, strict=True) if count}


def _no_facets() -> dict[str, dict[str, int]]:
    """The facets of no matching document."""
    return {name: {} for name in _FACET_NAMES}


def _by_count(counter: dict[str, int]) -> dict[str, int]:
    """A facet's counts, largest first, then by value."""
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


# The index


class SearchIndex:
    """The page-level Whoosh index of the archive (see the module docstring)."""

    def __init__(
        self, root: Path | str, text_cache: TextCache, *, writer_timeout: float = 30.0
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.text_cache = text_cache
        self.writer_timeout = writer_timeout
        self._search_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._ix: FileIndex | None = None
        self._searcher: Searcher | None = None
        self._searcher_dir: str | None = None
        self._gen: _Generation | None = None
        self._column_cache = _ColumnCache()
        self._posting_cache = matching.PostingCache()

    # Writes

    def add_files(self, files: Iterable[tuple[FileRecord, list[str]]]) -> int:
        """Index the pages of each file, replacing what was indexed for its file_id.

        One writer and one commit for the whole batch; on error the writer is cancelled and
        the error re-raised. A file_id given twice keeps its last pages. Returns pages written.
        """
        batch = {record.file_id: (record, pages) for record, pages in files}
        return self._replace(batch, [("file_id", file_id) for file_id in batch])

    def replace_document(
        self, document_id: int, files: Iterable[tuple[FileRecord, list[str]]]
    ) -> int:
        """Make ``files`` the only indexed files of a document, in one commit.

        Pages of the document's other files (an old version, a removed language) go; with no
        files the document is removed. Returns pages written.
        """
        batch = {record.file_id: (record, pages) for record, pages in files}
        if any(record.document_id != document_id for record, _ in batch.values()):
            raise ValueError(f"every file must belong to document {document_id}")
        if not batch:
            self.delete_document(document_id)
            return 0
        terms = [("document_id", document_id), *(("file_id", file_id) for file_id in batch)]
        return self._replace(batch, terms)

    def replace_documents(self, documents: dict[int, list[tuple[FileRecord, list[str]]]]) -> int:
        """Make each document's listed files its only indexed files, all in one commit.

        ``documents`` maps a document id to its files (an empty list removes the document),
        so a batch of documents costs one writer commit and none of them ever drops out of
        search. Returns pages written.
        """
        batch: dict[int, tuple[FileRecord, list[str]]] = {}
        stale: list[tuple[str, int]] = []
        for document_id, files in documents.items():
            stale.append(("document_id", document_id))
            for record, pages in files:
                if record.document_id != document_id:
                    raise ValueError(f"file {record.file_id} is not of document {document_id}")
                batch[record.file_id] = (record, pages)
                stale.append(("file_id", record.file_id))
        if not batch:
            self._delete("document_id", documents)
            return 0
        return self._replace(batch, stale)

    def _replace(
        self, batch: dict[int, tuple[FileRecord, list[str]]], stale: list[tuple[str, int]]
    ) -> int:
        """Delete the pages matching the ``stale`` terms and add the batch, in one commit."""
        if not batch:
            return 0
        with self._write_lock, self._writer(create=True) as writer:
            for fieldname, value in stale:
                writer.delete_by_term(fieldname, value)
            return sum(_add_pages(writer, record, pages) for record, pages in batch.values())

    def delete_files(self, file_ids: Iterable[int]) -> None:
        """Remove every page of the given files."""
        self._delete("file_id", file_ids)

    def delete_document(self, document_id: int) -> None:
        """Remove every page of every file of a document."""
        self._delete("document_id", [document_id])

    def _delete(self, fieldname: str, values: Iterable[int]) -> None:
        """Delete the pages whose ``fieldname`` is one of ``values``, in one commit."""
        values = list(values)
        if not values:
            return
        with self._write_lock, self._writer(create=False) as writer:
            if writer is not None:
                for value in values:
                    writer.delete_by_term(fieldname, value)

    @contextmanager
    def _writer(self, *, create: bool) -> Iterator[IndexWriter | None]:
        """Yield a writer on the live index; commit on success, cancel and re-raise on error."""
        writer = self._open_writer(create=create)
        if writer is None:
            yield None
            return
        with _committed(writer):
            yield writer

    def _open_writer(self, *, create: bool) -> IndexWriter | None:
        """Lock the live index for writing, making sure no rebuild swapped it meanwhile.

        ``create``: this is for adding pages, so create the index if there is none, and refuse
        an index of another schema version (deletions still go through meanwhile).
        """
        for _ in range(3):
            if self._read_pointer() is None:
                if not create:
                    return None
                self._create_initial()
            live = self._open_live()
            if live is None:
                continue
            name, ix = live
            if create and _read_version(self.root / name) != schema_module.SCHEMA_VERSION:
                raise IndexOutdatedError("The search index must be rebuilt (schema changed).")
            writer = open_writer(ix, timeout=self.writer_timeout, limitmb=WRITER_LIMITMB)
            if self._read_pointer() == name:
                return writer
            writer.cancel()
        raise LockError("The search index is being replaced; try again.")

    # Rebuild and versions

    def needs_rebuild(self) -> bool:
        """True when there is no index yet or it was built with another schema version."""
        name = self._read_pointer()
        if name is None:
            return True
        path = self.root / name
        if not (path.is_dir() and whoosh_index.exists_in(str(path))):
            return True
        return _read_version(path) != schema_module.SCHEMA_VERSION

    def rebuild(
        self,
        files: Iterable[tuple[FileRecord, list[str]]],
        *,
        progress: Callable[[int], None] | None = None,
        procs: int = 1,
    ) -> int:
        """Build a new index from ``files`` in a new directory, then swap it in atomically.

        Writers on the old index are held off (its write lock is taken) until the swap, so
        no write is lost in the old directory. ``progress(n)`` is called with the number of
        files processed so far. ``procs > 1`` uses Whoosh's multiprocess writer with one
        segment per process. Returns the number of pages indexed.
        """
        with self._write_lock, self._rebuild_lock():
            old = self._hold_old_index()
            try:
                name, count = self._build(files, progress, procs)
                self._swap(name)
            finally:
                if old is not None:
                    old.cancel()
            self._remove_stale_dirs(keep=name)
        return count

    def _build(
        self,
        files: Iterable[tuple[FileRecord, list[str]]],
        progress: Callable[[int], None] | None,
        procs: int,
    ) -> tuple[str, int]:
        """Write all files into a fresh versioned directory; remove it on failure."""
        name, ix = self._new_index_dir()
        try:
            count = _fill(ix, files, progress, procs)
        except BaseException:
            shutil.rmtree(self.root / name, ignore_errors=True)
            raise
        return name, count

    def _create_initial(self) -> str:
        """Create and publish an empty index if there is none yet; return the live name."""
        with self._rebuild_lock():
            name = self._read_pointer()
            if name is None:
                name, _ = self._new_index_dir()
                self._swap(name)
        return name

    def _new_index_dir(self) -> tuple[str, FileIndex]:
        """Create ``v<version>-<timestamp>-<pid>`` with its sentinel and an empty index."""
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"v{schema_module.SCHEMA_VERSION}-{stamp}-{os.getpid()}"
        path = self.root / name
        path.mkdir()
        (path / VERSION_FILE).write_text(f"{schema_module.SCHEMA_VERSION}\n", encoding="ascii")
        return name, whoosh_index.create_in(str(path), schema_module.SCHEMA)

    def _hold_old_index(self) -> IndexWriter | None:
        """Take the write lock of the live index (if it opens) so writers wait for the swap."""
        try:
            live = self._open_live()
        except Exception:  # unreadable: nothing to protect
            log.warning("rebuild: the old index cannot be opened", exc_info=True)
            return None
        return live[1].writer(timeout=self.writer_timeout) if live else None

    @contextmanager
    def _rebuild_lock(self) -> Iterator[None]:
        """Hold an inter-process lock while creating or swapping index directories."""
        lock = FileStorage(str(self.root)).lock("REBUILD_LOCK")
        deadline = time.monotonic() + self.writer_timeout
        while not lock.acquire(blocking=False):
            if time.monotonic() > deadline:
                raise LockError("Another rebuild of the search index is running.")
            time.sleep(0.05)
        try:
            yield
        finally:
            lock.release()

    def _swap(self, name: str) -> None:
        """Point ``CURRENT`` at ``name`` atomically (temp file, fsync, os.replace)."""
        write_atomic(self.root / POINTER, (name + "\n").encode("ascii"))

    def _remove_stale_dirs(self, keep: str) -> None:
        """Delete index directories other than ``keep`` (open readers keep their files)."""
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("v") and child.name != keep:
                shutil.rmtree(child, ignore_errors=True)

    def _read_pointer(self) -> str | None:
        """The name of the live index directory, or None before the first index exists."""
        try:
            name = (self.root / POINTER).read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return None
        return name or None

    def _open_live(self) -> tuple[str, FileIndex] | None:
        """Open the index ``CURRENT`` names (None if there is none yet).

        A failure is retried briefly, re-reading the pointer each time (a rebuild may just
        have replaced the directory); it is never a reason to delete or recreate anything.
        """
        for delay in (*OPEN_RETRIES, None):
            name = self._read_pointer()
            if name is None:
                return None
            try:
                return name, whoosh_index.open_dir(str(self.root / name))
            except Exception:
                if delay is None:
                    raise
                log.warning("opening search index %s failed; retrying", name, exc_info=True)
                time.sleep(delay)
        raise AssertionError("unreachable")

    # Reads

    def indexed_file_ids(self) -> set[int]:
        """The file ids that have at least one page in the index."""
        with self._search_lock:
            searcher = self._fresh_searcher()
            if searcher is None:
                return set()
            file_ids = self._generation(searcher).columns.file_id
            alive = np.fromiter(searcher.reader().all_doc_ids(), dtype=np.int64)
            return set(np.unique(file_ids[alive]).tolist())

    def search(self, query: SearchQuery) -> SearchResults:
        """Run a query: documents ranked by relevance or date, with total and facets."""
        _validate(query)
        parsed = parse_user_query(query.q, _search_fields(query.language))
        with self._search_lock:
            searcher = self._fresh_searcher()
            if searcher is None or not query.statuses or isinstance(parsed, _NULL_QUERY_TYPE):
                return SearchResults(0, query.page, query.per_page, [], _no_facets())
            if parsed is not None:
                check_expansions(parsed, searcher.reader())
            generation = self._generation(searcher)
            cols = generation.columns
            filter_query, days = _filter_query(query), _day_bounds(query)
            allowed = generation.allowed(filter_query, days)
            evaluated = parsed
            if schema_module.BIGRAM_FIELD in searcher.schema:  # not in an outdated index
                evaluated = phrase_by_bigrams(parsed)
            matches = generation.matches(
                (repr(parsed), f"{filter_query!r} {days}"),
                lambda: _collect(searcher, evaluated, allowed, generation),
            )
            by_date = parsed is None or query.sort == "date"
            start = (query.page - 1) * query.per_page
            ranked = matches.ranked(cols, by_date, start + query.per_page)
            chosen = ranked[start : start + query.per_page].tolist()
            items = self._document_hits(searcher, parsed, matches, chosen, cols)
        return SearchResults(matches.total, query.page, query.per_page, items, matches.facets)

    def close(self) -> None:
        """Release the searcher (and its files)."""
        with self._search_lock:
            self._close_searcher()

    def _fresh_searcher(self) -> Searcher | None:
        """The searcher on the live index, reopened after a swap or a commit.

        Not ``Searcher.refresh()``: in whoosh-reloaded 2.7.5 it reuses the old segment
        readers by segment id, so a commit that only deletes documents is not seen.
        """
        name = self._read_pointer()
        if name is None:
            self._close_searcher()
            return None
        if self._ix is None or self._searcher is None or name != self._searcher_dir:
            self._close_searcher()
            live = self._open_live()
            if live is None:
                return None
            self._searcher_dir, self._ix = live
            self._searcher = self._ix.searcher()
        elif self._ix.latest_generation() != self._searcher.reader().generation():
            stale, self._searcher = self._searcher, self._ix.searcher()
            stale.close()
        return self._searcher

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
        self._ix = None
        self._searcher = None
        self._searcher_dir = None
        self._gen = None

    def _generation(self, searcher: Searcher) -> _Generation:
        """Columns and filter results for this searcher (rebuilt after each refresh)."""
        if self._gen is None or self._gen.searcher is not searcher:
            columns = self._column_cache.load(searcher.reader())
            self._gen = _Generation(
                searcher, columns, self._column_cache.lengths, self._posting_cache
            )
        return self._gen

    # Result items

    def _document_hits(
        self,
        searcher: Searcher,
        parsed: wq.Query | None,
        matches: _Matches,
        chosen: list[int],
        cols: _Columns,
    ) -> list[DocumentHit]:
        """Build the items of one results page (document positions in ``matches``)."""
        snippets = _SnippetMaker(searcher, parsed, self.text_cache)
        items = []
        for position in chosen:
            pages = matches.pages_of(position)
            best_score, best = pages[0]
            best_file = int(cols.file_id[best])
            same_file = [docnum for _, docnum in pages if cols.file_id[docnum] == best_file]
            limit = HITS_PER_DOCUMENT if parsed is not None else 1
            hits = [snippets.page_hit(docnum) for docnum in same_file[:limit]]
            language = cols.text("language", best)
            document_id = int(matches.documents[position])
            items.append(DocumentHit(document_id, best_file, language, best_score, hits))
        return items


class _SnippetMaker:
    """Makes page hits for one search, caching page texts and per-field highlight terms."""

    def __init__(
        self,
        searcher: Searcher,
        parsed: wq.Query | None,
        cache: TextCache,
    ) -> None:
        self.searcher = searcher
        self.parsed = parsed
        self.cache = cache
        self._pages: dict[str, list[str]] = {}
        self._terms: dict[str, tuple[frozenset[str], list[list[str]]]] = {}

    def page_hit(self, docnum: int) -> PageHit:
        """The page number and snippet of one indexed page."""
        stored = self.searcher.stored_fields(docnum)
        number = stored["page"]
        pages = self._page_texts(stored["sha256"])
        text = pages[number - 1] if 0 < number <= len(pages) else ""
        fieldname = schema_module.text_field_for(stored["language"])
        terms, phrases = self._terms_for(fieldname)
        # the field's memoising analyser, shared with indexing in this process
        spans = schema_module.page_terms(fieldname)
        return PageHit(number, make_snippet(text, spans, terms, phrases))

    def _page_texts(self, sha256: str) -> list[str]:
        if sha256 not in self._pages:
            self._pages[sha256] = self.cache.get(sha256) or []
        return self._pages[sha256]

    def _terms_for(self, fieldname: str) -> tuple[frozenset[str], list[list[str]]]:
        if self.parsed is None:
            return frozenset(), []
        if fieldname not in self._terms:
            reader = self.searcher.reader()
            self._terms[fieldname] = _highlight_terms(self.parsed, fieldname, reader)
        return self._terms[fieldname]


# Page documents


@contextmanager
def _committed(writer: IndexWriter) -> Iterator[IndexWriter]:
    """Commit ``writer`` if the block succeeds; otherwise cancel it and re-raise."""
    try:
        yield writer
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def _fill(
    ix: FileIndex,
    files: Iterable[tuple[FileRecord, list[str]]],
    progress: Callable[[int], None] | None,
    procs: int,
) -> int:
    """Write files into a new index, one commit per batch; a repeated file_id keeps its first.

    Whoosh writes several mid-sized segments much faster than one large one, and the batches
    keep memory bounded; search speed is unaffected by the handful of extra segments.
    """
    seen: set[int] = set()
    count = done = 0
    for chunk in _chunks(files, REBUILD_BATCH_FILES):
        with _committed(_bulk_writer(ix, procs)) as writer:
            for record, pages in chunk:
                done += 1
                if record.file_id in seen:
                    log.warning("rebuild: file %s given twice; keeping the first", record.file_id)
                else:
                    seen.add(record.file_id)
                    count += _add_pages(writer, record, pages)
                if progress is not None:
                    progress(done)
    return count


def _bulk_writer(ix: FileIndex, procs: int) -> IndexWriter:
    """A writer for bulk loading; with procs > 1, one segment per process and no final merge."""
    if procs > 1:
        return open_writer(ix, limitmb=WRITER_LIMITMB, procs=procs, multisegment=True)
    return open_writer(ix, limitmb=WRITER_LIMITMB)


def _chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """Consecutive lists of at most ``size`` items."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _add_pages(writer: IndexWriter, record: FileRecord, pages: list[str]) -> int:
    """Add one Whoosh document per page of a file; return the number of pages.

    Each page is analysed once (:class:`~indexer.schema.PageText`): its terms by position
    fill the text field (pre-analysed) and their consecutive pairs the bigram field.
    """
    common = _file_fields(record)
    textfield = schema_module.text_field_for(record.language)
    for number, text in enumerate(pages, start=1):
        if not isinstance(text, str):
            raise TypeError(f"page {number} of file {record.file_id} is not text")
        page = schema_module.PageText(textfield, text)
        fields = {textfield: page, schema_module.BIGRAM_FIELD: page}
        writer.add_document(key=f"{record.file_id}:{number}", page=number, **fields, **common)
    return len(pages)


def _file_fields(record: FileRecord) -> dict[str, object]:
    """The fields shared by every page of a file (every column always has a value)."""
    fields: dict[str, object] = {
        "document_id": record.document_id,
        "file_id": record.file_id,
        "sha256": record.sha256,
        "status": record.status,
        "language": record.language,
        "meeting": record.meeting,
        "doc_type": record.doc_type,
        "delegation": record.delegation or "",
        "year": record.date.year if record.date else 0,
        "day": record.date.toordinal() if record.date else 0,
        schema_module.NEUTRAL_FIELD: " ".join(
            part for part in (record.symbol, record.title, record.names) if part
        ),
    }
    if record.date:
        fields["date"] = _start_of(record.date)
    return fields


def _read_version(path: Path) -> int | None:
    """The schema version recorded in an index directory, or None if unreadable."""
    try:
        return int((path / VERSION_FILE).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


# A fix to whoosh-reloaded 2.7.5 (frozen, so fixes are ours)


def _cached_length_reader(self: W3PerDocReader, fieldname: str, column: object) -> object:
    """``W3PerDocReader._cached_reader`` that also remembers a *missing* length column.

    The original caches only columns that exist, so every posting of an unscored field (ids,
    numbers, facets) asked the file system whether the column file exists — a third of the
    time of a commit. A written segment never gains a column, so "missing" stays true.
    """
    readers = self._readers
    if fieldname not in readers:
        has = self.has_column(fieldname)
        readers[fieldname] = self.column_reader(fieldname, column) if has else None
    return readers[fieldname]


W3PerDocReader._cached_reader = _cached_length_reader

#: stemmed forms remembered per language, shared by every analyzer of the process
STEM_CACHE_WORDS = 200_000


@functools.cache
def _shared_stemmer(lang: str) -> Callable[[str], str]:
    """The stemmer of a language behind one bounded (C) LRU cache for the whole process."""
    return functools.lru_cache(maxsize=STEM_CACHE_WORDS)(stemmer_for_language(lang))


_original_stem_clear = StemFilter.clear


def _stem_filter_clear(self: StemFilter) -> None:
    """``StemFilter.clear`` sharing one cache per language across filter instances.

    Whoosh unpickles the schema for every writer and searcher, and each unpickled StemFilter
    started with an empty pure-Python LFU cache, so every batch commit stemmed its vocabulary
    again. Stemming is a pure function of the word, so a shared cache changes no term.
    """
    if self.lang and isinstance(self.cachesize, int) and self.cachesize > 1:
        self._stem = _shared_stemmer(self.lang)
    else:
        _original_stem_clear(self)


StemFilter.clear = _stem_filter_clear
