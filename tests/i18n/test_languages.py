"""The interface in six languages: choosing the language, the switcher, translated pages,
document content kept in its own language, and complete catalogues."""

from __future__ import annotations

import html as html_lib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from werkzeug import exceptions

from archive import errors
from archive.i18n import LANGUAGES, TRANSLATIONS_DIR

PROJECT = Path(__file__).resolve().parents[2]


class Elements(HTMLParser):
    """Every start tag's attributes, and the text inside chosen elements."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = Elements()
    parser.feed(html)
    return parser.tags


def html_tag(html: str) -> str:
    return re.search(r"<html[^>]*>", html).group(0)


@pytest.fixture
def archive_with_a_document(make_meeting, upload, run_jobs):
    """A meeting, an English statement and a French-only one, indexed for search."""
    make_meeting("12MSP", title="Twelfth Meeting of States Parties")
    english = upload(title="Statement by Chile", delegation="CHL").get_json()
    french = upload(
        ["Assistance aux victimes."],
        title="Déclaration de la France",
        language="fr",
        delegation="FRA",
    ).get_json()
    run_jobs()
    return {"en": english["id"], "fr": french["id"]}


def pages(ids: dict) -> dict[str, str]:
    return {
        "home": "/",
        "meeting": "/meetings/12MSP",
        "document": f"/documents/{ids['en']}",
        "search": "/search?q=victim",
        "login": "/login",
    }


ARABIC = {
    "home": ["أرشيف الاجتماعات", "<h2>الاجتماعات</h2>", "انتقل إلى المحتوى"],
    "meeting": ["البيانات", "البحث في وثائق هذا الاجتماع", "العنوان"],
    "document": ["الملفات والنسخ", "نوع", "الوفد"],
    "search": ["<h1>بحث</h1>", "الترتيب حسب", "تضييق النتائج"],
    "login": ["دخول الموظفين", "عنوان البريد الإلكتروني", "كلمة المرور"],
}


def test_arabic_pages_are_right_to_left_and_in_arabic(client, archive_with_a_document):
    for name, path in pages(archive_with_a_document).items():
        joiner = "&" if "?" in path else "?"
        response = client.get(f"{path}{joiner}lang=ar")
        assert response.status_code == 200, name
        html = response.get_data(as_text=True)
        assert html_tag(html) == '<html lang="ar" dir="rtl">', name
        for text in ARABIC[name]:
            assert text in html, (name, text)
        assert response.headers["Content-Language"] == "ar"


def test_plural_forms_follow_each_language(app):
    from flask_babel import ngettext

    expected = {
        "ar": {1: "وثيقة واحدة", 2: "وثيقتان", 3: "3 وثائق", 11: "11 وثيقة", 100: "100 وثيقة"},
        "ru": {1: "1 документ", 3: "3 документа", 5: "5 документов", 21: "21 документ"},
        "fr": {0: "0 document", 1: "1 document", 2: "2 documents"},
        "zh": {1: "1 份文件", 7: "7 份文件"},
        "en": {1: "1 document", 2: "2 documents"},
    }
    for language, counts in expected.items():
        with app.test_request_context(f"/?lang={language}"):
            for count, text in counts.items():
                assert ngettext("%(num)d document", "%(num)d documents", count) == text


def test_english_is_the_default(client, archive_with_a_document):
    html = client.get("/").get_data(as_text=True)
    assert html_tag(html) == '<html lang="en" dir="ltr">'
    assert "Meetings" in html and "Skip to content" in html


def test_lang_is_remembered_in_a_cookie(client):
    response = client.get("/?lang=fr")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=fr;")
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie and "HttpOnly" in cookie
    html = client.get("/login").get_data(as_text=True)  # no ?lang= now
    assert html_tag(html) == '<html lang="fr" dir="ltr">'
    assert "Connexion du personnel" in html
    # the cookie beats Accept-Language; a new ?lang= replaces the cookie
    html = client.get("/login", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert 'lang="fr"' in html_tag(html)
    client.get("/?lang=ru")
    assert 'lang="ru"' in html_tag(client.get("/login").get_data(as_text=True))


def test_accept_language_picks_the_best_match(client):
    html = client.get("/login", headers={"Accept-Language": "fr-CH, fr;q=0.9"}).get_data(
        as_text=True
    )
    assert html_tag(html) == '<html lang="fr" dir="ltr">'
    assert "Mot de passe" in html
    html = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}).get_data(
        as_text=True
    )
    assert 'lang="zh"' in html_tag(html)
    html = client.get("/", headers={"Accept-Language": "de-DE, ja;q=0.5"}).get_data(as_text=True)
    assert 'lang="en"' in html_tag(html)


def test_an_unknown_lang_is_ignored(client):
    response = client.get("/?lang=xx")
    assert 'lang="en"' in html_tag(response.get_data(as_text=True))
    assert not _lang_cookies(response)
    client.get("/?lang=es")
    response = client.get("/login?lang=de")  # ignored: the cookie's Spanish stays
    assert 'lang="es"' in html_tag(response.get_data(as_text=True))
    assert not _lang_cookies(response)


def _lang_cookies(response) -> list[str]:
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang=")]


def test_chinese_changes_nav_headings_and_labels(client, archive_with_a_document):
    checks = {
        "/": (["Meetings", "Staff login", "Skip to content"], ["会议", "工作人员登录", "跳至内容"]),
        "/login": (["Email address", "Password", "Log in"], ["电子邮件地址", "密码", "登录"]),
        "/search?q=victim": (["Sort by", "Delegation code"], ["排序方式", "代表团代码"]),
        "/meetings/12MSP": (["Statements", "Take it away:"], ["发言", "下载："]),
    }
    for path, (english, chinese) in checks.items():
        joiner = "&" if "?" in path else "?"
        html_en = client.get(f"{path}{joiner}lang=en").get_data(as_text=True)
        html_zh = client.get(f"{path}{joiner}lang=zh").get_data(as_text=True)
        for text in english:
            assert text in html_en and text not in html_zh, (path, text)
        for text in chinese:
            assert text in html_zh, (path, text)


def test_the_switcher_keeps_path_and_query(client, archive_with_a_document):
    html = client.get("/search?q=victim&meeting=12MSP&lang=fr").get_data(as_text=True)
    switcher = html[html.index('class="language-switcher"') :]
    switcher = switcher[: switcher.index("</nav>")]
    links = [attrs for tag, attrs in elements(switcher) if tag == "a"]
    assert [a["hreflang"] for a in links] == list(LANGUAGES)
    assert [a["lang"] for a in links] == list(LANGUAGES)
    for link in links:
        assert link["href"] == f"/search?q=victim&meeting=12MSP&lang={link['hreflang']}"
    assert [a["hreflang"] for a in links if a.get("aria-current")] == ["fr"]
    for name in ("العربية", "中文", "English", "Français", "Русский", "Español"):
        assert f">{name}</a>" in switcher
    # following a link switches the page and keeps the search
    html = client.get(links[0]["href"]).get_data(as_text=True)
    assert html_tag(html) == '<html lang="ar" dir="rtl">' and 'value="victim"' in html


def test_document_titles_keep_their_own_language(client, archive_with_a_document):
    french = archive_with_a_document["fr"]
    html = client.get(f"/documents/{french}?lang=ar").get_data(as_text=True)
    assert '<h1 lang="fr" dir="auto">Déclaration de la France</h1>' in html
    html = client.get("/meetings/12MSP?lang=zh").get_data(as_text=True)
    assert 'lang="fr" dir="auto">Déclaration de la France</a>' in html
    assert 'lang="en" dir="auto">Statement by Chile</a>' in html
    html = client.get("/search?q=victimes&lang=ru").get_data(as_text=True)
    assert 'lang="fr" dir="auto">Déclaration de la France</a>' in html
    assert '<p class="snippet" lang="fr" dir="ltr">' in html


def test_dates_follow_the_interface_language(client, make_meeting):
    make_meeting("12MSP", title="Twelfth Meeting of States Parties")
    expected = {
        "en": "10–13 September 2024",
        "fr": "sept. 2024",
        "es": "de septiembre de 2024",
        "ru": "сент.",
        "zh": "2024年9月10日",
        "ar": "سبتمبر 2024",
    }
    for language, text in expected.items():
        assert text in client.get(f"/?lang={language}").get_data(as_text=True), language


def test_error_pages_are_translated_but_api_errors_stay_english(client):
    response = client.get("/no/such/page?lang=ar")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "غير موجود" in html and "لم يُعثر على عنوان URL المطلوب" in html
    assert 'dir="rtl"' in html_tag(html)
    api = client.get("/api/v1/meetings/NOPE?lang=ar")
    assert api.status_code == 404
    assert api.get_json()["error"]["message"].isascii()


def test_werkzeug_descriptions_are_in_the_catalogue():
    """The error page translates werkzeug's descriptions by their exact English text."""
    for exception in (
        exceptions.BadRequest,
        exceptions.Unauthorized,
        exceptions.Forbidden,
        exceptions.NotFound,
        exceptions.MethodNotAllowed,
        exceptions.RequestEntityTooLarge,
        exceptions.RequestedRangeNotSatisfiable,
        exceptions.TooManyRequests,
        exceptions.InternalServerError,
    ):
        assert exception.description in errors.PAGE_MESSAGES, exception


