"""Affonso: coupon throughput vs the bare DynamoDB calls it makes, calls and capacity
per request for the three routes (create = 1 transaction)."""

from __future__ import annotations

import functools
import json

from bench.harness import Context, Row, per_second, unique
from coupons.affonso import affiliates, items, programmes
from coupons.affonso.affiliates import PartnerProfile
from coupons.core import account_items, code_items
from coupons.core.table import Table
from localrun.samples import sample_event

FUNCTION = "AffonsoFunction"
TOKEN_ROUTE: tuple[str, str, dict[str, str]] = ("POST", "/affonso/v1/embed/token", {})
DATA_ROUTE: tuple[str, str, dict[str, str]] = ("GET", "/affonso/v1/embed/data", {})
COUPON_ROUTE: tuple[str, str, dict[str, str]] = ("POST", "/affonso/v1/embed/coupon", {})
N = 200


def token_event(email: str, key: str = "demo-key") -> dict:
    return sample_event(TOKEN_ROUTE, {"headers": {"authorization": f"Bearer {key}"},
                                      "body": {"programId": "demo", "partner": {"email": email, "name": "Bench"}}})


def data_event(token: str) -> dict:
    return sample_event(DATA_ROUTE, {"query": f"token={token}"})


def coupon_event(token: str, code: str) -> dict:
    return sample_event(COUPON_ROUTE, {"body": {"token": token, "code": code}})


def run(ctx: Context) -> list[Row]:
    return [*_throughput(ctx), *_calls(ctx)]


def _tokens(ctx: Context, n: int) -> list[str]:
    programme = programmes.open_programme(ctx.table, "demo", "demo-key")
    return [affiliates.issue_token(ctx.table, programme, PartnerProfile(email=f"{unique('b')}@bench.example")).token
            for _ in range(n)]



def _throughput(ctx: Context) -> list[Row]:
    invoke = ctx.handler(FUNCTION)
    client, name = ctx.table.client, ctx.table.name
    tokens = _tokens(ctx, N + 1)
    demo_token = tokens[0]
    demo = affiliates.open_session(ctx.table, demo_token)
    token_key = Table.serialize(items.token_key(affiliates.token_hash(demo_token)))
    partition = {":pk": {"S": items.affiliate_partition("demo", demo.affiliate.id)}}

    def create(i: int) -> None:
        response = invoke(coupon_event(tokens[i + 1], unique("A")))
        assert response["statusCode"] == 200, response

    def bare_reads_and_transaction(i: int) -> None:
        # What the handler does, as bare calls: token, affiliate partition, programme, transaction.
        client.get_item(TableName=name, Key=token_key, ConsistentRead=True)
        client.query(TableName=name, KeyConditionExpression="pk = :pk", ExpressionAttributeValues=partition,
                     ConsistentRead=True)
        client.get_item(TableName=name, Key=Table.serialize(account_items.key("affonso", "demo")))
        code, claim = unique("P"), items.affiliate_partition("bench", unique("a"))
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": name, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": {**Table.serialize(code_items.key(code)), "kind": {"S": "percent"},
                              "value": {"N": "20"}, "partner": {"S": "affonso"}, "account": {"S": "demo"}}}},
            {"Put": {"TableName": name, "ConditionExpression": "attribute_not_exists(pk)",
                     "Item": {"pk": {"S": claim}, "sk": {"S": items.CLAIM}, "code": {"S": code}}}},
        ])

    handler_rate = per_second(create, N)
    bare_rate = per_second(bare_reads_and_transaction, N)
    return [
        Row("affonso", "create coupon through the handler", "requests/s", handler_rate),
        Row("affonso", "bare 2 get_item + query + transact_write_items", "requests/s", bare_rate),
        Row("affonso", "handler / bare calls", "ratio", handler_rate / bare_rate, ">= 0.7"),
    ]


def _calls(ctx: Context) -> list[Row]:
    invoke = ctx.handler(FUNCTION)
    fresh, taken_by, retry = _tokens(ctx, 3)
    assert invoke(coupon_event(retry, "BENCHRETRY"))["statusCode"] == 200
    cases = {
        "token (new affiliate)": token_event(f"{unique('n')}@bench.example"),
        "token (existing affiliate)": token_event("sam@example.com"),
        "token, wrong key": token_event("x@bench.example", key="wrong"),
        "data (blueprint)": data_event(taken_by),
        "data (with coupon)": data_event(retry),
        "data, unknown token": data_event("a1b2c3d4e5f6789"),
        "create coupon": coupon_event(fresh, unique("C")),
        "retry of the same coupon (replayed)": coupon_event(retry, "BENCHRETRY"),
        "already has coupon": coupon_event(fresh, unique("D")),
        "code taken": coupon_event(taken_by, "SAMSAVES"),
        "invalid code format": coupon_event(taken_by, "a!"),
        "token expired": coupon_event("a1b2c3d4e5f6789", unique("E")),
    }
    targets = {"create coupon": "3 reads + 1 TransactWriteItems", "token (new affiliate)": "1 read + 2 writes",
               "data (blueprint)": "3 reads", "data (with coupon)": "3 reads + 1 Query (the coupon's sales)"}
    rows = []
    for case, event in cases.items():
        calls, capacity, by_operation = ctx.measure(functools.partial(invoke, event))
        detail = " + ".join(f"{n} {op}" for op, n in sorted(by_operation.items())) or "none"
        rows.append(Row("affonso", case, f"DynamoDB calls ({detail})", calls, targets.get(case, "")))
        rows.append(Row("affonso", case, "capacity units", capacity))
    assert json.loads(invoke(coupon_event(fresh, "x"))["body"])["success"] is False
    return rows
