"""The layer's shape, checked: one direction of imports, and key prefixes named once.

handlers -> their partner's package + core; partner packages -> core; core -> nothing of ours
above it; no partner package imports another. The sender is the one composition root: it wires
each partner's sale reporter (docs/architecture.md, "Sales back to partners").
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "shared" / "coupons"
WINGS = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name != "core")
# functions/<name> -> the package it serves
SERVES = {"brandbassador": "brandbassador", "sitevibes": "sitevibes", "affonso": "affonso",
          "friendbuy": "friendbuy", "checkout": "checkout", "sender": "sales"}
# The sender composes the partners' sale reporters, and only those.
REPORTERS = {"coupons.brandbassador.tracking", "coupons.friendbuy.purchases"}
# ... and the leak guard's step, run on each sale event before its reporter (docs/guard.md).
OBSERVERS = {"coupons.guard.detector"}


def ours(path: Path) -> set[str]:
    """The ``coupons`` modules ``path`` imports (at any depth: lazy imports count too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "coupons":
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "coupons"}
    return found


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_wings_and_the_sender_are_what_the_docs_say():
    assert WINGS == ["affonso", "brandbassador", "checkout", "friendbuy", "guard", "sales", "sitevibes"]
    assert {p.name for p in (ROOT / "functions").iterdir() if p.is_dir()} == set(SERVES)


@pytest.mark.parametrize("module", sorted((PACKAGE / "core").glob("*.py")), ids=lambda p: p.name)
def test_core_imports_nothing_above_it(module):
    assert {m for m in ours(module) if package_of(m) != "core"} == set()


@pytest.mark.parametrize("wing", WINGS)
def test_a_partner_package_imports_only_itself_and_core(wing):
    wrong = {f"{path.name}: {m}" for path in (PACKAGE / wing).glob("*.py") for m in ours(path)
             if package_of(m) not in ("core", wing)}
    assert wrong == set()


@pytest.mark.parametrize("function", sorted(SERVES))
def test_a_handler_imports_its_partner_package_and_core(function):
    allowed = {"core", SERVES[function]}
    wrong = {m for m in ours(ROOT / "functions" / function / "app.py") if package_of(m) not in allowed}
    if function == "sender":
        composed = REPORTERS | OBSERVERS
        wrong = {m for m in wrong if m not in composed and m.rsplit(".", 1)[0] not in composed}
    assert wrong == set()
