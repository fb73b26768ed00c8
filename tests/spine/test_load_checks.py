"""`make load`'s verdict comes from reading the table afterwards: each check finds what it names."""

from bench.load.__main__ import _check_table


def _put(table, **item):
    table.client.put_item(TableName=table.name, Item=table.serialize(item))


def test_a_clean_table_passes(table):
    _put(table, pk="CODE#ONCE", sk="CODE", code="ONCE", kind="percent", value=10, max_uses=1, uses=1)
    _put(table, pk="CODE#ONCE", sk="REDEMPTION#a", state="redeemed")
    _put(table, pk="CODE#ONCE", sk="REDEMPTION#b", state="rolled_back")
    assert all(not check["violations"] for check in _check_table(table).values())


def test_each_violation_is_found(table):
    _put(table, pk="CODE#TWICE", sk="CODE", code="TWICE", kind="percent", value=10, max_uses=1, uses=1)
    _put(table, pk="CODE#TWICE", sk="REDEMPTION#a", state="redeemed")
    _put(table, pk="CODE#TWICE", sk="REDEMPTION#b", state="redeemed")
    _put(table, pk="CODE#GIFT", sk="CODE", code="GIFT", kind="gift_card", value="50.00", balance="-5.00", uses=1)
    _put(table, pk="CODE#GIFT", sk="REDEMPTION#a", state="redeemed", gift_card_amount="50.00")
    for advocate in ("C1", "C2"):
        _put(table, pk=f"FRIENDBUY#REFERRAL#{advocate}", sk="REFERRAL", coupon_code="FB12345678", bank_id="9900",
             customer_id=advocate, email=f"{advocate}@example.org")
    checks = _check_table(table)
    found = {name: len(check["violations"]) for name, check in checks.items()}
    assert found == {
        "bank code given to two advocates": 1,
        "code redeemed more often than it allows (single-use: twice)": 1,
        "uses counter differs from live redemptions": 1,
        "gift card balance below zero": 1,
        "gift card balance differs from amount minus live spends": 1,
    }
