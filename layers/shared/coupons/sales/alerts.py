"""The leak guard's signed webhooks (``code.leak_suspected``, ``code.paused``: docs/guard.md), sent
with the sale webhook's signature scheme (``webhook.signature``) to the brand's guard webhook
(``coupons-admin guard set-webhook``, stored as partner ``guard``) and, for partners that take our
signed webhook (SiteVibes, Affonso), to the partner's own: that is how those partners hear of it.

Headers: ``X-Coupons-Event``, ``X-Coupons-Delivery`` (the same on every retry), ``X-Coupons-Timestamp``,
``X-Coupons-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<body>">``.
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from coupons.core.sales import send
from coupons.core.table import Table
from coupons.sales import webhook, webhook_items

GUARD_WEBHOOK = "guard"  # CHECKOUT#WEBHOOK#guard: the brand's own endpoint for the guard's events
PARTNERS_WITH_WEBHOOK = ("sitevibes", "affonso")


def send_alert(table: Table, event: str, delivery_id: str, body: dict[str, Any]) -> int:
    """POST ``body`` as ``event`` to every endpoint that should hear of it; how many did.
    ``DeliveryFailed`` when one could not be reached (the caller tries again later)."""
    payload = json.dumps({"event": event, "delivery_id": delivery_id, **body}, separators=(",", ":")).encode()
    targets = [GUARD_WEBHOOK, *([body["partner"]] if body.get("partner") in PARTNERS_WITH_WEBHOOK else [])]
    sent = 0
    for target in targets:
        hook = webhook_items.get(table, target)
        if hook is None:
            continue
        stamp = int(time.time())
        headers = {"Content-Type": "application/json", "X-Coupons-Event": event, "X-Coupons-Delivery": delivery_id,
                   "X-Coupons-Timestamp": str(stamp),
                   "X-Coupons-Signature": webhook.signature(webhook_items.signing_secret(hook), stamp, payload)}
        request = urllib.request.Request(hook["url"], data=payload, headers=headers, method="POST")  # noqa: S310 - CLI-set URL
        send(request, 5.0)
        sent += 1
    return sent
