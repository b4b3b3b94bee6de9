"""Schemas of the parts records are made of: lines, addresses, the vehicle.

Also the base every domain schema derives from, which builds the dataclass on load.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate

from hub.domain.fields import DESCRIPTION_MAX, ID_MAX, NAME_MAX, NUMBER_MAX, SHORT_MAX, money, quantity, text
from hub.domain.money import money_str
from hub.domain.records import Address, FeeLine, LaborLine, PartLine, PurchaseLine, SubletLine, Vehicle


class BuildsModel(Schema):
    """A schema whose ``load`` returns an instance of ``__model__`` (a domain dataclass).

    List fields become tuples, because the domain classes are frozen and hashable.
    """

    __model__: type

    @post_load
    def _build(self, data: dict[str, Any], **_: Any) -> Any:
        return self.__model__(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


def nested_list(schema: type[Schema]) -> fields.List:
    """A list of *schema* objects, empty when left out."""
    return fields.List(fields.Nested(schema), load_default=list)


class AddressSchema(BuildsModel):
    """A postal address; every part optional."""

    __model__ = Address
    line1 = text(NAME_MAX)
    line2 = text(NAME_MAX)
    city = text(NAME_MAX)
    region = text(SHORT_MAX)
    postal_code = text(20)
    country = text(2)


class VehicleSchema(BuildsModel):
    """The vehicle a repair order was for."""

    __model__ = Vehicle
    year = fields.Integer(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=validate.Range(1886, 2100, error="must be a model year between {min} and {max}"),
    )
    make = text(SHORT_MAX)
    model = text(SHORT_MAX)
    vin = text(17)
    odometer = fields.Integer(
        strict=True,
        allow_none=True,
        load_default=None,
        validate=validate.Range(0, 10_000_000, error="must be between {min} and {max}"),
    )


class LaborLineSchema(BuildsModel):
    """Hours at a rate, by a technician."""

    __model__ = LaborLine
    description = text(DESCRIPTION_MAX, required=True)
    hours = quantity(required=True)
    rate = money(required=True)
    technician = text(NAME_MAX)


class PartLineSchema(BuildsModel):
    """A part sold on a repair order."""

    __model__ = PartLine
    part_number = text(NUMBER_MAX, required=True)
    description = text(DESCRIPTION_MAX, required=True)
    quantity = quantity(required=True)
    unit_price = money(required=True)


class SubletLineSchema(BuildsModel):
    """Work by another business resold on the repair order."""

    __model__ = SubletLine
    vendor_id = text(ID_MAX, required=True)
    description = text(DESCRIPTION_MAX, required=True)
    cost = money(required=True)
    price = money(required=True)


class FeeLineSchema(BuildsModel):
    """A hazmat, disposal or other fee."""

    __model__ = FeeLine
    description = text(DESCRIPTION_MAX, required=True)
    amount = money(required=True)


class PurchaseLineSchema(BuildsModel):
    """One part on a parts purchase or return."""

    __model__ = PurchaseLine
    part_number = text(NUMBER_MAX, required=True)
    description = text(DESCRIPTION_MAX)
    quantity = quantity(required=True)
    unit_cost = money(required=True)


def total_mismatch(what: str, computed: Any, total: Any) -> ValidationError:
    """The error for a ``total`` that differs from what its parts add up to (both figures)."""
    return ValidationError(
        f"{what} add up to {money_str(computed)} but total is {money_str(total)}", field_name="total"
    )
