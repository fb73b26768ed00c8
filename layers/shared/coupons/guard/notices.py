"""Who hears that the guard flagged, paused or (an admin) unpaused a code, as outbox items.

Each notice is put in the same transaction that records it (``items.record``, ``items.release``),
one outbox item per target (``core.outbox.put_alert``), so a notice exists if and only if its record
does, a failed delivery is retried on its own, and a retry never sends another target's copy again.
Targets: the brand's guard webhook always; the code's partner where it has a channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from coupons.core import outbox
from coupons.core.table import Table

EVENTS = {"flagged": "code.leak_suspected", "paused": "code.paused", "released": "code.unpaused"}
BRAND = "guard"  # the brand's own guard webhook (coupons.sales.alerts)
# The partners with a channel, and what they hear: our signed webhook (SiteVibes, Affonso, whose
# portal also shows the pause); a custom event on the advocate (Friendbuy, coupons.friendbuy.guard_events).
PARTNER_HEARS = {"sitevibes": ("flagged", "paused", "released"), "affonso": ("flagged", "paused", "released"),
                 "friendbuy": ("paused", "released")}


def targets(partner: str | None, what: str) -> list[str]:
    return [BRAND, *([partner] if partner and what in PARTNER_HEARS.get(partner, ()) else [])]


def puts(table: Table, code: str, what: str, at: datetime, body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The transaction parts (``notice-<target>``) that queue the notice ``what`` of ``code``."""
    notice_id = f"{code}#{what}#{at.isoformat()}"
    full = {"code": code, "at": at.isoformat(), **body}
    return {f"notice-{target}": {"Put": outbox.put_alert(table, notice_id, target, EVENTS[what], full, at)}
            for target in targets(body.get("partner"), what)}
