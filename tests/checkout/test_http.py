"""Checkout over HTTP against the local stack (DynamoDB Local), as a shop's checkout calls it,
including the races that break coupon engines (double redemption, gift-card overspend)."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from coupons.core import code_items
from coupons.core.models import Owner
from localrun.demo.checkout import add_sample_codes
from localrun.partner_stub import PartnerStub
from tests.checkout.conftest import add_code, drain, local_delivery

pytestmark = pytest.mark.local_stack

AUTH = {"Authorization": "Bearer demo-key"}
CART = {"subtotal": "100.00", "shipping": "4.90", "currency": "EUR"}


@pytest.fixture(scope="module", autouse=True)
def sample_codes(local_stack):
    add_sample_codes(local_stack.table)


def redeem(stack, code, order, **extra):
    return stack.post("/checkout/redemptions", headers=AUTH, json={"code": code, "order_id": order, "cart": CART,
                                                                   **extra})


def parallel(count, call):
    # 16 clients at a time keep the local gateway's listen backlog from overflowing; its 4 workers
    # per function are the real parallelism, as Lambda instances would be.
    with ThreadPoolExecutor(max_workers=min(count, 16)) as pool:
        return list(pool.map(call, range(count)))


def test_validate_then_redeem_a_brandbassador_code(local_stack):
    created = local_stack.get("/brandbassador/webshops/demo/codes",
                              params={"code": "HTTPANNA", "percentage": "15", "auth_key": "demo-key",
                                      "ambassador": "anna"})
    assert created.status_code == 200
    quote = local_stack.post("/checkout/validate", headers=AUTH, json={"code": "httpanna", "cart": CART})
    assert (quote.status_code, quote.json()["discount"], quote.json()["to_pay"]) == (200, "15.00", "89.90")
    done = redeem(local_stack, "HTTPANNA", "H-1")
    assert done.status_code == 201
    assert done.json()["attributed_to"] == {"partner": "brandbassador", "account": "demo", "person": "anna"}


@pytest.mark.parametrize("headers, payload, status, code", [
    ({}, {"code": "CHECKOUT10", "cart": CART}, 401, "unauthenticated"),
    (AUTH, {"code": "CHECKOUT10"}, 400, "invalid_request"),
    (AUTH, {"code": "CHECKOUT10", "cart": {**CART, "subtotal": "1.001"}}, 400, "invalid_request"),
    (AUTH, {"code": "CHECKOUT10", "cart": {**CART, "currency": "EURO"}}, 400, "invalid_request"),
    (AUTH, {"code": "CHECK OUT10", "cart": CART}, 400, "invalid_request"),
    (AUTH, {"code": "CHECKOUTOLD", "cart": CART}, 422, "expired"),
    (AUTH, {"code": "NOSUCHCODE", "cart": CART}, 404, "unknown"),
])
def test_refusals_are_json_errors_with_a_reason(local_stack, headers, payload, status, code):
    response = local_stack.post("/checkout/validate", headers=headers, json=payload)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert response.json()["error"]["message"]


def test_a_body_that_is_not_json_is_a_400(local_stack):
    response = local_stack.post("/checkout/redemptions", headers={**AUTH, "content-type": "application/json"},
                                data="{not json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_request")


def test_200_parallel_redemptions_of_a_single_use_code_give_exactly_one(local_stack):
    add_code(local_stack.table, "RACEONCE", max_uses=1)
    answers = parallel(200, lambda i: redeem(local_stack, "RACEONCE", f"R-{i}"))
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 1, 422: 199}
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 422} == {"used_up"}
    assert code_items.get(local_stack.table, "RACEONCE", consistent=True).uses == 1


def test_100_parallel_spends_of_10_on_a_500_card_leave_exactly_0(local_stack):
    add_code(local_stack.table, "RACECARD", kind="gift_card", value="500.00")
    answers = parallel(100, lambda i: redeem(local_stack, "RACECARD", f"G-{i}", amount="10.00"))
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 50, 422: 50}
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 422} == {"insufficient_balance"}
    card = local_stack.get("/checkout/gift-cards/racecard", headers=AUTH).json()
    assert card["balance"] == "0.00"
    assert len([h for h in card["history"] if h["state"] == "redeemed"]) == 50


def test_parallel_rollbacks_refund_once(local_stack):
    add_code(local_stack.table, "RACEBACK", kind="gift_card", value="100.00", max_uses=1)
    spent = redeem(local_stack, "RACEBACK", "B-1", amount="40.00").json()
    answers = parallel(20, lambda _: local_stack.post(f"/checkout/redemptions/{spent['id']}/rollback", headers=AUTH))
    assert {a.status_code for a in answers} == {200}
    assert sorted(a.json()["replayed"] for a in answers) == [False] + [True] * 19
    stored = code_items.get(local_stack.table, "RACEBACK", consistent=True)
    assert (stored.balance, stored.uses) == (Decimal("100.00"), 0)


def test_the_same_order_sent_in_parallel_is_one_redemption(local_stack):
    add_code(local_stack.table, "RACEORDER", max_uses=5)
    answers = parallel(20, lambda _: redeem(local_stack, "RACEORDER", "O-1"))
    assert Counter(a.status_code for a in answers) == {201: 1, 200: 19}
    assert len({a.json()["id"] for a in answers}) == 1
    assert code_items.get(local_stack.table, "RACEORDER", consistent=True).uses == 1


def test_a_partner_failing_the_first_3_calls_still_gets_each_sale_exactly_once(local_stack):
    owner = Owner(partner="brandbassador", account="demo", person="flaky")
    add_code(local_stack.table, "FLAKY", owner=owner)
    orders = [f"F-{i}" for i in range(5)]
    assert [redeem(local_stack, "FLAKY", order).status_code for order in orders] == [201] * 5
    stub = PartnerStub(fail_first=3).start()
    try:
        drain(local_delivery(local_stack.table, stub))
        ours = [c for c in stub.calls if c["query"].get("code") == "FLAKY"]
        assert Counter(c["query"]["order_id"] for c in ours if c["status"] == 200) == {o: 1 for o in orders}
        assert [c["status"] for c in stub.calls[:3]] == [503] * 3
    finally:
        stub.close()


def test_one_customer_racing_a_once_per_customer_code_gets_it_once(local_stack):
    add_code(local_stack.table, "RACEEACH", per_customer=1)
    answers = parallel(30, lambda i: redeem(local_stack, "RACEEACH", f"C-{i}",
                                            customer={"email": "Racer@Example.com" if i % 2 else "racer@example.com"}))
    assert Counter(a.status_code for a in answers) == {201: 1, 422: 29}
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 422} == {"customer_limit_reached"}
    assert redeem(local_stack, "RACEEACH", "C-other", customer={"id": "someone-else"}).status_code == 201


def test_parallel_refunds_never_give_back_more_than_the_order_total(local_stack):
    """20 refunds of 10.00 at once on an order of 104.90 of which 40.00 was paid by gift card: exactly
    10 succeed (100.00), the card gets exactly its share back, never more."""
    add_code(local_stack.table, "RACEREFUND", kind="gift_card", value="100.00")
    spent = redeem(local_stack, "RACEREFUND", "RF-1", amount="40.00").json()
    answers = parallel(20, lambda i: local_stack.post(f"/checkout/redemptions/{spent['id']}/refunds", headers=AUTH,
                                                      json={"refund_id": f"RMA-{i}", "amount": "10.00"}))
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 10, 422: 10}, [a.text for a in answers if a.status_code not in (201, 422)]
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 422} == {"refund_exceeds_paid"}
    card = local_stack.get("/checkout/gift-cards/RACEREFUND", headers=AUTH).json()
    # 40.00 x 100.00 / 104.90 = 38.13 back in all, whatever order the refunds landed in
    assert card["balance"] == "98.13"
    assert sum(Decimal(a.json()["gift_card_amount"]) for a in answers if a.status_code == 201) == Decimal("38.13")
    # the same refund id again (one that went through) changes nothing
    taken = next(a.json()["refund_id"] for a in answers if a.status_code == 201)
    again = local_stack.post(f"/checkout/redemptions/{spent['id']}/refunds", headers=AUTH,
                             json={"refund_id": taken, "amount": "10.00"})
    assert (again.status_code, again.json()["replayed"]) == (200, True)


def test_a_tracking_link_sale_over_http_reaches_brandbassador_once(local_stack):
    sale = {"order_id": "TL-1", "ref": "bb-77", "account": "demo",
            "cart": {"subtotal": "1999", "shipping": "500", "currency": "JPY"}}
    answers = parallel(10, lambda _: local_stack.post("/checkout/sales", headers=AUTH, json=sale))
    assert Counter(a.status_code for a in answers) == {201: 1, 200: 9}, answers[0].text
    assert {a.json()["paid_goods_total"] for a in answers} == {"1999"}
    refused = local_stack.post("/checkout/sales", headers=AUTH, json={**sale, "order_id": "TL-2", "ref": "xx-1"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "unknown_ref")
    stub = PartnerStub().start()
    try:
        drain(local_delivery(local_stack.table, stub))
        ours = [c["query"] for c in stub.answered() if c["query"].get("order_id") == "TL-1"]
        assert ours == [{"order_id": "TL-1", "total": "1999.00", "tracking_link": "true", "ref": "bb-77",
                         "key": "demo-key", "currency": "JPY"}]
    finally:
        stub.close()


def test_json_numbers_are_money_read_exactly_over_http(local_stack):
    body = '{"code": "CHECKOUT10", "cart": {"subtotal": %s, "currency": "EUR"}}'
    exact = local_stack.post("/checkout/validate", headers={**AUTH, "content-type": "application/json"},
                             data=body % "100.5")
    assert (exact.status_code, exact.json()["discount"]) == (200, "10.05")
    noisy = local_stack.post("/checkout/validate", headers={**AUTH, "content-type": "application/json"},
                             data=body % "99.999999999999999")
    assert (noisy.status_code, noisy.json()["error"]["code"]) == (400, "invalid_request")
