"""Exact phrases matched through the bigram field: the same pages as the positional phrase.

Real Whoosh indexes on disk, filled with the UDHR in six languages (and in traditional Chinese
through the generic field) and with real General Debate speeches from the shared corpus.
"""

from __future__ import annotations

import hashlib
import pickle
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer import schema
from indexer.analysis import LANGUAGES, PageTerms, analyzer_for
from indexer.index import FileRecord, SearchIndex, SearchQuery, parse_user_query
from indexer.phrases import CheckedPhrase, phrase_by_bigrams
from indexer.textcache import TextCache

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
UDHR = {lang: CORPUS / "multilingual" / f"udhr_{lang}.txt" for lang in LANGUAGES}
#: traditional Chinese, indexed under a code without its own field (the generic analyzer)
UDHR_OTHER = ("zht", CORPUS / "multilingual" / "udhr_zh-Hant.txt")
SPEECHES = sorted((CORPUS / "speeches" / "files").glob("*.txt"))
PARAGRAPHS_PER_PAGE = 6
#: the file id of the first of EDGE_FILES (after 7 UDHR files and 12 speeches)
EDGE_FIRST_ID = 20

#: (language, pages) of hand-made files for the edge cases
EDGE_FILES = [
    (
        "en",
        [
            "United Nations General Assembly met today. The nations assembly of the region.",
            "Assembly members spoke of human rights and of rights humans hold, United Nations.",
        ],
    ),
    ("en", ["The general nations met; the united front spoke. Assembly closed."]),
    ("zh", ["联合国大会今天开会。", "各国联合行动，符合国际法。"]),
    ("ar", ["الأمم المتحدة ـ الجمعية العامة", "حقوق ـ الإنسان"]),
    ("fr", ["Les États parties à la Convention.", "Les droits de l'homme et les États."]),
    ("ru", ["Организация Объединённых Наций", "права человека и Объединенных"]),
]


def read_pages(path: Path) -> list[str]:
    """The text as pages of PARAGRAPHS_PER_PAGE non-empty paragraphs."""
    paragraphs = [p for p in path.read_text(encoding="utf-8-sig").split("\n") if p.strip()]
    size = PARAGRAPHS_PER_PAGE
    return ["\n".join(paragraphs[i : i + size]) for i in range(0, len(paragraphs), size)]


def make_record(file_id: int, language: str, pages: list[str]) -> FileRecord:
    digest = hashlib.sha256(f"{file_id}:{pages}".encode()).hexdigest()
    return FileRecord(
        file_id=file_id,
        document_id=file_id,
        sha256=digest,
        language=language,
        meeting="12MSP",
        doc_type="statement",
        delegation=None,
        date=None,
        status="published",
        title=f"File {file_id}",
        symbol=None,
    )


def corpus_files() -> list[tuple[FileRecord, list[str]]]:
    """UDHR per language, 12 speeches in English and the edge-case files."""
    sources = [(lang, read_pages(path)) for lang, path in UDHR.items()]
    sources.append((UDHR_OTHER[0], read_pages(UDHR_OTHER[1])))
    sources += [("en", read_pages(path)) for path in SPEECHES[:12]]
    sources += EDGE_FILES
    return [
        (make_record(number, lang, pages), pages)
        for number, (lang, pages) in enumerate(sources, start=1)
    ]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    root = tmp_path_factory.mktemp("bigrams")
    cache = TextCache(root / "text")
    files = corpus_files()
    for record, pages in files:
        cache.put(record.sha256, pages)
    built = SearchIndex(root / "index", cache)
    built.add_files(files)
    yield built
    built.close()


@pytest.fixture(scope="module")
def searcher(index: SearchIndex) -> Iterator[Searcher]:
    """A plain Whoosh searcher on the live index, to run queries with and without rewrite."""
    live = (index.root / "CURRENT").read_text(encoding="ascii").strip()
    with whoosh_index.open_dir(str(index.root / live)).searcher() as opened:
        yield opened


FIELDS = [*schema.all_text_fields(), schema.NEUTRAL_FIELD]


def scored(searcher: Searcher, query: wq.Query) -> dict[int, float]:
    """docnum → score of every page matching ``query``."""
    return {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}


