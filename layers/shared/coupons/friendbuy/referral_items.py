"""Advocates, their referral codes, shares, purchases, events, and the person markers erasure finds them by.

Each item's key is a guarantee (a referral code's uniqueness, one code per advocate, one purchase
per order id and scope): docs/friendbuy.md, "Design" (Items); the index arithmetic:
docs/architecture.md, "Coupon banks"."""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from coupons.core import code_items
from coupons.core.table import ITEM, ConditionsFailed, Table
from coupons.friendbuy import bank_items


def referral_key(referral_code: str) -> dict[str, Any]:
    return {"pk": f"FRIENDBUY#REFERRAL#{referral_code}", "sk": "REFERRAL"}


def advocate_key(campaign_id: str, identity: str) -> dict[str, Any]:
    return {"pk": f"FRIENDBUY#ADVOCATE#{campaign_id}#{identity}", "sk": "ADVOCATE"}


def share_key(attribution_id: str) -> dict[str, Any]:
    return {"pk": f"FRIENDBUY#SHARE#{attribution_id}", "sk": "SHARE"}


def purchase_key(scope: str, order_id: str) -> dict[str, Any]:
    return {"pk": f"FRIENDBUY#PURCHASE#{scope}#{order_id}", "sk": "PURCHASE"}


def event_key(scope: str, kind: str, identity: str) -> dict[str, Any]:
    return {"pk": f"FRIENDBUY#EVENT#{scope}#{kind}#{identity}", "sk": "EVENT"}


def person_digest(customer_id: str | None = None, email: str | None = None) -> str:
    identity = f"id:{customer_id}" if customer_id else f"email:{(email or '').strip().lower()}"
    return hashlib.sha256(identity.encode()).hexdigest()[:40]


def person_partition(scope: str, digest: str) -> str:
    return f"FRIENDBUY#PERSON#{scope}#{digest}"


def person_markers(scope: str, item_key: dict[str, Any], customer_id: str | None, email: str | None) -> list[dict[str, Any]]:
    """The marker items of a purchase or event naming ``customer_id`` and/or ``email``."""
    digests = [person_digest(customer_id=customer_id)] if customer_id else []
    digests += [person_digest(email=email)] if email else []
    return [{"pk": person_partition(scope, d), "sk": item_key["pk"], "target_sk": item_key["sk"]} for d in digests]


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
    existing_referral: bool = False,
) -> None:
    """Give ``code`` to an advocate in ONE transaction: record the advocate (only if new), create
    the referral code (only if new), and set the code's advocate (only if it has none), which takes
    it out of its bank's free pool in the same update. Any failed condition cancels all of it
    (``ClaimRefused``); a failed advocate condition hands back the advocate's existing item, so a
    repeated request is answered without a read."""
    partner, account = owner
    parts: dict[str, dict[str, Any]] = {}
    if existing_referral:
        # The advocate has a referral without a coupon code (a personal referral link made first):
        # the code joins it, once (the coupon_code condition), and the referral code stays the same.
        bank = referral.get("bank_id")
        values = {":code": code, **({":bank": bank} if bank else {})}
        for name, key in (("advocate", {"pk": advocate["pk"], "sk": advocate["sk"]}),
                          ("referral", referral_key(referral["referral_code"]))):
            parts[name] = {"Update": {
                "Key": table.serialize(key),
                "UpdateExpression": "SET coupon_code = :code" + (", bank_id = :bank" if bank else ""),
                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(coupon_code)",
                "ExpressionAttributeValues": table.values(values),
            }}
    else:
        parts["advocate"] = {"Put": {"Item": table.serialize(advocate), "ConditionExpression": "attribute_not_exists(pk)"}}
        parts["referral"] = {"Put": {"Item": table.serialize(referral), "ConditionExpression": "attribute_not_exists(pk)"}}
        if referral.get("attribution_id"):
            share = {**share_key(referral["attribution_id"]), "referral_code": referral["referral_code"],
                     "campaign_id": referral["campaign_id"]}
            parts["share"] = {"Put": {"Item": table.serialize(share), "ConditionExpression": "attribute_not_exists(pk)"}}
    parts["owner"] = {"Update": {
        "Key": table.serialize(code_items.key(code)),
        "UpdateExpression": f"SET person = :person, referral_code = :ref {bank_items.LEAVE_POOL}",
        "ConditionExpression": "partner = :partner AND account = :account AND attribute_not_exists(person)",
        "ExpressionAttributeValues": table.values({":person": person, ":ref": referral["referral_code"],
                                                   ":partner": partner, ":account": account}),
    }}
    try:
        table.transact(parts)
    except ConditionsFailed as refused:
        if "advocate" in refused or (existing_referral and "referral" in refused):
            raise ClaimRefused(ClaimRefused.ADVOCATE_HAS_ONE,
                               None if existing_referral else refused.item("advocate")) from None
        if "owner" in refused:
            raise ClaimRefused(ClaimRefused.CODE_GONE) from None
        raise ClaimRefused(ClaimRefused.REFERRAL_CODE_TAKEN) from None