def test_flash_messages_and_form_labels_are_translated(client, login, make_meeting, upload):
    make_meeting("12MSP")
    document = upload(title="Statement by Chile").get_json()
    login("admin")
    html = client.get("/staff/upload?lang=es").get_data(as_text=True)
    assert "Tipo de documento" in html and "Tema del programa" in html  # lazy form labels
    assert ">Borrador</option>" in html and ">Declaración</option>" in html  # choices
    page = client.get(f"/staff/documents/{document['id']}/edit").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        f"/staff/documents/{document['id']}/status/withdrawn",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "Documento retirado." in response.get_data(as_text=True)


def test_the_skip_link_is_first_and_targets_main(client):
    for path in ("/", "/login", "/search"):
        html = client.get(f"{path}?lang=ar").get_data(as_text=True)
        body = html[html.index("<body") :]
        focusable = [
            (tag, attrs)
            for tag, attrs in elements(body)
            if tag in ("a", "button", "input", "select", "textarea")
            and attrs.get("type") != "hidden"
        ]
        assert focusable[0] == ("a", {"class": "skip-link", "href": "#content"}), path
        assert '<main id="content" tabindex="-1">' in html
        landmarks = {tag for tag, _ in elements(body)}
        assert {"header", "nav", "main", "footer"} <= landmarks
        navs = [attrs for tag, attrs in elements(body) if tag == "nav"]
        assert all(nav.get("aria-label") for nav in navs), path


