"""marshmallow schemas at the hub's boundary: JSON in, typed records out, and back.

* :func:`load_record` validates one record and builds it; it raises
  :class:`~hub.errors.RecordValidationError` naming the record, each field by its full path
  (``labor[2].hours``) and the rule broken.
* :func:`dump_record` makes the JSON-ready form (money as ``"12.50"``, dates ISO) that the hub
  stores and that :func:`load_record` reads back to an equal record.
* :data:`SCHEMAS` maps each kind to its schema class (the OpenAPI document is built from them).
* :class:`ShopSchema`, :func:`load_shop` and :func:`dump_shop` do the same for a shop.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, validates_schema

from hub.domain.dumping import dump_record
from hub.domain.fields import (
    DESCRIPTION_MAX,
    EMAIL_MAX,
    ID_MAX,
    NAME_MAX,
    NUMBER_MAX,
    PHONE_MAX,
    enum,
    flatten_messages,
    money,
    quantity,
    text,
)
from hub.domain.kinds import EntityKind
from hub.domain.line_schemas import (
    AddressSchema,
    BuildsModel,
    FeeLineSchema,
    LaborLineSchema,
    PartLineSchema,
    PurchaseLineSchema,
    SubletLineSchema,
    VehicleSchema,
    nested_list,
    total_mismatch,
)
from hub.domain.money import ZERO, money_str
from hub.domain.records import (
    Address,
    Customer,
    InventoryItem,
    Invoice,
    InvoiceStatus,
    PartsPurchase,
    PartsReturn,
    Payment,
    PaymentMethod,
    Record,
    SubletDetail,
    Vehicle,
    Vendor,
)
from hub.domain.shop_schema import ShopSchema, dump_shop, load_shop
from hub.errors import RecordValidationError

__all__ = [
    "SCHEMAS",
    "ShopSchema",
    "dump_record",
    "dump_shop",
    "load_record",
    "load_shop",
    "parse_kind",
]

# --- records ----------------------------------------------------------------------------


class RecordSchema(BuildsModel):
    """Fields every record has: the shop system's own ``id``."""

    id = text(ID_MAX, required=True)


class CustomerSchema(RecordSchema):
    """A customer (a person or a fleet company)."""

    __model__ = Customer
    first_name = text(NAME_MAX)
    last_name = text(NAME_MAX)
    company_name = text(NAME_MAX)
    email = text(EMAIL_MAX)
    phone = text(PHONE_MAX)
    address = fields.Nested(AddressSchema, load_default=Address)

    @validates_schema
    def _has_a_name(self, data: dict[str, Any], **_: Any) -> None:
        if not any(data.get(k, "").strip() for k in ("first_name", "last_name", "company_name")):
            raise ValidationError(
                "a customer needs a first name, last name or company name", field_name="last_name"
            )


class VendorSchema(RecordSchema):
    """A parts supplier or sublet vendor."""

    __model__ = Vendor
    name = text(NAME_MAX, required=True)
    email = text(EMAIL_MAX)
    phone = text(PHONE_MAX)
    address = fields.Nested(AddressSchema, load_default=Address)


class InventoryItemSchema(RecordSchema):
    """A part the shop stocks."""

    __model__ = InventoryItem
    part_number = text(NUMBER_MAX, required=True)
    description = text(DESCRIPTION_MAX)
    quantity_on_hand = quantity(load_default=ZERO)
    cost = money(load_default=ZERO)
    price = money(load_default=ZERO)


