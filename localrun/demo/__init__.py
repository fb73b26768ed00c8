"""Demo configuration for ``make run`` and the tests: one module per contract.

Each module has ``seed(table)`` (writes its demo accounts through the admin CLI's functions) and
``curl_lines(base_url)`` (ready-to-paste examples printed at start-up): each partner's, as the
partner registry names it (``coupons.core.partners``), and the brand's checkout.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from coupons.core.partners import PARTNERS
from coupons.core.table import Table

CONTRACTS = ("checkout",)  # the demo modules that are not a partner's


def modules() -> list[ModuleType]:
    names = sorted([p.demo for p in PARTNERS if p.demo] + list(CONTRACTS))
    return [importlib.import_module(f"{__name__}.{name}") for name in names]


def seed(table: Table) -> None:
    for module in modules():
        module.seed(table)


def curl_lines(base_url: str) -> list[str]:
    return [line for module in modules() for line in module.curl_lines(base_url)]
