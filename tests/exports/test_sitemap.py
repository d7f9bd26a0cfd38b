"""The sitemap index and its pages, and robots.txt pointing to it."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from tests.exports.conftest import SECRET_TITLES

S = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def _xml(client, url: str) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/xml"
    return ET.fromstring(response.data)


def _all_urls(client) -> list[str]:
    index = _xml(client, "/sitemap.xml")
    assert index.tag == f"{S}sitemapindex"
    urls = []
    for loc in index.iter(f"{S}loc"):
        page = _xml(client, loc.text.removeprefix("http://localhost"))
        assert page.tag == f"{S}urlset"
        urls += [u.findtext(f"{S}loc") for u in page.findall(f"{S}url")]
    return urls


def test_sitemap_lists_every_public_page_once(client, hidden_and_public, make_meeting, upload):
    upload(["More."], title="Another", delegation="CHL")
    urls = _all_urls(client)
    assert len(urls) == len(set(urls))
    public = hidden_and_public["public"]
    paths = {u.removeprefix("http://localhost") for u in urls}
    assert paths == {
        "/",
        "/meetings/12MSP",
        "/delegations/CHL",
        f"/documents/{public}",
        f"/documents/{public + 5}",  # "Another", uploaded after the five of the fixture
    }


def test_hidden_pages_are_not_in_the_sitemap(client, hidden_and_public):
    text = " ".join(_all_urls(client))
    for key in ("draft", "trashed", "withdrawn", "hidden_meeting"):
        assert f"/documents/{hidden_and_public[key]}" not in text, key
    for hidden in ("/meetings/13MSP", "/delegations/PER", "/delegations/FRA", "/delegations/MEX"):
        assert hidden not in text
    assert "/delegations/NOR" not in text  # its only document is of an unpublished meeting
    assert not any(secret in text for secret in SECRET_TITLES)


def test_sitemap_is_split_into_pages(app, client, make_meeting, add_documents):
    app.config["SITEMAP_PAGE_SIZE"] = 4
    make_meeting("12MSP")
    make_meeting("11MSP")
    ids = add_documents("12MSP", 9) + add_documents("11MSP", 1, delegation="CHL")
    index = _xml(client, "/sitemap.xml")
    pages = [loc.text for loc in index.iter(f"{S}loc")]
    # home, 2 meetings, 1 delegation, 10 documents: 14 URLs in pages of 4
    assert pages == [f"http://localhost/sitemaps/{n}.xml" for n in (1, 2, 3, 4)]
    urls = _all_urls(client)
    assert urls[:4] == [
        "http://localhost/",
        "http://localhost/meetings/11MSP",
        "http://localhost/meetings/12MSP",
        "http://localhost/delegations/CHL",
    ]
    assert urls[4:] == [f"http://localhost/documents/{i}" for i in sorted(ids)]
    assert len(_xml(client, "/sitemaps/4.xml").findall(f"{S}url")) == 2
    assert client.get("/sitemaps/5.xml").status_code == 404
    assert client.get("/sitemaps/0.xml").status_code == 404


def test_documents_carry_their_last_change(client, make_meeting, upload):
    make_meeting("12MSP")
    upload()
    page = _xml(client, "/sitemaps/1.xml")
    lastmods = [u.findtext(f"{S}lastmod") for u in page.findall(f"{S}url")]
    assert lastmods[:2] == [None, None] and lastmods[-1].endswith("Z")


def test_empty_archive_has_a_sitemap_with_the_home_page(client):
    assert _all_urls(client) == ["http://localhost/"]


def test_robots_txt_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    assert "Disallow: /staff/" in lines
