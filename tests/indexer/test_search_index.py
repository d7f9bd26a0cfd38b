"""SearchIndex on a real Whoosh index and a real TextCache, with documents in six languages."""

from __future__ import annotations

import datetime
import hashlib
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh import query as wq

from indexer import schema
from indexer.index import (
    FileRecord,
    IndexOutdatedError,
    LockError,
    QueryError,
    SearchIndex,
    SearchQuery,
    SearchResults,
)
from indexer.textcache import TextCache

STAFF = ("draft", "published", "withdrawn")
D = datetime.date


@dataclass(frozen=True)
class Doc:
    """Test corpus entry: one document with its language versions (language → pages)."""

    document_id: int
    meeting: str
    doc_type: str
    delegation: str | None
    date: D | None
    status: str
    title: str
    files: dict[str, list[str]]
    symbol: str | None = None
    names: str = ""


def entry(
    document_id: int, meta: str, title: str, files: dict[str, list[str]], **extra: str
) -> Doc:
    """A corpus entry from "meeting doc_type delegation date status" ("-" for none)."""
    meeting, doc_type, delegation, date, status = meta.split()
    return Doc(
        document_id,
        meeting,
        doc_type,
        None if delegation == "-" else delegation,
        D.fromisoformat(date),
        status,
        title,
        files,
        **extra,
    )


CORPUS = [
    entry(
        1,
        "12MSP statement CHL 2024-09-10 published",
        "Statement by Chile",
        {
            "es": [
                "Chile agradece a la Presidencia y reafirma su compromiso con la Convención.",
                "La asistencia a las víctimas sigue siendo una prioridad para nuestro país.",
                "Respecto de los plazos de limpieza, Chile concluyó la destrucción de sus "
                "existencias en 2011.",
            ],
            "en": [
                "Chile thanks the President and reaffirms its commitment to the Convention.",
                "Victim assistance remains a priority: survivors and their families need "
                "medical and psychological support.",
                "Regarding clearance deadlines, Chile completed the destruction of its "
                "stockpiles in 2011.",
            ],
        },
        names="Chile",
    ),
    entry(
        2,
        "12MSP statement FRA 2024-09-11 published",
        "Déclaration de la France",
        {
            "fr": [
                "La France salue les délégués des États parties réunis à Genève.",
                "L'universalisation de la Convention demeure essentielle ; nous appelons les "
                "États non parties à y adhérer.",
                "Les opérations de dépollution <script>alert(1)</script> progressent dans "
                "plusieurs régions.",
            ]
        },
        names="France",
    ),
    entry(
        3,
        "11MSP statement KAZ 2023-09-12 published",
        "Заявление делегации",
        {
            "ru": [
                "Делегация приветствует председателя и всех участников совещания.",
                "Национальные группы занимаются разминированием загрязнённых территорий.",
                "Уничтожение запасов кассетных боеприпасов завершено в срок.",
            ]
        },
        names="Kazakhstan",
    ),
    entry(
        4,
        "12MSP working_paper LBN 2024-09-12 published",
        "ورقة عمل لبنان",
        {
            "ar": [
                "تتقدم الجمهورية اللبنانية بالشكر إلى الرئاسة.",
                "إنَّ مُساعَدةَ الضَّحايا واجبٌ إنسانيّ.",
                "تطهير الأراضي الملوثة بالذخائر العنقوديـــة قبل الموعد النهائي.",
            ]
        },
        names="Lebanon",
    ),
    entry(
        5,
        "12MSP statement CHN 2024-09-13 published",
        "中国代表团发言",
        {
            "zh": [
                "主席先生，中国代表团感谢主席的工作。",
                "我们高度重视受害者援助工作，并愿意分享经验。",
                "受到伤害的人民和害怕战争的学者都值得关注。",
            ]
        },
        names="China",
    ),
    entry(
        6,
        "12MSP final_report - 2024-09-20 published",
        "Final report of the Twelfth Meeting",
        {
            "en": [
                "Final report of the Twelfth Meeting of States Parties.",
                "The Meeting welcomed progress on stockpile destruction and universalization.",
                "The Meeting decided that the Thirteenth Meeting will be held in Geneva.",
            ]
        },
        symbol="CCM/MSP/2024/10",
    ),
    entry(
        7,
        "12MSP official_document - 2024-08-01 published",
        "Provisional agenda",
        {"en": ["Provisional agenda.", "Programme of work."]},
        symbol="CCM/MSP/2024/11",
    ),
    entry(
        8,
        "12MSP statement NZL 2024-09-11 draft",
        "Draft statement",
        {"en": ["Draft statement on victim assistance and clearance deadlines."]},
        names="New Zealand",
    ),
    entry(
        9,
        "12MSP statement DEU 2024-09-12 published",
        "Erklärung Deutschlands",
        {"de": ["Deutschland unterstützt die Räumung kontaminierter Flächen.", "Opferhilfe."]},
        names="Germany",
    ),
    entry(
        10,
        "11MSP statement NOR 2023-09-11 withdrawn",
        "Withdrawn statement",
        {"en": ["Withdrawn statement about stockpile destruction."]},
        names="Norway",
    ),
    entry(
        11,
        "11MSP statement CHL 2023-09-11 published",
        "Statement by Chile",
        {
            "en": [
                "Clearance, clearance and clearance again: deadlines matter.",
                "Nothing on this page is related.",
                "Clearance deadlines were met.",
                "Clearance.",
            ]
        },
        names="Chile",
    ),
]
LANGUAGE_ORDER = {"es": 1, "en": 2, "fr": 1, "ru": 1, "ar": 1, "zh": 1, "de": 1}