def assert_same_pages(searcher: Searcher, text: str) -> dict[int, float]:
    """The rewritten query matches the pages of the positional phrase; return its scores."""
    parsed = parse_user_query(text, FIELDS)
    rewritten = phrase_by_bigrams(parsed)
    assert rewritten != parsed, f"{text!r} was not rewritten"
    found = scored(searcher, rewritten)
    assert found.keys() == scored(searcher, parsed).keys(), text
    assert all(score > 0 for score in found.values())
    return found


def pages_of(searcher: Searcher, found: dict[int, float]) -> set[tuple[int, int]]:
    """(file_id, page) of the matched docnums."""
    return {
        (searcher.stored_fields(d)["file_id"], searcher.stored_fields(d)["page"]) for d in found
    }


# The rewrite itself


def test_two_words_are_one_bigram_term_with_the_phrase_boost() -> None:
    parsed = parse_user_query('"United Nations"^2', ["text_en"])
    assert isinstance(parsed, wq.Phrase)
    assert parsed.words == ["unit", "nation"]
    assert phrase_by_bigrams(parsed) == wq.Term(
        schema.BIGRAM_FIELD, "text_en|unit nation", boost=2.0
    )


def test_three_words_are_bigram_terms_and_a_position_check() -> None:
    parsed = parse_user_query('"United Nations General"^2', ["text_en"])
    rewritten = phrase_by_bigrams(parsed)
    assert rewritten == wq.And(
        [
            wq.Term(schema.BIGRAM_FIELD, "text_en|unit nation", boost=2.0),
            wq.Term(schema.BIGRAM_FIELD, "text_en|nation general", boost=2.0),
            CheckedPhrase("text_en", ["unit", "nation", "general"]),
        ]
    )
    assert repr(parse_user_query('"United Nations General"^2', ["text_en"])) == repr(parsed)


def test_repeated_bigrams_are_asked_once() -> None:
    rewritten = phrase_by_bigrams(parse_user_query('"very very very good"', ["text_en"]))
    grams = [node.text for node in rewritten.leaves() if isinstance(node, wq.Term)]
    assert grams == ["text_en|veri veri", "text_en|veri good"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('"united nations"~3', "text_en"),
        ("united", "text_en"),
        ('"convention"', "text_en"),
        ("CCM/MSP/2024/10", schema.NEUTRAL_FIELD),
        ('"united nations"', schema.NEUTRAL_FIELD),
    ],
)
def test_slop_single_words_and_neutral_phrases_stay(text: str, field: str) -> None:
    parsed = parse_user_query(text, [field])
    rewritten = phrase_by_bigrams(parsed)
    assert rewritten == parsed
    assert not any(
        isinstance(node, wq.Term) and node.fieldname == schema.BIGRAM_FIELD
        for node in rewritten.leaves()
    )


def test_rewrite_reaches_phrases_under_or_not_and_andnot() -> None:
    parsed = parse_user_query('("human rights" OR freedom) NOT "united nations"', ["text_en"])
    rewritten = phrase_by_bigrams(parsed)
    grams = sorted(
        node.text for node in rewritten.leaves() if node.fieldname == schema.BIGRAM_FIELD
    )
    assert grams == ["text_en|human right", "text_en|unit nation"]
    assert "bigrams" not in repr(parsed)  # the original is untouched


def test_chinese_word_is_a_phrase_of_characters() -> None:
    parsed = parse_user_query("联合国", ["text_zh"])
    assert parsed == wq.Phrase("text_zh", ["联", "合", "国"])
    rewritten = phrase_by_bigrams(parsed)
    grams = [n.text for n in rewritten.leaves() if isinstance(n, wq.Term)]
    assert grams == ["text_zh|联 合", "text_zh|合 国"]
    assert isinstance(rewritten.subqueries[-1], CheckedPhrase)


# Same results as the positional phrase, on a real index


def test_phrases_drawn_from_the_corpus_match_the_same_pages(searcher: Searcher) -> None:
    """2- and 3-word phrases at random places of every file: same pages, same scores."""
    rng = random.Random(8)
    for record, pages in corpus_files():
        for _ in range(6):
            words = re.findall(r"\w+", rng.choice(pages))  # within one page
            length = rng.choice((2, 2, 3))
            if len(words) <= length:
                continue
            start = rng.randrange(len(words) - length)
            found = assert_same_pages(searcher, '"' + " ".join(words[start : start + length]) + '"')
            assert found or record.language in ("ar", "zh", "zht"), words[start : start + length]


