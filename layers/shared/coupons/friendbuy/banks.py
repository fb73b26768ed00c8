"""Coupon banks: many pre-made codes of one campaign, handed out one per advocate.

A bank's codes are ordinary codes in the one namespace (owner partner ``friendbuy``, account = the
campaign, person = the advocate once assigned), multi-use by default: many friends use one
advocate's code. The bank's settings say what each code gives and its limits.

Codes get in by upload or by generation, both dev-side (``coupons_admin.bank_loading``): the
functions only hand codes out, so the loading code does not ship in the layer.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import Field, model_validator

from coupons.core import codes, sealed
from coupons.core.base_model import Model
from coupons.core.errors import CouponError, InvalidRequest, NotFound
from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner
from coupons.core.table import Table
from coupons.friendbuy import bank_items

PARTNER = "friendbuy"
# Free codes read per query, tried in random order: parallel takers that land at the same place
# rarely pick the same one, and a code still listed by the (eventually consistent) index after
# it was taken is one of ten, not the only choice.
CANDIDATES_PER_QUERY = 10
# Friendbuy's codes may carry hyphens (its own examples: FRIEND-OFFER-244432; shops' bulk
# generators add them); the canonical form keeps them, so FRIEND-OFFER-1 is not FRIENDOFFER1.
CODE_ALPHABET = codes.WITH_HYPHENS


def require_code(text: str | None) -> str:
    """The canonical form of a Friendbuy bank or named code (letters, digits, hyphens)."""
    return codes.require_valid(text, CODE_ALPHABET)


class BankEmpty(CouponError):
    """Every code of the bank has been given to an advocate."""


class BankSettings(Model):
    campaign_id: str
    discount: Discount
    max_uses: int | None = Field(default=None, ge=1)  # None: unlimited (multi-use)
    expires_on: date | None = None
    name: str | None = None
    # Free-pool index partitions. 16 keeps each under 1,000 writes/s up to a 10,000 codes/s upload
    # (docs/architecture.md, "Coupon banks"); fewer only for small banks (tests, demo).
    shards: int = Field(default=16, ge=1, le=256)
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
        if "-" in self.alphabet:  # a drawn hyphen could end a code; put hyphens in the prefix
            raise ValueError("the alphabet may not hold a hyphen (a prefix may: FRIEND-OFFER-)")
        try:
            require_code(self.prefix + self.alphabet[0] * self.length)
            require_code(self.prefix + self.alphabet.upper())
        except InvalidRequest as bad:
            raise ValueError(f"the pattern makes invalid codes: {bad.message}") from None
        return self


class Bank(Model):
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
    # The key that orders generated codes: whoever holds it could list codes before they are
    # loaded, so it is sealed (core.sealed); only the admin CLI's generation opens it.
    key = sealed.seal(secrets.token_hex(32), sealed.Purpose.BANK_GENERATION_KEY, bank_items.bank_key(bank_id)["pk"])
    bank = Bank(id=bank_id, settings=settings, generation_key=key)
    try:
        bank_items.put_bank(table, bank_id, {"bank_id": bank_id, **bank.model_dump(exclude={"id"})}, replace)
    except bank_items.BankExists:
        raise InvalidRequest(f"Coupon bank {bank_id} exists already") from None
    return bank


def generation_key(bank: Bank) -> bytes:
    """The bank's generation key, opened (a KMS Decrypt under the admin's credentials, cached 30 s)."""
    pk = bank_items.bank_key(bank.id)["pk"]
    return bytes.fromhex(sealed.unseal(bank.generation_key, sealed.Purpose.BANK_GENERATION_KEY, pk))


def reseal_generation_key(table: Table, bank: Bank) -> bool:
    """Seal a generation key stored before encryption (``secrets reencrypt``); False when it already is."""
    if sealed.is_sealed(bank.generation_key):
        return False
    pk = bank_items.bank_key(bank.id)["pk"]
    return bank_items.update_bank(table, bank.id, "SET generation_key = :new",
                                  {":new": sealed.seal(bank.generation_key, sealed.Purpose.BANK_GENERATION_KEY, pk),
                                   ":old": bank.generation_key}, "generation_key = :old")


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


# ---- status ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BankStatus:
    bank: Bank
    free: int


def status(table: Table, bank_id: str) -> BankStatus:
    bank = get_bank(table, bank_id)
    return BankStatus(bank, bank_items.count_free(table, bank.id, bank.settings.shards))
