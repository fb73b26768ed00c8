"""The finance reports reconcile: every liability column and every ledger line is a sum over the
items the checkout wrote (cards, redemptions, refunds, rollbacks), checked here item by item."""

import json
import time
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest

from coupons.checkout import liability, redemptions, report_items
from coupons.core import code_items, ledger, rate_items, rates
from coupons.core.errors import Unauthenticated, Unavailable
from coupons.core.models import Owner, utcnow
from coupons.core.sales import Cart, Customer, RedemptionState
from coupons.core.table import Table
from coupons_admin.__main__ import main
from coupons_admin.reports import gift_cards, partner_entries
from tests.checkout.conftest import AUTH, add_code

EUR = Cart(subtotal=Decimal("100.00"), shipping=Decimal("4.90"), currency="EUR")
USD = Cart(subtotal=Decimal("100.00"), shipping=Decimal("4.90"), currency="USD")
JPY = Cart(subtotal=Decimal("1999"), currency="JPY")


def redeem(table, code, order, cart=EUR, amount=None):
    return redemptions.redeem(table, AUTH, code, order, cart, Customer(), Decimal(amount) if amount else None)


def build(table):
    """Cards spent, refunded, rolled back, one expiring today; partners' sales, refunds, a rollback."""
    today = utcnow().date()
    rate_items.put_all(table, [rates.new_rate("EUR", "USD", "1.0832", today)])
    add_code(table, "CARDA", kind="gift_card", value="100.00")
    add_code(table, "CARDB", kind="gift_card", value="50.00", expires_on=today)
    add_code(table, "CARDC", kind="gift_card", value="200.00", currency="USD")
    add_code(table, "CARDD", kind="gift_card", value="80.00")  # spent on a USD cart
    a = redeem(table, "CARDA", "A-1", amount="30.00").redemption
    redemptions.refund(table, AUTH, a.id, "RMA-A", Decimal("52.45"))
    redeem(table, "CARDB", "B-1", amount="10.00")
    c = redeem(table, "CARDC", "C-1", cart=USD, amount="60.00").redemption
    redemptions.rollback(table, AUTH, c.id)
    d = redeem(table, "CARDD", "D-1", cart=USD, amount="40.00").redemption
    redemptions.refund(table, AUTH, d.id, "RMA-D", Decimal("10.49"))
    return today


