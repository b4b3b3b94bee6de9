"""Shops and record histories for plugin tests."""

from __future__ import annotations

from decimal import Decimal

from hub.domain.generator import generate_history
from hub.domain.records import Location, Record, Shop, TaxCategory, TaxSettings

# Region, time zone and sales-tax rate of a typical shop per country; anything else gets UTC
# and no tax, which is still a valid shop.
_COUNTRY_DEFAULTS: dict[str, tuple[str, str, str]] = {
    "US": ("TX", "America/Chicago", "0.0825"),
    "CA": ("ON", "America/Toronto", "0.13"),
    "GB": ("", "Europe/London", "0.20"),
    "AU": ("NSW", "Australia/Sydney", "0.10"),
    "DE": ("", "Europe/Berlin", "0.19"),
}


def make_shop(
    country: str = "US",
    *,
    shop_id: str = "shop-1",
    name: str = "Main Street Auto",
    region: str | None = None,
    timezone: str | None = None,
    tax_rate: Decimal | str | None = None,
    taxable: frozenset[TaxCategory] = frozenset({TaxCategory.PARTS, TaxCategory.SHOP_SUPPLIES}),
) -> Shop:
    """A shop in *country* with one location and the country's usual sales tax.

    ``make_shop()`` is a Texas shop charging 8.25 % on parts and shop supplies; every argument
    overrides one part of it.
    """
    default_region, default_zone, default_rate = _COUNTRY_DEFAULTS.get(country, ("", "UTC", "0"))
    return Shop(
        id=shop_id,
        name=name,
        country=country,
        region=default_region if region is None else region,
        timezone=default_zone if timezone is None else timezone,
        locations=(Location(id="loc-1", name=name),),
        tax=TaxSettings(rate=Decimal(default_rate if tax_rate is None else tax_rate), taxable=taxable),
    )


def sample_records(shop: Shop, repair_orders: int = 5, seed: int = 1) -> list[Record]:
    """A realistic, valid history for *shop* (customers, vendors, inventory, invoices,
    payments, purchases, returns), in dependency order; the same arguments give the same
    records."""
    return list(generate_history(seed, shop, repair_orders))
