"""Checkout: validate and redeem throughput vs the bare DynamoDB calls they wrap; calls per case."""

from __future__ import annotations

import functools
from decimal import Decimal

from bench.harness import Context, Row, per_second, unique
from coupons.checkout.items import redemption_key
from coupons.checkout.redemptions import PARTNER, key_id
from coupons.checkout.rules import redemption_id
from coupons.core import account_items as accounts
from coupons.core import code_items, outbox
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner
from coupons.core.table import Table
from localrun.samples import sample_event

FUNCTION = "CheckoutFunction"
AUTH = {"authorization": "Bearer demo-key"}
CART = {"subtotal": "100.00", "shipping": "4.90", "currency": "EUR"}
OWNER = Owner(partner="brandbassador", account="demo", person="bench")
N = 300


def _event(method: str, path: str, params: dict | None = None, body: dict | None = None) -> dict:
    return sample_event((method, path, params or {}), {"headers": AUTH, **({"body": body} if body else {})})


def validate(code: str) -> dict:
    return _event("POST", "/checkout/validate", body={"code": code, "cart": CART})


def redeem(code: str, order: str, **extra: str) -> dict:
    return _event("POST", "/checkout/redemptions", body={"code": code, "order_id": order, "cart": CART, **extra})


def _code(ctx: Context, kind: DiscountKind = DiscountKind.PERCENT, max_uses: int | None = None) -> str:
    code = unique("K")
    gift = kind is DiscountKind.GIFT_CARD
    code_items.create(ctx.table, CodeRecord(
        code=code,
        discount=Discount(kind=kind, value=Decimal(10_000 if gift else 10), currency="EUR" if gift else None),
        balance=Decimal(10_000) if gift else None, owner=OWNER, max_uses=max_uses))
    return code


def run(ctx: Context) -> list[Row]:
    return [*_throughput(ctx), *_calls(ctx)]



def _throughput(ctx: Context) -> list[Row]:
    invoke = ctx.handler(FUNCTION)
    client, name = ctx.table.client, ctx.table.name
    code = _code(ctx)
    key_item = ctx.table.serialize(accounts.key(PARTNER, key_id("demo-key")))
    code_key = ctx.table.serialize(code_items.key(code))

    def via_validate(i: int) -> None:
        assert invoke(validate(code))["statusCode"] == 200

    def via_redeem(i: int) -> None:
        response = invoke(redeem(code, unique("O")))
        assert response["statusCode"] == 201, response

    def bare_read(i: int) -> None:
        client.batch_get_item(RequestItems={name: {"Keys": [key_item, code_key], "ConsistentRead": True}})

    def bare_transaction(i: int) -> None:
        order = unique("T")
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": name, "Key": code_key, "UpdateExpression": "SET #u = #u + :one",
                        "ConditionExpression": "#s = :active AND (attribute_not_exists(max_uses) OR #u < max_uses)",
                        "ExpressionAttributeNames": {"#u": "uses", "#s": "status"},
                        "ExpressionAttributeValues": {":one": {"N": "1"}, ":active": {"S": "active"}}}},
            {"Put": {"TableName": name, "Item": Table.serialize(redemption_key(code, order)),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": name, "Item": Table.serialize(outbox.key(outbox.event_key(order, outbox.SALE))),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
        ])

    def bare_read_and_transaction(i: int) -> None:
        bare_read(i)
        bare_transaction(i)

    rates = {
        "validate": per_second(via_validate, N),
        "read": per_second(bare_read, N),
        "redeem": per_second(via_redeem, N),
        "transaction": per_second(bare_transaction, N),
        "read+transaction": per_second(bare_read_and_transaction, N),
    }
    return [
        Row("checkout", "validate through the handler", "requests/s", rates["validate"]),
        Row("checkout", "bare batch_get_item (key + code, consistent)", "requests/s", rates["read"]),
        Row("checkout", "validate / bare batch_get_item", "ratio", rates["validate"] / rates["read"], ">= 0.7"),
        Row("checkout", "redeem through the handler", "requests/s", rates["redeem"]),
        Row("checkout", "bare transact_write_items (code + redemption + outbox)", "requests/s", rates["transaction"]),
        Row("checkout", "bare batch_get_item + transact_write_items", "requests/s", rates["read+transaction"]),
        Row("checkout", "redeem / bare transaction", "ratio", rates["redeem"] / rates["transaction"]),
        Row("checkout", "redeem / bare read + transaction", "ratio", rates["redeem"] / rates["read+transaction"],
            ">= 0.7"),
    ]


def _calls(ctx: Context) -> list[Row]:
    invoke = ctx.handler(FUNCTION)
    code, once, card = _code(ctx), _code(ctx, max_uses=1), _code(ctx, DiscountKind.GIFT_CARD)
    invoke(redeem(code, "REPLAY"))
    invoke(redeem(once, "FIRST"))
    spent = invoke(redeem(card, "SPENT", amount="10.00"))
    assert spent["statusCode"] == 201
    cases = {
        "validate": validate(code),
        "redeem (new)": redeem(code, unique("N")),
        "redeem gift card (new)": redeem(card, unique("N"), amount="10.00"),
        "redeem, same order again (replayed)": redeem(code, "REPLAY"),
        "redeem, used up (refused from the read)": redeem(once, "SECOND"),
        "rollback": _event("POST", "/checkout/redemptions/{redemption}/rollback",
                           {"redemption": redemption_id(card, "SPENT")}),
        "gift card balance": _event("GET", "/checkout/gift-cards/{code}", {"code": card}),
    }
    rows = []
    for case, ev in cases.items():
        calls, capacity, by_operation = ctx.measure(functools.partial(invoke, ev))
        detail = " + ".join(f"{n} {op}" for op, n in sorted(by_operation.items())) or "none"
        target = "1 write + 1 read" if case.startswith("redeem") and "(new)" in case else ""
        rows.append(Row("checkout", case, f"DynamoDB calls ({detail})", calls, target))
        rows.append(Row("checkout", case, "capacity units", capacity))
    return rows
