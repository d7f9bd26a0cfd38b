"""indexer.matching against Whoosh's own matchers, on a real multi-segment index of real text.

The index holds UN General Debate speeches (English) and the Universal Declaration of Human
Rights in six languages from the shared corpus, written in several commits with files deleted
and replaced, so it has several segments with deleted pages. For a broad set of queries the
block evaluation must give the same pages and the same BM25F scores as walking Whoosh's
matchers, and SearchIndex.search the same results as the old walk-and-group flow.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from whoosh import query as wq

from indexer import matching
from indexer import schema as schema_module
from indexer.index import (
    HITS_PER_DOCUMENT,
    FileRecord,
    SearchIndex,
    SearchQuery,
    _filter_query,
    _search_fields,
    check_expansions,
    parse_user_query,
)
from indexer.phrases import CheckedPhrase, phrase_by_bigrams
from indexer.textcache import TextCache

SHARED = Path(__file__).resolve().parents[3] / "shared" / "corpus"
SPEECHES = SHARED / "speeches" / "files"
UDHR = SHARED / "multilingual"
UDHR_LANGUAGES = ("ar", "en", "es", "fr", "ru", "zh")
MEETINGS = ("11MSP", "12MSP", "1RC")
DOC_TYPES = ("statement", "statement", "working_paper")
STATUSES = ("published", "published", "published", "draft", "withdrawn")
PAGE_CHARS = 1500

pytestmark = pytest.mark.skipif(
    not (SPEECHES.is_dir() and UDHR.is_dir()),
    reason=f"shared corpus not found at {SHARED} (see /work/shared/corpus/README.md)",
)


def pages_of(text: str) -> list[str]:
    """Consecutive paragraphs joined into pages of about PAGE_CHARS characters."""
    pages, current = [], ""
    for paragraph in (" ".join(p.split()) for p in text.splitlines()):
        if paragraph:
            current = f"{current} {paragraph}".strip()
        if len(current) >= PAGE_CHARS:
            pages.append(current)
            current = ""
    return [*pages, current] if current else pages


def record(file_id: int, document_id: int, language: str, pages: list[str]) -> FileRecord:
    n = document_id
    return FileRecord(
        file_id=file_id,
        document_id=document_id,
        sha256=hashlib.sha256("\n".join(pages).encode()).hexdigest(),
        language=language,
        meeting=MEETINGS[n % 3],
        doc_type=DOC_TYPES[n % 3],
        delegation=None if n % 7 == 0 else f"D{n % 5}",
        date=None if n % 11 == 0 else datetime.date(2020 + n % 5, 1 + n % 12, 1 + n % 28),
        status=STATUSES[n % 5],
        title=f"Statement {n} on peace and development",
        symbol=f"CCM/MSP/{2020 + n % 5}/{n}",
        names="Chile" if n % 4 == 0 else "New Zealand",
    )


def corpus() -> list[tuple[FileRecord, list[str]]]:
    """40 speeches (one document each) and the UDHR: one document, six language files."""
    files = []
    for n, path in enumerate(sorted(SPEECHES.glob("*.txt"))[:40], start=1):
        pages = pages_of(path.read_text(encoding="utf-8-sig"))[:6]
        files.append((record(n, n, "en", pages), pages))
    for k, language in enumerate(UDHR_LANGUAGES):
        pages = pages_of((UDHR / f"udhr_{language}.txt").read_text(encoding="utf-8-sig"))[:4]
        files.append((record(100 + k, 50, language, pages), pages))
    return files


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    root = tmp_path_factory.mktemp("matching")
    files = corpus()
    cache = TextCache(root / "text")
    for record_, pages in files:
        cache.put(record_.sha256, pages)
    index = SearchIndex(root / "index", cache)
    for start in range(0, len(files), 12):  # one commit, one segment per batch
        index.add_files(files[start : start + 12])
    index.delete_files([3, 17])
    new_version = record(200, 5, "en", files[20][1])  # document 5's file 5 becomes file 200
    index.replace_document(5, [(new_version, files[20][1])])
    index.add_files([(files[9][0], files[9][1][:2])])  # file 10 shrinks to two pages
    searcher = index._fresh_searcher()
    assert len(searcher.leaf_searchers()) >= 3
    assert any(leaf.reader().has_deletions() for leaf, _ in searcher.leaf_searchers())
    yield index
    index.close()


def lengths_of(index: SearchIndex) -> matching.LengthSource:
    index._generation(index._fresh_searcher())
    return index._column_cache.lengths


QUERIES = [
    "peace",
    "nations",
    "peace security",
    "peace OR war",
    "peace NOT war",
    "NOT war",
    "peace ANDMAYBE development",
    "peace REQUIRE development",
    "secur*",
    "develop* nation*",
    "meeting:12MSP peace",
    "doc_type:working_paper",
    "language:fr droits",
    '"united nations"',
    'peace "united nations"',
    '"human rights" OR security',
    'peace -"united nations"',
    '"united nations"~3',
    '"general assembly" nations',
    '"human rights"^2 OR "droits de l\'homme"',
    '"nations nations"',
    '"the united nations"',
    "droits homme",
    "derechos",
    "права человека",
    "人权",
    "حقوق",
    "Chile",
    "Zealand statement",
    "CCM/MSP/2024/10",
    "(peace OR war) AND (develop* OR economic)",
    "peace^2 war",
    "nonexistentword",
    "peace nonexistentword",
]


@pytest.mark.parametrize("language", [None, "en", "fr"])
@pytest.mark.parametrize("text", QUERIES)
def test_evaluation_equals_the_matcher_walk(index: SearchIndex, text: str, language: str) -> None:
    searcher = index._fresh_searcher()
    parsed = parse_user_query(text, _search_fields(language))
    check_expansions(parsed, searcher.reader())
    expected = matching.walk(parsed, searcher)
    cache = matching.PostingCache()
    for postings in (None, cache, cache):  # decoded, then decoded and kept, then from the cache
        found = matching.evaluate(parsed, searcher, lengths_of(index), postings)
        assert found.ids.tolist() == expected.ids.tolist()
        assert found.scores.tolist() == pytest.approx(expected.scores.tolist(), rel=1e-12)


#: (query, whether the corpus holds its phrase on some page)
PHRASES = [
    ('"united nations"', True),
    ('"the united nations"', True),
    ('"united nations general assembly"', True),
    ('"human rights" OR "droits de l\'homme"', True),
    ('"general assembly" nations', True),
    ('peace NOT "united nations"', True),
    ('"nations nations"', False),
    ('"nations united"', False),
]


def _subqueries(node: wq.Query) -> list[wq.Query]:
    return [node, *(sub for child in node.children() for sub in _subqueries(child))]


@pytest.mark.parametrize("language", [None, "en"])
@pytest.mark.parametrize(("text", "found_somewhere"), PHRASES)
def test_bigram_phrases_evaluate_as_the_matcher_walk(
    index: SearchIndex, text: str, found_somewhere: bool, language: str
) -> None:
    """search() matches phrases through bigram terms and CheckedPhrase (scoring 0): the
    block evaluation of that rewritten query equals Whoosh's walk of it."""
    searcher = index._fresh_searcher()
    parsed = parse_user_query(text, _search_fields(language))
    rewritten = phrase_by_bigrams(parsed)
    nodes = _subqueries(rewritten)
    assert any(getattr(n, "fieldname", None) == schema_module.BIGRAM_FIELD for n in nodes)
    longest = max(len(n.words) for n in _subqueries(parsed) if isinstance(n, wq.Phrase))
    assert any(isinstance(n, CheckedPhrase) for n in nodes) == (longest > 2)
    expected = matching.walk(rewritten, searcher)
    assert (len(expected) > 0) == found_somewhere
    found = matching.evaluate(rewritten, searcher, lengths_of(index), matching.PostingCache())
    assert found.ids.tolist() == expected.ids.tolist()
    assert found.scores.tolist() == pytest.approx(expected.scores.tolist(), rel=1e-12)


