"""Affiliates of a programme, their coupon claims and their embed tokens.

- affiliate: ``pk = AFFONSO#<programme>#AFFILIATE#<affiliate id>``, ``sk = PROFILE``; holds the hash
  of the affiliate's current embed token. Listed per programme on gsi1 (``AFFONSO#<programme>#AFFILIATES``).
- claim: same partition, ``sk = COUPON``; exists once the affiliate has its coupon in the programme.
  One partition, so one query returns the affiliate with its claim.
- embed token: ``pk = AFFONSO#TOKEN#<sha256 of the token>``, ``sk = TOKEN``, ``expires_at`` (epoch
  seconds) for the table's TTL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from coupons.core import code_items
from coupons.core.models import CodeRecord
from coupons.core.table import ConditionsFailed, Table, error_code

PROFILE = "PROFILE"
CLAIM = "COUPON"
TOKEN = "TOKEN"  # noqa: S105 - a sort key's name, not a secret


def affiliate_partition(programme: str, affiliate_id: str) -> str:
    return f"AFFONSO#{programme}#AFFILIATE#{affiliate_id}"


def affiliates_index(programme: str) -> str:
    return f"AFFONSO#{programme}#AFFILIATES"


def token_key(token_hash: str) -> dict[str, str]:
    return {"pk": f"AFFONSO#TOKEN#{token_hash}", "sk": TOKEN}


# ---- embed tokens and affiliates ----------------------------------------------------------------


def put_token(table: Table, token_hash: str, programme: str, affiliate_id: str, issued_at: datetime,
              expires_at: int) -> None:
    item = {**token_key(token_hash), "programme": programme, "affiliate": affiliate_id,
            "issued_at": issued_at, "expires_at": expires_at}
    table.call("put_item", Item=table.serialize(item))


def get_token(table: Table, token_hash: str) -> dict[str, Any] | None:
    # Consistent: a token is used within seconds of being issued.
    item = table.call("get_item", Key=table.serialize(token_key(token_hash)), ConsistentRead=True).get("Item")
    return table.deserialize(item) if item else None


def save_affiliate(table: Table, programme: str, affiliate_id: str, profile: dict[str, Any], token_hash: str,
                   now: datetime) -> None:
    """Create the affiliate or update its profile, and make ``token_hash`` its only valid token.

    Fields absent from ``profile`` (None) keep their stored value, as Affonso updates only what is sent.
    """
    fields = {k: v for k, v in profile.items() if v is not None}
    fields.update(current_token=token_hash, updated_at=now, gsi1pk=affiliates_index(programme),
                  gsi1sk=profile["email"], programme=programme, affiliate_id=affiliate_id)
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    values = {f":v{i}": value for i, value in enumerate(fields.values())}
    assignments = [f"#f{i} = :v{i}" for i in range(len(fields))]
    assignments.append("created_at = if_not_exists(created_at, :now)")
    table.call(
        "update_item",
        Key=table.serialize({"pk": affiliate_partition(programme, affiliate_id), "sk": PROFILE}),
        UpdateExpression="SET " + ", ".join(assignments),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=table.values({**values, ":now": now}),
    )


def get_affiliate(table: Table, programme: str, affiliate_id: str) -> tuple[dict | None, dict | None]:
    """(profile, claim) of an affiliate, in one strongly consistent query of its partition."""
    items = {item["sk"]: item for item in table.query_all(
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues=table.values({":pk": affiliate_partition(programme, affiliate_id)}),
        ConsistentRead=True,
    )}
    return items.get(PROFILE), items.get(CLAIM)


def list_affiliates(table: Table, programme: str) -> Iterator[dict[str, Any]]:
    yield from table.query_all(
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues=table.values({":p": affiliates_index(programme)}),
    )


# ---- the coupon: code item and claim in one transaction ------------------------------------------


class ClaimRefused(Exception):
    """The transaction was cancelled by a condition; nothing was written.

    ``code_taken`` / ``has_claim``: which conditions failed. ``code_holder`` and ``claim`` are the
    items that failed them, as DynamoDB handed them back (None when a condition held).
    """

    def __init__(self, code_holder: CodeRecord | None, claim: dict[str, Any] | None, code_taken: bool,
                 has_claim: bool):
        super().__init__("claim refused")
        self.code_holder, self.claim = code_holder, claim
        self.code_taken, self.has_claim = code_taken, has_claim


def claim_code(table: Table, record: CodeRecord, affiliate_id: str) -> None:
    """Put the code item and the affiliate's claim on it, both or neither.

    Conditions: the code is free in the whole namespace, and the affiliate has no claim yet in the
    programme (``record.owner.account``). A refusal says which condition failed, and hands back the
    items that failed it (ReturnValuesOnConditionCheckFailure), so no second read is needed.
    """
    claim = {
        "pk": affiliate_partition(record.owner.account, affiliate_id), "sk": CLAIM,
        "code": record.code, "kind": record.discount.kind, "value": record.discount.value,
        "currency": record.discount.currency, "created_at": record.created_at,
    }
    try:
        table.transact({
            "code": {"Put": {"Item": table.serialize(code_items.to_item(record)),
                             "ConditionExpression": "attribute_not_exists(pk)"}},
            "claim": {"Put": {"Item": table.serialize(claim), "ConditionExpression": "attribute_not_exists(pk)"}},
        })
    except ConditionsFailed as refused:
        code_holder = refused.item("code")
        raise ClaimRefused(
            code_items.from_item(code_holder) if code_holder else None,
            refused.item("claim"),
            code_taken="code" in refused,
            has_claim="claim" in refused,
        ) from None


def disable_code(table: Table, code: str, partner: str, by: str, at: datetime) -> CodeRecord:
    """Mark a code disabled (checkout refuses it), recording who and when; only ``partner``'s codes."""
    try:
        result = table.call(
            "update_item",
            Key=table.serialize(code_items.key(code)),
            UpdateExpression="SET #status = :disabled, disabled_by = :by, disabled_at = :at",
            ConditionExpression="attribute_exists(pk) AND partner = :partner",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=table.values({":disabled": "disabled", ":by": by, ":at": at,
                                                    ":partner": partner}),
            ReturnValues="ALL_NEW",
        )
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            raise LookupError(code) from None
        raise
    return code_items.from_item(table.deserialize(result["Attributes"]))
