"""Runs every function as deployed with tracing on, against moto, and reports what it was sent.

``python -m tests.xray_probe PORT`` (run by tests/spine/test_xray_wire.py): X-Ray's SDK sends its
segments over UDP to ``AWS_XRAY_DAEMON_ADDRESS``; the test listens there, this process invokes
every ``events/`` sample plus a set of refusals, then prints (JSON) the values that must never
reach X-Ray: every code, email, key, token, customer id and referral code it sent or got back.
Tracing must be configured before Powertools or the SDK is imported, hence a process of its own.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

PORT = sys.argv[1]
ROOT = Path(__file__).resolve().parents[1]
os.environ.update(
    AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
    AWS_REGION="us-east-1", COUPONS_TABLE="coupons-test",
    # Lambda's own variables: the SDK takes its Lambda path (a facade segment from _X_AMZN_TRACE_ID,
    # every subsegment sent as it closes), Powertools' Tracer is on.
    AWS_LAMBDA_FUNCTION_NAME="probe", LAMBDA_TASK_ROOT=str(ROOT), AWS_XRAY_DAEMON_ADDRESS=f"127.0.0.1:{PORT}",
    AWS_XRAY_CONTEXT_MISSING="IGNORE_ERROR", POWERTOOLS_SERVICE_NAME="coupon-service",
    POWERTOOLS_METRICS_NAMESPACE="CouponService", POWERTOOLS_LOG_LEVEL="CRITICAL",
    # as template.yaml's Globals set them
    POWERTOOLS_TRACER_CAPTURE_RESPONSE="false", POWERTOOLS_TRACER_CAPTURE_ERROR="false",
    # the sender's partners: a closed port, so that its delivery failures are traced too
    BRANDBASSADOR_TRACKING_URL="http://127.0.0.1:9", FRIENDBUY_MAPI_URL="http://127.0.0.1:9",
    DELIVERY_TIMEOUT_SECONDS="1",
)
os.environ.pop("POWERTOOLS_TRACE_DISABLED", None)
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from coupons.core.table import Table  # noqa: E402
from localrun import demo, template  # noqa: E402
from localrun.dynamodb_local import create_table  # noqa: E402
from localrun.gateway import load_module  # noqa: E402
from localrun.partner_stub import PartnerStub  # noqa: E402

FOLDER_OF = {"BrandbassadorFunction": "brandbassador", "SiteVibesFunction": "sitevibes",
             "AffonsoFunction": "affonso", "FriendbuyFunction": "friendbuy", "CheckoutFunction": "checkout",
             "SenderFunction": "sender", "RatesRefreshFunction": "rates_refresh"}
# Names of fields whose values are secrets, codes, emails or ids of people.
SENSITIVE_FIELDS = {"code", "coupon_code", "couponcode", "email", "auth_key", "key", "secret", "token",
                    "publictoken", "customerid", "customer_id", "referralcode", "referral_code", "x-api-key",
                    "authorization", "redemption", "id", "order_id", "orderid", "gift_card", "outbox"}


class Context:
    function_name, function_version, memory_limit_in_mb = "probe", "$LATEST", 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:probe"
    aws_request_id = "probe-request"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


def sensitive_values(value: object, field: str = "", found: set[str] | None = None) -> set[str]:
    """Every string under a sensitive field name, in events (bodies parsed) and answers."""
    found = set() if found is None else found
    if isinstance(value, dict):
        for name, inner in value.items():
            if str(name).lower() != "error":  # a refusal's reason ({"error": {"code": "used_up"}}), not data
                sensitive_values(inner, str(name).lower(), found)
    elif isinstance(value, list):
        for inner in value:
            sensitive_values(inner, field, found)
    elif isinstance(value, str):
        if value[:1] in "{[":
            try:
                return sensitive_values(json.loads(value), field, found)
            except ValueError:
                pass
        if field in SENSITIVE_FIELDS and len(value) >= 4:
            found.add(value.removeprefix("Bearer ").removeprefix("Basic "))
    return found


def main() -> None:
    secrets: set[str] = set()
    statuses: list[int] = []
    ecb = PartnerStub().start()  # the rates refresh fetches the ECB fixture from it
    os.environ["RATES_REFRESH_URL"] = f"{ecb.url}/ecb/eurofxref-daily.xml"
    with mock_aws():
        client = boto3.client("dynamodb")
        create_table(client, "coupons-test")
        table = Table("coupons-test", client)
        demo.seed(table)
        for function in template.functions():
            folder = ROOT / "events" / FOLDER_OF[function.name]
            module = load_module(function.code_dir, function.handler, function.name)
            module.table = table
            for path in sorted(folder.glob("*.json")):
                event = json.loads(path.read_text())
                secrets |= sensitive_values(event.get("pathParameters") or {})
                secrets |= sensitive_values(event.get("queryStringParameters") or {})
                secrets |= sensitive_values({k: v for k, v in (event.get("headers") or {}).items()
                                             if k in ("authorization", "x-api-key")})
                secrets |= sensitive_values(event.get("body") or "", "body")
                secrets |= sensitive_values(event.get("Records") or [])
                # a new trace per invocation, sampled, as Lambda sets it
                os.environ["_X_AMZN_TRACE_ID"] = (f"Root=1-5759e988-{len(statuses):024x};"
                                                  "Parent=53995c3f42cd8ad8;Sampled=1")
                answer = module.lambda_handler(event, Context())
                statuses.append(answer.get("statusCode", 200) if isinstance(answer, dict) else 200)
                if isinstance(answer, dict):
                    secrets |= sensitive_values(answer.get("body") or "", "body")
    ecb.close()
    # Values of a sensitive field that are structure, not data, could not leak anything.
    secrets -= {"true", "false", "null", "None"}
    print(json.dumps({"secrets": sorted(secrets), "statuses": statuses}))


if __name__ == "__main__":
    main()
