"""Safe XML parsing shared by the XML readers (MUSE, Philips Sierra, HL7 aECG).

Files from hospital systems arrive in UTF-8 or UTF-16 (with BOM); ``defusedxml`` refuses
entity-expansion and external-entity tricks.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET

_ROOT_TAG = re.compile(r"<\s*(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s>/]")


def decode_head(head: bytes) -> str:
    """Best-effort text of the first bytes of a file, honouring a UTF-16/UTF-8 BOM."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    if len(head) > 1 and head[0] == 0 and head[1] != 0:
        return head.decode("utf-16-be", errors="ignore")
    if len(head) > 1 and head[1] == 0 and head[0] != 0:
        return head.decode("utf-16-le", errors="ignore")
    return head.decode("utf-8", errors="ignore")


def root_tag(head: bytes) -> str | None:
    """Local name of the root element of an XML document from its first bytes, or None."""
    text = decode_head(head).lstrip("\ufeff \t\r\n")
    if not text.startswith("<"):
        return None
    # skip declaration, comments, doctype and processing instructions
    text = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", text, flags=re.DOTALL)
    match = _ROOT_TAG.search(text)
    return match.group(1) if match else None


def parse_xml(path: Path) -> Element:
    """Parse an XML file safely and return its root element."""
    return SafeET.parse(str(path)).getroot()


def local(tag: str) -> str:
    """Tag name without its ``{namespace}``."""
    return tag.rsplit("}", 1)[-1]


def find_local(element: Element, *names: str) -> Element | None:
    """First descendant following the path of local names ``names`` (namespace-agnostic)."""
    current: Element | None = element
    for name in names:
        if current is None:
            return None
        current = next((child for child in current if local(child.tag) == name), None)
    return current


def text_of(element: Element | None, *names: str, default: str | None = None) -> str | None:
    """Stripped text at a path of local names, or ``default``."""
    node = find_local(element, *names) if element is not None and names else element
    if node is None or node.text is None:
        return default
    value = node.text.strip()
    return value if value else default
