"""The leak guard's notices to Friendbuy: a custom event on the advocate who owns the code.

Friendbuy's Merchant API has no event for a paused coupon; its documented ``POST /v1/event/custom``
(``eventType``, the advocate's ``customerId`` or ``email``, ``deduplicationId``, string-valued
``additionalProperties``) is the closest, and the brand's Friendbuy account can trigger an e-mail or
widget message on it. Sent through the campaign's linked MAPI account (``outbound``), like purchases;
a campaign without a link hears nothing (docs/guard.md, "What each party sees")."""

from __future__ import annotations

from coupons.core.sales import DELIVERED, SKIPPED, Alert, AlertSender
from coupons.core.table import Table
from coupons.friendbuy import outbound

EVENT_TYPES = {"code.paused": "coupon_code_paused", "code.unpaused": "coupon_code_unpaused"}
WHY = {"code.paused": "Your coupon code appears to have leaked to coupon sites and no longer applies at checkout.",
       "code.unpaused": "Your coupon code applies at checkout again."}


def payload(alert: Alert) -> dict:
    """The custom event: the advocate is the code's owner person (customer id, else e-mail)."""
    person = str(alert.body.get("person") or "")
    who = {"email": person} if "@" in person else {"customerId": person}
    return {"eventType": EVENT_TYPES[alert.event], **who, "deduplicationId": alert.delivery_id,
            "couponCode": alert.body["code"],
            "additionalProperties": {"reason": WHY[alert.event], "at": str(alert.body.get("at", "")),
                                     "signal": str(alert.body.get("signal") or "")}}


def guard_reporter(mapi_base_url: str | None = None) -> AlertSender:
    """The sender's alert sender for Friendbuy's codes (composed in functions/sender/app.py)."""
    client = outbound.MerchantApi(mapi_base_url or outbound.DEFAULT_BASE_URL)

    def send(table: Table, alert: Alert) -> tuple[str, str]:
        if alert.event not in EVENT_TYPES or not alert.body.get("person"):
            return SKIPPED, f"no Friendbuy event for {alert.event}"
        link = outbound.linked(table, str(alert.body.get("account")))
        if link is None:
            return SKIPPED, "campaign not linked to a Friendbuy account"
        status = client.post_event(link, "/v1/event/custom", payload(alert), alert.timeout_seconds)
        return DELIVERED, f"custom event sent to Friendbuy (HTTP {status})"

    return send
