"""The guard's items, all under ``GUARD#`` (only the sender and the admin CLI reach them).

One Query (``sk BETWEEN D#<first day> AND S``) reads a code's day buckets, policy and state
together; the keys: docs/guard.md, "Where it runs"."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from coupons.core import code_items
from coupons.core.errors import NotFound
from coupons.core.table import ConditionsFailed, Table
from coupons.guard.policy import Policy
from coupons.guard.signals import Counts

HISTORY_DAYS = 28  # the history a window is compared with
SEEN_DAYS = 35  # how long a counted sale is remembered (longer than any redelivery)
ACTED = "GUARD#ACTED"


def policy_key(partner: str, account: str) -> dict[str, str]:
    return {"pk": f"GUARD#POLICY#{partner}#{account}", "sk": "POLICY"}


def code_pk(code: str) -> str:
    return f"GUARD#CODE#{code}"


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def day_key(code: str, day: date) -> dict[str, str]:
    """The code's bucket of ``day``: its counters (``count``), read by ``view`` as ``D#`` items."""
    return {"pk": code_pk(code), "sk": f"D#{day.isoformat()}"}


def count(table: Table, code: str, digest: str, day: date, delta: Counts, window_days: int = 28,
          people: dict[str, str] | None = None) -> bool:
    """Count one sale in its day's bucket, once: False when this sale was counted before.
    ``people`` (``customers``/``ips`` -> a keyed digest) are counted once per day each, first."""
    expires = _epoch(day + timedelta(days=window_days + HISTORY_DAYS + 2))
    for counter, digest_of in (people or {}).items():
        _count_distinct(table, code, day, counter, digest_of, expires)
    parts = {
        "seen": {"Put": {
            "Item": table.serialize({"pk": code_pk(code), "sk": f"X#{digest}",
                                     "expires_at": _epoch(day + timedelta(days=SEEN_DAYS))}),
            "ConditionExpression": "attribute_not_exists(pk)",
        }},
        "day": {"Update": {
            "Key": table.serialize(day_key(code, day)),
            "UpdateExpression": "ADD #n :n, #ref :ref, #known :known, #new :new, #discount :discount, "
                                "#identified :identified, #with_ip :with_ip SET expires_at = :expires",
            "ExpressionAttributeNames": {"#n": "n", "#ref": "ref", "#known": "known", "#new": "new",
                                         "#discount": "discount", "#identified": "identified", "#with_ip": "with_ip"},
            "ExpressionAttributeValues": table.values({
                ":n": delta.n, ":ref": delta.ref, ":known": delta.known, ":new": delta.new,
                ":discount": delta.discount, ":identified": delta.identified, ":with_ip": delta.with_ip,
                ":expires": expires}),
        }},
    }
    try:
        table.transact(parts)
    except ConditionsFailed as failed:
        if "seen" in failed:
            return False
        raise
    return True


def _count_distinct(table: Table, code: str, day: date, counter: str, digest: str, expires: int) -> None:
    """One more distinct customer (or IP) on ``day``, only if this one is new that day: a marker
    ``<C|I>#<day>#<digest>`` put on ``attribute_not_exists`` and the bucket's ``ADD``, all or nothing,
    so a redelivery or a parallel sale of the same person adds nothing and no update is lost."""
    marker = {"pk": code_pk(code), "sk": f"{counter[0].upper()}#{day.isoformat()}#{digest}",
              "expires_at": _epoch(day + timedelta(days=2))}
    try:
        table.transact({
            "marker": {"Put": {"Item": table.serialize(marker), "ConditionExpression": "attribute_not_exists(pk)"}},
            "day": {"Update": {"Key": table.serialize(day_key(code, day)),
                               "UpdateExpression": "ADD #c :one SET expires_at = :expires",
                               "ExpressionAttributeNames": {"#c": counter},
                               "ExpressionAttributeValues": table.values({":one": 1, ":expires": expires})}},
        })
    except ConditionsFailed as failed:
        if "marker" not in failed:
            raise


