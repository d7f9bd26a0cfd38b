"""Login brute force across gunicorn workers: the limit holds for the whole server.

A real gunicorn with two workers; wrong passwords arrive over separate connections, a few
at once so that both workers answer some (the access log names each answer's process).
With the default storage (database://) ten attempts are answered and the rest
get 429, whichever worker takes them (attempts that overlap may make it nine or eight:
never more); the right password after that is refused too. As a
control, memory:// (counters per process) lets more than ten through: the test can fail.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from archive.extensions import db
from tests.auth.staff_helpers import EDITOR, PASSWORD
from tests.processes import VENV_BIN, archive_env, free_port, running, wait_http

pytestmark = pytest.mark.slow

LIMIT = 10
#: attempts at most, a few at a time until both workers have answered some
MAX_ATTEMPTS = 40
MIN_ATTEMPTS = 14


def _gunicorn(data_dir: Path, port: int, log: Path, access_log: Path, storage: str):
    cmd = [
        str(VENV_BIN / "gunicorn"),
        "--bind", f"127.0.0.1:{port}",
        "--workers", "2",
        "--access-logfile", str(access_log),
        "--access-logformat", "%(p)s %(m)s %(U)s %(s)s",
        "wsgi:app",
    ]  # fmt: skip
    env = archive_env(data_dir, ARCHIVE_WORKER="off", ARCHIVE_RATELIMIT_STORAGE_URI=storage)
    return running(cmd, env, log)


def attempt(base: str, password: str = "not-the-password") -> int:
    """One login on its own connections (GET the form, POST it); the POST's status."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/login", timeout=30) as response:
        html = response.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    body = urllib.parse.urlencode({"email": EDITOR, "password": password, "csrf_token": token})
    request = urllib.request.Request(f"{base}/login", data=body.encode(), method="POST")
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def _login_pids(access_log: Path) -> set[str]:
    lines = access_log.read_text().splitlines() if access_log.exists() else []
    return {line.split()[0] for line in lines if " POST /login " in line}


def _attack(base: str, access_log: Path) -> list[int]:
    statuses: list[int] = []
    with ThreadPoolExecutor(max_workers=3) as pool:
        while len(statuses) < MAX_ATTEMPTS:
            statuses += pool.map(lambda _: attempt(base), range(3))
            if len(statuses) >= MIN_ATTEMPTS and len(_login_pids(access_log)) >= 2:
                break
    return statuses


@pytest.mark.parametrize("storage", ["database://", "memory://"])
def test_login_limit_holds_across_gunicorn_workers(app, make_user, data_dir, tmp_path, storage):
    make_user(EDITOR, "editor", PASSWORD)
    with app.app_context():
        db.engine.dispose()  # the server owns the database now
    port, access_log = free_port(), tmp_path / "access.log"
    base = f"http://127.0.0.1:{port}"
    with _gunicorn(data_dir, port, tmp_path / "gunicorn.log", access_log, storage) as server:
        wait_http(f"{base}/login", proc=server)
        statuses = _attack(base, access_log)
        assert len(_login_pids(access_log)) >= 2, "both workers should have answered logins"
        assert set(statuses) <= {200, 429}, statuses
        answered = statuses.count(200)
        if storage == "memory://":  # per process: each worker allows its own ten
            assert answered > LIMIT, statuses
            return
        # never more than ten; fewer by at most two when attempts overlap (each one counts
        # on two counters, the account's and the address's, one after the other)
        assert LIMIT - 2 <= answered <= LIMIT, statuses
        assert statuses[: LIMIT - 2] == [200] * (LIMIT - 2)
        assert statuses[-3:] == [429] * 3
        # the right password is refused as well while the window lasts
        assert attempt(base, PASSWORD) == 429
