"""Evaluate a parsed Whoosh query over whole posting blocks into arrays of docnums and scores.

Whoosh's matchers walk the postings one by one in Python, which costs ~1 µs per posting and
call; a common word on 150,000 pages made a search take half a second. Here each term's
posting list is read block by block (a block is a pickled tuple of 128 delta-coded ids, their
weights and values) into numpy arrays, scored with vectorised BM25F, and the boolean structure
is evaluated with sorted-array set operations. Phrases (slop 1) decode positions only for the
pages holding every word (within what the rest of an And leaves). :class:`PostingCache` keeps
decoded posting lists between searches.

The scores equal Whoosh's own (``parsed.matcher(...).score()``): the same BM25F formula and
operation order on the same float64 values (float32 weights, byte-quantised field lengths,
idf and average field length from the top-level searcher), sums taken along the same matcher
trees Whoosh builds (:func:`whoosh.util.make_weighted_tree` over ``estimate_size``), boosts
applied where Whoosh's wrapping matchers apply them. One difference is deliberate: Whoosh's
AndNotMatcher keeps the first page of a segment when the excluded side starts earlier and
also matches it; here ``a ANDNOT b`` never holds a page of ``b``.

What is not evaluated here (phrases with slop, spans, anything unknown) falls back to Whoosh's
own matcher: inside an ``And`` (or as the excluded or optional side of ``AndNot``/
``AndMaybe``/``Require``) only the candidates left by the evaluated siblings are checked with
``skip_to``; elsewhere the whole segment is walked the old way (:func:`walk_segment`, also the
reference implementation the tests compare against).
"""

from __future__ import annotations

import contextlib
import pickle
import threading
import zlib
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from itertools import chain

import numpy as np
from whoosh import formats
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, W3TermsReader, _lenfield
from whoosh.columns import NumericColumn
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query.compound import DefaultOr
from whoosh.query.terms import MultiTerm
from whoosh.reading import IndexReader, TermInfo, TermNotFound
from whoosh.scoring import BM25F
from whoosh.searching import SearchContext, Searcher
from whoosh.util.numeric import _length_byte_cache

from indexer.phrases import CheckedPhrase

__all__ = [
    "Hits",
    "PostingCache",
    "Unsupported",
    "evaluate",
    "field_lengths",
    "walk",
    "walk_segment",
]

#: byte-quantised field length -> length, as ``W3PerDocReader.doc_field_length`` decodes it
_LENGTH_OF_BYTE = np.array(_length_byte_cache, dtype=np.float64)
#: Whoosh's Or switches to a preloading matcher (other sums) from this many clauses
_TOO_MANY_CLAUSES = wq.Or.TOO_MANY_CLAUSES
_NULL_QUERY_TYPE = type(wq.NullQuery)
_OR_TYPES = (wq.Or, DefaultOr)
_EXPANDING_TYPES = (wq.FuzzyTerm, wq.Variations)
_PATTERN_TYPES = {wq.Prefix: "", wq.Wildcard: "*", wq.Regex: ".*"}  # text that means Every

#: segment reader, field name -> float64 lengths by segment docnum (cached by the caller)
LengthSource = Callable[[IndexReader, str], np.ndarray]


class Unsupported(Exception):
    """A query node this module does not evaluate (its caller falls back to Whoosh)."""


@dataclass(frozen=True, slots=True)
class Hits:
    """Matching docnums (sorted, unique, int64) and their scores (float64)."""

    ids: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


def _hits(ids: object = (), scores: object = ()) -> Hits:
    return Hits(np.asarray(ids, dtype=np.int64), np.asarray(scores, dtype=np.float64))


EMPTY = _hits()


def evaluate(
    query: wq.Query,
    searcher: Searcher,
    lengths: LengthSource,
    postings: PostingCache | None = None,
) -> Hits:
    """Every live page matching ``query`` in ``searcher`` (global docnums) with its score.

    ``postings`` keeps decoded posting lists between searches (None: decode each time).
    """
    context = searcher.context(needs_current=True)
    parts = []
    for leaf, offset in searcher.leaf_searchers():
        try:
            segment = _Segment(leaf, context, lengths, postings or PostingCache(0))
            hits = segment.alive(segment.evaluate(query))
        except Unsupported:
            hits = walk_segment(query, leaf, context)
        parts.append(Hits(hits.ids + offset, hits.scores))
    return _concat(parts)


