"""The single coupons table: client, (de)serialisation, and translation of transient failures."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from coupons.core.errors import Unavailable

TABLE_ENV = "COUPONS_TABLE"

# Errors a caller can fix by sending the same request again later; anything else is a bug and
# is left to surface as one.
_TRANSIENT = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
}

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _plain(value: Any) -> Any:
    """Python values DynamoDB's serializer does not take natively, as strings."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


class Table:
    def __init__(self, name: str, client: Any = None):
        self.name = name
        # AWS_ENDPOINT_URL_DYNAMODB (read by botocore itself) points this at DynamoDB Local.
        self.client = client or boto3.client("dynamodb")

    @classmethod
    def from_env(cls) -> Table:
        return cls(os.environ[TABLE_ENV])

    @staticmethod
    def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: _serializer.serialize(_plain(v)) for k, v in item.items() if v is not None}

    @staticmethod
    def deserialize(item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: _deserializer.deserialize(v) for k, v in item.items()}

    @staticmethod
    def values(values: Mapping[str, Any]) -> dict[str, Any]:
        """ExpressionAttributeValues from plain Python values."""
        return {k: _serializer.serialize(_plain(v)) for k, v in values.items()}

    def call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """Call a DynamoDB operation on this table; transient failures become ``Unavailable``."""
        kwargs.setdefault("ReturnConsumedCapacity", "TOTAL")
        if operation not in ("transact_write_items", "transact_get_items", "batch_get_item", "batch_write_item"):
            kwargs.setdefault("TableName", self.name)
        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as error:
            if error_code(error) in _TRANSIENT:
                raise Unavailable("The service is busy; please retry the same request in a moment") from error
            raise

    def query_all(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item a query returns, page by page, deserialised."""
        while True:
            page = self.call("query", **kwargs)
            for item in page.get("Items", []):
                yield self.deserialize(item)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