def file_id(doc: Doc, language: str) -> int:
    """Deterministic file id: document id × 10 + the language's slot."""
    return doc.document_id * 10 + LANGUAGE_ORDER[language]


def record(doc: Doc, language: str, pages: list[str]) -> FileRecord:
    sha = hashlib.sha256(f"{doc.document_id}:{language}:{pages}".encode()).hexdigest()
    return FileRecord(
        file_id=file_id(doc, language),
        document_id=doc.document_id,
        sha256=sha,
        language=language,
        meeting=doc.meeting,
        doc_type=doc.doc_type,
        delegation=doc.delegation,
        date=doc.date,
        status=doc.status,
        title=doc.title,
        symbol=doc.symbol,
        names=doc.names,
    )


def corpus_files(docs: Iterable[Doc] = CORPUS) -> list[tuple[FileRecord, list[str]]]:
    return [(record(doc, lang, pages), pages) for doc in docs for lang, pages in doc.files.items()]


def store(cache: TextCache, files: list[tuple[FileRecord, list[str]]]) -> None:
    for rec, pages in files:
        cache.put(rec.sha256, pages)


@pytest.fixture
def make_index(tmp_path: Path) -> Iterator[Callable[..., SearchIndex]]:
    """Factory: a SearchIndex on tmp_path loaded with the given files (default: CORPUS)."""
    made: list[SearchIndex] = []

    def make(files: list | None = None, name: str = "index", **kwargs: float) -> SearchIndex:
        cache = TextCache(tmp_path / "text")
        files = corpus_files() if files is None else files
        store(cache, files)
        index = SearchIndex(tmp_path / name, cache, **kwargs)
        if files:
            index.add_files(files)
        made.append(index)
        return index

    yield make
    for index in made:
        index.close()


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchIndex]:
    """The whole corpus, indexed once for the read-only tests."""
    root = tmp_path_factory.mktemp("search")
    cache = TextCache(root / "text")
    files = corpus_files()
    store(cache, files)
    built = SearchIndex(root / "index", cache)
    built.add_files(files)
    yield built
    built.close()


def search(index: SearchIndex, q: str = "", **kwargs: object) -> SearchResults:
    return index.search(SearchQuery(q=q, **kwargs))


def doc_ids(results: SearchResults) -> list[int]:
    return [item.document_id for item in results.items]