def test_words_far_apart_make_phrases_that_match_nothing(searcher: Searcher) -> None:
    rng = random.Random(9)
    words = re.findall(r"[a-z]{5,}", UDHR["en"].read_text(encoding="utf-8"))
    for _ in range(20):
        text = f'"{rng.choice(words)} {rng.choice(words)} {rng.choice(words)}"'
        assert_same_pages(searcher, text)


@pytest.mark.parametrize(
    ("text", "pages"),
    [
        ('"united nations general"', {(20, 1)}),
        ('"united nations assembly"', set()),  # both bigrams on page 1, never the phrase
        ('"nations assembly"', {(20, 1)}),
        ('"met today"', {(20, 1)}),
        ('"the region"', {(20, 1)}),  # the end of a page
        ('"region assembly"', set()),  # across the end of page 1 and the start of page 2
        ('"assembly members"', {(20, 2)}),  # the start of a page
        ('"human right"', {(20, 2)}),  # stemmed: "human rights"
        ('"rights human"', {(20, 2)}),  # "rights humans", stemmed
        ('"spoke front"', set()),  # both words in file 21, never in this order
        ('"united nation"', {(20, 1), (20, 2)}),
        ('"general nations"', {(21, 1)}),
        ("联合国", {(22, 1)}),
        ("合国", {(22, 1), (22, 2)}),
        ("联合", {(22, 1), (22, 2)}),
        ('"联合国际"', set()),
        ('"الأمم المتحدة"', {(23, 1)}),
        ('"المتحده الجمعيه"', set()),  # a lone tatweel between them keeps its position
        ('"Etats parties"', {(24, 1)}),
        ('"droits de l homme"', {(24, 2)}),
        ('"Объединенных Наций"', {(25, 1)}),
        ('"человека и объединённых"', {(25, 2)}),
    ],
)
def test_edge_cases(searcher: Searcher, text: str, pages: set[tuple[int, int]]) -> None:
    found = pages_of(searcher, assert_same_pages(searcher, text))
    assert {page for page in found if page[0] >= EDGE_FIRST_ID} == pages


def test_boost_is_kept(searcher: Searcher) -> None:
    for text in ('"human rights"', '"united nations general"'):
        plain = assert_same_pages(searcher, text)
        boosted = assert_same_pages(searcher, text + "^3")
        assert plain and boosted.keys() == plain.keys()
        assert all(boosted[d] == pytest.approx(3 * plain[d]) for d in plain)


def test_search_finds_phrases_and_nothing_for_absent_bigrams(index: SearchIndex) -> None:
    found = index.search(SearchQuery(q='"United Nations General Assembly"'))
    assert found.total >= 1
    assert any(
        "<mark>United Nations General Assembly</mark>" in hit.snippet
        for item in found.items
        for hit in item.hits
    )
    assert index.search(SearchQuery(q='"united nations assembly"', language="en")).total == 0
    assert index.search(SearchQuery(q="联合国际", language="zh")).total == 0


# Pre-analysed terms and the schema version


def corpus_texts() -> Iterator[tuple[str, str]]:
    for lang, path in UDHR.items():
        yield lang, path.read_text(encoding="utf-8-sig")
    yield "zht", UDHR_OTHER[1].read_text(encoding="utf-8-sig")
    for path in SPEECHES[:40]:
        yield "en", path.read_text(encoding="utf-8-sig")
    yield "ar", "ﻻ ـ الأمم ـــ المتحدة\u0640 ٱلْعَامَّة"
    yield "fr", "ﬁnancement des États œuvre Straße"


@pytest.mark.parametrize(("language", "text"), list(corpus_texts()), ids=lambda v: v[:12])
def test_page_terms_equal_the_analyzer(language: str, text: str) -> None:
    """Same term at the same position as the analyzer; None where it dropped a token."""
    expected = {t.pos: t.text for t in analyzer_for(language)(text, positions=True, mode="index")}
    page_terms = PageTerms(analyzer_for(language))
    for _ in range(2):  # the second pass reads the memo
        terms = page_terms.terms(text)
        assert {pos: term for pos, term in enumerate(terms) if term is not None} == expected


