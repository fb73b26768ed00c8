"""Advocates, their referral codes, and the purchases attributed to them.

- ``pk = FRIENDBUY#REFERRAL#<referral code>``, ``sk = REFERRAL``: the referral (advocate, coupon code,
  conversions, revenue per currency). Its existence is the referral code's uniqueness. Listed per
  campaign on gsi1 (``FRIENDBUY#REFERRALS#<campaign>#<shard>``, ``REFERRAL_SHARDS`` of them: at
  1,000 assignments/s one key would take 1,000 index writes/s, a GSI partition's whole budget)
  for the CSV export.
- ``pk = FRIENDBUY#ADVOCATE#<campaign>#<identity>``, ``sk = ADVOCATE``: "this advocate has that
  referral code"; its conditional put is what makes one advocate get one code. Listed per email on
  gsi1 (``FRIENDBUY#EMAIL#<email>``) for the lookup by email.
- ``pk = FRIENDBUY#PURCHASE#<order id>``, ``sk = PURCHASE``: a purchase event, once per order id.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from coupons.core import code_items
from coupons.core.table import ConditionsFailed, Table, error_code
from coupons.friendbuy import bank_items


def referral_key(referral_code: str) -> dict[str, Any]:
    return {"pk": f"FRIENDBUY#REFERRAL#{referral_code}", "sk": "REFERRAL"}


def advocate_key(campaign_id: str, identity: str) -> dict[str, Any]:
    return {"pk": f"FRIENDBUY#ADVOCATE#{campaign_id}#{identity}", "sk": "ADVOCATE"}


def purchase_key(order_id: str) -> dict[str, Any]:
    return {"pk": f"FRIENDBUY#PURCHASE#{order_id}", "sk": "PURCHASE"}


REFERRAL_SHARDS = 4  # 1,000 assignments/s -> 250 index writes/s per key


def referrals_partition(campaign_id: str, shard: int) -> str:
    return f"FRIENDBUY#REFERRALS#{campaign_id}#{shard}"


def referral_listing_keys(campaign_id: str, referral_code: str, created_at: str) -> dict[str, str]:
    """Where a referral is listed for its campaign: a shard by hash of its code, sorted by creation."""
    shard = int.from_bytes(hashlib.blake2b(referral_code.encode(), digest_size=4).digest(), "big") % REFERRAL_SHARDS
    return {"gsi1pk": referrals_partition(campaign_id, shard), "gsi1sk": f"{created_at}#{referral_code}"}


def email_partition(email: str) -> str:
    return f"FRIENDBUY#EMAIL#{email}"


# ---- claiming a code for an advocate -----------------------------------------------------------


class ClaimRefused(Exception):
    """The claim transaction was cancelled; ``reason`` says which of its conditions failed."""

    CODE_GONE = "code gone"  # the code got an advocate meanwhile (or is not this campaign's)
    ADVOCATE_HAS_ONE = "advocate has one"  # ``existing`` is the advocate item
    REFERRAL_CODE_TAKEN = "referral code taken"

    def __init__(self, reason: str, existing: dict[str, Any] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.existing = existing


def claim(
    table: Table,
    referral: dict[str, Any],
    advocate: dict[str, Any],
    code: str,
    person: str,
    owner: tuple[str, str],
) -> None:
    """Give ``code`` to an advocate in ONE transaction: record the advocate (only if new), create
    the referral code (only if new), and set the code's advocate (only if it has none), which takes
    it out of its bank's free pool in the same update. Any failed condition cancels all of it
    (``ClaimRefused``); a failed advocate condition hands back the advocate's existing item, so a
    repeated request is answered without a read."""
    partner, account = owner
    parts: dict[str, dict[str, Any]] = {
        "advocate": {"Put": {"Item": table.serialize(advocate), "ConditionExpression": "attribute_not_exists(pk)"}},
        "referral": {"Put": {"Item": table.serialize(referral), "ConditionExpression": "attribute_not_exists(pk)"}},
        "owner": {"Update": {
            "Key": table.serialize(code_items.key(code)),
            "UpdateExpression": f"SET person = :person, referral_code = :ref {bank_items.LEAVE_POOL}",
            "ConditionExpression": "partner = :partner AND account = :account AND attribute_not_exists(person)",
            "ExpressionAttributeValues": table.values({":person": person, ":ref": referral["referral_code"],
                                                       ":partner": partner, ":account": account}),
        }},
    }
    try:
        table.transact(parts)
    except ConditionsFailed as refused:
        if "advocate" in refused:
            raise ClaimRefused(ClaimRefused.ADVOCATE_HAS_ONE, refused.item("advocate")) from None
        if "owner" in refused:
            raise ClaimRefused(ClaimRefused.CODE_GONE) from None
        raise ClaimRefused(ClaimRefused.REFERRAL_CODE_TAKEN) from None


# ---- lookups -----------------------------------------------------------------------------------


def advocates_by_email(table: Table, email: str) -> list[dict[str, Any]]:
    return list(table.query_all(
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues=table.values({":p": email_partition(email)}),
    ))


def referrals_of_campaign(table: Table, campaign_id: str) -> Iterator[dict[str, Any]]:
    """Every referral of the campaign, oldest first (the shards' listings merged)."""
    shards = [table.query_all(
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues=table.values({":p": referrals_partition(campaign_id, shard)}),
    ) for shard in range(REFERRAL_SHARDS)]
    return heapq.merge(*shards, key=lambda item: item["gsi1sk"])


# ---- purchases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribution:
    referral_code: str
    currency: str
    amount: Decimal


class PurchaseExists(Exception):
    def __init__(self, existing: dict[str, Any]):
        super().__init__(existing.get("order_id"))
        self.existing = existing


class ReferralMissing(Exception):
    """The referral the purchase was to be attributed to does not exist."""


def put_purchase(table: Table, purchase: dict[str, Any], attribution: Attribution | None) -> None:
    """Record a purchase once per order id; with an attribution, the referral's conversions and
    revenue grow in the same transaction, so a repeated order id can never count twice."""
    put = {"Item": table.serialize(purchase), "ConditionExpression": "attribute_not_exists(pk)",
           "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
    if attribution is None:
        try:
            table.call("put_item", **put)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise PurchaseExists(table.deserialize(error.response["Item"])) from None  # type: ignore[typeddict-item]
            raise
        return
    try:
        table.transact({
            "purchase": {"Put": put},
            "referral": {"Update": {
                "Key": table.serialize(referral_key(attribution.referral_code)),
                "UpdateExpression": "ADD conversions :one SET revenue.#cur = if_not_exists(revenue.#cur, :zero) + :amount",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeNames": {"#cur": attribution.currency},
                "ExpressionAttributeValues": table.values({":one": 1, ":zero": Decimal(0), ":amount": attribution.amount}),
            }},
        })
    except ConditionsFailed as refused:
        existing = refused.item("purchase")
        if "purchase" in refused and existing is not None:
            raise PurchaseExists(existing) from None
        raise ReferralMissing(attribution.referral_code) from None
