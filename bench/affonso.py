"""Affonso: coupon throughput vs the bare DynamoDB calls it makes, calls and capacity
per request for the three routes (create = the token's GetItem + 1 transaction; the programme
comes from memory)."""

from __future__ import annotations

import functools
import json

from bench.harness import Context, Row, rates_in_turns, unique
from coupons.affonso import affiliates, items, programmes
from coupons.affonso.affiliates import PartnerProfile
from coupons.core import code_items
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
    client = ctx.table.client
    tokens = _tokens(ctx, 2 * N + 3)  # the handler's, then the bare calls' own
    handler_tokens, bare_tokens = tokens[: N + 1], tokens[N + 1:]
    sent = ctx.record_calls(lambda: invoke(coupon_event(bare_tokens.pop(), unique("S"))))
    (_, get_token), (_, transaction) = sent

    def create(i: int) -> None:
        response = invoke(coupon_event(handler_tokens[i + 1], unique("A")))
        assert response["statusCode"] == 200, response

    def bare_read_and_transaction(i: int) -> None:
        # Exactly the requests the handler sent, for another token and code: the token's GetItem,
        # then the one transaction (programme version, day's budget, the coupon noted on the token,
        # claim, code).
        token_key = Table.serialize(items.token_key(affiliates.token_hash(bare_tokens[i + 1])))
        token = client.get_item(**{**get_token, "Key": token_key})["Item"]
        client.transact_write_items(**{**transaction, "ClientRequestToken": unique("t"),
                                       "TransactItems": _for(transaction["TransactItems"], token_key, token)})

    # One warm call each: a token makes one coupon, and the calls index their tokens by i + 1.
    rates = rates_in_turns({"handler": create, "bare": bare_read_and_transaction}, N, warm=1)
    handler_rate, bare_rate = rates["handler"], rates["bare"]
    return [
        Row("affonso", "create coupon through the handler", "requests/s (1 / median, in turns)", handler_rate),
        Row("affonso", "bare get_item + transact_write_items (5 parts)", "requests/s (1 / median, in turns)", bare_rate),
        Row("affonso", "handler / bare calls", "ratio", handler_rate / bare_rate, ">= 0.8"),
    ]


def _for(parts: list[dict], token_key: dict, token: dict) -> list[dict]:
    """The handler's transaction parts, re-keyed for another token, its affiliate and a new code."""
    code = unique("P")
    claim_pk = {"S": items.affiliate_partition("demo", token["affiliate"]["S"])}
    redone = []
    for part in parts:
        ((operation, request),) = part.items()
        if operation == "Update" and request["Key"]["pk"]["S"].startswith("AFFONSO#TOKEN#"):
            request = {**request, "Key": token_key}
        elif operation == "Put" and request["Item"]["sk"]["S"] == items.CLAIM:
            request = {**request, "Item": {**request["Item"], "pk": claim_pk, "code": {"S": code}}}
        elif operation == "Put":
            request = {**request, "Item": {**request["Item"], **Table.serialize(code_items.key(code)),
                                           "code": {"S": code}}}
        redone.append({operation: request})
    return redone


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
    targets = {"create coupon": "<= 2", "token (new affiliate)": "<= 2", "token (existing affiliate)": "<= 2",
               "data (blueprint)": "<= 2", "data (with coupon)": "<= 2"}
    rows = []
    for case, event in cases.items():
        calls, capacity, by_operation = ctx.measure(functools.partial(invoke, event))
        detail = " + ".join(f"{n} {op}" for op, n in sorted(by_operation.items())) or "none"
        rows.append(Row("affonso", case, f"DynamoDB calls ({detail})", calls, targets.get(case, "")))
        rows.append(Row("affonso", case, "capacity units", capacity))
    assert json.loads(invoke(coupon_event(fresh, "x"))["body"])["success"] is False
    return rows
