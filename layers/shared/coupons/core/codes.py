"""Code rules shared by every contract: one namespace, case-insensitive.

The canonical (upper-cased) form is the table key and nothing else is cleaned up; the alphabet
depends on who makes the code (docs/architecture.md, "Uniqueness and single use are conditions, not reads")."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from coupons.core.errors import InvalidRequest

MIN_LENGTH = 3
MAX_LENGTH = 64


@dataclass(frozen=True)
class Alphabet:
    """The characters a code may hold: ``pattern`` matches a whole canonical (upper-case) code;
    ``schema`` is the same rule for OpenAPI, over the code as sent (any letter case)."""

    pattern: re.Pattern[str]
    described: str  # for the refusal: "may only contain ..."
    schema: str


ALPHANUMERIC = Alphabet(re.compile(rf"[A-Z0-9]{{{MIN_LENGTH},{MAX_LENGTH}}}", re.ASCII), "letters A-Z and digits 0-9",
                        rf"^[A-Za-z0-9]{{{MIN_LENGTH},{MAX_LENGTH}}}$")
# Hyphens inside a code only: a leading or trailing hyphen is a copy-paste accident, not a code.
WITH_HYPHENS = Alphabet(
    re.compile(rf"(?=.{{{MIN_LENGTH},{MAX_LENGTH}}}\Z)[A-Z0-9](?:[A-Z0-9-]*[A-Z0-9])?", re.ASCII),
    "letters A-Z, digits 0-9 and hyphens (not first or last)",
    rf"^[A-Za-z0-9][A-Za-z0-9-]{{{MIN_LENGTH - 2},{MAX_LENGTH - 2}}}[A-Za-z0-9]$",
)

# Generated codes avoid characters people misread when typing a code off a screen or a receipt.
UNAMBIGUOUS_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def canonical(code: str) -> str:
    """The namespace key of ``code``: upper-cased, otherwise unchanged (no silent clean-up)."""
    return code.upper()


def require_valid(code: str | None, alphabet: Alphabet = ALPHANUMERIC) -> str:
    """Return the canonical form of ``code`` or raise ``InvalidRequest`` saying what is wrong."""
    if code is None or code == "":
        raise InvalidRequest("The discount code is missing")
    # Before upper-casing: str.upper() turns look-alikes into real letters (ß -> SS, ı -> I, ﬁ -> FI).  # noqa: RUF003
    foreign = next((c for c in code if not c.isascii()), None)
    if foreign is not None:
        raise InvalidRequest(f"The discount code may only contain letters A-Z and digits 0-9; "
                             f"{foreign!r} (U+{ord(foreign):04X}) is not one of them")
    upper = canonical(code)
    if not alphabet.pattern.fullmatch(upper):
        if not MIN_LENGTH <= len(code) <= MAX_LENGTH:
            raise InvalidRequest(
                f"The discount code must be {MIN_LENGTH} to {MAX_LENGTH} characters long, got {len(code)}"
            )
        raise InvalidRequest(f"The discount code {code!r} may only contain {alphabet.described}")
    return upper


def generate(prefix: str = "", length: int = 8, alphabet: str = UNAMBIGUOUS_ALPHABET) -> str:
    """A random code: ``prefix`` followed by ``length`` characters drawn from ``alphabet``."""
    return canonical(prefix) + "".join(secrets.choice(alphabet) for _ in range(length))
