"""Powertools singletons, configured once from the environment (POWERTOOLS_* in template.yaml)."""

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()

# A refused request publishes no metric; Powertools warns about that on every such call.
warnings.filterwarnings("ignore", message="No application metrics to publish")
