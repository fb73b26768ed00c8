"""The finance reports reconcile: every liability column and every ledger line is a sum over the
items the checkout wrote (cards, redemptions, refunds, rollbacks), checked here item by item."""

import json
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal

import pytest

from coupons.checkout import liability, redemptions, report_items
from coupons.checkout.rules import CodeRefused
from coupons.core import card_items, code_items, ledger, rate_items, rates
from coupons.core.errors import Unauthenticated
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner, utcnow
from coupons.core.sales import Cart, Customer, RedemptionState
from coupons.core.table import Table
from coupons.sitevibes import rewards as sitevibes
from coupons_admin.__main__ import main
from coupons_admin.reports import gift_cards, partner_entries
from tests.checkout.conftest import AUTH, OWNER, add_code
from tests.sitevibes.conftest import open_demo

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


def test_the_reports_read_past_other_partners_redemption_records(demo_table):
    """SiteVibes records a codeless reward's redemption as its own ``REDEMPTION#`` item: no sale, no
    card. The CLI's reports must neither choke on it nor count it (a clean-clone CI run met one left by
    another test on the shared DynamoDB Local table)."""
    today = build(demo_table)
    before = (gift_cards(demo_table, today), partner_entries(demo_table, today, today))
    sitevibes.redeem(demo_table, open_demo(demo_table, "demo-nocode"),
                     "shopper@example.com")
    assert (gift_cards(demo_table, today), partner_entries(demo_table, today, today)) == before


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


class LedgerSpy:
    """The table's client, keeping every call's name, arguments and answer."""

    def __init__(self, client):
        self.client, self.calls = client, []

    def __getattr__(self, name):
        target = getattr(self.client, name)
        if not callable(target) or name.startswith("_") or name == "meta":
            return target

        def call(**kwargs):
            answer = target(**kwargs)
            self.calls.append((name, kwargs, answer))
            return answer

        return call


def far() -> float:
    return time.monotonic() + 60


def on_day(monkeypatch, day, hour=12):
    """The checkout's clock at noon UTC of ``day`` (refunds and rollbacks are dated by it)."""
    moment = datetime.combine(day, dtime(hour), tzinfo=UTC)
    monkeypatch.setattr(redemptions, "utcnow", lambda: moment)


def card_at(table, code, value, created, currency="EUR", expires_on=None):
    record = CodeRecord(code=code, discount=Discount(kind=DiscountKind.GIFT_CARD, value=Decimal(value),
                                                    currency=currency),
                        owner=OWNER, balance=Decimal(value), expires_on=expires_on,
                        created_at=datetime.combine(created, dtime(9), tzinfo=UTC))
    code_items.create(table, record)


def test_the_ledger_items_reconcile_with_the_items_on_every_day(demo_table, monkeypatch):
    """Ten days of cards made, spent (in and out of their currency), refunded, rolled back (after a
    partial refund too) and expired: the route's figures, summed from the code-free ledger items,
    equal the CLI's, summed from the cards' own items, every column on every day; and each card's
    ledger gives its stored balance."""
    today = utcnow().date()
    d = [today - timedelta(days=10 - n) for n in range(11)]  # d[10] is today
    rate_items.put_all(demo_table, [rates.new_rate("EUR", "USD", "1.0832", d[0])])
    card_at(demo_table, "LEDGA", "100.00", d[0])
    card_at(demo_table, "LEDGB", "50.00", d[1], expires_on=d[5])
    card_at(demo_table, "LEDGC", "200.00", d[1], currency="USD")
    card_at(demo_table, "LEDGD", "80.00", d[3])
    card_at(demo_table, "LEDGE", "30.00", d[8])
    on_day(monkeypatch, d[2])
    a = redeem(demo_table, "LEDGA", "L-1", amount="30.00").redemption
    b = redeem(demo_table, "LEDGB", "L-2", amount="10.00").redemption
    c = redeem(demo_table, "LEDGC", "L-3", cart=USD, amount="60.00").redemption
    on_day(monkeypatch, d[4])
    redemptions.refund(demo_table, AUTH, a.id, "RMA-1", Decimal("52.45"))
    redemptions.rollback(demo_table, AUTH, c.id)
    e = redeem(demo_table, "LEDGD", "L-4", cart=USD, amount="40.00").redemption
    on_day(monkeypatch, d[6])
    redemptions.refund(demo_table, AUTH, e.id, "RMA-2", Decimal("10.49"))
    redemptions.refund(demo_table, AUTH, b.id, "RMA-3", Decimal("20.98"))  # after B expired: back, then breakage
    on_day(monkeypatch, d[7])
    redemptions.rollback(demo_table, AUTH, e.id)  # what the refund before had not given back
    redeem(demo_table, "LEDGA", "L-5", amount="70.00")
    on_day(monkeypatch, d[9])
    redeem(demo_table, "LEDGE", "L-6", amount="30.00")

    for day in [d[0] - timedelta(days=1), *d, today + timedelta(days=1)]:
        assert liability.gift_cards(demo_table, AUTH, day, far()) == gift_cards(demo_table, day), day
    rows = {r["currency"]: r for r in liability.gift_cards(demo_table, AUTH, d[6], far())}
    assert rows["EUR"]["expired"] == "42.00"  # B: 50 - 10 + 2.00 refunded the day after it expired
    for code in ("LEDGA", "LEDGB", "LEDGC", "LEDGD", "LEDGE"):
        record = code_items.get(demo_table, code, consistent=True)
        assert ledger_balance(demo_table, record.card_ref) == record.balance, code


