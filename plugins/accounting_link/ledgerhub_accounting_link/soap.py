"""SOAP 1.1/1.2 document/literal by hand (lxml), for the Web Connector's eight operations.

Requests are parsed without entity resolution or network access; an answer mirrors the SOAP
version of the request.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

INTUIT_NS = "http://developer.intuit.com/"
SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)


class SoapError(ValueError):
    """The request is not a SOAP call we understand; the message says why."""


@dataclass(frozen=True, slots=True)
class SoapCall:
    """One operation call: its name, its arguments (text by element name) and the SOAP version."""

    operation: str
    arguments: dict[str, str]
    envelope_ns: str = SOAP11_NS

    def arg(self, name: str) -> str:
        """The text of argument *name* ("" when absent)."""
        return self.arguments.get(name, "")


def parse_call(body: bytes) -> SoapCall:
    """Read the operation element inside the SOAP body."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapError(f"request is not XML: {exc}") from exc
    envelope_ns = etree.QName(root).namespace
    if etree.QName(root).localname != "Envelope" or envelope_ns not in (SOAP11_NS, SOAP12_NS):
        raise SoapError("request is not a SOAP envelope")
    soap_body = root.find(f"{{{envelope_ns}}}Body")
    operation = next(iter(soap_body.iterchildren(etree.Element)), None) if soap_body is not None else None
    if operation is None:
        raise SoapError("SOAP body holds no operation")
    if etree.QName(operation).namespace != INTUIT_NS:
        raise SoapError(f"operation must be in namespace {INTUIT_NS}")
    arguments = {etree.QName(arg).localname: arg.text or "" for arg in operation.iterchildren(etree.Element)}
    return SoapCall(etree.QName(operation).localname, arguments, envelope_ns)


def _envelope(envelope_ns: str) -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{envelope_ns}}}Envelope", nsmap={"soap": envelope_ns})
    return envelope, etree.SubElement(envelope, f"{{{envelope_ns}}}Body")


def response(call: SoapCall, result: str | int | list[str]) -> bytes:
    """``<{operation}Response><{operation}Result>…`` for *result* (a list becomes ``string``
    items, as the WSDL's ArrayOfString)."""
    envelope, body = _envelope(call.envelope_ns)
    wrapper = etree.SubElement(body, f"{{{INTUIT_NS}}}{call.operation}Response", nsmap={None: INTUIT_NS})
    result_element = etree.SubElement(wrapper, f"{{{INTUIT_NS}}}{call.operation}Result")
    if isinstance(result, list):
        for item in result:
            etree.SubElement(result_element, f"{{{INTUIT_NS}}}string").text = item
    else:
        result_element.text = str(result)
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")


def fault(message: str, envelope_ns: str = SOAP11_NS, code: str = "Client") -> bytes:
    """A fault: ``Client`` (SOAP 1.2 ``Sender``) names what was wrong with the request,
    ``Server`` (``Receiver``) says the failure was ours."""
    envelope, body = _envelope(envelope_ns)
    fault_element = etree.SubElement(body, f"{{{envelope_ns}}}Fault")
    if envelope_ns == SOAP12_NS:
        code_element = etree.SubElement(fault_element, f"{{{envelope_ns}}}Code")
        value = "soap:Sender" if code == "Client" else "soap:Receiver"
        etree.SubElement(code_element, f"{{{envelope_ns}}}Value").text = value
        reason = etree.SubElement(fault_element, f"{{{envelope_ns}}}Reason")
        etree.SubElement(reason, f"{{{envelope_ns}}}Text").text = message
    else:
        etree.SubElement(fault_element, "faultcode").text = f"soap:{code}"
        etree.SubElement(fault_element, "faultstring").text = message
    return etree.tostring(envelope, xml_declaration=True, encoding="utf-8")
