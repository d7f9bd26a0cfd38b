"""OAI-PMH 2.0: the six verbs, oai_dc, sets, resumption tokens, dates and every error."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest

from archive.exports import oai

NS = "{http://www.openarchives.org/OAI/2.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
DATESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def _oai(client, query: str = "", *, post: dict | None = None) -> ET.Element:
    response = client.post("/oai", data=post) if post is not None else client.get(f"/oai?{query}")
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{NS}OAI-PMH"
    assert DATESTAMP.match(root.findtext(f"{NS}responseDate"))
    assert root.findtext(f"{NS}request") == "http://localhost/oai"
    return root


def _error(root: ET.Element) -> str:
    errors = root.findall(f"{NS}error")
    assert errors, ET.tostring(root)[:500]
    return errors[0].get("code")


def _identifier(document_id: int) -> str:
    return f"oai:localhost:documents/{document_id}"


def _ids(root: ET.Element, verb: str) -> list[str]:
    return [h.findtext(f"{NS}identifier") for h in root.iter(f"{NS}header")]


@pytest.fixture
def records(client, make_meeting, upload, auth_headers):
    """12MSP: a statement and a report; 11MSP: a statement and a withdrawn one."""
    make_meeting("12MSP", title="Twelfth Meeting of States Parties")
    make_meeting("11MSP", start_date="2023-09-10", end_date="2023-09-13")
    ids = {
        "chile": upload(
            title="Chile on clearance",
            delegation="CHL",
            symbol="CCM/MSP/2024/10",
            date="2024-09-11",
            agenda_item="7(c)",
        ).get_json()["id"],
        "report": upload(["Report."], doc_type="final_report", title="Final report").get_json()[
            "id"
        ],
        "france": upload(["France."], meeting="11MSP", delegation="FRA", title="France").get_json()[
            "id"
        ],
        "withdrawn": upload(["Gone."], meeting="11MSP", title="WITHDRAWN-SECRET").get_json()["id"],
    }
    client.patch(
        f"/api/v1/documents/{ids['withdrawn']}", json={"status": "withdrawn"}, headers=auth_headers
    )
    return ids


def test_identify(client, records):
    root = _oai(client, "verb=Identify")
    assert root.find(f"{NS}request").attrib == {"verb": "Identify"}
    identify = root.find(f"{NS}Identify")
    assert [child.tag.removeprefix(NS) for child in identify] == [
        "repositoryName",
        "baseURL",
        "protocolVersion",
        "adminEmail",
        "earliestDatestamp",
        "deletedRecord",
        "granularity",
    ]
    assert identify.findtext(f"{NS}baseURL") == "http://localhost/oai"
    assert identify.findtext(f"{NS}protocolVersion") == "2.0"
    assert "@" in identify.findtext(f"{NS}adminEmail")
    assert DATESTAMP.match(identify.findtext(f"{NS}earliestDatestamp"))
    assert identify.findtext(f"{NS}deletedRecord") == "transient"
    assert identify.findtext(f"{NS}granularity") == "YYYY-MM-DDThh:mm:ssZ"


def test_identify_describes_identifiers_under_a_domain(app, client, records):
    app.config["OAI_REPOSITORY_IDENTIFIER"] = "archive.example.org"
    root = _oai(client, "verb=Identify")
    scheme = "{http://www.openarchives.org/OAI/2.0/oai-identifier}"
    description = root.find(f"{NS}Identify/{NS}description/{scheme}oai-identifier")
    assert description.findtext(f"{scheme}repositoryIdentifier") == "archive.example.org"
    assert description.findtext(f"{scheme}sampleIdentifier") == (
        "oai:archive.example.org:documents/1"
    )
    root = _oai(client, "verb=ListIdentifiers&metadataPrefix=oai_dc")
    assert _ids(root, "ListIdentifiers")[0].startswith("oai:archive.example.org:documents/")


def test_list_metadata_formats(client, records):
    for query in (
        "verb=ListMetadataFormats",
        f"verb=ListMetadataFormats&identifier={_identifier(records['chile'])}",
    ):
        fmt = _oai(client, query).find(f"{NS}ListMetadataFormats/{NS}metadataFormat")
        assert fmt.findtext(f"{NS}metadataPrefix") == "oai_dc"
        assert fmt.findtext(f"{NS}schema") == "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
        assert (
            fmt.findtext(f"{NS}metadataNamespace") == "http://www.openarchives.org/OAI/2.0/oai_dc/"
        )


def test_list_sets(client, records, make_meeting):
    make_meeting("13MSP", published=False)
    sets = {
        s.findtext(f"{NS}setSpec"): s.findtext(f"{NS}setName")
        for s in _oai(client, "verb=ListSets").iter(f"{NS}set")
    }
    assert sets["meeting:12MSP"] == "12MSP: Twelfth Meeting of States Parties"
    assert "meeting:11MSP" in sets and "meeting:13MSP" not in sets
    assert sets["type:statement"] == "Statement"
    assert sets["type:final_report"] == "Final Report"
    assert {"meeting", "type"} <= set(sets)


def test_get_record_in_oai_dc(client, records):
    identifier = _identifier(records["chile"])
    root = _oai(client, f"verb=GetRecord&metadataPrefix=oai_dc&identifier={identifier}")
    assert root.find(f"{NS}request").attrib == {
        "verb": "GetRecord",
        "metadataPrefix": "oai_dc",
        "identifier": identifier,
    }
    record = root.find(f"{NS}GetRecord/{NS}record")
    header = record.find(f"{NS}header")
    assert header.findtext(f"{NS}identifier") == identifier
    assert DATESTAMP.match(header.findtext(f"{NS}datestamp"))
    assert [s.text for s in header.findall(f"{NS}setSpec")] == ["meeting:12MSP", "type:statement"]
    dc = record.find(f"{NS}metadata/{OAI_DC}dc")

    def values(name: str) -> list[str]:
        return [e.text for e in dc.findall(f"{DC}{name}")]

    assert values("title") == ["Chile on clearance"]
    assert values("creator") == ["Chile"]
    assert values("publisher") == ["CCM"]
    assert values("date") == ["2024-09-11"]
    assert "Statement" in values("type") and "Text" in values("type")
    assert values("identifier") == [
        f"http://localhost/documents/{records['chile']}",
        "CCM/MSP/2024/10",
    ]
    assert values("language") == ["en"]
    assert "http://localhost/meetings/12MSP" in values("relation")
    assert values("subject") == ["7(c)"]
    assert values("format") == ["application/pdf"]


def test_withdrawn_document_is_a_deleted_record(client, records):
    identifier = _identifier(records["withdrawn"])
    root = _oai(client, f"verb=GetRecord&metadataPrefix=oai_dc&identifier={identifier}")
    record = root.find(f"{NS}GetRecord/{NS}record")
    assert record.find(f"{NS}header").get("status") == "deleted"
    assert record.find(f"{NS}metadata") is None
    assert b"WITHDRAWN-SECRET" not in ET.tostring(root)
    listed = _oai(client, "verb=ListRecords&metadataPrefix=oai_dc")
    deleted = [h for h in listed.iter(f"{NS}header") if h.get("status") == "deleted"]
    assert [h.findtext(f"{NS}identifier") for h in deleted] == [identifier]
    assert b"WITHDRAWN-SECRET" not in ET.tostring(listed)


def test_list_identifiers_and_records(client, records):
    expected = [_identifier(records[k]) for k in ("chile", "report", "france", "withdrawn")]
    headers = _oai(client, "verb=ListIdentifiers&metadataPrefix=oai_dc")
    assert _ids(headers, "ListIdentifiers") == expected
    assert headers.find(f"{NS}ListIdentifiers/{NS}resumptionToken") is None  # one page
    listed = _oai(client, "verb=ListRecords&metadataPrefix=oai_dc")
    assert len(listed.findall(f"{NS}ListRecords/{NS}record")) == 4
    assert len(list(listed.iter(f"{OAI_DC}dc"))) == 3  # the withdrawn one has a header only


@pytest.mark.parametrize(
    ("set_spec", "keys"),
    [
        ("meeting:12MSP", ("chile", "report")),
        ("meeting:11MSP", ("france", "withdrawn")),
        ("type:final_report", ("report",)),
        ("type:statement", ("chile", "france", "withdrawn")),
        ("meeting", ("chile", "report", "france", "withdrawn")),
    ],
)
def test_selective_harvesting_by_set(client, records, set_spec, keys):
    root = _oai(client, f"verb=ListIdentifiers&metadataPrefix=oai_dc&set={set_spec}")
    assert _ids(root, "ListIdentifiers") == [_identifier(records[k]) for k in keys]


def test_from_and_until(client, records, app):
    from archive.documents.models import Document
    from archive.extensions import db

    with app.app_context():  # spread the datestamps over three days
        for key, day in (("chile", 1), ("report", 2), ("france", 3), ("withdrawn", 3)):
            db.session.get(Document, records[key]).updated_at = datetime(2024, 9, day, 12, 0, 0)
        db.session.commit()

    def harvested(query: str) -> list[str]:
        root = _oai(client, f"verb=ListIdentifiers&metadataPrefix=oai_dc&{query}")
        if root.find(f"{NS}error") is not None:
            return [_error(root)]
        return _ids(root, "ListIdentifiers")

    chile, report, france, withdrawn = (
        _identifier(records[k]) for k in ("chile", "report", "france", "withdrawn")
    )
    assert harvested("from=2024-09-02") == [report, france, withdrawn]
    assert harvested("until=2024-09-02") == [chile, report]
    assert harvested("from=2024-09-02&until=2024-09-02") == [report]
    assert harvested("from=2024-09-02T12:00:00Z&until=2024-09-02T12:00:00Z") == [report]
    assert harvested("from=2024-09-02T12:00:01Z") == [france, withdrawn]
    assert harvested("until=2024-09-01T11:59:59Z") == ["noRecordsMatch"]
    assert harvested("from=2030-01-01") == ["noRecordsMatch"]
    root = _oai(client, "verb=GetRecord&metadataPrefix=oai_dc&identifier=" + report)
    assert root.findtext(f".//{NS}datestamp") == "2024-09-02T12:00:00Z"
    assert _oai(client, "verb=Identify").findtext(f".//{NS}earliestDatestamp") == (
        "2024-09-01T12:00:00Z"
    )


def _token(root: ET.Element, verb: str) -> ET.Element | None:
    return root.find(f"{NS}{verb}/{NS}resumptionToken")


def test_resumption_tokens_page_through_the_whole_list(app, client, make_meeting, add_documents):
    app.config["OAI_PAGE_SIZE"] = 2
    make_meeting("12MSP")
    ids = add_documents("12MSP", 5)
    for verb in ("ListIdentifiers", "ListRecords"):
        seen, cursors = [], []
        root = _oai(client, f"verb={verb}&metadataPrefix=oai_dc&set=meeting:12MSP")
        while True:
            seen += _ids(root, verb)
            token = _token(root, verb)
            assert token.get("completeListSize") == "5"
            cursors.append(token.get("cursor"))
            if not token.text:
                break
            assert DATESTAMP.match(token.get("expirationDate"))
            root = _oai(client, f"verb={verb}&resumptionToken={token.text}")
            assert root.find(f"{NS}request").attrib == {
                "verb": verb,
                "resumptionToken": token.text,
            }
        assert seen == [_identifier(i) for i in ids]
        assert cursors == ["0", "2", "4"]


def test_resumption_by_post(app, client, make_meeting, add_documents):
    app.config["OAI_PAGE_SIZE"] = 2
    make_meeting("12MSP")
    add_documents("12MSP", 3)
    first = _oai(client, post={"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    token = _token(first, "ListIdentifiers").text
    second = _oai(client, post={"verb": "ListIdentifiers", "resumptionToken": token})
    assert len(_ids(second, "ListIdentifiers")) == 1
    assert _token(second, "ListIdentifiers").text is None


def test_post_needs_no_csrf_token(client, records):
    root = _oai(client, post={"verb": "Identify"})
    assert root.find(f"{NS}Identify") is not None


@pytest.mark.parametrize(
    "query",
    ["", "verb=Nope", "verb=Identify&verb=Identify", "verb=identify", "metadataPrefix=oai_dc"],
)
def test_bad_verb(client, query):
    root = _oai(client, query)
    assert _error(root) == "badVerb"
    assert root.find(f"{NS}request").attrib == {}


@pytest.mark.parametrize(
    "query",
    [
        "verb=Identify&extra=1",
        "verb=ListRecords",
        "verb=ListIdentifiers&metadataPrefix=oai_dc&metadataPrefix=oai_dc",
        "verb=ListRecords&metadataPrefix=oai_dc&from=yesterday",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2024-09-10T10:00Z",
        "verb=ListRecords&metadataPrefix=oai_dc&until=2024-02-30",
        "verb=ListRecords&metadataPrefix=oai_dc&until=9999-12-31",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2024-09-10&until=2024-09-11T00:00:00Z",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2024-09-11&until=2024-09-10",
        "verb=ListRecords&metadataPrefix=oai_dc&resumptionToken=abc",
        "verb=GetRecord&metadataPrefix=oai_dc",
        "verb=GetRecord&identifier=oai:localhost:documents/1",
        "verb=ListSets&set=meeting",
        "verb=ListMetadataFormats&metadataPrefix=oai_dc",
    ],
)
def test_bad_argument(client, records, query):
    root = _oai(client, query)
    assert _error(root) == "badArgument"
    assert root.find(f"{NS}request").attrib == {}


@pytest.mark.parametrize(
    "query",
    [
        "verb=ListRecords&metadataPrefix=marc21",
        "verb=ListIdentifiers&metadataPrefix=oai_datacite",
        "verb=GetRecord&metadataPrefix=mods&identifier=oai:localhost:documents/1",
    ],
)
def test_cannot_disseminate_format(client, records, query):
    root = _oai(client, query)
    assert _error(root) == "cannotDisseminateFormat"
    assert root.find(f"{NS}request").get("verb")  # the request was understood


def test_id_does_not_exist(client, hidden_and_public):
    unknown = [
        "oai:localhost:documents/99999",
        "oai:elsewhere.org:documents/1",
        "documents/1",
        "oai:localhost:documents/abc",
    ]
    hidden = [_identifier(hidden_and_public[k]) for k in ("draft", "trashed", "hidden_meeting")]
    for identifier in unknown + hidden:
        root = _oai(client, f"verb=GetRecord&metadataPrefix=oai_dc&identifier={identifier}")
        assert _error(root) == "idDoesNotExist", identifier
        root = _oai(client, f"verb=ListMetadataFormats&identifier={identifier}")
        assert _error(root) == "idDoesNotExist", identifier


@pytest.mark.parametrize(
    "query",
    [
        "verb=ListRecords&metadataPrefix=oai_dc&set=meeting:NOPE",
        "verb=ListIdentifiers&metadataPrefix=oai_dc&set=type:memo",
        "verb=ListIdentifiers&metadataPrefix=oai_dc&set=nothing",
        "verb=ListRecords&metadataPrefix=oai_dc&from=2100-01-01",
    ],
)
def test_no_records_match(client, records, query):
    assert _error(_oai(client, query)) == "noRecordsMatch"


def test_no_records_in_an_empty_repository(client):
    assert _error(_oai(client, "verb=ListRecords&metadataPrefix=oai_dc")) == "noRecordsMatch"


def test_bad_resumption_tokens(app, client, make_meeting, add_documents, monkeypatch):
    app.config["OAI_PAGE_SIZE"] = 1
    make_meeting("12MSP")
    add_documents("12MSP", 3)
    token = _token(_oai(client, "verb=ListIdentifiers&metadataPrefix=oai_dc"), "ListIdentifiers")
    tampered = token.text[:-3] + ("aaa" if not token.text.endswith("aaa") else "bbb")
    for query in (
        "verb=ListIdentifiers&resumptionToken=not-a-token",
        f"verb=ListIdentifiers&resumptionToken={tampered}",
        f"verb=ListRecords&resumptionToken={token.text}",  # a token of another verb
        f"verb=ListSets&resumptionToken={token.text}",
    ):
        root = _oai(client, query)
        assert _error(root) == "badResumptionToken", query
        assert root.find(f"{NS}request").get("verb")
    monkeypatch.setattr(oai, "TOKEN_LIFETIME", timedelta(seconds=-1))  # every token expired
    root = _oai(client, f"verb=ListIdentifiers&resumptionToken={token.text}")
    assert _error(root) == "badResumptionToken"
    assert "expired" in root.findtext(f"{NS}error")


def test_token_from_another_secret_is_refused(app, client, make_meeting, add_documents):
    app.config["OAI_PAGE_SIZE"] = 1
    make_meeting("12MSP")
    add_documents("12MSP", 2)
    token = _token(_oai(client, "verb=ListIdentifiers&metadataPrefix=oai_dc"), "ListIdentifiers")
    app.config["SECRET_KEY"] = "another-secret"
    root = _oai(client, f"verb=ListIdentifiers&resumptionToken={token.text}")
    assert _error(root) == "badResumptionToken"


def test_oai_holds_nothing_hidden(client, hidden_and_public):
    root = _oai(client, "verb=ListRecords&metadataPrefix=oai_dc")
    text = ET.tostring(root).decode()
    for secret in ("DRAFT-SECRET", "TRASHED-SECRET", "WITHDRAWN-SECRET", "HIDDEN-MEETING-SECRET"):
        assert secret not in text
    headers = {h.findtext(f"{NS}identifier"): h.get("status") for h in root.iter(f"{NS}header")}
    assert headers == {
        _identifier(hidden_and_public["public"]): None,
        _identifier(hidden_and_public["withdrawn"]): "deleted",
    }
    sets = [s.findtext(f"{NS}setSpec") for s in _oai(client, "verb=ListSets").iter(f"{NS}set")]
    assert "meeting:13MSP" not in sets


def test_response_date_is_now(client):
    root = _oai(client, "verb=Identify")
    stamp = datetime.strptime(root.findtext(f"{NS}responseDate"), "%Y-%m-%dT%H:%M:%SZ")
    assert abs(stamp.replace(tzinfo=UTC) - datetime.now(UTC)) < timedelta(minutes=1)
