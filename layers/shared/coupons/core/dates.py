"""Calendar days as partners and the CLI write them: strictly ``yyyy-mm-dd``.

``date.fromisoformat`` takes more than that since Python 3.11 (``2027-W01-1``, ``20270101``), and
any year up to 9999: a typo such as ``9999-12-31`` or ``2207-01-01`` would make a code valid forever.
"""

from __future__ import annotations

import re
from datetime import date

from coupons.core.errors import InvalidRequest

FIRST_YEAR, LAST_YEAR = 2000, 2100  # a code's dates outside these are typos, not plans
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# What parse_day takes, for OpenAPI: a real day of 2000-2100 (29 February in leap years only).
DAY_SCHEMA = ("^(?:(?:20[0-9]{2}|2100)-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
              "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
              "|20(?:[02468][048]|[13579][26])-02-29)$")


def parse_day(text: str, what: str = "date") -> date:
    """``yyyy-mm-dd``, a real day, years 2000-2100; else ``InvalidRequest`` naming ``what``."""
    if not _DAY.fullmatch(text):
        raise InvalidRequest(f"The {what} {text[:40]!r} is not a date in the format yyyy-mm-dd")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(f"The {what} {text!r} is not a day of the calendar (yyyy-mm-dd)") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InvalidRequest(f"The {what} {text!r} is outside the years {FIRST_YEAR}-{LAST_YEAR}")
    return day
