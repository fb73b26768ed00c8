"""Schemathesis against every route of docs/openapi.json, over HTTP on a local stack of its own.

Each operation gets positive and negative examples (all of Schemathesis' checks on: no 5xx, status
codes, content types and bodies as the schema documents them, invalid input refused), then a
stateful run over the links Schemathesis infers. Requests carry each contract's demo credentials
(localrun/demo), so they reach the routes' logic rather than stopping at authentication.

Fixed seed, derandomized: a failure here fails the same way on every machine. The stack is its own
(table ``coupons-fuzz``): what the fuzzer creates never meets the other HTTP tests' expectations.
Run alone: ``make fuzz`` (or ``.venv/bin/python -m pytest tests/fuzz``). Knobs (environment):
FUZZ_EXAMPLES (examples per operation), FUZZ_STATEFUL_EXAMPLES and FUZZ_STATEFUL_STEPS (scenarios,
calls per scenario), FUZZ_REPORT=<file> (requests and statuses per operation), FUZZ_TRACE=<file>
(every request and the start of its answer).
"""

from __future__ import annotations

import itertools
import os
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.parameters import ParameterLocation

from coupons.core.table import Table
from localrun import demo, template
from localrun.demo import affonso as affonso_demo
from localrun.demo import checkout as checkout_demo
from localrun.demo import friendbuy as friendbuy_demo
from localrun.dynamodb_local import create_table, free_port, local_environment, running
from localrun.gateway import LocalGateway

pytestmark = pytest.mark.local_stack

SPEC = template.ROOT / "docs" / "openapi.json"
SEED = 20261129
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "120"))
STATEFUL_EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "50"))
STATEFUL_STEPS = int(os.environ.get("FUZZ_STATEFUL_STEPS", "8"))
DEMO_TOKENS = sorted(affonso_demo.DEMO_TOKENS)
# The schema is loaded at collection (one test per operation), so the stack's port is chosen then.
PORT = free_port()
BASE_URL = f"http://127.0.0.1:{PORT}"


class SeededTable:
    """The table as demo.seed left it, put back before each stateful scenario.

    Hypothesis replays a scenario's choices and expects the same run: which rules are enabled
    depends on bundles the server's answers fill (a referral code created, 201, or found taken,
    409), so every scenario must meet the same table. Putting back what differs from the snapshot
    takes a scan of the few items one scenario adds. Friendbuy's bearer tokens stay: they are the
    fuzzer's credential, not a scenario's state."""

    KEEP = ("FRIENDBUY#TOKEN#",)

    def __init__(self, client, name: str) -> None:
        self.client, self.name = client, name
        self.items = {self._key(item): item for item in self._scan()}

    @staticmethod
    def _key(item: dict) -> tuple[str, str]:
        return item["pk"]["S"], item["sk"]["S"]

    def _scan(self) -> Iterator[dict]:
        for page in self.client.get_paginator("scan").paginate(TableName=self.name, ConsistentRead=True):
            yield from page["Items"]

    def restore(self) -> None:
        found = {self._key(item): item for item in self._scan() if not item["pk"]["S"].startswith(self.KEEP)}
        writes = [{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}
                  for pk, sk in found.keys() - self.items.keys()]
        writes += [{"PutRequest": {"Item": item}} for key, item in self.items.items() if found.get(key) != item]
        for start in range(0, len(writes), 25):
            batch = {self.name: writes[start:start + 25]}
            while batch:
                batch = self.client.batch_write_item(RequestItems=batch).get("UnprocessedItems")


class FuzzStack:
    def __init__(self, url: str, table: SeededTable) -> None:
        self.url, self.table = url, table


@pytest.fixture(scope="module")
def fuzz_stack() -> Iterator[FuzzStack]:
    with running() as engine:
        client = engine.client()
        create_table(client, "coupons-fuzz")
        demo.seed(Table("coupons-fuzz", client))
        seeded = SeededTable(client, "coupons-fuzz")
        gateway = LocalGateway("coupons-fuzz", port=PORT, workers_per_function=2, environment=local_environment(engine))
        gateway.start()
        try:
            gateway.warm_up()
            yield FuzzStack(gateway.url, seeded)
        finally:
            gateway.close()


