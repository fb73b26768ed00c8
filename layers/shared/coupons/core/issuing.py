"""Putting a code into the namespace, safely under retries and races."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
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
    """A daily issuance budget of one account: how many codes, how much gift-card value and how much
    fixed-discount value (a flat coupon's amount) it may create per UTC day (None: no limit of that kind)."""

    partner: str
    account: str
    codes: int | None = None
    gift_card_value: Decimal | None = None
    fixed_value: Decimal | None = None
    # The day's counter beside the account instead of in its partition (account_items.budget_key),
    # for a function whose policy may count its budget but not write its account item.
    own_partition: bool = False

    @property
    def limited(self) -> bool:
        return self.codes is not None or self.gift_card_value is not None or self.fixed_value is not None

    def counter_key(self, day: date) -> dict[str, Any]:
        return account_items.budget_key(self.partner, self.account, day, own_partition=self.own_partition)

    def count(self, table: Table, record: CodeRecord) -> dict[str, Any]:
        """The transaction part that counts ``record`` against its day's budget (see ``part``); for
        the writer's own transaction, and ``create_code``'s for a lone code."""
        gift_card = record.balance if record.discount.kind is DiscountKind.GIFT_CARD and record.balance else Decimal(0)
        fixed = record.discount.value if record.discount.kind is DiscountKind.FIXED and record.discount.value else None
        return self.part(table, record.created_at, gift_card, fixed)

    def part(self, table: Table, at: datetime, gift_card: Decimal = Decimal(0),
             fixed: Decimal | None = None) -> dict[str, Any]:
        """An ``Update`` of the day's counter (one more issue, ``gift_card`` more gift-card value,
        ``fixed`` more fixed-discount value) whose condition holds the limits under any concurrency
        (a cancelled transaction counts nothing). ``LimitReached`` at once when this issue alone is
        over a value limit. For an issue that is not a code record (a reward without a code)."""
        names = {"#codes": "codes", "#value": "gift_card_value"}
        values: dict[str, Any] = {":one": 1, ":value": gift_card, ":expires": int(at.timestamp()) + 3 * 86400}
        adds = ["#codes :one", "#value :value"]
        conditions = []
        if self.codes is not None:
            values[":max_codes"] = self.codes
            conditions.append("(attribute_not_exists(#codes) OR #codes < :max_codes)")
        if self.gift_card_value is not None:
            if gift_card > self.gift_card_value:
                raise self.refusal()
            values[":room"] = self.gift_card_value - gift_card
            conditions.append("(attribute_not_exists(#value) OR #value <= :room)")
        if fixed is not None:
            names["#fixed"] = "fixed_value"
            values[":fixed"] = fixed
            adds.append("#fixed :fixed")
            if self.fixed_value is not None:
                if fixed > self.fixed_value:
                    raise self.refusal()
                values[":fixed_room"] = self.fixed_value - fixed
                conditions.append("(attribute_not_exists(#fixed) OR #fixed <= :fixed_room)")
        update: dict[str, Any] = {
            "Key": table.serialize(self.counter_key(at.date())),
            "UpdateExpression": f"ADD {', '.join(adds)} SET expires_at = :expires",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": table.values(values),
        }
        if conditions:
            update["ConditionExpression"] = " AND ".join(conditions)
        return {"Update": update}

    def refusal(self) -> LimitReached:
        limits = []
        if self.codes is not None:
            limits.append(f"{self.codes} codes")
        if self.gift_card_value is not None:
            limits.append(f"{self.gift_card_value} of gift-card value")
        if self.fixed_value is not None:
            limits.append(f"{self.fixed_value} of fixed discounts")
        return LimitReached(f"The daily budget of {self.account!r} ({' and '.join(limits)} a day) is used up; "
                            "try again tomorrow or ask the brand to raise it")


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
    try:
        code_items.create(table, record, budget=budget.count(table, record))
    except ConditionsFailed:
        raise budget.refusal() from None
