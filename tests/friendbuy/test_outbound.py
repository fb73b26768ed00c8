"""Checkout sales of Friendbuy codes sent to the brand's Friendbuy account (Merchant API) by the
sender, against the local partner stub: token cached and refreshed on 401, retried after failures,
exactly one purchase per order id, with what the customer paid for the goods."""

from __future__ import annotations

from decimal import Decimal

import pytest

from coupons.checkout import redemptions
from coupons.core import outbox
from coupons.core.sales import DELIVERED, SALE, Cart, Customer, SaleEvent
from coupons.friendbuy import campaigns, outbound, purchases, referrals
from coupons.friendbuy.referrals import Advocate, ReferralRequest
from coupons.friendbuy.wire import credentials_of
from coupons_admin.__main__ import main as admin
from localrun.demo import friendbuy as demo
from tests.checkout.conftest import AUTH, drain, local_delivery

CART = Cart(subtotal=Decimal("1000.00"), shipping=Decimal("25.00"), currency="EUR")  # 10 % off: 900.00 paid


@pytest.fixture
def linked(demo_table, monkeypatch, capsys):
    monkeypatch.setattr("coupons_admin.__main__.Table", lambda name: demo_table)
    assert admin(["--table", demo_table.name, "campaigns", "link-friendbuy", demo.CAMPAIGN,
                  "--key", demo.MAPI_KEY, "--secret", demo.MAPI_SECRET]) == 0
    assert demo.MAPI_SECRET not in capsys.readouterr().out  # never printed
    return demo_table


def bank_code(table, customer: str) -> str:
    caller = campaigns.caller(table, credentials_of(demo.BASIC))
    request = ReferralRequest(campaign_id=demo.CAMPAIGN, advocate=Advocate(customer_id=customer, email="a@example.com"),
                              bank_id=demo.BANK)
    return referrals.refer(table, caller, request).referral.coupon_code


def sell(table, code: str, order: str, customer: Customer | None = None):
    return redemptions.redeem(table, AUTH, code.lower(), order, CART, customer or Customer(id="c-1", email="buyer@example.com"),
                              None, None).redemption


def test_a_failing_then_succeeding_friendbuy_gets_exactly_one_purchase_with_the_paid_amount(linked, stub):
    code = bank_code(linked, "ADV-1")
    sale = sell(linked, code, "FB-1001")
    stub.fail_next(2)  # the authorization, then its retry's authorization, answer 503
    sales = local_delivery(linked, stub, FRIENDBUY_MAPI_URL=stub.url)
    drain(sales)
    assert stub.friendbuy_purchases() == [{"orderId": "FB-1001", "amount": 900.00, "currency": "EUR", "couponCode": code,
                                           "customerId": "c-1", "email": "buyer@example.com"}]
    [taken] = [c for c in stub.answered(201)]
    assert taken["headers"]["authorization"].startswith("Bearer ") and '"amount": 900.00' in taken["body"]
    item = linked.deserialize(linked.client.get_item(TableName=linked.name, Key=linked.serialize(
        outbox.key(outbox.event_key(sale.id, outbox.SALE))))["Item"])
    assert item["state"] == outbox.DELIVERED and "sent to Friendbuy (HTTP 201)" in item["note"]
    # The order's local record is the advocate's conversion, as before.
    assert "credited to referral" in item["note"]


def test_the_token_is_reused_and_asked_again_once_after_a_401(linked, stub):
    sales = local_delivery(linked, stub, FRIENDBUY_MAPI_URL=stub.url)
    code = bank_code(linked, "ADV-2")
    sell(linked, code, "FB-2001")
    drain(sales)
    sell(linked, code, "FB-2002")
    drain(sales)
    assert len([c for c in stub.calls if c["path"] == "/v1/authorization"]) == 1  # cached between sales
    stub.revoke_tokens()  # Friendbuy forgot it early: 401, a new token, the same purchase once
    sell(linked, code, "FB-2003")
    drain(sales)
    assert [p["orderId"] for p in stub.friendbuy_purchases()] == ["FB-2001", "FB-2002", "FB-2003"]
    assert len([c for c in stub.calls if c["path"] == "/v1/authorization"]) == 2


def test_a_sale_reported_again_is_not_sent_twice_and_an_unlinked_campaign_sends_nothing(linked, stub):
    code = bank_code(linked, "ADV-3")
    sale = sell(linked, code, "FB-3001")
    report = purchases.checkout_reporter(stub.url)
    # The same event twice, as a re-drive after a lost acknowledgement would hand it over.
    first = report(linked, SaleEvent(kind=SALE, delivery_id="d-1", redemption=sale))
    again = report(linked, SaleEvent(kind=SALE, delivery_id="d-1", redemption=sale))
    assert "sent to Friendbuy (HTTP 201)" in first[1] and "sent to Friendbuy before" in again[1]
    assert [p["orderId"] for p in stub.friendbuy_purchases()] == ["FB-3001"]
    outbound.unlink(linked, demo.CAMPAIGN)
    later = sell(linked, code, "FB-3002")
    assert report(linked, SaleEvent(kind=SALE, delivery_id="d-2", redemption=later))[0] == DELIVERED
    assert [p["orderId"] for p in stub.friendbuy_purchases()] == ["FB-3001"]  # recorded here only


def test_the_link_never_shows_its_secret():
    link = outbound.Link("53345", "k", "s3cr3t")
    assert "s3cr3t" not in repr(link) and "s3cr3t" not in str(link)
