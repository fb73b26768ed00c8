"""Friendbuy: bank loading vs raw 100-item TransactWriteItems, the million-code generation, bank
assignment requests/s and DynamoDB calls per assignment (p50/p99 with 64 in parallel).

``BENCH_BANK_CODES`` sets the size of the big generation (default 1,000,000; the older name
``FRIENDBUY_BENCH_CODES`` works too); ``BENCH_BANK_COMPARE_CODES`` the size of each loader-vs-raw
round (default 20,000).

Engine setting of this bench only: DynamoDB Local runs pinned to one CPU (``PINNED_ENGINE``; see
``localrun.dynamodb_local.running``), which nearly doubles its write throughput on a 2-core machine.
Raw and loader share that engine, alternating; the output says which CPU."""

from __future__ import annotations

import json
import os
import statistics
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from bench.harness import Context, Row, per_second, percentile
from coupons.core.models import Discount, DiscountKind
from coupons.friendbuy import banks, campaigns, referrals, wire
from coupons.friendbuy.banks import BankSettings
from coupons.friendbuy.referrals import Advocate, ReferralRequest
from coupons_admin import bank_loading
from coupons_admin.banks import ProgressLine
from localrun.demo import friendbuy as demo
from localrun.samples import sample_event

FUNCTION = "FriendbuyFunction"
SECTION = "friendbuy"
WORKERS = 8
COMPARE_CODES = int(os.environ.get("BENCH_BANK_COMPARE_CODES", "20000"))
COMPARE_ROUNDS = 3  # raw and loader alternate, each first in turn: a shared machine's load hits both alike
BIG = int(os.environ.get("BENCH_BANK_CODES", os.environ.get("FRIENDBUY_BENCH_CODES", "1000000")))
ASSIGNMENTS = 300
PARALLEL = 64
PARALLEL_ASSIGNMENTS = 1_000
PINNED_ENGINE = True  # bench/__main__ starts this bench's DynamoDB Local on one CPU
ENGINE_CASE = "DynamoDB Local of this bench (raw and loader alike)"
_measured: list[Row] = []  # this run's rows, for ``summary``


def run(ctx: Context) -> list[Row]:
    engine = f"pinned to CPU {ctx.engine.cpu}" if ctx.engine.cpu is not None else "not pinned"
    loading, bank, raw = _loading(ctx)
    rows = [Row(SECTION, ENGINE_CASE, "engine", engine),
            *loading, *_assignment(ctx), *_parallel_assignment(ctx, bank), *_calls(ctx, bank.id),
            *_big_generation(ctx, raw)]
    _measured[:] = rows
    return rows


def _new_bank(ctx: Context, shards: int = 16):
    return banks.add_bank(ctx.table, f"B{uuid.uuid4().hex[:8]}", BankSettings(
        campaign_id=demo.CAMPAIGN, discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(10)), shards=shards,
        prefix="B" + uuid.uuid4().hex[:3].upper(), length=8))


