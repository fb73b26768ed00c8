"""The reference for cold starts: the smallest handler on the stack every function of ours is made
of (Powertools Logger, Tracer, Metrics, the HTTP API resolver with validation, a pydantic body, a
boto3 DynamoDB client), none of our code. ``python -m bench coldstart`` builds it like a function
and measures it beside ours: what the mandated stack costs by itself, so that our own share of a
cold start is the handler's ratio minus this one's."""

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver(enable_validation=True)
dynamodb = boto3.client("dynamodb")


class Body(BaseModel):
    email: str


@app.post("/coupons")
@tracer.capture_method
def create(body: Body) -> dict:
    return {"email": body.email}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
