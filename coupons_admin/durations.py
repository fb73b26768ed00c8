"""Durations as people type them on the command line: ``30s``, ``10m``, ``1h``, ``2d``."""

from __future__ import annotations

import argparse
import re
from datetime import timedelta

_DURATION = re.compile(r"(\d{1,6})([smhd])", re.ASCII)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MAX = timedelta(days=30)  # a grace longer than that is a second key, not a rotation


def duration(text: str) -> timedelta:
    """An argparse ``type``: ``30s`` -> 30 seconds; at most 30 days."""
    match = _DURATION.fullmatch(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30s, 10m, 1h or 2d")
    value = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if value > MAX:
        raise argparse.ArgumentTypeError(f"{text!r} is longer than {MAX.days} days")
    return value
