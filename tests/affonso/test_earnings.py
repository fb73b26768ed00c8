"""An affiliate's sales and commissions: the rules on their own, then from real checkout redemptions."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from coupons.affonso import affiliates, earnings
from coupons.affonso.programmes import ProgrammeSettings, Rewards, RewardType
from coupons.core.models import DiscountKind, Owner
from coupons.core.sales import Cart, Customer, Redemption, RedemptionState
from coupons.core.table import Table
from coupons_admin.checkout import add_key
from tests.conftest import CountingClient

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
OWNER = Owner(partner="affonso", account="demo", person="aff_1")


def sale(n: int, subtotal: str, discount: str = "0.00", currency: str = "EUR",
         state: RedemptionState = RedemptionState.REDEEMED, email: str | None = "buyer@example.com") -> Redemption:
    return Redemption(
        id=f"ANN20.{n}", code="ANN20", order_id=str(n), state=state, kind=DiscountKind.PERCENT,
        cart=Cart(subtotal=Decimal(subtotal), shipping=Decimal("4.90"), currency=currency),
        customer=Customer(email=email), discount=Decimal(discount), shipping_discount=Decimal("0.00"),
        gift_card_amount=Decimal("0.00"), owner=OWNER, created_at=T0 + timedelta(hours=n))


def settings(rewards: Rewards | None, currency: str | None = "EUR") -> ProgrammeSettings:
    return ProgrammeSettings(name="P", currency=currency, rewards=rewards)


TEN_PERCENT = Rewards(type=RewardType.PERCENTAGE, amount=Decimal(10))


def test_commission_is_a_percent_of_what_the_customer_paid_for_the_goods_rounded_half_up():
    found = earnings.earnings(settings(Rewards(type=RewardType.PERCENTAGE, amount=Decimal("12.5"))),
                              [sale(1, "100.00", "20.00"), sale(2, "19.99")])
    # 80.00 paid (100 - 20 discount; shipping never counts) -> 10.00; 19.99 -> 2.49875 -> 2.50
    assert [(e.amount, e.commission) for e in found.listed] == [
        (Decimal("19.99"), Decimal("2.50")), (Decimal("80.00"), Decimal("10.00"))]  # newest first
    assert (found.stats.sales, found.stats.sales_amount, found.stats.pending, found.stats.currency) == (
        2, Decimal("99.99"), Decimal("12.50"), "EUR")
    assert all(e.status == "PENDING" for e in found.listed)


def test_a_rolled_back_redemption_is_no_sale():
    found = earnings.earnings(settings(TEN_PERCENT), [sale(1, "50.00"), sale(2, "70.00", state=RedemptionState.ROLLED_BACK)])
    assert (found.stats.sales, found.stats.sales_amount, [e.id for e in found.listed]) == (1, Decimal("50.00"), ["ANN20.1"])


def test_without_commission_terms_earnings_are_unknown_not_zero():
    found = earnings.earnings(settings(None), [sale(1, "50.00")])
    assert found.stats.pending is None and found.listed[0].commission is None
    assert found.stats.sales_amount == Decimal("50.00")


def test_a_flat_reward_pays_per_sale_in_the_programmes_currency_only():
    flat = Rewards(type=RewardType.FLAT, amount=Decimal("5.00"))
    found = earnings.earnings(settings(flat), [sale(1, "50.00"), sale(2, "9000", currency="JPY")])
    by_id = {e.id: e for e in found.listed}
    assert by_id["ANN20.1"].commission == Decimal("5.00") and by_id["ANN20.2"].commission is None
    # The yen sale is listed with its currency, counted as a sale, but not added to euro totals.
    assert (found.stats.sales, found.stats.sales_amount, found.stats.pending) == (2, Decimal("50.00"), Decimal("5.00"))
    assert by_id["ANN20.2"].currency == "JPY"


def test_without_a_programme_currency_totals_are_in_the_sales_own_currency_when_they_share_one():
    assert earnings.earnings(settings(TEN_PERCENT, currency=None), [sale(1, "50.00", currency="USD")]).stats.currency == "USD"
    mixed = earnings.earnings(settings(TEN_PERCENT, currency=None), [sale(1, "5", currency="USD"), sale(2, "5")])
    assert (mixed.stats.currency, mixed.stats.sales_amount, mixed.stats.pending) == (None, Decimal("0.00"), Decimal("0.00"))


def test_the_customer_is_a_pseudonym_and_the_list_is_capped(monkeypatch):
    monkeypatch.setattr(earnings, "LISTED_SALES", 3)
    found = earnings.earnings(settings(TEN_PERCENT), [sale(n, "10.00") for n in range(5)] + [sale(9, "1.00", email=None)])
    assert len(found.listed) == 3 and found.stats.sales == 6  # totals count every sale
    assert found.listed[0].customer_id is None
    pseudonym = found.listed[1].customer_id
    assert pseudonym.startswith("cus_") and "example" not in pseudonym


# ---- from the checkout's own redemptions (moto) ---------------------------------------------------


def test_the_dashboard_shows_the_sales_the_checkout_recorded_for_the_affiliates_code(affonso_table, session):
    checkout = pytest.importorskip("coupons.checkout.redemptions")
    add_key(affonso_table, "shop", "shop-key")
    ann = session("ann@example.com")
    affiliates.create_coupon(affonso_table, ann, "ANN20")
    token = affiliates.issue_token(affonso_table, ann.programme, affiliates.PartnerProfile(email="ann@example.com")).token
    cart = Cart(subtotal=Decimal("100.00"), shipping=Decimal("4.90"), currency="EUR")
    checkout.redeem(affonso_table, "shop-key", "ann20", "1001", cart, Customer(email="x@example.com"))
    second = checkout.redeem(affonso_table, "shop-key", "ANN20", "1002", cart, Customer(id="c-2"))
    checkout.redeem(affonso_table, "shop-key", "ANN20", "1003", cart, Customer())
    checkout.rollback(affonso_table, "shop-key", second.redemption.id)
    checkout.redeem(affonso_table, "shop-key", "SAMSAVES", "2001", cart, Customer())  # Sam's sale, not Ann's

    counting = CountingClient(affonso_table.client)
    shown = affiliates.open_dashboard(Table(affonso_table.name, counting), token)
    stats = shown.earnings.stats
    # The demo programme: 20 % blueprint, 10 % commission in EUR. Each sale paid 80.00 for the goods.
    assert (stats.sales, stats.sales_amount, stats.pending, stats.currency) == (2, Decimal("160.00"), Decimal("16.00"), "EUR")
    assert [(e.amount, e.commission) for e in shown.earnings.listed] == [(Decimal("80.00"), Decimal("8.00"))] * 2
    # The token (which knows the affiliate and its coupon; the programme is in memory), one Query
    # of the code's partition for its sales, and the code item (is it paused?).
    assert counting.calls == ["get_item", "query", "get_item"]


def test_an_affiliate_without_a_coupon_costs_no_sales_query(affonso_table, session):
    token = affiliates.issue_token(affonso_table, session("bo@example.com").programme,
                                   affiliates.PartnerProfile(email="bo@example.com")).token
    counting = CountingClient(affonso_table.client)
    shown = affiliates.open_dashboard(Table(affonso_table.name, counting), token)
    assert shown.earnings.stats.sales == 0 and counting.calls == ["get_item"]
