"""Partner secrets at rest: after the demo seed, the admin CLI's writes and the sender's deliveries,
no item of the table holds a secret the service sends (webhook secrets, Friendbuy MAPI secrets,
Brandbassador tracking keys, bank generation keys) in clear; the sender still signs with them.
Secrets written before encryption keep working until ``secrets reencrypt`` seals them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest

from coupons.core import sealed
from coupons.core.table import Table
from coupons.sales import webhook_items
from coupons_admin.__main__ import main as admin
from localrun.demo import checkout as checkout_demo
from localrun.demo import friendbuy as friendbuy_demo
from tests.spine.test_least_privilege import deliveries

# The secrets these flows store, as the brand typed them (the demo's own, and the CLI's below).
WEBHOOK_SECRET = "whsec-sitevibes-4Kq9"
GUARD_SECRET = "whsec-guard-Z81p"
TRACKING_KEY = "bb-tracking-key-7Hs2"
# Attributes named like a secret whose clear value is not one: (pk prefix, attribute) -> why.
NOT_SECRET = {
    ("OUTBOUND#friendbuy#", "key"): "the MAPI access key, the public half sent beside the sealed secret",
    ("ACCOUNT#friendbuy#", "settings.access_key"): "the key id Friendbuy presents; its secret is kept hashed",
}


def _strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(attribute path, string) for every string in an item, maps and lists included."""
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from _strings(inner, f"{path}.{name}" if path else str(name))
    elif isinstance(value, list | set | tuple):
        for inner in value:
            yield from _strings(inner, path)
    elif isinstance(value, str):
        yield path, value


def _named_like_a_secret(path: str) -> bool:
    last = path.rsplit(".", 1)[-1].lower()
    return "secret" in last or last == "key" or last.endswith("_key")


