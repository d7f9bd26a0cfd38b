"""Where to go after login: only ever a path inside the archive."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

#: decoding rounds tried: enough for `%252F`, and an upper bound for hostile input
_DECODE_ROUNDS = 3


def _decodings(value: str) -> list[str]:
    """The value, and what it becomes after each round of percent-decoding."""
    forms = [value]
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(forms[-1])
        if decoded == forms[-1]:
            break
        forms.append(decoded)
    return forms


def _is_local_path(value: str) -> bool:
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return False
    if "\\" in value or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return False
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc


def safe_next_path(value: str | None) -> str | None:
    """`value` when it is a path inside the archive (`/meetings/12MSP?lang=fr`), else None.

    Refuses absolute and scheme-relative URLs (`https://x`, `//x`, `/\\x`), backslashes,
    control characters such as CR/LF and tab, `javascript:` and anything else not starting
    with one "/" — also when these hide behind percent-encoding (`/%2F%2Fevil.com`).
    """
    if not value or len(value) > 2000:
        return None
    if all(_is_local_path(form) for form in _decodings(value)):
        return value
    return None
