"""Fixtures for the checkout tests: codes to redeem, a partner stub, local delivery."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from coupons.core import code_items
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner
from coupons.core.table import Table
from localrun.delivery import LocalDelivery
from localrun.partner_stub import PartnerStub

AUTH = "demo-key"  # the demo checkout key (localrun.demo.checkout), as "Authorization: Bearer" carries it
OWNER = Owner(partner="brandbassador", account="demo", person="anna")


def add_code(table: Table, code: str, kind: str = "percent", value: str = "10", currency: str | None = None,
             owner: Owner = OWNER, balance: str | None = None, max_uses: int | None = None,
             per_customer: int | None = None, starts_on: date | None = None, expires_on: date | None = None,
             status: str = "active") -> CodeRecord:
    if kind in ("gift_card", "fixed") and currency is None:
        currency = "EUR"
    if kind == "gift_card" and balance is None:
        balance = value
    record = CodeRecord(
        code=code, discount=Discount(kind=DiscountKind(kind), value=Decimal(value) if value else None,
                                     currency=currency),
        owner=owner, balance=Decimal(balance) if balance is not None else None, max_uses=max_uses,
        max_uses_per_customer=per_customer, starts_on=starts_on, expires_on=expires_on, status=status,
    )
    code_items.create(table, record)
    return record


@pytest.fixture
def stub() -> Iterator[PartnerStub]:
    partner = PartnerStub().start()
    yield partner
    partner.close()


def local_delivery(table: Table, stub: PartnerStub, **env: str) -> LocalDelivery:
    """The sender's handler driven by the local poller, partners at ``stub``, no backoff wait."""
    return LocalDelivery(table, {"BRANDBASSADOR_TRACKING_URL": stub.url, "DELIVERY_BACKOFF_SECONDS": "0", **env})


def drain(sales: LocalDelivery, rounds: int = 50) -> int:
    """Run the poller until nothing is due; how many rounds handed events over."""
    for used in range(rounds):
        if sales.run_once() == 0:
            return used
    raise AssertionError(f"events still pending after {rounds} rounds")
