"""Search end to end: upload real PDFs, run the worker, query the API and the page."""

from __future__ import annotations

import pytest

#: (language, pages, query, expected page): a stemmed or normalised query finds the right page
SIX_LANGUAGES = [
    (
        "en",
        ["Opening of the meeting.", "Delegates discussed clearance deadlines at length."],
        "deadline",
        2,
    ),
    ("en", ["States reported on stockpiles destroyed.", "Nothing else."], "stockpile destroy", 1),
    (
        "fr",
        ["Ouverture de la séance.", "Les délégués ont salué les progrès de la dépollution."],
        "delegues",
        2,
    ),
    ("fr", ["Les États parties ont adopté le rapport.", "Fin."], "Etats", 1),
    (
        "es",
        ["Apertura.", "Otros asuntos.", "La asistencia a las víctimas sigue siendo prioritaria."],
        "victima",
        3,
    ),
    ("es", ["Se destruyeron las existencias de municiones en racimo.", "Fin."], "existencia", 1),
    (
        "ru",
        ["Открытие совещания.", "Делегация занимается разминированием загрязнённых территорий."],
        "разминирование",
        2,
    ),
    ("ru", ["Помощь жертвам кассетных боеприпасов.", "Конец."], "жертва", 1),
    ("ar", ["افتتاح الاجتماع.", "تُقَدَّمُ المُسَاعَدَةُ إلى الضَّحَايَا وأسرهم."], "الضحايا", 2),
    ("ar", ["إِزالة الألغام أولوية.", "نهاية."], "ازالة", 1),
    ("zh", ["会议开幕。", "各国代表强调受害者援助的重要性。"], "受害者", 2),
    ("zh", ["缔约国报告了库存销毁的进展。", "结束。"], "库存销毁", 1),
]


@pytest.fixture
def indexed(make_meeting, upload, run_jobs):
    """One published statement per case above, extracted and indexed by the worker."""
    make_meeting("12MSP")
    ids = []
    for i, (language, pages, _query, _page) in enumerate(SIX_LANGUAGES):
        response = upload(pages, language=language, title=f"Case {i}", date=f"2024-09-{10 + i % 4}")
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    assert run_jobs() >= len(ids)
    return ids


@pytest.mark.parametrize("case", range(len(SIX_LANGUAGES)))
def test_query_finds_the_right_document_and_page(client, indexed, case):
    language, pages, query, expected_page = SIX_LANGUAGES[case]
    body = client.get("/api/v1/search", query_string={"q": query, "language": language}).get_json()
    assert indexed[case] in [item["document_id"] for item in body["items"]], (query, body)
    item = next(i for i in body["items"] if i["document_id"] == indexed[case])
    assert item["language"] == language
    if expected_page:
        assert item["hits"][0]["page"] == expected_page
        assert "<mark>" in item["hits"][0]["snippet"]


def test_every_file_is_indexed_with_its_page_count(client, indexed):
    for document_id, (_l, pages, _q, _p) in zip(indexed, SIX_LANGUAGES, strict=True):
        (file,) = client.get(f"/api/v1/documents/{document_id}").get_json()["files"]
        assert file["text_status"] == "indexed", file
        assert file["page_count"] == len(pages)


def test_results_carry_the_contract_fields(client, indexed):
    body = client.get("/api/v1/search?q=deadlines").get_json()
    assert set(body) == {"total", "page", "per_page", "items", "facets"}
    item = body["items"][0]
    assert set(item) == {
        "document_id",
        "title",
        "meeting",
        "doc_type",
        "language",
        "delegation",
        "symbol",
        "date",
        "score",
        "hits",
    }
    assert set(body["facets"]) == {"meeting", "doc_type", "language", "delegation"}


def test_snippets_escape_markup_from_the_document(client, make_meeting, upload, run_jobs):
    make_meeting("12MSP")
    upload(["The delegate wrote <script>alert('x')</script> about clearance."])
    run_jobs()
    body = client.get("/api/v1/search?q=clearance").get_json()
    snippet = body["items"][0]["hits"][0]["snippet"]
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_facet_counts_equal_matching_documents(client, make_meeting, upload, run_jobs):
    make_meeting("12MSP")
    make_meeting("11MSP", start_date="2023-09-11", end_date="2023-09-14")
    upload(["Victim assistance in Chile."], delegation="CHL", title="A")
    upload(["Victim assistance in Lebanon."], delegation="LBN", meeting="11MSP", title="B")
    upload(
        ["Victim assistance, again."], delegation="CHL", meeting="11MSP", doc_type="working_paper"
    )
    upload(["Nothing about it."], delegation="CHL", title="D")
    run_jobs()
    body = client.get("/api/v1/search?q=victim").get_json()
    assert body["total"] == 3
    assert body["facets"]["meeting"] == {"12MSP": 1, "11MSP": 2}
    assert body["facets"]["delegation"] == {"CHL": 2, "LBN": 1}
    assert body["facets"]["doc_type"] == {"statement": 2, "working_paper": 1}
    filtered = client.get("/api/v1/search?q=victim&meeting=11MSP&delegation=chl").get_json()
    assert filtered["total"] == 1