def scan(table: Table) -> list[dict[str, Any]]:
    items, kwargs = [], {"TableName": table.name}
    while True:
        page = table.client.scan(**kwargs)
        items += [table.deserialize(i) for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def in_clear(items: list[dict[str, Any]], known: set[str]) -> list[str]:
    """Where a known secret appears, or an attribute named like a secret holds neither a sealed
    value nor a salted hash."""
    found = []
    for item in items:
        for path, value in _strings(item):
            if any(secret in value for secret in known):
                found.append(f"{item['pk']} {path}: a known secret")
            elif (_named_like_a_secret(path) and value and not sealed.is_sealed(value)
                  and not value.startswith("sha256$")
                  and not any(item["pk"].startswith(p) and path == a for p, a in NOT_SECRET)):
                found.append(f"{item['pk']} {path}: {value[:12]}...")
    return found


@pytest.fixture
def stub():
    from localrun.partner_stub import PartnerStub

    partner = PartnerStub().start()
    yield partner
    partner.close()


def test_no_partner_secret_is_stored_in_clear(demo_table, stub):
    """The demo seed (tracking key, banks), the admin CLI (webhooks, Friendbuy link, tracking key)
    and the sender delivering every kind of sale leave no secret in clear in any item."""
    t = ["--table", demo_table.name]
    assert admin([*t, "checkout", "set-webhook", "affonso", "--url", f"{stub.url}/hooks/a", "--secret",
                  WEBHOOK_SECRET]) == 0
    assert admin([*t, "guard", "set-webhook", "--url", f"{stub.url}/hooks/guard", "--secret", GUARD_SECRET]) == 0
    assert admin([*t, "webshops", "add", "shop-2", "--key", "inbound-key-1", "--currency", "EUR",
                  "--tracking-key", TRACKING_KEY]) == 0
    deliveries(demo_table, stub)  # links Friendbuy (MAPI secret), sets a SiteVibes webhook, delivers
    sent = [c for c in stub.calls if c["path"] == "/hooks/sales"]
    assert sent, "no signed webhook was delivered: nothing checked"

    known = {WEBHOOK_SECRET, GUARD_SECRET, TRACKING_KEY, friendbuy_demo.MAPI_SECRET, "s3cret"}
    items = scan(demo_table)
    assert in_clear(items, known) == []
    # and what is sealed is what the seed and the CLI were given (a bank's key: 64 hex digits)
    tracking = next(i for i in items if i["pk"] == "ACCOUNT#brandbassador#" + checkout_demo.WEBSHOP)
    assert sealed.is_sealed(tracking["settings"]["tracking_key"])
    banks = [i for i in items if i["pk"].startswith("FRIENDBUY#BANK#") and i["sk"] == "BANK"]
    assert banks and all(sealed.is_sealed(b["generation_key"]) for b in banks)


def test_the_admin_cli_never_prints_a_secret_back(demo_table, capsys):
    t = ["--table", demo_table.name]
    assert admin([*t, "webshops", "set-tracking-key", "demo", "--key", TRACKING_KEY]) == 0
    assert admin([*t, "campaigns", "link-friendbuy", friendbuy_demo.CAMPAIGN, "--key", "k-1",
                  "--secret", friendbuy_demo.MAPI_SECRET]) == 0
    assert admin([*t, "checkout", "set-webhook", "sitevibes", "--url", "https://x/y", "--secret", WEBHOOK_SECRET]) == 0
    for listing in (["webshops", "list"], ["campaigns", "list"], ["secrets", "reencrypt"]):
        assert admin([*t, *listing]) == 0
    printed = capsys.readouterr()
    assert not {TRACKING_KEY, friendbuy_demo.MAPI_SECRET, WEBHOOK_SECRET} & set((printed.out + printed.err).split())
    assert all(s not in printed.out + printed.err for s in (TRACKING_KEY, friendbuy_demo.MAPI_SECRET, WEBHOOK_SECRET))


def _clear_webhook(table: Table, partner: str, url: str, secret: str) -> None:
    """A webhook as a deployment before encryption stored it."""
    table.client.put_item(TableName=table.name, Item=table.serialize(
        {**webhook_items.key(partner), "partner": partner, "url": url, "secret": secret}))


def _signed_with(call: dict[str, Any], secret: str) -> bool:
    headers = {k.lower(): v for k, v in call["headers"].items()}
    payload = f"{headers['x-coupons-timestamp']}.".encode() + call["body"].encode()
    return headers["x-coupons-signature"] == "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def test_a_secret_stored_before_encryption_works_until_reencrypt_seals_it(demo_table, stub, capsys):
    """Upgrading: a clear webhook secret, tracking key and bank generation key are used as they are;
    ``secrets reencrypt`` seals each in place (once: a second run seals nothing) and the sender signs
    with the same secret afterwards."""
    _clear_webhook(demo_table, "guard", f"{stub.url}/hooks/guard", GUARD_SECRET)
    demo_table.client.update_item(
        TableName=demo_table.name, Key=demo_table.serialize({"pk": "ACCOUNT#brandbassador#demo", "sk": "ACCOUNT"}),
        UpdateExpression="SET settings.tracking_key = :k", ExpressionAttributeValues={":k": {"S": TRACKING_KEY}})
    bank_pk = {"pk": f"FRIENDBUY#BANK#{friendbuy_demo.BANK}", "sk": "BANK"}
    demo_table.client.update_item(TableName=demo_table.name, Key=demo_table.serialize(bank_pk),
                                  UpdateExpression="SET generation_key = :k",
                                  ExpressionAttributeValues={":k": {"S": "ab" * 32}})
    before = webhook_items.get(demo_table, "guard") or {}
    assert webhook_items.signing_secret(before) == GUARD_SECRET  # read as is

    t = ["--table", demo_table.name]
    assert admin([*t, "secrets", "reencrypt", "--bank", friendbuy_demo.BANK]) == 0
    assert capsys.readouterr().out.strip() == ("sealed with KMS: 1 webhook secrets, 0 Friendbuy MAPI secrets, "
                                               "1 tracking keys, 1 bank generation keys")
    assert in_clear(scan(demo_table), {GUARD_SECRET, TRACKING_KEY, "ab" * 32}) == []
    assert admin([*t, "secrets", "reencrypt", "--bank", friendbuy_demo.BANK]) == 0
    assert capsys.readouterr().out.strip().startswith("sealed with KMS: 0 webhook secrets")

    from coupons.friendbuy import banks

    assert banks.generation_key(banks.get_bank(demo_table, friendbuy_demo.BANK)) == bytes.fromhex("ab" * 32)
    assert webhook_items.signing_secret(webhook_items.get(demo_table, "guard") or {}) == GUARD_SECRET
    deliveries(demo_table, stub)  # Brandbassador's pixel carries the webshop's tracking key
    pixel = next(c for c in stub.calls if c["path"] == "/tracking/pixel.gif")
    assert pixel["query"]["key"] == TRACKING_KEY
    hooks = [c for c in stub.calls if c["path"] == "/hooks/sales"]
    assert hooks and all(_signed_with(c, "s3cret") for c in hooks)  # the sealed SiteVibes webhook's secret


def test_a_sealed_secret_copied_to_another_item_does_not_open(demo_table, stub):
    """The encryption context names the item: a ciphertext moved to another webshop is refused by
    KMS, and the sale waits (retried) instead of going out with another webshop's key."""
    from coupons.brandbassador import webshops

    stored = webshops.sealed_tracking_key("other-shop", TRACKING_KEY)
    assert webshops.tracking_key_of("other-shop", stored) == TRACKING_KEY
    with pytest.raises(sealed.CannotOpen) as refused:
        webshops.tracking_key_of("demo", stored)
    assert TRACKING_KEY not in str(refused.value) and "brandbassador-tracking-key" in str(refused.value)
    assert json.dumps(sealed.context(sealed.Purpose.TRACKING_KEY, "ACCOUNT#brandbassador#demo")) == (
        '{"purpose": "brandbassador-tracking-key", "item": "ACCOUNT#brandbassador#demo"}')