@dataclass
class CodeView:
    """A code as the guard sees it on one day: its window, its history, its policy and state."""

    recent_days: list[Counts]  # today's bucket first, then each day before, within the window
    history: Counts
    override: Policy | None = None
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def recent(self) -> Counts:
        """The whole window summed."""
        total = Counts()
        for bucket in self.recent_days:
            total = total + bucket
        return total


def view(table: Table, code: str, today: date, window_days: int, max_window_days: int = 28) -> CodeView:
    """One Query: the buckets of the last ``max_window_days + HISTORY_DAYS`` days, the policy and
    state; summed into the ``window_days`` ending ``today`` and the ``HISTORY_DAYS`` before them."""
    first = today - timedelta(days=max_window_days + HISTORY_DAYS - 1)
    window_start = today - timedelta(days=window_days - 1)
    history_start = window_start - timedelta(days=HISTORY_DAYS)
    found = CodeView([Counts(days=1) for _ in range(window_days)], Counts())
    oldest: date | None = None
    for item in table.query_all(
        KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
        ExpressionAttributeValues=table.values({":pk": code_pk(code), ":first": f"D#{first.isoformat()}",
                                                ":last": "S"}),
        ConsistentRead=True,
    ):
        if item["sk"] == "P":
            found.override = Policy.from_item(item, source="code")
        elif item["sk"] == "S":
            found.state = item
        elif item["sk"].startswith("D#"):
            day = date.fromisoformat(item["sk"][2:])
            oldest = day if oldest is None else min(oldest, day)
            counts = Counts(int(item.get("n", 0)), int(item.get("ref", 0)), int(item.get("known", 0)),
                            int(item.get("new", 0)), Decimal(item.get("discount", 0)), 0,
                            *(int(item.get(k, 0)) for k in ("identified", "customers", "with_ip", "ips")))
            if window_start <= day <= today:
                found.recent_days[(today - day).days] = counts + Counts(days=1)
            elif history_start <= day < window_start:
                found.history = found.history + counts
    if oldest is not None and oldest < window_start:  # history since the code's first counted day
        found.history.days = (window_start - max(oldest, history_start)).days
    return found


def put_policy(table: Table, key: dict[str, str], policy: Policy) -> None:
    table.call("put_item", Item=table.serialize({**key, **policy.to_item()}))


def get_policy(table: Table, key: dict[str, str], source: str) -> Policy | None:
    item = table.call("get_item", Key=table.serialize(key), ConsistentRead=True).get("Item")
    return Policy.from_item(table.deserialize(item), source) if item else None


def delete_policy(table: Table, key: dict[str, str]) -> None:
    table.call("delete_item", Key=table.serialize(key))


def code_policy_key(code: str) -> dict[str, str]:
    return {"pk": code_pk(code), "sk": "P"}


def record(table: Table, code: str, what: str, at: datetime, fields_: dict[str, Any],
           also: dict[str, dict[str, Any]] | None = None) -> bool:
    """Record that the guard flagged or paused ``code`` (``what``), once, with the transaction parts
    ``also`` (its notices' outbox items): False if it had already (nothing written). A pause after
    a release by an admin is recorded again (``released_at`` before it)."""
    sets = {f"{what}_at": at, **fields_, "gsi1pk": ACTED}
    names = {f"#{i}": k for i, k in enumerate(sets)}
    values = {f":{i}": v for i, v in enumerate(sets.values())}
    update = "SET " + ", ".join(f"#{i} = :{i}" for i in range(len(sets)))
    update += ", gsi1sk = if_not_exists(gsi1sk, :first)"
    values[":first"] = f"{at.isoformat()}#{code}"
    names["#at"] = f"{what}_at"
    condition = "attribute_not_exists(#at)"
    if what == "paused":
        names["#released"] = "released_at"
        condition += " OR (attribute_exists(#released) AND #released > #at)"
    state = {"Key": table.serialize({"pk": code_pk(code), "sk": "S"}), "UpdateExpression": update,
             "ConditionExpression": condition, "ExpressionAttributeNames": names,
             "ExpressionAttributeValues": table.values(values)}
    try:
        if also:
            table.transact({"state": {"Update": state}, **also})
        else:
            table.update(**state)
    except ConditionsFailed as failed:
        if also and "state" not in failed:
            raise
        return False
    return True


