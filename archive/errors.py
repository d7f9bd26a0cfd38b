"""Errors that services raise and routes turn into responses (JSON for the API, pages else)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from werkzeug.exceptions import HTTPException


class ArchiveError(Exception):
    """A refusal that a user can act on; carries an HTTP status and a stable code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def to_dict(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}


class ValidationError(ArchiveError):
    status, code = 400, "invalid"


class Unauthorized(ArchiveError):
    status, code = 401, "unauthorized"


class Forbidden(ArchiveError):
    status, code = 403, "forbidden"


class NotFound(ArchiveError):
    status, code = 404, "not_found"


class Conflict(ArchiveError):
    status, code = 409, "conflict"


class Duplicate(Conflict):
    """The same bytes are already stored as another document."""

    code = "duplicate"

    def __init__(self, document_id: int):
        super().__init__(f"The same file is already stored as document {document_id}.")
        self.document_id = document_id


class TooLarge(ArchiveError):
    status, code = 413, "too_large"


class UnsupportedMedia(ArchiveError):
    status, code = 415, "unsupported_media_type"


class InsufficientStorage(ArchiveError):
    """The disk is full: nothing was stored; the same request may work later."""

    status, code = 507, "insufficient_storage"


def N_(message: str) -> str:
    """Marks a message for the catalogues; it is translated where it is shown."""
    return message


#: messages of HTML error pages that are shown in the interface language (werkzeug's own
#: descriptions, and ours); a service's refusal (`ArchiveError.message`) is shown as it is, in
#: English, like the JSON API's messages
PAGE_MESSAGES = frozenset(
    {
        N_("The browser (or proxy) sent a request that this server could not understand."),
        N_(
            "The server could not verify that you are authorized to access the URL requested. "
            "You either supplied the wrong credentials (e.g. a bad password), or your browser "
            "doesn't understand how to supply the credentials required."
        ),
        N_(
            "You don't have the permission to access the requested resource. It is either "
            "read-protected or not readable by the server."
        ),
        N_(
            "The requested URL was not found on the server. If you entered the URL manually "
            "please check your spelling and try again."
        ),
        N_("The method is not allowed for the requested URL."),
        N_("The data value transmitted exceeds the capacity limit."),
        N_("The server cannot provide the requested range."),
        N_("This user has exceeded an allotted request count. Try again later."),
        N_(
            "The server encountered an internal error and was unable to complete your request. "
            "Either the server is overloaded or there is an error in the application."
        ),
        N_("Something went wrong on our side."),
    }
)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _error_response(status: int, code: str, message: str, field: str | None = None):
    if _wants_json():
        error = {"code": code, "message": message}
        if field:
            error["field"] = field
        return jsonify({"error": error}), status
    if message in PAGE_MESSAGES:
        message = gettext(message)
    page = render_template("error.html", status=status, message=message)
    return page, status


def register_error_handlers(app: Flask) -> None:
    """JSON errors under /api/, readable pages elsewhere; never a 500 for bad input."""

    @app.errorhandler(ArchiveError)
    def archive_error(err: ArchiveError):
        return _error_response(err.status, err.code, err.message, err.field)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        code = (err.name or "error").lower().replace(" ", "_")
        body, status = _error_response(err.code or 500, code, err.description or err.name)
        # keep the exception's own headers (Content-Range on a 416, Allow on a 405 …)
        extra = [(k, v) for k, v in err.get_headers() if k.lower() != "content-type"]
        return body, status, extra

    @app.errorhandler(Exception)
    def unexpected_error(err: Exception):
        app.logger.exception("Unhandled error on %s", request.path)
        return _error_response(500, "internal_error", "Something went wrong on our side.")
