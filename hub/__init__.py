"""LedgerHub: a one-way bridge from shop-management systems to accounting targets.

This module is the public API for plugin authors: the hook marker, the target interface, the
domain types and the error tree. Plugins import from here (or the modules named below) and
nothing else of the hub.
"""

from __future__ import annotations

from hub.domain.kinds import DEPENDENCY_ORDER, EntityKind
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
from hub.errors import (
    ConfigurationError,
    DeliveryError,
    FatalConnectionError,
    HubError,
    NeedsAttentionError,
    PluginError,
    RecordValidationError,
    RetryableError,
)
from hub.plugin import hookimpl
from hub.plugin.target import (
    Action,
    ConnectionContext,
    Delivery,
    DeliveryMode,
    DeliveryResult,
    ExternalRef,
    HubServices,
    KeyValueStore,
    PreviewDocument,
    Target,
)

__version__ = "0.1.0"

__all__ = [
    "DEPENDENCY_ORDER",
    "Action",
    "Address",
    "ConfigurationError",
    "ConnectionContext",
    "Customer",
    "Delivery",
    "DeliveryError",
    "DeliveryMode",
    "DeliveryResult",
    "EntityKind",
    "ExternalRef",
    "FatalConnectionError",
    "FeeLine",
    "HubError",
    "HubServices",
    "InventoryItem",
    "Invoice",
    "InvoiceStatus",
    "KeyValueStore",
    "LaborLine",
    "Location",
    "NeedsAttentionError",
    "PartLine",
    "PartsPurchase",
    "PartsReturn",
    "Payment",
    "PaymentMethod",
    "PluginError",
    "PreviewDocument",
    "PurchaseLine",
    "Record",
    "RecordValidationError",
    "RetryableError",
    "Shop",
    "SubletDetail",
    "SubletLine",
    "TaxCategory",
    "TaxSettings",
    "Target",
    "Vehicle",
    "Vendor",
    "__version__",
    "hookimpl",
]
