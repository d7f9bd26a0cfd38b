"""Small helpers over xml.etree: every text and attribute goes through its escaping.

Namespaces are declared as `xmlns` attributes on the element that opens them, and
names carry their prefix as written (`dc:title`): ElementTree's own namespace handling
cannot write a default namespace beside unprefixed attributes (`rel`, `href`), and its
prefix registry is global to the process.
"""

from __future__ import annotations

import re
from datetime import datetime
from xml.etree import ElementTree as ET

#: characters XML 1.0 does not allow at all, even escaped
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: object) -> str:
    """A value as XML text; characters XML cannot carry are dropped (ElementTree escapes)."""
    return _NOT_XML.sub("", str(value))


def sub(parent: ET.Element, tag: str, text: object = None, **attrs: object) -> ET.Element:
    """Append a child element with optional text and attributes (None attributes left out)."""
    child = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attrs.items() if v is not None})
    if text is not None:
        child.text = xml_text(text)
    return child


def datestamp(value: datetime) -> str:
    """A naive UTC datetime as YYYY-MM-DDThh:mm:ssZ (Atom, OAI-PMH and sitemaps read it)."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def to_bytes(root: ET.Element) -> bytes:
    """The document with its XML declaration, in UTF-8."""
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
