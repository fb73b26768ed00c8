"""Loading a Friendbuy coupon bank: upload a list of codes or generate them from the bank's pattern.

Dev-side (admin CLI, local demo, bench): the Lambda functions only hand codes out, so none of this
ships in the layer. A bank code is ONE item (the code item, in its bank's free pool through its
sparse ``gsi1`` keys, see ``coupons.friendbuy.bank_items``). Codes go in streamed, 100 codes per
TransactWriteItems (DynamoDB's limit), each Put conditional on the code existing nowhere yet —
never BatchWriteItem, which cannot carry a condition — several transactions in flight. Re-running an
interrupted load is safe: a code already in this bank counts as "already present". Generation is
deterministic per bank (a keyed permutation of a counter), so a re-run regenerates the same codes,
and distinct counters never give the same code.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from coupons.core import code_items
from coupons.core.errors import InvalidRequest, Unavailable
from coupons.core.table import ConditionsFailed, Table, backoff
from coupons.friendbuy import bank_items, banks
from coupons.friendbuy.banks import Bank, generation_key, get_bank

CODES_PER_TRANSACTION = 100  # one item per code; 100 items is DynamoDB's limit per transaction


# ---- loading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    line: int  # line number of an upload, counter value of a generation
    code: str  # canonical


@dataclass
class LoadReport:
    added: int = 0
    already_present: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, code, why)

    @property
    def seen(self) -> int:
        return self.added + self.already_present + len(self.rejected)

    def merge(self, other: LoadReport) -> None:
        self.added += other.added
        self.already_present += other.already_present
        self.rejected += other.rejected


Progress = Callable[[LoadReport], None]
Rejected = Callable[[int, str, str], None]
# Whether an existing code item is this very candidate, written by an earlier (interrupted) run.
IsOurs = Callable[[Candidate, dict[str, Any]], bool]


class _Items:
    """Code items of one bank, serialised once: only the code's own attributes differ per item,
    and a million codes should not each pay pydantic and the type serialiser for the rest."""

    def __init__(self, table: Table, bank: Bank):
        self.bank = bank
        sample = code_items.to_item(bank.record("SAMPLE"))
        for per_code in ("pk", "code", "gsi1pk", "gsi1sk"):
            sample.pop(per_code)
        self.gift_cards = sample.pop("card_ref", None) is not None  # each card draws its own
        # A gift card needs its ledger item in the same transaction (core.card_items); banks refuse
        # gift cards (friendbuy.banks.BankSettings), so none is written here.
        if self.gift_cards:
            raise InvalidRequest("bank codes are shared discount codes, never gift cards")
        sample["bank"] = bank.id
        self.common = table.serialize(sample)

    def item(self, candidate: Candidate, generated: bool) -> dict[str, Any]:
        code = candidate.code
        keys = bank_items.pool_keys(self.bank.id, self.bank.settings.shards, code)
        item = {**self.common, "pk": {"S": code_items.key(code)["pk"]}, "code": {"S": code},
                "gsi1pk": {"S": keys["gsi1pk"]}, "gsi1sk": {"S": keys["gsi1sk"]}}
        if generated:
            item["generated_index"] = {"N": str(candidate.line)}
        if self.gift_cards:
            item["card_ref"] = {"S": secrets.token_hex(10)}
        return item


def _why(existing: dict[str, Any]) -> str:
    if existing.get("bank"):
        return f"exists already in coupon bank {existing['bank']}"
    if existing.get("partner"):
        return f"exists already (a {existing['partner']} code)"
    return "exists already"


def _write_batch(table: Table, items: _Items, batch: list[Candidate], is_ours: IsOurs, generated: bool) -> LoadReport:
    """One batch, resubmitted without the codes that are in the way until the rest is written."""
    report = LoadReport()
    pending = batch
    attempt = 0
    while pending:
        try:
            clashes = _put_new_codes(table, [items.item(c, generated) for c in pending])
        except Unavailable:
            attempt += 1
            if attempt > 10:
                raise
            time.sleep(backoff(attempt))
            continue
        if not clashes:
            report.added += len(pending)
            return report
        kept = []
        for candidate in pending:
            existing = clashes.get(candidate.code)
            if existing is None:
                kept.append(candidate)
            elif is_ours(candidate, existing):
                report.already_present += 1
            else:
                report.rejected.append((candidate.line, candidate.code, _why(existing)))
        pending = kept
    return report


def _batches(candidates: Iterable[Candidate]) -> Iterator[list[Candidate]]:
    """Groups of up to 100 with no code twice in a group (a transaction may not touch an item twice):
    a repeated code closes the group early, and meets its first copy as 'already present'."""
    batch: list[Candidate] = []
    in_batch: set[str] = set()
    for candidate in candidates:
        if candidate.code in in_batch or len(batch) == CODES_PER_TRANSACTION:
            yield batch
            batch, in_batch = [], set()
        batch.append(candidate)
        in_batch.add(candidate.code)
    if batch:
        yield batch


def _run(table: Table, bank: Bank, candidates: Iterable[Candidate], is_ours: IsOurs, generated: bool,
         workers: int, progress: Progress | None, rejected: Rejected | None) -> LoadReport:
    report = LoadReport()
    counted = 0  # of report.added, how many the bank's "loaded" figure has
    items = _Items(table, bank)
    # Codes are written without ReturnConsumedCapacity, which nothing here reads: a 100-item
    # transaction cost DynamoDB Local ~20 % more engine time with it (bench friendbuy, engine on one
    # CPU: 3,791 vs 4,468 codes/s, raw 4,454).
    writes = Table(table.name, table.client, consumed_capacity="NONE")

    def collect(done: set[Future]) -> None:
        for future in done:
            part = future.result()
            report.merge(part)
            for line, code, why in part.rejected:
                if rejected:
                    rejected(line, code, why)
            if progress:
                progress(report)

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            in_flight: set[Future] = set()
            for batch in _batches(candidates):
                if len(in_flight) >= workers * 2:  # bounded: a million codes never sit in memory
                    done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    collect(done)
                    if report.added - counted >= 10_000:
                        bank_items.update_bank(table, bank.id, "ADD loaded :n", {":n": report.added - counted})
                        counted = report.added
                in_flight.add(pool.submit(_write_batch, writes, items, batch, is_ours, generated))
            done, _ = wait(in_flight)
            collect(done)
    finally:
        if report.added > counted:
            bank_items.update_bank(table, bank.id, "ADD loaded :n", {":n": report.added - counted})
    return report


def upload(table: Table, bank: Bank, lines: Iterable[str], workers: int = 8, progress: Progress | None = None,
           rejected: Rejected | None = None) -> LoadReport:
    """Load codes, one per line (or a CSV whose first column is the code; a header line is skipped).
    Invalid lines are rejected with the reason; so is a code that exists anywhere but this bank."""
    invalid = LoadReport()

    def candidates() -> Iterator[Candidate]:
        for number, line in enumerate(lines, start=1):
            text = line.strip().split(",", 1)[0].strip().strip('"')
            if not text or text.startswith("#") or (number == 1 and text.lower() in ("code", "coupon_code", "coupon")):
                continue
            try:
                yield Candidate(number, banks.require_code(text))  # Friendbuy codes may carry hyphens
            except InvalidRequest as error:
                invalid.rejected.append((number, text, error.message))
                if rejected:
                    rejected(number, text, error.message)

    def is_ours(candidate: Candidate, existing: dict[str, Any]) -> bool:
        return existing.get("bank") == bank.id

    report = _run(table, bank, candidates(), is_ours, False, workers, progress, rejected)
    report.merge(invalid)
    return report


# ---- generation --------------------------------------------------------------------------------


def _permute(key: bytes, index: int, domain: int) -> int:
    """A keyed bijection of [0, domain): a balanced Feistel network, cycle-walked into the domain.
    Distinct counters give distinct codes, and nobody without the key can predict them."""
    bits = max(2, (domain - 1).bit_length())
    half = (bits + 1) // 2
    mask = (1 << half) - 1
    value = index
    while True:
        left, right = value >> half, value & mask
        for round_number in range(6):
            digest = hashlib.blake2b(right.to_bytes(8, "big") + bytes([round_number]), key=key, digest_size=8).digest()
            left, right = right, left ^ (int.from_bytes(digest, "big") & mask)
        value = (left << half) | right
        if value < domain:
            return value


def generated_code(bank: Bank, index: int) -> str:
    s = bank.settings
    domain = len(s.alphabet) ** s.length
    if index >= domain:
        raise InvalidRequest(f"The pattern of bank {bank.id} has no codes left to generate")
    value = _permute(generation_key(bank), index, domain)
    chars = []
    for _ in range(s.length):
        value, digit = divmod(value, len(s.alphabet))
        chars.append(s.alphabet[digit])
    return s.prefix + "".join(chars)


def generate(table: Table, bank: Bank, count: int, workers: int = 8, progress: Progress | None = None,
             rejected: Rejected | None = None) -> LoadReport:
    """Add ``count`` new codes from the bank's pattern. An interrupted generation is resumed by the
    next call with the same count: the same counters give the same codes, found 'already present'."""
    if count < 1:
        raise InvalidRequest("The number of codes to generate must be at least 1")
    run = bank.pending_run
    if run is None:
        run = {"start": bank.next_index, "count": count}
        if not bank_items.update_bank(table, bank.id, "SET pending_run = :run", {":run": run},
                                      "attribute_not_exists(pending_run)"):
            bank = get_bank(table, bank.id)
            run = bank.pending_run or run  # another run started it meanwhile (or just finished it)
    if run["count"] != count:
        raise InvalidRequest(
            f"Bank {bank.id} has an unfinished generation of {run['count']} codes; run it again with that count to finish it"
        )

    def is_ours(candidate: Candidate, existing: dict[str, Any]) -> bool:
        return existing.get("bank") == bank.id and existing.get("generated_index") == candidate.line

    bank = bank.model_copy(update={"generation_key": generation_key(bank).hex()})  # opened once per run

    report = LoadReport()
    start, end = int(run["start"]), int(run["start"]) + count
    while True:
        # Counters whose code was taken elsewhere are replaced by the next counters, until count are in.
        part = _run(table, bank, (Candidate(i, generated_code(bank, i)) for i in range(start, end)), is_ours, True,
                    workers, (lambda p: progress(_plus(report, p))) if progress else None, rejected)
        report.merge(part)
        if not part.rejected:
            break
        start, end = end, end + len(part.rejected)
    bank_items.update_bank(table, bank.id, "SET next_index = :end REMOVE pending_run", {":end": end})
    return report


def _plus(a: LoadReport, b: LoadReport) -> LoadReport:
    total = LoadReport(a.added, a.already_present, list(a.rejected))
    total.merge(b)
    return total



# ---- one batch --------------------------------------------------------------------------------


def _put_new_codes(table: Table, items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Write code items (serialised) in ONE transaction, each conditional on its code being new.
    All or nothing: returns {} when written, else the codes in the way and the items holding them."""
    parts = {item["code"]["S"]: {"Put": {"Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}
             for item in items}
    try:
        table.transact(parts)
    except ConditionsFailed as refused:
        return {code: item or {} for code, item in refused.failed.items()}
    return {}
