"""Key prefixes are named once, in the items modules; the template's IAM conditions agree with them.

Each function's ``dynamodb:LeadingKeys`` patterns are held against the partition keys that the
items modules of the packages it runs actually build: every key a function writes or reads must
match one of its patterns (else it is refused in AWS), and every pattern must match a key the
function builds (else the policy is wider than use). Change a key layout in one place and this
test names the template line to follow.
"""

from __future__ import annotations

from datetime import date
from fnmatch import fnmatchcase

import pytest

from coupons.affonso import items as affonso_items
from coupons.checkout import items as checkout_items
from coupons.core import account_items, card_items, code_items, outbox, rate_items
from coupons.friendbuy import bank_items, key_items, outbound_items, referral_items
from coupons.guard import items as guard_items
from coupons.sales import webhook_items
from coupons.sitevibes import items as sitevibes_items
from localrun import template

CODE = code_items.key("SUMMER20")["pk"]


def account(partner: str) -> str:
    return account_items.key(partner, "demo")["pk"]


FRIENDBUY = [
    referral_items.referral_key("cPw5")["pk"], referral_items.advocate_key("53345", "id:1")["pk"],
    referral_items.purchase_key("53345", "order-1")["pk"], referral_items.referrals_partition("53345", 0),
    referral_items.share_key("attr-1")["pk"], referral_items.event_key("53345", "custom", "h")["pk"],
    referral_items.person_partition("53345", "h"),
    referral_items.email_partition("a@example.com"), bank_items.bank_key("9900")["pk"],
    bank_items.free_partition("9900", 0), key_items.key_item_key("k")["pk"], key_items.token_item_key("t")["pk"],
]

# Partition keys each function's code builds (table keys, not index keys: IAM's LeadingKeys sees
# the table's partition key of every item a call touches).
BUILDS = {
    "BrandbassadorFunction": [CODE, account("brandbassador"), card_items.partition("ref"),  # a gift card's ledger
                              account_items.budget_key("brandbassador", "demo", date(2026, 1, 1), own_partition=True)["pk"]],
    "SiteVibesFunction": [CODE, account("sitevibes"), sitevibes_items.partition("demo", "a@example.com"),
                          account_items.budget_key("sitevibes", "demo", date(2026, 1, 1), own_partition=True)["pk"]],
    "AffonsoFunction": [CODE, account("affonso"), affonso_items.token_key("h")["pk"],
                        affonso_items.affiliate_partition("demo", "aff-1"),
                        account_items.budget_key("affonso", "demo", date(2026, 1, 1), own_partition=True)["pk"]],
    "CheckoutFunction": [CODE, account("checkout"), checkout_items.redemption_key("SUMMER20", "d")["pk"],
                         outbox.event_key("SUMMER20.d", outbox.SALE), checkout_items.tracked_sale_key("d")["pk"],
                         account("brandbassador"),  # a tracked sale's ConditionCheck on the webshop
                         rate_items.key("EUR", "USD")["pk"],  # a code in another currency
                         card_items.partition("ref")],  # the gift-card ledger: moves, the report's Query
    "SenderFunction": [outbox.event_key("SUMMER20.d", outbox.SALE), outbox.alert_key("SUMMER20#paused#t", "guard"),
                       account("brandbassador"),
                       guard_items.code_pk("SUMMER20"), guard_items.policy_key("sitevibes", "r")["pk"],
                       webhook_items.key("sitevibes")["pk"], CODE, referral_items.referral_key("cPw5")["pk"],
                       referral_items.purchase_key("53345", "order-1")["pk"],
                       referral_items.person_partition("53345", "h"), outbound_items.link_key("53345")["pk"]],
    "FriendbuyFunction": [CODE, account("friendbuy"), *FRIENDBUY],
    "RatesRefreshFunction": [rate_items.key("EUR", "USD")["pk"]],  # the ECB file's rates, nothing else
}


def leading_keys(function: str) -> set[str]:
    resource = template.load()["Resources"][function]
    patterns: set[str] = set()
    for policy in resource["Properties"].get("Policies", []):
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            condition = statement.get("Condition", {}).get("ForAllValues:StringLike", {})
            patterns |= set(condition.get("dynamodb:LeadingKeys", []))
    return patterns


def test_every_function_with_table_access_is_listed():
    with_keys = {name for name, r in template.load()["Resources"].items()
                 if r["Type"] == "AWS::Serverless::Function" and leading_keys(name)}
    assert with_keys == set(BUILDS)


@pytest.mark.parametrize("function", sorted(BUILDS))
def test_every_key_a_function_builds_is_allowed_by_its_policy(function):
    patterns = leading_keys(function)
    refused = [pk for pk in BUILDS[function] if not any(fnmatchcase(pk, p) for p in patterns)]
    assert refused == []


@pytest.mark.parametrize("function", sorted(BUILDS))
def test_every_pattern_of_a_policy_is_used(function):
    unused = [p for p in leading_keys(function) if not any(fnmatchcase(pk, p) for pk in BUILDS[function])]
    assert unused == []


def test_the_keys_say_which_partner_they_belong_to():
    """Partner items live under the partner's own prefix, so a policy can fence them."""
    assert all(pk.startswith("FRIENDBUY#") for pk in FRIENDBUY)
    assert sitevibes_items.partition("r", "p").startswith("SITEVIBES#")
    assert affonso_items.token_key("h")["pk"].startswith("AFFONSO#")
    assert checkout_items.sales_partition(date(2026, 1, 1), 0).startswith("SALES#")  # gsi1 only
