"""Leak guard: a synthetic month replayed through the real handlers on DynamoDB Local.

Several hundred organic codes (steady rates, weekly cycles, a few legitimate viral spikes that bring
their refs) and leaked codes (bursts without refs, mostly new customers; some start slowly) are
redeemed through the checkout's Lambda handler, and each sale event is handed to the sender's own
handler ``LAG_SECONDS`` of simulated time later, as the stream, the pipe and the queue would. Time is
simulated: the checkout's clock is the synthetic month's (``redemptions.utcnow``), and the guard
takes each sale's own time, so a month replays in minutes. The same month is replayed once per
threshold setting (each setting's codes under its own partner account and policy, mode ``pause``).

Reported per setting: leaked codes paused, redemptions accepted and discount given between each leak's
start and its pause, organic codes wrongly paused or flagged. ``python -m bench.leak --model`` runs
the same month through the guard's pure verdict only (seconds; for exploring thresholds).
"""

from __future__ import annotations

import heapq
import math
import random
import statistics
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bench.harness import Context, Row
from coupons.core import code_items, outbox
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner
from coupons.guard import items as guard_items
from coupons.guard.policy import Policy
from coupons.guard.signals import Counts, Thresholds, assess
from localrun.delivery import sqs_event
from localrun.samples import sample_event

START = datetime(2026, 2, 1, tzinfo=UTC)
DAYS = 30
ORGANIC, VIRAL, LEAKED = 300, 6, 12  # codes (the viral ones are organic codes with one spike)
LAG_SECONDS = 10  # a sale event reaches the sender this long after the redemption (AWS: about a second)
AFTER_PAUSE = 5  # leaked attempts replayed after a pause (refused), then the leak's traffic is dropped
TARGET_PER_LEAK = 25
AUTH = {"authorization": "Bearer demo-key"}
CART = {"subtotal": "80.00", "shipping": "4.90", "currency": "EUR"}  # 15 % off: 12.00 a redemption
SETTINGS = {
    "default": Thresholds(),  # min_excess 8, z 3.5, velocity 3, new_share 0.6, window_days 7, min_spread 0.5
    "strict": Thresholds(min_excess=6, z=3.0, velocity=2.0, new_share=0.5),
    "loose": Thresholds(min_excess=12, z=4.5, velocity=4.0, new_share=0.7),
}


@dataclass(frozen=True)
class Sale:
    at: datetime
    code: str  # without the setting's prefix
    kind: str  # organic, viral (an organic code's spike) or leak
    ref: bool
    new: bool | None


@dataclass
class Truth:
    leaked: dict[str, datetime]  # code -> when its leak starts
    viral: set[str]
    codes: list[str]


def _poisson_times(rng: random.Random, rate_per_day, first: datetime, last: datetime, peak: float):
    """Arrival times of a non-homogeneous Poisson process (thinning), ``rate_per_day(t) <= peak``."""
    t = first
    while True:
        t += timedelta(days=rng.expovariate(peak))
        if t >= last:
            return
        if rng.random() < rate_per_day(t) / peak:
            yield t


def month(seed: int = 23) -> tuple[list[Sale], Truth]:
    rng = random.Random(seed)
    end = START + timedelta(days=DAYS)
    sales: list[Sale] = []
    codes = [f"C{i:03d}" for i in range(ORGANIC)]
    viral = set(rng.sample(codes, VIRAL))
    leaked_codes = rng.sample([c for c in codes if c not in viral], LEAKED)
    leaked: dict[str, datetime] = {}
    for code in codes:
        base = min(rng.lognormvariate(math.log(0.8), 0.9), 12.0)  # redemptions a day
        ref_share, new_share = rng.uniform(0.55, 0.9), rng.uniform(0.15, 0.5)
        weekly = rng.uniform(0.0, 0.6)  # weekend swing
        phase = rng.random() * 7
        def rate(t, base=base, weekly=weekly, phase=phase):
            day = (t - START).total_seconds() / 86_400
            return base * (1 + weekly * math.sin(2 * math.pi * (day + phase) / 7))
        peak = base * (1 + weekly)
        for t in _poisson_times(rng, rate, START, end, peak):
            sales.append(Sale(t, code, "organic", rng.random() < ref_share, _new(rng, new_share)))
        if code in viral:  # a post that takes off: a day of 60-400 redemptions, refs as usual, new customers
            spike = START + timedelta(days=rng.uniform(8, 26))
            size = rng.randint(60, 400)
            for _ in range(size):
                t = spike + timedelta(hours=rng.expovariate(1 / 6))
                sales.append(Sale(t, code, "viral", rng.random() < ref_share,
                                  _new(rng, 0.75)))
        if code in leaked_codes:
            start = START + timedelta(days=rng.uniform(8, 26))
            leaked[code] = start
            slow = len(leaked) % 3 == 0  # a third start slowly: 2 a day, doubling every 2 days
            top = rng.uniform(300, 20_000)
            def leak_rate(t, start=start, slow=slow, top=top):
                days = (t - start).total_seconds() / 86_400
                return min(top, 2 * 2 ** (days / 2)) if slow else top
            for t in _poisson_times(rng, leak_rate, start, min(end, start + timedelta(days=12 if slow else 3)), top):
                sales.append(Sale(t, code, "leak", rng.random() < 0.03, _new(rng, 0.9)))
    sales.sort(key=lambda s: s.at)
    return sales, Truth(leaked, viral, codes)


