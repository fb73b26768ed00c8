"""Affiliates of a programme (Affonso): embed tokens, and the one self-service coupon each may pick.

A session costs one read (the token item says everything it needs); the coupon and the
affiliate's claim are one transaction, each under its own condition, so "one coupon per affiliate"
and "one owner per code" hold under any race (docs/affonso.md, "Design")."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from coupons.affonso import items
from coupons.affonso.earnings import Earnings, earnings
from coupons.affonso.programmes import PARTNER, Programme, load_programme
from coupons.core import account_items, code_items, credentials, sale_items
from coupons.core.base_model import Model
from coupons.core.errors import (
    CodeTaken,
    CouponError,
    Forbidden,
    InvalidRequest,
    LimitReached,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from coupons.core.models import CodeRecord, Discount, Owner, utcnow
from coupons.core.table import Table

TOKEN_LIFETIME = timedelta(minutes=30)
CODE_MIN, CODE_MAX = 3, 20
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


class TokenExpired(Unauthenticated):
    """The embed token is unknown, tampered with, expired, or replaced by a newer one."""


class SelfServiceNotEnabled(Forbidden):
    """The programme has no blueprint, or self-service coupons are switched off."""


class InvalidCodeFormat(InvalidRequest):
    """The code is not 3-20 letters and digits once cleaned up."""


class AlreadyHasCoupon(CouponError):
    """The affiliate has its coupon in this programme already (changed only while it is paused)."""


class DailyLimitReached(LimitReached):
    """The programme's affiliates have created as many coupons today as the brand allows
    (``retry_after``: seconds until the next UTC day, when the budget starts again)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class PartnerProfile(Model):
    """Who the brand says the affiliate is; ``None`` fields leave a stored value unchanged."""

    email: str
    name: str | None = None
    image: str | None = None
    group_id: str | None = None
    external_user_id: str | None = None
    metadata_json: str | None = None  # JSON text: metadata may hold floats, which DynamoDB refuses


class Affiliate(Model):
    id: str  # also the tracking id in the affiliate's link
    programme: str
    email: str
    name: str | None = None
    image: str | None = None


class Coupon(Model):
    code: str
    discount: Discount
    previous_codes: tuple[str, ...] = ()  # paused codes it replaced, oldest first (their sales stay the affiliate's)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # the only time the token exists in clear: it goes to the brand's server
    expires_at: datetime
    affiliate: Affiliate
    programme: Programme


@dataclass(frozen=True)
class Session:
    """What a valid embed token opens: the affiliate, its programme, and its coupon if any."""

    programme: Programme
    affiliate: Affiliate
    coupon: Coupon | None
    token_hash: str  # the key of the token item that opened it


@dataclass(frozen=True)
class Dashboard:
    """What the affiliate portal shows: the session, the token that opened it, and the sales."""

    session: Session
    token: str
    earnings: Earnings
    paused_at: datetime | None = None  # the coupon is paused (the leak guard, or an admin): it may be replaced


@dataclass(frozen=True)
class Claimed:
    coupon: Coupon
    replayed: bool  # True: the affiliate's earlier request made this coupon; nothing new was written


def affiliate_id(programme_id: str, email: str) -> str:
    """Stable per programme and e-mail (any letter case), so "create if missing" needs no lookup."""
    digest = hashlib.sha256(f"{programme_id}\n{email.strip().lower()}".encode()).hexdigest()
    return f"aff_{digest[:20]}"


def token_hash(token: str) -> str:
    # Unsalted on purpose: the hash is the lookup key. Tokens carry 256 random bits, so a plain
    # SHA-256 cannot be reversed or guessed.
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(table: Table, programme: Programme, profile: PartnerProfile, now: datetime | None = None, *,
                token: str | None = None, expires_at: datetime | None = None) -> IssuedToken:
    """A new embed token for the affiliate with ``profile.email`` (created if missing); every older
    token of the affiliate stops working. ``token`` and ``expires_at`` are for the demo seed's fixed
    tokens only.

    One read of the affiliate and one transaction (``items.issue_token``): the new token is usable
    exactly when the affiliate points at it and the previous one is marked replaced.
    """
    now = now or utcnow()
    email = profile.email.strip().lower()
    aff_id = affiliate_id(programme.id, email)
    token = token or credentials.new_token()
    expires_at = expires_at or now + TOKEN_LIFETIME
    stored = items.issue_token(table, programme.id, aff_id, {**profile.model_dump(), "email": email},
                               token_hash(token), now, int(expires_at.timestamp()))
    affiliate = Affiliate(id=aff_id, programme=programme.id, email=email, name=stored.get("name"),
                          image=stored.get("image"))
    return IssuedToken(token=token, expires_at=expires_at, affiliate=affiliate, programme=programme)


