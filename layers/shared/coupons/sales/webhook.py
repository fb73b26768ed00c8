"""Our outbound sale webhook, for partners without a documented sales API of their own
(SiteVibes, Affonso): ``POST <url>`` with a JSON body, signed with the partner's webhook secret.

Headers, events and the figure to count commission on: docs/checkout.md, "Delivery to partners"."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.request

from coupons.core import money
from coupons.core.sales import DELIVERED, SKIPPED, Redemption, Refund, SaleEvent, send
from coupons.core.table import Table
from coupons.sales import webhook_items

EVENTS = {"sale": "sale.redeemed", "rollback": "sale.rolled_back", "refund": "sale.refunded"}


def body(event: str, delivery_id: str, r: Redemption, refund: Refund | None = None) -> bytes:
    c = r.cart.currency
    refunded = None if refund is None else {
        "refund_id": refund.refund_id,
        "amount": money.to_wire(refund.amount, c),
        "gift_card_amount": money.to_wire(refund.gift_card_amount, c),
        "goods_amount": money.to_wire(refund.goods_amount, c),
        "refunded_at": refund.created_at.isoformat(),
    }
    return json.dumps({
        "event": EVENTS[event],
        "delivery_id": delivery_id,
        "redemption_id": r.id,
        "order_id": r.order_id,
        "code": r.code,
        "partner": r.owner.partner,
        "account": r.owner.account,
        "person": r.owner.person,
        "paid_goods_total": money.to_wire(r.paid_goods_total, c),
        "subtotal": money.to_wire(r.cart.subtotal, c),
        "shipping": money.to_wire(r.cart.shipping, c),
        "tax": money.to_wire(r.cart.tax, c),
        "taxes_included": r.cart.taxes_included,
        "currency": c,
        "discount": money.to_wire(r.goods_discount, c),
        "gift_card_amount": money.to_wire(r.gift_card_amount, c),
        "refunded_total": money.to_wire(r.refunded, c),
        "refund": refunded,
        "ref": r.ref,
        "redeemed_at": r.created_at.isoformat(),
        "rolled_back_at": r.rolled_back_at.isoformat() if r.rolled_back_at else None,
    }, separators=(",", ":")).encode()


def signature(secret: str, timestamp: int, payload: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def headers(event: str, delivery_id: str, secret: str, timestamp: int, payload: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-Coupons-Event": EVENTS[event],
        "X-Coupons-Delivery": delivery_id,
        "X-Coupons-Timestamp": str(timestamp),
        "X-Coupons-Signature": signature(secret, timestamp, payload),
    }


def report_sale(table: Table, event: SaleEvent) -> tuple[str, str]:
    """The sale reporter for partners that take our webhook, when the brand configured one."""
    r = event.redemption
    hook = webhook_items.get(table, r.owner.partner)
    if hook is None:
        return SKIPPED, f"no webhook configured for {r.owner.partner}"
    if event.kind not in EVENTS:
        return SKIPPED, f"no webhook event for {event.kind}"
    payload = body(event.kind, event.delivery_id, r, event.refund)
    signed = headers(event.kind, event.delivery_id, webhook_items.signing_secret(hook), int(time.time()), payload)
    request = urllib.request.Request(hook["url"], data=payload, headers=signed, method="POST")  # noqa: S310 - CLI-set URL
    status = send(request,
                  event.timeout_seconds)
    return DELIVERED, f"webhook HTTP {status}"
