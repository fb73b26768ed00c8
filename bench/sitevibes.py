"""SiteVibes: issue throughput vs the bare conditional put and vs the one transaction a warm
handler needs, DynamoDB calls per case."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import timedelta

from bench.harness import Context, Row, rates_in_turns, unique
from coupons.core import cache, code_items, issuing
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner, utcnow
from coupons.core.table import Table
from coupons.sitevibes import items as claim_items
from coupons.sitevibes import rewards
from coupons_admin.rewards import add_reward
from localrun.samples import sample_event

SECTION = "sitevibes"
FUNCTION = "SiteVibesFunction"
ROUTE = ("POST", "/sitevibes/rewards/{reward}/coupons", {"reward": "demo"})
N = 600


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
    prepared = iter([_transaction(ctx, reward) for _ in range(N + 20)])

    def bare_transaction(i: int) -> None:
        """What the handler needs at least: claim + code + the day's counter in one transaction
        (the reward comes from the function's memory), sent as Table.transact sends it."""
        client.transact_write_items(TransactItems=next(prepared), ClientRequestToken=uuid.uuid4().hex,
                                    ReturnConsumedCapacity="TOTAL")

    rates = rates_in_turns({"handler": issue, "put": bare_put, "floor": bare_transaction}, N)
    handler_rate, put_rate, floor_rate = rates["handler"], rates["put"], rates["floor"]
    return [
        Row(SECTION, "issue a code through the handler", "requests/s (1 / median latency)", handler_rate),
        Row(SECTION, "bare conditional put_item", "requests/s (1 / median latency)", put_rate),
        Row(SECTION, "bare transact_write_items (the same claim + code + budget counter)",
            "requests/s (1 / median latency)", floor_rate),
        Row(SECTION, "handler / bare put_item", "ratio", handler_rate / put_rate),
        Row(SECTION, "handler / bare transaction", "ratio", handler_rate / floor_rate, ">= 0.8"),
    ]


def _transaction(ctx: Context, reward: rewards.Reward) -> list[dict]:
    """The TransactItems of one redemption, as items.claim sends them (Table.transact adds
    ReturnValuesOnConditionCheckFailure to the conditional parts)."""
    table, now, person = ctx.table, utcnow(), f"{unique('f')}@email.com"
    settings = reward.settings
    record = rewards._code_record(reward, person, now, settings.pattern.generate())
    window = timedelta(seconds=settings.retry_window_seconds)
    claim_item = {"pk": claim_items.partition("demo", person), "sk": claim_items.CLAIM_SK,
                  "code": record.code, "issued_at": claim_items.epoch_ms(now),
                  "expires_at": int((now + window + claim_items.CLAIM_KEPT).timestamp())}
    claim_put: dict = {"TableName": table.name, "Item": table.serialize(claim_item)}
    if window:  # as the store does: the claim is conditional only for a reward with a retry window
        claim_put.update(ConditionExpression="attribute_not_exists(pk) OR issued_at < :w",
                         ExpressionAttributeValues=table.values({":w": claim_items.epoch_ms(now - window)}),
                         ReturnValuesOnConditionCheckFailure="ALL_OLD")
    items = [
        {"Put": claim_put},
        {"Put": {"TableName": table.name, "Item": table.serialize(code_items.to_item(record)),
                 "ConditionExpression": "attribute_not_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
    ]
    budget = issuing.Budget(rewards.PARTNER, reward.id, codes=settings.daily_redemptions,
                            fixed_value=settings.daily_value, own_partition=True)
    if budget.limited:
        ((operation, part),) = budget.part(table, now, fixed=settings.value_per_code or None).items()
        items.append({operation: {"TableName": table.name, "ReturnValuesOnConditionCheckFailure": "ALL_OLD", **part}})
    return items


def _calls(ctx: Context) -> list[Row]:
    invoke = ctx.handler(FUNCTION)
    invoke(event("bench-retry@email.com", reward="demo-window"))
    add_reward(ctx.table, "bench-limit", "demo-key", rewards.RewardSettings(
        header_name="X-Api-Key", discount=Discount(kind=DiscountKind.PERCENT, value=10), daily_redemptions=1))
    invoke(event("bench-limit@email.com", reward="bench-limit"))

    def cold() -> None:
        cache.clear()  # a new instance, or the reward remembered longer than cache.TTL_SECONDS ago
        invoke(event(f"{unique('k')}@email.com"))

    cases = {
        "issue a new code": lambda: invoke(event(f"{unique('n')}@email.com")),
        "retry within the window (reward with a window: same code)": lambda: invoke(
            event("bench-retry@email.com", reward="demo-window")),
        "reward without a code": lambda: invoke(event(f"{unique('z')}@email.com", reward="demo-nocode")),
        "over the daily limit (429)": lambda: invoke(event(f"{unique('l')}@email.com", reward="bench-limit")),
        "first draw collides (domain)": lambda: _collide_once(ctx),
        "bad email": lambda: invoke(event("not-an-email")),
        "wrong key": lambda: invoke(event("x@email.com", key="wrong")),
        "unknown reward": lambda: invoke(event("x@email.com", reward="nope")),
        "issue a new code, first request of an instance": cold,  # last: it forgets every reward
    }
    invoke(event(f"{unique('w')}@email.com", reward="demo-nocode"))  # every reward measured warm
    rows = []
    for case, action in cases.items():
        calls, capacity, by_operation = ctx.measure(action)
        detail = " + ".join(f"{n} {op}" for op, n in sorted(by_operation.items())) or "none"
        target = {"issue a new code": "1 transaction", "reward without a code": "1 transaction",
                  "unknown reward": "as wrong key"}.get(case, "")
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
