"""Who may see what: the public sees published items, staff see everything."""

from __future__ import annotations

from archive.auth.models import User


def is_staff(user: User | None) -> bool:
    """A signed-in, active staff member (admin or editor)."""
    return user is not None and user.is_active and user.role in ("admin", "editor")


def visible_statuses(user: User | None) -> tuple[str, ...]:
    """Document statuses this user may see."""
    return ("draft", "published", "withdrawn") if is_staff(user) else ("published",)
