"""Least privilege, checked by use: every DynamoDB and KMS call a function makes while serving its
events/ samples (and the flows named here that the samples cannot reach) must be allowed by that
function's policy in template.yaml (action, resource, ``dynamodb:LeadingKeys`` of every item it
touches; for KMS, the encryption context's purpose and item), and every action a policy grants must
be used on every key prefix (and purpose) it names.

The handlers run on moto with clients that record each call, so the check follows the code,
not a list someone keeps by hand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

import pytest

from coupons.core import account_items, sealed
from localrun import template
from localrun.delivery import LocalDelivery
from localrun.demo.checkout import add_sample_codes
from localrun.partner_stub import PartnerStub
from tests.conftest import EVENTS, FakeContext, _function, _modules, load_module

# events/<contract> -> the function that serves it
SERVED_BY = {"brandbassador": "BrandbassadorFunction", "sitevibes": "SiteVibesFunction",
             "affonso": "AffonsoFunction", "friendbuy": "FriendbuyFunction", "checkout": "CheckoutFunction"}
# TransactWriteItems has no IAM action of its own: each part needs its item action.
PART_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}


@dataclass(frozen=True)
class Access:
    action: str  # dynamodb:GetItem ...
    index: str | None  # a query on an index
    partition: str | None  # the partition key touched (an index query's: the index's)


@dataclass(frozen=True)
class Write:
    kind: str  # Put, Update, Delete
    partition: str
    condition: str | None  # its ConditionExpression


@dataclass
class RecordingClient:
    client: Any
    seen: list[Access] = field(default_factory=list)
    written: list[Write] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.client, name)
        if not callable(target) or name.startswith("_") or name in ("get_paginator", "meta"):
            return target

        def call(**kwargs: Any) -> Any:
            self.seen.extend(accesses(name, kwargs))
            self.written.extend(writes(name, kwargs))
            return target(**kwargs)

        return call


@dataclass(frozen=True)
class KmsCall:
    action: str  # kms:Decrypt ...
    purpose: str
    item: str


@dataclass
class RecordingKms:
    """The KMS client of ``coupons.core.sealed``, recording each call with its encryption context."""

    client: Any
    seen: list[KmsCall] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.client, name)
        if not callable(target) or name.startswith("_") or name == "meta":
            return target

        def call(**kwargs: Any) -> Any:
            context = kwargs.get("EncryptionContext", {})
            action = "kms:" + "".join(part.capitalize() for part in name.split("_"))
            self.seen.append(KmsCall(action, context.get("purpose", ""), context.get("item", "")))
            return target(**kwargs)

        return call


@contextmanager
def recording_kms() -> Iterator[RecordingKms]:
    """Every KMS call made meanwhile (nothing opened before is remembered: each secret is decrypted)."""
    from coupons.core import cache

    cache.clear()
    recorder = RecordingKms(sealed.kms())
    sealed._kms = recorder
    try:
        yield recorder
    finally:
        sealed._kms = recorder.client


def _action(operation: str) -> str:
    return "dynamodb:" + "".join(part.capitalize() for part in operation.split("_"))


def _reads_back(request: dict[str, Any]) -> bool:
    """A write that asks for the item it found (ALL_OLD) reads it too, and is authorised as a
    GetItem besides (AWS: "Using IAM with DynamoDB transactions")."""
    return request.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" or request.get("ReturnValues") == "ALL_OLD"


def accesses(operation: str, kwargs: dict[str, Any]) -> Iterator[Access]:
    if operation == "transact_write_items":
        for part in kwargs["TransactItems"]:
            ((kind, request),) = part.items()
            key = request.get("Key") or request.get("Item")
            yield Access(f"dynamodb:{PART_ACTIONS[kind]}", None, key["pk"]["S"])
            if _reads_back(request):
                yield Access("dynamodb:GetItem", None, key["pk"]["S"])
    elif operation == "batch_get_item":
        # One request: IAM's ForAllValues needs ONE statement to cover every key it names.
        keys = [key["pk"]["S"] for request in kwargs["RequestItems"].values() for key in request["Keys"]]
        yield Access("dynamodb:BatchGetItem", None, "\n".join(keys))
    elif operation == "query":
        # The partition the query names: the table's pk, or the index's (IAM holds an index query's
        # LeadingKeys against the index's partition key).
        values = kwargs.get("ExpressionAttributeValues", {})
        named = re.search(r"\b(?:gsi1pk|pk)\s*=\s*(:\w+)", kwargs["KeyConditionExpression"])
        yield Access(_action(operation), kwargs.get("IndexName"), values[named.group(1)]["S"] if named else None)
    elif operation in ("get_item", "put_item", "update_item", "delete_item"):
        key = kwargs.get("Key") or kwargs.get("Item")
        yield Access(_action(operation), None, key["pk"]["S"])
        if operation != "get_item" and _reads_back(kwargs):
            yield Access("dynamodb:GetItem", None, key["pk"]["S"])
    else:
        yield Access(_action(operation), None, None)


def writes(operation: str, kwargs: dict[str, Any]) -> Iterator[Write]:
    single = {"put_item": "Put", "update_item": "Update", "delete_item": "Delete"}
    parts = ([next(iter(p.items())) for p in kwargs["TransactItems"]] if operation == "transact_write_items"
             else [(single[operation], kwargs)] if operation in single else [])
    for kind, request in parts:
        if kind in ("Put", "Update", "Delete"):
            key = request.get("Key") or request.get("Item")
            yield Write(kind, key["pk"]["S"], request.get("ConditionExpression"))


@dataclass(frozen=True)
class Grant:
    actions: frozenset[str]
    resources: tuple[str, ...]  # "table" or "index/<name>"
    leading_keys: tuple[str, ...] | None

    def allows(self, access: Access) -> bool:
        if access.action not in self.actions:
            return False
        if ("table" if access.index is None else f"index/{access.index}") not in self.resources:
            return False
        partitions = (access.partition or "").split("\n")  # a batch read names several
        return self.leading_keys is None or all(
            any(fnmatchcase(partition, p) for p in self.leading_keys) for partition in partitions)


def _resource(value: Any) -> str | None:
    if value == {"Fn::GetAtt": ["CouponsTable", "Arn"]}:
        return "table"
    if isinstance(value, dict) and "Fn::Sub" in value and "CouponsTable.Arn" in str(value["Fn::Sub"]):
        return str(value["Fn::Sub"]).split("}/", 1)[1]
    return None


def grants(function: str) -> list[Grant]:
    found = []
    for policy in template.load()["Resources"][function]["Properties"].get("Policies", []):
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if not any(a.startswith("dynamodb:") for a in actions):
                continue
            raw = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            resources = tuple(r for r in map(_resource, raw) if r)
            keys = statement.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
            found.append(Grant(frozenset(actions), resources, tuple(keys) if keys else None))
    return found


@dataclass(frozen=True)
class KmsGrant:
    actions: frozenset[str]
    purposes: tuple[str, ...]
    items: tuple[str, ...]

    def allows(self, call: KmsCall) -> bool:
        return (call.action in self.actions and call.purpose in self.purposes
                and any(fnmatchcase(call.item, p) for p in self.items))


def kms_grants(function: str) -> list[KmsGrant]:
    """The function's kms: statements; each must name the purpose and item of the context it opens."""
    found = []
    for policy in template.load()["Resources"][function]["Properties"].get("Policies", []):
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if not any(a.startswith("kms:") for a in actions):
                continue
            assert statement["Resource"] == {"Fn::GetAtt": ["PartnerSecretsKey", "Arn"]}, statement
            purpose = statement["Condition"]["StringEquals"]["kms:EncryptionContext:purpose"]
            item = statement["Condition"]["StringLike"]["kms:EncryptionContext:item"]
            found.append(KmsGrant(frozenset(actions), tuple(purpose if isinstance(purpose, list) else [purpose]),
                                  tuple(item if isinstance(item, list) else [item])))
    return found