def test_every_form_field_has_a_label(client, login, make_meeting, upload):
    make_meeting("12MSP")
    document = upload(title="Statement by Chile").get_json()
    paths = ["/login", "/search"]
    login("admin")
    paths += [
        "/staff/upload",
        f"/staff/documents/{document['id']}/edit",
        "/staff/meetings/12MSP",
        "/staff/users",
        "/staff/audit",
    ]
    for path in paths:
        for language in ("en", "ar"):
            query = {"lang": language, "q": "victim"}
            response = client.get(path, query_string=query, follow_redirects=True)
            assert response.status_code == 200, path
            tags = elements(response.get_data(as_text=True))
            labelled = {attrs.get("for") for tag, attrs in tags if tag == "label"}
            for tag, attrs in tags:
                if tag not in ("input", "select", "textarea"):
                    continue
                if attrs.get("type") in ("hidden", "submit", "button"):
                    continue
                assert attrs.get("id") in labelled or attrs.get("aria-label"), (path, attrs)


def _catalogue(language: str):
    with (TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def coverage() -> dict[str, tuple[int, int]]:
    """Per language: (translated, total) messages of its catalogue."""
    figures = {}
    for language in LANGUAGES:
        messages = [m for m in _catalogue(language) if m.id]
        translated = [
            m
            for m in messages
            if not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else bool(m.string))
        ]
        figures[language] = (len(translated), len(messages))
    return figures


def test_every_catalogue_is_complete(capsys):
    figures = coverage()
    with capsys.disabled():
        print()
        for language, (translated, total) in figures.items():
            print(f"  {language}: {translated}/{total} messages translated")
    for language, (translated, total) in figures.items():
        assert total > 250, language
        assert translated == total, (language, translated, total)
    for language in LANGUAGES:
        catalogue = _catalogue(language)
        assert not catalogue.fuzzy, language
        for message in catalogue:
            if message.id and "python-format" in message.flags:
                # every placeholder of the English text is kept in the translation
                placeholders = set(re.findall(r"%\((\w+)\)", str(message.id)))
                strings = message.string if isinstance(message.string, tuple) else [message.string]
                found = set().union(*(re.findall(r"%\((\w+)\)", s) for s in strings))
                assert found <= placeholders, (language, message.id)


def test_the_catalogues_hold_every_marked_string():
    """A string marked in a template or in Python but missing from the .po files fails here:
    run `make translations-update` and translate it."""
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "N_": None}
    sources = (("archive", [("**.py", "python")]), ("templates", [("**.html", "jinja2")]))
    marked = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for folder, method_map in sources
        for message in extract_from_dir(str(PROJECT / folder), method_map, keywords=keywords)
    }
    assert len(marked) > 250
    for language in LANGUAGES:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(language) if m.id}
        assert marked <= ids, (language, sorted(marked - ids)[:10])


def test_scripts_get_their_messages_in_the_interface_language(client, login, make_meeting, upload):
    """upload.js and status.js write only what the page hands them in data-messages."""
    make_meeting("12MSP")
    document = upload(title="Statement by Chile").get_json()  # text still pending
    login("admin")
    attribute = re.compile(r'data-messages="([^"]+)"')
    upload_page = client.get("/staff/upload?lang=ar").get_data(as_text=True)
    messages = json.loads(html_lib.unescape(attribute.search(upload_page).group(1)))
    assert messages["upload_finished"] == "اكتمل الرفع."
    assert messages["outcome_duplicate"] != "duplicate"
    assert "{status}" in messages["upload_failed"]
    document_page = client.get(f"/documents/{document['id']}").get_data(as_text=True)
    messages = json.loads(html_lib.unescape(attribute.search(document_page).group(1)))
    assert messages["status_indexed"] != "indexed" and messages["status_pending"] != "pending"
