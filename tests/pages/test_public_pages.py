"""Public pages: home, meeting, document, delegation; drafts invisible; escaping."""

from __future__ import annotations


def test_home_lists_published_meetings(client, make_meeting):
    make_meeting("12MSP", title="Twelfth Meeting of States Parties")
    make_meeting("13MSP", title="Hidden future meeting", published=False)
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Twelfth Meeting of States Parties" in html
    assert "10–13 September 2024" in html
    assert "Hidden future meeting" not in html


def test_meeting_page_lists_published_documents_only(client, make_meeting, upload):
    make_meeting("12MSP")
    upload(title="Statement by Chile", delegation="CHL")
    upload(title="Secret draft", status="draft")
    html = client.get("/meetings/12MSP").get_data(as_text=True)
    assert "Statement by Chile" in html
    assert "Secret draft" not in html
    assert client.get("/meetings/NOPE").status_code == 404


def test_document_page_escapes_metadata(client, make_meeting, upload):
    make_meeting("12MSP")
    doc = upload(title="<script>alert(1)</script> statement").get_json()
    html = client.get(f"/documents/{doc['id']}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; statement" in html


def test_delegation_page_shows_its_documents(client, make_meeting, upload):
    make_meeting("12MSP")
    upload(title="Chile on clearance", delegation="CHL")
    upload(title="France on victims", delegation="FRA")
    html = client.get("/delegations/CHL").get_data(as_text=True)
    assert "Chile on clearance" in html and "France on victims" not in html
    assert "Chili" in html  # the name in French, from ISO 3166 translations
    assert client.get("/delegations/ZZZ").status_code == 404


def test_unknown_page_is_a_readable_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)
