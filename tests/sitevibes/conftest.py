"""Fixtures for the SiteVibes tests: a clock the test moves, and small helpers around the demo rewards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coupons.core.table import Table
from coupons.sitevibes import items as claim_items
from coupons.sitevibes import rewards


class Clock:
    """``now`` for ``rewards.redeem``: stands still until the test moves it."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def open_demo(table: Table, reward: str = "demo", headers: dict | None = None) -> rewards.Reward:
    return rewards.open_reward(table, reward, {"X-Api-Key": "demo-key"} if headers is None else headers)


def sitevibes_codes(table: Table) -> list[str]:
    """Every code item SiteVibes owns, whatever the reward (a scan: test tables are small)."""
    found = [table.deserialize(i) for i in table.client.scan(TableName=table.name)["Items"]]
    return sorted(i["code"] for i in found if i["sk"] == "CODE" and i["partner"] == "sitevibes")


def stored_claim(table: Table, reward: str, person: str) -> claim_items.Claim | None:
    """The shopper's claim as the table holds it (the service itself never reads it back: the
    claim's own condition hands it over when it matters)."""
    item = table.client.get_item(TableName=table.name, ConsistentRead=True, Key=table.serialize(
        {"pk": claim_items.partition(reward, person), "sk": claim_items.CLAIM_SK})).get("Item")
    if not item:
        return None
    found = table.deserialize(item)
    return claim_items.Claim(code=found.get("code", ""), issued_at=claim_items.from_epoch_ms(found["issued_at"]))
