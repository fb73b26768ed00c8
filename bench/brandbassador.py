"""Brandbassador: create throughput vs the bare calls it makes (one transaction: the code and the
demo webshop's daily budget counter), calls per case."""

from __future__ import annotations

import copy
import functools
import uuid
from urllib.parse import urlencode

from bench.harness import Context, Row, rates_in_turns, unique
from coupons.core import account_items, code_items
from coupons.core.table import Table
from localrun.samples import sample_event

FUNCTION = "BrandbassadorFunction"
RATE = "requests/s (1 / median, in turns)"
ROUTE = ("GET", "/brandbassador/webshops/{webshop}/codes", {"webshop": "demo"})
N = 300


def event(**params: str) -> dict:
    return sample_event(ROUTE, {"query": urlencode({"auth_key": "demo-key", **params})})


def run(ctx: Context) -> list[Row]:
    rows = [*_throughput(ctx), *_calls(ctx)]
    return rows



def _throughput(ctx: Context) -> list[Row]:
    invoke = ctx.handler(FUNCTION)
    client, name = ctx.table.client, ctx.table.name

    def create(i: int) -> None:
        response = invoke(event(code=unique("B"), percentage="20", ambassador="bench"))
        assert response["statusCode"] == 200, response

    def bare_put(i: int) -> None:
        client.put_item(
            TableName=name,
            Item={**Table.serialize(code_items.key(unique("P"))), "kind": {"S": "percent"},
                  "value": {"N": "20"}, "partner": {"S": "brandbassador"}, "account": {"S": "demo"}},
            ConditionExpression="attribute_not_exists(pk)",
        )

    # The floor is the handler's own request, replayed without the handler: captured once, then sent
    # with a fresh code each time (the same item shape, index keys, conditions and options).
    create(-1)  # the webshop's settings are cached from here on, as in a warm function
    sent = ctx.record_calls(lambda: create(-2))
    assert [operation for operation, _ in sent] == ["TransactWriteItems"], sent
    request = sent[0][1]

    def bare_transaction(i: int) -> None:
        parts = copy.deepcopy(request["TransactItems"])
        code = unique("T")
        parts[0]["Put"]["Item"].update({**Table.serialize(code_items.key(code)), "code": {"S": code}})
        client.transact_write_items(**{**request, "TransactItems": parts, "ClientRequestToken": uuid.uuid4().hex})

    def bare_get_put(i: int) -> None:
        client.get_item(TableName=name, Key=Table.serialize(account_items.key("brandbassador", "demo")))
        bare_put(i)

    rates = rates_in_turns({"handler": create, "transaction": bare_transaction, "put": bare_put,
                               "get_put": bare_get_put}, N)
    handler_rate, transaction_rate, put_rate, get_put_rate = (
        rates["handler"], rates["transaction"], rates["put"], rates["get_put"])
    return [
        Row("brandbassador", "create code through the handler", RATE, handler_rate),
        Row("brandbassador", "bare transact_write_items (code put + budget counter), the calls it makes",
            RATE, transaction_rate),
        Row("brandbassador", "bare conditional put_item (a webshop without a budget)", RATE, put_rate),
        Row("brandbassador", "bare get_item (webshop) + conditional put_item (before the cache)", RATE, get_put_rate),
        Row("brandbassador", "handler / the bare calls it makes", "ratio", handler_rate / transaction_rate, ">= 0.8"),
        Row("brandbassador", "handler / bare put_item", "ratio", handler_rate / put_rate),
    ]


def _calls(ctx: Context) -> list[Row]:
    invoke = ctx.handler(FUNCTION)
    retry = event(code="BENCHRETRY", percentage="20")
    invoke(retry)
    cases = {
        "create percent code": event(code=unique("C"), percentage="20"),
        "create gift card": event(code=unique("G"), amount="100.00", currency="EUR"),
        "identical retry (replayed)": retry,
        "duplicate, other case": event(code="benchretry", percentage="25"),
        "bad input": event(code="BAD-CODE", percentage="20"),
        "wrong key": event(code=unique("W"), percentage="20", auth_key="wrong"),
    }
    rows = []
    for case, ev in cases.items():
        calls, capacity, by_operation = ctx.measure(functools.partial(invoke, ev))
        detail = " + ".join(f"{n} {op}" for op, n in sorted(by_operation.items())) or "none"
        target = "1" if case.startswith("create") else ""
        rows.append(Row("brandbassador", case, f"DynamoDB calls ({detail})", calls, target))
        rows.append(Row("brandbassador", case, "capacity units", capacity))
    return rows
