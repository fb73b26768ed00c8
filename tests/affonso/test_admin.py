"""``coupons-admin programmes ...`` against a (moto) table, as the brand's operator uses it."""

import csv
import io
from decimal import Decimal

import pytest

from coupons.affonso import affiliates, programmes
from coupons.core import account_items as accounts
from coupons.core import code_items
from coupons.core.credentials import verify_secret
from coupons.core.errors import Forbidden
from coupons.core.models import DiscountKind
from coupons_admin import programmes as admin_programmes
from coupons_admin.__main__ import main
from tests.affonso.conftest import issue


def cli(table, capsys, *argv: str) -> str:
    capsys.readouterr()
    assert main(["--table", table.name, *argv]) == 0
    return capsys.readouterr().out


def test_add_a_programme_with_a_flat_blueprint_then_switch_self_service_on(table, capsys):
    cli(table, capsys, "programmes", "add", "spring", "--name", "Spring", "--api-key", "k1",
        "--blueprint-type", "flat", "--blueprint-value", "7.50", "--currency", "eur")
    stored = accounts.get(table, "affonso", "spring")
    assert verify_secret("k1", stored.secret_hash) and "k1" not in stored.secret_hash
    spring = programmes.open_programme(table, "spring", "k1")
    assert spring.settings.blueprint.kind is DiscountKind.FIXED and spring.settings.blueprint.currency == "EUR"
    assert spring.settings.coupon_blueprint is None  # self-service defaults to off

    cli(table, capsys, "programmes", "update", "spring", "--self-service", "on")
    assert programmes.open_programme(table, "spring", "k1").settings.coupon_blueprint.value == 7.5
    assert "spring\t'Spring', blueprint 7.50 EUR flat, self-service on" in cli(table, capsys, "programmes", "list")

    cli(table, capsys, "programmes", "update", "spring", "--no-blueprint")
    assert programmes.open_programme(table, "spring", "k1").settings.coupon_blueprint is None


def test_rotate_key(table, capsys):
    cli(table, capsys, "programmes", "add", "p", "--name", "P", "--api-key", "old")
    cli(table, capsys, "programmes", "rotate-key", "p", "--api-key", "new")
    assert programmes.open_programme(table, "p", "new").id == "p"
    with pytest.raises(Forbidden):
        programmes.open_programme(table, "p", "old")


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--blueprint-type", "flat", "--blueprint-value", "5"], "--currency"),
        (["--blueprint-type", "percentage", "--blueprint-value", "120"], "at most 100"),
        (["--blueprint-type", "percentage", "--blueprint-value", "ten"], "not a number"),
        (["--reward-type", "flat", "--reward-amount", "5"], "--currency"),
        (["--reward-type", "percentage", "--reward-amount", "150"], "at most 100"),
        (["--primary-color", "red"], "#881337"),
        (["--portal-url", "javascript:alert(1)"], "not an http(s) URL"),
    ],
)
def test_bad_settings_are_refused_with_a_message(table, capsys, argv, says):
    assert main(["--table", table.name, "programmes", "add", "p", "--name", "P", "--api-key", "k", *argv]) == 1
    assert says in capsys.readouterr().err


def test_export_lists_affiliates_coupons_and_disable_records_who(affonso_table, capsys):
    ann = affiliates.open_session(affonso_table, issue(affonso_table, "ann@example.com", name="Ann"))
    affiliates.create_coupon(affonso_table, ann, "ANN20")
    issue(affonso_table, "nocoupon@example.com")

    rows = list(csv.DictReader(io.StringIO(cli(affonso_table, capsys, "programmes", "export", "demo"))))
    assert {r["email"]: (r["code"], r["discount_type"], r["discount_value"], r["status"]) for r in rows} == {
        "ann@example.com": ("ANN20", "percentage", "20", "active"),
        "sam@example.com": ("SAMSAVES", "percentage", "20", "active"),
    }
    everyone = list(csv.DictReader(io.StringIO(cli(affonso_table, capsys, "programmes", "export", "demo", "--all"))))
    assert "nocoupon@example.com" in {r["email"] for r in everyone}

    assert "ANN20 disabled by ops" in cli(affonso_table, capsys, "programmes", "disable", "ann20", "--by", "ops")
    assert code_items.get(affonso_table, "ANN20").status == "disabled"
    listed = cli(affonso_table, capsys, "programmes", "coupons", "demo")
    assert "ann@example.com\tAnn\t" in listed and "\tdisabled" in listed
    assert main(["--table", affonso_table.name, "programmes", "disable", "NOPE"]) == 1