def test_kept_postings_stay_right_after_commits(tmp_path: Path) -> None:
    """Postings are kept by segment: a commit that deletes pages of a kept segment and adds
    a segment changes the results exactly as Whoosh's walk sees them."""
    files = corpus()[:12]
    cache = TextCache(tmp_path / "text")
    for rec, pages in files:
        cache.put(rec.sha256, pages)
    index = SearchIndex(tmp_path / "index", cache)
    index.add_files(files[:6])
    index.add_files(files[6:10])
    query = SearchQuery(q="nations peace", statuses=STATUSES)
    before = index.search(query)
    assert len(index._posting_cache._entries) > 0
    index.delete_files([files[0][0].file_id, files[7][0].file_id])
    index.add_files(files[10:])
    after = index.search(query)
    searcher = index._fresh_searcher()
    parsed = parse_user_query(query.q, _search_fields(None))
    walked = matching.walk(parsed, searcher)
    found = matching.evaluate(parsed, searcher, index._column_cache.lengths, index._posting_cache)
    assert found.ids.tolist() == walked.ids.tolist()
    assert found.scores.tolist() == pytest.approx(walked.scores.tolist(), rel=1e-12)
    assert after.total == before.total  # two documents gone, two added
    assert {1, 8} & {item.document_id for item in after.items} == set()
    index.close()


