"""What a warm checkout instance remembers between requests, so that a redemption is one write.

A redemption's transaction must carry what only the code item holds (its owner, kind, value and
currency go into the redemption and its sale event) and TransactWriteItems can neither return an
item nor copy attributes from one item to another. So the values come from memory
(``coupons.core.cache``: per table, at most ``cache.TTL_SECONDS`` since they were last seen,
``cache.MAX_ENTRIES`` at most), and a miss costs the one consistent read a redemption made before.

Memory is a hint, never a guarantee:

- a checkout **key** is remembered with the salted hash it was verified against; a redemption made
  on a remembered key carries a ConditionCheck that the account item still holds that hash, so a
  key revoked (deleted) a moment ago writes nothing (``items.redeem``);
- a **code** is remembered as this instance last saw it (read, handed back by a failed condition,
  or as its own write left it). Every value a redemption is computed from or attributed with is a
  condition of the transaction's update of the code item, so a code changed since it was
  remembered fails the condition, DynamoDB hands back the item as it is, and the redemption is
  computed again from that; its counters (``uses``, a gift card's ``balance``) are only ever
  judged by the conditions.
"""

from __future__ import annotations

from coupons.core import cache
from coupons.core.credentials import verify_secret
from coupons.core.models import CodeRecord
from coupons.core.table import Table


def _key_entry(key_id: str) -> tuple[str, str]:
    return ("checkout-key", key_id)


def _code_entry(code: str) -> tuple[str, str]:
    return ("checkout-code", code)


def key_hash(table: Table, key_id: str, key: str) -> str | None:
    """The stored hash ``key`` was verified against lately, if it still matches ``key``."""
    stored = cache.recall(table, _key_entry(key_id))
    return stored if isinstance(stored, str) and verify_secret(key, stored) else None


def keep_key(table: Table, key_id: str, secret_hash: str) -> None:
    cache.keep(table, _key_entry(key_id), secret_hash)


def forget_key(table: Table, key_id: str) -> None:
    cache.forget(table, _key_entry(key_id))


def code(table: Table, code: str) -> CodeRecord | None:
    found = cache.recall(table, _code_entry(code))
    return found if isinstance(found, CodeRecord) else None


def keep_code(table: Table, record: CodeRecord) -> None:
    cache.keep(table, _code_entry(record.code), record)


def forget_code(table: Table, code: str) -> None:
    cache.forget(table, _code_entry(code))
