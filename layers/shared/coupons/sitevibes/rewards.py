"""SiteVibes rewards: settings, header authentication, and one fresh code per redemption.

SiteVibes sends no idempotency key, so every redemption gets a new code unless the reward opts in
to a retry window (docs/sitevibes.md, "A new code for every request"); a warm redemption is one
DynamoDB call."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from pydantic import Field, field_validator, model_validator

from coupons.core import accounts, codes, issuing, money
from coupons.core.base_model import Model
from coupons.core.errors import InvalidRequest, LimitReached, Unauthenticated, Unavailable
from coupons.core.models import Account, CodeRecord, Discount, DiscountKind, Owner, utcnow
from coupons.core.table import Table
from coupons.sitevibes import items

PARTNER = "sitevibes"
REWARD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)
# RFC 9110 token: what a header name may be.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}", re.ASCII)
_CODE_CHARS = re.compile(r"[A-Z0-9]*", re.ASCII)
# Fewer possible codes than this and random draws start to collide often enough to exhaust the
# bounded retries; the admin is told when configuring, not a shopper when redeeming.
MIN_POSSIBLE_CODES = 1_000_000
# New random codes tried per redemption before giving up (503). With the default pattern
# (32^8 codes) a single collision is already a one-in-a-billion event at a million codes issued.
MAX_ATTEMPTS = 5
# A bound on the input, not a working limit: one counter item takes about 1,000 writes/s (86.4
# million a day), so a limit near this one limits nothing; leave it unset instead.
MAX_DAILY_REDEMPTIONS = 50_000_000
MAX_DAILY_VALUE = Decimal("999999999.99")  # coupons.core.money's largest amount

# One answer for an unknown reward and for a missing or wrong header: the same status, the same
# body (no reward id, no header name) and the same single table read, so reward ids cannot be
# probed without the secret.
NOT_OPENED = ("Unknown reward, or its header is missing or wrong: check the endpoint URL and the "
              "request headers set for the reward in SiteVibes")
# Stands in for an unknown reward, so that refusing one costs the same hash work as a wrong secret.
_NO_REWARD = Account(partner=PARTNER, account_id="")


class RewardExpired(InvalidRequest):
    """The reward's fixed expiry date has passed: any code it gave now would be dead on arrival."""


class CodePattern(Model):
    """How a reward's codes look: ``prefix`` then ``length`` random characters from ``alphabet``."""

    prefix: str = ""
    length: int = Field(default=8, ge=4, le=32)
    alphabet: str = codes.UNAMBIGUOUS_ALPHABET  # no look-alikes (0/O, 1/I) by default

    @field_validator("prefix", "alphabet")
    @classmethod
    def _codes_are_a_to_z_and_digits(cls, value: str) -> str:
        value = codes.canonical(value)
        if not _CODE_CHARS.fullmatch(value):
            raise ValueError(f"{value!r}: codes may only contain letters A-Z and digits 0-9")
        return value

    @model_validator(mode="after")
    def _pattern_fits_the_namespace(self) -> CodePattern:
        if len(set(self.alphabet)) != len(self.alphabet) or len(self.alphabet) < 2:
            raise ValueError("the alphabet needs at least 2 characters, each listed once")
        total = len(self.prefix) + self.length
        if not codes.MIN_LENGTH <= total <= codes.MAX_LENGTH:
            raise ValueError(f"prefix plus length must be {codes.MIN_LENGTH} to {codes.MAX_LENGTH} characters")
        if len(self.alphabet) ** self.length < MIN_POSSIBLE_CODES:
            raise ValueError(
                f"{len(self.alphabet)} characters at length {self.length} allow fewer than "
                f"{MIN_POSSIBLE_CODES:,} codes; use a longer code or a larger alphabet"
            )
        return self

    def generate(self) -> str:
        return codes.generate(self.prefix, self.length, self.alphabet)


