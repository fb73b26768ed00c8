"""What a warm checkout instance remembers between requests, so that a redemption is one write.

Memory is a hint, never a guarantee: every remembered value a redemption uses is a condition of its
transaction, and counters are judged only by the conditions (docs/architecture.md, "Checkout: a
redemption is one call")."""

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
