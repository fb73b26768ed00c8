"""The single coupons table: client, (de)serialisation, and translation of transient failures."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, cast

from botocore.exceptions import ClientError

from coupons.core import attribute_values, aws_clients
from coupons.core.errors import InvalidRequest, Unavailable
from coupons.core.settings import Settings

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

# ---- retries and transactions ------------------------------------------------------------------

# One retry policy for every loop that waits on DynamoDB (transaction conflicts, unprocessed batch
# keys, a shopper's parallel request): capped exponential backoff with full jitter, as AWS's
# "Exponential Backoff And Jitter" recommends, so that retrying writers spread out.
RETRY_ATTEMPTS = 8
_BASE_DELAY, _MAX_DELAY = 0.01, 0.5

# Cancellation reasons DynamoDB gives per item (TransactWriteItems' CancellationReasons).
_CONDITION_FAILED = "ConditionalCheckFailed"
_CONFLICT = "TransactionConflict"
_BUSY_REASONS = {"ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"}
_FINE = {"None"}


def backoff(attempt: int) -> float:
    """Seconds to wait before retry number ``attempt`` (0-based)."""
    return random.uniform(0, min(_MAX_DELAY, _BASE_DELAY * 2**attempt))  # noqa: S311 - jitter, not a secret


class ConditionsFailed(Exception):
    """A transaction was cancelled by its conditions; nothing was written.

    ``failed`` maps the name of each part whose condition failed to the item DynamoDB found there
    (``ReturnValuesOnConditionCheckFailure``; None when there was no item). ``conflicted`` names
    the parts another transaction was writing at that instant (their conditions were not judged).
    """

    def __init__(self, failed: dict[str, dict[str, Any] | None], conflicted: frozenset[str] = frozenset()):
        super().__init__(", ".join(failed))
        self.failed = failed
        self.conflicted = conflicted

    def __contains__(self, part: str) -> bool:
        return part in self.failed

    def item(self, part: str) -> dict[str, Any] | None:
        return self.failed.get(part)


# The part name a single conditional write (``Table.put``/``update``/``delete``) reports under.
ITEM = "item"


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


class Table:
    def __init__(self, name: str, client: Any = None, *, consumed_capacity: str = "TOTAL"):
        """``consumed_capacity``: what every call asks DynamoDB to report (``ReturnConsumedCapacity``;
        the benches count capacity units from it). A bulk writer that reads none passes "NONE":
        DynamoDB Local works it out item by item under its table's write lock."""
        self.name = name
        self.consumed_capacity = consumed_capacity
        # AWS_ENDPOINT_URL_DYNAMODB (read by botocore itself) points this at DynamoDB Local.
        self.client = client or aws_clients.client("dynamodb")

    @classmethod
    def from_env(cls) -> Table:
        """The table ``core.settings`` names (COUPONS_TABLE)."""
        return cls(Settings.from_env().table)

    # DynamoDB's typed values <-> Python: core.attribute_values (enums as values, dates as ISO text).
    serialize = staticmethod(attribute_values.serialize_item)
    deserialize = staticmethod(attribute_values.deserialize_item)

    @staticmethod
    def values(values: Mapping[str, Any]) -> dict[str, Any]:
        """ExpressionAttributeValues from plain Python values (``None`` is DynamoDB's NULL)."""
        return {k: attribute_values.serialize(v) for k, v in values.items()}

    def call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """Call a DynamoDB operation on this table; transient failures become ``Unavailable``."""
        kwargs.setdefault("ReturnConsumedCapacity", self.consumed_capacity)
        if operation not in ("transact_write_items", "transact_get_items", "batch_get_item", "batch_write_item"):
            kwargs.setdefault("TableName", self.name)
        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as error:
            if error_code(error) in _TRANSIENT:
                raise Unavailable("The service is busy; please retry the same request in a moment") from error
            raise

    # ---- single conditional writes: a failed condition is ``ConditionsFailed``, as in ``transact`` --

    def put(self, **request: Any) -> dict[str, Any]:
        """PutItem on this table (botocore's keyword arguments, values already serialised)."""
        return self._write("put_item", request)

    def update(self, **request: Any) -> dict[str, Any]:
        """UpdateItem on this table (botocore's keyword arguments, values already serialised)."""
        return self._write("update_item", request)

    def delete(self, **request: Any) -> dict[str, Any]:
        """DeleteItem on this table (botocore's keyword arguments, values already serialised)."""
        return self._write("delete_item", request)

    def _write(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """A failed ``ConditionExpression`` raises ``ConditionsFailed({ITEM: item})``: the item
        DynamoDB handed back when the request asked for it (``ReturnValuesOnConditionCheckFailure``),
        deserialised, else None."""
        try:
            return self.call(operation, **request)
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            item = cast(Mapping[str, Any], error.response).get("Item")
            raise ConditionsFailed({ITEM: self.deserialize(item) if item else None}) from None

    def query_all(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item a query returns, page by page, deserialised."""
        return self._every_page("query", kwargs)

    def scan_all(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item a scan returns, page by page, deserialised (the admin CLI's reports: no
        function is granted Scan)."""
        return self._every_page("scan", kwargs)

    def _every_page(self, operation: str, kwargs: dict[str, Any]) -> Iterator[dict[str, Any]]:
        while True:
            page = self.call(operation, **kwargs)
            for item in page.get("Items", []):
                yield self.deserialize(item)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def get_many(self, keys: list[dict[str, Any]], consistent: bool = False) -> list[dict[str, Any] | None]:
        """The items at ``keys`` (None where there is none), in order, in one BatchGetItem (at most
        100 distinct keys); keys DynamoDB leaves unprocessed are asked again after ``backoff``."""
        wanted = list({(k["pk"], k["sk"]): self.serialize(k) for k in keys}.values())
        found: dict[tuple[str, str], dict[str, Any]] = {}
        request: dict[str, Any] = {self.name: {"Keys": wanted, "ConsistentRead": consistent}}
        for attempt in range(RETRY_ATTEMPTS):
            answer = self.call("batch_get_item", RequestItems=request)
            for item in answer.get("Responses", {}).get(self.name, []):
                plain = self.deserialize(item)
                found[(plain["pk"], plain["sk"])] = plain
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                return [found.get((k["pk"], k["sk"])) for k in keys]
            time.sleep(backoff(attempt))
        raise Unavailable("The service is busy; please retry the same request in a moment")

    def transact(self, parts: Mapping[str, Mapping[str, Any]]) -> None:
        """Write ``parts`` (name -> ``{"Put" | "Update" | "Delete" | "ConditionCheck": request}``,
        without ``TableName``) all or nothing, in one TransactWriteItems.

        Conflicts with other transactions on the same items are retried (``backoff``), so the answer
        comes from the conditions alone. A failed condition raises ``ConditionsFailed`` naming the
        parts; throttling after the retries raises ``Unavailable``; a cancellation that sending the
        same request again cannot cure (validation, item size) raises ``InvalidRequest``.
        """
        names = list(parts)
        items = []
        for part in parts.values():
            ((operation, request),) = part.items()
            request = {"TableName": self.name, **request}
            if operation != "ConditionCheck" and "ConditionExpression" in request:
                request.setdefault("ReturnValuesOnConditionCheckFailure", "ALL_OLD")
            items.append({operation: request})
        for attempt in range(RETRY_ATTEMPTS):
            try:
                # A token per attempt: botocore's own retry of a lost response reuses it, so DynamoDB
                # applies that attempt once; our next attempt (after a conflict) is a new request.
                self.call("transact_write_items", TransactItems=items, ClientRequestToken=uuid.uuid4().hex)
                return
            except ClientError as error:
                if error_code(error) != "TransactionCanceledException":
                    raise
                reasons = error.response.get("CancellationReasons") or [{} for _ in names]
            codes = {name: str(reason.get("Code", "None")) for name, reason in zip(names, reasons, strict=False)}
            failed = {
                name: self.deserialize(reason["Item"]) if reason.get("Item") else None
                for name, reason in zip(names, reasons, strict=False)
                if reason.get("Code") == _CONDITION_FAILED
            }
            if failed:
                raise ConditionsFailed(failed, frozenset(name for name, code in codes.items() if code == _CONFLICT))
            unknown = {c for c in codes.values() if c not in _FINE | _BUSY_REASONS | {_CONFLICT}}
            if unknown:
                raise InvalidRequest("The request could not be stored: it breaks a storage limit "
                                     f"({', '.join(sorted(unknown))})")
            time.sleep(backoff(attempt))
        raise Unavailable("The service is busy; please retry the same request in a moment")
