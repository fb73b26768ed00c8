"""Checkout demo: checkout key ``demo-key``; Brandbassador webshop ``demo`` tracks sales with its key
``demo-key`` (sent to the partner stub under make run). The samples use three codes of that
webshop (CHECKOUT10: 10 %, CHECKOUTGIFT: a 500.00 EUR gift card, CHECKOUTOLD: expired)."""

import os
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

from coupons.checkout.rules import redemption_id
from coupons.core import code_items
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner
from coupons.core.table import Table
from coupons_admin.checkout import add_key
from coupons_admin.webshops import set_tracking_key

KEY = "demo-key"
WEBSHOP = "demo"  # the Brandbassador demo webshop (localrun.demo.brandbassador)
AUTH = {"authorization": f"Bearer {KEY}"}
CART = {"subtotal": "100.00", "shipping": "4.90", "currency": "EUR"}
OWNER = Owner(partner="brandbassador", account=WEBSHOP, person="demo-ambassador")
STUB_URL_ENV = "LOCALRUN_STUB_URL"
# make run's signed sale webhooks (SiteVibes, Affonso) to the partner stub (``webhooks``).
WEBHOOK_SECRET = "demo-webhook-secret"


def seed(table: Table) -> None:
    add_key(table, "demo", KEY)
    set_tracking_key(table, WEBSHOP, KEY)


def webhooks(table: Table, stub_url: str) -> None:
    """make run only (the tests' demo tables have none): SiteVibes' and Affonso's sales go to the
    stub as our signed webhook, the secret sealed with the local KMS like any other."""
    from coupons.core.partners import WEBHOOK_PARTNERS
    from coupons.sales import webhook_items

    for partner in WEBHOOK_PARTNERS:
        webhook_items.put(table, partner, f"{stub_url}/hooks/{partner}", WEBHOOK_SECRET)


# The codes the SAMPLES use. Not seeded: other contracts' tests count the demo table's codes. The
# checkout tests add them; with make run, create codes through a partner (see curl_lines).
CODES = (
    CodeRecord(code="CHECKOUT10", discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(10)), owner=OWNER),
    CodeRecord(code="CHECKOUTGIFT", discount=Discount(kind=DiscountKind.GIFT_CARD, value=Decimal(500), currency="EUR"),
               balance=Decimal(500), owner=OWNER),
    CodeRecord(code="CHECKOUTOLD", discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(10)), owner=OWNER,
               expires_on=date(2020, 12, 31)),
)


def add_sample_codes(table: Table) -> None:
    for record in CODES:
        code_items.create(table, record)


def stub_url(base_url: str) -> str:
    """Where ``make run`` serves the partner stub: $LOCALRUN_STUB_URL, else the gateway's port + 100."""
    parts = urlsplit(base_url)
    return os.environ.get(STUB_URL_ENV) or f"{parts.scheme}://{parts.hostname}:{(parts.port or 80) + 100}"


def curl_lines(base_url: str) -> list[str]:
    post = f"curl -X POST -H 'Authorization: Bearer {KEY}' -H 'content-type: application/json'"
    cart = '"cart": {"subtotal": "100.00", "shipping": "4.90", "currency": "EUR"}'
    codes = f"{base_url}/brandbassador/webshops/{WEBSHOP}/codes"
    return [
        "# Checkout: a Brandbassador code, validated, redeemed; then the tracking call at the partner stub",
        f"curl '{codes}?code=ANNA15&percentage=15&auth_key={KEY}&ambassador=anna'",
        f"{post} {base_url}/checkout/validate -d '{{\"code\": \"anna15\", {cart}}}'",
        f"{post} {base_url}/checkout/redemptions -d '{{\"code\": \"ANNA15\", \"order_id\": \"1001\", {cart}}}'",
        f"curl {stub_url(base_url)}/_stub/calls",
        "# a 500.00 EUR gift card: spend 25.00, see the balance, roll the order back",
        f"curl '{codes}?code=CARD500&amount=500.00&auth_key={KEY}&ambassador=anna'",
        f"{post} {base_url}/checkout/redemptions -d '{{\"code\": \"CARD500\", \"order_id\": \"1002\", "
        f"\"amount\": \"25.00\", {cart}}}'",
        f"curl -H 'Authorization: Bearer {KEY}' {base_url}/checkout/gift-cards/CARD500",
        f"{post} {base_url}/checkout/redemptions/{redemption_id('CARD500', '1002')}/rollback",
        "# an order that came through a Brandbassador tracking link (no code): the tracking-link pixel",
        f"{post} {base_url}/checkout/sales -d '{{\"order_id\": \"2001\", \"ref\": \"bb-42\", "
        f"\"account\": \"{WEBSHOP}\", {cart}}}'",
        "# a partial refund of 20.00 of order 1001 (the same refund_id again is the same refund)",
        f"{post} {base_url}/checkout/redemptions/{redemption_id('ANNA15', '1001')}/refunds "
        "-d '{\"refund_id\": \"RMA-1\", \"amount\": \"20.00\"}'",
        "# the gift-card liability per currency (finance; format=csv for a spreadsheet)",
        f"curl -H 'Authorization: Bearer {KEY}' '{base_url}/checkout/reports/gift-cards?format=csv'",
    ]


