"""SearchIndex write side: many documents replaced in one commit (what the worker does)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer.index import SearchIndex
from indexer.textcache import TextCache
from tests.indexer.test_search_index import CORPUS, corpus_files, doc_ids, search, store


@pytest.fixture
def make_index(tmp_path: Path) -> Iterator[Callable[..., SearchIndex]]:
    """Factory: a SearchIndex on tmp_path loaded with the given files."""
    made: list[SearchIndex] = []

    def make(files: list) -> SearchIndex:
        cache = TextCache(tmp_path / "text")
        store(cache, files)
        index = SearchIndex(tmp_path / "index", cache)
        index.add_files(files)
        made.append(index)
        return index

    yield make
    for index in made:
        index.close()


def _generation(index: SearchIndex) -> int:
    live = index.root / (index.root / "CURRENT").read_text().strip()
    return whoosh_index.open_dir(str(live)).latest_generation()


def test_replace_documents_changes_many_documents_in_one_commit(
    make_index: Callable[..., SearchIndex],
) -> None:
    index = make_index(corpus_files(CORPUS[:2]))
    spanish_only = [f for f in corpus_files(CORPUS[:1]) if f[0].language == "es"]
    third = corpus_files(CORPUS[2:3])
    store(index.text_cache, third)
    before = _generation(index)

    written = index.replace_documents({1: spanish_only, 2: [], 3: third})

    assert written == sum(len(pages) for _, pages in spanish_only + third)
    assert _generation(index) == before + 1  # one commit for the three documents
    assert doc_ids(search(index, "survivors")) == []  # document 1's English version is gone
    assert doc_ids(search(index, "victima")) == [1]
    assert doc_ids(search(index, "разминирование")) == [3]
    assert 2 not in {item.document_id for item in search(index, per_page=100).items}


def test_replace_documents_refuses_a_file_of_another_document_and_changes_nothing(
    make_index: Callable[..., SearchIndex],
) -> None:
    index = make_index(corpus_files(CORPUS[:2]))
    before = (index.indexed_file_ids(), _generation(index))
    with pytest.raises(ValueError):
        index.replace_documents({1: [], 2: corpus_files(CORPUS[:1])})
    assert (index.indexed_file_ids(), _generation(index)) == before


def test_replace_documents_with_only_removals(make_index: Callable[..., SearchIndex]) -> None:
    index = make_index(corpus_files(CORPUS[:2]))
    assert index.replace_documents({1: [], 99: []}) == 0
    assert doc_ids(search(index, "victima")) == []
    assert {rec.document_id for rec, _ in corpus_files(CORPUS[:2])} - {1} == {2}
    assert index.indexed_file_ids() == {rec.file_id for rec, _ in corpus_files(CORPUS[1:2])}
