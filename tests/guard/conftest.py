"""The guard's fixtures: the checkout's partner stub, and the demo configuration without Friendbuy's.

``guard_table`` leaves out Friendbuy's demo (its bank of 1,000 generated codes): moto copies the
whole table on every TransactWriteItems, about 0.25 s each at the full demo's size, and the guard's
tests observe hundreds of sales (one transaction each). Tests of Friendbuy's notices use ``demo_table``.
"""

import pytest

from coupons.core.table import Table
from localrun import demo
from tests.checkout.conftest import stub

__all__ = ["guard_table", "stub"]


@pytest.fixture
def guard_table(table: Table) -> Table:
    for module in demo.modules():
        if not module.__name__.endswith(".friendbuy"):
            module.seed(table)
    return table