def all_doc_ids(index: SearchIndex, **kwargs: object) -> list[int]:
    """Every matching document id, walking the result pages two at a time."""
    first = search(index, per_page=2, **kwargs)
    ids = doc_ids(first)
    for page in range(2, (first.total + 1) // 2 + 1):
        ids += doc_ids(search(index, per_page=2, page=page, **kwargs))
    return ids


def visible(statuses: tuple[str, ...] = ("published",)) -> list[Doc]:
    return [doc for doc in CORPUS if doc.status in statuses]


# Languages: stemming, folding, normalisation; the right document and the right page


@pytest.mark.parametrize(
    ("q", "document_id", "language", "page"),
    [
        ("victima", 1, "es", 2),
        ("delegues", 2, "fr", 1),
        ("Etats parties", 2, "fr", 1),
        ("universalisation", 2, "fr", 2),
        ("разминирование", 3, "ru", 2),
        ("загрязненных территорий", 3, "ru", 2),
        ("مساعدة الضحايا", 4, "ar", 2),
        ("الاراضي الملوثة", 4, "ar", 3),
        ("العنقودية", 4, "ar", 3),
        ("受害者", 5, "zh", 2),
        ("survivors", 1, "en", 2),
        ("stockpile destruction", 6, "en", 2),
        ("Raumung", 9, "de", 1),
    ],
)
def test_query_finds_document_and_page(
    index: SearchIndex, q: str, document_id: int, language: str, page: int
) -> None:
    results = search(index, q)
    item = next(i for i in results.items if i.document_id == document_id)
    doc = next(d for d in CORPUS if d.document_id == document_id)
    assert item.file_id == file_id(doc, language)
    assert item.language == language
    assert item.hits[0].page == page
    assert "<mark>" in item.hits[0].snippet


def test_chinese_word_inside_sentence_not_scattered_characters(index: SearchIndex) -> None:
    results = search(index, "受害者")
    assert doc_ids(results) == [5]
    assert [hit.page for hit in results.items[0].hits] == [2]
    assert "<mark>受害者</mark>" in results.items[0].hits[0].snippet


def test_arabic_query_without_diacritics_highlights_the_written_word(index: SearchIndex) -> None:
    hit = search(index, "مساعدة", language="ar").items[0].hits[0]
    assert "<mark>مُساعَدةَ</mark>" in hit.snippet


def test_language_restricts_fields(index: SearchIndex) -> None:
    assert doc_ids(search(index, "victima", language="es")) == [1]
    assert doc_ids(search(index, "victima", language="en")) == []
    assert doc_ids(search(index, "Chile", language="es")) == [1]  # neutral field: names


def test_nfkc_applies_to_queries(index: SearchIndex) -> None:
    assert doc_ids(search(index, "ﬁnal report"))[0] == 6
    assert doc_ids(search(index, "ＣＣＭ／ＭＳＰ／２０２４／１０")) == [6]


# Query language


def test_phrase_queries(index: SearchIndex) -> None:
    assert doc_ids(search(index, '"victim assistance"')) == [1]
    assert doc_ids(search(index, '"assistance victim"')) == []
    assert sorted(doc_ids(search(index, '"clearance deadlines"'))) == [1, 11]
    hit = search(index, '"plazos de limpieza"').items[0].hits[0]
    assert "<mark>plazos de limpieza</mark>" in hit.snippet


def test_and_or_not(index: SearchIndex) -> None:
    assert doc_ids(search(index, "survivors universalization")) == []
    assert sorted(doc_ids(search(index, "survivors OR universalization"))) == [1, 6]
    assert doc_ids(search(index, "deadlines NOT completed")) == [11]


def test_field_syntax_for_facets(index: SearchIndex) -> None:
    assert sorted(doc_ids(search(index, "clearance meeting:11MSP"))) == [11]


def test_symbol_search(index: SearchIndex) -> None:
    assert doc_ids(search(index, "CCM/MSP/2024/10")) == [6]
    assert doc_ids(search(index, "CCM/MSP/2024/11")) == [7]


def test_trailing_wildcard(index: SearchIndex) -> None:
    assert 1 in doc_ids(search(index, "victim*"))


HOSTILE = [
    "*a*",
    "*",
    "*:*",
    "?",
    "x" * 10_000,
    "victim " * 500,
    '"victim assistance',
    'clearance "',
    "(victim assistance",
    "victim) assistance(",
    "(" * 40 + "victim",
    "[a TO z]",
    "date:[0000 TO 9999]",
    "page:[0 to 99999999999]",
    "year:[0 TO 99999999999]",
    "status:draft",
    "victim^99999999",
    "NOT",
    "OR AND NOT",
    '"" ""',
    "a:b:c:d",
    "\x00\x01<script>",
    '"clearance deadlines"~99999',
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_are_bounded(index: SearchIndex, q: str) -> None:
    started = time.perf_counter()
    try:
        results = search(index, q)
    except QueryError as error:
        assert str(error)
    else:
        assert results.total >= 0
        assert not {8, 10} & set(doc_ids(results))
    assert time.perf_counter() - started < 2.0


def test_wildcard_errors_explain_the_rule(index: SearchIndex) -> None:
    with pytest.raises(QueryError, match="at least 3 letters before"):
        search(index, "*tim")
    with pytest.raises(QueryError, match="too long"):
        search(index, "x" * 10_000)


def test_invalid_paging_and_sort_are_query_errors(index: SearchIndex) -> None:
    for kwargs in ({"page": 0}, {"per_page": 0}, {"per_page": 1000}, {"sort": "title"}):
        with pytest.raises(QueryError):
            search(index, "victim", **kwargs)
    with pytest.raises(QueryError):
        search(index, statuses=("secret",))


# Filters, statuses, sorting


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        ({"meeting": "11MSP"}, lambda d: d.meeting == "11MSP"),
        ({"doc_type": "final_report"}, lambda d: d.doc_type == "final_report"),
        ({"language": "fr"}, lambda d: "fr" in d.files),
        ({"delegation": "CHL"}, lambda d: d.delegation == "CHL"),
        (
            {"date_from": D(2024, 9, 11), "date_to": D(2024, 9, 12)},
            lambda d: d.date is not None and D(2024, 9, 11) <= d.date <= D(2024, 9, 12),
        ),
        ({"date_to": D(2023, 12, 31)}, lambda d: d.date is not None and d.date.year == 2023),
        (
            {"meeting": "12MSP", "language": "en"},
            lambda d: "en" in d.files and d.meeting == "12MSP",
        ),
    ],
)
def test_filters_with_empty_query(
    index: SearchIndex, filters: dict, keep: Callable[[Doc], bool]
) -> None:
    expected = {doc.document_id for doc in visible() if keep(doc)}
    results = search(index, **filters)
    assert results.total == len(expected)
    assert set(all_doc_ids(index, **filters)) == expected


