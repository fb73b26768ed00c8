"""Brandbassador: create throughput vs the bare conditional put, calls per case."""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from bench.harness import Context, Row, per_second, unique
from coupons.core import account_items, code_items
from coupons.core.table import Table
from localrun.samples import sample_event

FUNCTION = "BrandbassadorFunction"
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

    def bare_get_put(i: int) -> None:
        client.get_item(TableName=name, Key=Table.serialize(account_items.key("brandbassador", "demo")))
        bare_put(i)

    handler_rate = per_second(create, N)
    put_rate = per_second(bare_put, N)
    get_put_rate = per_second(bare_get_put, N)
    return [
        Row("brandbassador", "create code through the handler", "requests/s", handler_rate),
        Row("brandbassador", "bare conditional put_item", "requests/s", put_rate),
        Row("brandbassador", "bare get_item (webshop) + conditional put_item", "requests/s", get_put_rate),
        Row("brandbassador", "handler / bare put_item", "ratio", handler_rate / put_rate, ">= 0.7"),
        Row("brandbassador", "handler / bare get_item + put_item", "ratio", handler_rate / get_put_rate, ">= 0.7"),
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
        target = "1 write (+1 config read)" if case.startswith("create") else ""
        rows.append(Row("brandbassador", case, f"DynamoDB calls ({detail})", calls, target))
        rows.append(Row("brandbassador", case, "capacity units", capacity))
    return rows
