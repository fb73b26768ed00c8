"""SiteVibes demo: reward ``demo`` (header ``X-Api-Key: demo-key``, 10 % off, single use, 30 days,
prefix SV; a new code for every request), reward ``demo-window`` (the same with a 60 s retry window:
the same email within 60 s gets the same code) and reward ``demo-nocode`` (same header, a reward
without a code). Each has a daily limit of 100,000 redemptions: far above what a demo, the tests or
the bench use, so every redemption shows the one-transaction path with its budget counter."""

from decimal import Decimal

from coupons.core.models import Discount, DiscountKind
from coupons.core.table import Table
from coupons.sitevibes.rewards import CodePattern, RewardSettings
from coupons_admin.rewards import add_reward

REWARD = "demo"
WINDOW_REWARD = "demo-window"
NO_CODE_REWARD = "demo-nocode"
HEADER = "X-Api-Key"
KEY = "demo-key"
DAILY_REDEMPTIONS = 100_000


def seed(table: Table) -> None:
    settings = RewardSettings(
        header_name=HEADER,
        discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(10)),
        max_uses=1,
        valid_days=30,
        pattern=CodePattern(prefix="SV"),
        daily_redemptions=DAILY_REDEMPTIONS,
    )
    add_reward(table, REWARD, KEY, settings)
    add_reward(table, WINDOW_REWARD, KEY, settings.model_copy(update={"retry_window_seconds": 60}))
    add_reward(table, NO_CODE_REWARD, KEY, RewardSettings(header_name=HEADER, gives_code=False,
                                                          daily_redemptions=DAILY_REDEMPTIONS))


def curl_lines(base_url: str) -> list[str]:
    url = f"{base_url}/sitevibes/rewards/{REWARD}/coupons"
    json_headers = f"-H '{HEADER}: {KEY}' -H 'content-type: application/json'"
    return [
        "# SiteVibes: a 10 % single-use code for a shopper (a new code for every request; reward demo-window",
        "# answers the same email within 60 s with the same code), a reward without a code, then a wrong key",
        f"curl -X POST {url} {json_headers} -d '{{\"email\":\"john.smith@email.com\"}}'",
        f"curl -X POST {base_url}/sitevibes/rewards/{NO_CODE_REWARD}/coupons {json_headers} "
        "-d '{\"email\":\"john.smith@email.com\"}'",
        f"curl -X POST {url} -H '{HEADER}: wrong' -H 'content-type: application/json' "
        "-d '{\"email\":\"john.smith@email.com\"}'",
    ]


# Sample requests written to events/sitevibes/ (python -m localrun.samples): name -> request.
_AUTH = {HEADER: KEY}
SAMPLES = {
    "coupon": {"headers": _AUTH, "body": {"email": "john.smith@email.com"}},
    "no-code-reward": {"headers": _AUTH, "body": {"email": "john.smith@email.com"},
                       "path_parameters": {"reward": NO_CODE_REWARD}},
    "bad-email": {"headers": _AUTH, "body": {"email": "john.smith"}},
    "missing-email": {"headers": _AUTH, "body": {"mail": "john.smith@email.com"}},
    "wrong-key": {"headers": {HEADER: "not-the-key"}, "body": {"email": "john.smith@email.com"}},
    "missing-key": {"body": {"email": "john.smith@email.com"}},
    "body-not-json": {"headers": {**_AUTH, "content-type": "application/x-www-form-urlencoded"},
                      "body": "email=john.smith%40email.com"},
    "unknown-reward": {"headers": _AUTH, "body": {"email": "john.smith@email.com"},
                       "path_parameters": {"reward": "nope"}},
}
SAMPLE_ROUTE = ("POST", "/sitevibes/rewards/{reward}/coupons", {"reward": REWARD})
