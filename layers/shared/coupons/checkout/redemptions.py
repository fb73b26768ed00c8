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
from coupons.checkout.rules import CodeRefused, Quote, Reason, order_digest, parse_redemption_id, quote, redemption_id, refusal
from coupons.core import account_items, code_items, codes, money
from coupons.core.credentials import hash_secret, verify_secret
from coupons.core.errors import InvalidRequest, NotFound, Unauthenticated, Unavailable
from coupons.core.models import Account, CodeRecord, DiscountKind, Owner, utcnow
from coupons.core.sales import Cart, Customer, Redemption, RedemptionState, RefRefused, Refund, partner_of_ref
from coupons.core.table import ConditionsFailed, Table

PARTNER = "checkout"  # checkout keys are accounts of this partner
RACE_ATTEMPTS = 10  # reads and conditional writes before a refund or rollback that keeps losing races is a 503
_USED_BY_ORDERS = (Reason.USED_UP, Reason.INSUFFICIENT_BALANCE, Reason.CUSTOMER_LIMIT_REACHED)


# ---- checkout keys -----------------------------------------------------------------------------


def key_id(key: str) -> str:
    """Where a checkout key's account lives. A bearer key names no account, so the account is
    found by a hash of the key itself; the salted hash in the account is what is verified."""
    return hash_secret(key, salt="checkout-key-id").rsplit("$", 1)[1][:32]


def new_key_account(name: str, key: str) -> Account:
    return Account(partner=PARTNER, account_id=key_id(key), secret_hash=hash_secret(key), settings={"name": name})


def authenticate(table: Table, key: str) -> None:
    """The key alone, before anything else of the request is looked at (a malformed body)."""
    _verify(key, table.get_many([account_items.key(PARTNER, key_id(key))], consistent=True)[0])


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
    earlier = store.from_item(item) if (item := found.get("redemption")) else None
    counter = found.get("customer")
    return record, earlier, int(counter["uses"]) if counter else 0


def validate(table: Table, key: str, code: str, cart: Cart, customer: Customer,
             amount: Decimal | None = None) -> Quote:
    code = codes.require_valid(code, codes.WITH_HYPHENS)
    record, _, customer_uses = _read(table, key, code, None, customer)
    return quote(record, code, cart, utcnow().date(), amount, customer_uses, customer.key is not None)


def redeem(table: Table, key: str, code: str, order_id: str, cart: Cart, customer: Customer,
           amount: Decimal | None = None, ref: str | None = None) -> Redeemed:
    code = codes.require_valid(code, codes.WITH_HYPHENS)
    record, earlier, customer_uses = _read(table, key, code, order_id, customer)
    if earlier is not None:
        return _replay(earlier)
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
                return _replay(store.from_item(again))
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
        if mine := refused.failed.get("redemption"):  # the same order won a race against its own retry
            return _replay(store.from_item(mine))
        if "code" in refused.failed:
            spent = amount if amount is not None else redemption.gift_card_amount
            raise _why(refused.failed["code"], code, cart, now, spent) from None
        limit = record.max_uses_per_customer
        raise CodeRefused(Reason.CUSTOMER_LIMIT_REACHED,
                          f"This customer has used the code {code} {limit} times, the most allowed") from None
    return Redeemed(redemption, replayed=False)


def _replay(earlier: Redemption) -> Redeemed:
    """This order redeemed this code before: the same answer again, unless the redemption was
    rolled back since; then no success may describe it (nothing is taken any more)."""
    if earlier.state is RedemptionState.ROLLED_BACK:
        raise CodeRefused(Reason.ROLLED_BACK,
                          f"Order {earlier.order_id} redeemed {earlier.code} and was rolled back; nothing is taken "
                          "for it now. To redeem the code again, use a new order id")
    return Redeemed(earlier, replayed=True)


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
    for _ in range(RACE_ATTEMPTS):
        account, item = table.get_many([account_items.key(PARTNER, key_id(key)), store.redemption_key(code, digest)],
                                       consistent=True)
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
            if "redemption" in refused.failed:  # a concurrent rollback or refund: read again
                continue
            raise
        return Redeemed(found.model_copy(update={"state": RedemptionState.ROLLED_BACK, "rolled_back_at": now}), False)
    raise Unavailable("The redemption is changing right now; send the same request again")


# ---- partial refunds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Refunded:
    redemption: Redemption  # as it stands after this refund
    refund: Refund
    replayed: bool  # this refund id was recorded before; nothing new was written


def refund(table: Table, key: str, redemption: str, refund_id: str, amount: Decimal) -> Refunded:
    """Give ``amount`` of the order back: at most what is left of the order total across refunds;
    a gift card gets its share of the order back on its balance; partners hear of it (REFUND
    event). Safe to retry with the same ``refund_id``; the use itself stays taken (rollback gives
    it back)."""
    code, digest = parse_redemption_id(redemption)
    for _ in range(RACE_ATTEMPTS):
        account, item, earlier = table.get_many(
            [account_items.key(PARTNER, key_id(key)), store.redemption_key(code, digest),
             store.refund_key(code, digest, refund_id)], consistent=True)
        _verify(key, account)
        if item is None:
            raise NotFound(f"Unknown redemption {redemption!r}")
        found = store.from_item(item)
        if earlier is not None:
            return _refund_replay(found, store.refund_from_item(earlier), amount)
        given = _refund_of(found, refund_id, amount)
        try:
            return Refunded(store.refund(table, found, given, given.created_at), given, replayed=False)
        except ConditionsFailed:  # another refund or a rollback of this redemption won: read again
            continue
    raise Unavailable("The redemption is changing right now; send the same request again")