def put_referral(table: Table, referral: dict[str, Any], advocate: dict[str, Any]) -> None:
    """A referral without a coupon code (a personal referral link): the advocate (only if new), the
    referral code (only if new) and its share, in one transaction."""
    share = {**share_key(referral["attribution_id"]), "referral_code": referral["referral_code"],
             "campaign_id": referral["campaign_id"]}
    try:
        table.transact({
            "advocate": {"Put": {"Item": table.serialize(advocate), "ConditionExpression": "attribute_not_exists(pk)"}},
            "referral": {"Put": {"Item": table.serialize(referral), "ConditionExpression": "attribute_not_exists(pk)"}},
            "share": {"Put": {"Item": table.serialize(share), "ConditionExpression": "attribute_not_exists(pk)"}},
        })
    except ConditionsFailed as refused:
        if "advocate" in refused:
            raise ClaimRefused(ClaimRefused.ADVOCATE_HAS_ONE, refused.item("advocate")) from None
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
    """The purchase (or event) is recorded already; ``existing`` is its item."""

    def __init__(self, existing: dict[str, Any]):
        super().__init__(existing.get("pk"))
        self.existing = existing


class ReferralMissing(Exception):
    """The referral the purchase was to be attributed to does not exist."""


def put_once(table: Table, item: dict[str, Any], markers: list[dict[str, Any]],
             attribution: Attribution | None = None) -> None:
    """Record a purchase or event once (its key), with its person markers; with an attribution, the
    referral's conversions and revenue grow in the same transaction, so a repeat never counts twice."""
    put = {"Item": table.serialize(item), "ConditionExpression": "attribute_not_exists(pk)"}
    parts: dict[str, dict[str, Any]] = {"record": {"Put": put}}
    for number, marker in enumerate(markers):
        parts[f"marker{number}"] = {"Put": {"Item": table.serialize(marker)}}
    if attribution is not None:
        parts["referral"] = {"Update": {
            "Key": table.serialize(referral_key(attribution.referral_code)),
            "UpdateExpression": "ADD conversions :one SET revenue.#cur = if_not_exists(revenue.#cur, :zero) + :amount",
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {"#cur": attribution.currency},
            "ExpressionAttributeValues": table.values({":one": 1, ":zero": Decimal(0), ":amount": attribution.amount}),
        }}
    if len(parts) == 1:
        try:
            table.put(**put, ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except ConditionsFailed as refused:
            raise PurchaseExists(refused.item(ITEM) or {}) from None
        return
    try:
        table.transact(parts)
    except ConditionsFailed as refused:
        existing = refused.item("record")
        if "record" in refused and existing is not None:
            raise PurchaseExists(existing) from None
        raise ReferralMissing(attribution.referral_code if attribution else "") from None


def put_purchase(table: Table, purchase: dict[str, Any], attribution: Attribution | None,
                 markers: list[dict[str, Any]] | None = None) -> None:
    put_once(table, purchase, markers or [], attribution)


# ---- reads and writes for the rules (erasure, attribution, events) -----------------------------


def read(table: Table, keys: list[dict[str, Any]], consistent: bool = True) -> list[dict[str, Any] | None]:
    """The items at ``keys`` (this module's, ``core.code_items``' or a campaign's), in order, in one
    BatchGetItem."""
    return table.get_many(keys, consistent=consistent)


def get(table: Table, key: dict[str, Any]) -> dict[str, Any] | None:
    item = table.call("get_item", Key=table.serialize(key), ConsistentRead=True).get("Item")
    return table.deserialize(item) if item else None


def markers_of(table: Table, scope: str, digest: str) -> list[dict[str, Any]]:
    """The person markers of one person (``person_digest``) in one scope."""
    return list(table.query_all(KeyConditionExpression="pk = :p", ConsistentRead=True,
                                ExpressionAttributeValues=table.values({":p": person_partition(scope, digest)})))


def remove_fields(table: Table, key: dict[str, Any], fields: tuple[str, ...], sets: dict[str, Any] | None = None) -> int:
    """Remove ``fields`` from the item at ``key`` (setting ``sets``): 1, or 0 when there is no item."""
    names = {f"#r{i}": f for i, f in enumerate(fields)}
    expression = "REMOVE " + ", ".join(names)
    kwargs: dict[str, Any] = {}
    if sets:
        names.update({f"#s{i}": f for i, f in enumerate(sets)})
        expression = "SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(sets))) + " " + expression
        kwargs["ExpressionAttributeValues"] = table.values({f":s{i}": v for i, v in enumerate(sets.values())})
    try:
        table.update(Key=table.serialize(key), UpdateExpression=expression,
                   ConditionExpression="attribute_exists(pk)", ExpressionAttributeNames=names, **kwargs)
    except ConditionsFailed:
        return 0
    return 1


def set_if(table: Table, key: dict[str, Any], field: str, was: Any, value: Any) -> int:
    """Set ``field`` to ``value`` where it still holds ``was``: 1, else 0."""
    if was is None:
        return 0
    try:
        table.update(Key=table.serialize(key), UpdateExpression="SET #f = :v",
                   ConditionExpression="#f = :was", ExpressionAttributeNames={"#f": field},
                   ExpressionAttributeValues=table.values({":v": value, ":was": was}))
    except ConditionsFailed:
        return 0
    return 1


def delete(table: Table, key: dict[str, Any]) -> None:
    table.delete(Key=table.serialize(key))


def put_marker(table: Table, marker: dict[str, Any]) -> None:
    table.put(Item=table.serialize(marker))


def update_fields(table: Table, key: dict[str, Any], fields: dict[str, Any]) -> None:
    """Set ``fields`` on the item at ``key`` (a customer record's newest details)."""
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    values = {f":v{i}": value for i, value in enumerate(fields.values())}
    table.update(Key=table.serialize(key),
               UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
               ExpressionAttributeNames=names, ExpressionAttributeValues=table.values(values))
