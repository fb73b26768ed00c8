"""Sale events to partners through the sender (moto table, a local partner stub): formats,
signatures, retries with backoff, dead letters and re-drive, never twice."""

import hashlib
import hmac
import json
import time
from decimal import Decimal

import pytest

from coupons.checkout import redemptions
from coupons.core import outbox
from coupons.core.models import Owner
from coupons.core.sales import Cart, Customer
from coupons.friendbuy import campaigns, purchases, referrals
from coupons.friendbuy.referrals import Advocate, ReferralRequest
from coupons.friendbuy.wire import credentials_of
from coupons.sales import delivery
from coupons.sales import webhook_items as webhooks
from coupons_admin.__main__ import main as admin
from coupons_admin.webshops import set_tracking_key
from localrun.demo.friendbuy import BASIC as FRIENDBUY_BASIC
from tests.checkout.conftest import AUTH, add_code, drain, local_delivery

CART = Cart(subtotal=Decimal("1000.00"), shipping=Decimal("25.00"), currency="EUR")
SITEVIBES = Owner(partner="sitevibes", account="demo", person="jane@example.com")


def redeem(table, code, order="1001", ref=None):
    return redemptions.redeem(table, AUTH, code, order, CART, Customer(id="c-1"), None, ref).redemption


def test_brandbassador_gets_its_pixel_with_the_paid_goods_total_and_the_code_upper_cased(demo_table, stub):
    add_code(demo_table, "ANNA20", value="20")
    redeem(demo_table, "Anna20")
    drain(local_delivery(demo_table, stub))
    [call] = stub.answered()
    assert (call["method"], call["path"]) == ("GET", "/tracking/pixel.gif")
    # 1000.00 of goods with 20 % off: the customer paid 800.00 for them (shipping left out)
    assert call["query"] == {"order_id": "1001", "total": "800.00", "code": "ANNA20", "key": "demo-key",
                             "currency": "EUR"}
    items = demo_table.client.scan(TableName=demo_table.name)["Items"]
    [event] = [e for e in items if e["pk"]["S"].startswith("OUTBOX#")]
    assert event["state"]["S"] == "delivered" and "gsi1pk" not in event  # left the pending index


def test_a_rollback_sends_brandbassador_nothing(demo_table, stub):
    add_code(demo_table, "ANNA20")
    redemptions.rollback(demo_table, AUTH, redeem(demo_table, "ANNA20").id)
    drain(local_delivery(demo_table, stub))
    assert len(stub.calls) == 1  # the sale; no documented pixel for a cancellation


def test_webhook_is_signed_and_sent_for_sale_and_rollback(demo_table, stub):
    webhooks.put(demo_table, "sitevibes", f"{stub.url}/hooks/sales", "s3cret")
    add_code(demo_table, "SV10", owner=SITEVIBES)
    redemptions.rollback(demo_table, AUTH, redeem(demo_table, "SV10").id)
    drain(local_delivery(demo_table, stub))
    calls = {c["headers"]["x-coupons-event"]: c for c in stub.answered()}
    sale, rollback = calls["sale.redeemed"], calls["sale.rolled_back"]
    for call, name in ((sale, "sale.redeemed"), (rollback, "sale.rolled_back")):
        headers = call["headers"]
        expected = hmac.new(b"s3cret", f"{headers['x-coupons-timestamp']}.{call['body']}".encode(),
                            hashlib.sha256).hexdigest()
        assert headers["x-coupons-signature"] == f"sha256={expected}"
        assert (call["method"], call["path"], headers["x-coupons-event"]) == ("POST", "/hooks/sales", name)
    body = json.loads(sale["body"])
    assert (body["code"], body["person"], body["subtotal"], body["order_id"]) == (
        "SV10", "jane@example.com", "1000.00", "1001")


def test_without_a_webhook_the_event_is_skipped_not_lost(demo_table, stub):
    add_code(demo_table, "SV10", owner=SITEVIBES)
    redeem(demo_table, "SV10")
    drain(local_delivery(demo_table, stub))
    assert stub.calls == []
    [skipped] = outbox.in_state(demo_table, outbox.SKIPPED)
    assert skipped["partner"] == "sitevibes"


def test_a_sale_with_a_friendbuy_bank_code_is_credited_to_its_advocate_once(demo_table, stub):
    campaign = campaigns.caller(demo_table, credentials_of(FRIENDBUY_BASIC))
    advocate = Advocate(customer_id="C9911", email="jzheng@example.mil")
    referred = referrals.refer(demo_table, campaign, ReferralRequest(campaign_id="53345", advocate=advocate,
                                                                    bank_id="9900"))
    code = referred.referral.coupon_code
    sale = redeem(demo_table, code.lower(), order="2001")
    drain(local_delivery(demo_table, stub))
    delivered = demo_table.deserialize(demo_table.client.get_item(
        TableName=demo_table.name, Key=demo_table.serialize(outbox.key(outbox.event_key(sale.id, outbox.SALE))))["Item"])
    assert delivered["state"] == outbox.DELIVERED and referred.referral.referral_code in delivered["note"]
    credited = referrals.find(demo_table, campaign, referred.referral.referral_code)
    assert (credited.conversions, credited.revenue) == (1, {"EUR": Decimal("1000.00")})
    # The same order reported again through Friendbuy's own purchase route is the same purchase.
    again = purchases.record_purchase(demo_table, purchases.Purchase(
        order_id="2001", amount=Decimal("1000.00"), currency="EUR", coupon_code=code))
    assert again.replayed
    assert referrals.find(demo_table, campaign, referred.referral.referral_code).conversions == 1
    assert stub.calls == []  # Friendbuy's purchases are recorded here, not sent over HTTP


