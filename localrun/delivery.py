"""Sale delivery without AWS: what the stream, the pipe and the queue do, done by a poller.

In AWS, a pending outbox event reaches SenderFunction through DynamoDB Streams -> SalesPipe ->
SalesQueue. Locally there is no stream to read, so ``LocalDelivery`` looks for pending events
(the sparse index store.outbox keeps of them) and invokes the sender's own Lambda handler with an
SQS event per event, honouring the backoff the sender recorded (``next_attempt_at``), as the
queue's visibility timeout would.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from coupons.core import outbox
from coupons.core.partners import PARTNERS
from coupons.core.settings import Settings
from coupons.core.table import Table
from coupons.sales import delivery
from localrun import template
from localrun.gateway import load_module, resolve_environment

SENDER = "SenderFunction"


class _Context:
    function_name = SENDER
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{SENDER}"
    aws_request_id = "local"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


def sqs_event(pks: list[str], receive_counts: list[int]) -> dict[str, Any]:
    """An SQS event as Lambda hands it to the sender (one record per outbox event)."""
    return {"Records": [{
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "local",
        "body": json.dumps({"outbox": pk}),
        "attributes": {"ApproximateReceiveCount": str(count), "SentTimestamp": str(int(time.time() * 1000)),
                       "SenderId": "local", "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000))},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:local-sales",
        "awsRegion": "us-east-1",
    } for pk, count in zip(pks, receive_counts, strict=True)]}


# The sender's partner URLs a local run may point at its stub (coupons.core.partners).
_PARTNER_URLS = {p.reporter_url_env for p in PARTNERS if p.reporter_url_env}


class LocalDelivery:
    def __init__(self, table: Table, environment: Mapping[str, str] | None = None, interval: float = 0.5):
        function = next(f for f in template.functions() if f.name == SENDER)
        env = {**resolve_environment(function, table.name, dict(environment or {})),
               **{k: v for k, v in (environment or {}).items() if k in _PARTNER_URLS or k.startswith("DELIVERY_")}}
        # Read when the module (and Powertools) is imported: the function's own settings.
        for name, value in {**env, "COUPONS_TABLE": table.name, "POWERTOOLS_TRACE_DISABLED": "true"}.items():
            if name == "COUPONS_TABLE" or name.startswith("POWERTOOLS_"):
                os.environ.setdefault(name, value)
        module = load_module(function.code_dir, function.handler, f"{function.name}_local")
        # The module was built from this process's environment; point it at the local stack.
        settings = Settings.from_env({**env, "COUPONS_TABLE": table.name})
        module.table, module.config, module.QUEUE_URL = table, delivery.DeliveryConfig.from_settings(settings), ""
        module.reporters = module.compose(settings)
        module.alert_senders = module.compose_alerts(settings)
        self.handler = getattr(module, function.handler.rsplit(".", 1)[1])
        self.table = table
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def due(self, now: float | None = None) -> list[dict[str, Any]]:
        now = time.time() if now is None else now
        return [item for item in outbox.in_state(self.table, outbox.PENDING)
                if float(item.get("next_attempt_at", 0)) <= now and float(item.get("lease_until", 0)) < now]

    def run_once(self, now: float | None = None) -> int:
        """Hand every due event to the sender once; how many were handed over."""
        items = self.due(now)
        if items:
            self.handler(sqs_event([i["pk"] for i in items], [int(i["attempts"]) + 1 for i in items]), _Context())
        return len(items)

    def start(self) -> LocalDelivery:
        def loop() -> None:
            while not self._stop.wait(self.interval):
                try:
                    self.run_once()
                except (BotoCoreError, ClientError) as error:  # e.g. DynamoDB Local stopping first
                    print(f"local delivery: {error}", file=sys.stderr)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