class InvoiceSchema(RecordSchema):
    """A closed or voided repair order. Lines, less discounts, plus tax must equal ``total``."""

    __model__ = Invoice
    number = text(NUMBER_MAX, required=True)
    repair_order_number = text(NUMBER_MAX)
    customer_id = text(ID_MAX, required=True)
    location_id = text(ID_MAX)
    status = enum(InvoiceStatus, load_default=InvoiceStatus.CLOSED)
    invoice_date = fields.Date(required=True)
    closed_at = fields.AwareDateTime(allow_none=True, load_default=None, default_timezone=None)
    vehicle = fields.Nested(VehicleSchema, load_default=Vehicle)
    labor = nested_list(LaborLineSchema)
    parts = nested_list(PartLineSchema)
    sublets = nested_list(SubletLineSchema)
    shop_supplies = money(load_default=ZERO)
    fees = nested_list(FeeLineSchema)
    labor_discount = money(load_default=ZERO)
    parts_discount = money(load_default=ZERO)
    tax = money(load_default=ZERO)
    total = money(required=True)

    @validates_schema
    def _adds_up(self, data: dict[str, Any], **_: Any) -> None:
        draft = Invoice(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
        errors: dict[str, list[str]] = {}
        if draft.labor_discount > draft.labor_total:
            errors["labor_discount"] = [
                f"must not exceed the labor total {money_str(draft.labor_total)} "
                f"(got {money_str(draft.labor_discount)})"
            ]
        if draft.parts_discount > draft.parts_total:
            errors["parts_discount"] = [
                f"must not exceed the parts total {money_str(draft.parts_total)} "
                f"(got {money_str(draft.parts_discount)})"
            ]
        if draft.computed_total != draft.total:
            errors["total"] = [
                f"lines, discounts and tax add up to {money_str(draft.computed_total)} "
                f"but total is {money_str(draft.total)}"
            ]
        if errors:
            raise ValidationError(errors)


class PaymentSchema(RecordSchema):
    """A payment applied to one invoice."""

    __model__ = Payment
    invoice_id = text(ID_MAX, required=True)
    amount = money(required=True, positive=True)
    method = enum(PaymentMethod, required=True)
    reference = text(NAME_MAX)
    received_on = fields.Date(required=True)
    voided = fields.Boolean(load_default=False)


class PartsPurchaseSchema(RecordSchema):
    """A vendor's parts invoice. Lines plus fees must equal ``total``."""

    __model__ = PartsPurchase
    vendor_id = text(ID_MAX, required=True)
    vendor_invoice_number = text(NUMBER_MAX, required=True)
    purchase_date = fields.Date(required=True)
    location_id = text(ID_MAX)
    lines = nested_list(PurchaseLineSchema)
    fees = money(load_default=ZERO)
    total = money(required=True)

    @validates_schema
    def _adds_up(self, data: dict[str, Any], **_: Any) -> None:
        draft = PartsPurchase(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
        if draft.computed_total != draft.total:
            raise total_mismatch("lines and fees", draft.computed_total, draft.total)


class SubletDetailSchema(RecordSchema):
    """What a sublet vendor charged the shop for work on a repair order."""

    __model__ = SubletDetail
    vendor_id = text(ID_MAX, required=True)
    repair_order_number = text(NUMBER_MAX, required=True)
    invoice_id = text(ID_MAX)
    description = text(DESCRIPTION_MAX, required=True)
    cost = money(required=True)
    detail_date = fields.Date(required=True)


class PartsReturnSchema(RecordSchema):
    """Parts sent back to a vendor for credit. The lines must add up to ``total``."""

    __model__ = PartsReturn
    vendor_id = text(ID_MAX, required=True)
    credit_number = text(NUMBER_MAX, required=True)
    return_date = fields.Date(required=True)
    lines = nested_list(PurchaseLineSchema)
    total = money(required=True)

    @validates_schema
    def _adds_up(self, data: dict[str, Any], **_: Any) -> None:
        draft = PartsReturn(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
        if draft.computed_total != draft.total:
            raise total_mismatch("lines", draft.computed_total, draft.total)


#: The schema class of each kind of record.
SCHEMAS: dict[EntityKind, type[RecordSchema]] = {
    EntityKind.CUSTOMER: CustomerSchema,
    EntityKind.VENDOR: VendorSchema,
    EntityKind.INVENTORY_ITEM: InventoryItemSchema,
    EntityKind.INVOICE: InvoiceSchema,
    EntityKind.PAYMENT: PaymentSchema,
    EntityKind.PARTS_PURCHASE: PartsPurchaseSchema,
    EntityKind.SUBLET_DETAIL: SubletDetailSchema,
    EntityKind.PARTS_RETURN: PartsReturnSchema,
}

# Schemas keep no per-call state, so one instance per kind serves every load.
_LOADERS: dict[EntityKind, Schema] = {kind: cls() for kind, cls in SCHEMAS.items()}


def parse_kind(kind: str | EntityKind) -> EntityKind:
    """The :class:`EntityKind` named *kind*; raises ``ValueError`` listing the known kinds."""
    try:
        return EntityKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in EntityKind)
        raise ValueError(f"unknown kind {kind!r}; known kinds: {known}") from None


def load_record(kind: str | EntityKind, data: Mapping[str, Any]) -> Record:
    """Validate *data* as a record of *kind* and build it.

    :raises RecordValidationError: with ``{field_path: [messages]}``; every message names the
        rule, e.g. ``lines, discounts and tax add up to 412.50 but total is 412.05``.
    """
    record_id = data.get("id") if isinstance(data, Mapping) else None
    label_id = record_id if isinstance(record_id, str) else None
    try:
        entity_kind = parse_kind(kind)
    except ValueError as exc:
        raise RecordValidationError(str(kind), label_id, {"kind": [str(exc)]}) from None
    if not isinstance(data, Mapping):
        raise RecordValidationError(entity_kind.value, None, {"_record": ["must be a JSON object"]})
    try:
        return _LOADERS[entity_kind].load(data)
    except ValidationError as exc:
        raise RecordValidationError(entity_kind.value, label_id, flatten_messages(exc.messages)) from None