class RewardSettings(Model):
    header_name: str  # e.g. X-Api-Key or Authorization; matched in any letter case, as HTTP does
    gives_code: bool = True  # False: "Reward without coupon code", answered with ""
    discount: Discount | None = None  # percent, fixed (with currency) or free shipping
    # 1: single use; None: unlimited. None is also the default because the store drops None
    # values, so an absent setting must read back as what None meant.
    max_uses: int | None = Field(default=None, ge=1)
    expires_on: date | None = None  # a fixed last valid day ...
    valid_days: int | None = Field(default=None, ge=1)  # ... or N days from the redemption
    pattern: CodePattern = Field(default_factory=CodePattern)
    # 0 (the default): every redemption gets a new code. N: the same email within N seconds gets
    # its earlier code again (a retry after a timeout), which SiteVibes then refuses as a duplicate
    # if it was in fact a second redemption.
    retry_window_seconds: int = Field(default=0, ge=0, le=86_400)
    # Abuse limits, per UTC day (None: no limit): redemptions (codes, or records of a reward
    # without a code), and for a fixed-amount reward the face value of the codes issued, in the
    # reward's currency. Over either, a redemption is refused (429) and nothing is written.
    daily_redemptions: int | None = Field(default=None, ge=1, le=MAX_DAILY_REDEMPTIONS)
    daily_value: Decimal | None = Field(default=None, gt=0, le=MAX_DAILY_VALUE)

    @field_validator("header_name")
    @classmethod
    def _is_a_header_name(cls, value: str) -> str:
        if not _HEADER_NAME.fullmatch(value):
            raise ValueError(f"{value!r} is not an HTTP header name")
        return value

    @model_validator(mode="after")
    def _code_settings_fit(self) -> RewardSettings:
        if self.gives_code:
            if self.discount is None:
                raise ValueError("a reward that gives a code needs a discount (percent, fixed or free shipping)")
            if self.discount.kind is DiscountKind.GIFT_CARD:
                raise ValueError("SiteVibes rewards give discount codes, not gift cards")
        if self.expires_on is not None and self.valid_days is not None:
            raise ValueError("give either a fixed expiry date or a number of valid days, not both")
        if self.daily_value is not None:
            fixed = self.discount if self.gives_code and self.discount else None
            if fixed is None or fixed.kind is not DiscountKind.FIXED or fixed.value is None:
                raise ValueError("a daily value budget needs a reward that gives a fixed amount off")
            places = self.daily_value.as_tuple().exponent
            if isinstance(places, int) and places < -money.exponent(fixed.currency):
                raise ValueError(f"the daily value has more decimals than {fixed.currency} allows")
            if self.daily_value < fixed.value:
                raise ValueError(f"the daily value {self.daily_value} is below one code's {fixed.value} "
                                 f"{fixed.currency}: no code could ever be issued")
        return self

    @property
    def value_per_code(self) -> Decimal:
        """What one code adds to the daily value: a fixed amount's face value, else nothing."""
        d = self.discount
        if self.gives_code and d is not None and d.kind is DiscountKind.FIXED and d.value is not None:
            return d.value
        return Decimal(0)


class Reward(Model):
    id: str
    settings: RewardSettings


@dataclass(frozen=True)
class Issued:
    code: str  # "" for a reward without a code
    issued_at: datetime
    replayed: bool  # True: a retry within the window, answered with the earlier code; nothing written


