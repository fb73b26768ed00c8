"""The scheduled exchange-rate refresh (EventBridge Scheduler, template.yaml's RatesRefreshUrl):
fetch the ECB's daily reference rates and store them, the whole file or nothing
(coupons.core.rate_refresh, as ``coupons-admin rates refresh`` does).

A failure fails the invocation: Lambda retries it (asynchronous invocation), then the event goes
to RatesRefreshDeadLetterQueue, whose alarm tells the brand. No rate is ever half-imported."""

import gc

gc.disable()  # until init_phase.finished(), this module's last line: see coupons.core.init_phase

from aws_lambda_powertools.utilities.typing import LambdaContext

from coupons.core import init_phase, rate_refresh
from coupons.core.errors import CouponError, InvalidRequest
from coupons.core.observability import logger, metrics, tracer
from coupons.core.settings import Settings
from coupons.core.table import Table

settings = Settings.from_env()
table = Table(settings.table)
url = settings.rates_refresh_url


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    if not url:
        raise InvalidRequest("RATES_REFRESH_URL is not set: the refresh has no file to fetch")
    try:
        stored = rate_refresh.refresh(table, url)
    except CouponError as failed:  # unreachable, HTTP 5xx, a bad or older file: nothing was changed
        logger.error("rates not refreshed", extra={"reason": failed.message})
        metrics.add_metric(name="RatesRefreshFailed", unit="Count", value=1)
        raise
    day = max(r.rate_date for r in stored).isoformat()
    logger.info("rates refreshed", extra={"rates": len(stored), "rate_date": day})
    metrics.add_metric(name="RatesRefreshed", unit="Count", value=len(stored))
    return {"stored": len(stored), "rate_date": day}


init_phase.finished()
