"""Checking request documents: the qbXML 13.0 XSD, the ``qbxml`` version line, and the fields
Intuit's annotated sample marks as not supported by US QuickBooks Desktop.

The XSD is a superset across editions and cannot see processing instructions, so the two other
checks run beside it. All three read Intuit's files from :func:`config.schema_dir`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lxml import etree

from ledgerhub_accounting_link import config
from ledgerhub_accounting_link.qbxml.document import QBXML_VERSION

ENTRY_POINT = "qbxmlops130.xsd"
ANNOTATED_SAMPLE = "qbxmlops130.sample.xml"
_NOT_IN = re.compile(r"not in ([A-Z|]+)")
_VERSION_PI = re.compile(r'<\?qbxml\s+version="([^"]+)"\s*\?>')


class SchemaUnavailable(RuntimeError):
    """The qbXML schema folder is missing; the message says where it looked and how to set it."""


def _require(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise SchemaUnavailable(
            f"{path} not found: set {config.SCHEMA_DIR_ENV} to the folder holding Intuit's "
            f"qbXML 13.0 schema ({ENTRY_POINT})"
        )
    return path


@lru_cache(maxsize=4)
def _schema(folder: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_require(folder, ENTRY_POINT))))


@lru_cache(maxsize=4)
def _unsupported(folder: Path) -> frozenset[str]:
    doc = etree.parse(str(_require(folder, ANNOTATED_SAMPLE)), etree.XMLParser(huge_tree=True))
    paths: set[str] = set()
    for element in doc.iter(etree.Element):
        # The annotation is the comment on the element's own line: its first child for an
        # aggregate, the following sibling for a leaf.
        notes = [n for n in (element[0] if len(element) else None, element.getnext())
                 if isinstance(n, etree._Comment) and n.sourceline == element.sourceline]
        for note in notes:
            match = _NOT_IN.search(note.text or "")
            if match and "QBD" in match.group(1).split("|"):
                paths.add(element_path(element))
    return frozenset(paths)


def element_path(element: etree._Element) -> str:
    """``QBXML/QBXMLMsgsRq/InvoiceAddRq/InvoiceAdd/InvoiceLineAdd/IsTaxable``-style path."""
    names = [etree.QName(e).localname for e in reversed(list(element.iterancestors()))]
    return "/".join([*names, etree.QName(element).localname])


def unsupported_paths(folder: Path | None = None) -> frozenset[str]:
    """Element paths Intuit's sample marks "not in QBD" (US QuickBooks Desktop)."""
    return _unsupported((folder or config.schema_dir()).resolve())


def problems(document: str, folder: Path | None = None) -> list[str]:
    """Everything wrong with a request *document*; an empty list means it may be sent."""
    folder = (folder or config.schema_dir()).resolve()
    found: list[str] = []
    match = _VERSION_PI.search(document)
    if match is None:
        found.append('missing the <?qbxml version="13.0"?> line')
    elif match.group(1) != QBXML_VERSION:
        found.append(f'qbxml version line says {match.group(1)}, expected {QBXML_VERSION}')
    tree = etree.fromstring(document.encode())
    schema = _schema(folder)
    if not schema.validate(tree):
        found += [f"line {e.line}: {e.message}" for e in schema.error_log]
    denied = unsupported_paths(folder)
    found += [f"{path} is not supported by US QuickBooks Desktop"
              for path in sorted({element_path(e) for e in tree.iter(etree.Element)} & denied)]
    return found