def _new(rng: random.Random, share: float) -> bool | None:
    return None if rng.random() < 0.2 else rng.random() < share  # a fifth of checkouts do not say


# ---- the outcome, however it was replayed ----------------------------------------------------------


@dataclass
class Outcome:
    accepted_before_pause: dict[str, int]  # leaked code -> leak redemptions accepted before its pause
    discount_before_pause: dict[str, Decimal]
    paused: dict[str, datetime]
    flagged: set[str]


def _table(name: str, truth: Truth, outcome: Outcome) -> list[Row]:
    leaks = truth.leaked
    caught = [c for c in leaks if c in outcome.paused]
    worst = max((outcome.accepted_before_pause.get(c, 0) for c in leaks), default=0)
    organic = [c for c in truth.codes if c not in leaks]
    wrongly_paused = [c for c in organic if c in outcome.paused]
    wrongly_flagged = [c for c in organic if c in outcome.flagged]
    viral_acted = [c for c in truth.viral if c in outcome.paused or c in outcome.flagged]
    section = f"leak guard ({name})"
    return [
        Row(section, "leaked codes paused", "codes", f"{len(caught)} / {len(leaks)}", f"{len(leaks)} / {len(leaks)}"),
        Row(section, "leak redemptions accepted before the pause, worst code", "redemptions", worst,
            f"<= {TARGET_PER_LEAK}"),
        Row(section, "... median code", "redemptions",
            statistics.median(outcome.accepted_before_pause.get(c, 0) for c in leaks) if leaks else 0),
        Row(section, "discount given between leak start and pause, all leaked codes", "EUR",
            str(sum(outcome.discount_before_pause.values(), Decimal(0)))),
        Row(section, "organic codes paused", "codes", f"{len(wrongly_paused)} / {len(organic)}", "0"),
        Row(section, "organic codes flagged", "%", 100.0 * len(wrongly_flagged) / len(organic), "<= 1"),
        Row(section, "viral codes (spikes with refs) flagged or paused", "codes",
            f"{len(viral_acted)} / {len(truth.viral)}", "0"),
    ]


# ---- the pure model: the guard's verdict on in-memory counters --------------------------------------


def model(sales: list[Sale], truth: Truth, t: Thresholds) -> Outcome:
    days: dict[str, dict[date, Counts]] = defaultdict(dict)
    out = Outcome(defaultdict(int), defaultdict(Decimal), {}, set())
    queue: list[tuple[datetime, int, Sale]] = []

    def judge(s: Sale) -> None:
        code_days = days[s.code]
        bucket = code_days.setdefault(s.at.date(), Counts())
        bucket.n += 1
        bucket.ref += s.ref
        bucket.known += s.new is not None
        bucket.new += bool(s.new)
        today = s.at.date()
        window_start = today - timedelta(days=t.window_days - 1)
        history_start = window_start - timedelta(days=guard_items.HISTORY_DAYS)
        recent = [code_days.get(today - timedelta(days=d), Counts()) for d in range(t.window_days)]
        history = Counts()
        oldest = min(code_days)
        for day, c in code_days.items():
            if history_start <= day < window_start:
                history = history + c
        if oldest < window_start:
            history.days = (window_start - max(oldest, history_start)).days
        verdict = assess(recent, history, t)
        if verdict.action != "none":
            out.flagged.add(s.code)
        if verdict.action == "pause" and s.code not in out.paused:
            out.paused[s.code] = s.at

    for i, s in enumerate(sales):
        while queue and queue[0][0] <= s.at:
            judge(heapq.heappop(queue)[2])
        if s.code in out.paused:
            continue  # refused
        if s.kind == "leak":
            out.accepted_before_pause[s.code] += 1
            out.discount_before_pause[s.code] += Decimal("12.00")
        heapq.heappush(queue, (s.at + timedelta(seconds=LAG_SECONDS), i, s))
    return out


