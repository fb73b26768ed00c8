"""``coupons-admin guard ...`` and ``codes pause | unpause`` as an operator uses them."""

from __future__ import annotations

from datetime import timedelta

from coupons.checkout import redemptions
from coupons.checkout.rules import CodeRefused
from coupons.core import code_items
from coupons.core.models import utcnow
from coupons.core.sales import Customer
from coupons.guard import detector
from coupons_admin.__main__ import main
from tests.checkout.conftest import AUTH, add_code
from tests.guard.test_detector import CART, SITEVIBES, sale


def cli(table, capsys, *argv: str) -> str:
    capsys.readouterr()
    assert main(["--table", table.name, *argv]) == 0
    return capsys.readouterr().out


def test_set_and_show_an_account_policy_and_a_code_override(table, capsys):
    assert "mode\tflag\nsource\tdefault" in cli(table, capsys, "guard", "show", "sitevibes", "spring")
    out = cli(table, capsys, "guard", "set", "sitevibes", "spring", "--mode", "pause", "--min-excess", "8")
    assert "mode pause" in out and "min_excess 8.0" in out
    shown = cli(table, capsys, "guard", "show", "sitevibes", "spring")
    assert "mode\tpause\nsource\taccount" in shown and "min_excess\t8.0" in shown and "z\t3.5" in shown
    cli(table, capsys, "guard", "set", "sitevibes", "spring", "--code", "jane15", "--mode", "flag")
    code = cli(table, capsys, "guard", "show", "sitevibes", "spring", "--code", "JANE15")
    assert "mode\tflag\nsource\tcode" in code and "min_excess\t8.0" in code  # starts from the account's


def test_bad_thresholds_are_refused_with_a_message(table, capsys):
    assert main(["--table", table.name, "guard", "set", "sitevibes", "spring", "--new-share", "1.5"]) == 1
    assert "new-share" in capsys.readouterr().err


def test_report_pause_and_unpause(demo_table, capsys):
    add_code(demo_table, "JANE15", owner=SITEVIBES)
    cli(demo_table, capsys, "guard", "set", "sitevibes", "spring", "--mode", "pause")
    now = utcnow()
    for i in range(25):  # redeemed through the checkout (discount 10.00 each), judged as the sender would
        done = redemptions.redeem(demo_table, AUTH, "JANE15", f"l-{i}", CART, Customer(new=True))
        detector.observe(demo_table, sale("JANE15", f"l-{i}", done.redemption.created_at, None, True))
        if code_items.get(demo_table, "JANE15").paused_at:
            break
    lines = cli(demo_table, capsys, "guard", "report").splitlines()
    row = dict(zip(lines[0].split("\t"), lines[1].split("\t"), strict=True))
    assert (row["code"], row["pause_signal"], row["paused_now"]) == ("JANE15", "no_ref", "yes")
    assert row["discount_since"].endswith(" EUR") and int(row["redemptions_since"]) >= 1
    try:
        redemptions.redeem(demo_table, AUTH, "JANE15", "after", CART, Customer())
        raise AssertionError("a paused code was redeemed")
    except CodeRefused as refused:
        assert refused.reason.value == "paused"
    assert "JANE15 unpaused" in cli(demo_table, capsys, "codes", "unpause", "jane15")
    assert "already unpaused" in cli(demo_table, capsys, "codes", "unpause", "jane15")
    assert redemptions.redeem(demo_table, AUTH, "JANE15", "after", CART, Customer()).replayed is False
    # the guard does not pause it again on the same evidence
    detector.observe(demo_table, sale("JANE15", "later", now + timedelta(minutes=1), None, True))
    assert code_items.get(demo_table, "JANE15").paused_at is None
    assert "JANE15 paused" in cli(demo_table, capsys, "codes", "pause", "JANE15")
    assert "released_at" in cli(demo_table, capsys, "guard", "report").splitlines()[0]


def test_guard_webhook_must_be_https(table, capsys):
    assert main(["--table", table.name, "guard", "set-webhook", "--url", "http://example.com/x"]) == 1
    assert "https://" in capsys.readouterr().err
    assert "shown once" in cli(table, capsys, "guard", "set-webhook", "--url", "https://example.com/guard")
