"""Admin CLI inputs that would make deliveries unsafe, and events stuck before the queue."""

import time

import pytest

from coupons.core import outbox
from coupons_admin.__main__ import main as admin
from tests.checkout.conftest import add_code
from tests.checkout.test_domain import redeem


@pytest.mark.parametrize("url", ["http://partner.example/hook", "ftp://partner.example/x", "partner.example/hook",
                                 "javascript:alert(1)"])
def test_a_webhook_url_that_is_not_https_is_refused(demo_table, url):
    assert admin(["--table", demo_table.name, "checkout", "set-webhook", "sitevibes", "--url", url]) == 1


def test_https_and_the_local_stub_are_accepted(demo_table):
    for url in ("https://partner.example/hook", "http://127.0.0.1:3100/hook"):
        assert admin(["--table", demo_table.name, "checkout", "set-webhook", "affonso", "--url", url]) == 0


def test_a_pending_event_stuck_before_the_queue_is_redriven_but_not_one_held_by_a_sender(demo_table, capsys):
    add_code(demo_table, "STUCK10")
    stuck = f"OUTBOX#{redeem(demo_table, 'STUCK10').redemption.id}#sale"
    add_code(demo_table, "HELD10")
    held = f"OUTBOX#{redeem(demo_table, 'HELD10').redemption.id}#sale"
    outbox.claim(demo_table, held, time.time(), lease_seconds=60)  # a sender is on it right now
    assert admin(["--table", demo_table.name, "checkout", "redrive", "--state", "pending", stuck, held]) == 0
    out = capsys.readouterr().out
    assert f"{stuck}\tqueued again" in out and f"{held}\tnot pending, left alone" in out
