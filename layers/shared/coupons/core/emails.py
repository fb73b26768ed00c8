"""What every contract takes as an e-mail address: an addr-spec alone (RFC 5322, without quoted
local parts), nothing around it. Deliberately loose inside: the partner checked the address when
the person signed up, so unusual but valid ones (``o'neil+tag@example.co.uk``, non-ASCII letters)
pass; a display form (``Name <a@b.c>``), brackets, spaces or a domain without a dot do not."""

from __future__ import annotations

import re
from typing import Any

MAX_LENGTH = 254  # RFC 5321's limit on a forward path
# Characters RFC 5322 reserves outside quoted strings, plus whitespace: never part of an address.
_NOT_IN_ADDRESS = r"\s@<>()\[\]\\,;:\""
_ADDRESS = re.compile(rf"[^{_NOT_IN_ADDRESS}]{{1,64}}@[^{_NOT_IN_ADDRESS}.]+(\.[^{_NOT_IN_ADDRESS}.]+)+")


# The addresses the schema promises (OpenAPI): is_address's shape over the characters a regex can
# name without Unicode classes (printable ASCII, Latin, Cyrillic, CJK); is_address takes any printable one.
_CHAR = r"[!#-'*+\--9=?A-Z^-~\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0400-\u04ff\u4e00-\u9fff]"
_LABEL = _CHAR.replace("\\--9", "\\-/0-9")  # a domain label: no dot
ADDRESS_SCHEMA: dict[str, Any] = {"type": "string", "maxLength": MAX_LENGTH,
                                  "pattern": rf"^{_CHAR}{{1,64}}@{_LABEL}+(\.{_LABEL}+)+$"}


def is_address(text: str) -> bool:
    return len(text) <= MAX_LENGTH and text.isprintable() and _ADDRESS.fullmatch(text) is not None
