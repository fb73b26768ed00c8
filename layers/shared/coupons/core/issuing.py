"""Putting a code into the namespace, safely under retries and races."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from coupons.core import code_items
from coupons.core.errors import CodeTaken
from coupons.core.models import CodeRecord
from coupons.core.table import Table


def fingerprint(partner: str, account: str, request: Mapping[str, Any]) -> str:
    """A stable hash of what was asked for (before defaults are applied, so that a retry on the
    next day, when "30 days from today" has moved, is still recognised as the same request)."""
    canonical = json.dumps({"partner": partner, "account": account, "request": request}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    record: CodeRecord
    replayed: bool  # True: an identical earlier request created it; nothing new was written


def create_code(table: Table, record: CodeRecord, taken_message: str = "Discount code already exists") -> Issued:
    """One conditional put. A clash with the same fingerprint is the caller's own retry (success,
    nothing written); any other clash is a duplicate, whoever made the code."""
    try:
        code_items.create(table, record)
    except code_items.CodeExists as clash:
        if record.fingerprint and clash.existing.fingerprint == record.fingerprint:
            return Issued(clash.existing, replayed=True)
        raise CodeTaken(taken_message) from None
    return Issued(record, replayed=False)
