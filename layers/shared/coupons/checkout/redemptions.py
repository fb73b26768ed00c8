"""The brand's checkout: validate, redeem and roll back codes of every partner; gift-card balances.

One read and at most one write per request. The read (one strongly consistent BatchGetItem) fetches
the checkout key, the code, the order's redemption and the customer's counter together: it lets a
retry be answered without writing and lets a code that plainly does not apply be refused without
writing. It enforces nothing: single use, usage limits, per-customer limits and gift-card balances
are conditions of the one TransactWriteItems that records the redemption (store.redemptions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from coupons.checkout import items as store
from coupons.checkout.rules import (
    CodeRefused,
    Quote,
    Reason,
    order_digest,
    parse_redemption_id,
    quote,
    redemption_id,
    refusal,
)
from coupons.core import account_items, code_items, codes
from coupons.core.credentials import hash_secret, verify_secret
from coupons.core.errors import NotFound, Unauthenticated
from coupons.core.models import Account, CodeRecord, DiscountKind, utcnow
from coupons.core.sales import Cart, Customer, Redemption, RedemptionState
from coupons.core.table import ConditionsFailed, Table

PARTNER = "checkout"  # checkout keys are accounts of this partner
_USED_BY_ORDERS = (Reason.USED_UP, Reason.INSUFFICIENT_BALANCE, Reason.CUSTOMER_LIMIT_REACHED)


# ---- checkout keys -----------------------------------------------------------------------------


def key_id(key: str) -> str:
    """Where a checkout key's account lives. A bearer key names no account, so the account is
    found by a hash of the key itself; the salted hash in the account is what is verified."""
    return hash_secret(key, salt="checkout-key-id").rsplit("$", 1)[1][:32]


def new_key_account(name: str, key: str) -> Account:
    return Account(partner=PARTNER, account_id=key_id(key), secret_hash=hash_secret(key), settings={"name": name})


def _verify(key: str, account_item: dict | None) -> None:
    stored = account_item.get("secret_hash") if account_item else None
    if not verify_secret(key, stored):
        raise Unauthenticated("The checkout key is not valid")


# ---- validate and redeem -----------------------------------------------------------------------


@dataclass(frozen=True)
class Redeemed:
    redemption: Redemption
    replayed: bool  # True: this order had already redeemed this code; nothing new was written


def _read(table: Table, key: str, code: str, order_id: str | None, customer: Customer):
    """``(code record, this order's earlier redemption, the customer's uses)`` after checking the key."""
    keys = {"account": account_items.key(PARTNER, key_id(key)), "code": code_items.key(code)}
    if order_id is not None:
        keys["redemption"] = store.redemption_key(code, order_digest(order_id))
    if customer.key is not None:
        keys["customer"] = store.customer_key(code, customer.key)
    found = dict(zip(keys, table.get_many(list(keys.values()), consistent=True), strict=True))
    _verify(key, found["account"])
    record = code_items.from_item(found["code"]) if found["code"] else None
    earlier = store.from_item(found["redemption"]) if found.get("redemption") else None
    counter = found.get("customer")
    return record, earlier, int(counter["uses"]) if counter else 0


def validate(table: Table, key: str, code: str, cart: Cart, customer: Customer,
             amount: Decimal | None = None) -> Quote:
    code = codes.require_valid(code)
    record, _, customer_uses = _read(table, key, code, None, customer)
    return quote(record, code, cart, utcnow().date(), amount, customer_uses, customer.key is not None)


def redeem(table: Table, key: str, code: str, order_id: str, cart: Cart, customer: Customer,
           amount: Decimal | None = None, ref: str | None = None) -> Redeemed:
    code = codes.require_valid(code)
    record, earlier, customer_uses = _read(table, key, code, order_id, customer)
    if earlier is not None:
        return Redeemed(earlier, replayed=True)
    now = utcnow()
    try:
        given = quote(record, code, cart, now.date(), amount, customer_uses, customer.key is not None)
    except CodeRefused as refused:
        # BatchGetItem reads each item consistently but not all at one instant: this order's own
        # first try may have committed between the two reads. Refusals that its redemption could
        # explain get one more look at it.
        if refused.reason in _USED_BY_ORDERS:
            again = table.get_many([store.redemption_key(code, order_digest(order_id))], consistent=True)[0]
            if again is not None:
                return Redeemed(store.from_item(again), replayed=True)
        raise
    limited = record.max_uses_per_customer is not None
    redemption = Redemption(
        id=redemption_id(code, order_id), code=code, order_id=order_id, kind=record.discount.kind, cart=cart,
        customer=customer, customer_key=customer.key if limited else None, discount=given.discount,
        shipping_discount=given.shipping_discount, gift_card_amount=given.gift_card_amount, owner=record.owner,
        ref=ref, created_at=now,
    )
    try:
        store.redeem(table, redemption, record, record.max_uses_per_customer)
    except ConditionsFailed as refused:
        if "redemption" in refused.failed:  # the same order won a race against its own retry
            return Redeemed(store.from_item(refused.failed["redemption"]), replayed=True)
        if "code" in refused.failed:
            spent = amount if amount is not None else redemption.gift_card_amount
            raise _why(refused.failed["code"], code, cart, now, spent) from None
        limit = record.max_uses_per_customer
        raise CodeRefused(Reason.CUSTOMER_LIMIT_REACHED,
                          f"This customer has used the code {code} {limit} times, the most allowed") from None
    return Redeemed(redemption, replayed=False)


def _why(item: dict | None, code: str, cart: Cart, now: datetime, amount: Decimal) -> CodeRefused:
    """The code item as the failed condition found it, explained by the same rules as validate."""
    record = code_items.from_item(item) if item else None
    amount_for_rules = amount if record and record.discount.kind is DiscountKind.GIFT_CARD else None
    found = refusal(record, code, cart, now.date(), amount_for_rules)
    # A condition failed, so some rule was broken at that instant; if the item has changed back
    # since (a rollback in between), say it was used up rather than nothing.
    return found or CodeRefused(Reason.USED_UP, f"The code {code} was used by another order at the same time")


# ---- rollback and gift cards -------------------------------------------------------------------


def rollback(table: Table, key: str, redemption: str) -> Redeemed:
    code, digest = parse_redemption_id(redemption)
    account, item = table.get_many([account_items.key(PARTNER, key_id(key)), store.redemption_key(code, digest)], consistent=True)
    _verify(key, account)
    if item is None:
        raise NotFound(f"Unknown redemption {redemption!r}")
    found = store.from_item(item)
    if found.state is RedemptionState.ROLLED_BACK:
        return Redeemed(found, replayed=True)
    now = utcnow()
    try:
        store.roll_back(table, found, now)
    except ConditionsFailed as refused:
        if "redemption" in refused.failed:  # a concurrent rollback got there first
            return Redeemed(store.from_item(refused.failed["redemption"]), replayed=True)
        raise
    return Redeemed(found.model_copy(update={"state": RedemptionState.ROLLED_BACK, "rolled_back_at": now}), False)


@dataclass(frozen=True)
class GiftCard:
    record: CodeRecord
    history: list[Redemption]


def gift_card(table: Table, key: str, code: str) -> GiftCard:
    code = codes.require_valid(code)
    _verify(key, table.get_many([account_items.key(PARTNER, key_id(key))], consistent=True)[0])
    record, history = store.code_partition(table, code)
    if record is None:
        raise CodeRefused(Reason.UNKNOWN, f"The code {code} does not exist")
    if record.discount.kind is not DiscountKind.GIFT_CARD:
        raise CodeRefused(Reason.NOT_A_GIFT_CARD, f"The code {code} is not a gift card")
    return GiftCard(record, history)
