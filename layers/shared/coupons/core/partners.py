"""The partners this service serves, in one place: names, where their code lives, how sales reach
them. Data only (dotted paths, no imports of the wings), so reading it costs a handler nothing at
cold start; the sender, the checkout, the admin CLI, the local demo, the bench and the structure
test read it. Adding a partner: docs/architecture.md, "Adding a partner"."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Partner:
    name: str  # the ``partner`` of its codes and accounts, and its route prefix
    wing: str  # coupons.<wing>: its wire format, rules and items
    function: str  # functions/<function>/app.py, its HTTP handler
    # "module:attribute" of its sale reporter (core.sales.Reporter); with ``reporter_url_env`` a
    # factory called with that variable's value (None when unset: the wing's default URL)
    reporter: str
    reporter_url_env: str | None = None
    # "module:attribute" of how it hears of the leak guard's notices (core.sales.AlertSender; with
    # ``reporter_url_env``, a factory as the reporter is); "" for none (coupons.guard.notices)
    alert_sender: str = ""
    ref_prefixes: tuple[str, ...] = ()  # tracking references on the brand's site that name it
    admin: tuple[str, ...] = ()  # its coupons_admin command groups (modules)
    demo: str = ""  # its localrun.demo module (``make run``'s seed and curl examples)
    bench: str = ""  # its bench module (``python -m bench <name>``)


_WEBHOOK = "coupons.sales.webhook:report_sale"  # our own signed webhook (coupons-admin checkout webhooks)
_ALERT_WEBHOOK = "coupons.sales.alerts:send_webhook"  # the leak guard's notices by the same webhook

PARTNERS: tuple[Partner, ...] = (
    Partner("brandbassador", wing="brandbassador", function="brandbassador",
            reporter="coupons.brandbassador.tracking:pixel_reporter", reporter_url_env="BRANDBASSADOR_TRACKING_URL",
            ref_prefixes=("bb",), admin=("webshops",), demo="brandbassador", bench="brandbassador"),
    Partner("sitevibes", wing="sitevibes", function="sitevibes", reporter=_WEBHOOK, alert_sender=_ALERT_WEBHOOK,
            admin=("rewards",), demo="sitevibes", bench="sitevibes"),
    Partner("affonso", wing="affonso", function="affonso", reporter=_WEBHOOK, alert_sender=_ALERT_WEBHOOK,
            admin=("programmes",), demo="affonso", bench="affonso"),
    Partner("friendbuy", wing="friendbuy", function="friendbuy",
            reporter="coupons.friendbuy.purchases:checkout_reporter", reporter_url_env="FRIENDBUY_MAPI_URL",
            alert_sender="coupons.friendbuy.guard_events:guard_reporter",
            admin=("campaigns", "banks", "referrals"), demo="friendbuy", bench="friendbuy"),
)

# The partners whose sales (and guard notices) go to our own signed webhook (CHECKOUT#WEBHOOK#<name>).
WEBHOOK_PARTNERS: tuple[str, ...] = tuple(p.name for p in PARTNERS if p.reporter == _WEBHOOK)

# Which partner a tracking reference belongs to, by prefix (checkout's code-less sales).
REF_PREFIXES: dict[str, str] = {prefix: p.name for p in PARTNERS for prefix in p.ref_prefixes}


def named(name: str) -> Partner:
    return next(p for p in PARTNERS if p.name == name)
