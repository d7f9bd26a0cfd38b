"""Parsing of user-supplied values, shared by the API, the web forms and the CLI."""

from __future__ import annotations

import re
import sys
from datetime import date

import pycountry

from archive.errors import ValidationError

UN_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
#: the largest whole number a database integer column holds everywhere (PostgreSQL INTEGER)
MAX_INT = 2**31 - 1
_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")


def text(value: object, field: str, *, required: bool = False, max_length: int = 500) -> str:
    """A stripped string; refuses missing required values and over-long ones."""
    result = "" if value is None else str(value).strip()
    if required and not result:
        raise ValidationError(f"{field} is required.", field=field, code="missing")
    if len(result) > max_length:
        raise ValidationError(f"{field} is longer than {max_length} characters.", field=field)
    return result


def optional_date(value: object, field: str) -> date | None:
    """An ISO date (YYYY-MM-DD), or None when empty."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(f"{field} must be a date as YYYY-MM-DD.", field=field) from None


def choice(
    value: object, allowed: tuple[str, ...], field: str, *, default: str | None = None
) -> str:
    """One of the allowed values (or the default when empty)."""
    result = text(value, field)
    if not result and default is not None:
        return default
    if result not in allowed:
        raise ValidationError(f"{field} must be one of: {', '.join(allowed)}.", field=field)
    return result


def language(value: object, field: str = "language") -> str:
    """An ISO 639-1 language code, lower-cased."""
    code = text(value, field, required=True).lower()
    if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
        raise ValidationError(f"{field} must be an ISO 639-1 code such as en or fr.", field=field)
    return code


def slug(value: object, field: str) -> str:
    """A short code used in URLs (letters, digits, dot, dash, underscore)."""
    code = text(value, field, required=True)
    if not _CODE_RE.match(code):
        raise ValidationError(
            f"{field} may hold only letters, digits, '.', '-' and '_' (at most 32).", field=field
        )
    return code


def optional_int(
    value: object, field: str, *, minimum: int = 0, maximum: int = MAX_INT
) -> int | None:
    """A whole number from minimum to maximum, or None when empty."""
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(f"{field} must be a whole number.", field=field) from None
    if number < minimum:
        raise ValidationError(f"{field} must be at least {minimum}.", field=field)
    if number > maximum:
        raise ValidationError(f"{field} must be at most {maximum}.", field=field)
    return number


def boolean(value: object, field: str, *, default: bool) -> bool:
    """true/false, 1/0, yes/no."""
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValidationError(f"{field} must be true or false.", field=field)


def bounded_int(value: object, field: str, *, default: int, maximum: int) -> int:
    """A whole number from 1 up, capped at maximum (however large); the default when empty."""
    number = optional_int(value, field, minimum=1, maximum=sys.maxsize)
    return default if number is None else min(number, maximum)
