"""The ZIP cache on its own: names, whole files only, older builds and LRU eviction."""

from __future__ import annotations

import os

import pytest

from storage.zipcache import ZipCache

KEY_A, KEY_B, KEY_C = "a" * 64, "b" * 64, "c" * 64


def _keep(cache: ZipCache, slot: str, key: str, data: bytes, *, used_at: int) -> None:
    writer = cache.writer(slot, key, len(data))
    writer.write(data)
    path = writer.commit()
    os.utime(path, ns=(used_at, path.stat().st_mtime_ns))


def test_names_that_are_not_slots_and_keys_are_refused(tmp_path):
    cache = ZipCache(tmp_path, 10_000)
    for slot, key in (("../x", KEY_A), ("meeting.A", "A" * 64), ("meeting.A", "a" * 63)):
        with pytest.raises(ValueError):
            cache.path(slot, key)
    assert not ZipCache.is_slot("meeting/../../x") and ZipCache.is_slot("meeting.12MSP.public")


def test_a_commit_replaces_the_older_build_of_its_slot_only(tmp_path):
    cache = ZipCache(tmp_path, 10_000)
    _keep(cache, "meeting.A", KEY_A, b"old", used_at=1)
    _keep(cache, "meeting.A.public", KEY_C, b"a longer slot name", used_at=1)
    _keep(cache, "meeting.A", KEY_B, b"new", used_at=2)
    assert cache.get("meeting.A", KEY_A) is None
    assert cache.get("meeting.A", KEY_B).read_bytes() == b"new"
    assert cache.get("meeting.A.public", KEY_C) is not None


def test_eviction_removes_the_least_recently_used_first(tmp_path):
    cache = ZipCache(tmp_path, 250)
    _keep(cache, "meeting.A", KEY_A, b"a" * 100, used_at=10**9)
    _keep(cache, "meeting.B", KEY_B, b"b" * 100, used_at=2 * 10**9)
    assert cache.get("meeting.A", KEY_A) is not None  # used now: B is the oldest
    _keep(cache, "meeting.C", KEY_C, b"c" * 100, used_at=3 * 10**18)
    assert cache.get("meeting.B", KEY_B) is None
    assert cache.get("meeting.A", KEY_A) and cache.get("meeting.C", KEY_C)


def test_a_short_or_discarded_write_leaves_nothing(tmp_path):
    cache = ZipCache(tmp_path, 10_000)
    writer = cache.writer("meeting.A", KEY_A, 10)
    writer.write(b"12345")
    with pytest.raises(ValueError):
        writer.commit()
    other = cache.writer("meeting.A", KEY_A, 10)
    assert cache.being_written("meeting.A", KEY_A)
    other.discard()
    assert not cache.being_written("meeting.A", KEY_A)
    assert cache.archives() == [] and list(cache.tmp_dir.iterdir()) == []


def test_cleanup_removes_temp_files_of_dead_writers_only(tmp_path, dead_pid):
    cache = ZipCache(tmp_path, 10_000)
    live = cache.writer("meeting.A", KEY_A, 1)
    dead = cache.tmp_dir / f"{os.uname().nodename}~{dead_pid}~meeting.B.{KEY_B}.x.tmp"
    dead.write_bytes(b"PK")
    assert cache.cleanup_abandoned() == 1
    assert not dead.exists() and live.temp.exists()
    live.discard()
