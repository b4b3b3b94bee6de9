"""qbXML 13.0 documents: every request the plugin can build validates against Intuit's XSD,
carries the version line, and never uses a field US QuickBooks Desktop does not support."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from ledgerhub_accounting_link import config
from ledgerhub_accounting_link.exchange import LIST_KINDS, MODIFIABLE_KINDS, Purpose, Step, build
from ledgerhub_accounting_link.names import NameRegistry, candidates
from ledgerhub_accounting_link.qbxml import schema
from ledgerhub_accounting_link.qbxml.context import BuildContext
from ledgerhub_accounting_link.qbxml.document import render
from ledgerhub_accounting_link.qbxml.responses import Found, ResponseError, parse
from ledgerhub_accounting_link.settings import AccountingLinkSettings

from hub import Action, Customer, Delivery, ExternalRef, Record, Shop
from hub.domain.generator import generate_history
from hub.domain.kinds import REFERENCES, EntityKind

from .conftest import REFERENCE, Store, every_kind_records

SHOP = Shop(id="shop-1", name="Main Street Auto")


def _delivery(record: Record, number: int, *, external: ExternalRef | None = None) -> Delivery:
    refs = {name: ExternalRef(f"ID-{getattr(record, name)}", {"customer_list_id": "CUST-1"})
            for name in REFERENCES[record.kind] if getattr(record, name, "")}
    return Delivery(id=number, connection_id=1, kind=record.kind, record=record, version=1,
                    action=Action.UPDATE if external else Action.CREATE, idempotency_key=f"k{number}",
                    external=external, references=refs)


def _every_request(records: list[Record]) -> list[str]:
    bctx = BuildContext(AccountingLinkSettings(location="loc-1", sales_tax_item="Sales Tax"), SHOP, Store())
    documents = []
    for number, record in enumerate(records, 1):
        plain = _delivery(record, number)
        changed = _delivery(record, number, external=ExternalRef("80000001-1", {"edit_sequence": "42"}))
        steps = [Step(plain, Purpose.ADD), Step(plain, Purpose.PROBE), Step(changed, Purpose.REFRESH)]
        if record.kind in LIST_KINDS:
            steps.append(Step(plain, Purpose.NAME_PROBE, avoid_name="Taken Name"))
        else:
            steps.append(Step(changed, Purpose.VOID))
        if record.kind in MODIFIABLE_KINDS:
            steps.append(Step(changed, Purpose.MOD, edit_sequence="42"))
        if record.kind == EntityKind.INVENTORY_ITEM:
            steps.append(Step(changed, Purpose.ADJUST, found=Found(list_id="80000001-1")))
        documents += [render([build(bctx, step, f"{number}.{i}")]) for i, step in enumerate(steps)]
    return documents


def test_every_request_of_every_kind_passes_all_checks() -> None:
    documents = _every_request(every_kind_records())
    assert len(documents) == 11 * 4 + 6 + 1
    problems = {doc: schema.problems(doc) for doc in documents}
    assert {doc: p for doc, p in problems.items() if p} == {}


def test_a_generated_history_passes_all_checks(shop: Shop) -> None:
    history = list(generate_history(11, shop, 40))
    assert len({r.kind for r in history}) >= 6
    bctx = BuildContext(AccountingLinkSettings(location="loc-1"), shop, Store())
    requests = [build(bctx, Step(_delivery(r, n), Purpose.ADD), str(n)) for n, r in enumerate(history, 1)]
    assert schema.problems(render(requests)) == []


def test_version_line_is_checked_separately() -> None:
    [document] = _every_request(every_kind_records()[:1])[:1]
    assert document.splitlines()[1] == '<?qbxml version="13.0"?>'
    assert schema.problems(document) == []
    assert "missing" in schema.problems(document.replace('<?qbxml version="13.0"?>', ""))[0]
    assert "says 12.0" in schema.problems(document.replace('version="13.0"', 'version="12.0"'))[0]


def test_unsupported_fields_come_from_the_annotated_sample() -> None:
    denied = schema.unsupported_paths()
    for path in ("InvoiceAddRq/InvoiceAdd/InvoiceLineAdd/IsTaxable",
                 "InvoiceAddRq/InvoiceAdd/DiscountLineAdd",
                 "CustomerAddRq/CustomerAdd/Mobile", "BillAddRq/BillAdd/ItemLineAdd/SalesTaxCodeRef",
                 "ReceivePaymentAddRq/ReceivePaymentAdd/AppliedToTxnAdd/TxnLineDetail"):
        assert f"QBXML/QBXMLMsgsRq/{path}" in denied
    assert "QBXML/QBXMLMsgsRq/InvoiceAddRq/InvoiceAdd/InvoiceLineAdd/SalesTaxCodeRef" not in denied


def test_an_unsupported_field_is_reported_even_when_the_xsd_allows_it() -> None:
    [document] = [d for d in _every_request(every_kind_records()) if "<InvoiceAddRq" in d][:1]
    tainted = document.replace("<SalesTaxCodeRef>", "<IsTaxable>true</IsTaxable><SalesTaxCodeRef>", 1)
    tainted = tainted.replace("<IsTaxable>true</IsTaxable><SalesTaxCodeRef>", "<SalesTaxCodeRef>", 0)
    moved = tainted.replace("<IsTaxable>true</IsTaxable>", "", 1).replace(
        "</SalesTaxCodeRef>", "</SalesTaxCodeRef><IsTaxable>true</IsTaxable>", 1)
    found = schema.problems(moved)
    assert found == ["QBXML/QBXMLMsgsRq/InvoiceAddRq/InvoiceAdd/InvoiceLineAdd/IsTaxable is not supported "
                     "by US QuickBooks Desktop"]


def test_element_order_is_enforced_by_the_xsd() -> None:
    [document] = _every_request(every_kind_records()[:1])[:1]
    swapped = document.replace("<FirstName>Ann</FirstName>\n        <LastName>Lee</LastName>",
                               "<LastName>Lee</LastName>\n        <FirstName>Ann</FirstName>")
    assert swapped != document
    assert any("FirstName" in p for p in schema.problems(swapped))


def test_schema_folder_comes_from_the_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert config.DEFAULT_SCHEMA_DIR == REFERENCE / "qbxml-13.0"
    monkeypatch.setenv(config.SCHEMA_DIR_ENV, str(tmp_path))
    assert config.schema_dir() == tmp_path
    with pytest.raises(schema.SchemaUnavailable, match=config.SCHEMA_DIR_ENV):
        schema.problems('<?qbxml version="13.0"?><QBXML/>')


def test_names_are_cut_to_the_limits_and_kept_unique() -> None:
    registry = NameRegistry(Store())
    long_name = "Speedy Fleet Services Incorporated of Greater Austin Texas"
    first = registry.reserve("entity", long_name, 41, "customer:C-1")
    second = registry.reserve("entity", long_name, 41, "customer:C-2")
    assert len(first) <= 41 and len(second) <= 41 and first != second
    assert first.startswith("Speedy Fleet") and " ~" in first
    assert registry.reserve("entity", long_name, 41, "customer:C-1") == first  # stable
    assert registry.reserve("entity", "Ann: Lee", 41, "customer:C-3") == "Ann- Lee"
    twin = registry.reserve("entity", "ann- lee", 41, "vendor:V-3")  # QuickBooks ignores case
    assert twin.lower() != "ann- lee" and twin.startswith("ann- lee ~")
    item = registry.reserve("item", "X" * 40, 31, "inventory_item:P-1")
    assert len(item) == 31
    assert candidates("Short", 41, "customer:C-9")[0] == "Short"


def test_a_name_quickbooks_has_elsewhere_is_avoided_for_good() -> None:
    registry = NameRegistry(Store())
    assert registry.reserve("entity", "Ann Lee", 41, "customer:C-1") == "Ann Lee"
    renamed = registry.reserve("entity", "Ann Lee", 41, "customer:C-1", avoid="Ann Lee")
    assert renamed.startswith("Ann Lee ~")
    assert registry.reserve("entity", "Ann Lee", 41, "customer:C-1") == renamed
    assert registry.reserve("entity", "Ann Lee", 41, "customer:C-2") != "Ann Lee"


def test_preview_names_do_not_claim_anything() -> None:
    store = Store()
    bctx = BuildContext(AccountingLinkSettings(), SHOP, store, reserve_names=False)
    customer = Customer(id="C-1", first_name="Ann", last_name="Lee")
    render([build(bctx, Step(_delivery(customer, 1), Purpose.ADD), "1")])
    assert store == {}


def test_responses_are_matched_by_request_id_with_their_status() -> None:
    replies = parse("""<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRs>
      <CustomerAddRs requestID="7.1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
        <CustomerRet><ListID>80-1</ListID><EditSequence>99</EditSequence><Name>Ann</Name>
        <FullName>Ann</FullName></CustomerRet></CustomerAddRs>
      <CustomerAddRs requestID="8.2" statusCode="3100" statusSeverity="Error"
        statusMessage="The name &quot;Bob&quot; of the list element is already in use."/>
      <InvoiceQueryRs requestID="9.3" statusCode="1" statusSeverity="Info" statusMessage="no match"/>
      <InvoiceAddRs requestID="10.4" statusCode="0" statusSeverity="Info"><InvoiceRet><TxnID>T-1</TxnID>
        <EditSequence>5</EditSequence><RefNumber>1001</RefNumber><Subtotal>100.00</Subtotal>
        <SalesTaxTotal>8.25</SalesTaxTotal></InvoiceRet></InvoiceAddRs>
    </QBXMLMsgsRs></QBXML>""")
    assert [(r.request_id, r.status_code, r.ok) for r in replies] == [
        ("7.1", 0, True), ("8.2", 3100, False), ("9.3", 1, False), ("10.4", 0, True)]
    assert replies[0].found[0].target_id == "80-1" and replies[0].found[0].edit_sequence == "99"
    assert '"Bob"' in replies[1].message and replies[2].nothing_found
    assert replies[3].found[0].total == Decimal("108.25") and replies[3].found[0].target_id == "T-1"
    with pytest.raises(ResponseError):
        parse("not xml")
    with pytest.raises(ResponseError):
        parse("<html/>")


def test_invoice_lines_follow_the_shops_taxable_flags(shop: Shop) -> None:
    invoice = every_kind_records()[5]
    bctx = BuildContext(AccountingLinkSettings(), shop, Store())
    document = render([build(bctx, Step(_delivery(invoice, 1), Purpose.ADD), "1")])
    lines = document.split("<InvoiceLineAdd>")[1:]
    codes = [line.split("<SalesTaxCodeRef>")[1].split("</FullName>")[0].split("<FullName>")[1]
             for line in lines]
    # labor, part, sublet, shop supplies, hazmat, labor discount, parts discount
    assert codes == ["Non", "Tax", "Non", "Tax", "Non", "Non", "Tax"]
    assert "<Amount>-10.00</Amount>" in lines[5] and "<Amount>-5.00</Amount>" in lines[6]
    no_tax_shop = replace(shop, tax=replace(shop.tax, taxable=frozenset()))
    bctx = BuildContext(AccountingLinkSettings(tax_code_non_taxable="E"), no_tax_shop, Store())
    document = render([build(bctx, Step(_delivery(invoice, 1), Purpose.ADD), "1")])
    assert "<FullName>Tax</FullName>" not in document and document.count("<FullName>E</FullName>") == 7
