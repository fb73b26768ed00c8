"""Least privilege, checked by use: every DynamoDB call a function makes while serving its events/
samples must be allowed by that function's policy in template.yaml (action, resource and
``dynamodb:LeadingKeys`` of every item it touches), and every action a policy grants must be used.

The handlers run on moto with a client that records each call, so the check follows the code,
not a list someone keeps by hand.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

import pytest

from coupons.core import account_items
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
    partition: str | None  # the table partition key touched (None for an index query)


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
        values = kwargs.get("ExpressionAttributeValues", {})
        first = next(iter(values.values()))["S"] if values else None
        index = kwargs.get("IndexName")
        yield Access(_action(operation), index, None if index else first)
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
        if access.index is not None:
            return f"index/{access.index}" in self.resources
        if "table" not in self.resources:
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


def replay(demo_table, contract: str) -> list[Access]:
    return replay_recorded(demo_table, contract).seen


def replay_recorded(demo_table, contract: str) -> RecordingClient:
    """Every events/<contract> sample through the handler, twice (a retry takes other paths)."""
    function = SERVED_BY[contract]
    if contract == "checkout":
        add_sample_codes(demo_table)  # what the checkout samples redeem
    recorder = RecordingClient(demo_table.client)
    if function not in _modules:
        f = _function(function)
        _modules[function] = load_module(f.code_dir, f.handler, f.name)
    module = _modules[function]
    module.table = type(demo_table)(demo_table.name, recorder)
    for _ in range(2):
        for path in sorted((EVENTS / contract).glob("*.json")):
            module.lambda_handler(json.loads(path.read_text()), FakeContext())
    return recorder


@pytest.fixture
def stub() -> Iterator[PartnerStub]:
    partner = PartnerStub().start()
    yield partner
    partner.close()


def deliveries(demo_table, stub) -> list[Access]:
    """The sender's calls while it delivers the sales the checkout samples made."""
    replay(demo_table, "checkout")
    recorder = RecordingClient(demo_table.client)
    sales = LocalDelivery(type(demo_table)(demo_table.name, recorder),
                          {"BRANDBASSADOR_TRACKING_URL": stub.url, "DELIVERY_BACKOFF_SECONDS": "0"})
    sales.table = demo_table  # the local poller's own reads stand in for the pipe: not the sender's
    assert sales.run_once() > 0
    sales.run_once()
    return recorder.seen


def test_every_call_the_sender_makes_is_allowed_by_its_policy(demo_table, stub):
    allowed = grants("SenderFunction")
    refused = sorted({f"{a.action} {a.index or a.partition}" for a in deliveries(demo_table, stub)
                      if not any(g.allows(a) for g in allowed)})
    assert refused == []


@pytest.mark.parametrize("contract", sorted(SERVED_BY))
def test_a_functions_policy_is_exactly_what_its_calls_need(demo_table, contract):
    allowed = grants(SERVED_BY[contract])
    seen = replay(demo_table, contract)
    refused = sorted({f"{a.action} {a.index or a.partition}" for a in seen if not any(g.allows(a) for g in allowed)})
    # Each statement's every action is used on keys that statement covers (read and write split).
    unused = sorted(f"{action} {g.leading_keys}" for g in allowed for action in g.actions
                    if not any(a.action == action and g.allows(a) for a in seen))
    assert (refused, unused) == ([], [])


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


@pytest.mark.parametrize(("function", "partner"), [("AffonsoFunction", "affonso"), ("SiteVibesFunction", "sitevibes")])
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
