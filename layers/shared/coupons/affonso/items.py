"""Affiliates of a programme, their coupon claims and their embed tokens.

An embed token's item (``AFFONSO#TOKEN#<sha256>``) holds what the portal's routes need, so one read
opens a session; keys and what each item holds: docs/affonso.md, "Design"."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from coupons.core import code_items
from coupons.core.errors import Unavailable
from coupons.core.models import CodeRecord
from coupons.core.table import RETRY_ATTEMPTS, ConditionsFailed, Table, backoff

PROFILE = "PROFILE"
CLAIM = "COUPON"
TOKEN = "TOKEN"  # noqa: S105 - a sort key's name, not a secret
# What a token item holds of its affiliate's coupon; the claim holds the same. ``previous_codes``:
# the paused codes this coupon replaced (oldest first), still the affiliate's for past sales.
COUPON_FIELDS = ("code", "kind", "value", "currency", "previous_codes")


def affiliate_partition(programme: str, affiliate_id: str) -> str:
    return f"AFFONSO#{programme}#AFFILIATE#{affiliate_id}"


def affiliates_index(programme: str) -> str:
    return f"AFFONSO#{programme}#AFFILIATES"


def token_key(token_hash: str) -> dict[str, str]:
    return {"pk": f"AFFONSO#TOKEN#{token_hash}", "sk": TOKEN}


def claim_key(programme: str, affiliate_id: str) -> dict[str, str]:
    return {"pk": affiliate_partition(programme, affiliate_id), "sk": CLAIM}


# ---- embed tokens and affiliates ----------------------------------------------------------------


def get_token(table: Table, token_hash: str) -> dict[str, Any] | None:
    # Consistent: a token is used within seconds of being issued.
    item = table.call("get_item", Key=table.serialize(token_key(token_hash)), ConsistentRead=True).get("Item")
    return table.deserialize(item) if item else None


def issue_token(table: Table, programme: str, affiliate_id: str, profile: dict[str, Any], token_hash: str,
                issued_at: datetime, expires_at: int) -> dict[str, Any]:
    """Create the affiliate or update its profile, and make ``token_hash`` its only valid token: one
    read of the affiliate's partition, then one transaction (the new token item; the affiliate's
    pointer to it, on condition that it still points where it did; the previous token marked
    replaced). Returns the profile as stored.

    Fields absent from ``profile`` (None) keep their stored value, as Affonso updates only what is
    sent. A lost race (another token for the same affiliate, or its coupon made with the previous
    token, between the read and the write) fails a condition and is tried again from the read.
    """
    sent = {k: v for k, v in profile.items() if v is not None}
    for attempt in range(RETRY_ATTEMPTS):
        stored, claim = get_affiliate(table, programme, affiliate_id)
        merged = {**(stored or {}), **sent}
        previous = stored.get("current_token") if stored else None
        token = {**token_key(token_hash), "programme": programme, "affiliate": affiliate_id, "issued_at": issued_at,
                 "expires_at": expires_at, "email": merged["email"], "name": merged.get("name"),
                 "image": merged.get("image"), **({k: claim.get(k) for k in COUPON_FIELDS} if claim else {})}
        parts = {"token": {"Put": {"Item": table.serialize(token)}},
                 "affiliate": _point_affiliate(table, programme, affiliate_id, sent, token_hash, previous, issued_at)}
        if previous and previous != token_hash:
            parts["previous"] = _retire(table, previous, expires_at, claim.get("code") if claim else None)
        try:
            table.transact(parts)
            return merged
        except ConditionsFailed:
            time.sleep(backoff(attempt))
    raise Unavailable("The service is busy; please retry the same request in a moment")


def _point_affiliate(table: Table, programme: str, affiliate_id: str, sent: dict[str, Any], token_hash: str,
                     previous: str | None, now: datetime) -> dict[str, Any]:
    fields = {**sent, "current_token": token_hash, "updated_at": now, "gsi1pk": affiliates_index(programme),
              "gsi1sk": sent["email"], "programme": programme, "affiliate_id": affiliate_id}
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    values = {f":v{i}": value for i, value in enumerate(fields.values())}
    assignments = [f"#f{i} = :v{i}" for i in range(len(fields))]
    assignments.append("created_at = if_not_exists(created_at, :now)")
    names["#current"] = "current_token"
    values[":now"] = now
    if previous:
        values[":previous"] = previous
    return {"Update": {
        "Key": table.serialize({"pk": affiliate_partition(programme, affiliate_id), "sk": PROFILE}),
        "UpdateExpression": "SET " + ", ".join(assignments),
        # Still pointing where it did when read: two tokens issued at once cannot both stay valid.
        "ConditionExpression": "#current = :previous" if previous else "attribute_not_exists(#current)",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": table.values(values),
    }}


def _retire(table: Table, token_hash: str, expires_at: int, known_code: str | None) -> dict[str, Any]:
    update: dict[str, Any] = {
        "Key": table.serialize(token_key(token_hash)),
        # A token item TTL already deleted comes back as a bare marker, deleted again by TTL.
        "UpdateExpression": "SET #replaced = :yes, expires_at = if_not_exists(expires_at, :expires)",
        "ExpressionAttributeNames": {"#replaced": "replaced"},
        "ExpressionAttributeValues": table.values({":yes": True, ":expires": expires_at}),
    }
    # The coupon can only be made (or a paused one replaced) with the current token: if it was,
    # meanwhile, the claim read above is stale, and the new token must not say what it says.
    update["ExpressionAttributeNames"]["#code"] = "code"
    if known_code is None:
        update["ConditionExpression"] = "attribute_not_exists(#code)"
    else:
        update["ConditionExpression"] = "attribute_not_exists(#code) OR #code = :known"
        update["ExpressionAttributeValues"] = table.values({":yes": True, ":expires": expires_at, ":known": known_code})
    return {"Update": update}


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

    Which conditions failed: ``programme_changed`` (the programme is no longer at the version the
    request acted on), ``token_retired`` (a newer token replaced the session's), ``has_claim``,
    ``code_taken``, ``over_budget``. ``code_holder`` and ``claim`` are the items that failed their
    conditions, as DynamoDB handed them back (None when a condition held).
    """

    def __init__(self, refused: ConditionsFailed):
        super().__init__("claim refused")
        code_holder = refused.item("code")
        self.code_holder = code_items.from_item(code_holder) if code_holder else None
        self.claim = refused.item("claim")
        self.programme_changed, self.token_retired = "programme" in refused, "token" in refused
        self.has_claim, self.code_taken, self.over_budget = "claim" in refused, "code" in refused, "budget" in refused
        self.old_not_paused = "paused" in refused  # a replacement: the code it replaces is not paused