def walk(query: wq.Query, searcher: Searcher) -> Hits:
    """The reference: Whoosh's matchers walked posting by posting over every segment."""
    context = searcher.context(needs_current=True)
    parts = []
    for leaf, offset in searcher.leaf_searchers():
        hits = walk_segment(query, leaf, context)
        parts.append(Hits(hits.ids + offset, hits.scores))
    return _concat(parts)


def walk_segment(query: wq.Query, leaf: Searcher, context: SearchContext) -> Hits:
    """Whoosh's own matcher over one segment (segment docnums; deleted pages skipped)."""
    ids: list[int] = []
    scores: list[float] = []
    matcher = query.matcher(leaf, context).replace()  # prune empty branches
    while matcher.is_active():
        ids.append(matcher.id())
        scores.append(matcher.score())
        matcher.next()
    return _hits(ids, scores)


def field_lengths(reader: IndexReader, fieldname: str) -> np.ndarray:
    """A segment's field lengths by docnum, decoded as Whoosh's scorers see them."""
    count = reader.doc_count_all()
    column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:  # no length column: doc_field_length's default
        return np.ones(count, dtype=np.float64)
    if type(column) is NumericColumn.Reader and column._typecode == "B":
        raw = column._dbfile.get(column._basepos, column._count)  # one byte per docnum
        codes = np.zeros(count, dtype=np.uint8)
        codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)[:count]
    else:
        codes = np.fromiter(iter(column), dtype=np.uint8, count=count)
    return _LENGTH_OF_BYTE[codes]


class PostingCache:
    """Decoded posting lists by segment and term, least recently used dropped first.

    A written segment never changes (deletions are kept apart and applied after
    evaluation), so an entry stays right across commits; entries of merged-away segments
    age out. Ids are kept as int32 and weights as float32 (what the index stores).
    """

    def __init__(self, max_postings: int = 3_000_000) -> None:
        self.max_postings = max_postings
        self._entries: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(
        self, reader: IndexReader, fieldname: str, btext: bytes, info: TermInfo | None = None
    ) -> tuple[np.ndarray, ...]:
        """The term's docnums (int64) and weights (float64) in the reader's segment."""
        key = (reader.segment().segment_id(), fieldname, btext)
        with self._lock:
            found = self._entries.pop(key, None)
            if found is not None:
                self._entries[key] = found  # most recently used last
        if found is None:
            ids, weights = _postings(reader, fieldname, btext, info)
            self._keep(key, (ids.astype(np.int32), weights.astype(np.float32)))
            return ids, weights
        return found[0].astype(np.int64), found[1].astype(np.float64)

    def _keep(self, key: tuple, entry: tuple[np.ndarray, np.ndarray]) -> None:
        if len(entry[0]) > self.max_postings // 4:  # one list may not crowd out the rest
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = entry
            self._size += len(entry[0])
            while self._size > self.max_postings:
                _, (ids, _) = self._entries.popitem(last=False)
                self._size -= len(ids)


def _concat(parts: list[Hits]) -> Hits:
    if not parts:
        return EMPTY
    return Hits(np.concatenate([p.ids for p in parts]), np.concatenate([p.scores for p in parts]))


# Set operations on sorted id arrays (scores summed as Whoosh's binary matchers sum them)


def _union(a: Hits, b: Hits) -> Hits:
    """UnionMatcher: a.score() + b.score() where both match, else the one that does."""
    if not len(b):
        return a
    if not len(a):
        return b
    extra = b.ids[~_in_sorted(b.ids, a.ids)]
    ids = np.insert(a.ids, np.searchsorted(a.ids, extra), extra)  # merged, no sort
    scores = np.zeros(len(ids), dtype=np.float64)
    scores[np.searchsorted(ids, a.ids)] = a.scores
    scores[np.searchsorted(ids, b.ids)] += b.scores
    return Hits(ids, scores)


