"""Opening an account (core.accounts.opened, which every partner's credentials go through): an
unknown account and a refused key cost the same one GetItem, cold or warm, so neither the answer
nor the table's work tells an id that exists from one that does not."""

import pytest

from coupons.core import accounts, cache
from coupons.core.errors import Forbidden
from coupons.core.table import Table
from tests.conftest import CountingClient


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
@pytest.mark.parametrize(("webshop", "key"), [("demo", "wrong-key"), ("no-such-shop", "demo-key")],
                         ids=["wrong key", "unknown webshop"])
def test_a_refusal_costs_one_read(demo_table, warm, webshop, key):
    cache.clear()
    if warm:
        accounts.authenticate(demo_table, "brandbassador", "demo", "demo-key", "webshop")
    counting = CountingClient(demo_table.client)
    with pytest.raises(Forbidden):
        accounts.authenticate(Table(demo_table.name, counting), "brandbassador", webshop, key, "webshop")
    assert counting.calls == ["get_item"]


def test_a_remembered_account_opens_without_a_read(demo_table):
    cache.clear()
    accounts.authenticate(demo_table, "brandbassador", "demo", "demo-key", "webshop")
    counting = CountingClient(demo_table.client)
    accounts.authenticate(Table(demo_table.name, counting), "brandbassador", "demo", "demo-key", "webshop")
    assert counting.calls == []
