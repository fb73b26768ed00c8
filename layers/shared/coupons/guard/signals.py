"""What the guard measures per code, and the verdict: pure functions, no store.

A flag needs ``no_ref`` (redemptions without the partner's ref beyond chance); a pause needs
``no_ref`` and ``velocity`` or ``new_customers``, so a viral post is never flagged, and many distinct
customers and IPs (``spread``), so a few buyers reusing a code do not pause it for everyone
(docs/guard.md, "Signals" and "Policy")."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

PRIOR_NO_REF_SHARE = 0.5  # what a code without history is assumed to have ...
PRIOR_WEIGHT = 10  # ... worth this many redemptions of history
MIN_DAILY_RATE = 1.0  # a code with (almost) no history is expected to see at least this many a day


@dataclass
class Counts:
    """Redemptions counted over some days."""

    n: int = 0  # redemptions
    ref: int = 0  # ... that carried the partner's tracking reference
    known: int = 0  # ... for which the checkout said whether the customer is new
    new: int = 0  # ... of which new customers
    discount: Decimal = Decimal(0)  # discount given (goods and shipping)
    days: int = 0  # buckets summed
    identified: int = 0  # redemptions whose checkout named the customer (id or e-mail)
    customers: int = 0  # distinct customers among them, per day (summed over days)
    with_ip: int = 0  # redemptions whose checkout sent the client's IP
    ips: int = 0  # distinct IPs among them, per day (summed over days)

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.n + other.n, self.ref + other.ref, self.known + other.known, self.new + other.new,
                      self.discount + other.discount, self.days + other.days, self.identified + other.identified,
                      self.customers + other.customers, self.with_ip + other.with_ip, self.ips + other.ips)

    @property
    def no_ref(self) -> int:
        return self.n - self.ref


@dataclass(frozen=True)
class Thresholds:
    window_days: int = 7  # the recent window, today included
    min_excess: float = 8.0  # redemptions without ref beyond the code's usual share
    z: float = 3.5  # ... and that many standard deviations of chance
    velocity: float = 3.0  # recent redemptions / what the history predicts
    new_share: float = 0.6  # new customers / customers the checkout said new or not
    min_redemptions: int = 10  # no verdict on fewer recent redemptions
    # distinct customers (and IPs) / redemptions naming one: below it, a burst is a few buyers reusing
    # the code (a per-customer limit's job), flagged but never paused
    min_spread: float = 0.5


@dataclass
class Verdict:
    action: str  # "none", "flag" or "pause"
    fired: list[str] = field(default_factory=list)  # the signals that fired, strongest first
    values: dict[str, float] = field(default_factory=dict)

    @property
    def signal(self) -> str:
        return self.fired[0] if self.fired else ""


def assess(recent_days: list[Counts], history: Counts, thresholds: Thresholds) -> Verdict:
    """The verdict on a code from its last days (``recent_days[0]`` is today's bucket, at most
    ``window_days`` of them) and its history before them. Every window ending today, from 1 day to
    ``window_days``, is judged, and the one with the strongest ``no_ref`` evidence speaks: a burst
    shows in today's bucket before a week of ordinary traffic dilutes it, a slow leak over days."""
    t = thresholds
    share = (history.no_ref + PRIOR_NO_REF_SHARE * PRIOR_WEIGHT) / (history.n + PRIOR_WEIGHT)
    daily = max(history.n / history.days if history.days else 0.0, MIN_DAILY_RATE)
    best: Verdict | None = None
    recent = Counts()
    for days, bucket in enumerate(recent_days[: t.window_days], start=1):
        recent = recent + bucket
        verdict = _judge(recent, days, share, daily, t)
        if best is None or (verdict.values["no_ref_z"] > best.values["no_ref_z"] and verdict.action != "none") \
                or _rank(verdict) > _rank(best):
            best = verdict
    return best or _judge(Counts(), 1, share, daily, t)


def _rank(verdict: Verdict) -> int:
    return {"none": 0, "flag": 1, "pause": 2}[verdict.action]


def _judge(recent: Counts, days: int, share: float, daily: float, t: Thresholds) -> Verdict:
    excess = recent.no_ref - share * recent.n
    spread = math.sqrt(max(recent.n * share * (1 - share), 1.0))
    velocity = recent.n / (daily * days)
    new_share = recent.new / recent.known if recent.known else 0.0
    people = _spread(recent, t.min_redemptions)
    values = {"redemptions": recent.n, "window_days": days, "no_ref_excess": round(excess, 2),
              "no_ref_z": round(excess / spread, 2), "usual_no_ref_share": round(share, 3),
              "velocity": round(velocity, 2), "new_share": round(new_share, 3), "spread": round(people, 3)}
    if recent.n < t.min_redemptions:
        return Verdict("none", [], values)
    fired = []
    if excess >= t.min_excess and excess / spread >= t.z:
        fired.append("no_ref")
    if velocity >= t.velocity:
        fired.append("velocity")
    if recent.known >= t.min_redemptions and new_share >= t.new_share:
        fired.append("new_customers")
    if "no_ref" not in fired:
        return Verdict("none", fired, values)
    if people < t.min_spread:
        return Verdict("flag", [*fired, "concentrated"], values)
    return Verdict("pause" if len(fired) > 1 else "flag", fired, values)


def _spread(recent: Counts, enough: int) -> float:
    """Distinct customers (and IPs) per redemption that names one, the lower of the two; 1.0 when
    the checkout sent too few of either to say."""
    shares = [distinct / named for distinct, named in ((recent.customers, recent.identified), (recent.ips, recent.with_ip))
              if named >= enough]
    return min(shares, default=1.0)