def test_portal_settings_rewards_incentives_and_creatives_are_stored_as_the_portal_shows_them(table, capsys):
    cli(table, capsys, "programmes", "add", "p", "--name", "P", "--api-key", "k", "--currency", "eur",
        "--blueprint-type", "percentage", "--blueprint-value", "15", "--self-service", "on",
        "--website-url", "https://shop.example", "--portal-url", "https://shop.example/partners",
        "--logo-url", "https://shop.example/logo.png", "--primary-color", "#1D4ED8",
        "--reward-type", "percentage", "--reward-amount", "12.5", "--reward-recurring", "on",
        "--reward-duration", "12 months", "--incentive", "Launch bonus: 50 EUR at 10 sales", "--incentive", "Swag")
    saved = programmes.open_programme(table, "p", "k").settings
    assert (saved.currency, saved.portal_url, saved.logo_url, saved.theme.primary_color) == (
        "EUR", "https://shop.example/partners", "https://shop.example/logo.png", "#1d4ed8")
    assert (saved.rewards.type.value, saved.rewards.amount, saved.rewards.recurring, saved.rewards.duration) == (
        "percentage", 12.5, True, "12 months")
    assert [(i.name, i.description) for i in saved.incentives] == [("Launch bonus", "50 EUR at 10 sales"), ("Swag", None)]

    added = cli(table, capsys, "programmes", "creative-add", "p", "--name", "Banner", "--url",
                "https://cdn.example/b.png", "--category", "banners", "--width", "300", "--height", "250")
    creative_id = added.split()[1]
    assert [c.id for c in programmes.open_programme(table, "p", "k").settings.creatives] == [creative_id]

    cli(table, capsys, "programmes", "update", "p", "--no-rewards", "--no-incentives", "--primary-color", "")
    saved = programmes.open_programme(table, "p", "k").settings
    assert saved.rewards is None and saved.incentives == [] and saved.theme.primary_color is None
    assert saved.creatives and saved.blueprint.value == 15  # untouched by the update
    cli(table, capsys, "programmes", "creative-remove", "p", creative_id)
    assert programmes.open_programme(table, "p", "k").settings.creatives == []
    assert main(["--table", table.name, "programmes", "creative-remove", "p", creative_id]) == 1


def test_daily_limits_are_set_shown_and_removed(table, capsys):
    cli(table, capsys, "programmes", "add", "lim", "--name", "L", "--api-key", "k", "--blueprint-type", "flat",
        "--blueprint-value", "7.50", "--currency", "EUR", "--self-service", "on",
        "--daily-coupons", "200", "--daily-flat-value", "1500.00")
    saved = programmes.open_programme(table, "lim", "k").settings
    assert (saved.daily_coupons, saved.daily_flat_value) == (200, Decimal("1500.00"))
    assert "daily limit 200 coupons and 1500.00 of flat coupons" in cli(table, capsys, "programmes", "list")

    cli(table, capsys, "programmes", "update", "lim", "--daily-coupons", "50")
    saved = programmes.open_programme(table, "lim", "k").settings
    assert (saved.daily_coupons, saved.daily_flat_value) == (50, Decimal("1500.00"))  # the other one kept
    cli(table, capsys, "programmes", "update", "lim", "--no-daily-limits")
    assert "lim\t'L', blueprint 7.50 EUR flat, self-service on, no daily limit" in cli(table, capsys, "programmes", "list")


