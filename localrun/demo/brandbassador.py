"""Brandbassador demo: webshop ``demo``, key ``demo-key``, base currency EUR."""

from decimal import Decimal

from coupons.brandbassador.webshops import WebshopSettings
from coupons.core.table import Table
from coupons_admin.webshops import add_webshop

WEBSHOP = "demo"
KEY = "demo-key"


def seed(table: Table) -> None:
    # A budget far above what a demo uses, so that every create shows the one-transaction path.
    add_webshop(table, WEBSHOP, KEY, WebshopSettings(base_currency="EUR", uses_per_code=None, valid_days=None,
                                                      daily_codes=100_000, daily_gift_card_value=Decimal("1000000")))


def curl_lines(base_url: str) -> list[str]:
    url = f"{base_url}/brandbassador/webshops/{WEBSHOP}/codes"
    return [
        "# Brandbassador: a 20 % code, a 100.00 EUR gift card, then the same code in lower case (already exists)",
        f"curl '{url}?code=JOHN20&percentage=20&expire=2030-12-31&u_limit=100&auth_key={KEY}'",
        f"curl '{url}?code=GIFT100&amount=100.00&currency=EUR&auth_key={KEY}'",
        f"curl '{url}?code=john20&percentage=20&auth_key={KEY}'",
    ]


# Sample requests written to events/brandbassador/ (python -m localrun.samples): name -> request.
SAMPLES = {
    "percent-code": {"query": f"code=JOHN20&percentage=20&expire=2030-12-31&u_limit=100&auth_key={KEY}&ambassador=john"},
    "gift-card": {"query": f"code=GIFT100&amount=100.00&currency=EUR&auth_key={KEY}&ambassador=john"},
    "duplicate-other-case": {"query": f"code=john20&percentage=25&auth_key={KEY}"},
    "bad-code": {"query": f"code=JOHN-20&percentage=20&auth_key={KEY}"},
    "both-percentage-and-amount": {"query": f"code=BOTH10&percentage=10&amount=10.00&auth_key={KEY}"},
    "wrong-key": {"query": "code=JOHN21&percentage=20&auth_key=not-the-key"},
    "unknown-webshop": {"query": f"code=JOHN22&percentage=20&auth_key={KEY}", "path_parameters": {"webshop": "nope"}},
}
SAMPLE_ROUTE = ("GET", "/brandbassador/webshops/{webshop}/codes", {"webshop": WEBSHOP})