_VALIDATE: tuple[str, str, dict[str, str]] = ("POST", "/checkout/validate", {})
_REDEEM: tuple[str, str, dict[str, str]] = ("POST", "/checkout/redemptions", {})
_ROLLBACK: tuple[str, str, dict[str, str]] = ("POST", "/checkout/redemptions/{redemption}/rollback",
             {"redemption": "CHECKOUT10.000000000000000000000000"})
_GIFT_CARD: tuple[str, str, dict[str, str]] = ("GET", "/checkout/gift-cards/{code}", {"code": "CHECKOUTGIFT"})
_SALE: tuple[str, str, dict[str, str]] = ("POST", "/checkout/sales", {})
_LIABILITY: tuple[str, str, dict[str, str]] = ("GET", "/checkout/reports/gift-cards", {})
# refunds of the redeem-gift-card sample's redemption (order 1002, 25.00 of the order on the card)
_REFUND: tuple[str, str, dict[str, str]] = ("POST", "/checkout/redemptions/{redemption}/refunds",
                                            {"redemption": redemption_id("CHECKOUTGIFT", "1002")})
TAXED_CART = {"subtotal": "119.00", "shipping": "4.90", "tax": "19.00", "taxes_included": True, "currency": "EUR"}

# Sample requests written to events/checkout/ (python -m localrun.samples): name -> request.
SAMPLES = {
    "validate-percent": {"route": _VALIDATE, "headers": AUTH, "body": {"code": "checkout10", "cart": CART}},
    "validate-gift-card": {"route": _VALIDATE, "headers": AUTH,
                           "body": {"code": "CHECKOUTGIFT", "cart": CART, "amount": "30.00"}},
    "validate-unknown": {"route": _VALIDATE, "headers": AUTH, "body": {"code": "NOSUCHCODE", "cart": CART}},
    "validate-expired": {"route": _VALIDATE, "headers": AUTH, "body": {"code": "CHECKOUTOLD", "cart": CART}},
    "validate-without-key": {"route": _VALIDATE, "body": {"code": "CHECKOUT10", "cart": CART}},
    "validate-bad-amount": {"route": _VALIDATE, "headers": AUTH,
                            "body": {"code": "CHECKOUT10", "cart": {**CART, "subtotal": "ten"}}},
    "redeem-percent": {"route": _REDEEM, "headers": AUTH,
                       "body": {"code": "CHECKOUT10", "order_id": "1001", "cart": CART,
                                "customer": {"email": "jane@example.com", "ip": "203.0.113.7"}}},
    "redeem-tracking-link": {"route": _REDEEM, "headers": AUTH,
                             "body": {"code": "CHECKOUT10", "order_id": "1003", "cart": CART, "ref": "bb-42"}},
    "redeem-gift-card": {"route": _REDEEM, "headers": AUTH,
                         "body": {"code": "CHECKOUTGIFT", "order_id": "1002", "cart": CART, "amount": "25.00"}},
    "redeem-gift-card-overdraw": {"route": _REDEEM, "headers": AUTH,
                                  "body": {"code": "CHECKOUTGIFT", "order_id": "1004",
                                           "cart": {**CART, "subtotal": "900.00"}, "amount": "600.00"}},
    "redeem-currency-mismatch": {"route": _REDEEM, "headers": AUTH,
                                 "body": {"code": "CHECKOUTGIFT", "order_id": "1005",
                                          "cart": {**CART, "currency": "USD"}}},
    "redeem-wrong-key": {"route": _REDEEM, "headers": {"authorization": "Bearer not-the-key"},
                         "body": {"code": "CHECKOUT10", "order_id": "1006", "cart": CART}},
    "rollback-unknown": {"route": _ROLLBACK, "headers": AUTH},
    "gift-card-balance": {"route": _GIFT_CARD, "headers": AUTH},
    "sale-tracking-link": {"route": _SALE, "headers": AUTH,
                           "body": {"order_id": "2001", "ref": "bb-42", "account": WEBSHOP, "cart": TAXED_CART}},
    "sale-unknown-ref": {"route": _SALE, "headers": AUTH,
                         "body": {"order_id": "2002", "ref": "zz-42", "account": WEBSHOP, "cart": CART}},
    "sale-malformed-ref": {"route": _SALE, "headers": AUTH,
                           "body": {"order_id": "2003", "ref": "bb 42!", "account": WEBSHOP, "cart": CART}},
    "sale-unknown-webshop": {"route": _SALE, "headers": AUTH,
                             "body": {"order_id": "2004", "ref": "bb-42", "account": "no-such-shop", "cart": CART}},
    "refund-partial": {"route": _REFUND, "headers": AUTH, "body": {"refund_id": "RMA-1", "amount": "20.98"}},
    "refund-too-much": {"route": _REFUND, "headers": AUTH, "body": {"refund_id": "RMA-2", "amount": "104.91"}},
    "gift-card-not-a-gift-card": {"route": _GIFT_CARD, "headers": AUTH, "path_parameters": {"code": "CHECKOUT10"}},
    "report-gift-cards": {"route": _LIABILITY, "headers": AUTH, "query": "as_of=2030-12-31"},
    "report-gift-cards-csv": {"route": _LIABILITY, "headers": AUTH, "query": "as_of=2030-12-31&format=csv"},
    "report-gift-cards-bad-date": {"route": _LIABILITY, "headers": AUTH, "query": "as_of=31.12.2030"},
}
SAMPLE_ROUTE = _VALIDATE
