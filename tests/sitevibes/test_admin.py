"""The admin CLI for rewards (moto): configure a reward, then see what it issued."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest

from coupons.core import account_items as accounts
from coupons.core import models
from coupons.core.errors import Unauthenticated
from coupons.core.models import DiscountKind
from coupons.sitevibes import rewards
from coupons_admin.__main__ import main
from tests.conftest import TABLE_NAME


def cli(*argv: str) -> int:
    return main(["--table", TABLE_NAME, *argv])


def redeem(table, reward, header, secret, email):
    return rewards.redeem(table, rewards.open_reward(table, reward, {header: secret}), email)


def test_add_a_reward_with_every_setting_then_redeem_it(table, capsys):
    assert cli("rewards", "add", "spring", "--header", "Authorization", "--secret", "Bearer t0ken",
               "--amount", "5.00", "--currency", "eur", "--uses", "3", "--expires-on", "2030-06-30",
               "--prefix", "spr", "--length", "6", "--alphabet", "ABCDEFGHJKLMNPQR", "--retry-window", "120") == 0
    assert "reward spring saved" in capsys.readouterr().out
    settings = rewards.RewardSettings.model_validate(accounts.get(table, "sitevibes", "spring").settings)
    assert (settings.discount.kind, settings.discount.value, settings.discount.currency) == (
        DiscountKind.FIXED, Decimal("5.00"), "EUR")
    assert (settings.max_uses, settings.expires_on, settings.retry_window_seconds) == (3, date(2030, 6, 30), 120)
    assert (settings.pattern.prefix, settings.pattern.length, settings.pattern.alphabet) == ("SPR", 6, "ABCDEFGHJKLMNPQR")
    code = redeem(table, "spring", "authorization", "Bearer t0ken", "ann@email.com").code
    assert code.startswith("SPR") and len(code) == 9


def test_defaults_are_single_use_and_no_retry_window(table):
    cli("rewards", "add", "plain", "--header", "X-Api-Key", "--secret", "k", "--percent", "15", "--valid-days", "30")
    settings = rewards.RewardSettings.model_validate(accounts.get(table, "sitevibes", "plain").settings)
    assert (settings.max_uses, settings.retry_window_seconds, settings.valid_days) == (1, 0, 30)


@pytest.mark.parametrize("given, seconds", [("30s", 30), ("30", 30), ("2m", 120), ("0", 0)])
def test_the_retry_window_is_an_opt_in_in_seconds_or_minutes(table, given, seconds):
    cli("rewards", "add", "w", "--header", "X-Api-Key", "--secret", "k", "--percent", "15", "--retry-window", given)
    settings = rewards.RewardSettings.model_validate(accounts.get(table, "sitevibes", "w").settings)
    assert settings.retry_window_seconds == seconds


def test_a_retry_window_that_is_not_a_duration_is_refused(table, capsys):
    assert main(["--table", table.name, "rewards", "add", "w", "--header", "X-Api-Key", "--secret", "k",
                 "--percent", "15", "--retry-window", "soon"]) == 1
    assert "--retry-window" in capsys.readouterr().err


def test_list_shows_each_reward_s_settings(table, capsys):
    cli("rewards", "add", "ten", "--header", "X-Api-Key", "--secret", "s3cret-key", "--percent", "10",
        "--valid-days", "30", "--prefix", "SV")
    cli("rewards", "add", "ship", "--header", "X-Api-Key", "--secret", "k", "--free-shipping", "--unlimited-uses")
    cli("rewards", "add", "thanks", "--header", "X-Api-Key", "--secret", "k", "--no-code")
    capsys.readouterr()
    cli("rewards", "list")
    out = capsys.readouterr().out
    lines = dict(line.split("\t", 1) for line in out.strip().splitlines())
    assert "10% off" in lines["ten"] and "single use" in lines["ten"] and "valid_days=30" in lines["ten"]
    assert "pattern=SV+8x" in lines["ten"]
    assert "free shipping" in lines["ship"] and "uses=unlimited" in lines["ship"]
    assert "no code" in lines["thanks"]
    assert "s3cret" not in out


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--percent", "10", "--prefix", "S-V"], "A-Z"),
        (["--amount", "5.00"], "--currency"),
        (["--percent", "10", "--expires-on", (date.today() - timedelta(days=2)).isoformat()], "past"),
        (["--percent", "10", "--length", "8", "--alphabet", "AB"], "fewer than"),
        (["--percent", "10", "--length", "3"], "length: Input should be greater than or equal to 4"),
        (["--percent", "101"], "at most 100"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_saved(table, capsys, argv, says):
    assert cli("rewards", "add", "bad", "--header", "X-Api-Key", "--secret", "k", *argv) == 1
    assert says in capsys.readouterr().err
    assert accounts.get(table, "sitevibes", "bad") is None


def test_rotate_secret_stops_the_old_one(table):
    cli("rewards", "add", "r1", "--header", "X-Api-Key", "--secret", "old", "--percent", "10")
    cli("rewards", "rotate-secret", "r1", "--header", "X-Secret", "--secret", "new")
    assert redeem(table, "r1", "x-secret", "new", "a@b.co").code
    with pytest.raises(Unauthenticated):
        rewards.open_reward(table, "r1", {"X-Secret": "old"})


def test_rotate_secret_with_a_grace_keeps_the_old_one_until_it_ends(table, monkeypatch):
    cli("rewards", "add", "r9", "--header", "X-Api-Key", "--secret", "old", "--percent", "10")
    cli("rewards", "rotate-secret", "r9", "--secret", "new", "--grace", "10m")
    assert rewards.open_reward(table, "r9", {"X-Api-Key": "old"}).id == "r9"  # SiteVibes switches at its pace
    assert rewards.open_reward(table, "r9", {"X-Api-Key": "new"}).id == "r9"
    later = models.utcnow() + timedelta(minutes=10, seconds=1)
    monkeypatch.setattr(models, "utcnow", lambda: later)
    with pytest.raises(Unauthenticated):
        rewards.open_reward(table, "r9", {"X-Api-Key": "old"})


def test_codes_export_and_redemptions_show_what_a_reward_issued(table, capsys, tmp_path):
    cli("rewards", "add", "r2", "--header", "X-Api-Key", "--secret", "k", "--percent", "10", "--prefix", "SV")
    cli("rewards", "add", "r3", "--header", "X-Api-Key", "--secret", "k", "--no-code")
    issued = {redeem(table, "r2", "X-Api-Key", "k", email).code for email in ("a@b.co", "c@d.co")}
    redeem(table, "r3", "X-Api-Key", "k", "e@f.co")
    capsys.readouterr()

    cli("rewards", "codes", "r2")
    assert {line.split("\t")[0] for line in capsys.readouterr().out.splitlines()} == issued

    out = tmp_path / "r2.csv"
    cli("rewards", "export", "r2", "-o", str(out))
    exported = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {row["code"] for row in exported} == issued
    assert {(row["partner"], row["account"], row["kind"], row["max_uses"]) for row in exported} == {
        ("sitevibes", "r2", "percent", "1")}
    assert {row["person"] for row in exported} == {"a@b.co", "c@d.co"}

    cli("rewards", "redemptions", "r3")
    assert capsys.readouterr().out.strip().split("\t")[1:] == ["e@f.co", "(no code)"]
