"""The sales of one code, read where the checkout writes them: its redemptions.

The checkout keeps each redemption in the code's own partition (``pk = CODE#<code>``,
``sk = REDEMPTION#<order digest>``, see ``coupons.checkout.items``), holding a ``core.sales.Redemption``.
A partner that shows an owner its sales (Affonso's affiliate portal) reads them here, so it needs
no import of the checkout package: one Query, the code item itself left out by the key condition.
"""

from __future__ import annotations

from coupons.core import code_items
from coupons.core.sales import Redemption
from coupons.core.table import Table

# The sort-key prefix of a redemption item, named once: the checkout's ``redemption_key`` uses it.
REDEMPTION_PREFIX = "REDEMPTION#"


def sales_of_code(table: Table, code: str) -> list[Redemption]:
    """Every redemption of ``code`` (rolled back ones too: callers decide), oldest first.

    Eventually consistent: a sale shows up within a second or so, and half the read cost.
    """
    found = [
        Redemption.model_validate(item)
        for item in table.query_all(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=table.values({":pk": code_items.key(code)["pk"], ":prefix": REDEMPTION_PREFIX}),
        )
    ]
    return sorted(found, key=lambda sale: sale.created_at)
