"""The load mix `make load` runs (Locust, headless) against the local stack (bench/load/__main__.py).

A shop's day, compressed: partners make codes (Brandbassador creates single-use percent codes and
gift cards, SiteVibes issues single-use rewards, Friendbuy assigns bank codes to advocates,
Affonso issues embed tokens and reads the portal's data), the checkout validates and redeems
them, and Friendbuy is told about purchases. Checkouts pick codes from what was issued recently,
so several users often race for the same single-use code or gift card: exactly one may win,
which the run checks afterwards in the table, not here.

Each request names an expected set of statuses; anything else is a failure, and a 5xx is
reported as one whatever the route (the driver fails the run on it)."""

from __future__ import annotations

import random
import secrets
from collections import deque
from decimal import Decimal

from locust import HttpUser, between, task

KEY = "demo-key"
FRIENDBUY = {"key": "demo-key", "secret": "demo-secret", "campaign": 53345, "bank": "9900"}

# Codes issued during the run, shared by every simulated user (Locust runs them in one process).
single_use: deque[str] = deque(maxlen=200)
gift_cards: deque[str] = deque(maxlen=50)
bank_codes: deque[str] = deque(maxlen=200)


def unique(prefix: str) -> str:
    return prefix + secrets.token_hex(5).upper()


class Shop(HttpUser):
    wait_time = between(0.05, 0.3)

    def on_start(self) -> None:
        self.friendbuy_token = None

    # ---- helpers ------------------------------------------------------------------------------

    def call(self, method: str, path: str, name: str, expected: set[int], **kwargs):
        with self.client.request(method, path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code >= 500:
                response.failure(f"5xx {response.status_code}: {response.text[:200]}")
            elif response.status_code not in expected:
                response.failure(f"unexpected {response.status_code}: {response.text[:200]}")
            else:
                response.success()
            return response

    def friendbuy_headers(self) -> dict[str, str] | None:
        if self.friendbuy_token is None:
            r = self.call("POST", "/friendbuy/v1/authorization", "friendbuy authorization", {200},
                          json={"key": FRIENDBUY["key"], "secret": FRIENDBUY["secret"]})
            if r.status_code != 200:
                return None
            self.friendbuy_token = r.json()["token"]
        return {"Authorization": f"Bearer {self.friendbuy_token}"}

    # ---- partners make codes --------------------------------------------------------------------

    @task(3)
    def brandbassador_create_code(self) -> None:
        code = unique("LB")
        r = self.call("GET", f"/brandbassador/webshops/demo/codes?code={code}&percentage=15&u_limit=1"
                             f"&ambassador=load&auth_key={KEY}", "brandbassador create code", {200})
        if r.status_code == 200:
            single_use.append(code)

    @task(1)
    def brandbassador_create_gift_card(self) -> None:
        code = unique("LG")
        r = self.call("GET", f"/brandbassador/webshops/demo/codes?code={code}&amount=50.00&currency=EUR"
                             f"&auth_key={KEY}", "brandbassador create gift card", {200})
        if r.status_code == 200:
            gift_cards.append(code)

    @task(3)
    def sitevibes_issue(self) -> None:
        r = self.call("POST", "/sitevibes/rewards/demo/coupons", "sitevibes issue coupon", {200},
                      headers={"X-Api-Key": KEY}, json={"email": f"{unique('u')}@example.com"})
        if r.status_code == 200 and r.json().get("coupon_code"):
            single_use.append(r.json()["coupon_code"])

    @task(2)
    def friendbuy_referral(self) -> None:
        headers = self.friendbuy_headers()
        if headers is None:
            return
        customer = unique("C")
        r = self.call("POST", "/friendbuy/v1/referral_codes", "friendbuy referral_codes (bank)", {200, 201},
                      headers=headers, json={"campaign": {"id": FRIENDBUY["campaign"]},
                                             "customer": {"id": customer, "email": f"{customer}@example.org"},
                                             "coupon_bank_id": {"id": FRIENDBUY["bank"]}})
        if r.status_code in (200, 201):
            bank_codes.append(r.json()["coupon_code"])

    @task(1)
    def friendbuy_purchase(self) -> None:
        headers = self.friendbuy_headers()
        if headers is None or not bank_codes:
            return
        self.call("POST", "/friendbuy/v1/event/purchase", "friendbuy event/purchase", {201}, headers=headers,
                  json={"orderId": unique("FO-"), "customerId": unique("F"), "amount": 59.90, "currency": "EUR",
                        "couponCode": random.choice(bank_codes)})

    @task(2)
    def affonso_token_and_data(self) -> None:
        email = f"{unique('a')}@example.com"
        r = self.call("POST", "/affonso/v1/embed/token", "affonso embed/token", {200},
                      headers={"Authorization": f"Bearer {KEY}"},
                      json={"programId": "demo", "partner": {"email": email, "name": "Load Test"}})
        if r.status_code == 200:
            token = r.json()["data"]["publicToken"]
            self.call("GET", f"/affonso/v1/embed/data?token={token}", "affonso embed/data", {200})

    # ---- the checkout ---------------------------------------------------------------------------

    @task(4)
    def checkout_single_use(self) -> None:
        """Validate, then redeem, a recently issued single-use code: others may get there first."""
        if not single_use:
            return
        code = random.choice(single_use)
        cart = {"subtotal": "80.00", "shipping": "4.90", "currency": "EUR"}
        auth = {"Authorization": f"Bearer {KEY}"}
        v = self.call("POST", "/checkout/validate", "checkout validate", {200, 422}, headers=auth,
                      json={"code": code, "cart": cart})
        if v.status_code == 200:
            self.call("POST", "/checkout/redemptions", "checkout redeem", {200, 201, 422}, headers=auth,
                      json={"code": code, "order_id": unique("O-"), "cart": cart})

    @task(2)
    def checkout_gift_card(self) -> None:
        """Spend part of a recently made 50.00 gift card: racing spends may not overdraw it."""
        if not gift_cards:
            return
        code = random.choice(gift_cards)
        amount = Decimal(random.choice(["10.00", "20.00", "35.00"]))
        self.call("POST", "/checkout/redemptions", "checkout redeem gift card", {200, 201, 422},
                  headers={"Authorization": f"Bearer {KEY}"},
                  json={"code": code, "order_id": unique("G-"), "amount": str(amount),
                        "cart": {"subtotal": "60.00", "shipping": "0.00", "currency": "EUR"}})
