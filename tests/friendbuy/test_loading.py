"""Bank upload and generation against DynamoDB Local (its transactions and CancellationReasons are
AWS's own engine): codes taken elsewhere reported line by line, resumable without duplicates."""

import uuid
from decimal import Decimal

import pytest

from coupons.core import code_items, codes
from coupons.core.errors import InvalidRequest
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner
from coupons.friendbuy import bank_items, banks
from coupons.friendbuy.banks import BankSettings
from coupons_admin import bank_loading
from coupons_admin.__main__ import main as admin

pytestmark = pytest.mark.local_stack


class Interrupted(Exception):
    pass


def new_bank(table, **changes):
    settings = {"campaign_id": "53345", "discount": Discount(kind=DiscountKind.PERCENT, value=Decimal(5)), "shards": 4,
                **changes}
    return banks.add_bank(table, f"T{uuid.uuid4().hex[:8]}", BankSettings(**settings))


def unique_codes(n: int, prefix: str = "") -> list[str]:
    tag = prefix or "U" + uuid.uuid4().hex[:6].upper()
    return [f"{tag}{i:07d}" for i in range(n)]


def pool(table, bank) -> list[str]:
    """Every code in the bank's free pool (duplicates would show up twice)."""
    found = []
    for shard in range(bank.settings.shards):
        found += [i["code"] for i in table.query_all(
            IndexName="gsi1", KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues=table.values({":pk": bank_items.free_partition(bank.id, shard)}))]
    return found


def test_upload_reports_codes_that_exist_elsewhere_and_invalid_lines(local_stack):
    table = local_stack.table
    taken = unique_codes(1, "TAKEN" + uuid.uuid4().hex[:5].upper())[0]
    code_items.create(table, CodeRecord(code=taken, discount=Discount(kind=DiscountKind.PERCENT, value=Decimal(20)),
                                        owner=Owner(partner="brandbassador", account="demo")))
    fresh = unique_codes(120)
    lines = ["code", *fresh[:60], taken.lower(), "BAD CODE", "", *fresh[60:], fresh[3]]
    reported = []
    bank = new_bank(table)
    report = bank_loading.upload(table, bank, lines, rejected=lambda *r: reported.append(r))
    assert (report.added, report.already_present) == (120, 1)  # the repeated line is already there
    assert sorted(reported) == sorted([(62, taken, "exists already (a brandbassador code)"),
                                       (63, "BAD CODE", "The discount code 'BAD CODE' may only contain letters A-Z, digits 0-9 and hyphens (not first or last)")])
    assert sorted(pool(table, bank)) == sorted(fresh)
    assert code_items.get(table, taken).owner.partner == "brandbassador"  # untouched
    stored = code_items.get(table, fresh[0])
    assert (stored.owner.partner, stored.owner.account, stored.owner.person, stored.max_uses) == ("friendbuy", "53345", None, None)


def test_code_transactions_do_not_ask_for_consumed_capacity(local_stack):
    """Table.call asks for ReturnConsumedCapacity by default; DynamoDB Local works it out inside the
    table's write lock (~20 % of a 100-item transaction) and the loader never reads it."""
    table = local_stack.table
    sent = []

    def keep(params, model, **_):
        if model.name == "TransactWriteItems":
            sent.append(params.get("ReturnConsumedCapacity"))

    table.client.meta.events.register("provide-client-params.dynamodb", keep)
    try:
        report = bank_loading.upload(table, new_bank(table), unique_codes(150))
    finally:
        table.client.meta.events.unregister("provide-client-params.dynamodb", keep)
    assert report.added == 150 and sent == ["NONE", "NONE"]


def test_a_code_in_another_bank_is_rejected(local_stack):
    table = local_stack.table
    shared = unique_codes(3)
    first, second = new_bank(table), new_bank(table)
    bank_loading.upload(table, first, shared)
    report = bank_loading.upload(table, second, shared)
    assert report.added == 0 and [why for _, _, why in report.rejected] == [f"exists already in coupon bank {first.id}"] * 3


