"""Gift-card ledger items that name no code, for the checkout's liability report.

``pk = CARDS#<shard>`` (``SHARDS``, by a hash of the card's random ``card_ref``), ``sk = <card_ref>``:
the card (currency, issued, created_at, expires_on); ``sk = <card_ref>#<move>``: one debit or credit
with its time, so the figures hold "as of" any past day. Each is written in the same transaction as
the card's own write (creation, redeem, rollback, refund), so a refused write changes no mirror. A
Query page's LastEvaluatedKey names a shard and a card_ref, never a code (docs/money.md).
"""

from __future__ import annotations

import hashlib
import time
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from coupons.core.errors import Unavailable
from coupons.core.ledger import CardMoves
from coupons.core.models import CodeRecord
from coupons.core.table import Table

PREFIX = "CARDS#"
SHARDS = 16  # spreads a bank load's or a busy day's writes; the report reads all of them
DEBIT, ROLLBACK, REFUND = "debit", "rollback", "refund"


class TooLarge(Unavailable):
    """The Query pages did not finish within the request's time."""


def partition(card_ref: str) -> str:
    return f"{PREFIX}{int(hashlib.sha256(card_ref.encode()).hexdigest()[:8], 16) % SHARDS:02d}"


def card_item(record: CodeRecord, card_ref: str) -> dict[str, Any]:
    """The card's mirror: what it was issued with (its balance is issued minus its moves)."""
    item: dict[str, Any] = {"pk": partition(card_ref), "sk": card_ref, "currency": record.discount.currency or "",
                            "issued": record.discount.value or Decimal(0), "created_at": record.created_at}
    if record.expires_on is not None:
        item["expires_on"] = record.expires_on
    return item


def move_item(card_ref: str, kind: str, source_sk: str, at: datetime, amount: Decimal) -> dict[str, Any]:
    """One move in the card's currency. Its key derives from the item that caused it (the
    redemption's or refund's sk), so the live write and the upgrade's backfill give the same key."""
    digest = hashlib.sha256(f"{kind}#{source_sk}".encode()).hexdigest()[:20]
    return {"pk": partition(card_ref), "sk": f"{card_ref}#{digest}", "kind": kind, "at": at, "amount": amount}


def put(table: Table, item: dict[str, Any]) -> dict[str, Any]:
    """A transaction part; new keys only. Hands nothing back on a failed condition: the writer
    needs no right to read the ledger."""
    return {"Put": {"Item": table.serialize(item), "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "NONE"}}


def read(table: Table, deadline: float) -> list[CardMoves]:
    """Every card with its moves: one paginated Query per shard. ``deadline``: a
    ``time.monotonic()`` after which no further page is asked for (``TooLarge``)."""
    cards: dict[str, CardMoves] = {}
    moves: list[dict[str, Any]] = []
    pages = 0
    for shard in range(SHARDS):
        kwargs: dict[str, Any] = {"KeyConditionExpression": "pk = :pk",
                                  "ExpressionAttributeValues": table.values({":pk": f"{PREFIX}{shard:02d}"})}
        while True:
            if pages and time.monotonic() > deadline:
                raise TooLarge(f"The gift-card ledger did not fit in one request ({pages} pages read); run "
                               "'coupons-admin reports gift-cards', which has no time limit")
            page = table.call("query", **kwargs)
            pages += 1
            for raw in page.get("Items", []):
                item = table.deserialize(raw)
                if "#" in item["sk"]:
                    moves.append(item)
                else:
                    expires = item.get("expires_on")
                    cards[item["sk"]] = CardMoves(item["currency"], item["issued"],
                                                  datetime.fromisoformat(item["created_at"]),
                                                  date.fromisoformat(expires) if expires else None)
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    for move in moves:
        if (card := cards.get(move["sk"].split("#", 1)[0])) is not None:
            (card.debits if move["kind"] == DEBIT else card.credits).append(
                (datetime.fromisoformat(move["at"]), move["amount"]))
    return list(cards.values())
