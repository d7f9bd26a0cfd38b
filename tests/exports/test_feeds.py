"""The Atom feed: valid Atom 1.0, newest first, filtered like search, linked from pages."""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

import pytest

from tests.exports.conftest import SECRET_TITLES

A = "{http://www.w3.org/2005/Atom}"


def _feed(client, query: str = "") -> ET.Element:
    response = client.get(f"/feeds/documents.atom{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{A}feed"
    return root


def _titles(feed: ET.Element) -> list[str]:
    return [entry.findtext(f"{A}title") for entry in feed.findall(f"{A}entry")]


@pytest.fixture
def documents(make_meeting, upload):
    make_meeting("12MSP")
    make_meeting("11MSP", start_date="2023-09-10", end_date="2023-09-13")
    upload(["Clearance deadlines."], title="Chile 12", delegation="CHL", symbol="CCM/MSP/2024/10")
    upload(["Victim assistance."], title="France 12", delegation="FRA", language="fr")
    upload(["Clearance in 2023."], meeting="11MSP", title="Chile 11", delegation="CHL")
    upload(["The report."], doc_type="final_report", title="Report 12")


def test_feed_has_what_atom_requires(client, documents):
    feed = _feed(client)
    assert feed.findtext(f"{A}id") == "http://localhost/feeds/documents.atom"
    assert feed.findtext(f"{A}title")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", feed.findtext(f"{A}updated"))
    assert feed.findtext(f"{A}author/{A}name") == "Meeting Archive"
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{A}link")}
    assert links["self"] == "http://localhost/feeds/documents.atom"
    assert links["alternate"] == "http://localhost/search"
    entries = feed.findall(f"{A}entry")
    assert len(entries) == 4
    for entry in entries:
        for required in ("id", "title", "updated"):
            assert entry.findtext(f"{A}{required}"), required
        alternate = entry.find(f"{A}link[@rel='alternate']")
        assert alternate.get("href") == entry.findtext(f"{A}id")
        enclosure = entry.find(f"{A}link[@rel='enclosure']")
        assert enclosure.get("type") == "application/pdf" and int(enclosure.get("length")) > 0


def test_newest_first(client, documents):
    assert _titles(_feed(client)) == ["Report 12", "Chile 11", "France 12", "Chile 12"]


def test_entry_carries_the_documents_facts(client, documents):
    entry = next(
        e for e in _feed(client).findall(f"{A}entry") if e.findtext(f"{A}title") == "Chile 12"
    )
    assert entry.findtext(f"{A}author/{A}name") == "Chile"
    assert entry.find(f"{A}category").get("term") == "statement"
    assert "CCM/MSP/2024/10" in entry.findtext(f"{A}summary")
    assert entry.find(f"{A}link[@rel='enclosure']").get("hreflang") == "en"


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("?meeting=12MSP", {"Chile 12", "France 12", "Report 12"}),
        ("?doc_type=final_report", {"Report 12"}),
        ("?language=fr", {"France 12"}),
        ("?delegation=CHL", {"Chile 12", "Chile 11"}),
        ("?meeting=11MSP&delegation=CHL", {"Chile 11"}),
        ("?q=clearance", {"Chile 12", "Chile 11"}),
        ("?q=clearance&meeting=12MSP", {"Chile 12"}),
        ("?q=nothing-like-this", set()),
    ],
)
def test_filters_like_search(client, documents, run_jobs, query, titles):
    if "q=" in query:
        run_jobs()  # words are searched for in the index
    feed = _feed(client, query)
    assert set(_titles(feed)) == titles
    self_link = feed.find(f"{A}link[@rel='self']").get("href")
    assert self_link.startswith("http://localhost/feeds/documents.atom?")


def test_bad_filters_are_a_400(client):
    assert client.get("/feeds/documents.atom?doc_type=memo").status_code == 400
    assert client.get("/feeds/documents.atom?language=xx1").status_code == 400


def test_text_is_escaped_not_markup(client, make_meeting, upload):
    make_meeting("12MSP")
    upload(title='<script>alert("x")</script> & “quotes” \x0b here', delegation="CHL")
    response = client.get("/feeds/documents.atom")
    assert b"<script>" not in response.data
    assert _titles(ET.fromstring(response.data)) == ['<script>alert("x")</script> & “quotes”  here']


def test_empty_feed_is_still_valid(client):
    feed = _feed(client)
    assert feed.findall(f"{A}entry") == []
    assert feed.findtext(f"{A}updated")


def test_feed_holds_nothing_hidden(client, hidden_and_public, run_jobs):
    run_jobs()
    for query in ("", "?meeting=12MSP", "?meeting=13MSP", "?q=text", "?delegation=MEX"):
        text = client.get(f"/feeds/documents.atom{query}").get_data(as_text=True)
        assert not any(secret in text for secret in SECRET_TITLES), query
    assert _titles(_feed(client)) == ["Chile on clearance deadlines"]


def _alternate_links(html: str) -> list[str]:
    return re.findall(
        r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', html
    )


def test_pages_link_to_their_feeds(client, documents, run_jobs):
    run_jobs()
    meeting = client.get("/meetings/12MSP").get_data(as_text=True)
    assert _alternate_links(meeting) == ["/feeds/documents.atom?meeting=12MSP"]
    delegation = client.get("/delegations/CHL").get_data(as_text=True)
    assert _alternate_links(delegation) == ["/feeds/documents.atom?delegation=CHL"]
    search = client.get("/search?q=clearance&language=en&page=2").get_data(as_text=True)
    [link] = _alternate_links(search)
    assert link.startswith("/feeds/documents.atom?") and "page" not in link
    assert "q=clearance" in link and "language=en" in link
    assert _alternate_links(client.get("/search").get_data(as_text=True)) == [
        "/feeds/documents.atom"
    ]
