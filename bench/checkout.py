"""Checkout: validate and redeem throughput vs the bare DynamoDB calls they wrap; calls per case."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from decimal import Decimal

from bench.harness import Context, Row, own_share, rates_in_turns, unique
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
N = 400


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

    via_validate(-1)
    ((operation, validate_request),) = ctx.record_calls(lambda: via_validate(-1))
    assert operation == "BatchGetItem", operation

    def bare_validate_read(i: int) -> None:
        """The very BatchGetItem validate sends (key and code, consistent), replayed without the handler."""
        client.batch_get_item(**validate_request)

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

    via_redeem(-1)  # the instance sees the key and the code: from now on a redemption is one transaction
    sent = [params for operation, params in ctx.record_calls(lambda: via_redeem(-1))
            if operation == "TransactWriteItems"][-1]

    def bare_same_transaction(i: int) -> None:
        """The very TransactWriteItems a warm redemption sends, for a new order each time."""
        order = unique("S")
        items = copy.deepcopy(sent["TransactItems"])
        for item in items:
            if "Put" in item:  # the redemption and its sale event: keys of a new order
                put = item["Put"]["Item"]
                put["pk" if put["pk"]["S"].startswith("OUTBOX#") else "sk"]["S"] += order
        client.transact_write_items(**{**sent, "TransactItems": items, "ClientRequestToken": order})

    rates = rates_in_turns({"validate": via_validate, "validate read": bare_validate_read, "read": bare_read,
                            "redeem": via_redeem,
                          "transaction": bare_transaction, "same transaction": bare_same_transaction,
                          "read+transaction": bare_read_and_transaction}, N)
    parts = " + ".join(next(iter(item)) for item in sent["TransactItems"])
    return [
        Row("checkout", "validate through the handler", "requests/s", rates["validate"]),
        Row("checkout", "bare batch_get_item (key + code, consistent)", "requests/s", rates["read"]),
        Row("checkout", "bare batch_get_item, the request validate sends", "requests/s", rates["validate read"]),
        Row("checkout", "validate / the bare read it sends", "ratio", rates["validate"] / rates["validate read"], ">= 0.8"),
        *_validate_split(via_validate, bare_validate_read),
        Row("checkout", "redeem through the handler (new order; warm: one transaction)", "requests/s",
            rates["redeem"]),
        Row("checkout", f"bare transact_write_items, the request redeem sends ({parts})", "requests/s",
            rates["same transaction"]),
        Row("checkout", "redeem / bare transaction it sends", "ratio", rates["redeem"] / rates["same transaction"],
            ">= 0.8"),
        Row("checkout", "bare transact_write_items, minimal (code + keys-only redemption + outbox)", "requests/s",
            rates["transaction"]),
        Row("checkout", "redeem / bare minimal transaction", "ratio", rates["redeem"] / rates["transaction"]),
        Row("checkout", "bare batch_get_item + minimal transaction (what a redemption called before issue 14)",
            "requests/s", rates["read+transaction"]),
        Row("checkout", "redeem / bare read + minimal transaction", "ratio",
            rates["redeem"] / rates["read+transaction"]),
    ]


def _calls(ctx: Context) -> list[Row]:
    invoke = ctx.handler(FUNCTION)
    code, once, card, unseen = _code(ctx), _code(ctx, max_uses=1), _code(ctx, DiscountKind.GIFT_CARD), _code(ctx)
    invoke(redeem(code, "REPLAY"))
    invoke(redeem(once, "FIRST"))
    spent = invoke(redeem(card, "SPENT", amount="10.00"))
    assert spent["statusCode"] == 201
    cases = {
        "validate": validate(code),
        "redeem (new)": redeem(code, unique("N")),
        "redeem gift card (new)": redeem(card, unique("N"), amount="10.00"),
        "redeem (new), a code this instance has not seen": redeem(unseen, unique("N")),
        "redeem, same order again (replayed)": redeem(code, "REPLAY"),
        "redeem, used up (refused by the transaction's condition)": redeem(once, "SECOND"),
        "redeem, unknown code (refused from the read)": redeem(unique("NONE"), unique("N")),
        "rollback": _event("POST", "/checkout/redemptions/{redemption}/rollback",
                           {"redemption": redemption_id(card, "SPENT")}),
        "gift card balance": _event("GET", "/checkout/gift-cards/{code}", {"code": card}),
    }
    rows = []
    for case, ev in cases.items():
        calls, capacity, by_operation = ctx.measure(functools.partial(invoke, ev))
        detail = " + ".join(f"{n} {op}" for op, n in sorted(by_operation.items())) or "none"
        target = "1 write" if case in ("redeem (new)", "redeem gift card (new)") else ""
        rows.append(Row("checkout", case, f"DynamoDB calls ({detail})", calls, target))
        rows.append(Row("checkout", case, "capacity units", capacity))
    return rows


def _validate_split(via_validate: Callable[[int], None], bare_read: Callable[[int], None]) -> list[Row]:
    """Validate alone against its read, in turns: where a validate's time goes."""
    split = own_share(via_validate, bare_read, N)
    return [
        Row("checkout", "validate alone, in turns with its bare read: handler / its DynamoDB call / the bare call",
            "ms (median)", f"{split['handler']:.2f} / {split['calls inside']:.2f} / {split['bare']:.2f}"),
        Row("checkout", "validate: the handler's own work per request (total minus its DynamoDB call)", "ms (median)",
            split["own work"]),
        Row("checkout", "validate / bare read, alone in turns", "ratio", split["bare"] / split["handler"], ">= 0.8"),
    ]