def normalise_email(email: str) -> str:
    """The person a redemption belongs to: the same address in any letter case is the same shopper."""
    return email.strip().lower()


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` in any letter case (HTTP header names are case-insensitive)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def open_reward(table: Table, reward_id: str, headers: Mapping[str, str]) -> Reward:
    """The reward, if the request carries its configured header with its secret; otherwise
    ``Unauthenticated(NOT_OPENED)``, whether the reward is unknown or the header missing or wrong:
    each costs one GetItem (``accounts.opened``), and a revoked secret works at most 30 s."""
    account = accounts.opened(table, PARTNER, reward_id, lambda found: _opens(found or _NO_REWARD, headers),
                              valid_id=REWARD_ID)
    if account is None:
        raise Unauthenticated(NOT_OPENED)
    return Reward(id=reward_id, settings=RewardSettings.model_validate(account.settings))


def _opens(account: Account, headers: Mapping[str, str]) -> bool:
    """Whether ``headers`` carry the reward's header with its secret (or the previous secret in its
    grace). The secret is hashed whatever arrives, so a missing header takes as long as a wrong one."""
    name = account.settings.get("header_name", "")
    presented = (header_value(headers, name) or "").strip() if name else ""
    # A value no configured secret can have (control characters, lone surrogates) is simply wrong.
    usable = bool(presented) and presented.isprintable()
    return account.opens_with(presented if usable else None) and usable


def redeem(
    table: Table,
    reward: Reward,
    email: str,
    *,
    now: Callable[[], datetime] = utcnow,
    generate: Callable[[], str] | None = None,
) -> Issued:
    """Issue the reward to ``email``: a new code, the same code again within the retry window, or
    ``""`` for a reward without a code. Every redemption is recorded.

    Each attempt is one transaction (see ``items.claim``): the claim, the code and, for a reward
    with a budget, the day's counter. A code collision draws a new random code; a parallel retry
    of the same redemption settles on the code that won; a retry within the window is answered
    even when the day's budget is spent (it issues nothing); over the budget, ``LimitReached``.
    """
    settings = reward.settings
    person = normalise_email(email)
    draw = generate or settings.pattern.generate
    window = timedelta(seconds=settings.retry_window_seconds)
    # The day's counter beside the reward, not in its partition: the policy lets this function
    # count there without letting it write the reward (issuing.Budget.own_partition).
    budget = issuing.Budget(PARTNER, reward.id, codes=settings.daily_redemptions, fixed_value=settings.daily_value,
                            own_partition=True)
    for _ in range(MAX_ATTEMPTS):
        issued_at = now()
        record = _code_record(reward, person, issued_at, draw()) if settings.gives_code else None
        try:
            counter = budget.part(table, issued_at, fixed=settings.value_per_code or None) if budget.limited else None
            items.claim(table, reward.id, person, issued_at, window, record, counter)
        except items.ClaimedWithinWindow as retry:
            return Issued(retry.claim.code, retry.claim.issued_at, replayed=True)
        except items.CodeCollision:
            continue
        except (items.OverBudget, LimitReached):
            raise LimitReached(_over_budget_message(reward)) from None
        return Issued(record.code if record else "", issued_at, replayed=False)
    raise Unavailable(f"No code could be issued for reward {reward.id!r} right now; please retry")


def _over_budget_message(reward: Reward) -> str:
    settings = reward.settings
    limits = []
    if settings.daily_redemptions is not None:
        n = settings.daily_redemptions
        limits.append(f"{n} redemption{'' if n == 1 else 's'}")
    if settings.daily_value is not None and settings.discount is not None:
        limits.append(f"{money.to_wire(settings.daily_value, settings.discount.currency)} "
                      f"{settings.discount.currency} of codes")
    return (f"Reward {reward.id!r} has reached its daily limit ({' and '.join(limits)} a day); no code was issued. "
            "It resets at midnight UTC, or the brand can raise it")


def _code_record(reward: Reward, person: str, issued_at: datetime, code: str) -> CodeRecord:
    settings = reward.settings
    today = issued_at.date()
    expires_on = settings.expires_on
    if expires_on is not None and expires_on < today:
        raise RewardExpired(f"Reward {reward.id!r} expired on {expires_on.isoformat()}; no code was issued")
    if expires_on is None and settings.valid_days:
        expires_on = today + timedelta(days=settings.valid_days)
    return CodeRecord(
        code=codes.require_valid(code),
        discount=settings.discount,
        owner=Owner(partner=PARTNER, account=reward.id, person=person),
        max_uses=settings.max_uses,
        expires_on=expires_on,
        description=f"SiteVibes reward {reward.id}",
        created_at=issued_at,
        fingerprint=issuing.fingerprint(PARTNER, reward.id, {"email": person, "issued_at": issued_at}),
    )
