"""The shop's schema: profile, locations and tax settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import ValidationError, fields, validates_schema

from hub.domain.countries import country_problem
from hub.domain.fields import ID_MAX, NAME_MAX, SHORT_MAX, EnumSet, flatten_messages, rate, text
from hub.domain.line_schemas import BuildsModel, nested_list
from hub.domain.money import ZERO
from hub.domain.records import Location, Shop, TaxCategory, TaxSettings
from hub.errors import RecordValidationError


class LocationSchema(BuildsModel):
    """One physical location of a shop."""

    __model__ = Location
    id = text(ID_MAX, required=True)
    name = text(NAME_MAX, required=True)


class TaxSettingsSchema(BuildsModel):
    """The sales-tax rate (a fraction: 0.0825 is 8.25 %) and the taxable categories."""

    __model__ = TaxSettings
    rate = rate(load_default=ZERO)
    taxable = EnumSet(TaxCategory, load_default=lambda: [TaxCategory.PARTS])


def _known_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"must be an IANA time zone such as America/New_York (got {name!r})") from None


def _iso_country(code: str) -> None:
    problem = country_problem(code)
    if problem is None and code != code.upper():
        problem = f"must be upper case, such as {code.upper()!r} (got {code!r})"
    if problem is not None:
        raise ValidationError(problem)


class ShopSchema(BuildsModel):
    """An auto-repair shop, with its locations and tax settings."""

    __model__ = Shop
    id = text(ID_MAX, required=True)
    name = text(NAME_MAX, required=True)
    country = fields.String(load_default="US", validate=_iso_country)
    region = text(SHORT_MAX)
    timezone = fields.String(load_default="America/New_York", validate=_known_timezone)
    locations = nested_list(LocationSchema)
    tax = fields.Nested(TaxSettingsSchema, load_default=TaxSettings)

    @validates_schema
    def _unique_locations(self, data: dict[str, Any], **_: Any) -> None:
        ids = [loc.id for loc in data.get("locations", [])]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValidationError(
                f"location ids must be unique (repeated: {', '.join(duplicates)})", field_name="locations"
            )


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
