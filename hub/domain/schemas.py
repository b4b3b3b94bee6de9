"""marshmallow schemas at the hub's boundary: JSON in, typed records out, and back.

* :func:`load_record` validates one record and builds it; it raises
  :class:`~hub.errors.RecordValidationError` naming the record, each field by its full path
  (``labor[2].hours``) and the rule broken.
* :func:`dump_record` makes the JSON-ready form (money as ``"12.50"``, dates ISO) that the hub
  stores and that :func:`load_record` reads back to an equal record.
* :data:`SCHEMAS` maps each kind to its schema class (the OpenAPI document is built from them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from hub.domain.dumping import dump_record
from hub.domain.fields import (
    DESCRIPTION_MAX,
    EMAIL_MAX,
    ID_MAX,
    NAME_MAX,
    NUMBER_MAX,
    PHONE_MAX,
    SHORT_MAX,
    EnumSet,
    enum,
    flatten_messages,
    money,
    quantity,
    rate,
    text,
)
from hub.domain.kinds import EntityKind
from hub.domain.money import ZERO, money_str
from hub.domain.records import (
    Address,
    Customer,
    FeeLine,
    InventoryItem,
    Invoice,
    InvoiceStatus,
    LaborLine,
    Location,
    PartLine,
    PartsPurchase,
    PartsReturn,
    Payment,
    PaymentMethod,
    PurchaseLine,
    Record,
    Shop,
    SubletDetail,
    SubletLine,
    TaxCategory,
    TaxSettings,
    Vehicle,
    Vendor,
)
from hub.errors import RecordValidationError

__all__ = [
    "SCHEMAS", "ShopSchema", "dump_record", "dump_shop", "load_record", "load_shop",
]


class _Builds(Schema):
    """A schema whose ``load`` returns an instance of ``__model__`` (a domain dataclass).

    List fields become tuples, because the domain classes are frozen and hashable.
    """

    __model__: type

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> Any:
        return self.__model__(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def _nested_list(schema: type[Schema]) -> fields.List:
    return fields.List(fields.Nested(schema), load_default=list)


# --- parts of records -------------------------------------------------------------------


class AddressSchema(_Builds):
    """A postal address; every part optional."""

    __model__ = Address
    line1 = text(NAME_MAX)
    line2 = text(NAME_MAX)
    city = text(NAME_MAX)
    region = text(SHORT_MAX)
    postal_code = text(20)
    country = text(2)


class VehicleSchema(_Builds):
    """The vehicle a repair order was for."""

    __model__ = Vehicle
    year = fields.Integer(
        strict=True, allow_none=True, load_default=None,
        validate=validate.Range(1886, 2100, error="must be a model year between {min} and {max}"),
    )
    make = text(SHORT_MAX)
    model = text(SHORT_MAX)
    vin = text(17)
    odometer = fields.Integer(
        strict=True, allow_none=True, load_default=None,
        validate=validate.Range(0, 10_000_000, error="must be between {min} and {max}"),
    )


class LaborLineSchema(_Builds):
    """Hours at a rate, by a technician."""

    __model__ = LaborLine
    description = text(DESCRIPTION_MAX, required=True)
    hours = quantity(required=True)
    rate = money(required=True)
    technician = text(NAME_MAX)


class PartLineSchema(_Builds):
    """A part sold on a repair order."""

    __model__ = PartLine
    part_number = text(NUMBER_MAX, required=True)
    description = text(DESCRIPTION_MAX, required=True)
    quantity = quantity(required=True)
    unit_price = money(required=True)


class SubletLineSchema(_Builds):
    """Work by another business resold on the repair order."""

    __model__ = SubletLine
    vendor_id = text(ID_MAX, required=True)
    description = text(DESCRIPTION_MAX, required=True)
    cost = money(required=True)
    price = money(required=True)


class FeeLineSchema(_Builds):
    """A hazmat, disposal or other fee."""

    __model__ = FeeLine
    description = text(DESCRIPTION_MAX, required=True)
    amount = money(required=True)


class PurchaseLineSchema(_Builds):
    """One part on a parts purchase or return."""

    __model__ = PurchaseLine
    part_number = text(NUMBER_MAX, required=True)
    description = text(DESCRIPTION_MAX)
    quantity = quantity(required=True)
    unit_cost = money(required=True)


def _total_mismatch(what: str, computed: Any, total: Any) -> ValidationError:
    return ValidationError(
        f"{what} add up to {money_str(computed)} but total is {money_str(total)}", field_name="total"
    )


# --- records ----------------------------------------------------------------------------


class RecordSchema(_Builds):
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
    labor = _nested_list(LaborLineSchema)
    parts = _nested_list(PartLineSchema)
    sublets = _nested_list(SubletLineSchema)
    shop_supplies = money(load_default=ZERO)
    fees = _nested_list(FeeLineSchema)
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
    lines = _nested_list(PurchaseLineSchema)
    fees = money(load_default=ZERO)
    total = money(required=True)

    @validates_schema
    def _adds_up(self, data: dict[str, Any], **_: Any) -> None:
        draft = PartsPurchase(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
        if draft.computed_total != draft.total:
            raise _total_mismatch("lines and fees", draft.computed_total, draft.total)


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
    lines = _nested_list(PurchaseLineSchema)
    total = money(required=True)

    @validates_schema
    def _adds_up(self, data: dict[str, Any], **_: Any) -> None:
        draft = PartsReturn(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
        if draft.computed_total != draft.total:
            raise _total_mismatch("lines", draft.computed_total, draft.total)


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


# --- the shop ---------------------------------------------------------------------------


class LocationSchema(_Builds):
    """One physical location of a shop."""

    __model__ = Location
    id = text(ID_MAX, required=True)
    name = text(NAME_MAX, required=True)


class TaxSettingsSchema(_Builds):
    """The sales-tax rate (a fraction: 0.0825 is 8.25 %) and the taxable categories."""

    __model__ = TaxSettings
    rate = rate(load_default=ZERO)
    taxable = EnumSet(TaxCategory, load_default=lambda: [TaxCategory.PARTS])


def _known_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"must be an IANA time zone such as America/New_York (got {name!r})") from None


class ShopSchema(_Builds):
    """An auto-repair shop, with its locations and tax settings."""

    __model__ = Shop
    id = text(ID_MAX, required=True)
    name = text(NAME_MAX, required=True)
    country = fields.String(
        load_default="US",
        validate=validate.Regexp(r"^[A-Z]{2}$", error="must be a two-letter ISO country code such as US"),
    )
    region = text(SHORT_MAX)
    timezone = fields.String(load_default="America/New_York", validate=_known_timezone)
    locations = _nested_list(LocationSchema)
    tax = fields.Nested(TaxSettingsSchema, load_default=TaxSettings)

    @validates_schema
    def _unique_locations(self, data: dict[str, Any], **_: Any) -> None:
        ids = [loc.id for loc in data.get("locations", [])]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValidationError(f"location ids must be unique (repeated: {', '.join(duplicates)})",
                                  field_name="locations")


_SHOP = ShopSchema()


def load_shop(data: Mapping[str, Any]) -> Shop:
    """Validate *data* as a shop and build it; raises ``RecordValidationError`` (kind ``shop``)."""
    shop_id = data.get("id") if isinstance(data, Mapping) else None
    try:
        return _SHOP.load(data)
    except ValidationError as exc:
        label = shop_id if isinstance(shop_id, str) else None
        raise RecordValidationError("shop", label, flatten_messages(exc.messages)) from None


def dump_shop(shop: Shop) -> dict[str, Any]:
    """The JSON-ready form of *shop*; :func:`load_shop` reads it back to an equal shop."""
    return _SHOP.dump(shop)