def _raw_transactions(ctx: Context, codes: int) -> float:
    """codes/s of bare TransactWriteItems of 100 conditional Puts, each a code item with its free-pool
    index keys (the loader's keys; 12 attributes where the loader writes 16), WORKERS in parallel,
    nothing asked back: the ceiling the loader is measured against."""
    client, name = ctx.table.client, ctx.table.name
    tag = uuid.uuid4().hex[:6].upper()

    def one(batch: int) -> None:
        items = []
        for i in range(100):
            code = f"RAW{tag}{batch:05d}{i:02d}"
            items.append({"Put": {"TableName": name, "ConditionExpression": "attribute_not_exists(pk)", "Item": {
                "pk": {"S": f"CODE#{code}"}, "sk": {"S": "CODE"}, "code": {"S": code}, "kind": {"S": "percent"},
                "value": {"N": "10"}, "partner": {"S": "friendbuy"}, "account": {"S": "53345"}, "bank": {"S": "RAW"},
                "gsi1pk": {"S": f"FRIENDBUY#FREE#RAW#{i % 16}"}, "gsi1sk": {"S": f"{uuid.uuid4().hex[:12]}#{code}"},
                "uses": {"N": "0"}, "status": {"S": "active"}}}})
        client.transact_write_items(TransactItems=items)

    start = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(one, range(codes // 100)))
    return codes / (time.perf_counter() - start)


def _loading(ctx: Context) -> tuple[list[Row], banks.Bank, float]:
    bank = _new_bank(ctx)
    raw, loaded = [], []

    def generation() -> float:
        start = time.perf_counter()
        report = bank_loading.generate(ctx.table, banks.get_bank(ctx.table, bank.id), COMPARE_CODES, workers=WORKERS)
        assert report.added == COMPARE_CODES, report
        return COMPARE_CODES / (time.perf_counter() - start)

    # Both paths once unmeasured (the engine's JIT, connections): else the first round carries the warm-up alone.
    _raw_transactions(ctx, COMPARE_CODES)
    bank_loading.generate(ctx.table, _new_bank(ctx), COMPARE_CODES, workers=WORKERS)
    for round_number in range(COMPARE_ROUNDS):
        if round_number % 2:
            loaded.append(generation())
            raw.append(_raw_transactions(ctx, COMPARE_CODES))
        else:
            raw.append(_raw_transactions(ctx, COMPARE_CODES))
            loaded.append(generation())
    raw_rate, loaded_rate = statistics.median(raw), statistics.median(loaded)
    case = (f"{COMPARE_CODES:,} codes, {WORKERS} transactions in flight, "
            f"median of {COMPARE_ROUNDS} alternating rounds after a warm-up")
    return [
        Row(SECTION, f"raw 100-item conditional TransactWriteItems, {case}", "codes/s", raw_rate),
        Row(SECTION, f"bank generation (one item per code, 100 per transaction), {case}", "codes/s", loaded_rate),
        Row(SECTION, "bank generation / raw transactions", "ratio", loaded_rate / raw_rate, ">= 0.8"),
    ], bank, raw_rate


def _referral_event(customer: str, bank: str) -> dict:
    body = {"campaign": {"id": 53345}, "customer": {"id": customer, "email": f"{customer}@example.com"},
            "coupon_bank_id": {"id": bank}}
    return sample_event(("POST", "/friendbuy/v1/referral_codes", {}), {"headers": {"authorization": demo.BASIC}, "body": body})


def _assignment(ctx: Context) -> list[Row]:
    invoke = ctx.handler(FUNCTION)
    bank = _new_bank(ctx)
    bank_loading.generate(ctx.table, bank, ASSIGNMENTS * 4, workers=WORKERS)
    tag = uuid.uuid4().hex[:6]

    # Through the handler, sequentially (one Lambda instance serves one request at a time).
    def assign(i: int) -> None:
        response = invoke(_referral_event(f"seq{tag}{i}", bank.id))
        assert response["statusCode"] == 201, response
    return [Row(SECTION, "bank assignment through the handler (sequential)", "requests/s", per_second(assign, ASSIGNMENTS))]


def _parallel_assignment(ctx: Context, bank: banks.Bank) -> list[Row]:
    """PARALLEL instances at once on one bank, each request as the handler makes it (the caller from
    its credentials, then the referral): calls per assignment, races lost included."""
    tag = uuid.uuid4().hex[:6]
    presented = wire.credentials_of(demo.BASIC)

    def take(i: int) -> int:
        ctx.counter.thread_calls()
        caller = campaigns.caller(ctx.table, presented)
        referred = referrals.refer(ctx.table, caller, ReferralRequest(
            campaign_id=demo.CAMPAIGN, advocate=Advocate(customer_id=f"par{tag}{i}", email="p@example.com"),
            bank_id=bank.id))
        assert referred.created
        return ctx.counter.thread_calls()

    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(take, range(PARALLEL)))  # warm: each thread's connection, the cache
        calls = list(pool.map(take, range(PARALLEL, PARALLEL + PARALLEL_ASSIGNMENTS)))
    size = COMPARE_CODES * COMPARE_ROUNDS
    case = f"bank assignment, {PARALLEL_ASSIGNMENTS:,} advocates, {PARALLEL} in parallel, bank of {size:,} codes"
    return [
        Row(SECTION, case, "DynamoDB calls per assignment, p50", percentile(calls, 50), "<= 2"),
        Row(SECTION, case, "DynamoDB calls per assignment, p99", percentile(calls, 99), "<= 2"),
        Row(SECTION, case, "DynamoDB calls per assignment, max", max(calls)),
        Row(SECTION, case, "DynamoDB calls per assignment, mean", statistics.mean(calls)),
    ]


def _calls(ctx: Context, bank_id: str) -> list[Row]:
    """Calls per request through the handler. New advocates take codes from ``bank_id`` (tens of
    thousands of codes, like a real bank: in the demo's 1,000-code bank, 16 shards of ~60, a random
    start lands past a shard's last code ~2 % of the time and costs a second Query)."""
    invoke = ctx.handler(FUNCTION)
    tag = uuid.uuid4().hex[:6]
    first = _referral_event(f"calls{tag}", demo.BANK)
    purchase = {"orderId": f"B-{tag}", "customerId": "F1", "amount": 10, "currency": "USD"}
    route: tuple[str, str, dict] = ("POST", "/friendbuy/v1/event/purchase", {})
    auth = {"authorization": demo.BASIC}

    def purchase_event(**extra) -> dict:
        return sample_event(route, {"headers": auth, "body": {**purchase, **extra}})

    rows = []
    # A new advocate's cost varies a little (a wrap-around query, a lost race): 50 of them.
    invoke(_referral_event(f"warm{tag}", bank_id))  # the instance's cache, as on a warm Lambda
    def new_advocate(i: int) -> Callable[[], dict]:
        return lambda: invoke(_referral_event(f"avg{tag}{i}", bank_id))

    each = [ctx.measure(new_advocate(i)) for i in range(50)]
    calls, capacity = statistics.mean(c for c, _, _ in each), statistics.mean(u for _, u, _ in each)
    by_op: dict[str, float] = {op: sum(b[op] for _, _, b in each) / 50 for op in set().union(*(b for _, _, b in each))}
    rows.append(Row(SECTION, f"referral code from the bank (new advocate, warm instance, 50 sequential, bank of "
                    f"{COMPARE_CODES * COMPARE_ROUNDS - PARALLEL - PARALLEL_ASSIGNMENTS:,} codes)",
                    "DynamoDB calls, p99", percentile([c for c, _, _ in each], 99), "<= 2"))
    invoke(first)
    coupon = json.loads(invoke(first)["body"])["coupon_code"]
    cases: dict[str, tuple[float, float, Mapping[str, float]]] = {
        "referral code from the bank (new advocate, mean of 50)": (calls, capacity, by_op),
        "referral code, same advocate again": ctx.measure(lambda: invoke(first)),
        "purchase attributed by coupon code": ctx.measure(lambda: invoke(purchase_event(couponCode=coupon))),
        "purchase, same orderId again": ctx.measure(lambda: invoke(purchase_event(couponCode=coupon))),
        "purchase, unknown coupon": ctx.measure(lambda: invoke(purchase_event(orderId=f"U-{tag}", couponCode="NOPE1"))),
    }
    for case, (case_calls, case_capacity, case_ops) in cases.items():
        detail = " + ".join(f"{n:g} {op}" for op, n in sorted(case_ops.items())) or "none"
        rows.append(Row(SECTION, case, f"DynamoDB calls ({detail})", case_calls))
        rows.append(Row(SECTION, case, "capacity units", case_capacity))
    return rows


def _big_generation(ctx: Context, raw: float) -> list[Row]:
    bank = _new_bank(ctx)
    progress = ProgressLine(BIG)  # the admin CLI's progress line and final counts, on standard error
    start = time.perf_counter()
    report = bank_loading.generate(ctx.table, bank, BIG, workers=WORKERS, progress=progress)
    seconds = time.perf_counter() - start
    progress.finish(report)
    assert report.added == BIG, report
    free = banks.status(ctx.table, bank.id).free
    return [
        Row(SECTION, f"generate {BIG:,} codes into one bank", "seconds", seconds,
            f"<= {300 * BIG / 1_000_000:,.0f}"),
        Row(SECTION, f"generate {BIG:,} codes into one bank", "codes/s", BIG / seconds),
        Row(SECTION, f"generate {BIG:,} codes into one bank / raw transactions", "ratio", BIG / seconds / raw, ">= 0.8"),
        Row(SECTION, f"generate {BIG:,} codes into one bank", "codes left (bank status)", free, f"= {BIG:,}"),
    ]


def summary() -> str:
    """The bank-loading and assignment figures as their own section of bench/results/latest.md."""
    wanted = [r for r in _measured if "generat" in r.case or "raw" in r.case or "assignment" in r.case
              or "new advocate" in r.case]
    engine = next((str(r.value) for r in _measured if r.case == ENGINE_CASE), "not run")
    lines = ["## Friendbuy coupon banks", "",
             f"`make bench` (or `python -m bench friendbuy`; `BENCH_BANK_CODES={BIG}`), {os.cpu_count()} cores, "
             f"DynamoDB Local ({engine}: this bench's own engine setting, "
             "see bench/friendbuy.py). One item per code, 100 codes per conditional TransactWriteItems, "
             f"{WORKERS} in flight; raw = the same transactions without our code, on the same engine, alternating.", "",
             "| case | metric | value | target |", "|---|---|---|---|"]
    lines += [f"| {r.case} | {r.metric} | {r.cells()[3]} | {r.target} |" for r in wanted]
    return "\n".join(lines)
