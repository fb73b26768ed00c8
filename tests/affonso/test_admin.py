"""``coupons-admin programmes ...`` against a (moto) table, as the brand's operator uses it."""

import csv
import io

import pytest

from coupons.affonso import affiliates, programmes
from coupons.core import account_items as accounts
from coupons.core import code_items
from coupons.core.credentials import verify_secret
from coupons.core.errors import Forbidden
from coupons.core.models import DiscountKind
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
        (["--blueprint-type", "percentage", "--blueprint-value", "10", "--currency", "EUR"], "flat blueprints only"),
    ],
)
def test_bad_blueprints_are_refused_with_a_message(table, capsys, argv, says):
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