def test_common_words_match_many_pages_in_every_segment(index: SearchIndex) -> None:
    """The equivalence above is not vacuous: big posting lists, several blocks each."""
    searcher = index._fresh_searcher()
    parsed = parse_user_query("nations", _search_fields(None))
    found = matching.evaluate(parsed, searcher, lengths_of(index))
    assert len(found) > 128
    offsets = [offset for _, offset in searcher.leaf_searchers()]
    assert len(set(np.searchsorted(offsets, found.ids, side="right"))) >= 4


FILTERS = [
    SearchQuery(),
    SearchQuery(statuses=("draft", "published", "withdrawn")),
    SearchQuery(meeting="12MSP", doc_type="statement"),
    SearchQuery(language="FR"),
    SearchQuery(delegation="D2", statuses=("published", "draft")),
    SearchQuery(hidden_meetings=("11MSP",)),
    SearchQuery(hidden_meetings=("11MSP", "1RC"), statuses=("draft", "published")),
]


@pytest.mark.parametrize("query", FILTERS, ids=repr)
def test_filters_select_the_live_pages_with_those_values(
    index: SearchIndex, query: SearchQuery
) -> None:
    searcher = index._fresh_searcher()
    found = matching.evaluate(_filter_query(query), searcher, lengths_of(index))
    assert found.ids.tolist() == sorted(allowed_pages(index, query))


def test_andnot_excludes_the_first_page_whoosh_keeps(tmp_path: Path) -> None:
    """Whoosh's AndNotMatcher keeps the first page of a segment when the excluded side starts
    before it and also matches it; a hidden meeting's page leaked that way. Evaluated here,
    it is excluded."""
    cache = TextCache(tmp_path / "text")
    index = SearchIndex(tmp_path / "index", cache)
    files = []
    for file_id, (meeting, status, text) in enumerate(
        [("HID", "draft", "war"), ("HID", "published", "peace war"), ("OPEN", "published", "peace")]
    ):
        rec = record(file_id + 1, file_id + 1, "en", [text])
        rec = replace(rec, meeting=meeting, status=status, title="Note", symbol=None)
        cache.put(rec.sha256, [text])
        files.append((rec, [text]))
    index.add_files(files)
    searcher = index._fresh_searcher()
    lengths = lengths_of(index)
    parsed = parse_user_query("peace ANDNOT war", _search_fields("en"))
    assert matching.walk(parsed, searcher).ids.tolist() == [1, 2]  # Whoosh's bug
    assert matching.evaluate(parsed, searcher, lengths).ids.tolist() == [2]
    hidden = _filter_query(SearchQuery(hidden_meetings=("HID",)))
    assert matching.walk(hidden, searcher).ids.tolist() == [1, 2]  # the leak
    assert matching.evaluate(hidden, searcher, lengths).ids.tolist() == [2]
    results = index.search(SearchQuery(hidden_meetings=("HID",)))
    assert [item.document_id for item in results.items] == [3]
    assert results.facets["meeting"] == {"OPEN": 1}
    index.close()


SEARCHES = [
    SearchQuery(q="peace"),
    SearchQuery(q="peace", per_page=5, page=3),
    SearchQuery(q="peace security", sort="date"),
    SearchQuery(q="nations", statuses=("draft", "published", "withdrawn"), per_page=50),
    SearchQuery(q="develop*", meeting="12MSP"),
    SearchQuery(q='"united nations" OR droits', language="en"),
    SearchQuery(q="droits OR rights OR права", per_page=10),
    SearchQuery(q="Chile", hidden_meetings=("1RC",)),
    SearchQuery(q="war NOT economic", date_from=datetime.date(2021, 1, 1)),
    SearchQuery(q="economic", date_to=datetime.date(2022, 6, 30), delegation="D1"),
    SearchQuery(q="", per_page=100),
    SearchQuery(q="", sort="date", date_from=datetime.date(2022, 1, 1), per_page=7),
    SearchQuery(q="nonexistentword"),
]