class FriendbuyToken:
    """A bearer token, asked for again after 10 minutes: one lives 20, and a long run
    (FUZZ_EXAMPLES=500: half an hour) outlives it."""

    def __init__(self, url: str) -> None:
        self.url, self.token, self.at = url, "", -1e9

    def __str__(self) -> str:
        if time.monotonic() - self.at > 600:
            answer = requests.post(f"{self.url}/friendbuy/v1/authorization", timeout=30,
                                   json={"key": friendbuy_demo.KEY, "secret": friendbuy_demo.SECRET})
            answer.raise_for_status()
            self.token, self.at = answer.json()["token"], time.monotonic()
        return self.token


@pytest.fixture(scope="module")
def friendbuy_token(fuzz_stack: FuzzStack) -> FriendbuyToken:
    token = FriendbuyToken(fuzz_stack.url)
    str(token)  # the stack answers before any test runs
    return token


# Per-route demo credentials in parameters; the headers are sent by headers() (the stateful run
# does not apply the configuration's headers), Friendbuy's bearer token fetched at run time.
CREDENTIALS = [
    {"include-path-regex": "^/brandbassador/", "parameters": {"path.webshop": "demo", "query.auth_key": "demo-key", "query.auth": "demo-key", "query.key": "demo-key"}},
    {"include-path-regex": "^/sitevibes/", "parameters": {"path.reward": "demo"}},
    {"include-path": "/affonso/v1/embed/data", "parameters": {"query.token": "demo-token-jane"}},
]

# Schema-valid requests must be accepted (positive_data_acceptance): a 2xx, or a refusal a valid
# request meets because of the STATE it finds, never because of its shape. Shape refusals (400,
# Friendbuy's 422, Affonso's INVALID_CODE_FORMAT ...) must be 0: docs/openapi.json must say every
# rule a handler enforces. The state outcomes, per route:
# - 404: an unknown code, redemption, referral code, campaign or bank (checkout, Friendbuy);
# - 409: a code taken, an advocate or affiliate who has one already, an empty bank, a rolled-back
#   redemption, an order sent before with other figures;
# - 422 at checkout: the code exists but does not apply (expired, used up, another currency...),
#   or the account named is not configured; never malformed_ref/unknown_ref (checked by reason);
# - 429: a webshop's, reward's or programme's own limit (its cap, its daily budget);
# - 403: the programme has self-service off (Affonso demo-token-kim's);
# - 401 only where the body holds the credential: Friendbuy's authorization (key and secret) and
#   Affonso's token route (the programme the demo key must belong to). Every other route gets the
#   demo credentials, so a 401 there is a failure.
STATE_OUTCOMES = [
    ("^/brandbassador/", ["2xx", "409", "429"]),
    ("^/sitevibes/", ["2xx", "409", "429"]),
    ("^/affonso/v1/embed/token$", ["2xx", "401"]),
    ("^/affonso/v1/embed/coupon$", ["2xx", "403", "409", "429"]),
    ("^/checkout/", ["2xx", "404", "409", "422"]),
    ("^/friendbuy/v1/authorization$", ["2xx", "401"]),
    ("^/friendbuy/v1/(?!authorization$)", ["2xx", "404", "409", "429"]),
]
CHECKOUT_SHAPE_REASONS = {"invalid_request", "malformed_ref", "unknown_ref"}

schema = schemathesis.openapi.from_path(SPEC, config=schemathesis.Config.from_dict({
    "seed": SEED,
    "base-url": BASE_URL,
    "request-timeout": 30,
    "generation": {"max-examples": EXAMPLES, "deterministic": True},
    # The stateful run chains valid calls along links (a redemption into its refund); negative
    # data is the examples phases' job. Mixed in here, a spoiled request that our credentials
    # repair passes, and its replay meets a changed table (Hypothesis: FlakyStrategyDefinition).
    "phases": {"stateful": {"max-steps": STATEFUL_STEPS, "generation": {"mode": "positive"}}},
    "operations": CREDENTIALS + [{"include-path-regex": path, "checks": {
        "positive_data_acceptance": {"expected-statuses": statuses}}} for path, statuses in STATE_OUTCOMES] + [
        # Brandbassador's key has three names (three schemes, any one will do) and every request
        # carries all three: the check spoils one of them and the other two still open the webshop.
        {"include-path-regex": "^/brandbassador/", "checks": {"ignored_auth": {"enabled": False}}}],
    "checks": {
        # API Gateway HTTP APIs answer a method no route takes with 404 {"message":"Not Found"}, never
        # 405; the local gateway does the same. Nothing in the functions can change that.
        "unsupported_method": {"enabled": False},
        # Routes not in STATE_OUTCOMES (Affonso's data and portal) have no state to refuse for.
        "positive_data_acceptance": {"expected-statuses": ["2xx"]},
    },
}))


