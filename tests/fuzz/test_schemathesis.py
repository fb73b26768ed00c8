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
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings

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
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
STATEFUL_EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "50"))
STATEFUL_STEPS = int(os.environ.get("FUZZ_STATEFUL_STEPS", "8"))
DEMO_TOKENS = sorted(affonso_demo.DEMO_TOKENS)
# The schema is loaded at collection (one test per operation), so the stack's port is chosen then.
PORT = free_port()
BASE_URL = f"http://127.0.0.1:{PORT}"


@pytest.fixture(scope="module")
def fuzz_stack() -> Iterator[str]:
    with running() as engine:
        client = engine.client()
        create_table(client, "coupons-fuzz")
        demo.seed(Table("coupons-fuzz", client))
        gateway = LocalGateway("coupons-fuzz", port=PORT, workers_per_function=2, environment=local_environment(engine))
        gateway.start()
        try:
            gateway.warm_up()
            yield gateway.url
        finally:
            gateway.close()


@pytest.fixture(scope="module")
def friendbuy_token(fuzz_stack: str) -> str:
    answer = requests.post(f"{fuzz_stack}/friendbuy/v1/authorization", timeout=30,
                           json={"key": friendbuy_demo.KEY, "secret": friendbuy_demo.SECRET})
    answer.raise_for_status()
    return answer.json()["token"]


# Per-route demo credentials. Friendbuy's bearer token is fetched at run time (see headers()).
CREDENTIALS = [
    {"include-path-regex": "^/brandbassador/", "parameters": {"path.webshop": "demo", "query.auth_key": "demo-key", "query.auth": "demo-key", "query.key": "demo-key"}},
    {"include-path-regex": "^/sitevibes/", "parameters": {"path.reward": "demo"}, "headers": {"X-Api-Key": "demo-key"}},
    {"include-path": "/affonso/v1/embed/token", "headers": {"Authorization": f"Bearer {affonso_demo.KEY}"}},
    {"include-path": "/affonso/v1/embed/data", "parameters": {"query.token": "demo-token-jane"}},
    {"include-path-regex": "^/checkout/", "headers": {"Authorization": f"Bearer {checkout_demo.KEY}"}},
]

schema = schemathesis.openapi.from_path(SPEC, config=schemathesis.Config.from_dict({
    "seed": SEED,
    "base-url": BASE_URL,
    "request-timeout": 30,
    "generation": {"max-examples": EXAMPLES, "deterministic": True},
    "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
    "operations": CREDENTIALS,
    "checks": {
        # API Gateway HTTP APIs answer a method no route takes with 404 {"message":"Not Found"}, never
        # 405; the local gateway does the same. Nothing in the functions can change that.
        "unsupported_method": {"enabled": False},
        # Schema-valid is not contract-valid: each contract refuses, in its own format, what its rules
        # say and a JSON schema cannot (exactly one of percentage/amount, a code's alphabet, a date
        # in the past, an unknown coupon...): 400 or 422 as docs/<partner>.md lists them.
        "positive_data_acceptance": {"expected-statuses": ["2xx", "400", "401", "403", "404", "409", "422", "429"]},
    },
}))


def headers(case: schemathesis.Case, friendbuy_token: str) -> dict[str, str]:
    if case.path.startswith(("/friendbuy/v1/referral_codes", "/friendbuy/v1/event")):
        return {"Authorization": f"Bearer {friendbuy_token}"}
    return {}


def contract_shaped(case: schemathesis.Case) -> None:
    """Positive cases only: the rules across fields a schema cannot say, so that schema-valid
    requests also reach the logic past them. Negative cases are sent as generated."""
    if case.meta.generation.mode.is_negative:
        return
    if case.path == "/affonso/v1/embed/coupon" and isinstance(case.body, dict) and isinstance(case.body.get("token"), str):
        # The portal's token rides in the body: a demo affiliate's, so codes get created and refused.
        case.body["token"] = DEMO_TOKENS[len(str(case.body.get("code"))) % len(DEMO_TOKENS)]
    if case.path.startswith("/brandbassador/") and isinstance(case.query, dict):
        # code is optional in the schema only so that its absence is refused in Brandbassador's shape.
        if not case.query.get("code"):
            case.query["code"] = f"FZ{next(_CODES)}"
        # Exactly one of percentage (alias percent) and amount; the schema's optional null is sent
        # as an empty value, which Brandbassador's contract reads as absent.
        if case.query.get("amount") and (case.query.get("percentage") or case.query.get("percent")):
            del case.query["amount"]
        if not any(case.query.get(name) for name in ("percentage", "percent", "amount")):
            case.query["percentage"] = str(len(case.query["code"]) % 90 + 5)


_CODES = itertools.count(1000)


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_every_operation(case: schemathesis.Case, friendbuy_token: str) -> None:
    contract_shaped(case)
    response = case.call_and_validate(headers=headers(case, friendbuy_token))
    STATUSES[f"{case.method} {case.path}"][response.status_code] += 1
    if os.environ.get("FUZZ_TRACE"):
        with open(os.environ["FUZZ_TRACE"], "a") as out:
            out.write(f"{case.method} {case.path} {case.query} {str(case.body)[:200]} -> {response.status_code} {response.text[:200]}\n")


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

    friendbuy_token = ""

    def get_call_kwargs(self, case: schemathesis.Case) -> dict:
        return {"headers": headers(case, self.friendbuy_token)}

    def before_call(self, case: schemathesis.Case) -> None:
        contract_shaped(case)

    def after_call(self, response, case: schemathesis.Case) -> None:
        super().after_call(response, case)
        STATUSES[f"stateful {case.method} {case.path}"][response.status_code] += 1


def test_stateful_sequences(friendbuy_token: str) -> None:
    Sequences.friendbuy_token = friendbuy_token
    Sequences.run(settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS,
                                    derandomize=True, deadline=None, suppress_health_check=list(HealthCheck)))
