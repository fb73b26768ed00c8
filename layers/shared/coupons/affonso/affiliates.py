"""Affiliates of a programme (Affonso): embed tokens, and the one self-service coupon each may pick.

- The brand's server, holding the programme's API key, asks for an embed token for one affiliate
  (created if missing). The token is random (256 bits) and only its SHA-256 is stored, with an
  expiry 30 minutes out. The affiliate item keeps the hash of its newest token, so issuing a token
  invalidates every older one.
- With the token, the affiliate reads its coupon (or the programme's blueprint) and may create its
  coupon once: the code item and the affiliate's claim are written in one transaction, each under
  its own condition, so "one coupon per affiliate" and "one owner per code" hold under any race.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel

from coupons.affonso import items
from coupons.affonso.earnings import Earnings, earnings
from coupons.affonso.programmes import PARTNER, Programme, load_programme
from coupons.core import credentials, sale_items
from coupons.core.errors import CodeTaken, CouponError, Forbidden, InvalidRequest, NotFound, Unauthenticated
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
    """The affiliate has its coupon in this programme already (coupons cannot be changed)."""


class PartnerProfile(BaseModel):
    """Who the brand says the affiliate is; ``None`` fields leave a stored value unchanged."""

    email: str
    name: str | None = None
    image: str | None = None
    group_id: str | None = None
    external_user_id: str | None = None
    metadata_json: str | None = None  # JSON text: metadata may hold floats, which DynamoDB refuses


class Affiliate(BaseModel):
    id: str  # also the tracking id in the affiliate's link
    programme: str
    email: str
    name: str | None = None
    image: str | None = None


class Coupon(BaseModel):
    code: str
    discount: Discount


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


@dataclass(frozen=True)
class Dashboard:
    """What the affiliate portal shows: the session, the token that opened it, and the sales."""

    session: Session
    token: str
    earnings: Earnings


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


def issue_token(table: Table, programme: Programme, profile: PartnerProfile,
                now: datetime | None = None) -> IssuedToken:
    """A new embed token for the affiliate with ``profile.email`` (created if missing).

    The token item is written first and the affiliate's pointer to it last: if the second write
    fails, the new token is unusable and the previous one still works, never the other way round.
    """
    now = now or utcnow()
    email = profile.email.strip().lower()
    aff_id = affiliate_id(programme.id, email)
    token = credentials.new_token()
    hashed = token_hash(token)
    expires_at = now + TOKEN_LIFETIME
    items.put_token(table, hashed, programme.id, aff_id, now, int(expires_at.timestamp()))
    items.save_affiliate(table, programme.id, aff_id, {**profile.model_dump(), "email": email}, hashed, now)
    affiliate = Affiliate(id=aff_id, programme=programme.id, email=email, name=profile.name, image=profile.image)
    return IssuedToken(token=token, expires_at=expires_at, affiliate=affiliate, programme=programme)


def open_session(table: Table, token: str | None, now: datetime | None = None) -> Session:
    """The session an embed token opens, or ``TokenExpired`` (whatever the reason, told no one)."""
    now = now or utcnow()
    if not token:
        raise TokenExpired("The embed token is missing")
    hashed = token_hash(token)
    stored = items.get_token(table, hashed)
    # TTL deletes expired items late (up to days), so the expiry is checked here too.
    if stored is None or int(stored["expires_at"]) <= int(now.timestamp()):
        raise TokenExpired("The embed token is unknown or expired")
    profile, claim = items.get_affiliate(table, stored["programme"], stored["affiliate"])
    if profile is None or not hmac.compare_digest(str(profile.get("current_token", "")), hashed):
        raise TokenExpired("The embed token was replaced by a newer one")
    programme = load_programme(table, stored["programme"])
    if programme is None:
        raise TokenExpired("The embed token's programme no longer exists")
    affiliate = Affiliate(id=stored["affiliate"], programme=programme.id, email=profile["email"],
                          name=profile.get("name"), image=profile.get("image"))
    return Session(programme=programme, affiliate=affiliate, coupon=_coupon(claim) if claim else None)


def open_dashboard(table: Table, token: str | None, now: datetime | None = None) -> Dashboard:
    """The session an embed token opens, with the affiliate's sales: the redemptions of its coupon
    (one more Query, of the code's partition, and only when the affiliate has a coupon)."""
    session = open_session(table, token, now)
    sales = sale_items.sales_of_code(table, session.coupon.code) if session.coupon else []
    return Dashboard(session=session, token=token or "", earnings=earnings(session.programme.settings, sales))


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

    One transaction writes the code item and the claim. A refused claim that already holds exactly
    this code is the affiliate's own earlier request (a retry after a timeout): success, same coupon.
    """
    blueprint = session.programme.settings.coupon_blueprint
    if blueprint is None:
        raise SelfServiceNotEnabled(f"Programme {session.programme.id!r} has no self-service coupons")
    code = normalise_code(requested_code)
    record = CodeRecord(
        code=code,
        discount=blueprint,
        owner=Owner(partner=PARTNER, account=session.programme.id, person=session.affiliate.id),
        description=f"Self-service coupon of {session.affiliate.email}",
        created_at=now or utcnow(),
    )
    try:
        items.claim_code(table, record, session.affiliate.id)
    except items.ClaimRefused as refused:
        if refused.claim is not None and refused.claim.get("code") == code:
            return Claimed(coupon=_coupon(refused.claim), replayed=True)
        if refused.has_claim:  # also when the code is taken too: the affiliate's own state comes first
            raise AlreadyHasCoupon(
                f"Affiliate {session.affiliate.id} has a coupon in {session.programme.id!r}") from None
        raise CodeTaken(f"The code {code} exists already") from None
    return Claimed(coupon=Coupon(code=code, discount=blueprint), replayed=False)


def disable_coupon(table: Table, code: str, by: str, now: datetime | None = None) -> CodeRecord:
    """Admin only: checkout refuses the code from now on; the affiliate keeps it (coupons never change hands)."""
    try:
        return items.disable_code(table, code.upper(), PARTNER, by, now or utcnow())
    except LookupError:
        raise NotFound(f"No Affonso coupon {code.upper()!r}") from None


def _coupon(claim: dict[str, Any]) -> Coupon:
    return Coupon(code=claim["code"], discount=Discount(kind=claim["kind"], value=claim.get("value"),
                                                       currency=claim.get("currency")))