def headers(case: schemathesis.Case, friendbuy_token: FriendbuyToken | str) -> dict[str, str]:
    """The demo credentials each route takes in a header, unless the case's headers are the
    negative part (a spoiled or missing credential): sent as generated, it must be refused."""
    if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER):
        return {}
    return _credentials(case, friendbuy_token)


def _credentials(case: schemathesis.Case, friendbuy_token: FriendbuyToken | str) -> dict[str, str]:
    """The demo credentials each route takes in a header (none for Friendbuy's authorization and
    Affonso's embed data and coupon, whose credential is a parameter or in the body)."""
    if case.path.startswith("/friendbuy/") and case.path != "/friendbuy/v1/authorization":
        return {"Authorization": f"Bearer {friendbuy_token}"}
    if case.path.startswith("/checkout/"):
        return {"Authorization": f"Bearer {checkout_demo.KEY}"}
    if case.path.startswith("/sitevibes/"):
        return {"X-Api-Key": "demo-key"}
    if case.path == "/affonso/v1/embed/token":
        return {"Authorization": f"Bearer {affonso_demo.KEY}"}
    return {}


def contract_shaped(case: schemathesis.Case) -> None:
    """Positive cases only: the rules OpenAPI cannot state (between query parameters, between
    amounts, against today's date), which each operation's description gives in words. Negative
    cases are sent as generated."""
    if case.meta is None or case.meta.generation.mode.is_negative:
        return
    query = case.query if isinstance(case.query, dict) else None
    body = case.body if isinstance(case.body, dict) else None
    if case.path == "/affonso/v1/embed/coupon" and body is not None and isinstance(body.get("token"), str):
        # The portal's token rides in the body: a demo affiliate's, so codes get created and refused.
        body["token"] = DEMO_TOKENS[len(str(body.get("code"))) % len(DEMO_TOKENS)]
    if case.path.startswith("/brandbassador/") and query is not None:
        _one_code_kind(query)
    if case.path == "/friendbuy/v1/referral_codes" and case.method == "GET" and query is not None:
        if query.get("email") and query.get("customerId"):  # exactly one of them
            del query["email"]
        elif not query.get("email") and not query.get("customerId"):
            query["customerId"] = f"C{next(_CODES)}"
    if case.path == "/friendbuy/v1/user-data" and query is not None and not query.get("customerId") and not query.get("email"):
        query["customerId"] = f"C{next(_CODES)}"  # at least one of them
    if case.path.startswith("/checkout/") and body is not None and isinstance(body.get("cart"), dict):
        _consistent_cart(body)


def _one_code_kind(query: dict) -> None:
    """Brandbassador: exactly one of percentage (alias percent) and amount, currency with amount
    only, aliases equal, and an expiry not before today."""
    percentage = query.get("percentage") or query.get("percent")
    for alias in ("percentage", "percent"):
        if query.get(alias):
            query[alias] = percentage
    if query.get("amount") and percentage:
        del query["amount"]
    if not query.get("amount"):
        query.pop("currency", None)
        if not percentage:
            query["percentage"] = str(len(query.get("code") or "") % 90 + 5)
    expire = query.get("expire") or query.get("totime")
    if expire and expire < date.today().isoformat():
        expire = str(date.today().year + 1) + expire[4:].replace("02-29", "02-28")
    for alias in ("expire", "totime"):
        if query.get(alias):
            query[alias] = expire


