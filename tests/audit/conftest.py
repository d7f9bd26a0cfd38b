"""The audit page's tests use the same staff users and logged-in clients as auth's."""

from tests.auth.conftest import admin_id, as_admin, as_editor, editor_id  # noqa: F401