def open_session(table: Table, token: str | None, now: datetime | None = None) -> Session:
    """The session an embed token opens, or ``TokenExpired`` (whatever the reason, told no one).
    One read: the token item; the programme comes from memory (at most 30 s old)."""
    now = now or utcnow()
    if not token:
        raise TokenExpired("The embed token is missing")
    hashed = token_hash(token)
    stored = items.get_token(table, hashed)
    # TTL deletes expired items late (up to days), so the expiry is checked here too.
    if stored is None or int(stored["expires_at"]) <= int(now.timestamp()):
        raise TokenExpired("The embed token is unknown or expired")
    if stored.get("replaced"):
        raise TokenExpired("The embed token was replaced by a newer one")
    if "email" not in stored:
        # Issued before tokens carried their affiliate (at most 30 minutes before that release).
        raise TokenExpired("The embed token is of an older kind; ask for a new one")
    programme = load_programme(table, stored["programme"])
    if programme is None:
        raise TokenExpired("The embed token's programme no longer exists")
    affiliate = Affiliate(id=stored["affiliate"], programme=programme.id, email=stored["email"],
                          name=stored.get("name"), image=stored.get("image"))
    coupon = _coupon(stored) if stored.get("code") else None
    return Session(programme=programme, affiliate=affiliate, coupon=coupon, token_hash=hashed)


def open_dashboard(table: Table, token: str | None, now: datetime | None = None) -> Dashboard:
    """The session an embed token opens, with the affiliate's sales: the redemptions of its coupon
    (one more Query, of the code's partition, and only when the affiliate has a coupon)."""
    session = open_session(table, token, now)
    coupon = session.coupon
    if coupon is None:
        return Dashboard(session=session, token=token or "", earnings=earnings(session.programme.settings, []))
    # A replaced (paused) code's sales stay the affiliate's: one Query per code it has held.
    sales = sorted((sale for code in (*coupon.previous_codes, coupon.code) for sale in sale_items.sales_of_code(table, code)),
                   key=lambda sale: sale.created_at)
    record = code_items.get(table, coupon.code)
    return Dashboard(session=session, token=token or "", earnings=earnings(session.programme.settings, sales),
                     paused_at=record.paused_at if record else None)


def normalise_code(requested: str) -> str:
    """Affonso's rule: non-alphanumeric characters removed, upper-cased, then 3-20 characters."""
    code = _NOT_ALPHANUMERIC.sub("", requested).upper()
    if not CODE_MIN <= len(code) <= CODE_MAX:
        raise InvalidCodeFormat(
            f"A code must be {CODE_MIN} to {CODE_MAX} letters or digits; {requested[:40]!r} leaves {code[:40]!r}"
        )
    return code