def test_pre_analysed_text_indexes_like_the_analyzer() -> None:
    field = schema.SCHEMA["text_ar"]
    text = UDHR["ar"].read_text(encoding="utf-8-sig") + " ـ حقوق"
    terms = PageTerms(field.analyzer).terms(text)
    assert None in terms  # the lone tatweel
    assert sorted(field.index(terms)) == sorted(field.index(text))


def test_bigrams_pair_adjacent_positions_only() -> None:
    assert schema.page_bigrams("text_ar", ["a", None, "b", "c", "c"]) == [
        "text_ar|b c",
        "text_ar|c c",
    ]


def test_old_schema_version_needs_rebuild(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index", TextCache(tmp_path / "text"))
    files = corpus_files()[2:4]  # English and French
    index.add_files(files)
    assert not index.needs_rebuild()
    live = index.root / (index.root / "CURRENT").read_text(encoding="ascii").strip()
    (live / "SCHEMA_VERSION").write_text(f"{schema.SCHEMA_VERSION - 1}\n", encoding="ascii")
    assert index.needs_rebuild()
    index.rebuild(files)
    assert not index.needs_rebuild()
    assert index.search(SearchQuery(q='"human rights"', language="en")).total == 1
    index.close()


def test_bigram_weights_are_frequencies_on_the_page(searcher: Searcher) -> None:
    term = schema.bigram_term("text_en", "unit", "nation")
    postings = searcher.reader().postings(schema.BIGRAM_FIELD, term.encode("utf-8"))
    weights = {}
    while postings.is_active():
        weights[postings.id()] = postings.weight()
        postings.next()
    files = {record.file_id: (record, pages) for record, pages in corpus_files()}
    expected = {}
    for docnum in range(searcher.doc_count_all()):
        stored = searcher.stored_fields(docnum)
        record, pages = files[stored["file_id"]]
        if record.language == "en":
            terms = PageTerms(analyzer_for("en")).terms(pages[stored["page"] - 1])
            count = schema.page_bigrams("text_en", terms).count(term)
            if count:
                expected[docnum] = float(count)
    assert weights == expected
    assert max(weights.values()) > 1


def _terms_and_frequencies(index: SearchIndex) -> dict[tuple[str, bytes], tuple[int, float]]:
    """Every (field, term) of the live index with its document frequency and total weight."""
    reader = index._fresh_searcher().reader()  # the searcher's own: closed with the index
    return {
        (field, text): (reader.doc_frequency(field, text), reader.frequency(field, text))
        for field, text in reader.all_terms()
        if field in (schema.BIGRAM_FIELD, *schema.all_text_fields())
    }


def test_page_text_pickles_as_its_text_and_is_analysed_where_indexed() -> None:
    """Whoosh's writer processes get the text, not the parent's analysis."""
    page = schema.PageText("text_en", "The United Nations met.")
    assert page.bigrams() == ["text_en|the unit", "text_en|unit nation", "text_en|nation met"]
    copy = pickle.loads(pickle.dumps(page, 2))
    assert copy._terms is None and (copy.fieldname, copy.text) == ("text_en", page.text)
    assert copy.terms() == page.terms()


def test_a_multi_process_rebuild_indexes_what_one_process_does(tmp_path: Path) -> None:
    """rebuild(procs=2) analyses in Whoosh's writer processes: same terms, frequencies and
    weights in every text field and the bigram field, same phrase results."""
    files = corpus_files()
    single = SearchIndex(tmp_path / "one", TextCache(tmp_path / "text"))
    single.rebuild(files, procs=1)
    multi = SearchIndex(tmp_path / "two", TextCache(tmp_path / "text"))
    multi.rebuild(files, procs=2)
    expected = _terms_and_frequencies(single)
    assert len([key for key in expected if key[0] == schema.BIGRAM_FIELD]) > 1000
    assert _terms_and_frequencies(multi) == expected
    for text in ('"human rights"', '"united nations general assembly"', "联合国"):
        query = SearchQuery(q=text)
        assert multi.search(query).total == single.search(query).total > 0
    single.close()
    multi.close()
