"""Real-browser fixtures: one live archive and one headless Chromium for the whole session.

The server is a real `flask run` process on a fresh data directory, migrated and set up by
the CLI (the demo meeting 12MSP; its first admin is the staff user). Its worker is external:
a test that wants jobs to run starts `flask worker --once` itself, so that it can watch a
page change when they do. Chromium is Debian's (`make browser-deps`); Playwright drives it.

Each test's steps are screenshotted as it goes; when a test fails, those screenshots and one
of the moment of failure are written under test-artifacts/<test name>/.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import (
    ROOT,
    VENV_BIN,
    archive_env,
    flask,
    free_port,
    get,
    running,
    wait_http,
)

ARTIFACTS = ROOT / "test-artifacts"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
STAFF_EMAIL = "staff@browser.example.org"
STAFF_PASSWORD = "a-long-browser-password"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    env: dict[str, str]

    def run_worker_once(self) -> str:
        """Run the due jobs in a real worker process (`flask worker --once`)."""
        done = flask(self.data_dir, "worker", "--once", **self.env)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> LiveServer:
    """`flask run` on a free loopback port, on a fresh data directory with the demo loaded."""
    data = tmp_path_factory.mktemp("browser-archive")
    # SQLite in the data directory even in the PostgreSQL run: the session outlives the
    # per-test databases that run drops.
    env = {
        "ARCHIVE_WORKER": "external",
        "DATABASE_URL": f"sqlite:///{data / 'archive.sqlite3'}",
        # several tests log the staff user in from one address within a minute
        "ARCHIVE_LOGIN_RATE_LIMIT": "1000 per minute",
    }
    # `setup` makes the staff user (the first admin, from these variables) and loads the demo
    staff = {"ARCHIVE_ADMIN_EMAIL": STAFF_EMAIL, "ARCHIVE_ADMIN_PASSWORD": STAFF_PASSWORD}
    for args, extra in ((("db", "upgrade"), {}), (("setup",), staff)):
        done = flask(data, *args, **env, **extra)
        assert done.returncode == 0, f"flask {' '.join(args)}: {done.stderr[-2000:]}"
    port = free_port()
    cmd = [str(VENV_BIN / "flask"), "--app", "wsgi", "run", "--host", "127.0.0.1"]
    with running(
        [*cmd, "--port", str(port)], archive_env(data, **env), data / "server.log"
    ) as proc:
        url = f"http://127.0.0.1:{port}"
        wait_http(f"{url}/", timeout=60, proc=proc)
        yield LiveServer(url=url, data_dir=data, env=env)


@pytest.fixture(scope="session")
def chile(live_server) -> int:
    """The id of Chile's statement: metadata, a recording moment, two languages, a citation."""
    status, body = get(f"{live_server.url}/api/v1/meetings/12MSP")
    assert status == 200
    documents = json.loads(body)["documents"]
    return next(d["id"] for d in documents if d.get("delegation") == "CHL")


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright (which downloads no browser)."""
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: run `make browser-deps`")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, for the page fixture's teardown."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


class Steps:
    """Screenshots of a test's steps, kept in memory and written out only when it fails."""

    def __init__(self, page) -> None:
        self.page = page
        self.shots: list[tuple[str, bytes]] = []

    def __call__(self, name: str) -> None:
        self.shots.append((name, self.page.screenshot(full_page=True)))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for number, (name, png) in enumerate(self.shots, 1):
            (folder / f"{number:02d}-{_slug(name)}.png").write_bytes(png)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80] or "step"


def open_page(browser, live_server, request, **context_options):
    """A new context and page; on failure its steps and last screen go to test-artifacts/."""
    options = {
        "base_url": live_server.url,
        "viewport": {"width": 1280, "height": 900},
        "locale": "en-GB",
        "accept_downloads": True,
    } | context_options
    context = browser.new_context(**options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # what the archive's CSP blocked (an inline script or style, a foreign source) is an error
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    steps = Steps(page)
    return context, page, steps, errors


def close_page(context, page, steps, errors, request) -> None:
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        folder = ARTIFACTS / _slug(request.node.name)
        steps.save(folder)
        try:
            (folder / "failure.png").write_bytes(page.screenshot(full_page=True))
            (folder / "failure-url.txt").write_text(page.url + "\n" + "\n".join(errors))
        except Exception:  # the page itself may be what broke
            pass
    context.close()


@pytest.fixture
def visit(browser, live_server, request):
    """(page, steps, errors) in a fresh context with the page's CSP in force."""
    context, page, steps, errors = open_page(browser, live_server, request)
    yield page, steps, errors
    close_page(context, page, steps, errors, request)


@pytest.fixture
def axe_page(browser, live_server, request):
    """(page, steps) whose context may inject axe-core (the archive's CSP allows no inline
    script, so this context bypasses CSP; the journeys run with it)."""
    if not AXE_JS.is_file():
        pytest.fail("axe-core is not installed: run `make browser-deps`")
    context, page, steps, errors = open_page(browser, live_server, request, bypass_csp=True)
    yield page, steps
    close_page(context, page, steps, errors, request)


def login(page, email: str = STAFF_EMAIL, password: str = STAFF_PASSWORD) -> None:
    """Log in through the login form, as a person would."""
    page.goto("/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("form.login-form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login" not in url)