def test_gift_card_liability_equals_the_sums_over_the_items(demo_table, capsys):
    today = build(demo_table)
    rows = {r["currency"]: r for r in gift_cards(demo_table, today)}
    assert rows == {
        # A: 100 - 30 + 15.00 back; B: 50 - 10; D: 80 - 36.93 (40.00 USD) + 3.69 back (10.49 of 104.90)
        "EUR": {"currency": "EUR", "cards": 3, "issued": "230.00", "spent": "76.93", "refunded": "18.69",
                "expired": "0.00", "outstanding": "171.76"},
        "USD": {"currency": "USD", "cards": 1, "issued": "200.00", "spent": "60.00", "refunded": "60.00",
                "expired": "0.00", "outstanding": "200.00"},
    }
    stored = defaultdict(Decimal)
    for code in ("CARDA", "CARDB", "CARDC", "CARDD"):
        card = code_items.get(demo_table, code, consistent=True)
        stored[card.discount.currency] += card.balance
    assert {c: Decimal(r["outstanding"]) for c, r in rows.items()} == stored
    for r in rows.values():
        assert Decimal(r["issued"]) - Decimal(r["spent"]) + Decimal(r["refunded"]) - Decimal(r["expired"]) \
            == Decimal(r["outstanding"])
    later = {r["currency"]: r for r in gift_cards(demo_table, today + timedelta(days=2))}
    assert (later["EUR"]["expired"], later["EUR"]["outstanding"]) == ("40.00", "131.76")  # B's 40.00: breakage
    assert gift_cards(demo_table, today - timedelta(days=1)) == []  # none existed yet
    assert main(["--table", demo_table.name, "reports", "gift-cards", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == list(rows.values())


def test_the_partner_ledger_counts_each_order_once_and_reverses_refunds(demo_table, capsys):
    today = utcnow().date()
    add_code(demo_table, "ANNA15", value="15")  # Brandbassador demo, person anna
    add_code(demo_table, "JANE10", value="10", owner=Owner(partner="affonso", account="demo", person="aff-jane"))
    add_code(demo_table, "SV10", value="10", owner=Owner(partner="sitevibes", account="demo", person="p-1"))
    redeem(demo_table, "ANNA15", "O-1")
    redemptions.record_sale(demo_table, AUTH, "O-1", "bb-42", "demo", EUR, Customer())  # the same order by ref
    redemptions.record_sale(demo_table, AUTH, "O-2", "bb-43", "demo", EUR, Customer())
    jpy = redeem(demo_table, "JANE10", "O-3", cart=JPY).redemption  # 1999 - 200 = 1799 JPY
    redeem(demo_table, "JANE10", "O-4")
    sv = redeem(demo_table, "SV10", "O-5").redemption
    redemptions.refund(demo_table, AUTH, sv.id, "RMA-1", Decimal("30.00"))
    gone = redeem(demo_table, "SV10", "O-6").redemption
    redemptions.rollback(demo_table, AUTH, gone.id)

    entries = partner_entries(demo_table, today, today)
    assert [e.kind for e in entries].count("duplicate") == 1
    sales = [s for s in redemptions.items.sales(demo_table, today, today)]
    refunds = [e for e in entries if e.kind == "refund"]
    expected = sum(s.paid_goods_total for s in sales if s.code or s.order_id != "O-1") \
        - sum(-e.paid_goods_total for e in refunds) \
        - sum(s.paid_goods_total for s in sales if s.state is RedemptionState.ROLLED_BACK)
    assert sum(e.paid_goods_total for e in entries) == expected
    rows = {(r["partner"], r["person"], r["currency"]): r for r in ledger.ledger(entries)}
    assert sum(Decimal(r["net"]) for r in rows.values()) == expected
    assert rows[("brandbassador", "anna", "EUR")]["sales"] == 1  # O-1 once, though reported twice
    assert rows[("brandbassador", "", "EUR")]["sales"] == 1  # O-2, by ref only
    assert rows[("affonso", "aff-jane", "JPY")]["paid_goods_total"] == "1799" == str(jpy.paid_goods_total)
    assert rows[("affonso", "aff-jane", "JPY")]["commission"] == "180"  # 179.9 at JPY's exponent 0
    assert rows[("affonso", "aff-jane", "EUR")]["commission"] == "9.00"
    sitevibes = rows[("sitevibes", "p-1", "EUR")]
    assert (sitevibes["sales"], sitevibes["reversals"], sitevibes["paid_goods_total"], sitevibes["refunds"],
            sitevibes["net"]) == (2, 2, "180.00", "-118.45", "61.55")  # 28.45 of O-5 (30.00 of 94.90), O-6 rolled back
    assert sitevibes["reversal_channel"].startswith("webhook sale.refunded")
    assert rows[("brandbassador", "anna", "EUR")]["reversal_channel"].startswith("none")
    assert main(["--table", demo_table.name, "reports", "partners", "--from", today.isoformat(),
                 "--to", today.isoformat()]) == 0
    assert capsys.readouterr().out.splitlines()[0] == ",".join(ledger.LEDGER_COLUMNS)


class ScanSpy:
    """The table's client, keeping what each Scan asked for and what it answered."""

    def __init__(self, client):
        self.client, self.asked, self.answered = client, [], []

    def __getattr__(self, name):
        target = getattr(self.client, name)
        if name != "scan":
            return target

        def scan(**kwargs):
            self.asked.append(kwargs)
            page = target(**kwargs)
            self.answered.extend(page.get("Items", []))
            return page

        return scan


def far() -> float:
    return time.monotonic() + 60


def test_the_checkouts_liability_equals_the_clis_and_reads_no_code(demo_table):
    """Every column, as of yesterday (nothing yet), today and after card B's expiry (breakage);
    the Scan names only CARD_ATTRIBUTES and no item it answers holds a code."""
    today = build(demo_table)
    spy = ScanSpy(demo_table.client)
    reader = Table(demo_table.name, spy)
    for day in (today - timedelta(days=1), today, today + timedelta(days=2)):
        assert liability.gift_cards(reader, AUTH, day, far()) == gift_cards(demo_table, day)
    assert liability.gift_cards(reader, AUTH, today + timedelta(days=2), far())[0]["expired"] == "40.00"
    named = {name for ask in spy.asked for name in ask["ExpressionAttributeNames"].values()}
    assert named <= set(report_items.CARD_ATTRIBUTES) and {a["Select"] for a in spy.asked} == {"SPECIFIC_ATTRIBUTES"}
    assert {"pk", "code", "id", "redemption_id"}.isdisjoint({k for item in spy.answered for k in item})
    assert not any("CARD" in json.dumps(item) for item in spy.answered)  # CARDA ... CARDD appear nowhere


def test_the_checkouts_liability_needs_the_checkout_key(demo_table):
    build(demo_table)
    with pytest.raises(Unauthenticated):
        liability.gift_cards(demo_table, "not-the-key", utcnow().date(), far())


def test_a_table_too_large_for_one_request_is_an_honest_503_not_a_partial_answer(demo_table):
    """Past the deadline no further page is read: the caller is told to use the CLI, never given
    the figures of the part read so far."""
    build(demo_table)
    with pytest.raises(report_items.TooLarge, match="coupons-admin reports gift-cards"):
        report_items.card_moves(demo_table, time.monotonic() - 1, page_items=2)
    assert len(report_items.card_moves(demo_table, far(), page_items=2)) == 4  # in time: all four cards


def test_cards_stored_before_card_refs_are_named_once_then_reported(demo_table):
    today = build(demo_table)
    old = code_items.to_item(code_items.get(demo_table, "CARDA", consistent=True))
    for item in [old, *[i for i in demo_table.query_all(
            KeyConditionExpression="pk = :pk", ExpressionAttributeValues=demo_table.values({":pk": old["pk"]}))]]:
        item.pop("card_ref", None)
        demo_table.call("put_item", Item=demo_table.serialize(item))  # as stored before card refs
    with pytest.raises(Unavailable, match="1 gift cards were stored before"):
        liability.gift_cards(demo_table, AUTH, today, far())
    assert report_items.name_cards(demo_table) == 1
    assert report_items.name_cards(demo_table) == 0  # again: nothing left to name
    assert liability.gift_cards(demo_table, AUTH, today, far()) == gift_cards(demo_table, today)