def _intersection(a: Hits, b: Hits) -> Hits:
    """IntersectionMatcher: a.score() + b.score()."""
    if len(a) <= len(b):
        keep = _in_sorted(a.ids, b.ids)
        ids = a.ids[keep]
        return Hits(ids, a.scores[keep] + b.scores[np.searchsorted(b.ids, ids)])
    keep = _in_sorted(b.ids, a.ids)
    ids = b.ids[keep]
    return Hits(ids, a.scores[np.searchsorted(a.ids, ids)] + b.scores[keep])


def _within(a: Hits, ids: np.ndarray) -> Hits:
    """The hits of ``a`` whose ids are in ``ids`` (scores of ``a``)."""
    keep = _in_sorted(a.ids, ids)
    return Hits(a.ids[keep], a.scores[keep])


def _without(a: Hits, ids: np.ndarray) -> Hits:
    """The hits of ``a`` whose ids are not in ``ids`` (scores of ``a``)."""
    if not len(ids):
        return a
    keep = ~_in_sorted(a.ids, ids)
    return Hits(a.ids[keep], a.scores[keep])


def _boosted(hits: Hits, boost: float) -> Hits:
    """WrappingMatcher: child.score() * boost."""
    return hits if boost == 1.0 else Hits(hits.ids, hits.scores * boost)


def _weighted_tree(combine: Callable[[Hits, Hits], Hits], items: list[tuple[int, Hits]]) -> Hits:
    """``whoosh.util.make_weighted_tree`` over evaluated results, so sums keep its order.

    Whoosh sorts (weight, matcher) pairs; two matchers never compare as "less" (their
    ``__eq__``/``__lt__`` only test the class), so ties keep their order and ``insort``
    puts a merged pair after those of equal weight: a stable sort and ``bisect_right``.
    """
    pairs = sorted(items, key=lambda pair: pair[0])
    while len(pairs) > 1:
        (wa, a), (wb, b) = pairs.pop(0), pairs.pop(0)
        weight = wa + wb
        at = bisect_right([w for w, _ in pairs], weight)
        pairs.insert(at, (weight, combine(a, b)))
    return pairs[0][1]


