"""Coupon banks: many pre-made codes of one campaign, handed out one per advocate.

A bank's codes are ordinary codes in the one namespace (owner partner ``friendbuy``, account = the
campaign, person = the advocate once assigned), multi-use by default: many friends use one
advocate's code. The bank's settings say what each code gives and its limits.

Codes get in by upload or by generation (admin CLI), both through ``load``: streamed, in parallel
transactions of 50 codes (100 conditional puts), each code refused if it exists anywhere already.
Re-running an interrupted load is safe: a code already in this bank counts as "already present".
Generation is deterministic per bank (a keyed permutation of a counter), so a re-run regenerates
the same codes, and distinct counters never give the same code.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, model_validator

from coupons.core import codes
from coupons.core.errors import CouponError, InvalidRequest, NotFound, Unavailable
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner
from coupons.friendbuy import bank_items
from coupons.core import code_items
from coupons.core.table import Table

PARTNER = "friendbuy"
CANDIDATES_PER_QUERY = 5


class BankEmpty(CouponError):
    """Every code of the bank has been given to an advocate."""


class BankSettings(BaseModel):
    campaign_id: str
    discount: Discount
    max_uses: int | None = Field(default=None, ge=1)  # None: unlimited (multi-use)
    expires_on: date | None = None
    name: str | None = None
    shards: int = Field(default=16, ge=1, le=256)  # free-pool partitions
    # Generation pattern: prefix + length characters drawn from alphabet.
    prefix: str = ""
    length: int = Field(default=8, ge=4, le=32)
    alphabet: str = codes.UNAMBIGUOUS_ALPHABET

    @model_validator(mode="after")
    def _pattern_makes_valid_codes(self) -> BankSettings:
        if self.discount.kind is DiscountKind.GIFT_CARD:
            raise ValueError("bank codes are shared discount codes; a gift card cannot be multi-use")
        self.prefix, self.alphabet = codes.canonical(self.prefix), codes.canonical(self.alphabet)
        if len(set(self.alphabet)) != len(self.alphabet) or len(self.alphabet) < 2:
            raise ValueError("the alphabet needs at least two distinct characters")
        try:
            codes.require_valid(self.prefix + self.alphabet[0] * self.length)
            codes.require_valid(self.prefix + self.alphabet.upper())
        except InvalidRequest as bad:
            raise ValueError(f"the pattern makes invalid codes: {bad.message}") from None
        return self


class Bank(BaseModel):
    id: str
    settings: BankSettings
    generation_key: str
    next_index: int = 0  # first counter value no finished generation has used
    pending_run: dict | None = None  # {"start", "count"} of a generation that did not finish
    loaded: int = 0  # codes added by loads (informational; the pool itself is counted by status)

    def record(self, code: str) -> CodeRecord:
        return CodeRecord(
            code=code,
            discount=self.settings.discount,
            owner=Owner(partner=PARTNER, account=self.settings.campaign_id),
            max_uses=self.settings.max_uses,
            expires_on=self.settings.expires_on,
            description=f"Friendbuy coupon bank {self.id}",
        )


def bank_from_item(item: dict[str, Any]) -> Bank:
    return Bank(id=item["bank_id"], **{k: v for k, v in item.items() if k in Bank.model_fields and k != "id"})


def add_bank(table: Table, bank_id: str, settings: BankSettings, replace: bool = False) -> Bank:
    bank = Bank(id=bank_id, settings=settings, generation_key=secrets.token_hex(32))
    try:
        bank_items.put_bank(table, bank_id, {"bank_id": bank_id, **bank.model_dump(exclude={"id"})}, replace)
    except bank_items.BankExists:
        raise InvalidRequest(f"Coupon bank {bank_id} exists already") from None
    return bank


def get_bank(table: Table, bank_id: str) -> Bank:
    item = bank_items.get_bank(table, bank_id, consistent=True)
    if item is None:
        raise NotFound(f"Coupon bank {bank_id} was not found")
    return bank_from_item(item)


def in_campaign(item: dict[str, Any] | None, bank_id: str, campaign_id: str) -> Bank:
    """The bank from its item, if it belongs to the campaign (else 'not found', as Friendbuy would)."""
    if item is None or item.get("settings", {}).get("campaign_id") != campaign_id:
        raise NotFound(f"Coupon bank {bank_id} was not found in campaign {campaign_id}")
    return bank_from_item(item)


# ---- taking a free code ------------------------------------------------------------------------


def free_codes(table: Table, bank: Bank, rng: secrets.SystemRandom) -> list[bank_items.FreeCode]:
    """A few free codes from a random place in the pool: usually one query. An empty shard sends
    us to the next one (one query each); when every shard is empty, so is the bank."""
    shards = bank.settings.shards
    first = rng.randrange(shards)
    for step in range(shards):
        # A random place in the first shard; in the next ones (a draining bank) just their first codes.
        start = secrets.token_hex(6) if step == 0 else None
        found = bank_items.free_codes_from(table, bank.id, (first + step) % shards, start, CANDIDATES_PER_QUERY)
        if found:
            rng.shuffle(found)  # two takers that met at the same place rarely pick the same code
            return found
    raise BankEmpty(f"Coupon bank {bank.id} has no codes left; upload or generate more with the admin CLI")


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


def _entry(bank: Bank, candidate: Candidate, generated: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    shard = int.from_bytes(hashlib.blake2b(candidate.code.encode(), digest_size=2).digest(), "big") % bank.settings.shards
    free_pk, free_sk = bank_items.free_partition(bank.id, shard), bank_items.free_sort_key(candidate.code)
    code_item = code_items.to_item(bank.record(candidate.code))
    code_item.update(bank=bank.id, free_pk=free_pk, free_sk=free_sk)
    if generated:
        code_item["generated_index"] = candidate.line
    return code_item, {"pk": free_pk, "sk": free_sk, "code": candidate.code}


def _why(existing: dict[str, Any]) -> str:
    if existing.get("bank"):
        return f"exists already in coupon bank {existing['bank']}"
    if existing.get("partner"):
        return f"exists already (a {existing['partner']} code)"
    return "exists already"


def _write_batch(table: Table, bank: Bank, batch: list[Candidate], is_ours: IsOurs, generated: bool) -> LoadReport:
    """One batch, resubmitted without the codes that are in the way until the rest is written."""
    report = LoadReport()
    pending = batch
    attempt = 0
    while pending:
        try:
            outcome = bank_items.put_new_codes(table, [_entry(bank, c, generated) for c in pending])
        except Unavailable:
            outcome = bank_items.BatchOutcome(written=False, retry=True)
        if outcome.written:
            report.added += len(pending)
            return report
        if outcome.clashes:
            kept = []
            for candidate in pending:
                existing = outcome.clashes.get(candidate.code)
                if existing is None:
                    kept.append(candidate)
                elif is_ours(candidate, existing):
                    report.already_present += 1
                else:
                    report.rejected.append((candidate.line, candidate.code, _why(existing)))
            pending = kept
            continue
        attempt += 1
        if attempt > 10:
            raise Unavailable("DynamoDB keeps refusing the batch (throttling or conflicts); run the same command again")
        time.sleep(min(2.0, 0.05 * 2**attempt) * secrets.SystemRandom().random())
    return report


def _batches(candidates: Iterable[Candidate]) -> Iterator[list[Candidate]]:
    """Groups of up to 50 with no code twice in a group (a transaction may not touch an item twice):
    a repeated code closes the group early, and meets its first copy as 'already present'."""
    batch: list[Candidate] = []
    in_batch: set[str] = set()
    for candidate in candidates:
        if candidate.code in in_batch or len(batch) == bank_items.CODES_PER_TRANSACTION:
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
                in_flight.add(pool.submit(_write_batch, table, bank, batch, is_ours, generated))
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
                yield Candidate(number, codes.require_valid(text))
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
    value = _permute(bytes.fromhex(bank.generation_key), index, domain)
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
            run = bank.pending_run
    if run["count"] != count:
        raise InvalidRequest(
            f"Bank {bank.id} has an unfinished generation of {run['count']} codes; run it again with that count to finish it"
        )

    def is_ours(candidate: Candidate, existing: dict[str, Any]) -> bool:
        return existing.get("bank") == bank.id and existing.get("generated_index") == candidate.line

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


# ---- status ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BankStatus:
    bank: Bank
    free: int


def status(table: Table, bank_id: str) -> BankStatus:
    bank = get_bank(table, bank_id)
    return BankStatus(bank, bank_items.count_free(table, bank.id, bank.settings.shards))
