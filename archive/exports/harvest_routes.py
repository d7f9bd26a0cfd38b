"""For harvesters and crawlers: the Atom feed, OAI-PMH, the sitemap and robots.txt."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, request, url_for

from archive.exports import feeds, oai, queries, sitemap
from archive.extensions import csrf

bp = Blueprint("harvest", __name__)

XML = "application/xml; charset=utf-8"


@bp.get("/feeds/documents.atom")
def documents_feed():
    filters = queries.parse_filters(request.args)
    wanted = {k: v for k, v in vars(filters).items() if v}
    body = feeds.atom_feed(
        filters,
        feeds.feed_documents(filters),
        self_url=url_for(".documents_feed", **wanted, _external=True),
        page_url=url_for("search.search_page", **wanted, _external=True),
    )
    return Response(body, content_type="application/atom+xml; charset=utf-8")


def _repository() -> oai.Repository:
    config = current_app.config
    host = urlsplit(request.host_url).hostname or "localhost"
    return oai.Repository(
        name=config.get("OAI_REPOSITORY_NAME", "Meeting Archive"),
        base_url=url_for(".oai_pmh", _external=True),
        admin_email=config["ARCHIVE_ADMIN_EMAIL"],
        identifier=config.get("OAI_REPOSITORY_IDENTIFIER") or host.replace(":", "-"),
        secret_key=config["SECRET_KEY"],
        document_url=lambda i: url_for("documents.show", document_id=i, _external=True),
        meeting_url=lambda code: url_for("meetings.show", code=code, _external=True),
        page_size=config.get("OAI_PAGE_SIZE", oai.PAGE_SIZE),
    )


@bp.route("/oai", methods=["GET", "POST"])
@csrf.exempt  # harvesters POST their arguments; nothing here changes anything
def oai_pmh():
    args = request.form if request.method == "POST" else request.args
    return Response(oai.respond(_repository(), args), content_type="text/xml; charset=utf-8")


def _sitemap_page_size() -> int:
    return min(current_app.config.get("SITEMAP_PAGE_SIZE", sitemap.MAX_PAGE_SIZE), 50_000)


@bp.get("/sitemap.xml")
def sitemap_index():
    count = sitemap.page_count(_sitemap_page_size())
    pages = [url_for(".sitemap_page", page=n, _external=True) for n in range(1, count + 1)]
    return Response(sitemap.sitemap_index(pages), content_type=XML)


@bp.get("/sitemaps/<int:page>.xml")
def sitemap_page(page: int):
    size = _sitemap_page_size()
    if not 1 <= page <= sitemap.page_count(size):
        abort(404)
    return Response(sitemap.urlset(sitemap.page_urls(page, size)), content_type=XML)


@bp.get("/robots.txt")
def robots_txt():
    lines = [
        "User-agent: *",
        "Disallow: /staff/",
        "Disallow: /login",
        "Disallow: /api/",
        "Disallow: /*/download.zip",
        f"Sitemap: {url_for('.sitemap_index', _external=True)}",
    ]
    return Response("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