def _both(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The ids (ascending) in both ascending arrays."""
    return a[_in_sorted(a, b)] if len(a) <= len(b) else b[_in_sorted(b, a)]


def _common(ids: np.ndarray, hits: Hits) -> np.ndarray:
    return _both(ids, hits.ids)


def _has_phrase(node: wq.Query) -> bool:
    """True if ``node`` or a node under it is a Phrase."""
    return type(node) in _PHRASE_TYPES or any(_has_phrase(child) for child in node.children())


#: phrases checked over positions here; a CheckedPhrase (beside its bigram terms) scores 0
_PHRASE_TYPES = (wq.Phrase, CheckedPhrase)


def _in_sorted(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """A mask of the ``values`` found in the ascending array ``table`` (no sorting: a
    binary search per value, which beats ``np.isin`` on these already sorted arrays)."""
    if not len(table):
        return np.zeros(len(values), dtype=bool)
    at = np.minimum(np.searchsorted(table, values), len(table) - 1)
    return table[at] == values


def _binary_tree(combine: Callable[[Hits, Hits], Hits], items: list[Hits]) -> Hits:
    """``whoosh.util.make_binary_tree``: halves combined recursively, order kept."""
    if len(items) == 1:
        return items[0]
    half = len(items) // 2
    return combine(_binary_tree(combine, items[:half]), _binary_tree(combine, items[half:]))


# One segment


class _Segment:
    """Evaluates query nodes over one segment (segment docnums, deleted pages included)."""

    def __init__(
        self,
        leaf: Searcher,
        context: SearchContext,
        lengths: LengthSource,
        postings: PostingCache,
    ) -> None:
        self.leaf = leaf
        self.postings = postings
        self._infos: dict[tuple[str, bytes], TermInfo | None] = {}
        self.reader = leaf.reader()
        self.context = context
        self.lengths = lengths
        self.top = leaf.get_parent()
        self.weighting = context.weighting
        if type(self.weighting) is not BM25F:
            raise Unsupported(f"weighting {type(self.weighting).__name__}")

    def alive(self, hits: Hits) -> Hits:
        """``hits`` without the segment's deleted pages."""
        if not self.reader.has_deletions():
            return hits
        deleted = np.fromiter(self.reader.deleted_docs_set, dtype=np.int64)
        return _without(hits, np.sort(deleted))

    def evaluate(self, node: wq.Query, within: np.ndarray | None = None) -> Hits:
        """The hits of ``node`` as Whoosh's matcher for it would yield them.

        ``within``: the caller only needs the hits among these ids (an And passes what its
        other children leave), so phrases need not look at positions elsewhere; the result
        may then hold only those hits.
        """
        kind = type(node)
        if kind is _NULL_QUERY_TYPE:
            return EMPTY
        if kind is wq.Term:
            return self._term(node.fieldname, node.text, node.boost)
        if kind in _OR_TYPES:
            return self._or(node, within)
        if kind is wq.And:
            return self._and(node, within)
        if kind is wq.AndNot:
            a = self.evaluate(node.a)
            return _without(a, self._ids_among(node.b, a.ids)) if len(a) else EMPTY
        if kind is wq.Require:
            a = self.evaluate(node.a)
            return _within(a, self._ids_among(node.b, a.ids)) if len(a) else EMPTY
        if kind is wq.AndMaybe:
            return self._and_maybe(node)
        if kind is wq.Not:
            return self._not(node)
        if kind in _PATTERN_TYPES or kind in _EXPANDING_TYPES:
            return self._multiterm(node)
        if kind is wq.Phrase:
            return self._phrase(node, within)
        if kind is CheckedPhrase:
            found = self._phrase(node, within)
            return Hits(found.ids, np.zeros(len(found.ids)))
        raise Unsupported(kind.__name__)

    # Leaves

    def _term(self, fieldname: str, text: str | bytes, boost: float) -> Hits:
        """Term.matcher: the term's postings scored by BM25F (or weight, if unscored)."""
        schema = self.leaf.schema
        if fieldname not in schema:
            return EMPTY
        field = schema[fieldname]
        try:
            btext = field.to_bytes(text)
        except ValueError:
            return EMPTY
        info = self._info(fieldname, btext)
        if info is None:
            return EMPTY
        ids, weights = self.postings.get(self.reader, fieldname, btext, info)
        if field.scorable:
            idf = self.top.idf(fieldname, btext)
            avgfl = self.top.avg_field_length(fieldname) or 1
            B = self.weighting._field_B.get(fieldname, self.weighting.B)
            K1 = self.weighting.K1
            fl = self.lengths(self.reader, fieldname)[ids]
            # whoosh.scoring.bm25, term for term (same float64 operations in the same order)
            scores = idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / avgfl)))
        else:
            scores = weights  # WeightScorer
        return _boosted(Hits(ids, scores), boost)

    def _info(self, fieldname: str, btext: bytes) -> TermInfo | None:
        """The term's statistics in this segment (None: not in it), looked up once."""
        key = (fieldname, btext)
        if key not in self._infos:
            try:
                self._infos[key] = self.reader.term_info(fieldname, btext)
            except TermNotFound:
                self._infos[key] = None
        return self._infos[key]

    def _estimate(self, node: wq.Query) -> int:
        """``node.estimate_size(reader)``, which orders Whoosh's matcher trees (a Term's is
        its document frequency, here from the looked-up statistics)."""
        if type(node) is not wq.Term:
            return node.estimate_size(self.reader)
        schema = self.reader.schema
        if node.fieldname not in schema:
            return 0
        try:
            btext = schema[node.fieldname].to_bytes(node.text)
        except ValueError:
            return 0
        info = self._info(node.fieldname, btext)
        return info.doc_frequency() if info is not None else 0

    def _multiterm(self, node: MultiTerm) -> Hits:
        """MultiTerm.matcher: one Term, or an Or of the expanded terms with the node's boost."""
        if type(node) in _PATTERN_TYPES and node.text == _PATTERN_TYPES[type(node)]:
            raise Unsupported("a pattern matching every term")  # Whoosh runs Every instead
        fieldname = node.field()
        words = [word for word in node._btexts(self.reader) if word]
        if not words:
            return EMPTY
        if len(words) == 1:
            return self._term(fieldname, words[0], 1.0)
        return self._or(wq.Or([wq.Term(fieldname, word) for word in words], boost=node.boost))

    def _phrase(self, node: wq.Phrase, within: np.ndarray | None = None) -> Hits:
        """Phrase (slop 1): the words at consecutive positions, scored as Whoosh scores it.

        Whoosh's SpanNear2 matcher sums the words' term scores along an order-preserving
        binary tree of IntersectionMatchers. Positions are decoded only for the pages that
        hold every word (and are ``within`` the given ones, when an And gives them; then
        the result is only that part). Other slops go to Whoosh's matcher
        (:class:`Unsupported`).
        """
        fieldname = node.fieldname
        if fieldname not in self.leaf.schema:
            return EMPTY
        field = self.leaf.schema[fieldname]
        if node.slop != 1 or type(field.format) is not formats.Positions:
            raise Unsupported("phrase with slop, or a field without plain positions")
        words = []
        for word in node.words:
            try:
                words.append(field.to_bytes(word))
            except ValueError:
                return EMPTY
            if (fieldname, words[-1]) not in self.reader:
                return EMPTY
        terms = [self._term(fieldname, word, 1.0) for word in words]
        postings = sorted((t.ids for t in terms), key=len)
        candidates = reduce(_both, postings if within is None else [within, *postings])
        if not len(candidates):
            return EMPTY
        # key = candidate index << 32 | position; a phrase starts where word k is at start + k
        starts = None
        for k, word in enumerate(words):
            keys = _position_keys(self.reader, fieldname, word, candidates)
            starts = keys if starts is None else starts[_in_sorted(starts + k, keys)]
        owners = starts >> 32  # ascending
        first = np.ones(len(owners), dtype=bool)
        first[1:] = owners[1:] != owners[:-1]
        found = candidates[owners[first]]
        parts = [_within(term, found) for term in terms]
        return _boosted(_binary_tree(_intersection, parts), node.boost)

    # Compounds

    def _or(self, node: wq.Or, within: np.ndarray | None = None) -> Hits:
        """DefaultOr: a weighted tree of UnionMatchers (smallest estimates first)."""
        subs = node.subqueries
        if node.scale or len(subs) >= _TOO_MANY_CLAUSES:
            raise Unsupported("Or with coordination or too many clauses")
        if len(subs) <= 1:
            return self.evaluate(subs[0], within) if subs else EMPTY
        items = [(self._estimate(sub), self.evaluate(sub, within)) for sub in subs]
        return _boosted(_weighted_tree(_union, items), node.boost)

    def _and(self, node: wq.And, within: np.ndarray | None = None) -> Hits:
        """And: a weighted tree of IntersectionMatchers (largest estimates first).

        Children holding phrases go last, looking at positions only on the pages the others
        leave; children this module cannot evaluate are checked only on those candidates,
        with their own Whoosh matcher.
        """
        subs = node.subqueries
        if len(subs) <= 1:
            return self.evaluate(subs[0], within) if subs else EMPTY
        results: list[Hits | None] = [None] * len(subs)
        later = [_has_phrase(sub) for sub in subs]
        for last in (False, True):
            for n, sub in enumerate(subs):
                if later[n] is last:
                    with contextlib.suppress(Unsupported):
                        results[n] = self.evaluate(sub, within)
                    if results[n] is not None:
                        within = results[n].ids if within is None else _common(within, results[n])
        if any(r is None for r in results):
            known = [r.ids for r in results if r is not None]
            if not known:
                raise Unsupported("no evaluable child in And")
            candidates = reduce(_both, known)
            results = [
                r if r is not None else self._verify(sub, candidates, self.context)
                for sub, r in zip(subs, results, strict=True)
            ]
        items = [(0 - self._estimate(sub), r) for sub, r in zip(subs, results, strict=True)]
        return _boosted(_weighted_tree(_intersection, items), node.boost)

    def _and_maybe(self, node: wq.AndMaybe) -> Hits:
        """AndMaybeMatcher: the hits of a, plus b's score where b matches too."""
        a = self.evaluate(node.a)
        if not len(a):
            return EMPTY
        try:
            b = self.evaluate(node.b)
        except Unsupported:
            b = self._verify(node.b, a.ids, self.context)
        both = _intersection(a, b)
        scores = a.scores.copy()
        scores[np.searchsorted(a.ids, both.ids)] = both.scores
        return Hits(a.ids, scores)

    def _not(self, node: wq.Not) -> Hits:
        """Not (InverseMatcher): every other page of the segment, each with score 1.0."""
        excluded = self.evaluate(node.query).ids
        everything = np.arange(self.reader.doc_count_all(), dtype=np.int64)
        ids = everything[~_in_sorted(everything, excluded)]
        return Hits(ids, np.ones(len(ids), dtype=np.float64))

    # Fallbacks to Whoosh's matchers

    def _ids_among(self, node: wq.Query, candidates: np.ndarray) -> np.ndarray:
        """The ids of ``node`` (only those among ``candidates`` if it must be checked)."""
        try:
            return self.evaluate(node).ids
        except Unsupported:
            return self._verify(node, candidates, self.leaf.boolean_context()).ids

    def _verify(self, node: wq.Query, candidates: np.ndarray, context: SearchContext) -> Hits:
        """Check ``candidates`` with Whoosh's matcher for ``node``, taking its scores."""
        ids: list[int] = []
        scores: list[float] = []
        matcher = node.matcher(self.leaf, context).replace()
        for docnum in candidates.tolist():
            if not matcher.is_active():
                break
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
                if not matcher.is_active():
                    break
            if matcher.id() == docnum:
                ids.append(docnum)
                scores.append(matcher.score())
        return _hits(ids, scores)


