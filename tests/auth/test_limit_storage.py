"""database://, the login limiter's storage in the app's database: atomic fixed windows."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from limits.errors import ConfigurationError
from sqlalchemy import create_mock_engine, select

from archive.auth.limit_storage import DatabaseStorage
from archive.auth.limits import EXTENSION_KEY
from archive.auth.models import RateLimitCounter
from archive.extensions import db


@pytest.fixture
def storage(app) -> DatabaseStorage:
    storage = app.extensions[EXTENSION_KEY].limiter.storage
    assert isinstance(storage, DatabaseStorage)  # the default
    return storage


def _rows(app) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(select(RateLimitCounter.key, RateLimitCounter.count)).all()
        db.session.remove()
        return sorted(tuple(r) for r in rows)


def test_counts_in_a_window_and_starts_a_new_one_after_it(storage, app):
    assert storage.get("k") == 0
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3
    assert time.time() + 55 < storage.get_expiry("k") <= time.time() + 60
    assert storage.incr("short", 1) == 1
    time.sleep(1.1)
    assert storage.get("short") == 0
    assert storage.incr("short", 1) == 1  # a fresh window, not 2
    assert storage.incr("k", 60, amount=2) == 5


def test_expired_rows_are_deleted_on_write(storage, app):
    storage.incr("old", 1)
    time.sleep(1.1)
    storage.incr("new", 60)
    assert _rows(app) == [("new", 1)]


def test_increments_from_many_threads_are_all_counted(storage, app):
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: storage.incr("busy", 60), range(60)))
    assert sorted(results) == list(range(1, 61))
    assert storage.get("busy") == 60


def test_long_or_odd_keys_are_stored_by_their_hash(storage, app):
    long_key = "LIMITER/login/account/" + "a" * 5000 + "@example.org"
    odd_key = "LIMITER/login/account/\x00\u202e@example.org"
    assert storage.incr(long_key, 60) == 1
    assert storage.incr(long_key, 60) == 2
    assert storage.incr(odd_key, 60) == 1
    assert storage.get(long_key) == 2
    keys = [key for key, _ in _rows(app)]
    assert all(key.startswith("sha256:") and len(key) == 71 for key in keys)


def test_clear_reset_and_check(storage, app):
    storage.incr("a", 60)
    storage.incr("b", 60)
    storage.clear("a")
    assert storage.get("a") == 0 and storage.get("b") == 1
    assert storage.reset() == 1
    assert storage.check()


def test_needs_an_engine_of_a_known_database():
    with pytest.raises(ConfigurationError):
        DatabaseStorage("database://")
    with pytest.raises(ConfigurationError):
        DatabaseStorage("database://", engine=create_mock_engine("mysql://", executor=None))


def test_memory_storage_is_still_available(tmp_path):
    from archive import create_app

    data = tmp_path / "mem"
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "ARCHIVE_DATA_DIR": str(data),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{data / 'a.sqlite3'}",
            "ARCHIVE_WORKER": "off",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    assert type(other.extensions[EXTENSION_KEY].limiter.storage).__name__ == "MemoryStorage"
    with other.app_context():
        db.engine.dispose()
