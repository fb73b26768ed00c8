"""What a brand's finance team reconciles: gift-card liability, and the partner ledger.

Pure functions over the records, so every figure is by construction a sum over the items
(docs/money.md, "Gift-card liability" and "Partner ledger" define each column)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from coupons.core import money
from coupons.core.models import CodeRecord, DiscountKind
from coupons.core.sales import Redemption, RedemptionState, Refund

LIABILITY_COLUMNS = ["currency", "cards", "issued", "spent", "refunded", "expired", "outstanding"]
LEDGER_COLUMNS = ["partner", "account", "person", "currency", "sales", "paid_goods_total", "refunds",
                  "reversals", "net", "commission", "reversal_channel"]

# Where each partner hears of a refund or rollback after the sale was delivered (docs/money.md).
REVERSAL_CHANNELS = {
    "sitevibes": "webhook sale.refunded / sale.rolled_back",
    "affonso": "webhook sale.refunded / sale.rolled_back",
    "brandbassador": "none (the custom-webshop tracking pixel has no reversal)",
    "friendbuy": "none (Friendbuy's purchase event has no cancellation)",
}


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


@dataclass
class Card:
    """A gift card with its redemptions and refunds (one Query of its partition)."""

    record: CodeRecord
    redemptions: list[Redemption] = field(default_factory=list)
    refunds: list[tuple[str, Refund]] = field(default_factory=list)  # (redemption id, refund)

    def moves(self) -> CardMoves:
        record, by_id = self.record, {r.id for r in self.redemptions}
        moves = CardMoves(record.discount.currency or "", record.discount.value or Decimal(0), record.created_at,
                          record.expires_on, record.discount.kind is DiscountKind.GIFT_CARD)
        for r in self.redemptions:
            moves.redeemed(r.created_at, r.gift_card_taken, r.rolled_back_at, r.gift_card_taken - r.gift_card_returned
                           if r.state is RedemptionState.ROLLED_BACK else None)
        for redemption_id, refund in self.refunds:
            if redemption_id in by_id:
                moves.credits.append((refund.created_at, refund.gift_card_credit))
        return moves


@dataclass
class CardMoves:
    """What the liability needs of one card, in its own currency, and nothing that names it: the
    CLI builds it from the items it reads (``Card.moves``), the checkout's report from items read
    from the code-free ledger items (``core.card_items.read``); one set of figures for both."""

    currency: str
    issued: Decimal
    created_at: datetime
    expires_on: date | None
    gift_card: bool = True
    debits: list[tuple[datetime, Decimal]] = field(default_factory=list)  # redemptions
    credits: list[tuple[datetime, Decimal]] = field(default_factory=list)  # refunds and rollbacks

    def redeemed(self, at: datetime, taken: Decimal, rolled_back_at: datetime | None,
                 rolled_back: Decimal | None) -> None:
        """A redemption took ``taken``; a rollback gave back what the refunds before it had not."""
        self.debits.append((at, taken))
        if rolled_back is not None and rolled_back_at is not None:
            self.credits.append((rolled_back_at, rolled_back))


def _row() -> dict[str, Decimal | int]:
    return {"cards": 0, "issued": Decimal(0), "spent": Decimal(0), "refunded": Decimal(0), "expired": Decimal(0),
            "outstanding": Decimal(0)}


def card_figures(card: CardMoves, as_of: date) -> dict[str, Decimal] | None:
    """One card's columns as of the end of ``as_of``; None when it did not exist yet."""
    until = end_of(as_of)
    if not card.gift_card or card.created_at >= until:
        return None
    spent = sum((amount for at, amount in card.debits if at < until), Decimal(0))
    refunded = sum((amount for at, amount in card.credits if at < until), Decimal(0))
    left = card.issued - spent + refunded
    expired = left if card.expires_on is not None and card.expires_on < as_of else Decimal(0)
    return {"issued": card.issued, "spent": spent, "refunded": refunded, "expired": expired,
            "outstanding": left - expired}


def liability(cards: Iterable[CardMoves], as_of: date) -> list[dict[str, str | int]]:
    """The liability rows, one per card currency (sorted), amounts as strings in its decimals."""
    rows: dict[str, dict[str, Decimal | int]] = defaultdict(_row)
    for card in cards:
        figures = card_figures(card, as_of)
        if figures is None:
            continue
        row = rows[card.currency]
        row["cards"] += 1
        for column, value in figures.items():
            row[column] += value
    return [{"currency": c, "cards": int(row["cards"]),
             **{k: money.to_wire(Decimal(v), c) for k, v in row.items() if k != "cards"}}
            for c, row in sorted(rows.items())]


