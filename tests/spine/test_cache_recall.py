"""``cache.recall`` and ``cache.keep``: the same bound and size as ``cache.cached``, no loading."""

from coupons.core import cache


class Owner:  # stands for a Table: entries are kept per table name
    def __init__(self, name: str = "t1"):
        self.name = name


def test_recall_never_loads_and_keep_is_bounded_like_cached(monkeypatch):
    cache.clear()
    now = [1000.0]
    monkeypatch.setattr(cache, "_clock", lambda: now[0])
    table = Owner()
    assert cache.recall(table, "k") is None
    cache.keep(table, "k", "seen")
    assert cache.recall(table, "k") == "seen"
    assert cache.cached(table, "k", lambda: "read") == "seen"  # one store for both ways in
    now[0] += cache.TTL_SECONDS
    assert cache.recall(table, "k") is None  # as old as the bound: gone
    cache.keep(table, "k", "seen again")
    assert cache.recall(Owner("t2"), "k") is None
    for i in range(cache.MAX_ENTRIES):
        cache.keep(table, i, i)
    assert cache.recall(table, "k") is None  # the oldest went first
    cache.clear()
