"""Sale events -> partners. Consumes the SalesQueue (fed from the table's stream by SalesPipe, see
template.yaml); each message names one outbox event. Delivery rules: coupons.sales.delivery; each
partner's reporter lives in its own package, and this module is the one place that composes them."""

import gc

gc.disable()  # until init_phase.finished(), this module's last line: see coupons.core.init_phase

import importlib
import json

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

import coupons.core.snapstart  # noqa: F401 - SnapStart: fresh clients after restore (no-op elsewhere)
from coupons.core import aws_clients, init_phase, partners
from coupons.core.observability import logger, masked, metrics, tracer
from coupons.core.sales import AlertSender, Reporter
from coupons.core.settings import Settings
from coupons.core.table import Table
from coupons.guard import detector
from coupons.sales import alerts, delivery

settings = Settings.from_env()
table = Table(settings.table)
config = delivery.DeliveryConfig.from_settings(settings)


def compose(settings: Settings = settings) -> dict[str, Reporter]:
    """Who hears about a sale of each partner's codes: the reporter each names in coupons.core.partners."""
    reporters = {}
    for partner in partners.PARTNERS:
        module, name = partner.reporter.split(":")
        reporter = getattr(importlib.import_module(module), name)
        url = settings.partner_urls.get(partner.reporter_url_env or "")
        reporters[partner.name] = reporter(url) if partner.reporter_url_env else reporter
    return reporters


def compose_alerts(settings: Settings = settings) -> dict[str, AlertSender]:
    """Who is told of the leak guard's notices (coupons.guard.notices): the brand by its guard
    webhook, each partner by the alert sender it names in coupons.core.partners."""
    senders: dict[str, AlertSender] = {alerts.GUARD_WEBHOOK: alerts.send_webhook}
    for partner in partners.PARTNERS:
        if not partner.alert_sender:
            continue
        module, name = partner.alert_sender.split(":")
        sender = getattr(importlib.import_module(module), name)
        url = settings.partner_urls.get(partner.reporter_url_env or "")
        senders[partner.name] = sender(url) if partner.reporter_url_env else sender
    return senders


reporters = compose()
alert_senders = compose_alerts()
# The leak guard counts and judges each redemption before it is reported (docs/guard.md).
observers = [detector.observe]
QUEUE_URL = settings.sales_queue_url  # empty when run locally (no queue)
# A batch whose every record failed is answered like any other (each failed message listed), so
# the deferred visibility set per message holds instead of the whole batch coming back at once.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
_sqs = None


def _defer(record: SQSRecord, seconds: float) -> None:
    """Backoff: the failed message comes back after ``seconds`` instead of the queue's default."""
    global _sqs
    if not QUEUE_URL:
        return
    _sqs = _sqs or aws_clients.client("sqs")
    try:
        _sqs.change_message_visibility(QueueUrl=QUEUE_URL, ReceiptHandle=record.receipt_handle,
                                       VisibilityTimeout=int(min(seconds, 43_200)))
    except ClientError as error:  # the queue's own visibility timeout still brings it back
        logger.warning("could not defer message", extra={"error": str(error)})


@tracer.capture_method
def send(record: SQSRecord) -> None:
    outbox_key = json.loads(record.body)["outbox"]  # the pk of one outbox item (a sale or its rollback)
    outcome = delivery.deliver(table, outbox_key, config, reporters, observers, alert_senders)
    # No note: a partner's answer may quote the code; the outbox item keeps it for support.
    logger.info("delivery", extra={"outbox": masked(outbox_key), "state": outcome.state})
    metrics.add_metric(name=f"Sales{outcome.state.capitalize()}", unit="Count", value=1)
    if outcome.retry_in is not None:
        _defer(record, outcome.retry_in)
        raise delivery.DeliveryFailed(outcome.note)  # this message only; the batch's others are done


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=send, processor=processor, context=context)


init_phase.finished()
