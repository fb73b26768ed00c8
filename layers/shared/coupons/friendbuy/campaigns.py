"""Friendbuy campaigns and the Merchant API's authentication.

A campaign is a partner account (``ACCOUNT#friendbuy#<id>``). Access is by key: an access key
opens one or more campaigns and has one secret (stored hashed). ``POST /authorization`` trades the
key and secret for a bearer token valid 20 minutes; HTTP Basic ``key:secret`` (the older REST API's
way) is accepted on every other route as well.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from coupons.core import account_items, cache
from coupons.core.base_model import Model
from coupons.core.credentials import Presented, hash_secret, new_token, verify_secret
from coupons.core.errors import InvalidRequest, NotFound, Unauthenticated
from coupons.core.models import Account, utcnow
from coupons.core.table import Table
from coupons.friendbuy import key_items as campaign_keys

PARTNER = "friendbuy"
TOKEN_LIFETIME = timedelta(minutes=20)  # Friendbuy's Merchant API tokens live 20 minutes


class CampaignSettings(Model):
    access_key: str
    active: bool = True
    name: str | None = None
    # The referral link is link_base + referral code (Friendbuy's own links look like https://fbuy.io/cPw5).
    link_base: str = "https://fbuy.io/"
    destination_url: str | None = None
    # Personal referral links (POST /v1/personal-referral-link) are this URL with the referral code,
    # the share's attributionId and the caller's destinationUrlQueryParams in its query.
    referral_url: str | None = None


class Campaign(Model):
    id: str
    settings: CampaignSettings

    def link(self, referral_code: str) -> str:
        return f"{self.settings.link_base}{referral_code}"

    def personal_link(self, referral_code: str, attribution_id: str | None, params: dict[str, str]) -> str:
        """The referral URL (else the destination URL, else link base + code) with the referral
        code and attributionId in its query, then the caller's parameters (ours win a clash)."""
        base = self.settings.referral_url or self.settings.destination_url or self.link(referral_code)
        parts = urlsplit(base)
        ours = {"referralCode": referral_code, **({"attributionId": attribution_id} if attribution_id else {})}
        query = [*((k, v) for k, v in parse_qsl(parts.query) if k not in ours),
                 *((k, v) for k, v in params.items() if k not in ours), *ours.items()]
        return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True)
class Caller:
    """Who is calling: an access key and the campaigns it opens."""

    access_key: str
    campaigns: frozenset[str]

    @property
    def home(self) -> str:
        """Where the caller's unattributed purchases and events are kept: its campaign, or for a
        key opening several campaigns, the key itself (never another key's or campaign's)."""
        if len(self.campaigns) == 1:
            return next(iter(self.campaigns))
        return f"key:{self.access_key}"

    @property
    def scopes(self) -> frozenset[str]:
        """Every scope this caller's records can be kept under (for erasure)."""
        return self.campaigns | {self.home}


@dataclass(frozen=True)
class Token:
    token: str
    expires: datetime


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits, so an unsalted hash is enough and lets the hash be the item key.
    return hashlib.sha256(token.encode()).hexdigest()


def authorize(table: Table, key: str, secret: str) -> Token:
    """A bearer token for ``key`` if ``secret`` is its secret."""
    caller = _check_key(table, key, secret)
    token = new_token()
    expires = utcnow() + TOKEN_LIFETIME
    campaign_keys.put_token(table, _token_hash(token), caller.access_key, set(caller.campaigns), int(expires.timestamp()))
    return Token(token, expires)


def _check_key(table: Table, key: str, secret: str) -> Caller:
    # The key item at most cache.TTL_SECONDS old: a revoked key or campaign stops working within it.
    item = cache.cached(table, ("friendbuy-key", key), lambda: campaign_keys.get_key(table, key)) if key else None
    if item is not None and not verify_secret(secret, item.get("secret_hash")):
        cache.forget(table, ("friendbuy-key", key))  # a secret changed in the last 30 s works at once
        item = cache.cached(table, ("friendbuy-key", key), lambda: campaign_keys.get_key(table, key))
    # verify_secret compares against a dummy hash when the key is unknown: same time either way.
    if not verify_secret(secret, item.get("secret_hash") if item else None) or item is None:
        raise Unauthenticated("The access key or the secret is not valid")
    if not item.get("campaigns"):  # a key that opens nothing gets no token either
        raise Unauthenticated("The access key or the secret is not valid")
    return Caller(key, frozenset(item.get("campaigns", ())))


