"""Exchange-rate items: ``pk = RATE#<base>#<quote>``, ``sk = RATE``; listed on ``gsi1`` (``RATES``).

Written by the admin CLI (``rates set | import``) and the scheduled refresh only, each batch in
one transaction: either every rate of a file is stored or none is. A rate is never replaced by an
older one (the condition ``rate_date <= :date``): importing yesterday's file after today's changes
nothing and says why.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from coupons.core.errors import InvalidRequest
from coupons.core.models import utcnow
from coupons.core.rates import Derived, Rate, derive, pairs_needed
from coupons.core.table import ConditionsFailed, Table

SK = "RATE"
LIST_PARTITION = "RATES"


def key(base: str, quote: str) -> dict[str, str]:
    return {"pk": f"RATE#{base}#{quote}", "sk": SK}


def unchanged(table: Table, rate: Rate) -> dict[str, Any]:
    """A transaction part (ConditionCheck) holding that the stored rate is still ``rate``, as read."""
    return {"ConditionCheck": {
        "Key": table.serialize(key(rate.base, rate.quote)),
        "ConditionExpression": "#rate = :rate AND rate_date = :date",
        "ExpressionAttributeNames": {"#rate": "rate"},
        "ExpressionAttributeValues": table.values({":rate": rate.rate, ":date": rate.rate_date}),
    }}


def to_item(rate: Rate) -> dict[str, Any]:
    return {**rate.model_dump(), **key(rate.base, rate.quote), "gsi1pk": LIST_PARTITION,
            "gsi1sk": f"{rate.base}#{rate.quote}"}


def from_item(item: dict[str, Any]) -> Rate:
    return Rate.model_validate({k: v for k, v in item.items() if k in Rate.model_fields})


def put_all(table: Table, rates: list[Rate], now: datetime | None = None) -> list[Rate]:
    """Store ``rates`` (already validated) all or nothing; ``InvalidRequest`` naming a pair for
    which a newer rate is stored."""
    now = now or utcnow()
    stamped = [r.model_copy(update={"updated_at": now}) for r in rates]
    parts = {
        f"{r.base}/{r.quote}": {"Put": {
            "Item": table.serialize(to_item(r)),
            "ConditionExpression": "attribute_not_exists(pk) OR rate_date <= :date",
            "ExpressionAttributeValues": table.values({":date": r.rate_date}),
        }}
        for r in stamped
    }
    try:
        table.transact(parts)
    except ConditionsFailed as refused:
        pair = next(iter(refused.failed))
        newer = refused.failed[pair] or {}
        raise InvalidRequest(f"A newer {pair} rate is stored (of {newer.get('rate_date')}); nothing was "
                             "changed") from None
    return stamped


def get_many(table: Table, pairs: list[tuple[str, str]], consistent: bool = False) -> list[Rate]:
    found = table.get_many([key(b, q) for b, q in pairs], consistent=consistent)
    return [from_item(item) for item in found if item is not None]


def lookup(table: Table, base: str, quote: str) -> Derived | None:
    """1 ``base`` in ``quote`` from the table (one BatchGetItem), or None when nothing derives it."""
    if base == quote:
        return derive(base, quote, [])
    return derive(base, quote, get_many(table, pairs_needed(base, quote), consistent=True))


def list_all(table: Table) -> Iterator[Rate]:
    for item in table.query_all(IndexName="gsi1", KeyConditionExpression="gsi1pk = :p",
                                ExpressionAttributeValues=table.values({":p": LIST_PARTITION})):
        yield from_item(item)