@pytest.mark.parametrize("query", SEARCHES, ids=repr)
def test_search_results_equal_the_walk_and_group_reference(
    index: SearchIndex, query: SearchQuery
) -> None:
    results = index.search(query)
    expected = reference_search(index, query)
    assert results.total == expected["total"]
    assert results.facets == expected["facets"]
    got = [(i.document_id, i.file_id, i.language, [h.page for h in i.hits]) for i in results.items]
    assert got == expected["items"]
    assert [i.score for i in results.items] == pytest.approx(expected["scores"], rel=1e-12)
    if query.q:
        assert results.total > 0 or query.q == "nonexistentword"


def test_indexed_file_ids_are_the_live_files(index: SearchIndex) -> None:
    assert index.indexed_file_ids() == {*range(1, 41), *range(100, 106), 200} - {3, 5, 17}


# The reference: the old flow (walk the matchers, group in Python, Counter facets)


def column(index: SearchIndex, name: str) -> list:
    reader = index._fresh_searcher().reader()
    return [v for leaf, _ in reader.leaf_readers() for v in leaf.column_reader(name)]


def allowed_pages(index: SearchIndex, query: SearchQuery) -> set[int]:
    """Live pages whose status, facet values and day pass the query's filters."""
    reader = index._fresh_searcher().reader()
    values = {name: column(index, name) for name in ("status", "day", "meeting", "language")}
    values |= {name: column(index, name) for name in schema_module.FACET_FIELDS}
    low = query.date_from.toordinal() if query.date_from else None
    high = query.date_to.toordinal() if query.date_to else None
    allowed = set()
    for docnum in reader.all_doc_ids():
        if values["status"][docnum] not in query.statuses:
            continue
        if values["meeting"][docnum] in query.hidden_meetings:
            continue
        wanted = {name: getattr(query, name) for name in schema_module.FACET_FIELDS}
        if any(
            v and values[n][docnum] != (v.lower() if n == "language" else v)
            for n, v in wanted.items()
        ):
            continue
        day = values["day"][docnum]
        if (low or high) and not ((low or 1) <= day <= (high or 10**7)):
            continue
        allowed.add(docnum)
    return allowed


def reference_search(index: SearchIndex, query: SearchQuery) -> dict:
    searcher = index._fresh_searcher()
    parsed = parse_user_query(query.q, _search_fields(query.language))
    allowed = allowed_pages(index, query)
    cols = {
        name: column(index, name)
        for name in ("document_id", "file_id", "language", "meeting", "doc_type", "delegation")
    }
    cols |= {"year": column(index, "year"), "day": column(index, "day")}
    groups: defaultdict[int, list[tuple[float, int]]] = defaultdict(list)
    if parsed is None:
        for docnum in sorted(allowed):
            groups[cols["document_id"][docnum]].append((0.0, docnum))
    else:
        walked = matching.walk(phrase_by_bigrams(parsed), searcher)  # as search() matches
        for docnum, score in zip(walked.ids.tolist(), walked.scores.tolist(), strict=True):
            if docnum in allowed:
                groups[cols["document_id"][docnum]].append((score, docnum))
    for pages in groups.values():
        pages.sort(key=lambda page: (-page[0], page[1]))
    if parsed is None or query.sort == "date":
        order = sorted(groups, key=lambda d: (-cols["day"][groups[d][0][1]], -d))
    else:
        order = sorted(groups, key=lambda d: (-groups[d][0][0], -cols["day"][groups[d][0][1]], -d))
    counts: dict[str, Counter] = {n: Counter() for n in (*schema_module.FACET_FIELDS, "year")}
    for pages in groups.values():
        first = pages[0][1]
        for name in ("meeting", "doc_type", "delegation"):
            if cols[name][first]:
                counts[name][cols[name][first]] += 1
        if cols["year"][first]:
            counts["year"][str(cols["year"][first])] += 1
        counts["language"].update({cols["language"][d] for _, d in pages})
    facets = {
        name: dict(sorted(c.items(), key=lambda item: (-item[1], item[0])))
        for name, c in counts.items()
    }
    start = (query.page - 1) * query.per_page
    items, scores = [], []
    for doc in order[start : start + query.per_page]:
        pages = groups[doc]
        best_file = cols["file_id"][pages[0][1]]
        same = [d for _, d in pages if cols["file_id"][d] == best_file]
        limit = HITS_PER_DOCUMENT if parsed is not None else 1
        numbers = [searcher.stored_fields(d)["page"] for d in same[:limit]]
        items.append((doc, best_file, cols["language"][pages[0][1]], numbers))
        scores.append(pages[0][0])
    return {"total": len(groups), "facets": facets, "items": items, "scores": scores}
