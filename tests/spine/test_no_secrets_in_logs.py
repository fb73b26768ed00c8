"""No secret, token, email or gift-card code reaches the logs.

Every events/ sample of every contract runs through its handler, twice, the way the suite's event
tests do; the test collects the sensitive values the samples carry (keys, tokens, emails, gift-card
codes) and the tokens the answers hand out, and fails if any of them appears in what the functions
logged. Tracing is configured not to record responses or errors (template Globals).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from localrun import template
from localrun.demo.checkout import add_sample_codes
from tests.conftest import EVENTS, FakeContext, _function, _modules, load_module

SERVED_BY = {"brandbassador": "BrandbassadorFunction", "sitevibes": "SiteVibesFunction",
             "affonso": "AffonsoFunction", "friendbuy": "FriendbuyFunction", "checkout": "CheckoutFunction"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
SECRET_HEADERS = ("authorization", "x-api-key")
SECRET_QUERY = re.compile(r"(?:^|&)(?:auth_key|auth|key|token)=([^&]+)")
# What answers hand out: tokens, and codes of people (a referral code is how a friend is credited).
TOKEN_FIELDS = ("token", "publicToken", "coupon_code", "referral_code", "referralCode")
# Gift cards are bearer money: their codes are secrets too (localrun.demo.checkout, events/brandbassador).
GIFT_CARD_CODES = ("CHECKOUTGIFT", "GIFT100")


def sensitive_in(event: dict[str, Any]) -> set[str]:
    found = set(EMAIL.findall(event.get("body") or ""))
    found |= {v.split(" ", 1)[-1] for k, v in (event.get("headers") or {}).items() if k.lower() in SECRET_HEADERS}
    found |= set(SECRET_QUERY.findall(event.get("rawQueryString") or ""))
    return {value for value in found if len(value) >= 6}


def handed_out(response: dict[str, Any]) -> set[str]:
    try:
        body = json.loads(response.get("body") or "null")
    except ValueError:
        return set()
    data = body.get("data", body) if isinstance(body, dict) else {}
    return {str(data[f]) for f in TOKEN_FIELDS if isinstance(data, dict) and data.get(f)}


@pytest.mark.parametrize("contract", sorted(SERVED_BY))
def test_nothing_sensitive_is_logged(demo_table, logged, contract):
    if contract == "checkout":
        add_sample_codes(demo_table)
    function = SERVED_BY[contract]
    if function not in _modules:
        f = _function(function)
        _modules[function] = load_module(f.code_dir, f.handler, f.name)
    module = _modules[function]
    module.table = demo_table
    secrets = set(GIFT_CARD_CODES)
    for _ in range(2):
        for path in sorted((EVENTS / contract).glob("*.json")):
            event = json.loads(path.read_text())
            secrets |= sensitive_in(event)
            secrets |= handed_out(module.lambda_handler(event, FakeContext()))
    lines = logged.getvalue()
    assert '"request refused"' in lines  # every contract's samples include a refusal: the logs were read
    leaked = sorted(s for s in secrets if s in lines)
    assert leaked == []


def test_tracing_records_no_responses_or_errors():
    variables = template.load()["Globals"]["Function"]["Environment"]["Variables"]
    assert variables.get("POWERTOOLS_TRACER_CAPTURE_RESPONSE") == "false"
    assert variables.get("POWERTOOLS_TRACER_CAPTURE_ERROR") == "false"


def test_powertools_debug_output_is_never_on():
    """POWERTOOLS_DEBUG=true prints Powertools' own debug lines: every route's arguments (a gift
    card's code in its path, an email in a query) and every refusal's traceback. Not in a deployment."""
    functions = template.load()["Resources"].values()
    settings = [template.load()["Globals"]["Function"]["Environment"]["Variables"],
                *(r.get("Properties", {}).get("Environment", {}).get("Variables", {}) for r in functions
                  if r.get("Type") == "AWS::Serverless::Function")]
    assert all("POWERTOOLS_DEBUG" not in variables for variables in settings)


def test_a_models_repr_names_fields_not_values():
    """Libraries log reprs (Powertools' debug line "Calling API Route Handler: {route_args}" is built
    on every request): ours show which fields came, never what they hold."""
    from coupons.checkout.wire import ValidateRequest

    request = ValidateRequest.model_validate({"code": "CHECKOUTGIFT", "cart": {"subtotal": "1.00", "currency": "EUR"},
                                              "customer": {"email": "ann@example.com"}})
    shown = f"{request!r} {request}"
    assert "code=<hidden>" in shown and "customer=<hidden>" in shown
    assert "CHECKOUTGIFT" not in shown and "ann@example.com" not in shown and "1.00" not in shown


def test_the_senders_log_line_never_quotes_a_partners_answer(demo_table, logged, monkeypatch):
    """A partner's answer may name the code ("Coupon code FB2B6W5W4P has not been given to an
    advocate"): the outbox item keeps it for support, the log line does not."""
    from coupons.sales import delivery

    function = "SenderFunction"
    if function not in _modules:
        f = _function(function)
        _modules[function] = load_module(f.code_dir, f.handler, f.name)
    module = _modules[function]
    module.table = demo_table
    monkeypatch.setattr(delivery, "deliver", lambda *args, **kwargs: delivery.Outcome(
        "skipped", "Coupon code FB2B6W5W4P has not been given to an advocate"))
    event = json.loads(next((EVENTS / "sender").glob("*.json")).read_text())
    module.lambda_handler(event, FakeContext())
    lines = logged.getvalue()
    assert '"delivery"' in lines and "FB2B6W5W4P" not in lines


def test_masks_are_keyed_not_plain_hashes():
    """A plain hash of GIFT100 is found by hashing a dictionary; the mask is an HMAC under a key."""
    import hashlib

    from coupons.core.observability import masked

    mask = masked("GIFT100")
    assert mask == masked("GIFT100") and mask != masked("GIFT101")
    assert hashlib.sha256(b"GIFT100").hexdigest()[:20] not in mask and "GIFT100" not in mask