def create_coupon(table: Table, session: Session, requested_code: str, now: datetime | None = None) -> Claimed:
    """The affiliate's coupon with ``requested_code`` and the programme's blueprint.

    One transaction writes the code item and the claim, notes the coupon on the session's token,
    counts the programme's daily budget and holds on the programme's version. A claim that already
    holds exactly this code is the affiliate's own earlier request (a retry after a timeout):
    success, same coupon, nothing written or counted.
    """
    programme, fresh = session.programme, False
    for _ in range(_DECISIONS):
        blueprint = programme.settings.coupon_blueprint
        if blueprint is None and not fresh:
            # Refuse only on what the table says now: the brand may have switched it on a moment ago.
            programme, fresh = _fresh(table, programme.id), True
            continue
        if blueprint is None:
            raise SelfServiceNotEnabled(f"Programme {programme.id!r} has no self-service coupons")
        code = normalise_code(requested_code)
        held = session.coupon
        if held is not None and held.code == code:
            return Claimed(coupon=held, replayed=True)
        record = CodeRecord(
            code=code,
            discount=blueprint,
            owner=Owner(partner=PARTNER, account=programme.id, person=session.affiliate.id),
            description=f"Self-service coupon of {session.affiliate.email}",
            created_at=now or utcnow(),
        )
        try:
            if held is None:
                items.claim_code(table, record, session.affiliate.id, session.token_hash,
                                 _guards(table, programme, record))
            else:  # a new code only in place of a paused one (the leak guard): refused otherwise
                items.replace_code(table, record, session.affiliate.id, session.token_hash, held.code,
                                   _guards(table, programme, record))
        except items.ClaimRefused as refused:
            if refused.programme_changed:  # decided on settings changed meanwhile: read them, decide again
                programme, fresh = _fresh(table, programme.id), True
                continue
            if refused.token_retired:
                raise TokenExpired("The embed token was replaced by a newer one") from None
            if refused.claim is not None and refused.claim.get("code") == code:
                return Claimed(coupon=_coupon(refused.claim), replayed=True)
            if refused.has_claim or refused.old_not_paused:  # the affiliate's own state comes first
                raise AlreadyHasCoupon(f"Affiliate {session.affiliate.id} has a coupon in {programme.id!r}; "
                                       "a new one can be chosen only while it is paused") from None
            if refused.code_taken:
                raise CodeTaken(f"The code {code} exists already") from None
            raise _used_up(programme, record.created_at) from None
        previous = () if held is None else (*held.previous_codes, held.code)
        return Claimed(coupon=Coupon(code=code, discount=blueprint, previous_codes=previous), replayed=False)
    raise Unavailable("The programme's settings are being changed; please retry in a moment")


# Decisions on the programme's settings per request: the cached ones, then (when they changed
# meanwhile) the table's, once more if they change again in that moment.
_DECISIONS = 3


def _fresh(table: Table, programme_id: str) -> Programme:
    programme = load_programme(table, programme_id, fresh=True)
    if programme is None:
        raise TokenExpired("The embed token's programme no longer exists")
    return programme


def _guards(table: Table, programme: Programme, record: CodeRecord) -> dict[str, dict[str, Any]]:
    """The coupon transaction's other parts: the programme is still as decided on, and (when the
    brand set one) the day's budget has room."""
    guards = {"programme": account_items.unchanged(table, PARTNER, programme.id, programme.version)}
    budget = programme.settings.budget(programme.id)
    if budget.limited:
        try:
            guards["budget"] = budget.count(table, record)
        except LimitReached:  # one coupon alone is over the value budget
            raise _used_up(programme, record.created_at) from None
    return guards


def _used_up(programme: Programme, at: datetime) -> DailyLimitReached:
    settings = programme.settings
    count = settings.daily_coupons
    limits = [f"{count} new coupon{'' if count == 1 else 's'}"] if count is not None else []
    if settings.daily_flat_value is not None:
        limits.append(" ".join(filter(None, [str(settings.daily_flat_value), settings.totals_currency, "of flat coupons"])))
    at = at.astimezone(UTC)  # budgets are per UTC day (core.issuing)
    tomorrow = datetime.combine(at.date() + timedelta(days=1), time(0), tzinfo=UTC)
    return DailyLimitReached(
        f"Programme {programme.id!r} has reached its daily limit of {' and '.join(limits)}; "
        "please try again tomorrow (the limit starts again at 00:00 UTC)",
        retry_after=max(1, int((tomorrow - at).total_seconds())))


def disable_coupon(table: Table, code: str, by: str, now: datetime | None = None) -> CodeRecord:
    """Admin only: checkout refuses the code from now on; the affiliate keeps it (coupons never change hands)."""
    try:
        return items.disable_code(table, code.upper(), PARTNER, by, now or utcnow())
    except LookupError:
        raise NotFound(f"No Affonso coupon {code.upper()!r}") from None


def _coupon(claim: dict[str, Any]) -> Coupon:
    return Coupon(code=claim["code"], discount=Discount(kind=claim["kind"], value=claim.get("value"),
                                                       currency=claim.get("currency")),
                  previous_codes=tuple(claim.get("previous_codes") or ()))
