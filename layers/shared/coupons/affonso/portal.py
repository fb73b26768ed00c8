"""The affiliate portal page as the stack serves it (``GET /affonso/portal``).

The page is one self-contained HTML file (``functions/affonso/portal.html``: inline CSS and plain
JavaScript, no build step), so a brand can also host it anywhere. Served here, it gets a strict
Content-Security-Policy: its one inline script and one inline style are allowed by their SHA-256
(computed from the file itself, so an edit cannot leave the policy stale), and it may call only
this API (``connect-src 'self'``) unless the page is told another base URL over https.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from aws_lambda_powertools.event_handler import Response

_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def _source_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@dataclass(frozen=True)
class Page:
    html: str
    content_security_policy: str

    @classmethod
    def load(cls, path: Path) -> Page:
        html = path.read_text(encoding="utf-8")
        scripts = " ".join(_source_hash(s) for s in _SCRIPT.findall(html))
        styles = " ".join(_source_hash(s) for s in _STYLE.findall(html))
        policy = "; ".join([
            "default-src 'none'",
            f"script-src {scripts}",
            f"style-src {styles}",
            "connect-src 'self' https:",  # this API, or one the brand names with ?api=https://...
            "img-src 'self' https: data:",  # the programme's logo, the affiliate's avatar, creatives
            "base-uri 'none'",
            "form-action 'none'",  # the form is sent by script, never by navigation
        ])
        return cls(html=html, content_security_policy=policy)

    def response(self) -> Response:
        return Response(status_code=200, content_type="text/html; charset=utf-8", body=self.html, headers={
            "Content-Security-Policy": self.content_security_policy,
            # The embed token rides in the page's URL: never hand it on as a Referer.
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        })
