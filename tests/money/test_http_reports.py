"""GET /checkout/reports/gift-cards over HTTP on DynamoDB Local: cards made by Brandbassador's route,
spent, refunded, rolled back and expired through the checkout's routes; every column equals what
``coupons-admin reports gift-cards`` computes from the same table. NOK and DKK cards: no other test
of the shared local stack uses those currencies."""

import csv
import io
from datetime import timedelta

import pytest

from coupons.core import rate_items, rates
from coupons.core.models import utcnow
from coupons_admin.reports import gift_cards

pytestmark = pytest.mark.local_stack

AUTH = {"Authorization": "Bearer demo-key"}
NOK_CART = {"subtotal": "1000.00", "shipping": "49.00", "currency": "NOK"}
REPORT = "/checkout/reports/gift-cards"


def card(stack, code, amount, currency, **extra):
    query = {"code": code, "amount": amount, "currency": currency, "auth_key": "demo-key", **extra}
    answer = stack.get("/brandbassador/webshops/demo/codes", params=query)
    assert answer.json() == {"status": "success"}, answer.text


def redeem(stack, code, order, amount):
    answer = stack.post("/checkout/redemptions", headers=AUTH,
                        json={"code": code, "order_id": order, "amount": amount, "cart": NOK_CART})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_every_column_over_http_equals_the_clis_figures(local_stack):
    today = utcnow().date()
    rate_items.put_all(local_stack.table, [rates.new_rate("DKK", "NOK", "1.5625", today)])
    card(local_stack, "LIABNOK1", "1000.00", "NOK")
    card(local_stack, "LIABNOK2", "500.00", "NOK", expire=today.isoformat())  # breakage from tomorrow
    card(local_stack, "LIABDKK", "300.00", "DKK")
    first = redeem(local_stack, "LIABNOK1", "LIAB-1", "200.00")
    refund = local_stack.post(f"/checkout/redemptions/{first['id']}/refunds", headers=AUTH,
                              json={"refund_id": "LIAB-RMA", "amount": "104.90"})  # a tenth of the order
    assert refund.json()["gift_card_amount"] == "20.00"
    redeem(local_stack, "LIABNOK2", "LIAB-2", "100.00")
    foreign = redeem(local_stack, "LIABDKK", "LIAB-3", "156.25")  # 100.00 DKK at 1.5625 NOK per DKK
    assert foreign["gift_card_debit"]["amount"] == "100.00"
    assert local_stack.post(f"/checkout/redemptions/{foreign['id']}/rollback", headers=AUTH).status_code == 200

    for day in (today - timedelta(days=1), today, today + timedelta(days=2)):
        answer = local_stack.get(REPORT, headers=AUTH, params={"as_of": day.isoformat()})
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"as_of": day.isoformat(), "currencies": gift_cards(local_stack.table, day)}
    rows = {r["currency"]: r for r in local_stack.get(REPORT, headers=AUTH).json()["currencies"]}
    assert rows["NOK"] == {"currency": "NOK", "cards": 2, "issued": "1500.00", "spent": "300.00",
                           "refunded": "20.00", "expired": "0.00", "outstanding": "1220.00"}
    assert rows["DKK"] == {"currency": "DKK", "cards": 1, "issued": "300.00", "spent": "100.00",
                           "refunded": "100.00", "expired": "0.00", "outstanding": "300.00"}
    later = (today + timedelta(days=2)).isoformat()
    after = {r["currency"]: r for r in local_stack.get(REPORT, headers=AUTH, params={"as_of": later}).json()["currencies"]}
    assert (after["NOK"]["expired"], after["NOK"]["outstanding"]) == ("400.00", "820.00")  # LIABNOK2's 400.00

    sheet = local_stack.get(REPORT, headers=AUTH, params={"as_of": later, "format": "csv"})
    assert sheet.headers["content-type"].startswith("text/csv")
    assert list(csv.DictReader(io.StringIO(sheet.text))) == [
        {k: str(v) for k, v in row.items()} for row in gift_cards(local_stack.table, today + timedelta(days=2))]


def test_the_report_refuses_in_the_checkouts_format(local_stack):
    without = local_stack.get(REPORT, params={"as_of": "yesterday"})
    assert (without.status_code, without.json()["error"]["code"]) == (401, "unauthenticated")  # the key first
    for query, message in ((["as_of", "2026-02-30"], "not a day of the calendar"), (["format", "xlsx"], "json, csv"),
                           (["asof", "2026-12-01"], "unknown query parameter 'asof'")):  # a typo is not today's report
        answer = local_stack.get(REPORT, headers=AUTH, params=dict([query]))
        assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_request")
        assert message in answer.json()["error"]["message"]
