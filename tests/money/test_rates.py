"""Exchange rates: parsing the ECB file and CSV, deriving reverse and cross rates, storing all or nothing."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from coupons.core import rate_items, rates
from coupons.core.errors import InvalidRequest
from coupons_admin.__main__ import main

FIXTURE = Path(__file__).resolve().parents[2] / "localrun" / "fixtures" / "eurofxref-daily.xml"
DAY = date(2026, 12, 4)


def stored(table):
    return {(r.base, r.quote): (r.rate, r.rate_date, r.source) for r in rate_items.list_all(table)}


def test_the_ecb_file_gives_eur_based_rates_of_its_day():
    parsed = rates.parse_ecb_xml(FIXTURE.read_bytes())
    assert [(r.base, r.quote, r.rate, r.rate_date, r.source) for r in parsed][:2] == [
        ("EUR", "USD", Decimal("1.0832"), DAY, "ecb"), ("EUR", "JPY", Decimal("162.45"), DAY, "ecb")]


@pytest.mark.parametrize("broken", [
    FIXTURE.read_bytes()[:400],  # cut short
    FIXTURE.read_bytes().replace(b"rate='0.8456'", b"rate='0,8456'"),
    FIXTURE.read_bytes().replace(b"currency='SEK'", b"currency='XXX'"),
    FIXTURE.read_bytes().replace(b"time='2026-12-04'", b"time='04/12/2026'"),
    FIXTURE.read_bytes().replace(b"rate='162.45'", b"rate='-162.45'"),
    FIXTURE.read_bytes().replace(b"currency='SEK'", b"currency='USD'"),  # USD twice
    b"<html>maintenance</html>",
])
def test_a_bad_or_partial_file_is_refused_and_changes_nothing(demo_table, tmp_path, broken):
    rate_items.put_all(demo_table, [rates.new_rate("EUR", "USD", "1.07", "2026-12-01")])
    before = stored(demo_table)
    with pytest.raises(InvalidRequest):
        rates.parse_ecb_xml(broken)
    path = tmp_path / "rates.xml"
    path.write_bytes(broken)
    assert main(["--table", demo_table.name, "rates", "import", str(path)]) == 1
    assert stored(demo_table) == before


def test_import_stores_the_whole_file_and_never_goes_back_to_an_older_day(demo_table, tmp_path, capsys):
    assert main(["--table", demo_table.name, "rates", "import", str(FIXTURE)]) == 0
    assert stored(demo_table)[("EUR", "USD")] == (Decimal("1.0832"), DAY, "ecb")
    older = tmp_path / "old.csv"
    older.write_text("base,quote,rate,date\nEUR,GBP,0.9,2026-12-05\nEUR,USD,1.05,2026-11-30\n")
    assert main(["--table", demo_table.name, "rates", "import", str(older)]) == 1
    assert "newer EUR/USD rate" in capsys.readouterr().err
    assert stored(demo_table)[("EUR", "GBP")] == (Decimal("0.8456"), DAY, "ecb")  # the good row too: nothing


def test_csv_rows_are_checked_before_anything_is_stored(demo_table, tmp_path, capsys):
    path = tmp_path / "rates.csv"
    path.write_text("base,quote,rate,date\nEUR,USD,1.0832,2026-12-04\nUSD,JPY,1E3,2026-12-04\n")
    assert main(["--table", demo_table.name, "rates", "import", str(path)]) == 1
    assert "Line 3" in capsys.readouterr().err
    assert stored(demo_table) == {}


def test_set_list_and_the_derived_reverse_and_cross_rates(demo_table, capsys):
    assert main(["--table", demo_table.name, "rates", "set", "eur", "usd", "1.0832", "--date", "2026-12-04"]) == 0
    assert main(["--table", demo_table.name, "rates", "set", "EUR", "GBP", "0.8456", "--date", "2026-12-03"]) == 0
    reverse = rate_items.lookup(demo_table, "USD", "EUR")
    assert (reverse.rate, reverse.rate_date) == (Decimal("0.9231905465"), DAY)
    cross = rate_items.lookup(demo_table, "GBP", "USD")  # GBP -> EUR -> USD, dated by its older leg
    assert (cross.rate, cross.rate_date, len(cross.legs)) == (Decimal("1.280983917"), date(2026, 12, 3), 2)
    assert rate_items.lookup(demo_table, "USD", "SEK") is None
    capsys.readouterr()
    main(["--table", demo_table.name, "rates", "list"])
    assert capsys.readouterr().out.splitlines() == [
        "base\tquote\trate\tdate\tsource", "EUR\tGBP\t0.8456\t2026-12-03\tmanual", "EUR\tUSD\t1.0832\t2026-12-04\tmanual"]


@pytest.mark.parametrize("args", [["EUR", "EUR", "1"], ["EUR", "XYZ", "1.1"], ["EUR", "USD", "0"],
                                  ["EUR", "USD", "1,08"], ["EUR", "USD", "1.08", "--date", "2026-13-01"]])
def test_set_refuses_what_is_not_a_rate(demo_table, args):
    assert main(["--table", demo_table.name, "rates", "set", *args]) == 1
    assert stored(demo_table) == {}


def test_conversions_round_half_up_and_a_balance_pays_no_more_than_it_holds():
    usd_per_eur = rates.derive("EUR", "USD", [rates.new_rate("EUR", "USD", "1.0832", "2026-12-04")])
    assert usd_per_eur.to_base(Decimal("30.00")) == Decimal("27.70")  # 27.6957... half-up
    assert usd_per_eur.pays(Decimal("50.00")) == Decimal("54.16")
    assert usd_per_eur.to_base(usd_per_eur.pays(Decimal("0.01"))) <= Decimal("0.01")
    yen = rates.derive("EUR", "JPY", [rates.new_rate("EUR", "JPY", "162.45", "2026-12-04")])
    assert (yen.to_quote(Decimal("10.00")), yen.pays(Decimal("0.01"))) == (Decimal("1625"), Decimal("1"))
    assert usd_per_eur.older_than(date(2026, 12, 8), 4) is False
    assert usd_per_eur.older_than(date(2026, 12, 9), 4) is True


def test_refresh_fetches_the_ecb_file_from_the_stub_and_a_failing_source_changes_nothing(demo_table, stub, capsys):
    url = f"{stub.url}/ecb/eurofxref-daily.xml"
    assert main(["--table", demo_table.name, "rates", "refresh", "--url", url]) == 0
    assert stored(demo_table)[("EUR", "JPY")] == (Decimal("162.45"), DAY, "ecb")
    before = stored(demo_table)
    stub.fail_next(1)
    assert main(["--table", demo_table.name, "rates", "refresh", "--url", url]) == 1
    assert "503" in capsys.readouterr().err
    assert main(["--table", demo_table.name, "rates", "refresh", "--url", f"{stub.url}/not-rates.xml"]) == 1
    assert stored(demo_table) == before
