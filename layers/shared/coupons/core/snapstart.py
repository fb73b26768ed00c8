"""Lambda SnapStart runtime hooks (template parameter ``EnableSnapStart``; README, Deploy).

With SnapStart, Lambda runs the init phase (imports, ``table = Table.from_env()`` in every
handler) once when a version is published, snapshots the memory, and starts every new execution
environment from a copy of that snapshot. Whatever init produced is therefore shared by all of
them. What this service keeps from init, and why it is safe after restore:

- Codes, tokens, salts and bank draws come from ``secrets`` (``coupons.core.codes.generate``,
  ``credentials.new_token``/``hash_secret``, Friendbuy's referral codes and free-code draws), which
  reads the kernel's entropy (``os.urandom``) at every call: two restored copies never share a
  sequence. No seeded generator is involved; tests/spine/test_snapstart.py holds that.
- ``random`` is only used for retry jitter; it is reseeded after restore anyway, so copies
  restored from one snapshot do not back off in lockstep.
- AWS clients made at init hold pooled connections opened before the snapshot and credentials
  resolved then; they are recreated after restore (the DynamoDB client of every ``Table`` a
  handler or the layer holds at module level, and any module-level botocore client), from a new
  botocore session (``core.aws_clients``) so credentials are resolved again.

``snapshot_restore_py`` ships in Lambda's managed Python runtimes (3.12+, where SnapStart exists);
elsewhere (tests, ``make run``, python3.11) importing this module registers nothing.
"""

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