def _refund_of(found: Redemption, refund_id: str, amount: Decimal) -> Refund:
    """The refund ``amount`` makes of ``found``'s order, or why not."""
    currency = found.cart.currency
    if found.state is RedemptionState.ROLLED_BACK:
        raise CodeRefused(Reason.ROLLED_BACK, f"Redemption {found.id} was rolled back: everything was given back")
    if -amount.as_tuple().exponent > money.exponent(currency):  # type: ignore[operator]
        raise InvalidRequest(f"The amount {amount} has more decimals than {currency} has "
                             f"({money.exponent(currency)})")
    total = found.order_total
    after = found.refunded + amount
    if after > total:
        left = money.to_wire(total - found.refunded, currency)
        raise CodeRefused(Reason.REFUND_EXCEEDS_PAID,
                          f"The refund of {money.to_wire(amount, currency)} {currency} is more than is left to refund "
                          f"({left} of the order total {money.to_wire(total, currency)})")
    # Shares of the running total, not of each refund: the pieces always add up to the whole.
    gift_after = money.quantize(found.gift_card_amount * after / total, currency)
    return Refund(refund_id=refund_id, amount=amount, gift_card_amount=gift_after - found.gift_card_refunded,
                  goods_amount=found.refunded_share(after) - found.refunded_share(found.refunded),
                  created_at=utcnow())


def _refund_replay(found: Redemption, earlier: Refund, amount: Decimal) -> Refunded:
    if earlier.amount != amount:
        raise CodeRefused(Reason.ORDER_CONFLICT,
                          f"Refund {earlier.refund_id} was recorded with the amount "
                          f"{money.to_wire(earlier.amount, found.cart.currency)}; a new refund needs a new refund_id")
    return Refunded(found, earlier, replayed=True)


# ---- sales that came through a partner's tracking link (no code) ----------------------------------


def tracked_sale_id(order_id: str) -> str:
    """Lower case: a code is upper case, so this can never be a redemption id."""
    return f"sale.{order_digest(order_id)}"


def record_sale(table: Table, key: str, order_id: str, ref: str, account: str, cart: Cart,
                customer: Customer) -> Redeemed:
    """Record an order that came through a partner's tracking reference without a code, and queue
    its sale for the partner ``ref`` belongs to (``core.sales.partner_of_ref``), once per order id.
    ``account``: that partner's account (Brandbassador: the webshop whose tracking key is sent)."""
    digest = order_digest(order_id)
    found_account, item = table.get_many([account_items.key(PARTNER, key_id(key)), store.tracked_sale_key(digest)],
                                         consistent=True)
    _verify(key, found_account)
    try:
        partner = partner_of_ref(ref)
    except RefRefused as refused:
        raise CodeRefused(Reason(refused.reason), refused.message) from None
    sale = Redemption(
        id=tracked_sale_id(order_id), code="", order_id=order_id, kind=None, cart=cart, customer=customer,
        discount=cart.discount or Decimal(0), shipping_discount=Decimal(0), gift_card_amount=Decimal(0),
        owner=Owner(partner=partner, account=account), ref=ref, created_at=utcnow(),
    )
    if item is not None:
        return _sale_replay(store.from_item(item), sale)
    try:
        store.record_tracked_sale(table, sale)
    except ConditionsFailed as refused:
        if first := refused.failed.get("sale"):  # its own retry won the race
            return _sale_replay(store.from_item(first), sale)
        if "account" in refused.failed:
            raise CodeRefused(Reason.UNKNOWN_ACCOUNT,
                              f"No {partner} account {account!r} is configured: check the account field") from None
        raise
    return Redeemed(sale, replayed=False)


def _sale_replay(earlier: Redemption, asked: Redemption) -> Redeemed:
    same = (earlier.ref, earlier.owner, earlier.cart) == (asked.ref, asked.owner, asked.cart)
    if not same:
        raise CodeRefused(Reason.ORDER_CONFLICT,
                          f"Order {earlier.order_id} was recorded before with other figures or another ref; "
                          "an order is reported once")
    return Redeemed(earlier, replayed=True)


@dataclass(frozen=True)
class GiftCard:
    record: CodeRecord
    history: list[Redemption]


def gift_card(table: Table, key: str, code: str) -> GiftCard:
    code = codes.require_valid(code, codes.WITH_HYPHENS)
    _verify(key, table.get_many([account_items.key(PARTNER, key_id(key))], consistent=True)[0])
    record, history = store.code_partition(table, code)
    if record is None:
        raise CodeRefused(Reason.UNKNOWN, f"The code {code} does not exist")
    if record.discount.kind is not DiscountKind.GIFT_CARD:
        raise CodeRefused(Reason.NOT_A_GIFT_CARD, f"The code {code} is not a gift card")
    return GiftCard(record, history)
