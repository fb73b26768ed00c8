"""Erasure (``DELETE /v1/user-data``, Friendbuy's CCPA/GDPR route): a person's personal data leaves
every Friendbuy item of the caller's campaigns; counts and money stay, so reports still add up.

What is removed, what is kept and how a person is found: docs/friendbuy.md, "Design" (Erasure)."""

from __future__ import annotations

from typing import Any

from coupons.core import code_items
from coupons.core.errors import InvalidRequest
from coupons.core.table import Table
from coupons.friendbuy import referral_items
from coupons.friendbuy.campaigns import Caller
from coupons.friendbuy.events import PERSONAL_FIELDS

_NAMES = ("email", "first_name", "last_name")


def erase(table: Table, caller: Caller, customer_id: str | None = None, email: str | None = None) -> int:
    """Scrub the person from the caller's campaigns; answers how many items were changed."""
    if not customer_id and not email:
        raise InvalidRequest("Name the person: customerId or email")
    scrubbed = sum(_advocate(table, item) for item in _advocates(table, caller, customer_id, email))
    digests = [referral_items.person_digest(customer_id=customer_id)] if customer_id else []
    digests += [referral_items.person_digest(email=email)] if email else []
    for scope in sorted(caller.scopes):
        for digest in digests:
            for marker in referral_items.markers_of(table, scope, digest):
                scrubbed += _record(table, scope, {"pk": marker["sk"], "sk": marker["target_sk"]})
                referral_items.delete(table, {"pk": marker["pk"], "sk": marker["sk"]})
    return scrubbed


def _advocates(table: Table, caller: Caller, customer_id: str | None, email: str | None) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    if email:
        for item in referral_items.advocates_by_email(table, email):
            if item.get("campaign_id") in caller.campaigns:
                found[item["pk"]] = item
    if customer_id:
        wanted = sorted(caller.campaigns)
        for start in range(0, len(wanted), 100):
            keys = [referral_items.advocate_key(c, f"ID#{customer_id}") for c in wanted[start:start + 100]]
            for advocate in referral_items.read(table, keys):
                if advocate is not None:
                    found[advocate["pk"]] = advocate
    return list(found.values())


def _advocate(table: Table, item: dict[str, Any]) -> int:
    """The advocate item, its referral and (when it was known by email) its code's owner."""
    identity = str(item.get("identity") or item["pk"].split("#", 3)[-1])
    by_email = identity.startswith("EMAIL#") or not item.get("customer_id")
    pseudonym = f"erased:{referral_items.person_digest(email=item.get('email') or identity)[:16]}"
    changed = 0
    if by_email:
        referral_items.delete(table, {"pk": item["pk"], "sk": item["sk"]})  # its key holds the email
    else:
        changed += referral_items.remove_fields(table, {"pk": item["pk"], "sk": item["sk"]}, (*_NAMES, "gsi1pk", "gsi1sk"))
    referral_key = referral_items.referral_key(item["referral_code"])
    changed += referral_items.remove_fields(table, referral_key, _NAMES, {"identity": pseudonym} if by_email else None)
    if by_email and item.get("coupon_code"):
        changed += referral_items.set_if(table, code_items.key(item["coupon_code"]), "person", item.get("email"), pseudonym)
    return changed + (1 if by_email else 0)


def _record(table: Table, scope: str, key: dict[str, Any]) -> int:
    """A purchase or event: its personal fields, and its other marker (email and customer id each have one)."""
    item = referral_items.get(table, key)
    if item is None:
        return 0
    for marker in referral_items.person_markers(scope, key, item.get("customer_id"), item.get("email")):
        referral_items.delete(table, {"pk": marker["pk"], "sk": marker["sk"]})
    return referral_items.remove_fields(table, key, PERSONAL_FIELDS)
