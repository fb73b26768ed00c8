"""SiteVibes custom coupon rewards: POST /sitevibes/rewards/{reward}/coupons with {"email"} answers
{"coupon_code"} with a fresh code. Wire format: coupons.sitevibes.wire."""

import gc

gc.disable()  # until init_phase.finished(), this module's last line: see coupons.core.init_phase

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.metrics import MetricUnit

import coupons.core.snapstart  # noqa: F401 - SnapStart: fresh clients after restore (no-op elsewhere)
from coupons.core import init_phase
from coupons.core.http_api import entry_point, refuse_with
from coupons.core.observability import logger, masked, metrics, tracer
from coupons.core.table import Table
from coupons.sitevibes import rewards, wire

# No Powertools body validation: the wire module reads the body itself, after the reward's header is
# checked, and as JSON whatever content-type the caller set (SiteVibes' page only promises JSON).
app = APIGatewayHttpResolver()
table = Table.from_env()


@app.post(
    "/sitevibes/rewards/<reward>/coupons",
    summary="Issue a coupon code for a redeemed SiteVibes reward",
    tags=["SiteVibes"],
    security=wire.SECURITY,
    openapi_extensions=wire.OPENAPI_REQUEST_BODY,
    responses=wire.OPENAPI_RESPONSES,
)
@tracer.capture_method
def issue_coupon(reward: str) -> Response[dict]:
    event = app.current_event
    opened = rewards.open_reward(table, reward, event.headers)
    email = wire.parse(event.body, event.is_base64_encoded)
    redemption = rewards.redeem(table, opened, email)
    if redemption.replayed:
        metrics.add_metric(name="RewardRetriesAnswered", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="RewardsRedeemed", unit=MetricUnit.Count, value=1)
    # No email and no code in the logs (a code is a shopper's discount): the code's hash and the
    # reward are enough to find the redemption.
    logger.info("reward redeemed", extra={"reward": reward, "code": masked(redemption.code or None),
                                          "replayed": redemption.replayed})
    return wire.issued(redemption.code)


refuse_with(app, wire)
lambda_handler = entry_point(app)
init_phase.finished()
