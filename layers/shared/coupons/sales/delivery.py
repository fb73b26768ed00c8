"""Delivering sale events to the partner that owns the code, each exactly once when it succeeds.

``deliver`` takes one outbox event (``core.outbox``): claims it, hands it to the ``Reporter``
registered for the owner's partner (``core.sales``), or a leak-guard notice to the ``AlertSender`` of
its target, and records the outcome. A reporter raises
``DeliveryFailed`` for anything worth retrying; the event then waits ``backoff`` seconds (doubling)
and after ``max_attempts`` failures it is dead until someone re-drives it (coupons-admin checkout
dead-letters / redrive). Which reporter serves which partner is decided by the sender function
(functions/sender/app.py), the one place that knows every partner.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from coupons.core import outbox, sealed
from coupons.core.models import utcnow
from coupons.core.sales import Alert, AlertSender, DeliveryFailed, Redemption, Refund, Reporter, SaleEvent
from coupons.core.settings import Settings
from coupons.core.table import Table

__all__ = ["DeliveryConfig", "DeliveryFailed", "Outcome", "deliver", "summary"]


@dataclass(frozen=True)
class DeliveryConfig:
    timeout_seconds: float = 5.0
    max_attempts: int = 10
    backoff_seconds: float = 30.0  # before the 2nd attempt; doubles each time, at most 15 minutes
    lease_seconds: int = 60  # an attempt that has not finished by then may be taken over

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryConfig:
        default, s = cls(), settings
        return cls(
            timeout_seconds=default.timeout_seconds if s.delivery_timeout_seconds is None else s.delivery_timeout_seconds,
            max_attempts=default.max_attempts if s.delivery_max_attempts is None else s.delivery_max_attempts,
            backoff_seconds=default.backoff_seconds if s.delivery_backoff_seconds is None else s.delivery_backoff_seconds,
        )

    def backoff(self, attempts: int) -> float:
        return min(self.backoff_seconds * 2 ** max(attempts - 1, 0), 900.0)


@dataclass(frozen=True)
class Outcome:
    state: str  # delivered, skipped, pending (retry later), dead, busy, or the state found (done already)
    note: str = ""
    retry_in: float | None = None  # seconds until the next attempt, when there is one


# Steps run on each claimed event before its reporter (the leak guard, coupons.guard.detector); a
# DeliveryFailed from one is retried like the reporter's.
Observer = Callable[[Table, SaleEvent], object]


def deliver(table: Table, pk: str, config: DeliveryConfig, reporters: Mapping[str, Reporter],
            observers: Sequence[Observer] = (), alert_senders: Mapping[str, AlertSender] | None = None) -> Outcome:
    """One attempt at one outbox event: a sale's (observers, then its partner's reporter) or a leak
    guard's notice (``alert_senders`` by target)."""
    now = time.time()
    try:
        item, token = outbox.claim(table, pk, now, config.lease_seconds)
    except outbox.NotClaimed as taken:
        if taken.state == outbox.PENDING:  # another attempt holds the lease: look again after it
            return Outcome("busy", "another attempt is under way", retry_in=config.lease_seconds)
        return Outcome(taken.state or "missing", "nothing to do")
    try:
        if item["event"] == outbox.ALERT:
            state, note = _send_alert(table, item, config, alert_senders or {})
        else:
            state, note = _report_sale(table, item, config, reporters, observers)
    except (DeliveryFailed, sealed.CannotOpen) as failure:  # a secret KMS will not open: as unreachable
        attempts = int(item["attempts"])
        dead = attempts >= config.max_attempts
        delay = config.backoff(attempts)
        outbox.fail(table, item, token, str(failure), now + delay, dead)
        return Outcome(outbox.DEAD if dead else outbox.PENDING, str(failure), None if dead else delay)
    outbox.finish(table, item, token, state, note, utcnow())
    return Outcome(state, note)


def _report_sale(table: Table, item: dict[str, Any], config: DeliveryConfig, reporters: Mapping[str, Reporter],
                 observers: Sequence[Observer]) -> tuple[str, str]:
    refund = Refund.model_validate(item["refund"]) if item.get("refund") else None
    event = SaleEvent(kind=item["event"], delivery_id=item["pk"], redemption=Redemption.model_validate(item["redemption"]),
                      timeout_seconds=config.timeout_seconds, refund=refund)
    for observe in observers:
        observe(table, event)
    reporter = reporters.get(item["partner"])
    if reporter is None:
        return outbox.SKIPPED, f"no reporter for partner {item['partner']}"
    return reporter(table, event)


def _send_alert(table: Table, item: dict[str, Any], config: DeliveryConfig,
                senders: Mapping[str, AlertSender]) -> tuple[str, str]:
    alert = Alert(event=item["alert"]["event"], delivery_id=item["pk"], target=item["partner"],
                  body=json.loads(item["alert"]["body"]), timeout_seconds=config.timeout_seconds)
    sender = senders.get(alert.target)
    if sender is None:
        return outbox.SKIPPED, f"no alert sender for {alert.target}"
    return sender(table, alert)


def summary(item: Mapping[str, Any]) -> dict[str, Any]:
    """An outbox item as the admin CLI lists it."""
    r = item.get("redemption", {})
    owner = r.get("owner", {})
    return {
        "event": item["pk"], "partner": item.get("partner"), "account": owner.get("account"),
        "person": owner.get("person"), "order_id": r.get("order_id"), "code": r.get("code"),
        "state": item.get("state"), "attempts": item.get("attempts"), "last_error": item.get("last_error", ""),
        "created_at": item.get("created_at"),
    }