def _consistent_cart(body: dict) -> None:
    """Checkout: a cart's discount at most its subtotal, an included tax at most the order, and a
    gift card's amount at most the order total (each amount already in the currency's decimals)."""
    cart = body["cart"]
    amounts = {name: Decimal(str(cart[name])) for name in ("subtotal", "shipping", "discount", "tax")
               if isinstance(cart.get(name), (str, int, float))}
    subtotal = amounts.get("subtotal", Decimal(0))
    if amounts.get("discount", Decimal(0)) > subtotal:
        cart["discount"] = cart["subtotal"]
    discount = min(amounts.get("discount", Decimal(0)), subtotal)
    owed = subtotal - discount + amounts.get("shipping", Decimal(0))
    if cart.get("taxes_included") is True and amounts.get("tax", Decimal(0)) > owed:
        cart["tax"] = 0
    elif cart.get("taxes_included") is not True:
        owed += amounts.get("tax", Decimal(0))
    if isinstance(body.get("amount"), (str, int, float)) and Decimal(str(body["amount"])) > owed:
        del body["amount"]


_CODES = itertools.count(1000)


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_every_operation(case: schemathesis.Case, friendbuy_token: FriendbuyToken) -> None:
    contract_shaped(case)
    response = case.call(headers=headers(case, friendbuy_token))
    STATUSES[f"{case.method} {case.path}"][response.status_code] += 1
    _trace(case, response)
    case.validate_response(response)
    refused_for_state_only(case, response)


def refused_for_state_only(case: schemathesis.Case, response: schemathesis.Response) -> None:
    """Checkout's 422 covers reasons of state and two of shape (a ref that is malformed or names
    no partner): a valid request may meet only the former."""
    if case.meta is None or case.meta.generation.mode.is_negative or not case.path.startswith("/checkout/"):
        return
    if response.status_code == 422:
        reason = response.json()["error"]["code"]
        assert reason not in CHECKOUT_SHAPE_REASONS, f"{case.method} {case.path}: a valid request refused ({reason})"


def _trace(case: schemathesis.Case, response: schemathesis.Response, prefix: str = "") -> None:
    if os.environ.get("FUZZ_TRACE"):
        mode = case.meta.generation.mode.value if case.meta else "?"
        with open(os.environ["FUZZ_TRACE"], "a") as out:
            out.write(f"{prefix}{mode} {case.method} {case.path} {case.path_parameters} {case.query} "
                      f"{str(case.body)[:200]!r} -> {response.status_code} {response.text[:200]}\n")


STATUSES: dict[str, Counter] = defaultdict(Counter)


@pytest.fixture(scope="module", autouse=True)
def report_statuses(request: pytest.FixtureRequest) -> Iterator[None]:
    """Requests per operation and the statuses they met, in the terminal summary (-rA) and in
    FUZZ_REPORT (a file) when set."""
    yield
    lines = [f"{op}: {sum(c.values())} requests, statuses {dict(sorted(c.items()))}" for op, c in sorted(STATUSES.items())]
    lines.append(f"total: {sum(sum(c.values()) for c in STATUSES.values())} requests")
    if os.environ.get("FUZZ_REPORT"):  # appended: under xdist each worker adds the operations it ran
        with open(os.environ["FUZZ_REPORT"], "a") as out:
            out.write("\n".join(lines) + "\n")


class Sequences(schema.as_state_machine()):  # type: ignore[misc]
    """Stateful: chains of calls along the links Schemathesis infers between operations (a
    redemption's id into its rollback, a referral's code into its lookup...)."""

    friendbuy_token: FriendbuyToken | str = ""
    seeded: SeededTable | None = None

    def setup(self) -> None:
        """Each scenario meets the seeded table (SeededTable), so replaying its choices replays it."""
        if self.seeded is not None:
            self.seeded.restore()

    def get_call_kwargs(self, case: schemathesis.Case) -> dict:
        return {"headers": headers(case, self.friendbuy_token)}

    def before_call(self, case: schemathesis.Case) -> None:
        contract_shaped(case)

    def after_call(self, response, case: schemathesis.Case) -> None:
        super().after_call(response, case)
        STATUSES[f"stateful {case.method} {case.path}"][response.status_code] += 1
        _trace(case, response, "stateful ")
        refused_for_state_only(case, response)


def test_stateful_sequences(fuzz_stack: FuzzStack, friendbuy_token: FriendbuyToken) -> None:
    Sequences.friendbuy_token, Sequences.seeded = friendbuy_token, fuzz_stack.table
    Sequences.run(settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS,
                                    derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)))
