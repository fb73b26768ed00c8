"""Secrets the service must send as they are, kept in the table only as KMS ciphertext (``kms:<base64>``).

Each is encrypted directly under the stack's ``PartnerSecretsKey`` (all are far below KMS's 4 KB)
with an encryption context naming its purpose and its item's pk: a ciphertext copied to another
item does not decrypt, and IAM lets only the sender decrypt, per purpose (template.yaml). A stored
value without the prefix was written before encryption and is read as is until ``coupons-admin
secrets reencrypt`` seals it (docs/architecture.md, "Partner secrets at rest").
"""

from __future__ import annotations

import base64
import os
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from coupons.core import aws_clients, cache

KEY_ENV = "PARTNER_SECRETS_KEY"  # the key's ARN (template output PartnerSecretsKeyArn)
LOCAL_KEY = "alias/coupons-partner-secrets"  # the key make run and the tests create
PREFIX = "kms:"


class Purpose(StrEnum):
    """The encryption context's ``purpose``: template.yaml's kms:Decrypt grants name these."""

    WEBHOOK_SECRET = "webhook-secret"  # noqa: S105 - a purpose's name
    FRIENDBUY_MAPI_SECRET = "friendbuy-mapi-secret"  # noqa: S105 - a purpose's name
    TRACKING_KEY = "brandbassador-tracking-key"
    BANK_GENERATION_KEY = "friendbuy-bank-generation-key"


class CannotOpen(Exception):
    """KMS refused a stored secret (copied from another item, another key, no grant): a delivery
    that needs it fails like an unreachable partner (``sales.delivery``: retried, then dead)
    until the brand sets it again."""


class _Opened:
    """Decrypted values, by ciphertext, in ``core.cache`` (at most ``cache.TTL_SECONDS``): a
    ciphertext always opens to the same value, so the bound only limits how long a plaintext and
    a revoked grant live on in a warm sender; KMS is called at most once per secret per 30 s."""

    name = "kms-opened"


_OPENED = _Opened()

_kms: Any = None  # made on first use (the sender's first delivery), never at a handler's init


def kms() -> Any:
    global _kms
    if _kms is None:
        _kms = aws_clients.client("kms")
    return _kms


def key_id() -> str:
    return os.environ.get(KEY_ENV) or LOCAL_KEY


def context(purpose: Purpose, item_pk: str) -> dict[str, str]:
    return {"purpose": purpose.value, "item": item_pk}


def is_sealed(stored: str | None) -> bool:
    return bool(stored) and str(stored).startswith(PREFIX)


def seal(value: str, purpose: Purpose, item_pk: str) -> str:
    """``value`` as stored: encrypted under the partner-secrets key, bound to its purpose and item."""
    blob = kms().encrypt(KeyId=key_id(), Plaintext=value.encode(),
                         EncryptionContext=context(purpose, item_pk))["CiphertextBlob"]
    return PREFIX + base64.b64encode(blob).decode()


def unseal(stored: str, purpose: Purpose, item_pk: str) -> str:
    """The value a sealed ``stored`` holds (a value written before encryption: itself)."""
    if not is_sealed(stored):
        return stored

    def decrypt() -> str:
        blob = base64.b64decode(stored[len(PREFIX):])
        try:
            answer = kms().decrypt(CiphertextBlob=blob, KeyId=key_id(), EncryptionContext=context(purpose, item_pk))
        except ClientError as refused:  # named by purpose and item only: never the value
            raise CannotOpen(f"The {purpose.value} of {item_pk} cannot be decrypted "
                             f"({refused.response['Error']['Code']}); set it again with the admin CLI") from None
        return bytes(answer["Plaintext"]).decode()

    opened = cache.cached(_OPENED, (stored, purpose, item_pk), decrypt)
    assert opened is not None  # decrypt returns a value or raises
    return opened
