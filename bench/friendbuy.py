"""Friendbuy: bank loading vs raw 100-item TransactWriteItems, the million-code generation, bank
assignment requests/s and DynamoDB calls per assignment.

``FRIENDBUY_BENCH_CODES`` sets the size of the big generation (default 1,000,000)."""

from __future__ import annotations

import json
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from bench.harness import Context, Row, per_second
from coupons.core.models import Discount, DiscountKind
from coupons.friendbuy import banks, campaigns, referrals
from coupons.friendbuy.banks import BankSettings
from coupons.friendbuy.referrals import Advocate, ReferralRequest
from coupons_admin import bank_loading
from localrun.demo import friendbuy as demo
from localrun.samples import sample_event

FUNCTION = "FriendbuyFunction"
SECTION = "friendbuy"
WORKERS = 8
COMPARE_CODES = 20_000
BIG = int(os.environ.get("FRIENDBUY_BENCH_CODES", "1000000"))
ASSIGNMENTS = 300


def run(ctx: Context) -> list[Row]:
    return [*_loading(ctx), *_assignment(ctx), *_calls(ctx), *_big_generation(ctx)]


def _new_bank(ctx: Context, shards: int = 16):
    return banks.add_bank(ctx.table, f"B{uuid.uuid4().hex[:8]}", BankSettings(
        campaign_id=demo.CAMPAIGN, discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(10)), shards=shards,
        prefix="B" + uuid.uuid4().hex[:3].upper(), length=8))



