"""AWS clients made with botocore alone.

``boto3.client(...)`` is botocore's ``create_client`` behind a default session, but importing
boto3 also imports its resources, its docs and s3transfer, which every cold start of a handler
would pay without using any of it (``python -m bench coldstart``; tests/spine/test_built_artifacts.py
holds that no built handler loads boto3). Configuration is botocore's, exactly as with boto3:
region, credentials, retries and ``AWS_ENDPOINT_URL_DYNAMODB`` (DynamoDB Local) from the
environment. The admin CLI, tests and benches keep boto3.
"""

from __future__ import annotations

from typing import Any

import botocore.session

_session: botocore.session.Session | None = None


def client(service: str, **options: Any) -> Any:
    """A client of ``service`` from the process's one botocore session."""
    global _session
    if _session is None:
        _session = botocore.session.get_session()
    return _session.create_client(service, **options)


def forget_session() -> None:
    """Resolve credentials and configuration again at the next ``client`` (after a SnapStart restore)."""
    global _session
    _session = None