# ---- partner ledger --------------------------------------------------------------------------------

# (partner, account, person, currency, paid goods total) -> commission, or None (no terms)
Commission = Callable[[Redemption, Decimal], Decimal | None]


@dataclass(frozen=True)
class Entry:
    """One line of the ledger: a sale (+) or a reversal (-) of a redemption or tracked sale."""

    kind: str  # "sale", "refund", "rollback", "duplicate" (an order reported by code and by ref)
    redemption_id: str
    order_id: str
    at: datetime
    partner: str
    account: str
    person: str
    currency: str
    paid_goods_total: Decimal  # signed: reversals are negative
    commission: Decimal | None


def entries(sales: Iterable[Redemption], refunds: Iterable[tuple[Redemption, Refund]], first: date, last: date,
            commission: Commission) -> list[Entry]:
    """The ledger's entries for sales, refunds and rollbacks made from ``first`` to ``last``
    (inclusive, UTC days). ``sales``: every redemption and tracked sale that may matter (the
    period's, and earlier ones whose refunds or rollbacks fall in it)."""
    start, until = end_of(first - timedelta(days=1)), end_of(last)
    within = lambda moment: moment is not None and start <= moment < until  # noqa: E731
    sales = list(sales)
    by_code = {(s.order_id, s.owner.partner) for s in sales if s.code}
    found: list[Entry] = []

    def entry(kind: str, s: Redemption, at: datetime, amount: Decimal) -> Entry:
        paid = money.quantize(amount, s.cart.currency)
        fee = commission(s, paid)
        return Entry(kind, s.id, s.order_id, at, s.owner.partner, s.owner.account, s.owner.person or "",
                     s.cart.currency, paid, None if fee is None else money.quantize(fee, s.cart.currency))

    for s in sales:
        duplicate = not s.code and (s.order_id, s.owner.partner) in by_code
        if within(s.created_at):
            if duplicate:
                found.append(Entry("duplicate", s.id, s.order_id, s.created_at, s.owner.partner, s.owner.account,
                                   s.owner.person or "", s.cart.currency, Decimal(0), None))
                continue
            found.append(entry("sale", s, s.created_at, s.paid_goods_total))
        if not duplicate and s.state is RedemptionState.ROLLED_BACK and within(s.rolled_back_at):
            left = s.paid_goods_total - s.refunded_share(s.refunded)
            found.append(entry("rollback", s, s.rolled_back_at or s.created_at, -left))
    for s, refund in refunds:
        if within(refund.created_at) and refund.goods_amount:
            found.append(entry("refund", s, refund.created_at, -refund.goods_amount))
    return sorted(found, key=lambda e: (e.at, e.redemption_id, e.kind))


def ledger(found: Iterable[Entry]) -> list[dict[str, str | int]]:
    """The entries summed per partner, account, person and currency."""
    rows: dict[tuple[str, str, str, str], dict] = defaultdict(lambda: {
        "sales": 0, "paid_goods_total": Decimal(0), "refunds": Decimal(0), "reversals": 0,
        "commission": None})
    for e in found:
        if e.kind == "duplicate":
            continue
        row = rows[(e.partner, e.account, e.person, e.currency)]
        if e.kind == "sale":
            row["sales"] += 1
            row["paid_goods_total"] += e.paid_goods_total
        else:
            row["reversals"] += 1
            row["refunds"] += e.paid_goods_total
        if e.commission is not None:
            row["commission"] = (row["commission"] or Decimal(0)) + e.commission
    result = []
    for (partner, account, person, currency), row in sorted(rows.items()):
        w = lambda v, c=currency: money.to_wire(v, c)  # noqa: E731
        result.append({
            "partner": partner, "account": account, "person": person, "currency": currency,
            "sales": row["sales"], "paid_goods_total": w(row["paid_goods_total"]), "refunds": w(row["refunds"]),
            "reversals": row["reversals"], "net": w(row["paid_goods_total"] + row["refunds"]),
            "commission": "" if row["commission"] is None else w(row["commission"]),
            "reversal_channel": REVERSAL_CHANNELS.get(partner, "none"),
        })
    return result
