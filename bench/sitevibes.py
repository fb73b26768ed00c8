"""SiteVibes: issue throughput vs the bare conditional put, DynamoDB calls per case."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

from bench.harness import Context, Row, per_second, unique
from coupons.core import account_items, code_items
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner, utcnow
from coupons.core.table import Table
from coupons.sitevibes import items as claim_items
from coupons.sitevibes import rewards
from localrun.samples import sample_event

SECTION = "sitevibes"
FUNCTION = "SiteVibesFunction"
ROUTE = ("POST", "/sitevibes/rewards/{reward}/coupons", {"reward": "demo"})
N = 300
ROUNDS = 3


def event(email: str, reward: str = "demo", key: str = "demo-key") -> dict:
    return sample_event(ROUTE, {"headers": {"X-Api-Key": key}, "body": {"email": email},
                                "path_parameters": {"reward": reward}})


def run(ctx: Context) -> list[Row]:
    return [*_throughput(ctx), *_calls(ctx)]



def _throughput(ctx: Context) -> list[Row]:
    invoke = ctx.handler(FUNCTION)
    client, name = ctx.table.client, ctx.table.name
    emails = (f"bench-{i}-{unique('')}@email.com" for i in itertools.count())

    def issue(i: int) -> None:
        response = invoke(event(next(emails)))
        assert response["statusCode"] == 200 and json.loads(response["body"])["coupon_code"], response

    code_item = {"kind": {"S": "percent"}, "value": {"N": "10"},
                 "partner": {"S": "sitevibes"}, "account": {"S": "demo"}}

    def bare_put(i: int) -> None:
        client.put_item(TableName=name, Item={**Table.serialize(code_items.key(unique("P"))), **code_item},
                        ConditionExpression="attribute_not_exists(pk)")

    # The floor writes the very items a redemption writes (built and serialised before timing).
    reward = rewards.open_reward(ctx.table, "demo", {"X-Api-Key": "demo-key"})
    prepared = iter([_transaction(ctx, reward) for _ in range(N + ROUNDS)])

    def bare_get_transaction(i: int) -> None:
        """What the handler needs at least: the reward, then claim + code in one transaction."""
        client.get_item(TableName=name, Key=Table.serialize(account_items.key("sitevibes", "demo")))
        client.transact_write_items(TransactItems=next(prepared))

    # Rounds, alternating, best of each: DynamoDB Local's JIT warms up over the first few hundred
    # calls and the machine may be shared, so whichever ran first in one long run would lose.
    rates: dict[str, list[float]] = {"handler": [], "put": [], "floor": []}
    for _ in range(ROUNDS):
        rates["handler"].append(per_second(issue, N // ROUNDS))
        rates["put"].append(per_second(bare_put, N // ROUNDS))
        rates["floor"].append(per_second(bare_get_transaction, N // ROUNDS))
    handler_rate, put_rate, floor_rate = (max(rates[k]) for k in ("handler", "put", "floor"))
    return [
        Row(SECTION, "issue a code through the handler", "requests/s", handler_rate),
        Row(SECTION, "bare conditional put_item", "requests/s", put_rate),
        Row(SECTION, "bare get_item (reward) + transact_write_items (the same claim + code items)", "requests/s",
            floor_rate),
        Row(SECTION, "handler / bare put_item", "ratio", handler_rate / put_rate),
        Row(SECTION, "handler / bare get_item + transaction", "ratio", handler_rate / floor_rate, ">= 0.7"),
    ]


def _transaction(ctx: Context, reward: rewards.Reward) -> list[dict]:
    """The TransactItems of one redemption, as store.rewards.claim sends them."""
    table, now, person = ctx.table, utcnow(), f"{unique('f')}@email.com"
    record = rewards._code_record(reward, person, now, reward.settings.pattern.generate())
    window = timedelta(seconds=reward.settings.retry_window_seconds)
    claim_item = {"pk": claim_items.partition("demo", person), "sk": claim_items.CLAIM_SK,
                  "code": record.code, "issued_at": claim_items.epoch_ms(now),
                  "expires_at": int((now + window + claim_items.CLAIM_KEPT).timestamp())}
    claim_put: dict = {"TableName": table.name, "Item": table.serialize(claim_item)}
    if window:  # as the store does: the claim is conditional only for a reward with a retry window
        claim_put.update(ConditionExpression="attribute_not_exists(pk) OR issued_at < :w",
                         ExpressionAttributeValues=table.values({":w": claim_items.epoch_ms(now - window)}),
                         ReturnValuesOnConditionCheckFailure="ALL_OLD")
    return [
        {"Put": claim_put},
        {"Put": {"TableName": table.name, "Item": table.serialize(code_items.to_item(record)),
                 "ConditionExpression": "attribute_not_exists(pk)"}},
    ]


def _calls(ctx: Context) -> list[Row]:
    invoke = ctx.handler(FUNCTION)
    invoke(event("bench-retry@email.com", reward="demo-window"))
    cases = {
        "issue a new code": lambda: invoke(event(f"{unique('n')}@email.com")),
        "retry within the window (reward with a window: same code)": lambda: invoke(
            event("bench-retry@email.com", reward="demo-window")),
        "reward without a code": lambda: invoke(event(f"{unique('z')}@email.com", reward="demo-nocode")),
        "first draw collides (domain)": lambda: _collide_once(ctx),
        "bad email": lambda: invoke(event("not-an-email")),
        "wrong key": lambda: invoke(event("x@email.com", key="wrong")),
    }
    rows = []
    for case, action in cases.items():
        calls, capacity, by_operation = ctx.measure(action)
        detail = " + ".join(f"{n} {op}" for op, n in sorted(by_operation.items())) or "none"
        target = "1 transaction (+1 reward read)" if case in ("issue a new code", "reward without a code") else ""
        rows.append(Row(SECTION, case, f"DynamoDB calls ({detail})", calls, target))
        rows.append(Row(SECTION, case, "capacity units (as reported by the engine)", capacity))
    return rows


def _collide_once(ctx: Context) -> None:
    """A redemption whose first random code is taken: one more transaction, nothing else."""
    taken = unique("SVTAKEN")
    code_items.create(ctx.table, CodeRecord(code=taken, discount=Discount(kind=DiscountKind.PERCENT, value=10),
                                            owner=Owner(partner="bench", account="bench")))
    ctx.counter.reset()  # the set-up put is not part of the redemption
    reward = rewards.open_reward(ctx.table, "demo", {"X-Api-Key": "demo-key"})
    draws = iter([taken, unique("SVFREE")])
    issued = rewards.redeem(ctx.table, reward, f"{unique('c')}@email.com", generate=draws.__next__)
    assert issued.code != taken
