"""An affiliate's sales and commissions, from the redemptions of its coupon.

A sale is a checkout redemption of the affiliate's code that was not rolled back; its amount is
``Redemption.paid_goods_total`` (what the customer paid for the goods, the figure every partner
report uses), and its commission follows the programme's ``rewards``. This service sees neither
clicks nor leads, nor approvals or payouts: those stay unknown (None), never an invented 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from coupons.affonso.programmes import ProgrammeSettings
from coupons.core.sales import Redemption, RedemptionState

# Every commission is pending here: approving and paying it happens outside this service.
PENDING = "PENDING"
# The newest sales listed one by one; the totals count all of them.
LISTED_SALES = 100


@dataclass(frozen=True)
class Earning:
    id: str  # the redemption's id
    customer_id: str | None  # a pseudonym: no e-mail or checkout customer id reaches the affiliate
    date: datetime
    amount: Decimal
    currency: str
    commission: Decimal | None  # None: the terms cannot price it (no rewards, or a flat reward in another currency)
    status: str = PENDING


@dataclass(frozen=True)
class Stats:
    sales: int
    currency: str | None  # the currency of sales_amount and pending
    sales_amount: Decimal  # the paid goods totals of the sales in ``currency``
    pending: Decimal | None  # commissions on those sales; None without commission terms


@dataclass(frozen=True)
class Earnings:
    stats: Stats
    listed: list[Earning]  # newest first, at most LISTED_SALES


def earnings(settings: ProgrammeSettings, redemptions: list[Redemption]) -> Earnings:
    """The stats and the per-sale list of an affiliate whose code was redeemed as ``redemptions``.

    Totals are in the programme's currency; with none configured, in the sales' own currency when
    they all share one. Sales in another currency are listed, with theirs, but not added up: there
    are no exchange rates here.
    """
    sales = [r for r in redemptions if r.state is RedemptionState.REDEEMED]
    currencies = {sale.cart.currency for sale in sales}
    currency = settings.totals_currency or (currencies.pop() if len(currencies) == 1 else None)
    listed = [_earning(settings, currency, sale) for sale in sales]
    counted = [e for e in listed if e.currency == currency]
    pending = None
    if settings.rewards is not None:
        pending = sum((e.commission for e in counted if e.commission is not None), Decimal("0.00"))
    stats = Stats(sales=len(sales), currency=currency,
                  sales_amount=sum((e.amount for e in counted), Decimal("0.00")), pending=pending)
    newest_first = sorted(listed, key=lambda e: e.date, reverse=True)
    return Earnings(stats=stats, listed=newest_first[:LISTED_SALES])


def _earning(settings: ProgrammeSettings, currency: str | None, sale: Redemption) -> Earning:
    paid = sale.paid_goods_total
    commission = settings.rewards.commission(paid, sale.cart.currency, currency) if settings.rewards else None
    key = sale.customer.key
    return Earning(id=sale.id, customer_id=f"cus_{key[:16]}" if key else None, date=sale.created_at,
                   amount=paid, currency=sale.cart.currency, commission=commission)
