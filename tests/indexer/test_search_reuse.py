"""Searcher reuse and per-generation result caching on a real Whoosh index."""

from __future__ import annotations

import datetime
import hashlib

from indexer.index import FileRecord, SearchIndex, SearchQuery
from indexer.textcache import TextCache


def _file(number: int, text: str, meeting: str = "1MSP") -> tuple[FileRecord, list[str]]:
    pages = [text, f"Second page of statement {number}."]
    digest = hashlib.sha256(f"{number}:{text}".encode()).hexdigest()
    record = FileRecord(
        file_id=number,
        document_id=number,
        sha256=digest,
        language="en",
        meeting=meeting,
        doc_type="statement",
        delegation="FRA",
        date=datetime.date(2020, 1, number),
        status="published",
        title=f"Statement {number}",
        symbol=None,
    )
    return record, pages


def _index(tmp_path, files) -> SearchIndex:
    cache = TextCache(tmp_path / "text")
    for record, pages in files:
        cache.put(record.sha256, pages)
    index = SearchIndex(tmp_path / "index", cache)
    index.add_files(files)
    return index


def test_repeated_and_paged_queries_agree_with_a_fresh_index(tmp_path):
    files = [_file(n, f"Landmine clearance progress report number {n}.") for n in range(1, 8)]
    index = _index(tmp_path, files)
    first = index.search(SearchQuery(q="landmine", per_page=3))
    again = index.search(SearchQuery(q="landmine", per_page=3))
    second_page = index.search(SearchQuery(q="landmine", per_page=3, page=2))
    by_date = index.search(SearchQuery(q="landmine", per_page=3, sort="date"))
    assert first == again
    assert first.total == second_page.total == 7
    shown = [h.document_id for h in first.items + second_page.items]
    assert len(set(shown)) == 6
    assert [h.document_id for h in by_date.items] == [7, 6, 5]
    assert first.facets == by_date.facets
    assert first.facets["meeting"] == {"1MSP": 7}

    fresh = SearchIndex(tmp_path / "index", index.text_cache)
    assert fresh.search(SearchQuery(q="landmine", per_page=3, page=2)) == second_page
    fresh.close()
    index.close()


def test_a_commit_is_seen_by_the_next_search_of_a_cached_query(tmp_path):
    files = [_file(n, f"Victim assistance statement {n}.") for n in range(1, 4)]
    index = _index(tmp_path, files)
    query = SearchQuery(q="assistance")
    assert index.search(query).total == 3
    assert index.search(query).facets["meeting"] == {"1MSP": 3}

    record, pages = _file(9, "More on victim assistance.", meeting="2MSP")
    index.text_cache.put(record.sha256, pages)
    index.add_files([(record, pages)])
    after = index.search(query)
    assert after.total == 4
    assert after.facets["meeting"] == {"1MSP": 3, "2MSP": 1}

    index.delete_files([1])
    gone = index.search(query)
    assert gone.total == 3
    assert 1 not in {hit.document_id for hit in gone.items}
    index.close()


def test_the_searcher_is_reused_until_the_index_changes(tmp_path):
    index = _index(tmp_path, [_file(1, "Cluster munitions remnants.")])
    index.search(SearchQuery(q="cluster"))
    searcher = index._searcher
    index.search(SearchQuery(q="remnants"))
    assert index._searcher is searcher
    index.add_files([_file(2, "Cluster munitions stockpiles.")])
    assert index.search(SearchQuery(q="cluster")).total == 2
    assert index._searcher is not searcher
    index.close()


def test_the_result_cache_is_bounded_by_matching_pages(tmp_path, monkeypatch):
    from indexer.index import _Generation

    monkeypatch.setattr(_Generation, "MAX_CACHED_PAGES", 5)
    files = [_file(n, f"Stockpile destruction report {n}.") for n in range(1, 5)]
    index = _index(tmp_path, files)
    large = index.search(SearchQuery(q="statement"))  # 8 pages: computed, not kept
    small = index.search(SearchQuery(q="stockpile", meeting="1MSP"))  # 4 pages: kept
    assert large.total == 4 and small.total == 4
    cached = index._gen.results
    assert [entry.pages for entry in cached.values()] == [4]
    assert index.search(SearchQuery(q="statement")) == large
    index.close()
