"""Meeting Archive: the Flask application factory."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from archive import config
from archive.extensions import csrf, db, login_manager, migrate

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: environment config, then `test_config`, then extensions and blueprints."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "archive" / "static"),
    )
    app.config.from_mapping(config.from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    _require_secret_key(app)
    os.makedirs(app.config["ARCHIVE_DATA_DIR"], exist_ok=True)
    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    _start_worker(app)
    return app


def _require_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.debug or app.testing or os.environ.get("ARCHIVE_ALLOW_NO_SECRET") == "1":
        app.config["SECRET_KEY"] = "dev-only-not-secret"
        return
    raise RuntimeError(
        "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
        "string (e.g. python -c 'import secrets; print(secrets.token_hex(32))') before "
        "starting the archive; `make run` does this for you."
    )


def _init_extensions(app: Flask) -> None:
    from archive import models  # noqa: F401  (register every model with the mapper)
    from archive.auth.limits import init_limiter
    from archive.auth.sessions import init_login
    from archive.database import configure_engine
    from archive.errors import register_error_handlers
    from archive.guards import init_guards
    from archive.i18n import init_i18n
    from archive.stores import init_stores
    from archive.templating import init_templating

    db.init_app(app)
    configure_engine(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "archive" / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    init_login(app)
    init_limiter(app)
    init_stores(app)
    init_templating(app)
    init_i18n(app)
    register_error_handlers(app)
    init_guards(app)


def _register_blueprints(app: Flask) -> None:
    from archive.admin.routes import bp as admin_bp
    from archive.api.routes import bp as api_bp
    from archive.audit.routes import bp as audit_bp
    from archive.auth.routes import bp as auth_bp
    from archive.auth.staff_routes import bp as staff_users_bp
    from archive.delegations.routes import bp as delegations_bp
    from archive.documents.routes import bp as documents_bp
    from archive.exports.harvest_routes import bp as harvest_bp
    from archive.exports.routes import bp as exports_bp
    from archive.meetings.routes import bp as meetings_bp
    from archive.recordings.routes import bp as recordings_bp
    from archive.search.routes import bp as search_bp

    for blueprint in (meetings_bp, documents_bp, delegations_bp, search_bp, admin_bp):
        app.register_blueprint(blueprint)
    for blueprint in (auth_bp, staff_users_bp, audit_bp, recordings_bp):
        app.register_blueprint(blueprint)
    for blueprint in (exports_bp, harvest_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)  # API writes check the bearer token, or CSRF themselves for sessions
    app.register_blueprint(api_bp)


def _register_cli(app: Flask) -> None:
    from archive.cli import register_commands

    register_commands(app)


def _start_worker(app: Flask) -> None:
    """ARCHIVE_WORKER=inline: a worker thread starts with the first request a process serves.

    Starting on first request (not at import) keeps one-off commands such as `flask db
    upgrade` free of a worker, and gives each gunicorn process its thread after the fork.
    """
    if app.config["ARCHIVE_WORKER"] != "inline":
        return
    import threading

    from archive.jobs.worker import start_inline_worker

    lock = threading.Lock()

    @app.before_request
    def ensure_worker() -> None:
        if "archive.worker" not in app.extensions:
            with lock:
                if "archive.worker" not in app.extensions:
                    start_inline_worker(app)
