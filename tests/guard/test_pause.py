"""A paused code is refused at checkout (reason ``paused``), by the rules and by the redemption's own
condition; pause and unpause touch nothing else; redemptions made before stay as they are."""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from coupons.checkout import redemptions
from coupons.checkout.rules import CodeRefused, Reason
from coupons.core import code_items
from coupons.core.errors import NotFound
from coupons.core.sales import Cart, Customer
from coupons.core.table import Table
from coupons.guard import pausing
from tests.checkout.conftest import AUTH, add_code
from tests.conftest import CountingClient, body

CART = Cart(subtotal=Decimal("100.00"), shipping=Decimal("4.90"), currency="EUR")
AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def raw(table: Table, code: str) -> dict:
    return table.client.get_item(TableName=table.name, Key=table.serialize(code_items.key(code)))["Item"]


def http(code: str, order: str | None = None) -> dict:
    payload = {"code": code, "cart": {"subtotal": "100.00", "shipping": "4.90", "currency": "EUR"}}
    path = "/checkout/validate"
    if order:
        payload, path = {**payload, "order_id": order}, "/checkout/redemptions"
    return {"version": "2.0", "routeKey": f"POST {path}", "rawPath": path, "rawQueryString": "",
            "headers": {"authorization": f"Bearer {AUTH}", "content-type": "application/json"},
            "requestContext": {"http": {"method": "POST", "path": path, "sourceIp": "203.0.113.9"},
                               "requestId": "r", "routeKey": f"POST {path}", "stage": "$default"},
            "body": json.dumps(payload), "isBase64Encoded": False}


def test_a_paused_code_is_refused_with_reason_paused_on_validate_and_redeem(handler, demo_table):
    add_code(demo_table, "LEAKY15", value="15")
    checkout = handler("CheckoutFunction")
    assert checkout(http("LEAKY15", "1"))["statusCode"] == 201
    assert pausing.pause(demo_table, "LEAKY15", "admin", AT) is True
    for event in (http("LEAKY15"), http("LEAKY15", "2")):
        answer = checkout(event)
        assert answer["statusCode"] == 422
        assert body(answer)["error"]["code"] == "paused"
        assert "paused" in body(answer)["error"]["message"]
    assert code_items.get(demo_table, "LEAKY15").uses == 1  # the earlier redemption stands, no new one


def test_unpausing_restores_the_code_item_exactly_and_redemptions_are_untouched(demo_table):
    add_code(demo_table, "VIRAL10")
    done = redemptions.redeem(demo_table, AUTH, "VIRAL10", "1", CART, Customer())
    before = raw(demo_table, "VIRAL10")
    redemption_before = demo_table.client.scan(TableName=demo_table.name)["Items"]
    assert pausing.pause(demo_table, "VIRAL10", "guard:no_ref", AT)
    assert pausing.pause(demo_table, "VIRAL10", "admin", AT) is False  # already paused: nothing written
    paused = raw(demo_table, "VIRAL10")
    assert {k: v for k, v in paused.items() if k not in ("paused_at", "paused_by")} == before
    assert code_items.get(demo_table, "VIRAL10").paused_by == "guard:no_ref"
    assert pausing.unpause(demo_table, "VIRAL10") is True
    assert pausing.unpause(demo_table, "VIRAL10") is False
    assert raw(demo_table, "VIRAL10") == before
    assert demo_table.client.scan(TableName=demo_table.name)["Items"] == redemption_before
    again = redemptions.redeem(demo_table, AUTH, "VIRAL10", "2", CART, Customer())
    assert (again.replayed, again.redemption.owner) == (False, done.redemption.owner)


def test_pausing_an_unknown_code_says_so(demo_table):
    with pytest.raises(NotFound):
        pausing.pause(demo_table, "NOSUCH", "admin", AT)
    with pytest.raises(NotFound):
        pausing.unpause(demo_table, "NOSUCH")


def test_a_warm_instance_that_remembers_the_code_unpaused_is_refused_by_the_condition(demo_table):
    counted = Table(demo_table.name, CountingClient(demo_table.client))
    add_code(counted, "WARM20", value="20")
    redemptions.redeem(counted, AUTH, "WARM20", "1", CART, Customer())  # key and code now remembered
    counted.client.calls.clear()
    redemptions.redeem(counted, AUTH, "WARM20", "2", CART, Customer())
    assert counted.client.calls == ["transact_write_items"]  # the happy path stays one call
    pausing.pause(demo_table, "WARM20", "guard:no_ref", AT)  # another process, behind its back
    counted.client.calls.clear()
    with pytest.raises(CodeRefused) as refused:
        redemptions.redeem(counted, AUTH, "WARM20", "3", CART, Customer())
    assert refused.value.reason is Reason.PAUSED
    assert counted.client.calls == ["transact_write_items"]  # the condition refused it, nothing written
    assert code_items.get(demo_table, "WARM20").uses == 2
    pausing.unpause(demo_table, "WARM20")
    assert redemptions.redeem(counted, AUTH, "WARM20", "3", CART, Customer()).replayed is False


@pytest.mark.local_stack
def test_50_parallel_redemptions_of_a_code_being_paused_accept_none_after_the_pause(local_stack):
    table = local_stack.table
    add_code(table, "RACEPAUSE", value="10")
    headers = {"Authorization": f"Bearer {AUTH}"}
    cart = {"subtotal": "100.00", "shipping": "4.90", "currency": "EUR"}
    paused_when: list[int] = []
    answers: dict[int, tuple[int, str, bool]] = {}

    def redeem(i: int) -> None:
        if i == 20:  # a pause lands in the middle of the stream
            pausing.pause(table, "RACEPAUSE", "admin", datetime.now(UTC))
            paused_when.append(len(answers))
        started_after_pause = bool(paused_when)
        r = local_stack.post("/checkout/redemptions", headers=headers,
                             json={"code": "RACEPAUSE", "order_id": f"P-{i}", "cart": cart})
        answers[i] = (r.status_code, r.json().get("error", {}).get("code", ""), started_after_pause)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(redeem, range(50)))
    statuses = Counter((status, code) for status, code, _ in answers.values())
    assert set(statuses) <= {(201, ""), (422, "paused")}
    # every request sent after the pause's write returned was refused
    assert all((status, code) == (422, "paused") for status, code, after in answers.values() if after)
    # and the code counts exactly the accepted redemptions: none slipped past the condition
    accepted = statuses[(201, "")]
    assert code_items.get(table, "RACEPAUSE", consistent=True).uses == accepted
    stored = [i for i in table.query_all(KeyConditionExpression="pk = :pk AND begins_with(sk, :r)",
                                         ExpressionAttributeValues=table.values({":pk": "CODE#RACEPAUSE",
                                                                                 ":r": "REDEMPTION#"}))]
    assert len(stored) == accepted
