"""The guard's step for each sale event, run by the sender before it reports the sale (off the
checkout's request path: the redemption stays one TransactWriteItems).

Count once, read the code in one Query, judge, flag or pause, at the sale's own time; each flag or
pause queues its notices in the same write (``notices``), delivered as outbox items of their own
(docs/guard.md, "Where it runs")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from coupons.core import cache
from coupons.core.observability import keyed_digest, logger, masked
from coupons.core.sales import SALE, Redemption, SaleEvent
from coupons.core.table import Table
from coupons.guard import items, notices, pausing
from coupons.guard.policy import Policy
from coupons.guard.signals import Counts, Verdict, assess


def account_policy(table: Table, partner: str, account: str) -> Policy:
    """The account's policy (kept 30 s, ``core.cache``), or the default."""
    found = cache.cached(table, ("guard-policy", partner, account),
                         lambda: items.get_policy(table, items.policy_key(partner, account), "account"))
    return found or Policy()


def delta(r: Redemption) -> Counts:
    known = r.customer.new is not None
    return Counts(n=1, ref=1 if r.ref else 0, known=1 if known else 0, new=1 if r.customer.new else 0,
                  discount=r.discount + r.shipping_discount, identified=1 if r.customer.key else 0,
                  with_ip=1 if r.customer.ip_hash else 0)


def people(r: Redemption) -> dict[str, str]:
    """The sale's customer and IP, as the digests the distinct counters keep (no id, e-mail or IP)."""
    found = {}
    if r.customer.key:
        found["customers"] = keyed_digest(r.customer.key, "guard-customer")
    if r.customer.ip_hash:
        found["ips"] = r.customer.ip_hash
    return found


def observe(table: Table, event: SaleEvent) -> str:
    """The guard's step for one sale event; what it did (``none``, ``flagged``, ``paused``)."""
    r = event.redemption
    if event.kind != SALE or not r.code:
        return "none"
    at = r.created_at
    account = account_policy(table, r.owner.partner, r.owner.account)
    items.count(table, r.code, r.id.rsplit(".", 1)[1], at.date(), delta(r), people=people(r))
    view = items.view(table, r.code, at.date(), account.thresholds.window_days)
    policy = view.override or account
    if view.override and view.override.thresholds.window_days != account.thresholds.window_days:
        view = items.view(table, r.code, at.date(), view.override.thresholds.window_days)
    done = "none"
    if policy.mode != "off":
        verdict = assess(view.recent_days, view.history, policy.thresholds)
        done = _act(table, r, at, policy, verdict, view.state)
    return done


def _act(table: Table, r: Redemption, at: datetime, policy: Policy, verdict: Verdict, state: dict) -> str:
    action = verdict.action
    if action == "pause" and policy.mode == "flag":
        action = "flag"
    released = state.get("released_at")
    if action == "pause" and released is not None:
        # An admin unpaused it: not paused again on the same evidence, only on a new window's.
        since = (at - datetime.fromisoformat(str(released))).total_seconds()
        if since < policy.thresholds.window_days * 86_400:
            action = "flag"
    if action == "none":
        return "none"
    owner = {"partner": r.owner.partner, "account": r.owner.account, "person": r.owner.person, "code": r.code}
    detail = {"signal": verdict.signal, "signals": {k: Decimal(str(v)) for k, v in verdict.values.items()},
              "fired": verdict.fired, "mode": policy.mode}
    did = "none"
    body = {**owner, "signal": verdict.signal, "signals": verdict.values, "mode": policy.mode}
    if items.record(table, r.code, "flagged", at, {**owner, "flag_signal": verdict.signal, "flag_detail": detail},
                    notices.puts(table, r.code, "flagged", at, body)):
        did = "flagged"
        logger.info("guard flagged a code", extra={"code": masked(r.code), "signal": verdict.signal})
    if action == "pause":
        newly = pausing.pause(table, r.code, f"guard:{verdict.signal}", at)
        # Told only when this pause is the guard's (an admin's earlier pause was told by no one).
        told = notices.puts(table, r.code, "paused", at, body) if newly else None
        if items.record(table, r.code, "paused", at, {**owner, "pause_signal": verdict.signal, "pause_detail": detail},
                        told):
            did = "paused"
            logger.info("guard paused a code", extra={"code": masked(r.code), "signal": verdict.signal,
                                                      "paused_now": newly})
    return did
