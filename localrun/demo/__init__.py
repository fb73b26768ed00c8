"""Demo configuration for ``make run`` and the tests: one module per contract.

Each module has ``seed(table)`` (writes its demo accounts through the admin CLI's functions) and
``curl_lines(base_url)`` (ready-to-paste examples printed at start-up). New modules are found
by themselves.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from coupons.core.table import Table


def modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{__name__}.{m.name}")
        for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
        if not m.name.startswith("_")
    ]


def seed(table: Table) -> None:
    for module in modules():
        module.seed(table)


def curl_lines(base_url: str) -> list[str]:
    return [line for module in modules() for line in module.curl_lines(base_url)]