def test_filters_combine_with_text(index: SearchIndex) -> None:
    assert doc_ids(search(index, "clearance", meeting="12MSP")) == [1]
    assert doc_ids(search(index, "clearance", delegation="CHL", date_to=D(2023, 12, 31))) == [11]


def test_drafts_and_withdrawn_hidden_unless_staff(index: SearchIndex) -> None:
    assert doc_ids(search(index, "draft statement")) == []
    assert doc_ids(search(index, "draft statement", statuses=STAFF)) == [8]
    assert search(index).total == len(visible())
    assert search(index, statuses=STAFF).total == len(CORPUS)
    assert doc_ids(search(index, "withdrawn", statuses=("withdrawn",))) == [10]


def test_empty_query_lists_newest_first(index: SearchIndex) -> None:
    ids = all_doc_ids(index, statuses=STAFF)
    dates = [next(d.date for d in CORPUS if d.document_id == i) for i in ids]
    assert dates == sorted(dates, reverse=True)
    assert ids[0] == 6


def test_sort_by_date_with_query(index: SearchIndex) -> None:
    results = search(index, "clearance OR stockpile OR assistance", sort="date", statuses=STAFF)
    dates = [next(d.date for d in CORPUS if d.document_id == i) for i in doc_ids(results)]
    assert len(dates) >= 3
    assert dates == sorted(dates, reverse=True)