def _coupon(record: CodeRecord) -> dict[str, Any]:
    """What the claim and the token note of the affiliate's coupon (``COUPON_FIELDS`` less history)."""
    return {"code": record.code, "kind": record.discount.kind, "value": record.discount.value,
            "currency": record.discount.currency}


def claim_code(table: Table, record: CodeRecord, affiliate_id: str, token_hash: str,
               guards: dict[str, dict[str, Any]]) -> None:
    """Put the code item and the affiliate's claim on it, and note the coupon on the session's token,
    all or nothing, with ``guards`` (named parts: the programme's version, the day's budget) in the
    same transaction.

    Conditions: the code is free in the whole namespace, the affiliate has no claim yet in the
    programme (``record.owner.account``), and the token is still the affiliate's current one. A
    refusal says which condition failed, and hands back the items that failed it
    (ReturnValuesOnConditionCheckFailure), so no second read is needed.
    """
    coupon = _coupon(record)
    claim = {**claim_key(record.owner.account, affiliate_id), **coupon, "created_at": record.created_at}
    noted = {k: v for k, v in coupon.items() if v is not None}
    names = {f"#c{i}": name for i, name in enumerate(noted)}
    try:
        table.transact({
            **guards,
            "token": {"Update": {
                "Key": table.serialize(token_key(token_hash)),
                "UpdateExpression": "SET " + ", ".join(f"#c{i} = :c{i}" for i in range(len(noted))),
                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(#replaced)",
                "ExpressionAttributeNames": {**names, "#replaced": "replaced"},
                "ExpressionAttributeValues": table.values({f":c{i}": v for i, v in enumerate(noted.values())}),
            }},
            "claim": {"Put": {"Item": table.serialize(claim), "ConditionExpression": "attribute_not_exists(pk)"}},
            "code": {"Put": {"Item": table.serialize(code_items.to_item(record)),
                             "ConditionExpression": "attribute_not_exists(pk)"}},
        })
    except ConditionsFailed as refused:
        raise ClaimRefused(refused) from None


def replace_code(table: Table, record: CodeRecord, affiliate_id: str, token_hash: str, old_code: str,
                 guards: dict[str, dict[str, Any]]) -> None:
    """The affiliate's paused coupon ``old_code`` replaced by ``record``, all or nothing: the new code
    item (free in the whole namespace), the claim moved to it (only if it still holds ``old_code``),
    the token noting it, and a check that ``old_code`` is still paused. The old code item is not
    written: it stays paused, and stays the affiliate's for the sales it made. ``ClaimRefused``."""
    coupon = _coupon(record)
    sets = {k: v for k, v in coupon.items() if v is not None}
    names = {f"#c{i}": name for i, name in enumerate(sets)}
    removed = [k for k, v in coupon.items() if v is None]
    names.update({f"#r{i}": name for i, name in enumerate(removed)})
    update = ("SET " + ", ".join(f"#c{i} = :c{i}" for i in range(len(sets)))
              + ", #previous = list_append(if_not_exists(#previous, :none), :old)"
              + (" REMOVE " + ", ".join(f"#r{i}" for i in range(len(removed))) if removed else ""))
    names["#previous"] = "previous_codes"
    values = {**{f":c{i}": v for i, v in enumerate(sets.values())}, ":none": [], ":old": [old_code]}
    try:
        table.transact({
            **guards,
            "token": {"Update": {
                "Key": table.serialize(token_key(token_hash)), "UpdateExpression": update,
                "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(#replaced)",
                "ExpressionAttributeNames": {**names, "#replaced": "replaced"},
                "ExpressionAttributeValues": table.values(values),
            }},
            "claim": {"Update": {
                "Key": table.serialize(claim_key(record.owner.account, affiliate_id)), "UpdateExpression": update,
                "ConditionExpression": "#held = :held",
                "ExpressionAttributeNames": {**names, "#held": "code"},
                "ExpressionAttributeValues": table.values({**values, ":held": old_code}),
            }},
            "paused": {"ConditionCheck": {"Key": table.serialize(code_items.key(old_code)),
                                          "ConditionExpression": "attribute_exists(paused_at)"}},
            "code": {"Put": {"Item": table.serialize(code_items.to_item(record)),
                             "ConditionExpression": "attribute_not_exists(pk)"}},
        })
    except ConditionsFailed as refused:
        raise ClaimRefused(refused) from None


def disable_code(table: Table, code: str, partner: str, by: str, at: datetime) -> CodeRecord:
    """Mark a code disabled (checkout refuses it), recording who and when; only ``partner``'s codes."""
    try:
        result = table.update(
            Key=table.serialize(code_items.key(code)),
            UpdateExpression="SET #status = :disabled, disabled_by = :by, disabled_at = :at",
            ConditionExpression="attribute_exists(pk) AND partner = :partner",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=table.values({":disabled": "disabled", ":by": by, ":at": at,
                                                    ":partner": partner}),
            ReturnValues="ALL_NEW",
        )
    except ConditionsFailed:
        raise LookupError(code) from None
    return code_items.from_item(table.deserialize(result["Attributes"]))