def test_failures_back_off_then_die_and_a_redrive_delivers_once(demo_table, stub, capsys):
    add_code(demo_table, "DOWN10", owner=Owner(partner="brandbassador", account="demo", person="x"))
    redeem(demo_table, "DOWN10")
    stub.fail_next(100)
    sales = local_delivery(demo_table, stub, DELIVERY_BACKOFF_SECONDS="60", DELIVERY_MAX_ATTEMPTS="3")
    assert sales.run_once() == 1
    [pending] = outbox.in_state(demo_table, outbox.PENDING)
    assert (pending["attempts"], "503" in pending["last_error"]) == (1, True)
    assert sales.due() == []  # backing off: next attempt in 60 s
    later = time.time() + 61
    assert len(sales.due(later)) == 1
    sales.run_once(later)
    sales.run_once(time.time() + 500)
    assert [e["attempts"] for e in outbox.in_state(demo_table, outbox.DEAD)] == [3]
    assert sales.due(time.time() + 10_000) == []

    capsys.readouterr()  # the sender's own output so far
    assert admin(["--table", demo_table.name, "checkout", "dead-letters"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and "DOWN10" in listed[1] and "HTTP 503" in listed[1]

    stub.fail_next(0)
    assert admin(["--table", demo_table.name, "checkout", "redrive"]) == 0
    assert "queued again" in capsys.readouterr().out
    drain(sales)
    assert len(stub.answered(200)) == 1 and len(stub.answered(503)) == 3
    assert list(outbox.in_state(demo_table, outbox.DEAD)) == []


def test_a_missing_tracking_key_is_retried_until_it_is_set(demo_table, stub):
    add_code(demo_table, "KEYLESS", owner=Owner(partner="brandbassador", account="demo", person="x"))
    demo_table.client.update_item(TableName=demo_table.name, Key={"pk": {"S": "ACCOUNT#brandbassador#demo"},
                                  "sk": {"S": "ACCOUNT"}}, UpdateExpression="REMOVE settings.tracking_key")
    redeem(demo_table, "KEYLESS")
    sales = local_delivery(demo_table, stub)
    sales.run_once()
    [pending] = outbox.in_state(demo_table, outbox.PENDING)
    assert "set-tracking-key" in pending["last_error"]
    set_tracking_key(demo_table, "demo", "bb-brand-key")
    drain(sales)
    assert stub.answered()[0]["query"]["key"] == "bb-brand-key"


def test_a_tracking_key_copied_from_another_webshop_is_not_sent_and_the_sale_waits(demo_table, stub):
    """A sealed key only opens in its own item (KMS encryption context): moved into webshop demo,
    another webshop's key is refused, nothing is sent, and the sale is retried until it is set."""
    from coupons.brandbassador.webshops import sealed_tracking_key

    add_code(demo_table, "MOVED", owner=Owner(partner="brandbassador", account="demo", person="x"))
    demo_table.client.update_item(
        TableName=demo_table.name, Key={"pk": {"S": "ACCOUNT#brandbassador#demo"}, "sk": {"S": "ACCOUNT"}},
        UpdateExpression="SET settings.tracking_key = :k",
        ExpressionAttributeValues={":k": {"S": sealed_tracking_key("other-shop", "other-shops-key")}})
    redeem(demo_table, "MOVED")
    sales = local_delivery(demo_table, stub)
    sales.run_once()
    [pending] = outbox.in_state(demo_table, outbox.PENDING)
    assert "brandbassador-tracking-key" in pending["last_error"] and "other-shops-key" not in pending["last_error"]
    assert stub.calls == []
    set_tracking_key(demo_table, "demo", "bb-brand-key")
    drain(sales)
    assert stub.answered()[0]["query"]["key"] == "bb-brand-key"


def test_an_event_held_by_another_attempt_is_not_sent_twice(demo_table, stub):
    add_code(demo_table, "BUSY10")
    pk = f"OUTBOX#{redeem(demo_table, 'BUSY10').id}#sale"
    outbox.claim(demo_table, pk, time.time(), lease_seconds=60)  # another sender is on it
    outcome = delivery.deliver(demo_table, pk, delivery.DeliveryConfig(), reporters={})
    assert (outcome.state, outcome.retry_in) == ("busy", 60)
    assert stub.calls == []


def test_report_cli_writes_csv(demo_table, capsys):
    add_code(demo_table, "ANNA20", value="20")
    redeem(demo_table, "ANNA20", order="1")
    redeem(demo_table, "ANNA20", order="2")
    assert admin(["--table", demo_table.name, "checkout", "report"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines == ["partner,account,person,currency,redemptions,rolled_back,revenue,discounts,gift_card_amount",
                     "brandbassador,demo,anna,EUR,2,0,1600.00,400.00,0.00"]  # paid goods: 2 x 800.00


@pytest.mark.parametrize("partner", ["sitevibes", "affonso"])
def test_webhook_cli_stores_url_and_secret(demo_table, capsys, partner):
    assert admin(["--table", demo_table.name, "checkout", "set-webhook", partner, "--url", "https://x/y"]) == 0
    secret = capsys.readouterr().out.rsplit(": ", 1)[1].strip()
    stored = webhooks.get(demo_table, partner) or {}
    assert stored == {**webhooks.key(partner), "partner": partner, "url": "https://x/y", "secret": stored["secret"]}
    # kept only sealed with KMS; the sender opens it to the secret shown once
    assert secret not in stored["secret"] and webhooks.signing_secret(stored) == secret