def test_pages_of_results_do_not_overlap(client, make_meeting, upload, run_jobs):
    make_meeting("12MSP")
    for i in range(7):
        upload([f"Statement number {i} on universalization."], title=f"S{i}")
    run_jobs()
    seen = []
    for page in (1, 2, 3):
        body = client.get(f"/api/v1/search?q=universalization&per_page=3&page={page}").get_json()
        assert body["total"] == 7
        seen += [item["document_id"] for item in body["items"]]
    assert len(seen) == len(set(seen)) == 7


def test_drafts_are_found_only_by_staff(client, make_meeting, upload, run_jobs, auth_headers):
    make_meeting("12MSP")
    upload(["Draft text on cooperation."], status="draft")
    run_jobs()
    assert client.get("/api/v1/search?q=cooperation").get_json()["total"] == 0
    staff = client.get("/api/v1/search?q=cooperation", headers=auth_headers).get_json()
    assert staff["total"] == 1


def test_publishing_makes_a_draft_searchable(client, make_meeting, upload, run_jobs, auth_headers):
    make_meeting("12MSP")
    doc = upload(["Transparency reports were submitted."], status="draft").get_json()
    run_jobs()
    client.patch(
        f"/api/v1/documents/{doc['id']}", json={"status": "published"}, headers=auth_headers
    )
    run_jobs()
    assert client.get("/api/v1/search?q=transparency").get_json()["total"] == 1
    client.delete(f"/api/v1/documents/{doc['id']}", headers=auth_headers)
    run_jobs()
    assert (
        client.get("/api/v1/search?q=transparency", headers=auth_headers).get_json()["total"] == 0
    )


def test_empty_query_with_filters_lists_documents_by_date(client, make_meeting, upload, run_jobs):
    make_meeting("12MSP")
    upload(["First."], title="Older", date="2024-09-10")
    upload(["Second."], title="Newer", date="2024-09-12")
    run_jobs()
    body = client.get("/api/v1/search?meeting=12MSP").get_json()
    assert [i["title"] for i in body["items"]] == ["Newer", "Older"]


def test_symbol_is_found_as_typed(client, make_meeting, upload, run_jobs):
    make_meeting("12MSP")
    upload(["Final report text."], symbol="CCM/MSP/2024/10", doc_type="final_report")
    upload(["Another."], symbol="CCM/MSP/2024/11")
    run_jobs()
    body = client.get("/api/v1/search", query_string={"q": "CCM/MSP/2024/10"}).get_json()
    assert [i["symbol"] for i in body["items"]] == ["CCM/MSP/2024/10"]


@pytest.mark.parametrize(
    "query",
    [
        "*ance",
        "*a*",
        "x" * 10_000,
        '"unbalanced quote',
        "((clearance",
        "clearance)) OR [",
        "date:[0000 TO 9999]",
        "NOT",
        "AND OR NOT",
    ],
)
def test_hostile_queries_answer_or_refuse_cleanly(client, make_meeting, upload, run_jobs, query):
    make_meeting("12MSP")
    upload(["Clearance of remnants."])
    run_jobs()
    response = client.get("/api/v1/search", query_string={"q": query})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert response.get_json()["error"]["message"]
    page = client.get("/search", query_string={"q": query})
    assert page.status_code in (200, 400)


def test_bad_filters_are_400s(client):
    for params in (
        {"doc_type": "speech"},
        {"language": "xx"},
        {"date_from": "soon"},
        {"page": "-1"},
    ):
        response = client.get("/api/v1/search", query_string=params | {"q": "x"})
        assert response.status_code == 400, params


def test_search_page_shows_results_facets_and_page_links(client, make_meeting, upload, run_jobs):
    make_meeting("12MSP")
    doc = upload(["Intro.", "Clearance deadlines were discussed."], delegation="CHL").get_json()
    run_jobs()
    html = client.get("/search?q=deadlines").get_data(as_text=True)
    assert f"/documents/{doc['id']}/download?language=en#page=2" in html
    assert "<mark>deadlines</mark>" in html
    assert "CHL" in html  # facet
    assert client.get("/search").status_code == 200
