"""Delivering sale events to the partner that owns the code, each exactly once when it succeeds.

``deliver`` takes one outbox event (store.outbox): claims it, hands it to the partner's deliverer,
and records the outcome. A deliverer raises ``DeliveryFailed`` for anything worth retrying; the
event then waits ``backoff`` seconds (doubling) and after ``max_attempts`` failures it is dead
until someone re-drives it (coupons-admin checkout dead-letters redrive).

Deliverers per partner: Brandbassador's tracking pixel; a signed webhook for SiteVibes and Affonso
when the brand configured one; for Friendbuy, a purchase recorded in this service's own Friendbuy
store (coupons.friendbuy.purchases), which credits the advocate who owns the code, as Friendbuy's purchase
event would. ``register`` plugs in another partner's deliverer.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from coupons.brandbassador import tracking as brandbassador_tracking
from coupons.checkout.rules import Redemption
from coupons.core import account_items, outbox
from coupons.core.errors import Unavailable
from coupons.core.models import utcnow
from coupons.core.table import Table
from coupons.friendbuy import purchases
from coupons.sales import webhook as sale_webhook
from coupons.sales import webhook_items as webhooks


class DeliveryFailed(Exception):
    """The partner did not take the event; worth trying again later."""


@dataclass(frozen=True)
class DeliveryConfig:
    brandbassador_url: str = brandbassador_tracking.DEFAULT_BASE_URL
    timeout_seconds: float = 5.0
    max_attempts: int = 10
    backoff_seconds: float = 30.0  # before the 2nd attempt; doubles each time, at most 15 minutes
    lease_seconds: int = 60  # an attempt that has not finished by then may be taken over

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> DeliveryConfig:
        default = cls()
        return cls(
            brandbassador_url=env.get("BRANDBASSADOR_TRACKING_URL") or default.brandbassador_url,
            timeout_seconds=float(env.get("DELIVERY_TIMEOUT_SECONDS") or default.timeout_seconds),
            max_attempts=int(env.get("DELIVERY_MAX_ATTEMPTS") or default.max_attempts),
            backoff_seconds=float(env.get("DELIVERY_BACKOFF_SECONDS") or default.backoff_seconds),
        )

    def backoff(self, attempts: int) -> float:
        return min(self.backoff_seconds * 2 ** max(attempts - 1, 0), 900.0)


# (table, event: "sale" | "rollback", delivery id, the redemption, config) -> (state, note)
Deliverer = Callable[[Table, str, str, Redemption, DeliveryConfig], tuple[str, str]]


def _http(request: urllib.request.Request, config: DeliveryConfig) -> int:
    try:
        with urllib.request.urlopen(request, timeout=config.timeout_seconds) as response:  # noqa: S310 - configured URL
            return response.status
    except urllib.error.HTTPError as error:
        raise DeliveryFailed(f"{request.full_url.split('?')[0]} answered HTTP {error.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DeliveryFailed(f"{request.full_url.split('?')[0]} unreachable: {error}") from None


def brandbassador_pixel(table: Table, event: str, delivery_id: str, r: Redemption,
                        config: DeliveryConfig) -> tuple[str, str]:
    if event != outbox.SALE:
        return outbox.SKIPPED, "Brandbassador has no cancellation pixel for custom webshops"
    webshop = account_items.get(table, r.owner.partner, r.owner.account)
    key = (webshop.settings.get("tracking_key") if webshop else None)
    if not key:
        raise DeliveryFailed(f"No Brandbassador tracking key for webshop {r.owner.account!r}: "
                             f"coupons-admin webshops set-tracking-key {r.owner.account} --key ...")
    url = brandbassador_tracking.pixel_url(config.brandbassador_url, r.order_id, r.cart.subtotal, r.code, key,
                                           r.cart.currency, r.ref)
    status = _http(urllib.request.Request(url, method="GET"), config)
    return outbox.DELIVERED, f"pixel HTTP {status}"


def signed_webhook(table: Table, event: str, delivery_id: str, r: Redemption,
                   config: DeliveryConfig) -> tuple[str, str]:
    hook = webhooks.get(table, r.owner.partner)
    if hook is None:
        return outbox.SKIPPED, f"no webhook configured for {r.owner.partner}"
    payload = sale_webhook.body(event, delivery_id, r)
    headers = sale_webhook.headers(event, delivery_id, hook["secret"], int(time.time()), payload)
    status = _http(urllib.request.Request(hook["url"], data=payload, headers=headers, method="POST"), config)
    return outbox.DELIVERED, f"webhook HTTP {status}"


def friendbuy_purchase(table: Table, event: str, delivery_id: str, r: Redemption,
                       config: DeliveryConfig) -> tuple[str, str]:
    """A checkout sale with a Friendbuy code becomes a Friendbuy purchase, once per order id (the
    same order sent through /friendbuy/v1/event/purchase as well is still one purchase)."""
    if event != outbox.SALE:
        return outbox.SKIPPED, "Friendbuy purchase events have no cancellation"
    purchase = purchases.Purchase(
        order_id=r.order_id, customer_id=r.customer.id, email=r.customer.email, amount=r.cart.subtotal,
        currency=r.cart.currency, coupon_code=r.code, source="checkout",
    )
    try:
        recorded = purchases.record_purchase(table, purchase)
    except Unavailable as busy:
        raise DeliveryFailed(busy.message) from None
    credited = f"credited to referral {recorded.referral_code}" if recorded.attributed else recorded.reason
    return outbox.DELIVERED, f"purchase {recorded.event_id}: {credited}"


DELIVERERS: dict[str, Deliverer] = {
    "brandbassador": brandbassador_pixel,
    "sitevibes": signed_webhook,
    "affonso": signed_webhook,
    "friendbuy": friendbuy_purchase,
}


def register(partner: str, deliverer: Deliverer) -> None:
    """The seam for a partner with its own sales API (Friendbuy's purchase events)."""
    DELIVERERS[partner] = deliverer


@dataclass(frozen=True)
class Outcome:
    state: str  # delivered, skipped, pending (retry later), dead, busy, or the state found (done already)
    note: str = ""
    retry_in: float | None = None  # seconds until the next attempt, when there is one


def deliver(table: Table, pk: str, config: DeliveryConfig) -> Outcome:
    now = time.time()
    try:
        item, token = outbox.claim(table, pk, now, config.lease_seconds)
    except outbox.NotClaimed as taken:
        if taken.state == outbox.PENDING:  # another attempt holds the lease: look again after it
            return Outcome("busy", "another attempt is under way", retry_in=config.lease_seconds)
        return Outcome(taken.state or "missing", "nothing to do")
    redemption = Redemption.model_validate(item["redemption"])
    deliverer = DELIVERERS.get(item["partner"])
    try:
        if deliverer is None:
            state, note = outbox.SKIPPED, f"no deliverer for partner {item['partner']}"
        else:
            state, note = deliverer(table, item["event"], pk, redemption, config)
    except DeliveryFailed as failure:
        attempts = int(item["attempts"])
        dead = attempts >= config.max_attempts
        delay = config.backoff(attempts)
        outbox.fail(table, item, token, str(failure), now + delay, dead)
        return Outcome(outbox.DEAD if dead else outbox.PENDING, str(failure), None if dead else delay)
    outbox.finish(table, item, token, state, note, utcnow())
    return Outcome(state, note)


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
