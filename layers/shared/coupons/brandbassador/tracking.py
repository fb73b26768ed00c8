"""Brandbassador sales tracking, the second half of its custom-webshop integration: one pixel GET per sale.

``total`` is ``Redemption.paid_goods_total`` in Brandbassador's ``1000.00`` format; no pixel exists
for refunds or cancellations (docs/checkout.md, "The paid goods total" and "Delivery to partners")."""

from __future__ import annotations

import urllib.request
from decimal import Decimal
from urllib.parse import urlencode

from coupons.brandbassador.webshops import PARTNER, tracking_key_of
from coupons.core import account_items, money, partners
from coupons.core.sales import DELIVERED, SALE, SKIPPED, DeliveryFailed, Reporter, SaleEvent, send
from coupons.core.table import Table

PIXEL_PATH = "/tracking/pixel.gif"
DEFAULT_BASE_URL = "https://api.brandbassador.com"


def is_tracking_link(ref: str | None) -> bool:
    return ref is not None and ref.lower().startswith(partners.named(PARTNER).ref_prefixes)


def pixel_url(base_url: str, order_id: str, total: Decimal, code: str, key: str, currency: str,
              ref: str | None = None) -> str:
    """The pixel for one sale, parameters in the order the documentation lists them."""
    attribution = {"tracking_link": "true", "ref": ref} if is_tracking_link(ref) else {"code": code.upper()}
    params = {"order_id": order_id, "total": money.to_wire(total, currency, at_least=2), **attribution, "key": key,
              "currency": currency}
    return f"{base_url.rstrip('/')}{PIXEL_PATH}?{urlencode(params)}"


def pixel_reporter(base_url: str | None = None) -> Reporter:
    """The sale reporter for Brandbassador's codes: one pixel per sale, nothing for a rollback."""
    base_url = base_url or DEFAULT_BASE_URL

    def report(table: Table, event: SaleEvent) -> tuple[str, str]:
        if event.kind != SALE:
            return SKIPPED, "Brandbassador has no cancellation or refund pixel for custom webshops"
        r = event.redemption
        webshop = account_items.get(table, PARTNER, r.owner.account)
        stored = webshop.settings.get("tracking_key") if webshop else None
        if not stored:
            raise DeliveryFailed(f"No Brandbassador tracking key for webshop {r.owner.account!r}: "
                                 f"coupons-admin webshops set-tracking-key {r.owner.account} --key ...")
        key = tracking_key_of(r.owner.account, stored)
        url = pixel_url(base_url, r.order_id, r.paid_goods_total, r.code, key, r.cart.currency, r.ref)
        request = urllib.request.Request(url, method="GET")  # noqa: S310 - the template's https URL
        status = send(request, event.timeout_seconds)
        return DELIVERED, f"pixel HTTP {status}"

    return report
