"""Checks on every request before any route sees it.

Ids in URLs are bounded to what a database integer holds. NUL is never part of a code, a
filter, a title or an email address, and PostgreSQL refuses it in text (it would surface
as a 500): a request carrying one in its path, its query, its form fields or its JSON
strings is a 400. File names are cleaned where they are stored.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from archive.errors import ValidationError
from archive.validation import MAX_INT


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in every route: ids past what a database integer holds match no route
    (404), instead of failing in the database (SQLite overflow, PostgreSQL out of range)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_INT)
        super().__init__(map, *args, **kwargs)


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):  # query and form items come as (name, value) pairs
        return any(_has_nul(v) for v in value)
    return False


def _request_has_nul() -> bool:
    if "\x00" in request.path or _has_nul(list(request.args.items(multi=True))):
        return True
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return _has_nul([v for _, v in request.form.items(multi=True)])
    if request.is_json:
        return _has_nul(request.get_json(silent=True))
    return False


def init_guards(app: Flask) -> None:
    """Bounded ids in URLs; refuse NUL characters anywhere in a request's text (400).

    Call before the blueprints are registered: rules take their converters when added.
    """
    app.url_map.converters["int"] = BoundedIntConverter

    @app.before_request
    def refuse_nul_characters() -> None:
        if _request_has_nul():
            raise ValidationError("The request contains a NUL character.", code="nul_character")
