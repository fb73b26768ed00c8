"""What the guard does per partner account (``coupons-admin guard set``), overridable per code.

``mode``: ``off`` (counted, never acted on), ``flag`` (the signed webhook ``code.leak_suspected``)
or ``pause`` (also refuse new redemptions of the code: reason ``paused``, and ``code.paused``).
An account without a policy is guarded in ``DEFAULT_MODE`` with the default thresholds.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from coupons.core.errors import InvalidRequest
from coupons.guard.signals import Thresholds

MODES = ("off", "flag", "pause")
DEFAULT_MODE = "flag"  # telling the brand costs nothing; refusing customers is the brand's choice


class Policy:
    def __init__(self, mode: str = DEFAULT_MODE, thresholds: Thresholds | None = None, source: str = "default"):
        if mode not in MODES:
            raise InvalidRequest(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.mode, self.thresholds, self.source = mode, thresholds or Thresholds(), source

    def to_item(self) -> dict[str, Any]:
        return {"mode": self.mode, "thresholds": {k: str(v) for k, v in asdict(self.thresholds).items()}}

    @classmethod
    def from_item(cls, item: dict[str, Any], source: str) -> Policy:
        given = item.get("thresholds") or {}
        kinds = {f.name: f.type for f in fields(Thresholds)}
        values: dict[str, Any] = {name: (int if kinds[name] == "int" else float)(str(given[name]))
                                  for name in kinds if name in given}
        return cls(str(item.get("mode", DEFAULT_MODE)), Thresholds(**values), source)

    def with_changes(self, mode: str | None = None, **thresholds: Any) -> Policy:
        current = asdict(self.thresholds)
        current.update({k: v for k, v in thresholds.items() if v is not None})
        policy = Policy(mode or self.mode, Thresholds(**current), self.source)
        validate(policy.thresholds)
        return policy

    def describe(self) -> dict[str, Any]:
        return {"mode": self.mode, "source": self.source, **asdict(self.thresholds)}


def validate(t: Thresholds) -> None:
    problems = []
    if not 1 <= t.window_days <= 28:
        problems.append("window-days must be 1 to 28")
    if t.min_excess < 1 or t.z < 0 or t.velocity <= 0 or t.min_redemptions < 1:
        problems.append("min-excess and min-redemptions must be at least 1, z at least 0, velocity above 0")
    if not 0 <= t.min_spread <= 1:
        problems.append("min-spread must be 0 to 1")
    if not 0 < t.new_share <= 1:
        problems.append("new-share must be above 0 and at most 1")
    if problems:
        raise InvalidRequest("; ".join(problems))