def test_best_pages_first_at_most_three(index: SearchIndex) -> None:
    item = search(index, "clearance", delegation="CHL", meeting="11MSP").items[0]
    assert item.document_id == 11
    assert sorted(hit.page for hit in item.hits) == [1, 3, 4]  # page 2 does not match


# Totals, facets, pagination


def expected_facets(docs: list[Doc], languages: dict[int, set[str]]) -> dict[str, Counter]:
    """Facet counts computed from the corpus for the given matching documents."""
    facets = {name: Counter() for name in ("meeting", "doc_type", "delegation", "language")}
    for doc in docs:
        facets["meeting"][doc.meeting] += 1
        facets["doc_type"][doc.doc_type] += 1
        if doc.delegation:
            facets["delegation"][doc.delegation] += 1
        facets["language"].update(languages[doc.document_id])
    return facets


@pytest.mark.parametrize(
    "filters", [{}, {"meeting": "12MSP"}, {"statuses": STAFF}, {"date_from": D(2024, 1, 1)}]
)
def test_facets_count_matching_documents(index: SearchIndex, filters: dict) -> None:
    results = search(index, **filters)
    docs = [d for d in CORPUS if d.document_id in set(all_doc_ids(index, **filters))]
    expected = expected_facets(docs, {d.document_id: set(d.files) for d in docs})
    assert results.total == len(docs)
    for name, counts in expected.items():
        assert results.facets[name] == dict(counts)
    assert sum(results.facets["meeting"].values()) == results.total


def test_facets_count_only_matching_language_versions(index: SearchIndex) -> None:
    results = search(index, "Chile")  # names and text: both language versions of document 1
    assert results.facets["language"] == {"en": 2, "es": 1}
    assert results.facets["delegation"] == {"CHL": 2}
    results = search(index, "survivors")  # only the English version of document 1 matches
    assert results.facets["language"] == {"en": 1}
    assert results.total == 1


def test_year_facet(index: SearchIndex) -> None:
    years = search(index).facets["year"]
    assert years == {"2024": 7, "2023": 2}


def test_pagination_covers_all_without_overlap(index: SearchIndex) -> None:
    everything = doc_ids(search(index, statuses=STAFF, per_page=100))
    paged = all_doc_ids(index, statuses=STAFF)
    assert paged == everything
    assert len(set(paged)) == len(paged) == len(CORPUS)
    beyond = search(index, statuses=STAFF, page=99, per_page=10)
    assert beyond.items == [] and beyond.total == len(CORPUS)


def test_relevance_pagination(index: SearchIndex) -> None:
    q = "clearance OR victim OR stockpile OR Convention"
    everything = doc_ids(search(index, q, per_page=100))
    assert all_doc_ids(index, q=q) == everything
    assert len(everything) >= 4


# Snippets


def test_snippet_escapes_page_markup(index: SearchIndex) -> None:
    hit = search(index, "dépollution").items[0].hits[0]
    assert hit.page == 3
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hit.snippet
    assert "<mark>dépollution</mark>" in hit.snippet
    assert "<" not in re.sub(r"</?mark>", "", hit.snippet)


def test_snippet_markup_is_only_mark(index: SearchIndex) -> None:
    for q in ["victim", "Etats", "受害者", "مساعدة", "разминирование", '"clearance deadlines"']:
        for item in search(index, q).items:
            for hit in item.hits:
                assert re.findall(r"<[^>]*>", hit.snippet) == ["<mark>", "</mark>"] * (
                    hit.snippet.count("<mark>")
                )


def test_snippet_without_text_match_shows_page_start(index: SearchIndex) -> None:
    hit = search(index, "Lebanon").items[0].hits[0]  # matches the names only
    assert hit.snippet.startswith("تتقدم")
    assert "<mark>" not in hit.snippet


