"""What the bulk-import commands share: refusing the whole input, and the importing user."""

from __future__ import annotations

import click

from archive.auth.models import User
from archive.auth.services import find_user


class ImportRefused(click.ClickException):
    """The input as a whole is unusable (header, encoding, user): exit status 2."""

    exit_code = 2


def importing_user(email: str | None) -> User | None:
    """The active user an import is attributed to, or None without ``--user``."""
    if not email:
        return None
    user = find_user(email)
    if user is None or not user.is_active:
        raise ImportRefused(f"No active user with email {email}.")
    return user