def caller(table: Table, presented: Presented) -> Caller:
    """The caller a credential names: a bearer token from ``authorize``, or an access key and secret."""
    if presented.scheme == "bearer":
        token_hash = _token_hash(presented.secret)
        item = cache.cached(table, ("friendbuy-token", token_hash), lambda: campaign_keys.get_token(table, token_hash))
        # TTL deletes expired items only eventually, so the expiry is checked here too.
        if item is None or int(item["expires_at"]) <= int(utcnow().timestamp()):
            raise Unauthenticated("The bearer token is unknown or has expired; ask POST /v1/authorization for a new one")
        return Caller(item["access_key"], frozenset(item.get("campaigns", ())))
    if presented.scheme == "basic":
        return _check_key(table, presented.key, presented.secret)
    raise Unauthenticated("Send Authorization: Bearer <token> (from POST /v1/authorization), the bare token, "
                          "or Basic key:secret")


def admit(caller: Caller, campaign_id: str, item: dict[str, Any] | None) -> Campaign:
    """The campaign from its account item, if it exists, is active and the caller's key opens it.
    All three failures look the same from outside: a key learns nothing about other campaigns."""
    if item is None or campaign_id not in caller.campaigns:
        raise NotFound(f"Campaign {campaign_id} was not found")
    campaign = Campaign(id=campaign_id, settings=CampaignSettings.model_validate(item.get("settings", {})))
    if not campaign.settings.active:
        raise NotFound(f"Campaign {campaign_id} is not active")
    return campaign


def account_key(campaign_id: str) -> dict[str, Any]:
    return account_items.key(PARTNER, campaign_id)


# ---- admin -------------------------------------------------------------------------------------


def add_campaign(table: Table, campaign_id: str, secret: str, settings: CampaignSettings) -> None:
    """Create or replace a campaign, opened by ``settings.access_key`` with ``secret`` (stored hashed)."""
    previous = account_items.get(table, PARTNER, campaign_id)
    existing_key = campaign_keys.get_key(table, settings.access_key)
    checked = existing_key.get("secret_hash") if existing_key else None
    if existing_key is not None and not verify_secret(secret, checked):
        # Another campaign's integration uses this key with its secret: re-keying it would break that one.
        raise InvalidRequest(f"Access key {settings.access_key!r} is already used with another secret; "
                             "give that secret, or use a new access key")
    account_items.put(table, Account(partner=PARTNER, account_id=campaign_id, settings=settings.model_dump()))
    try:
        campaign_keys.grant(table, settings.access_key, hash_secret(secret), campaign_id, checked)
    except campaign_keys.KeyChanged:
        raise InvalidRequest(f"Access key {settings.access_key!r} changed meanwhile; run the command again") from None
    cache.forget(table, ("friendbuy-key", settings.access_key))
    if previous is not None:
        old_key = CampaignSettings.model_validate(previous.settings).access_key
        if old_key != settings.access_key:
            campaign_keys.revoke(table, old_key, campaign_id)
            cache.forget(table, ("friendbuy-key", old_key))


def get_campaign(table: Table, campaign_id: str) -> Campaign:
    account = account_items.get(table, PARTNER, campaign_id)
    if account is None:
        raise NotFound(f"Campaign {campaign_id} was not found")
    return Campaign(id=campaign_id, settings=CampaignSettings.model_validate(account.settings))


def set_active(table: Table, campaign_id: str, active: bool) -> None:
    campaign = get_campaign(table, campaign_id)
    settings = campaign.settings.model_copy(update={"active": active})
    account_items.put(table, Account(partner=PARTNER, account_id=campaign_id, settings=settings.model_dump()))


def list_campaigns(table: Table) -> list[Campaign]:
    return [Campaign(id=a.account_id, settings=CampaignSettings.model_validate(a.settings))
            for a in account_items.list_all(table, PARTNER)]
