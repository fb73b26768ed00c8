"""Putting a code into the namespace, safely under retries and races."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from coupons.core import account_items, code_items
from coupons.core.errors import CodeTaken, LimitReached
from coupons.core.models import CodeRecord, DiscountKind
from coupons.core.table import ConditionsFailed, Table


def fingerprint(partner: str, account: str, request: Mapping[str, Any]) -> str:
    """A stable hash of what was asked for (before defaults are applied, so that a retry on the
    next day, when "30 days from today" has moved, is still recognised as the same request)."""
    canonical = json.dumps({"partner": partner, "account": account, "request": request}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    record: CodeRecord
    replayed: bool  # True: an identical earlier request created it; nothing new was written


@dataclass(frozen=True)
class Budget:
    """A daily issuance budget of one account: how many codes, and how much gift-card value, it
    may create per UTC day (None: no limit of that kind)."""

    partner: str
    account: str
    codes: int | None = None
    gift_card_value: Decimal | None = None

    @property
    def limited(self) -> bool:
        return self.codes is not None or self.gift_card_value is not None


def create_code(table: Table, record: CodeRecord, taken_message: str = "Discount code already exists",
                budget: Budget | None = None) -> Issued:
    """One conditional put (with a budget: one transaction, the put and the day's counter). A
    clash with the same fingerprint is the caller's own retry (success, nothing written, nothing
    counted); any other clash is a duplicate, whoever made the code."""
    try:
        if budget is not None and budget.limited:
            _create_within_budget(table, record, budget)
        else:
            code_items.create(table, record)
    except code_items.CodeExists as clash:
        if record.fingerprint and clash.existing.fingerprint == record.fingerprint:
            return Issued(clash.existing, replayed=True)
        raise CodeTaken(taken_message) from None
    return Issued(record, replayed=False)


def _create_within_budget(table: Table, record: CodeRecord, budget: Budget) -> None:
    """The code and the day's counter in one transaction: the counter's condition is what holds
    the budget under any concurrency, and a refused code costs the budget nothing."""
    value = record.balance if record.discount.kind is DiscountKind.GIFT_CARD and record.balance else Decimal(0)
    try:
        table.transact({
            "code": {"Put": {"Item": table.serialize(code_items.to_item(record)),
                             "ConditionExpression": "attribute_not_exists(pk)"}},
            "budget": budget_part(table, budget, value, record.created_at),
        })
    except ConditionsFailed as refused:
        holder = refused.item("code")
        if "code" in refused and holder is not None:
            raise code_items.CodeExists(code_items.from_item(holder)) from None
        raise _over_budget(budget) from None


def budget_part(table: Table, budget: Budget, value: Decimal, at: datetime) -> dict[str, Any]:
    """The day's counter of ``budget`` as a ``Table.transact`` part: one more code and ``value``
    more, on condition that neither passes the budget. A wing adds it to the transaction that
    writes what it issues, so the count and the write commit together (or neither does); a
    cancelled transaction names the part (``ConditionsFailed``). Raises ``LimitReached`` at once
    when ``value`` alone is above the day's value budget. Only for a ``limited`` budget."""
    if not budget.limited:
        raise ValueError("a budget without limits has no counter to write")
    names = {"#codes": "codes", "#value": "gift_card_value"}
    values: dict[str, Any] = {":one": 1, ":value": value, ":expires": int(at.timestamp()) + 3 * 86400}
    conditions = []
    if budget.codes is not None:
        values[":max_codes"] = budget.codes
        conditions.append("(attribute_not_exists(#codes) OR #codes < :max_codes)")
    if budget.gift_card_value is not None:
        if value > budget.gift_card_value:
            raise _over_budget(budget)
        values[":room"] = budget.gift_card_value - value
        conditions.append("(attribute_not_exists(#value) OR #value <= :room)")
    return {"Update": {
        "Key": table.serialize(account_items.budget_key(budget.partner, budget.account, at.date())),
        "UpdateExpression": "ADD #codes :one, #value :value SET expires_at = :expires",
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": table.values(values),
    }}


def _over_budget(budget: Budget) -> LimitReached:
    limits = []
    if budget.codes is not None:
        limits.append(f"{budget.codes} codes")
    if budget.gift_card_value is not None:
        limits.append(f"{budget.gift_card_value} of gift-card value")
    return LimitReached(f"The daily budget of {budget.account!r} ({' and '.join(limits)} a day) is used up; "
                        "try again tomorrow or ask the brand to raise it")