def _postings(
    reader: IndexReader, fieldname: str, btext: bytes, info: TermInfo | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A term's docnums (int64) and weights (float64) in one segment, deleted ones included.

    ``info``: the term's statistics if already looked up (the matcher is then opened on them).
    """
    terms = getattr(reader, "_terms", None)
    if info is not None and isinstance(terms, W3TermsReader):
        fmt = reader.schema[fieldname].format
        matcher = terms._codec.postings_reader(terms._postfile, info, fmt, term=(fieldname, btext))
    else:
        matcher = reader.postings(fieldname, btext)
    if isinstance(matcher, FilterMatcher):  # the deleted pages are dropped later, at once
        matcher = matcher.child
    if type(matcher) is not W3LeafMatcher:
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64)
    deltas: list[int] = []
    weights: list[float] = []
    starts: list[int] = []
    last_ids: list[int] = []
    while True:
        block_deltas, block_weights = _block_ids_weights(matcher)
        count = matcher._blocklength
        starts.append(len(deltas))
        last_ids.append(matcher._maxid)
        deltas.extend(block_deltas)
        if block_weights is None:
            weights.extend([1.0] * count)
        elif isinstance(block_weights, float):
            weights.extend([block_weights] * count)
        else:
            weights.extend(block_weights)
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)
    # Each block's ids are delta-coded from 0: make its first delta relative to the
    # previous block's last id, then one cumulative sum decodes every block.
    coded = np.asarray(deltas, dtype=np.int64)
    coded[starts[1:]] -= np.asarray(last_ids[:-1], dtype=np.int64)
    return np.cumsum(coded), np.asarray(weights, dtype=np.float64)


#: where a block's values (the positions: a tuple of bytes, pickled by protocol 2 as calls to
#: ``_codecs.encode``) start; unpickling them costs most of a block's time and is not needed
_VALUES_START = b"(c_codecs\nencode\n"
#: what ends a pickle cut before the values: an empty tuple, TUPLE3 and STOP
_CUT_END = b")\x87."
#: most bytes the pickled ids and weights of one posting take (BININT 5 + BINFLOAT 9)
_BYTES_PER_POSTING = 14


def _block_ids_weights(matcher: W3LeafMatcher) -> tuple[tuple, object]:
    """The delta-coded ids and the weights of the matcher's current block.

    Decompresses only the head of the block's pickled (ids, weights, values) tuple and cuts
    it before the values; when the cut does not apply (other value encodings, or the head
    was too short), the whole block is read as Whoosh reads it.
    """
    data = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
    count = matcher._blocklength
    if matcher._compression:
        head = zlib.decompressobj().decompress(data, count * _BYTES_PER_POSTING + 64)
    else:
        head = data
    cut = head.find(_VALUES_START)
    if cut > 0:
        try:
            ids, weights, _ = pickle.loads(head[:cut] + _CUT_END)
        except Exception:  # a false match inside the ids or weights: read it all
            ids = None
        if isinstance(ids, tuple) and len(ids) == count:
            return ids, weights
    if matcher._compression:
        data = zlib.decompress(data)
    ids, weights, _ = pickle.loads(data)
    return ids, weights


_POSITIONS_PICKLE = b"\x80\x02"
_ENCODE = b"c_codecs\nencode\n"
_LATIN_1_ENCODE = (
    b"c_codecs\nlatin_1_encode\n"  # what each encoded position list starts with, after its count
)


def _position_keys(
    reader: IndexReader, fieldname: str, btext: bytes, candidates: np.ndarray
) -> np.ndarray:
    """``candidate index << 32 | position`` for every position of the term in ``candidates``.

    Only blocks holding a candidate are unpickled with their values; each value is
    ``pack_uint(count) + dumps(position deltas, 2)`` (``formats.Positions``), and the lists
    of one block are unpickled in one call by joining their bodies into one tuple.
    """
    matcher = reader.postings(fieldname, btext)
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if type(matcher) is not W3LeafMatcher:
        raise Unsupported("postings not in Whoosh 3 blocks")
    owners: list[np.ndarray] = []
    lists: list[list[int]] = []
    first = 0
    while True:
        low = np.searchsorted(candidates, first)
        high = np.searchsorted(candidates, matcher._maxid, side="right")
        if high > low:
            deltas, values = _block_ids_values(matcher)
            ids = np.cumsum(np.asarray(deltas, dtype=np.int64))
            chosen = np.flatnonzero(_in_sorted(ids, candidates[low:high]))
            picked = [values[j] for j in chosen.tolist()]
            if picked and isinstance(picked[0], tuple):  # latin_1_encode's (bytes, length)
                picked = [value for value, _ in picked]
            lists.extend(_position_lists(picked, matcher.format))
            owners.append(np.searchsorted(candidates, ids[chosen]))
        if matcher._lastblock:
            break
        first = matcher._maxid + 1
        matcher._goto(matcher._nextoffset)
    if not lists:
        return np.zeros(0, dtype=np.int64)
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    flat = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))
    # positions: a running sum of the deltas that restarts with every list
    total = np.cumsum(flat)
    before = np.repeat(total[np.cumsum(counts) - counts] - flat[np.cumsum(counts) - counts], counts)
    owner = np.repeat(np.concatenate(owners), counts)
    return (owner << 32) | (total - before)


def _block_ids_values(matcher: W3LeafMatcher) -> tuple[tuple, tuple]:
    """The delta-coded ids and the values of the matcher's current block.

    Each value (bytes) is pickled as a call to ``_codecs.encode(text, "latin1")``, whose
    codec lookup costs half the unpickling; the block's one GLOBAL for it is renamed to
    ``_codecs.latin_1_encode``, which gives ``(bytes, length)`` for the same arguments (the
    values are then such pairs).
    """
    data = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
    if matcher._compression:
        data = zlib.decompress(data)
    cut = data.find(_VALUES_START)
    if cut > 0:
        renamed = data[:cut] + data[cut:].replace(_ENCODE, _LATIN_1_ENCODE, 1)
        try:
            ids, _, values = pickle.loads(renamed)
        except Exception:
            ids = None
        if isinstance(ids, tuple) and len(ids) == len(values) == matcher._blocklength:
            return ids, values  # (bytes, length) pairs: the caller takes the bytes it needs
    ids, _, values = pickle.loads(data)
    return ids, values


def _position_lists(values: list[bytes], fmt: formats.Format) -> list[list[int]]:
    """The position deltas of each value (one ``pickle.loads`` for the lot when it can)."""
    if all(v[4:6] == _POSITIONS_PICKLE and v[-1:] == b"." for v in values):
        joined = b"\x80\x02(" + b"".join(v[6:-1] for v in values) + b"t."
        try:
            lists = pickle.loads(joined)
        except Exception:
            lists = None
        if isinstance(lists, tuple) and len(lists) == len(values):
            return [v if isinstance(v, list) else [v] for v in lists]
    decoded = [fmt.decode_positions(v) for v in values]  # absolute: back to deltas
    return [[b - a for a, b in zip([0, *ps], ps, strict=False)] for ps in decoded]