@pytest.mark.parametrize("argv, says", [
    (["--daily-coupons", "0"], "0 is not between 1 and 1,000,000"),
    (["--daily-coupons", "1000001"], "is not between 1 and 1,000,000"),
    (["--daily-coupons", "lots"], "'lots' is not a whole number"),
])
def test_daily_coupons_outside_its_bounds_is_refused_before_anything_is_stored(table, capsys, argv, says):
    with pytest.raises(SystemExit) as exit_:
        main(["--table", table.name, "programmes", "add", "p", "--name", "P", "--api-key", "k", *argv])
    assert exit_.value.code == 2 and says in capsys.readouterr().err
    assert accounts.get(table, "affonso", "p") is None


@pytest.mark.parametrize("argv, says", [
    (["--daily-flat-value", "ten"], "is not a number"),
    (["--daily-flat-value", "-5"], "must not be negative"),
    (["--daily-flat-value", "1.005"], "at most 2"),
    (["--daily-flat-value", "1000000000"], "--daily-flat-value"),
    (["--blueprint-type", "flat", "--blueprint-value", "20", "--currency", "EUR", "--daily-flat-value", "19.99"],
     "less than one coupon's 20"),
])
def test_bad_daily_flat_values_are_refused_with_a_message(table, capsys, argv, says):
    assert main(["--table", table.name, "programmes", "add", "p", "--name", "P", "--api-key", "k", *argv]) == 1
    assert says in capsys.readouterr().err
    assert accounts.get(table, "affonso", "p") is None


def test_an_update_racing_a_key_rotation_fails_loudly_and_the_rotation_stays(table, capsys, monkeypatch):
    cli(table, capsys, "programmes", "add", "p", "--name", "Before", "--api-key", "old-key")
    read = admin_programmes._settings

    def read_then_rotated_elsewhere(table_, programme_id):
        found = read(table_, programme_id)
        # Meanwhile, another operator rotates the key (no grace): the update's copy is now stale.
        assert main(["--table", table.name, "programmes", "rotate-key", "p", "--api-key", "new-key"]) == 0
        return found

    monkeypatch.setattr(admin_programmes, "_settings", read_then_rotated_elsewhere)
    capsys.readouterr()
    assert main(["--table", table.name, "programmes", "update", "p", "--name", "After"]) == 1
    said = capsys.readouterr().err
    assert "was changed by someone else" in said and "nothing was written" in said and "Run the command again" in said
    assert programmes.open_programme(table, "p", "new-key").settings.name == "Before"  # nothing of the edit...
    with pytest.raises(Forbidden):  # ...and the rotation is not undone: the old key stays retired
        programmes.open_programme(table, "p", "old-key")
    monkeypatch.undo()
    cli(table, capsys, "programmes", "update", "p", "--name", "After")  # run again: it works
    assert programmes.open_programme(table, "p", "new-key").settings.name == "After"


def test_two_edits_from_the_same_read_the_second_fails(table, capsys, monkeypatch):
    cli(table, capsys, "programmes", "add", "p", "--name", "P", "--api-key", "k")
    read = admin_programmes._settings

    def another_edit_lands_first(table_, programme_id):
        found = read(table_, programme_id)
        monkeypatch.setattr(admin_programmes, "_settings", read)
        cli(table, capsys, "programmes", "creative-add", "p", "--name", "Banner", "--url", "https://cdn.example/b.png")
        return found

    monkeypatch.setattr(admin_programmes, "_settings", another_edit_lands_first)
    assert main(["--table", table.name, "programmes", "update", "p", "--primary-color", "#112233"]) == 1
    saved = programmes.open_programme(table, "p", "k").settings
    assert [c.name for c in saved.creatives] == ["Banner"] and saved.theme.primary_color is None