def test_interrupted_upload_resumes_without_duplicates(local_stack):
    table = local_stack.table
    bank = new_bank(table)
    lines = unique_codes(1_000)
    calls = []

    def stop_after_three_batches(report):
        calls.append(report.added)
        if len(calls) == 3:
            raise Interrupted

    with pytest.raises(Interrupted):
        bank_loading.upload(table, bank, lines, workers=2, progress=stop_after_three_batches)
    partial = len(pool(table, bank))
    assert 150 <= partial < 1_000  # three batches reported, those in flight finished, the rest never sent

    again = bank_loading.upload(table, bank, lines, workers=4)
    assert again.already_present == partial and again.added == 1_000 - partial and not again.rejected
    assert sorted(pool(table, bank)) == sorted(lines)  # each code once, none lost
    assert banks.status(table, bank.id).free == 1_000


def test_generation_adds_exactly_count_and_resumes_the_same_codes(local_stack):
    table = local_stack.table
    bank = new_bank(table, prefix="G" + uuid.uuid4().hex[:3].upper(), length=6)
    # A code the pattern will produce is taken by another partner: generation must replace it.
    planned = bank_loading.generated_code(bank, 7)
    code_items.create(table, CodeRecord(code=planned, discount=Discount(kind=DiscountKind.FREE_SHIPPING),
                                        owner=Owner(partner="sitevibes", account="r1")))
    seen = []

    def stop_early(report):
        seen.append(report)
        if len(seen) == 2:
            raise Interrupted

    with pytest.raises(Interrupted):
        bank_loading.generate(table, bank, 600, workers=2, progress=stop_early)
    bank = banks.get_bank(table, bank.id)
    assert bank.pending_run == {"start": 0, "count": 600}
    with pytest.raises(InvalidRequest, match="unfinished generation of 600"):
        bank_loading.generate(table, bank, 10)

    report = bank_loading.generate(table, bank, 600, workers=4)
    codes_in_pool = pool(table, bank)
    assert len(codes_in_pool) == len(set(codes_in_pool)) == 600
    assert report.added + report.already_present == 600
    assert [c for _, c, _ in report.rejected] == [planned] and planned not in codes_in_pool
    assert all(c.startswith(bank.settings.prefix) and codes.require_valid(c) for c in codes_in_pool)

    more = bank_loading.generate(table, banks.get_bank(table, bank.id), 100)  # a later run: new codes only
    assert more.added == 100 and len(set(pool(table, bank))) == 700


def test_admin_cli_generate_status_and_upload(local_stack, tmp_path, capsys, monkeypatch):
    table = local_stack.table
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", table.client.meta.endpoint_url)
    monkeypatch.setattr("coupons_admin.__main__.Table", lambda name: table)
    bank_id = f"C{uuid.uuid4().hex[:8]}"
    assert admin(["--table", table.name, "banks", "add", bank_id, "--campaign", "53345", "--kind", "fixed",
                  "--value", "5.00", "--currency", "USD", "--max-uses", "50", "--prefix", "CLI"]) == 0
    assert admin(["--table", table.name, "banks", "generate", bank_id, "--count", "120"]) == 0
    existing = unique_codes(2)
    bank_loading.upload(table, banks.get_bank(table, bank_id), existing[:1])
    source = tmp_path / "codes.csv"
    source.write_text("code,note\n" + "\n".join(f"{c},x" for c in existing) + "\n")
    assert admin(["--table", table.name, "banks", "upload", bank_id, str(source)]) == 0
    assert admin(["--table", table.name, "banks", "status", bank_id]) == 0
    out, err = capsys.readouterr()
    assert "added 120, rejected 0, already present 0" in out
    assert "added 1, rejected 0, already present 1" in out
    assert "5.00 USD off, 50 uses per code" in out and "codes left: 122" in out
    assert "codes/s" in err  # the progress line
