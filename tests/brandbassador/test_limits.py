"""Abuse limits of a webshop: the largest gift card its key may mint, and a daily issuance budget
counted by a DynamoDB condition (moto for the rules, DynamoDB Local for the race)."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from coupons.brandbassador import webshops, wire
from coupons.brandbassador.webshops import WebshopSettings
from coupons.core import account_items, code_items
from coupons.core.errors import LimitReached
from coupons.core.models import utcnow
from coupons.core.table import Table
from coupons_admin.webshops import add_webshop
from tests.conftest import body


def create(table: Table, webshop: str, **params):
    shop = webshops.open_webshop(table, webshop, "k")
    return webshops.create_code(table, shop, wire.parse(wire.CodeQuery(**params)))


def counter(table: Table, webshop: str) -> dict:
    key = account_items.budget_key("brandbassador", webshop, utcnow().date(), own_partition=True)
    item = table.client.get_item(TableName=table.name, Key=table.serialize(key), ConsistentRead=True).get("Item")
    return table.deserialize(item) if item else {}


def test_a_gift_card_above_the_webshops_cap_is_refused_and_not_stored(table):
    add_webshop(table, "capped", "k", WebshopSettings(base_currency="EUR", max_gift_card=Decimal("500.00")))
    with pytest.raises(LimitReached, match=r"at most 500\.00 EUR"):
        create(table, "capped", code="BIGGIFT", amount="500.01")
    assert code_items.get(table, "BIGGIFT") is None
    assert not create(table, "capped", code="OKGIFT", amount="500.00").replayed


def test_without_settings_a_gift_card_is_capped_at_the_default(table):
    add_webshop(table, "plain", "k", WebshopSettings(base_currency="EUR"))
    with pytest.raises(LimitReached):
        create(table, "plain", code="HUGE", amount="999999999.99")


def test_the_daily_budget_counts_codes_and_a_retry_is_not_counted_twice(table):
    add_webshop(table, "budget", "k", WebshopSettings(base_currency="EUR", daily_codes=2))
    create(table, "budget", code="DAY1", percentage="10")
    assert create(table, "budget", code="DAY1", percentage="10").replayed  # the partner's retry
    create(table, "budget", code="DAY2", amount="10.00")
    with pytest.raises(LimitReached, match="2 codes"):
        create(table, "budget", code="DAY3", percentage="10")
    assert code_items.get(table, "DAY3") is None
    assert counter(table, "budget")["codes"] == 2


def test_the_daily_budget_counts_gift_card_value(table):
    add_webshop(table, "value", "k", WebshopSettings(base_currency="EUR", daily_gift_card_value=Decimal("100.00")))
    create(table, "value", code="V60", amount="60.00")
    create(table, "value", code="PCT", percentage="10")  # a percent code costs no value
    with pytest.raises(LimitReached, match=r"100\.00 of gift-card value"):
        create(table, "value", code="V41", amount="40.01")
    create(table, "value", code="V40", amount="40.00")
    assert counter(table, "value")["gift_card_value"] == Decimal("100.00")


def test_a_duplicate_code_costs_the_budget_nothing(table):
    add_webshop(table, "dup", "k", WebshopSettings(base_currency="EUR", daily_codes=5))
    create(table, "dup", code="TAKEN1", percentage="10")
    with pytest.raises(Exception, match="already exists"):
        create(table, "dup", code="taken1", percentage="20")
    assert counter(table, "dup")["codes"] == 1


def test_over_the_limit_the_handler_answers_429_in_brandbassadors_format(handler, demo_table):
    event = {
        "version": "2.0", "routeKey": "GET /brandbassador/webshops/{webshop}/codes",
        "rawPath": "/brandbassador/webshops/demo/codes", "rawQueryString": "code=MINT&amount=1000000.00&auth_key=demo-key",
        "queryStringParameters": {"code": "MINT", "amount": "1000000.00", "auth_key": "demo-key"},
        "pathParameters": {"webshop": "demo"}, "headers": {}, "isBase64Encoded": False,
        "requestContext": {"http": {"method": "GET", "path": "/brandbassador/webshops/demo/codes"},
                           "requestId": "r", "routeKey": "GET /brandbassador/webshops/{webshop}/codes", "stage": "$default"},
    }
    response = handler("BrandbassadorFunction")(event)
    assert response["statusCode"] == 429
    assert body(response) == {"status": 0, "error": "Gift cards of webshop 'demo' are at most 1000.00 EUR; "
                                                    "1000000.00 was asked for"}


@pytest.mark.local_stack
def test_parallel_creates_never_exceed_the_daily_budget(local_stack):
    table = local_stack.table
    add_webshop(table, "race", "k", WebshopSettings(base_currency="EUR", daily_codes=5))

    def attempt(i: int) -> str:
        try:
            create(table, "race", code=f"RACE{i:03d}", percentage="10")
            return "created"
        except LimitReached:
            return "refused"

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(40)))
    assert outcomes.count("created") == 5
    assert sum(1 for _ in code_items.list_by_owner(table, "brandbassador", "race")) == 5
    assert counter(table, "race")["codes"] == 5


def test_a_rotated_key_keeps_working_through_its_grace_then_stops(table, monkeypatch):
    from datetime import timedelta

    from coupons.core import models
    from coupons.core.errors import Forbidden
    from coupons_admin.__main__ import main

    add_webshop(table, "rot", "old-key", WebshopSettings(base_currency="EUR"))
    assert main(["--table", table.name, "webshops", "rotate-key", "rot", "--key", "new-key", "--grace", "1h"]) == 0
    assert webshops.open_webshop(table, "rot", "new-key").id == "rot"
    assert webshops.open_webshop(table, "rot", "old-key").id == "rot"  # partners switch at their pace
    later = utcnow() + timedelta(hours=1, seconds=1)
    monkeypatch.setattr(models, "utcnow", lambda: later)
    with pytest.raises(Forbidden):
        webshops.open_webshop(table, "rot", "old-key")
    assert webshops.open_webshop(table, "rot", "new-key").id == "rot"
    assert main(["--table", table.name, "webshops", "rotate-key", "rot", "--key", "newer-key"]) == 0
    with pytest.raises(Forbidden):  # no grace: the replaced key stops at once
        webshops.open_webshop(table, "rot", "new-key")
