"""Orders that came through a partner's tracking link without a code (POST /checkout/sales), and a
redemption replayed after its rollback (409 rolled_back), through the handler and the domain."""

import json
from decimal import Decimal

import pytest

from coupons.checkout import redemptions
from coupons.checkout.rules import CodeRefused, Reason
from coupons.core import outbox
from coupons.core.errors import Unauthenticated
from coupons.core.sales import TRACKING_REF_PREFIXES, Cart, Customer, partner_of_ref
from localrun.samples import sample_event
from tests.checkout.conftest import AUTH, add_code, drain, local_delivery
from tests.conftest import body

HEADERS = {"authorization": f"Bearer {AUTH}"}
CART = Cart(subtotal=Decimal("100.00"), shipping=Decimal("4.90"), currency="EUR")


def post(handler, path, payload, path_parameters=None, headers=HEADERS):
    """The checkout handler with one POST: ``payload`` a dict, or JSON text sent as it is."""
    route = ("POST", path, path_parameters or {})
    event = sample_event(route, {"headers": headers, "body": payload})
    if isinstance(payload, str):
        event["headers"]["content-type"] = "application/json"
    return handler("CheckoutFunction")(event)


def sale(table, order="2001", ref="bb-42", account="demo", cart=CART, key=AUTH):
    return redemptions.record_sale(table, key, order, ref, account, cart, Customer())


def test_a_tracking_link_sale_sends_one_pixel_per_order(demo_table, stub):
    first, again = sale(demo_table), sale(demo_table)
    assert (first.replayed, again.replayed, again.redemption.id) == (False, True, first.redemption.id)
    assert first.redemption.owner.model_dump() == {"partner": "brandbassador", "account": "demo", "person": None}
    drain(local_delivery(demo_table, stub))
    sale(demo_table)  # a late retry after delivery sends nothing either
    drain(local_delivery(demo_table, stub))
    [call] = stub.answered()
    assert call["query"] == {"order_id": "2001", "total": "100.00", "tracking_link": "true", "ref": "bb-42",
                             "key": "demo-key", "currency": "EUR"}


def test_the_same_order_with_another_ref_or_total_is_a_conflict(demo_table):
    sale(demo_table)
    for changed in ({"ref": "bb-43"}, {"cart": Cart(subtotal=Decimal("99.00"), currency="EUR")}):
        with pytest.raises(CodeRefused) as refused:
            sale(demo_table, **changed)
        assert refused.value.reason is Reason.ORDER_CONFLICT
    assert len(list(outbox.in_state(demo_table, outbox.PENDING))) == 1


@pytest.mark.parametrize("ref, reason", [
    ("zz-42", Reason.UNKNOWN_REF), ("42", Reason.UNKNOWN_REF), ("bb 42", Reason.MALFORMED_REF),
    ("bb-٤٢", Reason.MALFORMED_REF), ("b", Reason.MALFORMED_REF), ("bb-" + "9" * 200, Reason.MALFORMED_REF),
])
def test_unknown_and_malformed_refs_are_refused_and_write_nothing(demo_table, ref, reason):
    before = demo_table.client.scan(TableName=demo_table.name)["Items"]
    with pytest.raises(CodeRefused) as refused:
        sale(demo_table, ref=ref)
    assert refused.value.reason is reason
    assert demo_table.client.scan(TableName=demo_table.name)["Items"] == before


def test_an_unknown_webshop_is_refused_inside_the_transaction(demo_table):
    with pytest.raises(CodeRefused) as refused:
        sale(demo_table, account="no-such-shop")
    assert refused.value.reason is Reason.UNKNOWN_ACCOUNT
    assert list(outbox.in_state(demo_table, outbox.PENDING)) == []


def test_the_key_is_checked_before_the_ref(demo_table):
    with pytest.raises(Unauthenticated):
        sale(demo_table, ref="not a ref", key="wrong")


def test_refs_route_through_the_core_table_not_a_partner_import():
    assert TRACKING_REF_PREFIXES == {"bb": "brandbassador"}
    assert partner_of_ref("BB-42") == "brandbassador"  # the prefix in any case, as the pixel reporter reads it


def test_the_sale_route_answers_in_the_checkout_format(handler):
    payload = {"order_id": "2001", "ref": "bb-42", "account": "demo",
               "cart": {"subtotal": "119.00", "tax": "19.00", "taxes_included": True, "currency": "EUR"}}
    first, again = post(handler, "/checkout/sales", payload), post(handler, "/checkout/sales", payload)
    assert (first["statusCode"], again["statusCode"]) == (201, 200)
    assert {k: body(first)[k] for k in ("order_id", "ref", "currency", "paid_goods_total", "replayed")} == {
        "order_id": "2001", "ref": "bb-42", "currency": "EUR", "paid_goods_total": "100.00", "replayed": False}
    missing = post(handler, "/checkout/sales", {k: v for k, v in payload.items() if k != "account"})
    assert (missing["statusCode"], body(missing)["error"]["code"]) == (400, "invalid_request")


# ---- issue 13: no 2xx may describe money not taken ------------------------------------------------


def test_a_redemption_replayed_after_its_rollback_is_409_rolled_back(handler, demo_table):
    add_code(demo_table, "CARD50", kind="gift_card", value="50.00")
    payload = {"code": "CARD50", "order_id": "A-1", "amount": "25.00",
               "cart": {"subtotal": "100.00", "currency": "EUR"}}
    done = post(handler, "/checkout/redemptions", payload)
    assert done["statusCode"] == 201
    rollback = post(handler, "/checkout/redemptions/{redemption}/rollback", None, {"redemption": body(done)["id"]})
    assert body(rollback)["state"] == "rolled_back"
    again = post(handler, "/checkout/redemptions", payload)
    assert (again["statusCode"], body(again)["error"]["code"]) == (409, "rolled_back")
    assert "new order id" in body(again)["error"]["message"]
    # the rollback itself may be repeated: it describes money given back, not taken
    assert post(handler, "/checkout/redemptions/{redemption}/rollback", None,
                {"redemption": body(done)["id"]})["statusCode"] == 200


def test_amounts_in_redeem_bodies_are_strict(handler, demo_table):
    add_code(demo_table, "CARD50", kind="gift_card", value="50.00")
    for amount in ('"1_000"', '" 10 "', '"1E+1"', '"-0"', "10.000000000000001", '"١٠"'):
        text = json.dumps({"code": "CARD50", "order_id": "A-1", "cart": {"subtotal": "100.00", "currency": "EUR"}})
        response = post(handler, "/checkout/redemptions", text[:-1] + f', "amount": {amount}}}')
        assert (response["statusCode"], body(response)["error"]["code"]) == (400, "invalid_request"), amount
    exact = json.dumps({"code": "CARD50", "order_id": "A-2", "cart": {"subtotal": "100.00", "currency": "EUR"}})
    response = post(handler, "/checkout/redemptions", exact[:-1] + ', "amount": 10.5}')  # a JSON number, exact
    assert (response["statusCode"], body(response)["gift_card_amount"]) == (201, "10.50")
