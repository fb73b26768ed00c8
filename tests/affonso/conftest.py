"""Fixtures for the Affonso tests: a programme opened with its API key, and affiliates' sessions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from coupons.affonso import affiliates, programmes
from coupons.affonso.affiliates import PartnerProfile, Session
from coupons.core.table import Table
from localrun.demo import affonso as affonso_demo


def issue(table: Table, email: str, programme: str = "demo", now: datetime | None = None, **profile) -> str:
    """A fresh embed token for ``email``, asked for with the programme's demo API key."""
    opened = programmes.open_programme(table, programme, "demo-key")
    return affiliates.issue_token(table, opened, PartnerProfile(email=email, **profile), now=now).token


@pytest.fixture
def affonso_table(table: Table) -> Table:
    """A moto table with only the Affonso demo configuration: faster than ``demo_table``, which
    seeds every contract's demo, and the same programmes, tokens and coupon."""
    affonso_demo.seed(table)
    return table


@pytest.fixture
def session(affonso_table: Table) -> Callable[..., Session]:
    """``session("ann@example.com")`` -> the session a new embed token opens for that affiliate."""

    def open_for(email: str, programme: str = "demo") -> Session:
        return affiliates.open_session(affonso_table, issue(affonso_table, email, programme))

    return open_for
