"""Citations in BibTeX, RIS and CSL-JSON, and the Cite box on the document page."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest


@pytest.fixture
def statement(make_meeting, upload):
    make_meeting("12MSP", title="Twelfth Meeting of States Parties")
    return upload(
        title="Statement on clearance deadlines",
        delegation="CHL",
        symbol="CCM/MSP/2024/10",
        date="2024-09-11",
    ).get_json()["id"]


def _cite(client, document_id: int, fmt: str):
    response = client.get(f"/documents/{document_id}/cite?format={fmt}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_bibtex(client, statement):
    response = _cite(client, statement, "bibtex")
    assert response.mimetype == "application/x-bibtex"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert f"12MSP-{statement}.bib" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith(f"@misc{{12MSP-{statement},")
    fields = dict(re.findall(r"^  (\w+) = \{(.*)\},?$", text, re.M))
    assert fields["author"] == "{Chile}"
    assert fields["title"] == "{Statement on clearance deadlines}"
    assert fields["number"] == "CCM/MSP/2024/10"
    assert fields["eventtitle"] == "Twelfth Meeting of States Parties"
    assert fields["date"] == "2024-09-11" and fields["year"] == "2024"
    assert fields["url"] == f"http://localhost/documents/{statement}"
    assert fields["urldate"] == _today()
    assert text.count("{") == text.count("}")


def test_bibtex_escapes_tex_specials(client, make_meeting, upload):
    make_meeting("12MSP")
    doc = upload(title="100% of {mines} & more_here #1 ~ok^ \\end").get_json()["id"]
    text = _cite(client, doc, "bibtex").get_data(as_text=True)
    title = re.search(r"^  title = \{\{(.*)\}\},$", text, re.M)[1]
    assert title == (
        r"100\% of \{mines\} \& more\_here \#1 \textasciitilde{}ok\textasciicircum{} "
        r"\textbackslash{}end"
    )
    unescaped = re.sub(r"\\[{}]", "", text)  # braces balance once escaped ones are set aside
    assert unescaped.count("{") == unescaped.count("}")


def test_ris(client, statement):
    response = _cite(client, statement, "ris")
    assert response.mimetype == "application/x-research-info-systems"
    assert f"12MSP-{statement}.ris" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).split("\r\n")
    assert lines[0] == "TY  - GEN"
    assert lines[-2] == "ER  - " and lines[-1] == ""
    tags = {}
    for line in lines[:-1]:
        assert re.match(r"^[A-Z][A-Z0-9]  - ", line), line
        tags.setdefault(line[:2], line[6:])
    assert tags["TI"] == "Statement on clearance deadlines"
    assert tags["AU"] == "Chile"
    assert tags["T2"] == "Twelfth Meeting of States Parties"
    assert tags["M1"] == "CCM/MSP/2024/10"
    assert tags["DA"] == "2024/09/11"
    assert tags["UR"] == f"http://localhost/documents/{statement}"
    assert tags["Y2"] == _today().replace("-", "/")


def test_csl_json(client, statement):
    response = _cite(client, statement, "csl-json")
    assert response.mimetype == "application/vnd.citationstyles.csl+json"
    assert f"12MSP-{statement}.json" in response.headers["Content-Disposition"]
    items = json.loads(response.get_data(as_text=True))
    assert isinstance(items, list) and len(items) == 1
    item = items[0]
    for required in ("id", "type", "title", "URL", "issued"):
        assert item[required], required
    assert item["type"] == "speech"
    assert item["title"] == "Statement on clearance deadlines"
    assert item["URL"] == f"http://localhost/documents/{statement}"
    assert item["issued"] == {"date-parts": [[2024, 9, 11]]}
    assert item["author"] == [{"literal": "Chile"}]
    assert item["number"] == "CCM/MSP/2024/10"
    assert item["event-title"] == "Twelfth Meeting of States Parties"
    today = datetime.now(UTC).date()
    assert item["accessed"] == {"date-parts": [[today.year, today.month, today.day]]}


def test_report_without_a_delegation_is_by_the_treaty(client, make_meeting, upload):
    make_meeting("12MSP")
    doc = upload(doc_type="final_report", title="Final report").get_json()["id"]
    item = json.loads(_cite(client, doc, "csl-json").data)[0]
    assert item["type"] == "report"
    assert item["author"] == [{"literal": "CCM"}]
    assert item["issued"] == {"date-parts": [[2024, 9, 10]]}  # the meeting's first day
    assert _cite(client, doc, "bibtex").get_data(as_text=True).startswith("@report{")
    assert _cite(client, doc, "ris").get_data(as_text=True).startswith("TY  - RPRT")


@pytest.mark.parametrize("query", ["", "?format=", "?format=endnote", "?format=BIBTEX"])
def test_bad_format_is_a_400(client, statement, query):
    assert client.get(f"/documents/{statement}/cite{query}").status_code == 400


def test_hidden_documents_cannot_be_cited(client, hidden_and_public, auth_headers):
    for key in ("draft", "trashed", "withdrawn", "hidden_meeting"):
        url = f"/documents/{hidden_and_public[key]}/cite?format=bibtex"
        assert client.get(url).status_code == 404, key
        assert client.get(url, headers=auth_headers).status_code == 404, key
    assert client.get("/documents/999/cite?format=ris").status_code == 404


def test_document_page_has_a_cite_box(client, statement):
    html = client.get(f"/documents/{statement}").get_data(as_text=True)
    box = html[html.index('<section class="cite"') :]
    box = box[: box.index("</section>")]
    assert "CCM/MSP/2024/10" in box
    assert "Twelfth Meeting of States Parties" in box
    assert "Chile" in box
    assert "11 September 2024" in box
    assert f"http://localhost/documents/{statement}" in box
    assert "accessed" in box
    for fmt in ("bibtex", "ris", "csl-json"):
        assert f"/documents/{statement}/cite?format={fmt}" in box


def test_cite_box_escapes_the_title(client, make_meeting, upload):
    make_meeting("12MSP")
    doc = upload(title="<b>bold</b> statement").get_json()["id"]
    html = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt; statement" in html


def test_withdrawn_document_page_has_no_cite_box(client, hidden_and_public):
    html = client.get(f"/documents/{hidden_and_public['withdrawn']}").get_data(as_text=True)
    assert "withdrawn" in html
    assert 'class="cite"' not in html
