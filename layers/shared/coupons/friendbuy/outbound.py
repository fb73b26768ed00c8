"""Purchases sent to the brand's real Friendbuy account through its Merchant API (the seed's flow).

The MAPI key and secret are a table item only the sender's IAM reaches; the token is kept in memory,
and a purchase marked ``forwarded_at`` is not sent again (docs/friendbuy.md, "Design", Purchases
sent to Friendbuy)."""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from coupons.core.sales import DeliveryFailed
from coupons.core.table import Table
from coupons.friendbuy import outbound_items

DEFAULT_BASE_URL = "https://mapi.fbot.me"  # developers.friendbuy.com: "The base URL ... is https://mapi.fbot.me/v1"
REFRESH_BEFORE_SECONDS = 60


@dataclass(frozen=True)
class Link:
    campaign_id: str
    key: str
    secret: str

    def __repr__(self) -> str:  # never print the secret
        return f"Link(campaign_id={self.campaign_id!r}, key={self.key!r}, secret='***')"


def link(table: Table, campaign_id: str, key: str, secret: str) -> None:
    """Store (or replace) the campaign's Friendbuy MAPI key and secret."""
    outbound_items.put_link(table, campaign_id, key, secret)


def unlink(table: Table, campaign_id: str) -> None:
    outbound_items.delete_link(table, campaign_id)


def linked(table: Table, campaign_id: str) -> Link | None:
    item = outbound_items.get_link(table, campaign_id)
    return Link(campaign_id, item["key"], outbound_items.link_secret(item)) if item else None


def is_linked(table: Table, campaign_id: str) -> bool:
    """Whether the campaign is linked, without opening its secret (the admin CLI's list)."""
    return outbound_items.get_link(table, campaign_id) is not None


class MerchantApi:
    """A Friendbuy Merchant API client holding its tokens in memory (one Lambda container's life)."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL):
        self.base_url = base_url.rstrip("/")
        self._tokens: dict[str, tuple[str, float]] = {}  # access key -> (token, refresh at, epoch seconds)
        self._lock = threading.Lock()

    def token(self, link: Link, timeout: float, fresh: bool = False) -> str:
        with self._lock:
            cached = self._tokens.get(link.key)
        if cached and not fresh and time.time() < cached[1]:
            return cached[0]
        status, body = _post(f"{self.base_url}/v1/authorization", {"key": link.key, "secret": link.secret}, None, timeout)
        if status != 200 or not isinstance(body, dict) or not body.get("token"):
            raise DeliveryFailed(f"Friendbuy authorization answered HTTP {status} for campaign {link.campaign_id}")
        token = str(body["token"])
        with self._lock:
            self._tokens[link.key] = (token, _refresh_at(body.get("expires")))
        return token

    def post_event(self, link: Link, path: str, payload: Mapping[str, Any], timeout: float) -> int:
        """POST one event; a 401 gets a new token and one more try. Anything but 2xx: ``DeliveryFailed``."""
        status = 0
        for fresh in (False, True):
            status, _ = _post(f"{self.base_url}{path}", payload, self.token(link, timeout, fresh), timeout)
            if status != 401:
                break
        if not 200 <= status < 300:
            raise DeliveryFailed(f"Friendbuy {path} answered HTTP {status}")
        return status


def _refresh_at(expires: Any) -> float:
    try:
        moment = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
    except ValueError:
        return time.time()  # no usable expiry: use the token for this call only
    return moment.timestamp() - REFRESH_BEFORE_SECONDS


def _post(url: str, payload: Mapping[str, Any], token: str | None, timeout: float) -> tuple[int, Any]:
    data = to_json({k: v for k, v in payload.items() if v is not None}).encode()
    headers = {"content-type": "application/json", "accept": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310 - configured URL
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
            status = int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code), None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DeliveryFailed(f"{url} unreachable: {error}") from None
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, None


def to_json(payload: Mapping[str, Any]) -> str:
    """JSON with each Decimal written as the number it is (``900.00``), never through a float."""
    numbers: list[str] = []
    nonce = secrets.token_hex(8)  # placeholders no string in the payload can hold by chance

    def number(value: Any) -> Any:
        if isinstance(value, Decimal):
            numbers.append(format(value, "f"))
            return f"{nonce}:{len(numbers) - 1}"
        raise TypeError(f"not JSON: {type(value).__name__}")

    text = json.dumps(payload, default=number)
    for index, written in enumerate(numbers):
        text = text.replace(f'"{nonce}:{index}"', written)
    return text


def send_purchase_once(table: Table, client: MerchantApi, link: Link, purchase_key: dict[str, Any],
                       payload: Mapping[str, Any], timeout: float) -> str:
    """Send the purchase unless the purchase item says it was sent; then mark it sent."""
    if outbound_items.forwarded(table, purchase_key):
        return "sent to Friendbuy before"
    status = client.post_event(link, "/v1/event/purchase", payload, timeout)
    outbound_items.mark_forwarded(table, purchase_key)
    return f"sent to Friendbuy (HTTP {status})"
