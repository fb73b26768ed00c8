"""The functions' environment (template.yaml's variables), read once at init into one typed object
instead of ``os.environ`` lookups here and there. POWERTOOLS_* are Powertools' own, and LOG_MASK_SECRET_ARN
is read by observability, which every process (the admin CLI too) imports before any settings exist."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from coupons.core.partners import PARTNERS

TABLE_ENV = "COUPONS_TABLE"


@dataclass(frozen=True)
class Settings:
    table: str  # COUPONS_TABLE: the one table
    sales_queue_url: str = ""  # SALES_QUEUE_URL (the sender; empty locally, where there is no queue)
    delivery_timeout_seconds: float | None = None  # DELIVERY_TIMEOUT_SECONDS (the sender)
    delivery_max_attempts: int | None = None  # DELIVERY_MAX_ATTEMPTS
    delivery_backoff_seconds: float | None = None  # DELIVERY_BACKOFF_SECONDS
    # Each partner's reporter URL variable (coupons.core.partners) that is set, by variable name.
    partner_urls: Mapping[str, str] = field(default_factory=dict)
    # EMBED_ALLOWED_ORIGINS (Affonso): origins of the brand's pages whose browsers may call the embed routes.
    embed_allowed_origins: tuple[str, ...] = ()
    # RATES_REFRESH_URL (the scheduled ECB refresh): the daily reference-rate XML; empty: none configured.
    rates_refresh_url: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        def number(name: str, kind: type) -> float | int | None:
            return kind(env[name]) if env.get(name) else None

        return cls(
            table=env[TABLE_ENV],
            sales_queue_url=env.get("SALES_QUEUE_URL", ""),
            delivery_timeout_seconds=number("DELIVERY_TIMEOUT_SECONDS", float),
            delivery_max_attempts=number("DELIVERY_MAX_ATTEMPTS", int),  # type: ignore[arg-type]
            delivery_backoff_seconds=number("DELIVERY_BACKOFF_SECONDS", float),
            partner_urls={p.reporter_url_env: env[p.reporter_url_env] for p in PARTNERS
                          if p.reporter_url_env and env.get(p.reporter_url_env)},
            embed_allowed_origins=tuple(o.strip() for o in env.get("EMBED_ALLOWED_ORIGINS", "").split(",") if o.strip()),
            rates_refresh_url=env.get("RATES_REFRESH_URL", ""),
        )
