"""The admin CLI against a (moto) table, as an operator would use it."""

import csv
import io

import pytest

from coupons.brandbassador.webshops import open_webshop
from coupons.core import account_items as accounts
from coupons.core.credentials import verify_secret
from coupons.core.errors import Forbidden
from coupons_admin.__main__ import main


def cli(table, capsys, *argv: str) -> str:
    capsys.readouterr()  # drop what came before (handlers' logs)
    assert main(["--table", table.name, *argv]) == 0
    return capsys.readouterr().out


def test_webshop_add_list_and_rotate_key(table, capsys):
    cli(table, capsys, "webshops", "add", "shop1", "--key", "k-old", "--currency", "sek", "--uses-per-code", "1")
    assert "shop1\tSEK" in cli(table, capsys, "webshops", "list")
    stored = accounts.get(table, "brandbassador", "shop1")
    assert verify_secret("k-old", stored.secret_hash) and "k-old" not in stored.secret_hash

    cli(table, capsys, "webshops", "rotate-key", "shop1", "--key", "k-new")
    assert open_webshop(table, "shop1", "k-new").settings.base_currency == "SEK"
    with pytest.raises(Forbidden):
        open_webshop(table, "shop1", "k-old")


def test_bad_currency_is_refused_with_a_message(table, capsys):
    assert main(["--table", table.name, "webshops", "add", "x", "--key", "k", "--currency", "EURO"]) == 1
    assert "ISO 4217" in capsys.readouterr().err


def test_codes_export_as_csv(demo_table, handler, capsys):
    from localrun.demo.brandbassador import SAMPLE_ROUTE, SAMPLES
    from localrun.samples import sample_event

    invoke = handler("BrandbassadorFunction")
    assert invoke(sample_event(SAMPLE_ROUTE, SAMPLES["percent-code"]))["statusCode"] == 200
    assert invoke(sample_event(SAMPLE_ROUTE, SAMPLES["gift-card"]))["statusCode"] == 200
    rows = list(csv.DictReader(io.StringIO(cli(demo_table, capsys, "codes", "export", "brandbassador", "demo"))))
    assert {r["code"]: (r["kind"], r["value"], r["person"]) for r in rows} == {
        "JOHN20": ("percent", "20", "john"),
        "GIFT100": ("gift_card", "100.00", "john"),
    }
