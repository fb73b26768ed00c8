"""Fetch the European Central Bank's daily reference rates and store them (the scheduled refresh,
``functions/rates``; ``coupons-admin rates refresh``). Nothing is stored unless the whole file is
read and valid (``rates.parse_ecb_xml``), and then all of it in one transaction."""

from __future__ import annotations

import urllib.error
import urllib.request

from coupons.core import rate_items, rates
from coupons.core.errors import InvalidRequest, Unavailable
from coupons.core.rates import Rate
from coupons.core.table import Table

ECB_DAILY_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
TIMEOUT_SECONDS = 10.0


def fetch(url: str, timeout: float = TIMEOUT_SECONDS) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise InvalidRequest("The rates URL must be http(s)")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - the brand's configured URL
            data = answer.read(rates.MAX_FILE_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise Unavailable(f"{url} answered HTTP {error.code}; no rate was changed") from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise Unavailable(f"{url} unreachable ({error}); no rate was changed") from None
    return data


def refresh(table: Table, url: str = ECB_DAILY_URL) -> list[Rate]:
    """The rates of ``url``'s ECB file, stored all or nothing (``InvalidRequest`` for a bad file)."""
    return rate_items.put_all(table, rates.parse_ecb_xml(fetch(url)))
