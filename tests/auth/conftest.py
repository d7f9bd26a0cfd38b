"""Fixtures for the login, users and tokens pages."""

from __future__ import annotations

import pytest

from tests.auth.staff_helpers import ADMIN, EDITOR, PASSWORD, log_in


@pytest.fixture
def admin_id(make_user) -> int:
    return make_user(ADMIN, "admin", PASSWORD)


@pytest.fixture
def editor_id(make_user) -> int:
    return make_user(EDITOR, "editor", PASSWORD)


@pytest.fixture
def as_admin(client, admin_id):
    """The client, logged in as an admin."""
    assert log_in(client, ADMIN).status_code == 302
    return client


@pytest.fixture
def as_editor(client, editor_id):
    """The client, logged in as an editor."""
    assert log_in(client, EDITOR).status_code == 302
    return client
