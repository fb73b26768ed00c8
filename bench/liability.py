"""What ``GET /checkout/reports/gift-cards`` costs: ``python -m bench.liability [cards ...]``.

Fills a table on DynamoDB Local with gift cards (each spent once, every tenth partly refunded),
their code-free ledger items (``core.card_items``) and, beside them, twice as many other codes (the
rest of a table), then runs the route's read (``card_items.read``: one Query per CARDS# shard) and
prints its pages, read units (DynamoDB's ConsumedCapacity) and time. A Query is billed by the
ledger items it reads, whatever else the table holds. Then one gift-card redeem's write units, a
card without ledger items (as before them) and one with: ``python -m bench.liability redeem``.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from decimal import Decimal

from coupons.checkout import items, redemptions
from coupons.core import card_items, code_items
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner, utcnow
from coupons.core.sales import Cart, Customer, Redemption
from coupons.core.table import Table
from localrun import demo
from localrun.dynamodb_local import create_table, running

OWNER = Owner(partner="brandbassador", account="demo", person="anna")


def _items(cards: int):
    now = utcnow() - timedelta(days=1)
    for n in range(cards):
        record = CodeRecord(code=f"BENCHCARD{n:07d}", owner=OWNER, balance=Decimal("75.00"), created_at=now,
                            discount=Discount(kind=DiscountKind.GIFT_CARD, value=Decimal("100.00"), currency="EUR"))
        card = code_items.to_item(record)
        yield card
        ref = card["card_ref"]
        yield card_items.card_item(record, ref)
        spent = Redemption(id=f"{record.code}.{n:024x}", code=record.code, order_id=f"B-{n}", kind=DiscountKind.GIFT_CARD,
                           cart=Cart(subtotal=Decimal("100.00"), currency="EUR"), discount=Decimal(0),
                           shipping_discount=Decimal(0), gift_card_amount=Decimal("25.00"), owner=OWNER,
                           created_at=now, card_ref=ref)
        redemption = items.to_item(spent)
        yield redemption
        yield card_items.move_item(ref, card_items.DEBIT, redemption["sk"], now, Decimal("25.00"))
        if n % 10 == 0:
            refund = {**items.refund_key(record.code, "0" * 32, f"R-{n}"), "refund_id": f"R-{n}", "amount": Decimal("5.00"),
                      "gift_card_amount": Decimal("5.00"), "goods_amount": Decimal("5.00"), "created_at": now,
                      "redemption_id": spent.id, "card_ref": ref}
            yield refund
            yield card_items.move_item(ref, card_items.REFUND, refund["sk"], now, Decimal("5.00"))
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
    """The client, summing what each call of ``names`` consumed."""

    def __init__(self, client, names=("query",)):
        self.client, self.names, self.pages, self.units, self.parts = client, names, 0, 0.0, 0

    def __getattr__(self, name):
        target = getattr(self.client, name)
        if name not in self.names:
            return target

        def counted(**kwargs):
            page = target(**kwargs)
            self.pages += 1
            self.parts = len(kwargs.get("TransactItems", []))
            for used in [page.get("ConsumedCapacity") or {}] if name != "transact_write_items" else \
                    page.get("ConsumedCapacity") or []:
                self.units += used.get("CapacityUnits", 0)
            return page

        return counted


def measure(cards: int) -> str:
    with running() as engine:
        client = engine.client()
        create_table(client, "bench-liability")
        table = Table("bench-liability", client)
        written = _fill(table, cards)
        counting = Counting(client)
        started = time.perf_counter()
        moves = card_items.read(Table("bench-liability", counting), time.monotonic() + 600)
        seconds = time.perf_counter() - started
        assert len(moves) == cards
        return (f"| {cards:,} | {written:,} | {counting.pages} | {counting.units:,.1f} | {seconds:.2f} s | "
                f"{engine.kind} |")


def redeem_units() -> str:
    """One 25.00 spend of a 100.00 card, with the key already verified (a warm instance's one call):
    its TransactWriteItems' items and write units, a card stored before the ledger and one after."""
    rows = []
    with running() as engine:
        client = engine.client()
        create_table(client, "bench-redeem")
        table = Table("bench-redeem", client)
        demo.seed(table)
        for code, ledger in (("BEFORE", False), ("AFTER", True)):
            record = CodeRecord(code=code, owner=OWNER, balance=Decimal("100.00"),
                                discount=Discount(kind=DiscountKind.GIFT_CARD, value=Decimal("100.00"), currency="EUR"))
            item = code_items.to_item(record)
            if not ledger:
                item.pop("card_ref")
            table.call("put_item", Item=table.serialize(item))
            counting = Counting(client, ("transact_write_items",))
            cart = Cart(subtotal=Decimal("100.00"), currency="EUR")
            for n in range(2):  # the second is a warm instance's: the key remembered (a ConditionCheck)
                counting.pages, counting.units = 0, 0.0
                redemptions.redeem(Table("bench-redeem", counting), "demo-key", code, f"O-{n}", cart,
                                   Customer(), Decimal("25.00"))
            # DynamoDB bills each transactional item under 1 KB 2 write units; Local's own figure is not per item.
            rows.append(f"| {'with' if ledger else 'without'} ledger items | {counting.pages} | {counting.parts} | "
                        f"{2 * counting.parts} | {counting.units:.1f} | {engine.kind} |")
    return "\n".join(rows)


def main(argv: list[str]) -> None:
    if argv == ["redeem"]:
        print("| gift-card redeem (warm) | TransactWriteItems calls | items | write units (AWS: 2 per item) "
              "| units DynamoDB Local reports | engine |")
        print("|---|---|---|---|---|---|")
        print(redeem_units())
        return
    print("| gift cards | items in the table | Query pages | read units | time | engine |")
    print("|---|---|---|---|---|---|")
    for cards in [int(a) for a in argv] or [1_000, 10_000]:
        print(measure(cards), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
