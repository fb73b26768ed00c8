"""What ``GET /checkout/reports/gift-cards`` costs: ``python -m bench.liability [cards ...]``.

Fills a table on DynamoDB Local with gift cards (each spent once, every tenth partly refunded) and,
beside them, twice as many other codes (the rest of a table), then runs the checkout's Scan
(``report_items.card_moves``) and prints its pages, read units (DynamoDB's ConsumedCapacity) and
time. A Scan is billed by the bytes it reads, before its filter and projection: the whole table.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from decimal import Decimal

from coupons.checkout import items, report_items
from coupons.core import code_items
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner, utcnow
from coupons.core.sales import Cart, Redemption
from coupons.core.table import Table
from localrun.dynamodb_local import create_table, running

OWNER = Owner(partner="brandbassador", account="demo", person="anna")


def _items(cards: int):
    now = utcnow() - timedelta(days=1)
    for n in range(cards):
        record = CodeRecord(code=f"BENCHCARD{n:07d}", owner=OWNER, balance=Decimal("75.00"), created_at=now,
                            discount=Discount(kind=DiscountKind.GIFT_CARD, value=Decimal("100.00"), currency="EUR"))
        card = code_items.to_item(record)
        yield card
        spent = Redemption(id=f"{record.code}.{n:024x}", code=record.code, order_id=f"B-{n}", kind=DiscountKind.GIFT_CARD,
                           cart=Cart(subtotal=Decimal("100.00"), currency="EUR"), discount=Decimal(0),
                           shipping_discount=Decimal(0), gift_card_amount=Decimal("25.00"), owner=OWNER,
                           created_at=now, card_ref=card["card_ref"])
        yield items.to_item(spent)
        if n % 10 == 0:
            yield {**items.refund_key(record.code, "0" * 32, f"R-{n}"), "refund_id": f"R-{n}", "amount": Decimal("5.00"),
                   "gift_card_amount": Decimal("5.00"), "goods_amount": Decimal("5.00"), "created_at": now,
                   "redemption_id": spent.id, "card_ref": card["card_ref"]}
        for other in range(2):
            yield code_items.to_item(CodeRecord(code=f"BENCHPCT{n:07d}X{other}", owner=OWNER, created_at=now,
                                                discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(10))))


def _fill(table: Table, cards: int) -> int:
    batch, written = [], 0
    for item in _items(cards):
        batch.append({"PutRequest": {"Item": table.serialize(item)}})
        if len(batch) == 25:
            written += _write(table, batch)
            batch = []
    return written + (_write(table, batch) if batch else 0)


def _write(table: Table, batch: list) -> int:
    request = {table.name: batch}
    while request:
        request = table.call("batch_write_item", RequestItems=request).get("UnprocessedItems") or {}
    return len(batch)


class Counting:
    """The client, summing what each Scan consumed."""

    def __init__(self, client):
        self.client, self.pages, self.units = client, 0, 0.0

    def __getattr__(self, name):
        target = getattr(self.client, name)
        if name != "scan":
            return target

        def scan(**kwargs):
            page = target(**kwargs)
            self.pages += 1
            self.units += page.get("ConsumedCapacity", {}).get("CapacityUnits", 0)
            return page

        return scan


def measure(cards: int) -> str:
    with running() as engine:
        client = engine.client()
        create_table(client, "bench-liability")
        table = Table("bench-liability", client)
        written = _fill(table, cards)
        counting = Counting(client)
        started = time.perf_counter()
        moves = report_items.card_moves(Table("bench-liability", counting), time.monotonic() + 600)
        seconds = time.perf_counter() - started
        assert len(moves) == cards
        return (f"| {cards:,} | {written:,} | {counting.pages} | {counting.units:,.1f} | {seconds:.2f} s | "
                f"{engine.kind} |")


def main(argv: list[str]) -> None:
    print("| gift cards | items in the table | Scan pages | read units | time | engine |")
    print("|---|---|---|---|---|---|")
    for cards in [int(a) for a in argv] or [1_000, 10_000]:
        print(measure(cards), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