# Writes, deletes, rebuilds, versions


def test_no_index_yet(tmp_path: Path) -> None:
    index = SearchIndex(tmp_path / "index", TextCache(tmp_path / "text"))
    assert index.needs_rebuild()
    results = search(index, "victim")
    assert results.total == 0
    assert results.facets == {
        k: {} for k in ("meeting", "doc_type", "language", "delegation", "year")
    }
    assert index.indexed_file_ids() == set()
    index.delete_files([1])  # nothing to delete: no error
    index.close()


def test_indexed_file_ids_and_deletes(make_index: Callable[..., SearchIndex]) -> None:
    index = make_index()
    all_ids = {rec.file_id for rec, _ in corpus_files()}
    assert index.indexed_file_ids() == all_ids
    assert not index.needs_rebuild()

    index.delete_files([file_id(CORPUS[0], "es")])
    assert doc_ids(search(index, "victima")) == []
    assert doc_ids(search(index, "survivors")) == [1]

    index.delete_document(1)
    assert doc_ids(search(index, "survivors")) == []
    assert index.indexed_file_ids() == all_ids - {11, 12}


def test_add_files_replaces_all_pages_of_a_file(make_index: Callable[..., SearchIndex]) -> None:
    index = make_index()
    doc = CORPUS[10]
    shorter = [(record(doc, "en", ["Only one page now."]), ["Only one page now."])]
    store(index.text_cache, shorter)
    assert index.add_files(shorter) == 1
    assert doc_ids(search(index, "clearance", delegation="CHL", meeting="11MSP")) == []
    item = search(index, "only page", meeting="11MSP").items[0]
    assert (item.document_id, [h.page for h in item.hits]) == (11, [1])


def test_metadata_change_is_picked_up(make_index: Callable[..., SearchIndex]) -> None:
    index = make_index()
    rec, pages = corpus_files([CORPUS[7]])[0]
    index.add_files([(replace(rec, status="published"), pages)])
    assert doc_ids(search(index, "draft statement")) == [8]


def test_failed_batch_is_cancelled(make_index: Callable[..., SearchIndex]) -> None:
    index = make_index([])
    good, bad = corpus_files(CORPUS[:2])[:2]
    with pytest.raises(TypeError):
        index.add_files([good, (bad[0], ["fine", None])])  # type: ignore[list-item]
    assert index.indexed_file_ids() == set()
    assert index.add_files([good]) == len(good[1])  # the lock was released
    assert index.indexed_file_ids() == {good[0].file_id}


def test_writer_timeout_when_locked(make_index: Callable[..., SearchIndex]) -> None:
    index = make_index(writer_timeout=0.2)
    live = index.root / (index.root / "CURRENT").read_text().strip()
    holder = whoosh_index.open_dir(str(live)).writer()
    try:
        with pytest.raises(LockError):
            index.add_files(corpus_files(CORPUS[:1]))
    finally:
        holder.cancel()
    assert index.add_files(corpus_files(CORPUS[:1])) > 0


def test_rebuild_swaps_atomically(make_index: Callable[..., SearchIndex]) -> None:
    index = make_index(corpus_files(CORPUS[:3]))
    other = SearchIndex(index.root, index.text_cache)  # e.g. another web worker
    assert doc_ids(search(other, "victima")) == [1]
    old_dir = index.root / (index.root / "CURRENT").read_text().strip()
    old_searcher = whoosh_index.open_dir(str(old_dir)).searcher()

    done: list[int] = []
    pages = index.rebuild(corpus_files(CORPUS[3:6]), progress=done.append)

    assert pages == 9 and done == [1, 2, 3]
    assert not old_dir.exists()
    new_dirs = [p.name for p in index.root.iterdir() if p.is_dir()]
    assert new_dirs == [(index.root / "CURRENT").read_text().strip()]
    assert doc_ids(search(index, "受害者")) == [5]
    assert doc_ids(search(other, "victima")) == []  # the other instance follows the swap
    assert doc_ids(search(other, "受害者")) == [5]
    # A searcher opened on the old directory before the swap still answers.
    assert len(list(old_searcher.docs_for_query(wq.Term("text_es", "victim")))) == 1
    old_searcher.close()
    other.close()


