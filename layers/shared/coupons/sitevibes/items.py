"""Reward redemptions: one partition per reward and person, ``pk = SITEVIBES#<reward>#<person>``.

The claim, the code (or the no-code record) and the day's budget counter are one TransactWriteItems,
so a code is never issued without its claim (docs/sitevibes.md, "Retries and collisions")."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from coupons.core import code_items
from coupons.core.models import CodeRecord
from coupons.core.table import ConditionsFailed, Table

CLAIM_SK = "CLAIM"
# Claims are kept a day past their window (TTL), for support questions; DynamoDB deletes them later
# still, so the condition on issued_at, not the TTL, is what ends a window.
CLAIM_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class Claim:
    code: str  # "" for a reward without a code
    issued_at: datetime


class ClaimedWithinWindow(Exception):
    """The person redeemed the reward within the window; ``claim`` is that redemption."""

    def __init__(self, claim: Claim):
        super().__init__(claim.code)
        self.claim = claim


class CodeCollision(Exception):
    """The new code exists already (any partner); nothing was written."""


class OverBudget(Exception):
    """The reward's budget for the day is spent; nothing was written."""


def partition(reward: str, person: str) -> str:
    return f"SITEVIBES#{reward}#{person}"


def redemptions_index(reward: str) -> str:
    return f"REDEMPTIONS#sitevibes#{reward}"


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_epoch_ms(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def claim(
    table: Table,
    reward: str,
    person: str,
    issued_at: datetime,
    window: timedelta,
    record: CodeRecord | None,
    budget: Mapping[str, Any] | None = None,
) -> None:
    """Record a redemption issued at ``issued_at``, giving ``record`` (or no code), in one transaction,
    with ``budget`` (the day's counter as a transaction part) when the reward has one.

    Raises ``ClaimedWithinWindow`` (with the earlier claim, from ReturnValuesOnConditionCheckFailure:
    no second read; it wins over the others, so a retry is answered even when the budget is spent),
    ``OverBudget`` or ``CodeCollision``; in every case nothing was written.
    """
    pk = partition(reward, person)
    claim_item = {
        "pk": pk,
        "sk": CLAIM_SK,
        "code": record.code if record else "",
        "issued_at": epoch_ms(issued_at),
        "expires_at": int((issued_at + window + CLAIM_KEPT).timestamp()),
    }
    if record is not None:
        given = code_items.to_item(record)
    else:
        given = {
            "pk": pk,
            "sk": f"REDEMPTION#{issued_at.isoformat()}",
            "reward": reward,
            "person": person,
            "issued_at": issued_at,
            "gsi1pk": redemptions_index(reward),
            "gsi1sk": f"{issued_at.isoformat()}#{person}",
        }
    try:
        claim_put: dict[str, Any] = {"Item": table.serialize(claim_item)}
        if window:  # without a window every redemption is new: the claim just records the latest
            claim_put.update(ConditionExpression="attribute_not_exists(pk) OR issued_at < :window_start",
                             ExpressionAttributeValues=table.values({":window_start": epoch_ms(issued_at - window)}))
        parts: dict[str, Mapping[str, Any]] = {
            "claim": {"Put": claim_put},
            "given": {"Put": {"Item": table.serialize(given), "ConditionExpression": "attribute_not_exists(pk)"}},
        }
        if budget is not None:
            parts["budget"] = budget
        table.transact(parts)
    except ConditionsFailed as refused:
        earlier = refused.item("claim")
        if earlier is not None:
            raise ClaimedWithinWindow(Claim(code=earlier.get("code", ""),
                                            issued_at=from_epoch_ms(earlier["issued_at"]))) from None
        if "budget" in refused:
            raise OverBudget() from None
        raise CodeCollision() from None


def list_codeless(table: Table, reward: str) -> Iterator[dict[str, Any]]:
    """Redemptions of ``reward`` that gave no code, oldest first: ``person``, ``issued_at``."""
    for item in table.query_all(
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues=table.values({":p": redemptions_index(reward)}),
    ):
        yield {"person": item["person"], "issued_at": item["issued_at"]}
