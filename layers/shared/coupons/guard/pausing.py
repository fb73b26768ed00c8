"""Pause and unpause a code: single conditional writes of ``paused_at`` and ``paused_by`` on the
code item, and nothing else.

A paused code is refused by the checkout (reason ``paused``): ``rules.refusal`` for validate and
for explaining a cancelled redemption, and the redemption transaction's own condition
``attribute_not_exists(paused_at)`` (``checkout.items.redeem``), so no redemption whose write comes
after the pause's is accepted, whatever an instance remembers. Redemptions made before stay as
they are; unpausing removes the two attributes, so the item is exactly what it was.
"""

from __future__ import annotations

from datetime import datetime

from coupons.core.table import Table
from coupons.guard import items


def pause(table: Table, code: str, by: str, at: datetime) -> bool:
    """Pause ``code``; False when it already was (nothing written). ``NotFound`` for no such code."""
    return items.mark_code_paused(table, code, by, at)


def unpause(table: Table, code: str) -> bool:
    """Unpause ``code``; False when it was not paused (nothing written). ``NotFound`` for no such code."""
    return items.clear_code_pause(table, code)
