"""Secrets (partner keys, API keys, tokens): stored hashed, compared in constant time.

Partner keys are long random strings issued by the partners, so a salted SHA-256 is enough and
costs microseconds per request; a slow KDF would add latency to every call without adding safety
for high-entropy keys. The ``sha256$salt$digest`` form leaves room for another scheme later.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass

_SCHEME = "sha256"
# Compared against when an account has no secret, so a miss costs the same time as a hit.
_DUMMY = f"{_SCHEME}${'0' * 32}${'0' * 64}"


def hash_secret(secret: str, salt: str | None = None) -> str:
    salt = salt if salt is not None else secrets.token_hex(16)
    digest = hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()
    return f"{_SCHEME}${salt}${digest}"


def verify_secret(presented: str | None, stored: str | None) -> bool:
    """True when ``presented`` hashes to ``stored``; constant time in the presented value."""
    scheme, salt, digest = (stored or _DUMMY).split("$", 2)
    if scheme != _SCHEME:
        return False
    candidate = hashlib.sha256(f"{salt}:{presented or ''}".encode()).hexdigest()
    return hmac.compare_digest(candidate, digest) and stored is not None and presented is not None


def new_token(nbytes: int = 32) -> str:
    """A random URL-safe token (``nbytes`` of entropy, 256 bits by default)."""
    return secrets.token_urlsafe(nbytes)


# ---- credentials as requests carry them (each contract's wire module picks its schemes) --------


@dataclass(frozen=True)
class Presented:
    """A credential taken from a request. ``scheme``: ``bearer`` (a key or token), ``basic``
    (``key`` and ``secret``), or ``none`` when the request carried nothing usable."""

    scheme: str
    secret: str = ""
    key: str = ""


NOTHING = Presented("none")


def from_authorization(header: str | None) -> Presented:
    """``Authorization: Bearer <secret>`` or ``Basic base64(key:secret)``, scheme in any letter case.
    Anything else, or Basic that is not base64 of ``key:secret``, is ``NOTHING``."""
    scheme, _, value = (header or "").strip().partition(" ")
    value = value.strip()
    if not value:
        return NOTHING
    if scheme.lower() == "bearer":
        return Presented("bearer", value)
    if scheme.lower() == "basic":
        try:
            key, separator, secret = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return NOTHING
        return Presented("basic", secret, key) if separator else NOTHING
    return NOTHING
