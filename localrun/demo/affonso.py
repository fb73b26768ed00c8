"""Affonso demo: programme ``demo`` (API key ``demo-key``, blueprint 20 percentage, self-service on,
10 % commission per sale in EUR, a theme, an incentive and a creative, a daily budget of 100,000
coupons), and programme
``demo-closed`` (same key, no blueprint, self-service off, nothing else configured).

The affiliate portal page: http://127.0.0.1:3000/affonso/portal#token=demo-token-jane

Embed tokens are random and live 30 minutes, which would make the events/affonso/ samples useless
a moment after they were written. So the demo also stores a few FIXED embed tokens (demo only,
valid until 2099) for demo affiliates, each set up for one case:

- ``demo-token-jane``  jane@example.com in ``demo``, no coupon yet: creates JANE20
- ``demo-token-alex``  alex@example.com in ``demo``, no coupon: shows Code Taken, Invalid Code Format
- ``demo-token-sam``   sam@example.com in ``demo``, holds coupon SAMSAVES: shows Already Has Coupon
- ``demo-token-kim``   kim@example.com in ``demo-closed``: shows Self-Service Not Enabled

Fresh tokens come from POST /affonso/v1/embed/token as usual.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from coupons.affonso import affiliates, programmes
from coupons.affonso.affiliates import PartnerProfile
from coupons.affonso.programmes import Creative, Incentive, ProgrammeSettings, Rewards, RewardType, Theme
from coupons.core.models import Discount, DiscountKind
from coupons.core.table import Table
from coupons_admin.programmes import add_programme

PROGRAMME = "demo"
CLOSED_PROGRAMME = "demo-closed"
KEY = "demo-key"
DEMO_TOKENS = {  # token -> (programme, e-mail, name)
    "demo-token-jane": (PROGRAMME, "jane@example.com", "Jane Doe"),
    "demo-token-alex": (PROGRAMME, "alex@example.com", "Alex Demo"),
    "demo-token-sam": (PROGRAMME, "sam@example.com", "Sam Saver"),
    "demo-token-kim": (CLOSED_PROGRAMME, "kim@example.com", "Kim Closed"),
}
SAM_COUPON = "SAMSAVES"
UNKNOWN_TOKEN = "a1b2c3d4e5f6789"  # the placeholder in Affonso's docs: never issued here
_DEMO_TOKENS_EXPIRE = datetime(2099, 12, 31, tzinfo=UTC)
DEMO_SETTINGS = ProgrammeSettings(
    name="Demo affiliate programme", blueprint=Discount(kind=DiscountKind.PERCENT, value=Decimal(20)),
    self_service=True, website_url="https://shop.example.com",
    portal_url="https://shop.example.com/affiliates", currency="EUR",
    theme=Theme(primary_color="#881337", secondary_color="#f5f5f4"),
    rewards=Rewards(type=RewardType.PERCENTAGE, amount=Decimal(10), recurring=False, duration="lifetime"),
    incentives=[Incentive(name="Launch bonus", description="50.00 EUR once your code has 10 sales")],
    creatives=[Creative(id="cr_demo_banner", name="Banner 300x250", description="Spring collection banner",
                        category="banners", url="https://shop.example.com/creatives/banner-300x250.png",
                        width=300, height=250)],
    # Far above what a demo (or the bench) makes in a day, so every create shows the budgeted transaction.
    daily_coupons=100_000,
)


def seed(table: Table) -> None:
    add_programme(table, PROGRAMME, KEY, DEMO_SETTINGS)
    add_programme(table, CLOSED_PROGRAMME, KEY, ProgrammeSettings(name="Demo programme without self-service"))
    for token, (programme_id, email, name) in DEMO_TOKENS.items():
        programme = programmes.load_programme(table, programme_id, fresh=True)
        assert programme is not None
        affiliates.issue_token(table, programme, PartnerProfile(email=email, name=name), token=token,
                               expires_at=_DEMO_TOKENS_EXPIRE)
    # Sam's coupon is made the way an affiliate makes one.
    affiliates.create_coupon(table, affiliates.open_session(table, "demo-token-sam"), SAM_COUPON)


def _post(url: str, body: dict, key: str | None = None) -> str:
    auth = f"-H 'Authorization: Bearer {key}' " if key else ""
    return f"curl -X POST '{url}' {auth}-H 'Content-Type: application/json' -d '{json.dumps(body)}'"


def curl_lines(base_url: str) -> list[str]:
    embed = f"{base_url}/affonso/v1/embed"
    return [
        f"# Affonso: an embed token (programme {PROGRAMME}, API key {KEY}), then data and a coupon with the demo",
        "# seed's fixed token for jane@example.com (demo-token-jane; see localrun/demo/affonso.py)",
        _post(f"{embed}/token", {"programId": PROGRAMME, "partner": {"email": "john@example.com", "name": "John Doe"}}, KEY),
        f"curl '{embed}/data?token=demo-token-jane'",
        f"# the affiliate portal page, in a browser: {base_url}/affonso/portal#token=demo-token-jane",
        _post(f"{embed}/coupon", {"token": "demo-token-jane", "code": "jane-20"}),
        "# Affonso's five errors: already has coupon, code taken, self-service not enabled, invalid code format, token expired",
        _post(f"{embed}/coupon", {"token": "demo-token-sam", "code": "SAM30"}),
        _post(f"{embed}/coupon", {"token": "demo-token-alex", "code": "samsaves"}),
        _post(f"{embed}/coupon", {"token": "demo-token-kim", "code": "KIM10"}),
        _post(f"{embed}/coupon", {"token": "demo-token-alex", "code": "a!"}),
        _post(f"{embed}/coupon", {"token": UNKNOWN_TOKEN, "code": "ALEX10"}),
    ]


_TOKEN_ROUTE: tuple[str, str, dict[str, str]] = ("POST", "/affonso/v1/embed/token", {})
_DATA_ROUTE: tuple[str, str, dict[str, str]] = ("GET", "/affonso/v1/embed/data", {})
_AUTH = {"authorization": f"Bearer {KEY}"}
_JOHN = {"email": "john@example.com", "name": "John Doe", "image": "https://example.com/avatar.jpg"}

# Sample requests written to events/affonso/ (python -m localrun.samples): name -> request.
SAMPLES = {
    "token": {"route": _TOKEN_ROUTE, "headers": _AUTH, "body": {
        "programId": PROGRAMME, "partner": _JOHN, "externalUserId": "user_123", "metadata": {"plan": "pro"}}},
    "token-wrong-key": {"route": _TOKEN_ROUTE, "headers": {"authorization": "Bearer not-the-key"},
                        "body": {"programId": PROGRAMME, "partner": _JOHN}},
    "token-unknown-programme": {"route": _TOKEN_ROUTE, "headers": _AUTH, "body": {"programId": "nope", "partner": _JOHN}},
    "token-missing-email": {"route": _TOKEN_ROUTE, "headers": _AUTH,
                            "body": {"programId": PROGRAMME, "partner": {"name": "No Mail"}}},
    "data": {"route": _DATA_ROUTE, "query": "token=demo-token-jane"},
    "data-with-coupon": {"route": _DATA_ROUTE, "query": "token=demo-token-sam"},
    "data-self-service-off": {"route": _DATA_ROUTE, "query": "token=demo-token-kim"},
    "data-token-expired": {"route": _DATA_ROUTE, "query": f"token={UNKNOWN_TOKEN}"},
    "portal": {"route": ("GET", "/affonso/portal", {})},
    "coupon": {"body": {"token": "demo-token-jane", "code": "jane-20"}},
    "coupon-already-has-coupon": {"body": {"token": "demo-token-sam", "code": "SAM30"}},
    "coupon-code-taken": {"body": {"token": "demo-token-alex", "code": "samsaves"}},
    "coupon-self-service-not-enabled": {"body": {"token": "demo-token-kim", "code": "KIM10"}},
    "coupon-invalid-code-format": {"body": {"token": "demo-token-alex", "code": "a!"}},
    "coupon-token-expired": {"body": {"token": UNKNOWN_TOKEN, "code": "ALEX10"}},
    "coupon-not-json": {"body": '{"token": "demo-token-alex", "code": ', "headers": {"content-type": "application/json"}},
    "coupon-missing-code": {"body": {"token": "demo-token-alex"}},
}
SAMPLE_ROUTE: tuple[str, str, dict[str, str]] = ("POST", "/affonso/v1/embed/coupon", {})