def _raw_transactions(ctx: Context, codes: int) -> float:
    """codes/s of bare 100-Put transactions (50 codes: code item + free item, both conditional),
    WORKERS in parallel: the ceiling our loader is measured against."""
    client, name = ctx.table.client, ctx.table.name
    tag = uuid.uuid4().hex[:6].upper()

    def one(batch: int) -> None:
        items = []
        for i in range(50):
            code = f"RAW{tag}{batch:05d}{i:02d}"
            items.append({"Put": {"TableName": name, "ConditionExpression": "attribute_not_exists(pk)", "Item": {
                "pk": {"S": f"CODE#{code}"}, "sk": {"S": "CODE"}, "kind": {"S": "percent"}, "value": {"N": "10"},
                "partner": {"S": "friendbuy"}, "account": {"S": "53345"}, "gsi1pk": {"S": "OWNER#friendbuy#53345"},
                "gsi1sk": {"S": f"2026-01-01T00:00:00+00:00#{code}"}, "uses": {"N": "0"}, "status": {"S": "active"}}}})
            items.append({"Put": {"TableName": name, "ConditionExpression": "attribute_not_exists(pk)", "Item": {
                "pk": {"S": f"FRIENDBUY#BANK#RAW#FREE#{i % 16}"}, "sk": {"S": f"{uuid.uuid4().hex[:12]}#{code}"},
                "code": {"S": code}}}})
        client.transact_write_items(TransactItems=items)

    start = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(one, range(codes // 50)))
    return codes / (time.perf_counter() - start)


def _loading(ctx: Context) -> list[Row]:
    raw = _raw_transactions(ctx, COMPARE_CODES)
    bank = _new_bank(ctx)
    start = time.perf_counter()
    report = bank_loading.generate(ctx.table, bank, COMPARE_CODES, workers=WORKERS)
    generated = COMPARE_CODES / (time.perf_counter() - start)
    assert report.added == COMPARE_CODES, report
    return [
        Row(SECTION, f"raw 100-item TransactWriteItems ({WORKERS} in flight)", "codes/s", raw),
        Row(SECTION, f"bank generation, {COMPARE_CODES:,} codes ({WORKERS} in flight)", "codes/s", generated),
        Row(SECTION, "bank generation / raw transactions", "ratio", generated / raw, ">= 0.7"),
    ]


def _referral_event(customer: str, bank: str) -> dict:
    body = {"campaign": {"id": 53345}, "customer": {"id": customer, "email": f"{customer}@example.com"},
            "coupon_bank_id": {"id": bank}}
    return sample_event(("POST", "/friendbuy/v1/referral_codes", {}), {"headers": {"authorization": demo.BASIC}, "body": body})


def _assignment(ctx: Context) -> list[Row]:
    invoke = ctx.handler(FUNCTION)
    bank = _new_bank(ctx)
    bank_loading.generate(ctx.table, bank, ASSIGNMENTS * 4, workers=WORKERS)  # half used at the end
    tag = uuid.uuid4().hex[:6]
    # Through the handler, sequentially (one Lambda instance serves one request at a time).
    def assign(i: int) -> None:
        response = invoke(_referral_event(f"seq{tag}{i}", bank.id))
        assert response["statusCode"] == 201, response
    rate = per_second(assign, ASSIGNMENTS)

    # Many instances at once on one bank: calls per assignment include the races lost.
    ctx.counter.reset()
    caller = campaigns.Caller(demo.KEY, frozenset({demo.CAMPAIGN}))

    def take(i: int) -> None:
        referrals.refer(ctx.table, caller, ReferralRequest(
            campaign_id=demo.CAMPAIGN, advocate=Advocate(customer_id=f"par{tag}{i}", email="p@example.com"), bank_id=bank.id))

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(take, range(ASSIGNMENTS)))
    calls = ctx.counter.calls
    assignment_calls = (calls["Query"] + calls["TransactWriteItems"]) / ASSIGNMENTS
    return [
        Row(SECTION, "bank assignment through the handler (sequential)", "requests/s", rate),
        Row(SECTION, f"bank assignment, {ASSIGNMENTS} advocates, 32 in parallel", "Query + TransactWriteItems per assignment",
            assignment_calls, "<= 2"),
        Row(SECTION, f"bank assignment, {ASSIGNMENTS} advocates, 32 in parallel", "all DynamoDB calls per request",
            ctx.counter.total / ASSIGNMENTS),
    ]


def _calls(ctx: Context) -> list[Row]:
    invoke = ctx.handler(FUNCTION)
    tag = uuid.uuid4().hex[:6]
    first = _referral_event(f"calls{tag}", demo.BANK)
    purchase = {"orderId": f"B-{tag}", "customerId": "F1", "amount": 10, "currency": "USD"}
    route = ("POST", "/friendbuy/v1/event/purchase", {})
    auth = {"authorization": demo.BASIC}

    def purchase_event(**extra) -> dict:
        return sample_event(route, {"headers": auth, "body": {**purchase, **extra}})

    rows = []
    # A new advocate's cost varies a little (a wrap-around query, a lost race): averaged over 50.
    calls, capacity, by_op = ctx.measure(lambda: [invoke(_referral_event(f"avg{tag}{i}", demo.BANK)) for i in range(50)])
    calls, capacity, by_op = calls / 50, capacity / 50, {op: n / 50 for op, n in by_op.items()}
    invoke(first)
    coupon = json.loads(invoke(first)["body"])["coupon_code"]
    cases = {
        "referral code from the bank (new advocate, mean of 50)": (calls, capacity, by_op),
        "referral code, same advocate again": ctx.measure(lambda: invoke(first)),
        "purchase attributed by coupon code": ctx.measure(lambda: invoke(purchase_event(couponCode=coupon))),
        "purchase, same orderId again": ctx.measure(lambda: invoke(purchase_event(couponCode=coupon))),
        "purchase, unknown coupon": ctx.measure(lambda: invoke(purchase_event(orderId=f"U-{tag}", couponCode="NOPE1"))),
    }
    for case, (calls, capacity, by_op) in cases.items():
        detail = " + ".join(f"{n:g} {op}" for op, n in sorted(by_op.items())) or "none"
        rows.append(Row(SECTION, case, f"DynamoDB calls ({detail})", calls))
        rows.append(Row(SECTION, case, "capacity units", capacity))
    return rows


def _big_generation(ctx: Context) -> list[Row]:
    bank = _new_bank(ctx)
    start = time.perf_counter()
    report = bank_loading.generate(ctx.table, bank, BIG, workers=WORKERS)
    seconds = time.perf_counter() - start
    assert report.added == BIG, report
    free = banks.status(ctx.table, bank.id).free
    return [
        Row(SECTION, f"generate {BIG:,} codes into one bank", "seconds", seconds),
        Row(SECTION, f"generate {BIG:,} codes into one bank", "codes/s", BIG / seconds),
        Row(SECTION, f"generate {BIG:,} codes into one bank", "codes left (bank status)", free, f"= {BIG:,}"),
    ]
