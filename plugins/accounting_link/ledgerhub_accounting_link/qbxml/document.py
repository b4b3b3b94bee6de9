"""The qbXML envelope and the small helpers every request builder uses.

qbXML is order-sensitive (every ``*Add`` body is an ``xsd:sequence``), so builders append
children in schema order and skip empty values rather than writing empty elements.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from lxml import etree

from hub.domain.money import money_str

QBXML_VERSION = "13.0"
PROCESSING_INSTRUCTION = f'<?qbxml version="{QBXML_VERSION}"?>'
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'


def new_message_set(on_error: str = "continueOnError") -> etree._Element:
    """A ``QBXML`` root with an empty ``QBXMLMsgsRq``; returns the message-set element."""
    root = etree.Element("QBXML")
    return etree.SubElement(root, "QBXMLMsgsRq", onError=on_error)


def serialize(message_set: etree._Element) -> str:
    """The full document text: XML declaration, the ``qbxml`` processing instruction, body."""
    body = etree.tostring(message_set.getroottree().getroot(), pretty_print=True, encoding="unicode")
    return f"{XML_DECLARATION}\n{PROCESSING_INSTRUCTION}\n{body}"


def render(requests: Iterable[etree._Element], on_error: str = "continueOnError") -> str:
    """One document holding *requests* (``*Rq`` elements) in order."""
    message_set = new_message_set(on_error)
    for request in requests:
        message_set.append(request)
    return serialize(message_set)


def text(parent: etree._Element, tag: str, value: object, max_length: int | None = None) -> None:
    """Append ``<tag>value</tag>`` unless *value* is empty; cut strings to *max_length*."""
    if value is None or value == "":
        return
    if isinstance(value, bool):
        rendered = "true" if value else "false"
    elif isinstance(value, Decimal):
        rendered = str(value)
    elif isinstance(value, date):
        rendered = value.isoformat()
    else:
        rendered = " ".join(str(value).split())
    if max_length is not None:
        rendered = rendered[:max_length].rstrip()
    if rendered:
        etree.SubElement(parent, tag).text = rendered


def amount(parent: etree._Element, tag: str, value: Decimal) -> None:
    """Append an AMTTYPE value: two decimals, sign kept (``-12.50``)."""
    etree.SubElement(parent, tag).text = money_str(value)


def quantity(parent: etree._Element, tag: str, value: Decimal) -> None:
    """Append a QUANTYPE/PRICETYPE value as plain decimal text."""
    etree.SubElement(parent, tag).text = format(value, "f")


def ref(
    parent: etree._Element, tag: str, *, list_id: str | None = None, full_name: str | None = None
) -> None:
    """Append a ``*Ref`` aggregate with the ListID when known, otherwise the FullName."""
    if not list_id and not full_name:
        return
    element = etree.SubElement(parent, tag)
    if list_id:
        etree.SubElement(element, "ListID").text = list_id
    else:
        etree.SubElement(element, "FullName").text = full_name


def request(tag: str, request_id: str) -> etree._Element:
    """A bare ``*Rq`` element carrying *request_id*."""
    return etree.Element(tag, requestID=request_id)
