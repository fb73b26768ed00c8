"""Powertools singletons, configured once from the environment (POWERTOOLS_* in template.yaml)."""

import hashlib
import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
# What our functions call: DynamoDB and SQS (botocore), partners' webhooks and pixels (http.client,
# under urllib). Patching only these spares each cold start X-Ray's other patchers and the modules
# they import (sqlite3, ...).
tracer = Tracer(patch_modules=("botocore", "httplib"))
metrics = Metrics()

# A refused request publishes no metric; Powertools warns about that on every such call.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def masked(value: str | None) -> str | None:
    """What logs carry instead of a secret, an email, a gift-card code or anything that holds one
    (a redemption id names its code): a short hash, the same for the same value, so support can
    still follow one request or one code across log lines without reading it."""
    if value is None:
        return None
    return "sha256:" + hashlib.sha256(value.encode()).hexdigest()[:12]
