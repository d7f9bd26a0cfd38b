"""Delegations: every state known from ISO 3166, organisations added by staff."""

from __future__ import annotations

import gettext
from functools import cache

import pycountry
from sqlalchemy import select

from archive import validation
from archive.audit.services import record
from archive.auth.models import User
from archive.delegations.models import KINDS, Delegation
from archive.errors import Conflict, NotFound, ValidationError
from archive.extensions import db
from archive.validation import UN_LANGUAGES


@cache
def _translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


def _state_names(country) -> dict[str, str]:
    english = getattr(country, "common_name", None) or country.name
    return {lang: _translations(lang).gettext(country.name) for lang in UN_LANGUAGES} | {
        "en": english
    }


def _state(country) -> Delegation:
    names = _state_names(country)
    return Delegation(code=country.alpha_3, name=names["en"], kind="state", names=names)


def seed_states() -> int:
    """Add every ISO 3166-1 state not yet known; returns how many were added."""
    known = set(db.session.scalars(select(Delegation.code)))
    added = [_state(c) for c in pycountry.countries if c.alpha_3 not in known]
    db.session.add_all(added)
    db.session.commit()
    return len(added)


def find_delegation(code: str) -> Delegation | None:
    """The delegation with this code; a state is created from ISO 3166 on first use."""
    code = code.strip().upper()
    delegation = db.session.scalar(select(Delegation).where(Delegation.code == code))
    if delegation is None and len(code) == 3:
        country = pycountry.countries.get(alpha_3=code)
        if country is not None:
            delegation = _state(country)
            db.session.add(delegation)
    return delegation


def delegation_for_upload(value: object) -> Delegation | None:
    """The delegation named in an upload (None when empty); an unknown code is a 400."""
    code = validation.text(value, "delegation", max_length=16)
    if not code:
        return None
    delegation = find_delegation(code)
    if delegation is None:
        raise ValidationError(f"Unknown delegation code {code!r}.", field="delegation")
    return delegation


def get_delegation(code: str) -> Delegation:
    """The delegation with this code, or 404."""
    delegation = find_delegation(code)
    if delegation is None:
        raise NotFound(f"No delegation with code {code!r}.")
    return delegation


def create_organisation(code: str, name: str, kind: str, *, by: User | None = None) -> Delegation:
    """Add an organisation (ICRC, CMC, UNDP …) as a delegation."""
    code = validation.slug(code, "code").upper()
    name = validation.text(name, "name", required=True, max_length=200)
    kind = validation.choice(kind, KINDS, "kind", default="international_organisation")
    if find_delegation(code) is not None:
        raise Conflict(f"Delegation {code} exists already.", field="code")
    delegation = Delegation(code=code, name=name, kind=kind, names={"en": name})
    db.session.add(delegation)
    db.session.flush()
    record(by, "delegation.create", "delegation", code, name=name, kind=kind)
    db.session.commit()
    return delegation


def delegation_to_dict(delegation: Delegation) -> dict:
    return {
        "code": delegation.code,
        "name": delegation.name,
        "kind": delegation.kind,
        "names": delegation.names or {},
    }
