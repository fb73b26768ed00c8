"""Configuration and credentials held in the function's memory for at most ``TTL_SECONDS``.

Only items that exist are kept, per table name; writes in the same process ``forget`` at once, so
a change made elsewhere takes effect everywhere within the bound (docs/architecture.md, "Authentication")."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Protocol

TTL_SECONDS = 30.0  # the one bound on how long a change made elsewhere can go unseen
MAX_ENTRIES = 1024  # per table: configuration is small; the oldest entry goes first

_clock = time.monotonic  # tests move it forward

_lock = threading.Lock()  # the bench and the local stack call from threads; Lambda itself does not
_caches: dict[str, OrderedDict[Hashable, tuple[float, Any]]] = {}


class _Named(Protocol):
    name: str


def _cache_of(table: _Named) -> OrderedDict[Hashable, tuple[float, Any]]:
    return _caches.setdefault(table.name, OrderedDict())


def cached[T](table: _Named, key: Hashable, load: Callable[[], T | None]) -> T | None:
    """``load()``'s answer for ``key``, from memory if it was loaded less than ``TTL_SECONDS`` ago.
    None (nothing found) is returned, never kept."""
    at = _clock()
    hit = recall(table, key)
    if hit is not None:
        return hit
    value = load()
    if value is not None:
        _keep(table, key, value, at)
    return value


def recall(table: _Named, key: Hashable) -> Any | None:
    """What is kept for ``key`` if it was kept less than ``TTL_SECONDS`` ago, else None. Never
    reads: for callers that would rather fold a miss into a read they make anyway."""
    with _lock:
        hit = _cache_of(table).get(key)
    return hit[1] if hit is not None and _clock() - hit[0] < TTL_SECONDS else None


def keep(table: _Named, key: Hashable, value: Any) -> None:
    """Keep ``value`` for ``key`` as of now: an item the caller has just read, or what its own
    write (which DynamoDB checked) has just made of it."""
    _keep(table, key, value, _clock())


def _keep(table: _Named, key: Hashable, value: Any, at: float) -> None:
    with _lock:
        cache = _cache_of(table)
        cache[key] = (at, value)
        cache.move_to_end(key)
        while len(cache) > MAX_ENTRIES:
            cache.popitem(last=False)


def forget(table: _Named, key: Hashable) -> None:
    """Drop ``key`` after a write, so that this process sees the change at once."""
    with _lock:
        _cache_of(table).pop(key, None)


def clear() -> None:
    """Forget everything (tests: a fresh table under a name used before)."""
    with _lock:
        _caches.clear()
