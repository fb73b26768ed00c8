"""``make load`` (``python -m bench.load``): the stack ``make run`` serves, under Locust, headless.

Starts DynamoDB Local, the table with the demo configuration, the partner stub, the local sale
delivery and the local gateway on 127.0.0.1 (as ``make run`` and the tests' ``local_stack`` do),
runs bench/load/locustfile.py against it for LOAD_SECONDS, then reads the table and checks what
must hold whatever the load:

- no bank code was given to two advocates (Friendbuy referrals per coupon code);
- no code was redeemed more often than it allows (single-use codes: once), and each code's
  ``uses`` counter equals its live redemptions;
- no gift card's balance is below zero, and each balance is its amount minus its live spends.

Prints requests/s and p50/p95/p99 per route, writes bench/results/load.md, and exits 1 on any
5xx, any response outside a route's expected statuses, or any violation.

Environment: LOAD_SECONDS (120), LOAD_USERS (20), LOAD_SPAWN_RATE (10 users/s),
LOAD_WORKERS (gateway worker processes per function, 4 as in make run), LOAD_BANK_CODES (codes
added to Friendbuy bank 9900 before the run, 3000)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from coupons.core import code_items, sale_items
from coupons.core.table import Table
from coupons.friendbuy import banks
from coupons_admin import bank_loading
from localrun import demo, kms_local
from localrun.delivery import LocalDelivery
from localrun.demo import friendbuy as friendbuy_demo
from localrun.demo.checkout import STUB_URL_ENV
from localrun.dynamodb_local import apply_environment, create_table, running
from localrun.gateway import LocalGateway
from localrun.partner_stub import PartnerStub

HERE = Path(__file__).resolve().parent
RESULTS = HERE.parent / "results"
TABLE = "coupons-load"


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def main() -> int:
    seconds = _env_int("LOAD_SECONDS", 120)
    users = _env_int("LOAD_USERS", 20)
    spawn_rate = _env_int("LOAD_SPAWN_RATE", 10)
    workers = _env_int("LOAD_WORKERS", 4)
    bank_codes = _env_int("LOAD_BANK_CODES", 3000)

    # The functions log and emit metrics on stdout as on Lambda (same work per request); to a file here,
    # so that stdout carries the report.
    RESULTS.mkdir(exist_ok=True)
    sys.stdout.flush()
    stdout = os.dup(1)
    with (RESULTS / "load-stack.log").open("w") as log:
        os.dup2(log.fileno(), 1)
    try:
        report, ok = _run(seconds, users, spawn_rate, workers, bank_codes)
    finally:
        sys.stdout.flush()
        os.dup2(stdout, 1)
    print(report)
    (RESULTS / "load.md").write_text(report + "\n")
    print(f"written to {RESULTS / 'load.md'} (the functions' logs: {RESULTS / 'load-stack.log'})", file=sys.stderr)
    return 0 if ok else 1


def _run(seconds: int, users: int, spawn_rate: int, workers: int, bank_codes: int) -> tuple[str, bool]:
    with running() as engine, kms_local.running() as kms:
        apply_environment(engine)
        os.environ.update(kms.environment())  # the seed seals partner secrets, the sender here opens them
        client = engine.client()
        create_table(client, TABLE)
        table = Table(TABLE, client)
        demo.seed(table)
        if bank_codes:
            bank_loading.generate(table, banks.get_bank(table, friendbuy_demo.BANK), bank_codes, workers=4)

        stub = PartnerStub().start()  # 127.0.0.1, a free port
        os.environ[STUB_URL_ENV] = stub.url
        gateway = LocalGateway(TABLE, port=0, workers_per_function=workers)  # 127.0.0.1
        gateway.warm_up()
        gateway.start()
        sales = LocalDelivery(table, {"BRANDBASSADOR_TRACKING_URL": stub.url, "DELIVERY_BACKOFF_SECONDS": "2"}).start()
        print(f"DynamoDB ({engine.kind}) at {engine.endpoint}; gateway {gateway.url}, {workers} workers per function; "
              f"{users} users for {seconds} s", file=sys.stderr, flush=True)
        try:
            with tempfile.TemporaryDirectory(prefix="load-") as tmp:
                prefix = Path(tmp) / "locust"
                started = time.monotonic()
                subprocess.run(
                    [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
                     "--host", gateway.url, "-u", str(users), "-r", str(spawn_rate), "-t", f"{seconds}s",
                     "--stop-timeout", "10", "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
                    check=False, stdout=sys.stderr,
                )
                elapsed = time.monotonic() - started
                stats = _read_csv(Path(f"{prefix}_stats.csv"))
                failures = _read_csv(Path(f"{prefix}_failures.csv"))
            time.sleep(3)  # sale deliveries still in flight write nothing the checks read; let them settle
            checks = _check_table(table)
        finally:
            gateway.close()
            sales.close()
            stub.close()

    return _report(stats, failures, checks, seconds=seconds, elapsed=elapsed, users=users, workers=workers,
                   engine=engine.kind)


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _items(table: Table):
    for page in table.client.get_paginator("scan").paginate(TableName=table.name, ConsistentRead=True):
        for item in page["Items"]:
            yield table.deserialize(item)


def _check_table(table: Table) -> dict[str, dict]:
    codes: dict[str, dict] = {}
    redemptions: dict[str, list[dict]] = defaultdict(list)
    referrals_per_coupon: dict[str, set[str]] = defaultdict(set)
    for item in _items(table):
        pk, sk = item["pk"], item["sk"]
        if pk.startswith(code_items.PK_PREFIX) and sk == code_items.SK:
            codes[pk] = item
        elif pk.startswith(code_items.PK_PREFIX) and sk.startswith(sale_items.REDEMPTION_PREFIX):
            redemptions[pk].append(item)
        elif pk.startswith("FRIENDBUY#REFERRAL#") and item.get("bank_id"):
            referrals_per_coupon[item["coupon_code"].upper()].add(item.get("customer_id") or item["email"])

    bank_twice = {code: sorted(who) for code, who in referrals_per_coupon.items() if len(who) > 1}

    over_used, counter_off, redeemed_codes, live_total = [], [], 0, 0
    overdrawn, balance_off, gift_cards = [], [], 0
    for pk, code in codes.items():
        live = [r for r in redemptions.get(pk, []) if r.get("state") == "redeemed"]
        live_total += len(live)
        redeemed_codes += bool(live)
        max_uses = code.get("max_uses")
        if max_uses is not None and len(live) > max_uses:
            over_used.append(f"{code['code']}: {len(live)} redemptions, max_uses {max_uses}")
        if int(code.get("uses", 0)) != len(live):
            counter_off.append(f"{code['code']}: uses {code.get('uses')} but {len(live)} live redemptions")
        if code.get("kind") == "gift_card":
            gift_cards += 1
            balance = Decimal(code.get("balance") or 0)
            spent = sum((Decimal(r.get("gift_card_amount") or 0) for r in live), Decimal(0))
            if balance < 0:
                overdrawn.append(f"{code['code']}: balance {balance}")
            if Decimal(code["value"]) - spent != balance:
                balance_off.append(f"{code['code']}: amount {code['value']} - spent {spent} != balance {balance}")

    return {
        "bank code given to two advocates": {
            "violations": [f"{c}: {', '.join(w)}" for c, w in bank_twice.items()],
            "of": f"{len(referrals_per_coupon)} bank codes assigned"},
        "code redeemed more often than it allows (single-use: twice)": {
            "violations": over_used, "of": f"{redeemed_codes} codes redeemed, {live_total} live redemptions"},
        "uses counter differs from live redemptions": {"violations": counter_off, "of": f"{len(codes)} codes"},
        "gift card balance below zero": {"violations": overdrawn, "of": f"{gift_cards} gift cards"},
        "gift card balance differs from amount minus live spends": {
            "violations": balance_off, "of": f"{gift_cards} gift cards"},
    }


def _ms(value: str) -> str:
    return "" if value in ("", "N/A") else f"{float(value):.0f}"


def _report(stats, failures, checks, *, seconds, elapsed, users, workers, engine) -> tuple[str, bool]:
    fivexx: Counter[str] = Counter()
    unexpected: Counter[str] = Counter()
    for row in failures:
        n = int(row["Occurrences"])
        if row["Error"].startswith(("5xx", "CatchResponseError('5xx")) or "5xx " in row["Error"]:
            fivexx[row["Name"]] += n
        else:
            unexpected[row["Name"]] += n
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Load test (`make load`)",
        "",
        f"{when}: {users} Locust users for {seconds} s ({elapsed:.0f} s with start and stop) against the local "
        f"stack (`make run`'s: gateway on 127.0.0.1 with {workers} worker processes per function, DynamoDB: "
        f"{engine}). Latencies in ms as Locust measures them (client side, its percentiles are bucketed).",
        "",
        "| route | requests | failures | 5xx | requests/s | p50 | p95 | p99 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in stats:
        name = row["Name"]
        lines.append(
            f"| {name if name != 'Aggregated' else '**all**'} | {row['Request Count']} | {row['Failure Count']} "
            f"| {fivexx[name] if name != 'Aggregated' else sum(fivexx.values())} "
            f"| {float(row['Requests/s']):.1f} | {_ms(row['50%'])} | {_ms(row['95%'])} | {_ms(row['99%'])} |"
        )
    lines += ["", "## Checks, read from the table after the run", ""]
    violations = 0
    for name, check in checks.items():
        found = check["violations"]
        violations += len(found)
        lines.append(f"- {name}: **{len(found)}** ({check['of']})")
        lines += [f"  - {v}" for v in found[:10]]
    if failures:
        lines += ["", "## Failed requests", "", "| route | error | count |", "|---|---|---|"]
        lines += [f"| {r['Name']} | {r['Error'][:160].replace('|', '/')} | {r['Occurrences']} |" for r in failures]
    ok = bool(stats) and not fivexx and not unexpected and violations == 0
    verdict = "PASS" if ok else (
        f"FAIL: {sum(fivexx.values())} 5xx, {sum(unexpected.values())} unexpected statuses, {violations} violations"
        if stats else "FAIL: Locust produced no statistics")
    lines += ["", f"**{verdict}**"]
    return "\n".join(lines), ok


if __name__ == "__main__":
    sys.exit(main())