# ---- the real handlers on DynamoDB Local ------------------------------------------------------------


def run(ctx: Context) -> list[Row]:
    import coupons.checkout.redemptions as checkout_clock

    sales, truth = month()
    checkout = ctx.handler("CheckoutFunction")
    sender = ctx.handler("SenderFunction")
    rows: list[Row] = []
    real_clock = checkout_clock.utcnow
    try:
        for name, thresholds in SETTINGS.items():
            owner = Owner(partner="sitevibes", account=f"leak-{name}")
            guard_items.put_policy(ctx.table, guard_items.policy_key(owner.partner, owner.account),
                                   Policy("pause", thresholds))
            for code in truth.codes:
                code_items.create(ctx.table, CodeRecord(
                    code=f"{name.upper()}{code}", owner=owner.model_copy(update={"person": f"p-{code}"}),
                    discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(15))))
            out = _replay(ctx, checkout, sender, checkout_clock, sales, name.upper())
            rows += _table(name, truth, out)
            print(f"bench leak: {name} replayed", file=sys.stderr, flush=True)
    finally:
        checkout_clock.utcnow = real_clock
    return rows


def _replay(ctx, checkout, sender, clock, sales: list[Sale], prefix: str) -> Outcome:
    out = Outcome(defaultdict(int), defaultdict(Decimal), {}, set())
    refused_after: dict[str, int] = defaultdict(int)
    queue: list[tuple[datetime, int, str]] = []
    now = {"t": START}
    clock.utcnow = lambda: now["t"]

    def deliver_until(t: datetime) -> None:
        while queue and queue[0][0] <= t:
            _, _, pk = heapq.heappop(queue)
            sender(sqs_event([pk], [1]))

    for i, s in enumerate(sales):
        if refused_after[s.code] >= AFTER_PAUSE:
            continue
        deliver_until(s.at)
        now["t"] = s.at
        code = prefix + s.code
        # each order its own shopper and IP (documentation ranges), as both organic and leaked traffic are
        customer = {"id": f"u{i}", "ip": f"198.{18 + i // 65_536 % 2}.{i // 256 % 256}.{i % 256}"} | (
            {} if s.new is None else {"new": s.new})
        body = {"code": code, "order_id": f"{prefix}-{i}", "cart": CART, "customer": customer,
                **({"ref": f"sv-{s.code}"} if s.ref else {})}
        answer = checkout(sample_event(("POST", "/checkout/redemptions", {}), {"headers": AUTH, "body": body}))
        status = answer["statusCode"]
        if status == 201:
            if s.kind == "leak":
                out.accepted_before_pause[s.code] += 1
                out.discount_before_pause[s.code] += Decimal("12.00")
            rid = _json(answer)["id"]
            heapq.heappush(queue, (s.at + timedelta(seconds=LAG_SECONDS), i, outbox.event_key(rid, outbox.SALE)))
        elif status == 422 and _json(answer)["error"]["code"] == "paused":
            refused_after[s.code] += 1 if s.kind == "leak" else 0
            if s.kind != "leak":
                refused_after[s.code] += 0
        else:
            raise AssertionError(f"unexpected answer {status}: {answer['body']}")
    deliver_until(START + timedelta(days=DAYS + 1))
    for state in guard_items.acted(ctx.table):
        if not state["code"].startswith(prefix):
            continue
        code = state["code"][len(prefix):]
        if state.get("flagged_at"):
            out.flagged.add(code)
        if state.get("paused_at"):
            out.paused[code] = datetime.fromisoformat(str(state["paused_at"]))
    return out


def _json(answer: dict) -> dict:
    import json

    return json.loads(answer["body"])


def main(argv: list[str]) -> None:
    sales, truth = month()
    print(f"{len(sales)} sales, {len(truth.codes)} codes, {len(truth.leaked)} leaked, {len(truth.viral)} viral",
          file=sys.stderr)
    for name, thresholds in SETTINGS.items():
        for row in _table(name, truth, model(sales, truth, thresholds)):
            print(" | ".join(row.cells()))


if __name__ == "__main__":
    if "--model" in sys.argv:
        main(sys.argv[1:])
