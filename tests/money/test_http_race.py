"""Foreign-currency gift-card spends over HTTP on DynamoDB Local: parallel spends never overdraw
the card in its own currency. CHF cards on USD carts: no other test of the shared local stack
uses that pair."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from coupons.core import card_items, code_items, rate_items, rates
from coupons.core.models import utcnow
from tests.checkout.conftest import add_code

pytestmark = pytest.mark.local_stack

AUTH = {"Authorization": "Bearer demo-key"}
USD_CART = {"subtotal": "100.00", "shipping": "4.90", "currency": "USD"}


def parallel(count, call):
    with ThreadPoolExecutor(max_workers=min(count, 16)) as pool:
        return list(pool.map(call, range(count)))


def test_100_parallel_foreign_spends_on_a_chf_card_never_overdraw(local_stack):
    rate_items.put_all(local_stack.table, [rates.new_rate("CHF", "USD", "1.0832", utcnow().date())])
    add_code(local_stack.table, "RACECHF", kind="gift_card", value="500.00", currency="CHF")
    # 10.83 USD at 1.0832 USD per CHF = 9.998 CHF, debited 10.00 CHF: exactly 50 fit in 500.00 CHF
    answers = parallel(100, lambda i: local_stack.post("/checkout/redemptions", headers=AUTH, json={
        "code": "RACECHF", "order_id": f"FX-{i}", "amount": "10.83", "cart": USD_CART}))
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 50, 422: 50}, statuses
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 422} == {"insufficient_balance"}
    debits = {a.json()["gift_card_debit"]["amount"] for a in answers if a.status_code == 201}
    assert debits == {"10.00"}
    assert code_items.get(local_stack.table, "RACECHF", consistent=True).balance == 0
    card = local_stack.get("/checkout/gift-cards/racechf", headers=AUTH).json()
    assert (card["balance"], card["currency"]) == ("0.00", "CHF")
    assert sum(1 for h in card["history"] if h["state"] == "redeemed") == 50
    # The card's code-free ledger (the liability report's source) agrees: 50 debits of 10.00 CHF.
    ref = code_items.get(local_stack.table, "RACECHF", consistent=True).card_ref
    ledger = list(local_stack.table.query_all(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :ref)", ConsistentRead=True,
        ExpressionAttributeValues=local_stack.table.values({":pk": card_items.partition(ref), ":ref": ref})))
    moves = [i for i in ledger if i["sk"] != ref]
    assert [i["issued"] for i in ledger if i["sk"] == ref] == [Decimal("500.00")]
    assert (len(moves), {m["kind"] for m in moves}, sum(m["amount"] for m in moves)) == (
        50, {card_items.DEBIT}, Decimal("500.00"))
