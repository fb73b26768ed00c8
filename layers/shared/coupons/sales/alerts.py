"""The leak guard's signed webhooks (``code.leak_suspected``, ``code.paused``, ``code.unpaused``:
docs/guard.md), sent with the sale webhook's signature scheme (``webhook.signature``) to the brand's
guard webhook (``coupons-admin guard set-webhook``, stored as partner ``guard``) and, for partners
that take our signed webhook (SiteVibes, Affonso), to the partner's own.

Each notice and target is its own outbox item (``core.outbox.put_alert``), delivered like a sale:
claimed, retried with backoff, dead after too many failures, re-driven by an admin. Headers:
``X-Coupons-Event``, ``X-Coupons-Delivery`` (the outbox key, the same on every retry),
``X-Coupons-Timestamp``, ``X-Coupons-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<body>">``.
"""

from __future__ import annotations

import json
import time
import urllib.request

from coupons.core.sales import DELIVERED, SKIPPED, Alert, send
from coupons.core.table import Table
from coupons.sales import webhook, webhook_items

GUARD_WEBHOOK = "guard"  # CHECKOUT#WEBHOOK#guard: the brand's own endpoint for the guard's events


def send_webhook(table: Table, alert: Alert) -> tuple[str, str]:
    """POST ``alert`` to its target's webhook (the brand's, or the partner's), signed; skipped when
    none is configured. ``DeliveryFailed`` when it could not be reached (tried again later)."""
    hook = webhook_items.get(table, alert.target)
    if hook is None:
        return SKIPPED, f"no webhook configured for {alert.target}"
    payload = json.dumps({"event": alert.event, "delivery_id": alert.delivery_id, **alert.body},
                         separators=(",", ":")).encode()
    stamp = int(time.time())
    headers = {"Content-Type": "application/json", "X-Coupons-Event": alert.event,
               "X-Coupons-Delivery": alert.delivery_id, "X-Coupons-Timestamp": str(stamp),
               "X-Coupons-Signature": webhook.signature(webhook_items.signing_secret(hook), stamp, payload)}
    request = urllib.request.Request(hook["url"], data=payload, headers=headers, method="POST")  # noqa: S310 - CLI-set URL
    return DELIVERED, f"webhook HTTP {send(request, alert.timeout_seconds)}"
