"""Lambda SnapStart runtime hooks (template parameter ``EnableSnapStart``).

After restore: recreate the AWS clients made at init and reseed ``random``; codes and tokens come
from ``secrets``, so restored copies never share a sequence (README.md, "SnapStart";
docs/architecture.md, "A wing per partner on a shared core", Cold start)."""

from __future__ import annotations

import random
import sys
from typing import Any

try:  # only in the Lambda runtime
    from snapshot_restore_py import register_after_restore
except ImportError:  # pragma: no cover - depends on where we run
    register_after_restore = None

# Modules whose globals may hold clients made at init: handlers (app) and the layer.
_OWNERS = ("app", "coupons")


def after_restore() -> None:
    """Fresh clients and a reseeded ``random`` in an execution environment restored from a snapshot."""
    from botocore.client import BaseClient

    from coupons.core import aws_clients
    from coupons.core.table import Table

    random.seed()  # from os.urandom
    aws_clients.forget_session()  # credentials and config resolved again by the next client
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        if name not in _OWNERS and not name.startswith("coupons."):
            continue
        for attribute, value in list(vars(module).items()):
            if isinstance(value, Table):
                value.client = aws_clients.client("dynamodb")
            elif isinstance(value, BaseClient):
                setattr(module, attribute, _fresh(value))


def _fresh(client: Any) -> Any:
    from coupons.core import aws_clients

    return aws_clients.client(client.meta.service_model.service_name, region_name=client.meta.region_name)


if register_after_restore is not None:
    register_after_restore(after_restore)