def test_failed_rebuild_keeps_the_live_index(make_index: Callable[..., SearchIndex]) -> None:
    index = make_index(corpus_files(CORPUS[:2]))
    before = sorted(p.name for p in index.root.iterdir())

    def broken() -> Iterable[tuple[FileRecord, list[str]]]:
        yield from corpus_files(CORPUS[2:3])
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="went away"):
        index.rebuild(broken())
    assert sorted(p.name for p in index.root.iterdir()) == before
    assert doc_ids(search(index, "victima")) == [1]
    assert index.add_files(corpus_files(CORPUS[2:3])) == 3  # old index writable again


def test_schema_version_bump_needs_rebuild(
    make_index: Callable[..., SearchIndex], monkeypatch: pytest.MonkeyPatch
) -> None:
    index = make_index(corpus_files(CORPUS[:2]))
    assert not index.needs_rebuild()
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    assert index.needs_rebuild()
    with pytest.raises(IndexOutdatedError):
        index.add_files(corpus_files(CORPUS[2:3]))
    assert doc_ids(search(index, "victima")) == [1]  # still searchable meanwhile
    index.delete_document(2)  # and deletions still apply
    assert doc_ids(search(index, "delegues")) == []
    index.rebuild(corpus_files(CORPUS[:3]))
    assert not index.needs_rebuild()
    live = (index.root / "CURRENT").read_text().strip()
    assert live.startswith(f"v{schema.SCHEMA_VERSION}-")
    assert doc_ids(search(index, "разминирование")) == [3]


def test_file_record_validation() -> None:
    rec, _ = corpus_files(CORPUS[:1])[0]
    with pytest.raises(ValueError):
        replace(rec, status="secret")
    with pytest.raises(ValueError):
        replace(rec, sha256="not-a-digest")
    with pytest.raises(ValueError):
        replace(rec, language="English")


def test_other_instance_sees_commits(make_index: Callable[..., SearchIndex]) -> None:
    index = make_index(corpus_files(CORPUS[:1]))
    reader = SearchIndex(index.root, index.text_cache)  # e.g. a web process; index = the worker
    assert doc_ids(search(reader, "delegues")) == []
    index.add_files(corpus_files(CORPUS[1:2]))
    assert doc_ids(search(reader, "delegues")) == [2]
    index.delete_document(2)
    assert doc_ids(search(reader, "delegues")) == []
    reader.close()


def test_concurrent_searches_and_writes(make_index: Callable[..., SearchIndex]) -> None:
    index = make_index(corpus_files(CORPUS[:3]))
    errors: list[BaseException] = []

    def searching() -> None:
        try:
            for _ in range(30):
                search(index, "victima OR delegues")
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=searching) for _ in range(3)]
    for thread in threads:
        thread.start()
    for doc in CORPUS[3:8]:
        index.add_files(corpus_files([doc]))
    for thread in threads:
        thread.join()
    assert errors == []
    assert search(index, statuses=STAFF).total == 8


def test_replace_document_in_one_commit(make_index: Callable[..., SearchIndex]) -> None:
    index = make_index(corpus_files(CORPUS[:2]))
    spanish_only = [f for f in corpus_files(CORPUS[:1]) if f[0].language == "es"]
    assert index.replace_document(1, spanish_only) == 3
    assert doc_ids(search(index, "survivors")) == []  # the English version is gone
    assert doc_ids(search(index, "victima")) == [1]
    with pytest.raises(ValueError):
        index.replace_document(2, spanish_only)
    assert index.replace_document(1, []) == 0
    assert doc_ids(search(index, "victima")) == []
    assert index.indexed_file_ids() == {21}