def release(table: Table, code: str, at: datetime, also: dict[str, dict[str, Any]]) -> bool:
    """An admin unpauses ``code``: its pause marks removed, ``released_at`` recorded (the same
    evidence does not pause it again) and ``also`` (the notices) queued, in one transaction. False
    when it was not paused (nothing written); ``NotFound`` for no such code."""
    parts = {
        "code": {"Update": {"Key": table.serialize(code_items.key(code)), "UpdateExpression": "REMOVE paused_at, paused_by",
                            "ConditionExpression": "attribute_exists(paused_at)"}},
        "state": {"Update": {"Key": table.serialize({"pk": code_pk(code), "sk": "S"}),
                             "UpdateExpression": "SET released_at = :at",
                             "ExpressionAttributeValues": table.values({":at": at})}},
        **also,
    }
    try:
        table.transact(parts)
    except ConditionsFailed as failed:
        if "code" not in failed:
            raise
        if table.get_many([code_items.key(code)], consistent=True)[0] is None:
            raise NotFound(f"No code {code}") from None
        return False
    return True


def set_state(table: Table, code: str, fields_: dict[str, Any], remove: tuple[str, ...] = ()) -> None:
    names = {f"#{i}": k for i, k in enumerate([*fields_, *remove])}
    sets = [f"#{i} = :{i}" for i in range(len(fields_))]
    update = ("SET " + ", ".join(sets)) if sets else ""
    if remove:
        update += " REMOVE " + ", ".join(f"#{len(fields_) + i}" for i in range(len(remove)))
    request: dict[str, Any] = {"Key": table.serialize({"pk": code_pk(code), "sk": "S"}),
                               "UpdateExpression": update.strip(), "ExpressionAttributeNames": names}
    if fields_:
        request["ExpressionAttributeValues"] = table.values({f":{i}": v for i, v in enumerate(fields_.values())})
    table.call("update_item", **request)


def acted(table: Table) -> Iterator[dict[str, Any]]:
    """Every code the guard ever flagged or paused (state items), oldest first."""
    yield from table.query_all(IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
                               ExpressionAttributeValues=table.values({":p": ACTED}))


# ---- a code's pause marks (on the code item itself: the redemption's condition reads them) ------


def mark_code_paused(table: Table, code: str, by: str, at: datetime) -> bool:
    """False when it already was (nothing written); ``NotFound`` for no such code."""
    return _pause_write(table, code, "SET paused_at = :at, paused_by = :by",
                        "attribute_exists(pk) AND attribute_not_exists(paused_at)", {":at": at, ":by": by})


def clear_code_pause(table: Table, code: str) -> bool:
    """False when it was not paused (nothing written); ``NotFound`` for no such code."""
    return _pause_write(table, code, "REMOVE paused_at, paused_by", "attribute_exists(paused_at)", None)


def _pause_write(table: Table, code: str, update: str, condition: str, values: dict | None) -> bool:
    # No ReturnValuesOnConditionCheckFailure: the sender's policy lets it name only pk, sk and the
    # pause marks of a code item (template.yaml); a failed condition is told apart by one read.
    request: dict[str, Any] = {"Key": table.serialize(code_items.key(code)), "UpdateExpression": update,
                               "ConditionExpression": condition}
    if values:
        request["ExpressionAttributeValues"] = table.values(values)
    try:
        table.update(**request)
    except ConditionsFailed:
        if table.get_many([code_items.key(code)], consistent=True)[0] is None:
            raise NotFound(f"No code {code}") from None
        return False
    return True
