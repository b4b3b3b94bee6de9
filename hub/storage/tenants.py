"""Shops, their users, their API tokens and their feature switches."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from hub.domain.records import Shop
from hub.domain.schemas import dump_shop, load_shop
from hub.errors import ConfigurationError
from hub.storage.models import ApiTokenRow, ShopRow, ShopUserRow

TOKEN_PREFIX = "lh_"


def add_shop(session: Session, shop: Shop, now: datetime) -> None:
    """Store a new shop; a shop id already taken raises ``ConfigurationError``."""
    if session.get(ShopRow, shop.id) is not None:
        raise ConfigurationError(f"shop {shop.id!r} already exists", {"id": ["is already taken"]})
    session.add(ShopRow(id=shop.id, name=shop.name, profile=dump_shop(shop), features={}, created_at=now))


def shop_row(session: Session, shop_id: str) -> ShopRow:
    """The shop's row; an unknown id raises ``KeyError``."""
    row = session.get(ShopRow, shop_id)
    if row is None:
        raise KeyError(f"no shop {shop_id!r}")
    return row


def load_shop_row(row: ShopRow) -> Shop:
    """The :class:`Shop` stored in *row*."""
    return load_shop(row.profile)


def list_shops(session: Session, limit: int = 1000) -> list[Shop]:
    """Shops ordered by name (then id), at most *limit*."""
    rows = session.scalars(select(ShopRow).order_by(ShopRow.name, ShopRow.id).limit(limit))
    return [load_shop_row(row) for row in rows]


def update_shop(session: Session, shop: Shop) -> None:
    """Replace the stored profile of an existing shop."""
    row = shop_row(session, shop.id)
    row.name = shop.name
    row.profile = dump_shop(shop)


def set_feature(session: Session, shop_id: str, name: str, on: bool) -> None:
    """Turn a per-shop feature (a subscription such as ``"qbo"``) on or off."""
    row = shop_row(session, shop_id)
    row.features = {**row.features, name: bool(on)}


def features(session: Session, shop_id: str) -> dict[str, Any]:
    """The shop's feature switches."""
    return dict(shop_row(session, shop_id).features)


def hash_token(token: str) -> str:
    """The stored form of an API token. Tokens are random, so a plain SHA-256 suffices."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, shop_id: str, now: datetime) -> str:
    """Create an API token for *shop_id*; the plaintext is returned once and never stored."""
    shop_row(session, shop_id)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiTokenRow(shop_id=shop_id, token_hash=hash_token(token), prefix=token[:10], created_at=now))
    return token


def shop_for_token(session: Session, token: str) -> str | None:
    """The shop an API token belongs to, or ``None`` for an unknown or revoked token."""
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    return row.shop_id


def revoke_token(session: Session, token: str, now: datetime) -> bool:
    """Revoke a token; True if it existed."""
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == hash_token(token)))
    if row is None:
        return False
    row.revoked_at = now
    return True


def add_user(session: Session, shop_id: str, email: str, password: str, now: datetime) -> int:
    """Create a shop user with a salted, slow password hash; returns the user id."""
    shop_row(session, shop_id)
    email = email.strip().lower()
    if not email or "@" not in email:
        raise ConfigurationError("invalid email", {"email": ["must be an email address"]})
    if len(password) < 8:
        raise ConfigurationError("password too short", {"password": ["must be at least 8 characters"]})
    if session.scalar(select(ShopUserRow.id).where(ShopUserRow.email == email)) is not None:
        raise ConfigurationError("email taken", {"email": ["is already registered"]})
    row = ShopUserRow(
        shop_id=shop_id, email=email, password_hash=generate_password_hash(password), created_at=now
    )
    session.add(row)
    session.flush()
    return row.id


def check_user(session: Session, email: str, password: str) -> str | None:
    """The shop of the user with this email and password, or ``None``."""
    row = session.scalar(select(ShopUserRow).where(ShopUserRow.email == email.strip().lower()))
    if row is None or not check_password_hash(row.password_hash, password):
        return None
    return row.shop_id
