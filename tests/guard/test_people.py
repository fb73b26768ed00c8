"""Distinct customers and client IPs: the IP is hashed on receipt and never stored in clear; each
person counts once a day per code, race-free; a burst from a few buyers is flagged, never paused."""

from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from coupons.core import code_items
from coupons.guard import detector, items
from coupons.guard.signals import Counts, Thresholds, assess
from localrun.demo.checkout import add_sample_codes
from tests.checkout.conftest import add_code
from tests.conftest import body, load_event
from tests.guard.test_detector import SITEVIBES, START, organic_history, sale, use_mode

IP = "203.0.113.7"  # the redeem-percent sample's customer.ip


def with_people(event, customer: str, ip: str | None):
    r = event.redemption
    customer_ = r.customer.model_copy(update={"id": customer, "ip_hash": ip})
    return dataclasses.replace(event, redemption=r.model_copy(update={"customer": customer_}))


def test_the_checkout_keeps_a_hash_of_the_clients_ip_never_the_ip(handler, demo_table):
    add_sample_codes(demo_table)
    answer = handler("CheckoutFunction")(load_event("checkout", "redeem-percent"))
    assert answer["statusCode"] == 201
    stored = demo_table.client.scan(TableName=demo_table.name)["Items"]
    assert IP not in json.dumps(stored)
    hashes = {i["redemption"]["M"]["customer"]["M"]["ip_hash"]["S"] for i in stored
              if "redemption" in i and "ip_hash" in i["redemption"]["M"]["customer"]["M"]}
    assert len(hashes) == 1 and len(hashes.pop()) == 32


@pytest.mark.parametrize("bad", ['"999.1.1"', "false", "0"])  # an IP parser alone would take 0 as 0.0.0.0
def test_a_malformed_ip_is_refused_in_the_checkouts_own_format(handler, demo_table, bad):
    add_sample_codes(demo_table)
    event = load_event("checkout", "redeem-percent")
    event["body"] = event["body"].replace(f'"{IP}"', bad)
    answer = handler("CheckoutFunction")(event)
    assert answer["statusCode"] == 400
    assert body(answer)["error"]["code"] == "invalid_request" and "customer.ip" in body(answer)["error"]["message"]
    assert [i for i in demo_table.client.scan(TableName=demo_table.name)["Items"] if "redemption" in i] == []


def test_a_no_ref_burst_from_two_buyers_is_flagged_not_paused_and_from_many_paused(guard_table):
    use_mode(guard_table, "pause")
    for code, buyers in (("FEWBUYERS", 2), ("MANYBUYERS", 1000)):
        add_code(guard_table, code, owner=SITEVIBES)
        organic_history(guard_table, code, seed=6)
        for i in range(40):
            detector.observe(guard_table, with_people(
                sale(code, f"l-{i}", START + timedelta(days=12, minutes=i), None, True), f"b{i % buyers}", f"ip{i % buyers}"))
    few = items.view(guard_table, "FEWBUYERS", (START + timedelta(days=12)).date(), 1)
    assert (few.recent.customers, few.recent.ips, few.recent.identified, few.recent.with_ip) == (2, 2, 40, 40)
    assert few.state["flagged_at"] and "concentrated" in few.state["flag_detail"]["fired"]
    assert code_items.get(guard_table, "FEWBUYERS").paused_at is None
    assert code_items.get(guard_table, "MANYBUYERS").paused_at is not None


def test_spread_is_judged_only_on_enough_named_redemptions():
    burst = Counts(n=20, ref=0, known=20, new=20, days=1, identified=3, customers=1, with_ip=20, ips=20)
    assert assess([burst], Counts(n=30, ref=20, days=28), Thresholds()).action == "pause"  # 3 named: too few to say
    assert assess([burst], Counts(n=30, ref=20, days=28), Thresholds(min_redemptions=3)).action == "flag"


@pytest.mark.local_stack
def test_parallel_distinct_counting_never_loses_or_repeats_a_person(local_stack):
    """50 sales by 10 customers from 5 IPs, each counted twice at once: the day holds 10 and 5."""
    table = local_stack.table
    events = [with_people(sale("PARPEOPLE", f"p-{i}", START + timedelta(seconds=i), None, None), f"c{i % 10}",
                          f"ip{i % 5}") for i in range(50)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda e: items.count(table, "PARPEOPLE", e.redemption.id.rsplit(".", 1)[1], START.date(),
                                            detector.delta(e.redemption), people=detector.people(e.redemption)),
                      events * 2))
    got = items.view(table, "PARPEOPLE", START.date(), 1).recent
    assert (got.n, got.identified, got.customers, got.with_ip, got.ips) == (50, 50, 10, 50, 5)


@pytest.mark.local_stack
def test_over_http_the_ip_is_taken_and_a_bad_one_refused(local_stack):
    add_code(local_stack.table, "HTTPIP10", owner=SITEVIBES)
    auth = {"Authorization": "Bearer demo-key"}
    cart = {"subtotal": "100.00", "shipping": "4.90", "currency": "EUR"}
    good = local_stack.post("/checkout/redemptions", headers=auth, json={
        "code": "HTTPIP10", "order_id": "ip-1", "cart": cart, "customer": {"id": "c1", "ip": "2001:db8::1"}})
    bad = local_stack.post("/checkout/redemptions", headers=auth, json={
        "code": "HTTPIP10", "order_id": "ip-2", "cart": cart, "customer": {"id": "c1", "ip": "localhost"}})
    assert (good.status_code, bad.status_code, bad.json()["error"]["code"]) == (201, 400, "invalid_request")