def ledger_balance(table, card_ref):
    """issued - debits + credits of one card, from its ledger items alone."""
    items = list(table.query_all(KeyConditionExpression="pk = :pk AND begins_with(sk, :ref)",
                                 ExpressionAttributeValues=table.values({":pk": card_items.partition(card_ref),
                                                                         ":ref": card_ref})))
    [card] = [i for i in items if i["sk"] == card_ref]
    return card["issued"] + sum(i["amount"] * (-1 if i["kind"] == card_items.DEBIT else 1) for i in items
                                if i["sk"] != card_ref)


def test_the_checkouts_report_queries_the_ledger_and_reads_no_code(demo_table):
    """Every call of the route is a Query of a CARDS# partition; no request, answer or page key
    holds a code (CARDA ... CARDD), nor a redemption id or email."""
    today = build(demo_table)
    spy = LedgerSpy(demo_table.client)
    reader = Table(demo_table.name, spy)
    assert liability.gift_cards(reader, AUTH, today, far()) == gift_cards(demo_table, today)
    ledger_calls = [(name, kwargs, answer) for name, kwargs, answer in spy.calls if name != "batch_get_item"]
    assert {name for name, _, _ in ledger_calls} == {"query"}  # the key check is the one BatchGetItem
    assert len(ledger_calls) == card_items.SHARDS
    for _, kwargs, answer in ledger_calls:
        assert next(iter(kwargs["ExpressionAttributeValues"].values()))["S"].startswith("CARDS#")
        assert "CARD" not in json.dumps({**answer, "ResponseMetadata": None}).replace("CARDS#", "")


def test_a_ledger_too_large_for_one_request_is_an_honest_503_not_a_partial_answer(demo_table):
    """Past the deadline no further page is read: the caller is told to use the CLI, never given
    the figures of the part read so far."""
    build(demo_table)
    with pytest.raises(card_items.TooLarge, match="coupons-admin reports gift-cards"):
        card_items.read(demo_table, time.monotonic() - 1)
    assert len(card_items.read(demo_table, far())) == 4  # in time: all four cards


def test_cards_stored_before_the_ledger_get_theirs_once_then_are_reported(demo_table):
    """``reports name-cards`` names a card stored before card refs and writes the ledger items of
    every card without them, once (a second run writes nothing); then the route reconciles."""
    today = build(demo_table)
    old = code_items.get(demo_table, "CARDA", consistent=True)
    for item in demo_table.query_all(KeyConditionExpression="pk = :pk",
                                     ExpressionAttributeValues=demo_table.values({":pk": f"CODE#{old.code}"})):
        item.pop("card_ref", None)
        demo_table.call("put_item", Item=demo_table.serialize(item))  # as stored before card refs...
    for item in demo_table.query_all(KeyConditionExpression="pk = :pk", ExpressionAttributeValues=demo_table.values(
            {":pk": card_items.partition(old.card_ref)})):
        if item["sk"].startswith(old.card_ref):
            demo_table.call("delete_item", Key=demo_table.serialize({"pk": item["pk"], "sk": item["sk"]}))  # ...and ledgers
    assert len(card_items.read(demo_table, far())) == 3
    assert report_items.name_cards(demo_table) == 1
    assert report_items.name_cards(demo_table) == 0  # again: nothing left to write
    assert liability.gift_cards(demo_table, AUTH, today, far()) == gift_cards(demo_table, today)
    renamed = code_items.get(demo_table, "CARDA", consistent=True)
    assert renamed.card_ref not in (None, old.card_ref)
    assert ledger_balance(demo_table, renamed.card_ref) == renamed.balance


def test_a_refused_spend_writes_no_ledger_move(demo_table):
    """The move is a part of the redeem's own transaction: an overdraw changes nothing."""
    add_code(demo_table, "CARDX", kind="gift_card", value="20.00")
    before = len(list(demo_table.query_all(KeyConditionExpression="pk = :pk", ExpressionAttributeValues=(
        demo_table.values({":pk": card_items.partition(code_items.get(demo_table, "CARDX").card_ref)})))))
    with pytest.raises(CodeRefused):
        redeem(demo_table, "CARDX", "X-1", amount="25.00")
    record = code_items.get(demo_table, "CARDX", consistent=True)
    after = list(demo_table.query_all(KeyConditionExpression="pk = :pk", ExpressionAttributeValues=(
        demo_table.values({":pk": card_items.partition(record.card_ref)}))))
    assert len(after) == before and ledger_balance(demo_table, record.card_ref) == record.balance == Decimal("20.00")


def test_the_checkouts_liability_needs_the_checkout_key(demo_table):
    build(demo_table)
    with pytest.raises(Unauthenticated):
        liability.gift_cards(demo_table, "not-the-key", utcnow().date(), far())
