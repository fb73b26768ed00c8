"""The brand's checkout: validate, redeem and roll back codes of every partner; gift-card balances.

A warm redemption is one TransactWriteItems (``items.redeem``); otherwise one consistent
BatchGetItem comes first, which answers a retry or a refusal without writing and enforces nothing
(docs/architecture.md, "Checkout: a redemption is one call")."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from coupons.checkout import conversion, items, remembered
from coupons.checkout.rules import (
    CodeRefused,
    Quote,
    Reason,
    order_digest,
    order_total,
    parse_redemption_id,
    quote,
    redemption_id,
    refusal,
)
from coupons.core import account_items, code_items, codes, money
from coupons.core.credentials import hash_secret, verify_secret
from coupons.core.errors import InvalidRequest, NotFound, Unauthenticated, Unavailable
from coupons.core.models import Account, CodeRecord, DiscountKind, Owner, utcnow
from coupons.core.rates import Derived
from coupons.core.sales import Cart, Conversion, Customer, Redemption, RedemptionState, RefRefused, Refund, partner_of_ref
from coupons.core.table import ConditionsFailed, Table, backoff

PARTNER = "checkout"  # checkout keys are accounts of this partner
RACE_ATTEMPTS = 10  # reads and conditional writes before a request that keeps losing races is a 503
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
    _verify(key, items.read(table, account=account_items.key(PARTNER, key_id(key)))["account"])


def _verify(key: str, account_item: dict | None) -> str:
    """The stored hash ``key`` matches, or ``Unauthenticated``."""
    stored = account_item.get("secret_hash") if account_item else None
    if not verify_secret(key, stored) or stored is None:  # (the hash compare first: same work either way)
        raise Unauthenticated("The checkout key is not valid")
    return stored


# ---- validate and redeem -----------------------------------------------------------------------


@dataclass(frozen=True)
class Redeemed:
    redemption: Redemption
    replayed: bool  # True: this order had already redeemed this code; nothing new was written


def _read(table: Table, key: str, code: str, order_id: str | None, customer: Customer):
    """``(code record, this order's earlier redemption, the customer's uses)`` after checking the key.
    The key and the code are remembered for the next redemptions (``remembered``)."""
    keys = {"account": account_items.key(PARTNER, key_id(key)), "code": code_items.key(code)}
    if order_id is not None:
        keys["redemption"] = items.redemption_key(code, order_digest(order_id))
    if customer.key is not None:
        keys["customer"] = items.customer_key(code, customer.key)
    found = items.read(table, **keys)
    remembered.keep_key(table, key_id(key), _verify(key, found["account"]))
    record = code_items.from_item(found["code"]) if found["code"] else None
    if record is not None:
        remembered.keep_code(table, record)
    earlier = items.from_item(item) if (item := found.get("redemption")) else None
    counter = found.get("customer")
    return record, earlier, int(counter["uses"]) if counter else 0


def validate(table: Table, key: str, code: str, cart: Cart, customer: Customer,
             amount: Decimal | None = None) -> Quote:
    code = codes.require_valid(code, codes.WITH_HYPHENS)
    record, _, customer_uses = _read(table, key, code, None, customer)
    today = utcnow().date()
    rate = conversion.rate_for(table, record, cart, today)
    return quote(record, code, cart, today, amount, customer_uses, customer.key is not None, rate)


def redeem(table: Table, key: str, code: str, order_id: str, cart: Cart, customer: Customer,
           amount: Decimal | None = None, ref: str | None = None) -> Redeemed:
    code = codes.require_valid(code, codes.WITH_HYPHENS)
    # A key and a code this instance remembers: the transaction alone decides (one call). The
    # key's hash then rides along as a ConditionCheck, so a key revoked since writes nothing.
    account = key_id(key)
    key_hash = remembered.key_hash(table, account, key)
    record = remembered.code(table, code) if key_hash else None
    for attempt in range(RACE_ATTEMPTS):
        now = utcnow()
        rate = conversion.rate_for(table, record, cart, now.date())  # None for same-currency codes
        given = _hopeful_quote(record, code, cart, now, amount, customer, rate)
        if record is None or given is None:
            # Nothing remembered, or the code (as remembered) cannot apply: one consistent read
            # answers a retry or a refusal without writing, as the transaction would not.
            record, earlier, customer_uses = _read(table, key, code, order_id, customer)
            key_hash = None  # verified by this very read
            if earlier is not None:
                return _replay(earlier)
            rate = conversion.rate_for(table, record, cart, now.date())
            try:
                given = quote(record, code, cart, now.date(), amount, customer_uses, customer.key is not None, rate)
            except CodeRefused as refused:
                # BatchGetItem reads each item consistently but not all at one instant: this order's
                # own first try may have committed between the two reads. Refusals that its
                # redemption could explain get one more look at it.
                if refused.reason in _USED_BY_ORDERS:
                    again = items.read(table, redemption=items.redemption_key(code, order_digest(order_id)))["redemption"]
                    if again is not None:
                        return _replay(items.from_item(again))
                raise
            if record is None:  # (quote() refuses a missing record: this tells the type checker)
                raise CodeRefused(Reason.UNKNOWN, f"The code {code} does not exist")
        limited = record.max_uses_per_customer is not None
        redemption = Redemption(
            id=redemption_id(code, order_id), code=code, order_id=order_id, kind=record.discount.kind, cart=cart,
            customer=customer, customer_key=customer.key if limited else None, discount=given.discount,
            shipping_discount=given.shipping_discount, gift_card_amount=given.gift_card_amount, owner=record.owner,
            ref=ref, created_at=now, card_ref=record.card_ref, **_converted(record, given),
        )
        # A card paying all it holds was charged by the balance itself: the condition holds that value.
        whole_balance = (record.discount.kind is DiscountKind.GIFT_CARD and amount is None
                         and given.gift_card_amount < order_total(cart))
        try:
            items.redeem(table, redemption, record, record.max_uses_per_customer,
                         key_check=(account_items.key(PARTNER, account), key_hash) if key_hash else None,
                         whole_balance=whole_balance, rate_parts=conversion.condition_parts(table, given.rate))
        except ConditionsFailed as refused:
            if "key" in refused:  # revoked or stored anew since this instance verified it: read it
                remembered.forget_key(table, account)
                key_hash, record = None, None
                continue
            if "redemption" in refused.conflicted:  # this order's own other try is being written now
                time.sleep(backoff(attempt))
                continue
            if mine := refused.failed.get("redemption"):  # the same order redeemed this code before
                return _replay(items.from_item(mine))
            if conversion.rate_changed(refused.failed) and "code" not in refused:  # read it again
                conversion.forget(table, record, cart)
                continue
            record = _why(table, refused, record, code, cart, now, amount, customer, rate)
            continue
        remembered.keep_code(table, _after(record, redemption))
        if key_hash:
            remembered.keep_key(table, account, key_hash)  # the ConditionCheck just held it
        return Redeemed(redemption, replayed=False)
    raise Unavailable("The code is changing right now; send the same request again")


def _hopeful_quote(record: CodeRecord | None, code: str, cart: Cart, now: datetime, amount: Decimal | None,
                   customer: Customer, rate: Derived | None = None) -> Quote | None:
    """What a remembered code gives this order, judged on everything but its counters, or None
    (nothing remembered, or a rule refuses). Counters (``uses``, the customer's uses, a card's
    balance when ``amount`` is given) are not judged from memory, which is stale by design: the
    transaction's conditions judge them, and a refusal comes back with the item it needs."""
    if record is None:
        return None
    counters: dict[str, object] = {"uses": 0}
    if amount is not None and record.discount.kind is DiscountKind.GIFT_CARD:
        card_amount = rate.to_base(amount) if rate is not None and not rate.stale else amount
        counters["balance"] = max(record.balance or Decimal(0), amount, card_amount)
    try:
        return quote(record.model_copy(update=counters), code, cart, now.date(), amount, 0, customer.key is not None,
                     rate)
    except (CodeRefused, InvalidRequest):
        return None


