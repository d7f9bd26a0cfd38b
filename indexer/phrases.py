"""Exact phrases matched through the bigram field instead of walking word positions.

Whoosh's phrase matcher (SpanNear2) walks the positions of every page holding all the words of a
phrase, which for common words is most of the index. :func:`phrase_by_bigrams` rewrites an exact
phrase on a text field to its bigram terms (``Term(bigrams, "text_en|unit nation")``), whose
short posting lists are exactly the pages where each pair of words is adjacent. Two words are
one bigram: nothing else to check. Three or more become ``And([bigram terms…,
CheckedPhrase(…)])``: the bigrams select the candidate pages and :class:`CheckedPhrase` reads
word positions on those candidates only. The matched pages are those of the original phrase;
their score is BM25 over the bigram terms (times the phrase's boost) instead of the sum of the
single words' scores.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from itertools import pairwise

from whoosh import query as wq
from whoosh.matching import IntersectionMatcher, Matcher, NullMatcher
from whoosh.searching import Searcher
from whoosh.util import make_binary_tree

from indexer import schema as schema_module

_TEXT_FIELDS = frozenset(schema_module.all_text_fields())


def phrase_by_bigrams(parsed: wq.Query | None) -> wq.Query | None:
    """Rewrite the exact phrases of ``parsed`` on text fields to match through bigrams.

    Phrases with slop, of one word or on the neutral field stay as they are. ``parsed`` is
    not modified: highlighting and the result cache key keep using it.
    """
    if parsed is None or not any(isinstance(node, wq.Phrase) for node in _walk(parsed)):
        return parsed
    return _rewrite(parsed)


def phrase_bigrams(fieldname: str, words: list[str]) -> list[str]:
    """The distinct bigram-field terms of the words of a phrase, in phrase order."""
    pairs = pairwise(words)
    return list(dict.fromkeys(schema_module.bigram_term(fieldname, a, b) for a, b in pairs))


def _walk(node: wq.Query) -> Iterator[wq.Query]:
    yield node
    for child in node.children():
        yield from _walk(child)


def _rewrite(node: wq.Query) -> wq.Query:
    """A copy of ``node`` with its exact text-field phrases matched through bigrams."""
    if isinstance(node, wq.Phrase):
        return _bigram_phrase(node)
    if node.is_leaf():
        return node
    if isinstance(node, wq.BinaryQuery):
        rewritten = copy.copy(node)
        rewritten.a, rewritten.b = _rewrite(node.a), _rewrite(node.b)
        rewritten.subqueries = (rewritten.a, rewritten.b)
        return rewritten
    if isinstance(node, wq.CompoundQuery):  # copied so that Or keeps its minmatch and scale
        rewritten = copy.copy(node)
        rewritten.subqueries = [_rewrite(child) for child in node.subqueries]
        return rewritten
    return node.apply(_rewrite)  # Not and wrappers rebuild themselves with their attributes


def _bigram_phrase(phrase: wq.Phrase) -> wq.Query:
    """The bigram terms (and, from three words, a position check) of an exact phrase."""
    words = phrase.words
    if phrase.slop != 1 or len(words) < 2 or phrase.fieldname not in _TEXT_FIELDS:
        return phrase
    if any(not isinstance(word, str) for word in words):
        return phrase
    grams = phrase_bigrams(phrase.fieldname, words)
    terms = [wq.Term(schema_module.BIGRAM_FIELD, gram, boost=phrase.boost) for gram in grams]
    if len(words) == 2:
        return terms[0]
    return wq.And([*terms, CheckedPhrase(phrase.fieldname, list(words))])


class CheckedPhrase(wq.Phrase):
    """A filter for an exact phrase: its pages, read from bigram candidates, all scoring 0.

    It stands beside the phrase's bigram terms in an ``And`` (they carry the score). Its matcher
    walks the pages holding every bigram of the phrase and keeps those where the words are at
    consecutive positions, reading positions on those pages only. Without a bigram field (an
    index of an older schema) it is a plain, scored phrase.
    """

    def matcher(self, searcher: Searcher, context: object = None) -> Matcher:
        """Bigram candidates checked for adjacency."""
        schema = searcher.schema
        if schema_module.BIGRAM_FIELD not in schema or self.slop != 1 or len(self.words) < 2:
            return super().matcher(searcher, context)
        reader = searcher.reader()
        field = schema[self.fieldname]
        terms = [
            (schema_module.BIGRAM_FIELD, gram.encode("utf-8"))
            for gram in phrase_bigrams(self.fieldname, self.words)
        ]
        distinct = list(dict.fromkeys(self.words))
        terms_of_words = [(self.fieldname, field.to_bytes(word)) for word in distinct]
        if not all(term in reader for term in [*terms, *terms_of_words]):
            return NullMatcher()
        candidates = make_binary_tree(IntersectionMatcher, [reader.postings(*t) for t in terms])
        words = [reader.postings(*term) for term in terms_of_words]
        slots = [distinct.index(word) for word in self.words]
        return _CheckedPhraseMatcher(candidates, words, slots)


class _CheckedPhraseMatcher(Matcher):
    """Walks candidate docnums, keeping those where the words are adjacent, in order."""

    def __init__(self, candidates: Matcher, words: list[Matcher], slots: list[int]) -> None:
        self._candidates = candidates
        self._words = words  # one matcher per distinct word
        self._slots = slots  # the distinct word at each place of the phrase
        self._active = True
        self._settle()

    def _settle(self) -> None:
        """Advance the candidates to the next one that is a phrase match (or end)."""
        candidates = self._candidates
        while candidates.is_active():
            if self._adjacent(candidates.id()):
                return
            candidates.next()
        self._active = False

    def _adjacent(self, docnum: int) -> bool:
        """True if the words are at consecutive positions on page ``docnum``."""
        positions = []
        for word in self._words:
            if word.is_active() and word.id() < docnum:
                word.skip_to(docnum)
            if not word.is_active() or word.id() != docnum:
                return False
            positions.append(set(word.value_as("positions")))
        first, rest = positions[self._slots[0]], list(enumerate(self._slots[1:], start=1))
        return any(all(start + k in positions[slot] for k, slot in rest) for start in first)

    def is_active(self) -> bool:
        return self._active

    def id(self) -> int:
        return self._candidates.id()

    def next(self) -> None:
        if self._active:
            self._candidates.next()
            self._settle()

    def skip_to(self, id: int) -> None:
        if self._active and self._candidates.id() < id:
            self._candidates.skip_to(id)
            self._settle()

    def score(self) -> float:
        return 0.0

    def weight(self) -> float:
        return 0.0

    def supports(self, astype: str) -> bool:
        return False

    def supports_block_quality(self) -> bool:
        return False

    def replace(self, minquality: float = 0) -> Matcher:
        return self if self.is_active() else NullMatcher()

    def copy(self) -> Matcher:
        raise NotImplementedError("a checked phrase matcher cannot be copied")

    def children(self) -> list[Matcher]:
        return []
