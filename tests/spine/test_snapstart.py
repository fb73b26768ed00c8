"""SnapStart: every execution environment restored from one snapshot starts with the same memory.
Codes and tokens must still differ between them (they come from the kernel's entropy through
``secrets``, never from a generator whose state the snapshot would copy), and the AWS clients
made at init are replaced after restore (coupons.core.snapstart)."""

from __future__ import annotations

import importlib
import json
import os
import random
import sys
import types

import pytest

from coupons.core import aws_clients, codes, credentials, snapstart
from coupons.core.table import Table
from coupons.friendbuy import referrals


def _secrets_made_now() -> dict[str, object]:
    return {
        "codes": [codes.generate("SV", 10) for _ in range(5)],
        "token": credentials.new_token(),
        "salted": credentials.hash_secret("demo-key"),
        "referral": referrals.new_referral_code(),
    }


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_copies_of_one_snapshot_make_different_codes_and_tokens():
    """Two forks stand in for two restores of one snapshot. A fork reseeds ``random`` by itself
    (os.register_at_fork), which a restore does not: each child puts back the parent's ``random``
    state first, so code made from ``random`` would come out the same in both."""
    snapshot_state = random.getstate()
    outputs = []
    for _ in range(2):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: a restored copy
            try:
                random.setstate(snapshot_state)
                os.write(write, json.dumps(_secrets_made_now()).encode())
            finally:
                os._exit(0)
        os.close(write)
        with os.fdopen(read) as pipe:
            outputs.append(json.loads(pipe.read()))
        os.waitpid(pid, 0)
    first, second = outputs
    assert set(first["codes"]).isdisjoint(second["codes"])
    for key in ("token", "salted", "referral"):
        assert first[key] != second[key], key


def test_codes_and_tokens_draw_on_os_entropy(monkeypatch):
    """With the entropy source ``secrets`` reads (os.urandom, bound in ``random._urandom``) pinned,
    every generator becomes constant: none of them has another source of randomness."""
    monkeypatch.setattr(random, "_urandom", lambda n: bytes(n))
    monkeypatch.setattr(os, "urandom", lambda n: bytes(n))
    first, second = _secrets_made_now(), _secrets_made_now()
    assert first == second
    assert first["codes"][0] == "SV" + codes.UNAMBIGUOUS_ALPHABET[0] * 10


def test_after_restore_replaces_the_clients_made_at_init(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    app = types.ModuleType("app")
    app.table = Table("coupons-test")
    app._sqs = aws_clients.client("sqs")
    monkeypatch.setitem(sys.modules, "app", app)
    before_dynamodb, before_sqs = app.table.client, app._sqs
    session = aws_clients._session

    snapstart.after_restore()

    assert app.table.client is not before_dynamodb
    assert app.table.client.meta.service_model.service_name == "dynamodb"
    assert app._sqs is not before_sqs and app._sqs.meta.region_name == "us-east-1"
    assert aws_clients._session is not None and aws_clients._session is not session  # credentials resolved anew


def test_the_hook_registers_only_where_the_runtime_offers_it(monkeypatch):
    registered = []
    monkeypatch.setitem(sys.modules, "snapshot_restore_py",
                        types.SimpleNamespace(register_after_restore=registered.append))
    try:
        reloaded = importlib.reload(snapstart)
        assert registered == [reloaded.after_restore]
    finally:
        monkeypatch.delitem(sys.modules, "snapshot_restore_py")
        assert importlib.reload(snapstart).register_after_restore is None
