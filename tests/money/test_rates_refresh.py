"""The scheduled ECB refresh (functions/rates_refresh): its handler, invoked with its events/ sample
as Scheduler would, fetches the file from the partner stub and stores it whole, or fails and
changes nothing (a truncated download, a malformed rate, a source answering 5xx, no URL)."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from coupons.core import rate_items, rates
from coupons.core.errors import InvalidRequest, Unavailable
from localrun import partner_stub
from tests.conftest import FakeContext, _function, _modules, load_event, load_module
from tests.spine.test_least_privilege import RecordingClient, grants, unused

FIXTURES = Path(__file__).parent / "fixtures"
SERVED = {f"/ecb/{p.name}": p for p in FIXTURES.glob("*.xml")}  # the stub serves each at /ecb/<name>


@pytest.fixture
def refresh(demo_table, stub, monkeypatch):
    """``refresh(file)``: the handler fetching ``/ecb/<file>`` from the stub, on the moto table."""
    for path, file in SERVED.items():
        monkeypatch.setitem(partner_stub.SERVED_FILES, path, file)
    if "RatesRefreshFunction" not in _modules:
        f = _function("RatesRefreshFunction")
        _modules[f.name] = load_module(f.code_dir, f.handler, f.name)
    module = _modules["RatesRefreshFunction"]
    monkeypatch.setattr(module, "table", demo_table)

    def run(file: str, table=demo_table) -> dict:
        monkeypatch.setattr(module, "url", f"{stub.url}/ecb/{file}" if file else "")
        monkeypatch.setattr(module, "table", table)
        return module.lambda_handler(load_event("rates_refresh", "scheduled"), FakeContext())

    return run


def stored(table):
    return {(r.base, r.quote): (r.rate, r.rate_date, r.source) for r in rate_items.list_all(table)}


def test_the_schedule_stores_the_ecb_file_whole(refresh, demo_table):
    assert refresh("eurofxref-daily.xml") == {"stored": 5, "rate_date": "2026-12-03"}
    found = stored(demo_table)
    assert found[("EUR", "NOK")] == (Decimal("11.6830"), date(2026, 12, 3), "ecb")
    assert {q for b, q in found} == {"USD", "JPY", "GBP", "CHF", "NOK"}
    assert refresh("eurofxref-daily.xml")["stored"] == 5  # the same day again (a retry): the same rates


@pytest.mark.parametrize(("file", "refused"), [
    ("eurofxref-daily-partial.xml", InvalidRequest),  # the download cut short after two currencies
    ("eurofxref-daily-bad-rate.xml", InvalidRequest),  # '0,8431': one bad rate refuses all five
    ("no-such-file.xml", InvalidRequest),  # the stub answers 200 with JSON: not the ECB's XML
    ("", InvalidRequest),  # RatesRefreshUrl empty: nothing to fetch
])
def test_a_bad_or_partial_file_fails_the_invocation_and_changes_nothing(refresh, demo_table, file, refused):
    refresh("eurofxref-daily.xml")
    before = stored(demo_table)
    with pytest.raises(refused):
        refresh(file)
    assert stored(demo_table) == before


def test_a_source_answering_5xx_fails_the_invocation_for_a_retry_and_changes_nothing(refresh, demo_table, stub):
    stub.fail_next(1)
    with pytest.raises(Unavailable, match="HTTP 503"):
        refresh("eurofxref-daily.xml")
    assert stored(demo_table) == {}
    assert refresh("eurofxref-daily.xml")["stored"] == 5  # Lambda's retry, the source back


def test_its_policy_is_exactly_what_a_refresh_needs(refresh, demo_table):
    """Recorded over a refresh and a refused older file: PutItem and GetItem (a refused Put hands its
    item back) on RATE# only. It can read no code, key or account."""
    recorder = RecordingClient(demo_table.client)
    recording = type(demo_table)(demo_table.name, recorder)
    refresh("eurofxref-daily.xml", recording)
    rate_items.put_all(demo_table, [rates.new_rate("EUR", "USD", "1.0900", date(2026, 12, 4))])
    with pytest.raises(InvalidRequest, match="newer"):
        refresh("eurofxref-daily.xml", recording)  # the 3rd's file after the 4th's rate: refused whole
    allowed = grants("RatesRefreshFunction")
    refused = sorted({f"{a.action} {a.partition}" for a in recorder.seen if not any(g.allows(a) for g in allowed)})
    assert (refused, unused(allowed, recorder.seen)) == ([], [])