def _converted(record: CodeRecord, given: Quote) -> dict[str, Conversion]:
    """A code in another currency than the cart's: its own-currency side of the redemption."""
    rate, currency = given.rate, record.discount.currency
    if rate is None or currency is None:
        return {}
    if record.discount.kind is DiscountKind.GIFT_CARD and given.gift_card_debit is not None:
        return {"gift_card_debit": Conversion(amount=given.gift_card_debit, currency=currency, rate=rate.rate,
                                              rate_date=rate.rate_date)}
    return {"discount_conversion": Conversion(amount=record.discount.value or Decimal(0), currency=currency,
                                              rate=rate.rate, rate_date=rate.rate_date)}


def _after(record: CodeRecord, redemption: Redemption) -> CodeRecord:
    """``record`` as this redemption left it (as far as this instance can know)."""
    spent = {"balance": (record.balance or Decimal(0)) - redemption.gift_card_taken} \
        if record.discount.kind is DiscountKind.GIFT_CARD else {}
    return record.model_copy(update={"uses": record.uses + 1, **spent})


def _replay(earlier: Redemption) -> Redeemed:
    """This order redeemed this code before: the same answer again, unless the redemption was
    rolled back since; then no success may describe it (nothing is taken any more)."""
    if earlier.state is RedemptionState.ROLLED_BACK:
        raise CodeRefused(Reason.ROLLED_BACK,
                          f"Order {earlier.order_id} redeemed {earlier.code} and was rolled back; nothing is taken "
                          "for it now. To redeem the code again, use a new order id")
    return Redeemed(earlier, replayed=True)


