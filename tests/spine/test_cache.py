"""The in-memory configuration cache: what it keeps, for how long, and for whom."""

from coupons.core import cache


class Owner:  # stands for a Table: entries are kept per table name
    def __init__(self, name: str = "t1"):
        self.name = name


def test_an_entry_is_reused_until_the_bound_then_read_again(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(cache, "_clock", lambda: now[0])
    table, reads = Owner(), []

    def load():
        reads.append(1)
        return {"v": len(reads)}

    assert cache.cached(table, "k", load) == {"v": 1}
    now[0] += cache.TTL_SECONDS - 0.1
    assert cache.cached(table, "k", load) == {"v": 1} and len(reads) == 1
    now[0] += 0.2  # older than the bound: a change made elsewhere is seen now
    assert cache.cached(table, "k", load) == {"v": 2}


def test_the_bound_is_at_most_thirty_seconds():
    assert 0 < cache.TTL_SECONDS <= 30


def test_nothing_found_is_not_kept_and_forget_drops_an_entry():
    table, answers = Owner(), [None, "created", "changed"]
    assert cache.cached(table, "k", lambda: answers[0]) is None
    assert cache.cached(table, "k", lambda: answers[1]) == "created"  # created meanwhile: seen at once
    cache.forget(table, "k")
    assert cache.cached(table, "k", lambda: answers[2]) == "changed"


def test_each_table_has_its_own_entries_and_the_size_is_bounded():
    one, two = Owner("one"), Owner("two")
    cache.cached(one, "k", lambda: 1)
    assert cache.cached(two, "k", lambda: 2) == 2
    for i in range(cache.MAX_ENTRIES + 10):
        cache.cached(one, i, lambda i=i: i)
    assert cache.cached(one, "k", lambda: "read again") == "read again"  # the oldest went first


def test_the_suite_runs_on_a_fresh_machines_clock():
    """tests.fresh_clock (pyproject addopts) makes every run a freshly booted machine's run, where
    monotonic values are small: a made-up stamp like 1,000 s is then in the future."""
    import os
    import time

    from tests import fresh_clock

    if os.environ.get("FRESH_CLOCK", "1") == "0":
        return
    assert time.monotonic is fresh_clock._fresh_monotonic
    assert fresh_clock.START <= time.monotonic() < fresh_clock.START + 4 * 3600  # a session, not an uptime
