"""A pytest plugin that makes this process look like it runs on a machine booted a second ago.

``time.monotonic()`` counts from an arbitrary point, on Linux the boot: on a CI machine or a new
laptop it may be a few seconds, on a developer's machine days. A test that stamps something at a
made-up monotonic value (1,000 s, say) and then reads the real clock behaves differently on the
two. Loaded first (``-p tests.fresh_clock`` in pyproject's addopts), before any of our modules
bind ``time.monotonic``, it shifts the clock to start at ``START`` seconds, so every run is the
fresh machine's run. ``FRESH_CLOCK=0`` turns it off.
"""

from __future__ import annotations

import os
import time

START = 1.0  # seconds "since boot" when the session begins

_real_monotonic = time.monotonic
_real_monotonic_ns = time.monotonic_ns
_offset_ns = _real_monotonic_ns() - int(START * 1e9)


def _fresh_monotonic() -> float:
    return (_real_monotonic_ns() - _offset_ns) / 1e9


def _fresh_monotonic_ns() -> int:
    return _real_monotonic_ns() - _offset_ns


def pytest_configure(config) -> None:
    if os.environ.get("FRESH_CLOCK", "1") != "0":
        time.monotonic = _fresh_monotonic
        time.monotonic_ns = _fresh_monotonic_ns


def pytest_report_header(config) -> str:
    on = time.monotonic is _fresh_monotonic
    return f"fresh clock: time.monotonic() starts at {START} s" if on else "fresh clock: off (real monotonic)"
