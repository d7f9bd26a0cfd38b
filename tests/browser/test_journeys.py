"""The three journeys of the archive's users, in headless Chromium against a live server.

(a) a delegate searches in French, filters by delegation and opens a result at its page;
(b) staff log in, upload three PDFs with progress shown, publish one and watch its text
    status turn to indexed; (c) a researcher opens a meeting, plays a recording, downloads
    the meeting's ZIP and a citation.
"""

from __future__ import annotations

import csv
import io
import math
import re
import time
import wave
import zipfile

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from archive.demo.pdfs import make_pdf
from tests.browser.conftest import login

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    """A real WAV file: a 440 Hz tone, 16-bit mono."""
    frames = b"".join(
        int(8000 * math.sin(2 * math.pi * 440 * n / rate)).to_bytes(2, "little", signed=True)
        for n in range(int(seconds * rate))
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(frames)
    return out.getvalue()


def test_delegate_searches_in_french_filters_by_delegation_and_opens_the_page(visit):
    page, step, errors = visit
    page.goto("/?lang=fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    step("home")
    # "victime" is not in any document: French stemming finds "victimes"
    page.fill("#header-q", "victime")
    page.locator("form.header-search button[type=submit]").click()
    page.wait_for_url(re.compile(r"/search\?"))
    step("results")
    results = page.locator("li.result")
    assert results.count() >= 2, "the report and France's statement both speak of victims"

    page.locator("aside.facets a[href*='delegation=FRA']").click()
    page.wait_for_url(re.compile(r"delegation=FRA"))
    step("filtered by France")
    assert results.count() == 1
    result = results.first
    assert "France" in result.inner_text()
    # the statement speaks of victims on both its pages: follow the last one shown
    snippet = result.locator("p.snippet").last
    assert "victimes" in snippet.locator("mark").first.inner_text().lower()

    page_link = snippet.get_by_role("link", name=re.compile(r"\d+"))
    href = page_link.get_attribute("href")
    number = int(re.search(r"#page=(\d+)$", href).group(1))
    assert number == 2
    page_link.click()
    # Chromium's own PDF viewer opens the PDF at that page
    page.wait_for_url(re.compile(rf"/documents/\d+/download\?language=fr#page={number}$"))
    step("the PDF at its page")
    pdf = PdfReader(io.BytesIO(page.request.get(href).body()))
    assert "victimes" in pdf.pages[number - 1].extract_text()
    page.go_back()

    # the result's title leads to the document's page
    page.locator("li.result h3 a").click()
    page.wait_for_url(re.compile(r"/documents/\d+$"))
    step("document page")
    assert "France" in page.locator("main").inner_text()
    assert page.locator("html").get_attribute("lang") == "fr", "the language is remembered"
    assert errors == []


def test_staff_upload_three_pdfs_publish_one_and_watch_it_get_indexed(visit, live_server, tmp_path):
    page, step, errors = visit
    login(page)
    step("logged in")
    page.goto("/staff/upload")
    paths = []
    for number in (1, 2, 3):
        path = tmp_path / f"browser-statement-{number}.pdf"
        text = f"Browser upload {number}. Stockpile destruction report."
        path.write_bytes(make_pdf([text, "Cooperation and assistance. " * 20]))
        paths.append(path)
    page.set_input_files("#file", [str(p) for p in paths])
    expect(page.locator("#file-count")).to_contain_text("Files chosen: 3")
    page.select_option("#meeting", "12MSP")
    page.select_option("#doc_type", "statement")
    page.select_option("#language", "en")
    step("form filled")
    page.locator("#upload-form button[type=submit]").click()
    progress = page.locator("#upload-progress")
    progress.wait_for(state="visible")
    results = page.locator("#upload-results li")
    results.nth(2).wait_for()
    step("uploaded")
    assert page.url.endswith("/staff/upload"), "the upload happened without leaving the page"
    assert progress.get_attribute("value") == "100"
    assert "finished" in page.locator("#upload-percent").inner_text()
    texts = [results.nth(i).inner_text() for i in range(3)]
    for path in paths:
        assert any(path.name in text for text in texts), texts

    results.nth(0).get_by_role("link").click()
    page.wait_for_url(re.compile(r"/staff/documents/\d+/edit$"))
    publish = page.get_by_role("button", name="Publish", exact=True)
    publish.click()
    expect(publish).to_have_count(0)  # back on the edit page, published: no Publish button
    expect(page.get_by_role("button", name="Unpublish", exact=True)).to_be_visible()
    step("published")
    page.get_by_role("link", name="Document page").click()
    page.wait_for_url(re.compile(r"/documents/\d+$"))
    assert page.locator("main p.notice").count() == 0, "published: no draft notice"
    status = page.locator("td.text-status").first
    assert status.inner_text().strip() == "pending"
    step("document page, pending")
    page.evaluate("window.__notReloaded = true")

    live_server.run_worker_once()
    expect(status).to_have_text("indexed", timeout=15_000)
    step("indexed")
    assert page.evaluate("window.__notReloaded") is True, "the page was reloaded"
    assert page.locator("td.page-count").first.inner_text().strip() == "2"
    assert errors == []


def test_researcher_plays_a_recording_downloads_the_zip_and_a_citation(visit, tmp_path):
    page, step, errors = visit
    # the demo's recordings are on a placeholder host: the browser gets a real WAV instead
    audio_requests = []

    def recording(route):
        audio_requests.append(route.request.url)
        route.fulfill(status=200, body=wav_bytes(seconds=2.0), content_type="audio/wav")

    page.route("https://recordings.example.org/**", recording)
    page.goto("/")
    page.get_by_role("link", name=re.compile("12MSP")).first.click()
    page.wait_for_url("**/meetings/12MSP")
    step("meeting page")

    audio = page.locator("section#recordings audio").first
    assert audio.get_attribute("src").endswith("-floor.mp3")
    audio.evaluate("a => a.play()")
    # (the archive's CSP forbids eval, so wait_for_function with a string cannot poll here)
    deadline = time.monotonic() + 10
    while audio.evaluate("a => a.currentTime") < 0.2 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert audio.evaluate("a => a.currentTime") >= 0.2, "the recording did not play"
    step("recording playing")
    assert audio_requests and audio_requests[0].endswith("-floor.mp3")

    with page.expect_download() as zip_info:
        page.locator("a[href$='/download.zip']").click()
    with zipfile.ZipFile(zip_info.value.path()) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        manifest = archive.read("manifest.csv").decode("utf-8-sig")
    assert "manifest.csv" in names and "manifest.json" in names
    rows = list(csv.DictReader(io.StringIO(manifest)))
    assert len(rows) == len([n for n in names if n.endswith(".pdf")]) >= 10
    step("zip downloaded")

    # Chile's statement was delivered 10:32 into the opening session: its page says so
    page.get_by_role("link", name="Statement by Chile on clearance").click()
    page.wait_for_url(re.compile(r"/documents/\d+$"))
    step("statement page")
    moment = page.locator("section.delivered a.channel").first
    assert moment.get_attribute("href").endswith("#t=632")
    assert "10:32" in page.locator("section.delivered").inner_text()

    with page.expect_download() as bib_info:
        page.locator("section.cite").get_by_role("link", name="BibTeX").click()
    bibtex = bib_info.value.path().read_text(encoding="utf-8")
    step("citation downloaded")
    assert bibtex.lstrip().startswith("@") and "Statement by Chile on clearance" in bibtex
    assert errors == []
