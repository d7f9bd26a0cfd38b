"""The extracted-text cache: atomic, sharded, validated."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from indexer.textcache import TextCache, shard


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def cache(tmp_path: Path) -> TextCache:
    return TextCache(tmp_path / "text")


def test_put_get_round_trip(cache: TextCache) -> None:
    sha = digest("a")
    pages = ["Page one", "Страница два", "الصفحة الثالثة", "第四页", ""]
    cache.put(sha, pages)
    assert cache.get(sha) == pages
    assert cache.exists(sha)


def test_entries_are_sharded(cache: TextCache) -> None:
    sha = digest("b")
    cache.put(sha, ["x"])
    assert (cache.root / sha[:2] / sha[2:4] / f"{sha}.json").is_file()
    assert shard(sha) == Path(sha[:2], sha[2:4], f"{sha}.json")


def test_put_replaces_and_leaves_no_temp_files(cache: TextCache) -> None:
    sha = digest("c")
    cache.put(sha, ["old"])
    cache.put(sha, ["new", "pages"])
    assert cache.get(sha) == ["new", "pages"]
    leftovers = [p for p in cache.root.rglob("*") if p.is_file() and p.name.startswith(".tmp")]
    assert leftovers == []


@pytest.mark.parametrize(
    "bad", ["", "abc", "A" * 64, "g" * 64, "../" + "a" * 61, "a" * 63, "a" * 65, "a" * 63 + "/"]
)
def test_invalid_digests_are_rejected(cache: TextCache, bad: str) -> None:
    with pytest.raises(ValueError):
        cache.put(bad, ["x"])
    with pytest.raises(ValueError):
        cache.get(bad)
    with pytest.raises(ValueError):
        cache.exists(bad)


def test_pages_must_be_strings(cache: TextCache) -> None:
    with pytest.raises(TypeError):
        cache.put(digest("d"), ["ok", None])  # type: ignore[list-item]
    assert not cache.exists(digest("d"))


def test_missing_and_delete(cache: TextCache) -> None:
    sha = digest("e")
    assert cache.get(sha) is None
    assert not cache.delete(sha)
    cache.put(sha, ["x"])
    assert cache.delete(sha)
    assert not cache.exists(sha)
    assert cache.get(sha) is None


def test_unreadable_entry_reads_as_missing(cache: TextCache) -> None:
    sha = digest("f")
    cache.put(sha, ["x"])
    cache.path(sha).write_bytes(b"{not json")
    assert cache.get(sha) is None
    other = digest("g")
    cache.put(other, ["y"])
    cache.path(sha).write_bytes(cache.path(other).read_bytes())  # entry for another digest
    assert cache.get(sha) is None


def test_iter_digests(cache: TextCache) -> None:
    shas = sorted(digest(str(n)) for n in range(5))
    for sha in shas:
        cache.put(sha, [sha])
    (cache.root / "stray.txt").write_text("ignored")
    assert list(cache.iter_digests()) == shas
