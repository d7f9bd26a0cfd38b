"""`make run` on an empty data directory serves the demo meeting (a real server process)."""

from __future__ import annotations

import pytest

from tests.processes import archive_env, free_port, get, running, wait_http

pytestmark = pytest.mark.slow


def test_make_run_serves_the_demo_meeting(tmp_path):
    port = free_port()
    data = tmp_path / "data"
    env = archive_env(data, PORT=str(port), ARCHIVE_ADMIN_PASSWORD="a-long-admin-password")
    env.pop("SECRET_KEY")  # make run generates and keeps one in the data directory
    with running(["make", "--no-print-directory", "run"], env, tmp_path / "run.log") as proc:
        try:
            wait_http(f"http://127.0.0.1:{port}/", timeout=240, proc=proc)
        except (TimeoutError, RuntimeError):
            pytest.fail((tmp_path / "run.log").read_text()[-3000:])
        status, body = get(f"http://127.0.0.1:{port}/meetings/12MSP")
        assert status == 200
        html = body.decode()
        assert "Twelfth Meeting of States Parties" in html
        assert "Statement by Chile" in html
        status, body = get(f"http://127.0.0.1:{port}/api/v1/search?q=clearance")
        assert status == 200 and b'"total"' in body
    log = (tmp_path / "run.log").read_text()
    assert "Created the first admin" in log
    assert (data / "secret_key").exists()