def kms_verdict(function: str, seen: list[KmsCall]) -> tuple[list[str], list[str]]:
    """(calls no statement allows, statements' (action, purpose, item) no call used)."""
    allowed = kms_grants(function)
    refused = sorted({f"{c.action} {c.purpose} {c.item}" for c in seen if not any(g.allows(c) for g in allowed)})
    unused_ = sorted(f"{action} {purpose} {item}" for g in allowed for action in g.actions for purpose in g.purposes
                     for item in g.items if not any(c.action == action and c.purpose == purpose
                                                     and fnmatchcase(c.item, item) for c in seen))
    return refused, unused_


# Paths the events/ samples cannot reach on their own, recorded after them (the samples' own files
# stay what the three-way tests and SAM's emulator run): contract -> (sample, what to change in it).
FLOWS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    # Erasure by e-mail of an advocate known only by e-mail (its key holds the e-mail: DeleteItem
    # FRIENDBUY#ADVOCATE#) and of a purchase's buyer (UpdateItem FRIENDBUY#PURCHASE#, its fields removed).
    "friendbuy": [("user-data-delete", {"email": "sam@example.org"}),
                  ("user-data-delete", {"email": "friend@example.com"})],
}


def _with_query(event: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    from urllib.parse import urlencode

    return {**event, "queryStringParameters": query, "rawQueryString": urlencode(query)}


def _stored_rates(demo_table) -> None:
    """EUR/USD stored, so the checkout sample redeeming a EUR gift card in a USD cart converts it
    (the redemption's transaction then holds on the rate with a ConditionCheck on RATE#)."""
    from coupons.core import rate_items, rates
    from coupons.core.models import utcnow

    rate_items.put_all(demo_table, [rates.new_rate("EUR", "USD", "1.10", utcnow().date())])


def replay(demo_table, contract: str) -> list[Access]:
    return replay_recorded(demo_table, contract).seen


def replay_recorded(demo_table, contract: str) -> RecordingClient:
    """Every events/<contract> sample through the handler, twice (a retry takes other paths)."""
    function = SERVED_BY[contract]
    if contract == "checkout":
        add_sample_codes(demo_table)  # what the checkout samples redeem
        _stored_rates(demo_table)
    recorder = RecordingClient(demo_table.client)
    if function not in _modules:
        f = _function(function)
        _modules[function] = load_module(f.code_dir, f.handler, f.name)
    module = _modules[function]
    module.table = type(demo_table)(demo_table.name, recorder)
    for _ in range(2):
        for path in sorted((EVENTS / contract).glob("*.json")):
            module.lambda_handler(json.loads(path.read_text()), FakeContext())
    for sample, query in FLOWS.get(contract, []):
        event = json.loads((EVENTS / contract / f"{sample}.json").read_text())
        assert module.lambda_handler(_with_query(event, query), FakeContext())["statusCode"] == 200
    return recorder


@pytest.fixture
def stub() -> Iterator[PartnerStub]:
    partner = PartnerStub().start()
    yield partner
    partner.close()


def _every_kind_of_sale(demo_table, stub) -> None:
    """Sales the sender delivers to each partner: the checkout samples' (Brandbassador's pixel),
    a Friendbuy bank code's (credited to its advocate, then sent to the brand's linked Friendbuy
    account) and a SiteVibes code's (our signed webhook), each redeemed and one rolled back."""
    from decimal import Decimal

    from coupons.checkout import redemptions
    from coupons.core import code_items
    from coupons.core.models import CodeRecord, Discount, DiscountKind, Owner
    from coupons.core.sales import Cart, Customer
    from coupons.friendbuy import campaigns, outbound, referrals
    from coupons.friendbuy.wire import credentials_of
    from coupons.sales import webhook_items
    from localrun.demo import checkout as checkout_demo
    from localrun.demo import friendbuy as friendbuy_demo

    replay(demo_table, "checkout")
    outbound.link(demo_table, friendbuy_demo.CAMPAIGN, friendbuy_demo.MAPI_KEY, friendbuy_demo.MAPI_SECRET)
    webhook_items.put(demo_table, "sitevibes", f"{stub.url}/hooks/sales", "s3cret")
    caller = campaigns.caller(demo_table, credentials_of(friendbuy_demo.BASIC))
    bank_code = referrals.refer(demo_table, caller, referrals.ReferralRequest(
        campaign_id=friendbuy_demo.CAMPAIGN, bank_id=friendbuy_demo.BANK,
        advocate=referrals.Advocate(customer_id="LP-1", email="lp@example.com"))).referral.coupon_code
    code_items.create(demo_table, CodeRecord(code="SVLP10", owner=Owner(partner="sitevibes", account="demo", person="x"),
                                             discount=Discount(kind=DiscountKind.PERCENT, value=Decimal("10"))))
    cart = Cart(subtotal=Decimal("100.00"), shipping=Decimal("0"), currency="EUR")
    for code, order in ((bank_code, "LP-1"), ("SVLP10", "LP-2")):
        sold = redemptions.redeem(demo_table, checkout_demo.KEY, code, order, cart, Customer(id="c-1"), None, None)
        if code == "SVLP10":
            redemptions.rollback(demo_table, checkout_demo.KEY, sold.redemption.id)


def deliveries(demo_table, stub, kms: RecordingKms | None = None) -> list[Access]:
    """The sender's calls while it delivers every kind of sale (``_every_kind_of_sale``); its KMS
    calls go to ``kms`` when given."""
    _every_kind_of_sale(demo_table, stub)
    recorder = RecordingClient(demo_table.client)
    sales = LocalDelivery(type(demo_table)(demo_table.name, recorder),
                          {"BRANDBASSADOR_TRACKING_URL": stub.url, "FRIENDBUY_MAPI_URL": stub.url,
                           "DELIVERY_BACKOFF_SECONDS": "0"})
    sales.table = demo_table  # the local poller's own reads stand in for the pipe: not the sender's
    with recording_kms() as opened:
        assert sales.run_once() > 0
        sales.run_once()
    if kms is not None:
        kms.seen.extend(opened.seen)
    # The leak guard, which runs in the sender, pausing a code (coupons.guard.pausing).
    from coupons.core.models import utcnow
    from coupons.guard import pausing

    recorded = type(demo_table)(demo_table.name, recorder)
    assert pausing.pause(recorded, "SVLP10", "guard", utcnow())
    # ...recording it with its notices (outbox items of their own), which the sender then delivers.
    from coupons.guard import items as guard_items
    from coupons.guard import notices

    body = {"partner": "sitevibes", "account": "demo", "person": "x"}
    assert guard_items.record(recorded, "SVLP10", "paused", utcnow(), body,
                              notices.puts(recorded, "SVLP10", "paused", utcnow(), body))
    assert sales.run_once() > 0
    return recorder.seen


def test_the_sender_may_name_only_a_codes_pause_marks():
    """UpdateItem on CODE# is the guard's pause: IAM's dynamodb:Attributes keeps it from uses,
    balances and owners (a request naming any other attribute is refused)."""
    statements = [s for p in template.load()["Resources"]["SenderFunction"]["Properties"]["Policies"]
                  for s in p["Statement"] if "CODE#*" in str(s.get("Condition", {}))
                  and "dynamodb:UpdateItem" in str(s["Action"])]
    assert [s["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"] for s in statements] == [
        ["pk", "sk", "paused_at", "paused_by"]]


def test_the_checkout_reads_the_gift_card_items_by_query_and_may_scan_nothing(demo_table):
    """GET /checkout/reports/gift-cards reads only the code-free ledger (CARDS#, keyed by a random
    card_ref) with Query: a Scan page's LastEvaluatedKey names a table key (a gift card's code),
    and no IAM condition bounds a Scan's Limit, so no function may Scan at all."""
    for function in {*SERVED_BY.values(), "SenderFunction"}:
        assert not [g for g in grants(function) if "dynamodb:Scan" in g.actions], function
    ledger = [g for g in grants("CheckoutFunction") if g.leading_keys == ("CARDS#*",)]
    assert [g.actions for g in ledger] == [frozenset({"dynamodb:Query"})]
    seen = replay(demo_table, "checkout")  # its samples ask for the report, redeem and refund gift cards
    ledger_calls = {a.action for a in seen if (a.partition or "").startswith("CARDS#")}
    assert ledger_calls == {"dynamodb:Query", "dynamodb:PutItem"}
    assert not any(a.action == "dynamodb:Scan" for a in seen)


def unused(allowed: list[Grant], seen: list[Access]) -> list[str]:
    """Every (action, key prefix) a policy grants that no recorded call used: each statement's every
    action on each of its LeadingKeys patterns, so a grant broader than the calls shows up."""
    def used(action: str, resource: str, pattern: str | None) -> bool:
        for access in seen:
            if access.action != action or resource != ("table" if access.index is None else f"index/{access.index}"):
                continue
            partitions = (access.partition or "").split("\n")
            if pattern is None or any(fnmatchcase(p, pattern) for p in partitions):
                return True
        return False

    # each resource of a statement separately: a GetItem granted on an index is unused
    return sorted(f"{action} {'' if resource == 'table' else resource + ' '}{pattern or resource}"
                  for g in allowed for action in sorted(g.actions) for resource in g.resources
                  for pattern in (g.leading_keys or (None,)) if not used(action, resource, pattern))


def test_the_senders_policy_is_exactly_what_its_deliveries_need(demo_table, stub):
    """Recorded while it delivers every sale the checkout samples make (Brandbassador's pixel,
    Friendbuy's purchases, the signed webhooks): nothing refused, nothing granted unused. The one
    function that calls outside endpoints can mint no code and change no balance, key or webhook;
    it opens each partner secret it sends (kms:Decrypt), bound to that secret's purpose and item."""
    allowed = grants("SenderFunction")
    kms = RecordingKms(None)
    seen = deliveries(demo_table, stub, kms)
    refused = sorted({f"{a.action} {a.index or a.partition}" for a in seen if not any(g.allows(a) for g in allowed)})
    assert (refused, unused(allowed, seen)) == ([], [])
    assert {c.purpose for c in kms.seen} == {"webhook-secret", "friendbuy-mapi-secret", "brandbassador-tracking-key"}
    assert kms_verdict("SenderFunction", kms.seen) == ([], [])


@pytest.mark.parametrize("contract", sorted(SERVED_BY))
def test_a_functions_policy_is_exactly_what_its_calls_need(demo_table, contract):
    """Every function, key prefix by key prefix: each statement's every action is used on each
    prefix it names, and no call needs more. None of them may open a sealed secret."""
    allowed = grants(SERVED_BY[contract])
    with recording_kms() as kms:
        seen = replay(demo_table, contract)
    refused = sorted({f"{a.action} {a.index or a.partition}" for a in seen if not any(g.allows(a) for g in allowed)})
    assert (refused, unused(allowed, seen)) == ([], [])
    assert (kms.seen, kms_grants(SERVED_BY[contract])) == ([], [])


@pytest.mark.parametrize("contract", sorted(SERVED_BY))
def test_no_function_writes_a_code_without_a_condition(demo_table, contract):
    """IAM cannot tell a conditional put from an overwrite (any function that creates codes may put
    CODE#*), so "no partner overwrites another's code" rests on conditions: every put of a code
    requires that no item holds it yet, and every update or delete of one states its condition."""
    written = [w for w in replay_recorded(demo_table, contract).written if w.partition.startswith("CODE#")]
    assert written, f"the {contract} samples write no code: nothing checked"
    unguarded = sorted({f"{w.kind} {w.partition}: {w.condition}" for w in written
                        if not w.condition or (w.kind == "Put" and "attribute_not_exists(pk)" not in w.condition)})
    assert unguarded == []


@pytest.mark.parametrize(("function", "partner"), [("AffonsoFunction", "affonso"), ("SiteVibesFunction", "sitevibes"),
                                                   ("BrandbassadorFunction", "brandbassador")])
def test_a_function_counts_its_budgets_but_cannot_write_its_accounts(function, partner):
    """A leaked Affonso or SiteVibes function cannot switch self-service on, raise a budget or
    replace a key: its budget counters live beside the account (``own_partition``), out of the
    account's partition, so the policy can allow one and not the other."""
    allowed = grants(function)
    account = account_items.key(partner, "demo")["pk"]
    counter = account_items.budget_key(partner, "demo", date(2026, 1, 1), own_partition=True)["pk"]
    writes = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
    assert not any(g.allows(Access(action, None, account)) for g in allowed for action in writes)
    assert any(g.allows(Access("dynamodb:UpdateItem", None, counter)) for g in allowed)
    assert any(g.allows(Access("dynamodb:GetItem", None, account)) for g in allowed)
