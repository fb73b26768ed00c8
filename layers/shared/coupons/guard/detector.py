"""The guard's step for each sale event, run by the sender before it reports the sale (off the
checkout's request path: the redemption stays one TransactWriteItems).

Count once, read the code in one Query, judge, flag or pause, at the sale's own time; a webhook not
sent makes the sender retry the event (docs/guard.md, "Where it runs")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from coupons.core import cache
from coupons.core.observability import logger, masked
from coupons.core.sales import SALE, Redemption, SaleEvent
from coupons.core.table import Table
from coupons.guard import items, pausing
from coupons.guard.policy import Policy
from coupons.guard.signals import Counts, Verdict, assess

EVENTS = {"flagged": "code.leak_suspected", "paused": "code.paused"}


def account_policy(table: Table, partner: str, account: str) -> Policy:
    """The account's policy (kept 30 s, ``core.cache``), or the default."""
    found = cache.cached(table, ("guard-policy", partner, account),
                         lambda: items.get_policy(table, items.policy_key(partner, account), "account"))
    return found or Policy()


def delta(r: Redemption) -> Counts:
    known = r.customer.new is not None
    return Counts(n=1, ref=1 if r.ref else 0, known=1 if known else 0, new=1 if r.customer.new else 0,
                  discount=r.discount + r.shipping_discount)


# (table, event name, delivery id, body) -> sends the signed webhook (coupons.sales.alerts.send_alert,
# composed by the sender); raises DeliveryFailed when it could not.
Notify = Callable[[Table, str, str, dict], object]


def observer(notify: Notify | None) -> Callable[[Table, SaleEvent], str]:
    """``observe`` with its way of telling: the sender's observer (``sales.delivery.Observer``)."""
    return lambda table, event: observe(table, event, notify)


def observe(table: Table, event: SaleEvent, notify: Notify | None = None) -> str:
    """The guard's step for one sale event; what it did (``none``, ``flagged``, ``paused``)."""
    r = event.redemption
    if event.kind != SALE or not r.code:
        return "none"
    at = r.created_at
    account = account_policy(table, r.owner.partner, r.owner.account)
    items.count(table, r.code, r.id.rsplit(".", 1)[1], at.date(), delta(r))
    view = items.view(table, r.code, at.date(), account.thresholds.window_days)
    policy = view.override or account
    if view.override and view.override.thresholds.window_days != account.thresholds.window_days:
        view = items.view(table, r.code, at.date(), view.override.thresholds.window_days)
    done = "none"
    if policy.mode != "off":
        verdict = assess(view.recent_days, view.history, policy.thresholds)
        done = _act(table, r, at, policy, verdict, view.state)
    _notify_pending(table, r, at, view.state if done == "none" else None, notify)
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
    if items.record(table, r.code, "flagged", at, {**owner, "flag_signal": verdict.signal, "flag_detail": detail,
                                                   "notify_flagged": True}):
        did = "flagged"
        logger.info("guard flagged a code", extra={"code": masked(r.code), "signal": verdict.signal})
    if action == "pause":
        newly = pausing.pause(table, r.code, f"guard:{verdict.signal}", at)
        if items.record(table, r.code, "paused", at, {**owner, "pause_signal": verdict.signal, "pause_detail": detail,
                                                      "notify_paused": newly}):
            did = "paused"
            logger.info("guard paused a code", extra={"code": masked(r.code), "signal": verdict.signal,
                                                      "paused_now": newly})
    return did


def _notify_pending(table: Table, r: Redemption, at: datetime, state: dict | None, notify: Notify | None) -> None:
    """Send the webhooks still owed (just recorded, or left over from a failed attempt)."""
    if notify is None:
        return
    if state is None:
        state = items.view(table, r.code, at.date(), 1).state
    for what in ("flagged", "paused"):
        if not state.get(f"notify_{what}"):
            continue
        # DeliveryFailed: the sale event is tried again later, this notification with it.
        notify(table, EVENTS[what], f"GUARD#{r.code}#{what}#{state.get(f'{what}_at')}", _body(what, state, r.code))
        items.set_state(table, r.code, {}, remove=(f"notify_{what}",))


def _body(what: str, state: dict, code: str) -> dict:
    detail = state.get("pause_detail" if what == "paused" else "flag_detail") or {}
    return {
        "code": code,
        "partner": state.get("partner"),
        "account": state.get("account"),
        "person": state.get("person"),
        "at": str(state.get(f"{what}_at")),
        "signal": detail.get("signal"),
        "signals": {k: float(v) for k, v in (detail.get("signals") or {}).items()},
        "mode": detail.get("mode"),
    }
