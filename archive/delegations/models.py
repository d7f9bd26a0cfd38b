"""Delegations: states, international organisations, civil society."""

from __future__ import annotations

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from archive.extensions import db

KINDS = ("state", "international_organisation", "civil_society", "other")


class Delegation(db.Model):
    """A delegation that speaks at meetings; states carry their ISO 3166-1 alpha-3 code."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ISO 3166-1 alpha-3 for states, a short code (ICRC, CMC …) for organisations
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32), default="state")
    #: the name in other languages, keyed by ISO 639-1 code
    names: Mapped[dict] = mapped_column(JSON, default=dict)

    def name_in(self, language: str) -> str:
        """The delegation's name in a language, falling back to its English name."""
        return (self.names or {}).get(language) or self.name
