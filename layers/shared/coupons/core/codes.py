"""Code rules shared by every contract: one namespace, case-insensitive, A-Z and 0-9 only.

The canonical form of a code is its upper-cased form; it is the table key, so two codes that
differ only in letter case are the same code (the failure class of Vendure #1604, Shopware #14397).
"""

from __future__ import annotations

import re
import secrets

from coupons.core.errors import InvalidRequest

MIN_LENGTH = 3
MAX_LENGTH = 64
_VALID = re.compile(rf"[A-Z0-9]{{{MIN_LENGTH},{MAX_LENGTH}}}", re.ASCII)

# Generated codes avoid characters people misread when typing a code off a screen or a receipt.
UNAMBIGUOUS_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def canonical(code: str) -> str:
    """The namespace key of ``code``: upper-cased, otherwise unchanged (no silent clean-up)."""
    return code.upper()


def require_valid(code: str | None) -> str:
    """Return the canonical form of ``code`` or raise ``InvalidRequest`` saying what is wrong."""
    if code is None or code == "":
        raise InvalidRequest("The discount code is missing")
    # Before upper-casing: str.upper() turns look-alikes into real letters (ß -> SS, ı -> I, ﬁ -> FI).  # noqa: RUF003
    foreign = next((c for c in code if not c.isascii()), None)
    if foreign is not None:
        raise InvalidRequest(f"The discount code may only contain letters A-Z and digits 0-9; "
                             f"{foreign!r} (U+{ord(foreign):04X}) is not one of them")
    upper = canonical(code)
    if not _VALID.fullmatch(upper):
        if not MIN_LENGTH <= len(code) <= MAX_LENGTH:
            raise InvalidRequest(
                f"The discount code must be {MIN_LENGTH} to {MAX_LENGTH} characters long, got {len(code)}"
            )
        raise InvalidRequest(f"The discount code {code!r} may only contain letters A-Z and digits 0-9")
    return upper


def generate(prefix: str = "", length: int = 8, alphabet: str = UNAMBIGUOUS_ALPHABET) -> str:
    """A random code: ``prefix`` followed by ``length`` characters drawn from ``alphabet``."""
    return canonical(prefix) + "".join(secrets.choice(alphabet) for _ in range(length))
