"""Webshop codes through the domain and the DynamoDB store (moto)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from coupons.brandbassador import webshops, wire
from coupons.brandbassador.webshops import WebshopSettings
from coupons.core import code_items
from coupons.core.errors import CodeTaken, Forbidden, InvalidRequest, Unauthenticated
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner, utcnow
from coupons.core.table import Table
from coupons_admin.webshops import add_webshop


def create(table: Table, webshop: str = "demo", key: str = "demo-key", **params):
    shop = webshops.open_webshop(table, webshop, key)
    return webshops.create_code(table, shop, wire.parse(wire.CodeQuery(**params)))


def count_codes(table: Table) -> int:
    """Codes Brandbassador's webshops hold (other demo modules seed codes of their own)."""
    return sum(1 for _ in code_items.list_by_owner(table, "brandbassador", "demo"))


def test_percent_code_is_stored_with_owner_and_limits(demo_table):
    issued = create(demo_table, code="john20", percentage="20", expire="2030-12-31", u_limit="3", ambassador="amb-7")
    stored = code_items.get(demo_table, "JOHN20")
    assert not issued.replayed
    assert stored.discount == Discount(kind=DiscountKind.PERCENT, value=Decimal(20))
    assert stored.owner == Owner(partner="brandbassador", account="demo", person="amb-7")
    assert (stored.max_uses, stored.uses, str(stored.expires_on)) == (3, 0, "2030-12-31")


def test_gift_card_defaults_to_the_webshops_currency_and_holds_its_balance(demo_table):
    create(demo_table, code="GIFT100", amount="100.00")
    stored = code_items.get(demo_table, "GIFT100")
    assert stored.discount.kind is DiscountKind.GIFT_CARD
    assert (stored.discount.currency, stored.balance) == ("EUR", Decimal("100.00"))


def test_identical_retry_succeeds_and_writes_nothing_new(demo_table):
    first = create(demo_table, code="RETRY1", percentage="10")
    again = create(demo_table, code="RETRY1", percentage="10")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.record.created_at == first.record.created_at
    assert count_codes(demo_table) == 1


@pytest.mark.parametrize(
    "second",
    [
        {"code": "retry1", "percentage": "10"},  # same code, other letter case
        {"code": "RETRY1", "percentage": "15"},  # same code, other discount
        {"code": "RETRY1", "amount": "10.00"},  # same code as a gift card
        {"code": "RETRY1", "percentage": "10", "ambassador": "someone-else"},
    ],
)
def test_same_code_with_anything_different_already_exists(demo_table, second):
    create(demo_table, code="RETRY1", percentage="10")
    with pytest.raises(CodeTaken):
        create(demo_table, **second)
    assert count_codes(demo_table) == 1


def test_a_code_made_by_another_partner_blocks_the_webshop(demo_table):
    code_items.create(demo_table, CodeRecord(
        code="CLOONEY1", discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(10)),
        owner=Owner(partner="friendbuy", account="53345"), fingerprint="x"))
    with pytest.raises(CodeTaken):
        create(demo_table, code="Clooney1", percentage="10")


def test_any_iso_4217_gift_card_currency_unless_the_webshop_lists_an_allow_list(demo_table):
    create(demo_table, code="GIFTJPY", amount="900", currency="JPY")  # demo: base EUR, no list
    assert code_items.get(demo_table, "GIFTJPY").discount.currency == "JPY"
    with pytest.raises(InvalidRequest, match="ISO 4217"):
        create(demo_table, code="GIFTXYZ", amount="50.00", currency="XYZ")
    add_webshop(demo_table, "multi", "k", WebshopSettings(base_currency="EUR", extra_currencies=["USD"]))
    create(demo_table, "multi", "k", code="GIFTUSD", amount="50.00", currency="USD")
    assert code_items.get(demo_table, "GIFTUSD").discount.currency == "USD"
    with pytest.raises(InvalidRequest, match="accepts EUR, USD"):
        create(demo_table, "multi", "k", code="GIFTGBP", amount="50.00", currency="GBP")
    assert code_items.get(demo_table, "GIFTGBP") is None and code_items.get(demo_table, "GIFTXYZ") is None


def test_webshop_defaults_fill_what_the_request_leaves_out(demo_table):
    add_webshop(demo_table, "shop2", "k2", WebshopSettings(base_currency="SEK", uses_per_code=1, valid_days=30))
    create(demo_table, "shop2", "k2", code="DEFAULTS1", percentage="10")
    stored = code_items.get(demo_table, "DEFAULTS1")
    assert stored.max_uses == 1
    assert stored.expires_on == utcnow().date() + timedelta(days=30)


def test_expiry_in_the_past_is_refused(demo_table):
    yesterday = (utcnow().date() - timedelta(days=1)).isoformat()
    with pytest.raises(InvalidRequest, match="past"):
        create(demo_table, code="OLD1", percentage="10", expire=yesterday)
    assert count_codes(demo_table) == 0


def test_keys_and_webshops_are_checked(demo_table):
    # An unknown webshop answers as a wrong key does: ids cannot be enumerated without a key.
    with pytest.raises(Forbidden, match="The key for webshop 'nope' is not valid"):
        create(demo_table, "nope", code="AAA1", percentage="10")
    with pytest.raises(Forbidden, match="is not valid"):
        create(demo_table, "x" * 3000, code="AAA1", percentage="10")  # never a 2 KB DynamoDB key
    with pytest.raises(Unauthenticated):
        create(demo_table, key=None, code="AAA1", percentage="10")
    with pytest.raises(Forbidden):
        create(demo_table, key="demo-kez", code="AAA1", percentage="10")
    assert count_codes(demo_table) == 0