def _why(table: Table, refused: ConditionsFailed, record: CodeRecord, code: str, cart: Cart, now: datetime,
         amount: Decimal | None, customer: Customer, rate: Derived | None = None) -> CodeRecord:
    """Explain a cancelled redemption from the items the failed conditions handed back, by the same
    rules as validate: raises the refusal. When the code item as handed back still applies, the
    redemption was computed from values that have changed since (``record`` was remembered, or
    read a moment ago): returns the item as it is now, to compute the redemption again from."""
    counter = refused.failed.get("customer")
    customer_uses = int(counter["uses"]) if counter else 0
    if "code" in refused:
        item = refused.failed["code"]
        found = code_items.from_item(item) if item else None
        if found is None:
            remembered.forget_code(table, code)
        else:
            remembered.keep_code(table, found)
        if found is not None and conversion.needs_rate(found, cart) and (
                rate is None or conversion.rate_changed(refused.failed)
                or found.discount.currency != record.discount.currency):
            conversion.forget(table, found, cart)
            rate = conversion.rate_for(table, found, cart, now.date())
        why = refusal(found, code, cart, now.date(), amount, customer_uses, customer.key is not None, rate)
        if why is not None:
            raise why
        if found is not None and found.model_copy(update={"uses": record.uses}) != record:
            return found
    elif "customer" in refused:  # the code's condition held: the customer's counter is what failed
        raise CodeRefused(Reason.CUSTOMER_LIMIT_REACHED,
                          f"This customer has used the code {code} {customer_uses} times, the most allowed")
    # A condition failed, so some rule was broken at that instant; if the item has changed back
    # since (a rollback in between), say it was used up rather than nothing.
    raise CodeRefused(Reason.USED_UP, f"The code {code} was used by another order at the same time")


# ---- rollback and gift cards -------------------------------------------------------------------


def rollback(table: Table, key: str, redemption: str) -> Redeemed:
    code, digest = parse_redemption_id(redemption)
    for _ in range(RACE_ATTEMPTS):
        account, item = items.read(table, account=account_items.key(PARTNER, key_id(key)),
                                   redemption=items.redemption_key(code, digest)).values()
        _verify(key, account)
        if item is None:
            raise NotFound(f"Unknown redemption {redemption!r}")
        found = items.from_item(item)
        if found.state is RedemptionState.ROLLED_BACK:
            return Redeemed(found, replayed=True)
        now = utcnow()
        try:
            items.roll_back(table, found, now)
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
        account, item, earlier = items.read(
            table, account=account_items.key(PARTNER, key_id(key)), redemption=items.redemption_key(code, digest),
            refund=items.refund_key(code, digest, refund_id)).values()
        _verify(key, account)
        if item is None:
            raise NotFound(f"Unknown redemption {redemption!r}")
        found = items.from_item(item)
        if earlier is not None:
            return _refund_replay(found, items.refund_from_item(earlier), amount)
        given = _refund_of(found, refund_id, amount)
        try:
            return Refunded(items.refund(table, found, given, given.created_at), given, replayed=False)
        except ConditionsFailed:  # another refund or a rollback of this redemption won: read again
            continue
    raise Unavailable("The redemption is changing right now; send the same request again")


def _refund_of(found: Redemption, refund_id: str, amount: Decimal) -> Refund:
    """The refund ``amount`` makes of ``found``'s order, or why not."""
    currency = found.cart.currency
    if found.state is RedemptionState.ROLLED_BACK:
        raise CodeRefused(Reason.ROLLED_BACK, f"Redemption {found.id} was rolled back: everything was given back")
    if money.decimals(amount) > money.exponent(currency):
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
    debit = found.gift_card_debit  # a card in another currency: its share in its currency, by the same rule
    debit_back = None if debit is None else (
        money.quantize(debit.amount * after / total, debit.currency) - found.gift_card_debit_refunded)
    return Refund(refund_id=refund_id, amount=amount, gift_card_amount=gift_after - found.gift_card_refunded,
                  goods_amount=found.refunded_share(after) - found.refunded_share(found.refunded),
                  created_at=utcnow(), gift_card_debit=debit_back)


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
    found_account, item = items.read(table, account=account_items.key(PARTNER, key_id(key)),
                                     sale=items.tracked_sale_key(digest)).values()
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
        return _sale_replay(items.from_item(item), sale)
    try:
        items.record_tracked_sale(table, sale)
    except ConditionsFailed as refused:
        if first := refused.failed.get("sale"):  # its own retry won the race
            return _sale_replay(items.from_item(first), sale)
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
    _verify(key, items.read(table, account=account_items.key(PARTNER, key_id(key)))["account"])
    record, history = items.code_partition(table, code)
    if record is None:
        raise CodeRefused(Reason.UNKNOWN, f"The code {code} does not exist")
    if record.discount.kind is not DiscountKind.GIFT_CARD:
        raise CodeRefused(Reason.NOT_A_GIFT_CARD, f"The code {code} is not a gift card")
    return GiftCard(record, history)
