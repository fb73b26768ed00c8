"""The layer's shape, checked: one direction of imports, and rules -> items -> Table.

handlers -> their partner's package + core; partner packages -> core; core -> nothing of ours
above it; no partner package imports another. The sender is the one composition root: it wires
each partner's sale reporter (docs/architecture.md, "Sales back to partners"). Only items modules
speak to the table; rules and handlers pass it on.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from coupons.core.partners import PARTNERS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "shared" / "coupons"
WINGS = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name != "core")
# functions/<name> -> the package it serves: each partner's (coupons.core.partners), the brand's checkout, the sender.
SERVES = {**{p.function: p.wing for p in PARTNERS}, "checkout": "checkout", "sender": "sales",
          "rates_refresh": "core"}  # the scheduled ECB refresh: exchange rates are core
# The sender composes the partners' sale reporters (the registry) and the leak guard's step, run on
# each sale event before its reporter (docs/guard.md).
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


# Table's methods (the client's, serialising, transactions): called only from items modules.
TABLE_METHODS = {"call", "put", "update", "delete", "transact", "get_many", "query_all", "serialize",
                 "deserialize", "values", "client"}
# Core modules that hold items without the ``_items`` suffix: the outbox's items, and the day's
# budget counter (a transaction part) that ``issuing`` builds.
CORE_ITEMS = {"table.py", "outbox.py", "issuing.py"}


def speaks_to_the_table(path: Path) -> list[str]:
    """The calls of a Table method on something named ``table`` in ``path``."""
    return [f"{path.name}:{node.lineno} table.{node.func.attr}" for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "table"
            and node.func.attr in TABLE_METHODS]


def is_items(path: Path) -> bool:
    return path.name == "items.py" or path.name.endswith("_items.py")


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_wings_and_the_sender_are_what_the_docs_say():
    assert sorted([p.wing for p in PARTNERS] + ["checkout", "guard", "sales"]) == WINGS
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
    if function == "sender":  # the leak guard's step is composed here; reporters by name (the registry)
        wrong = {m for m in wrong if m not in OBSERVERS and m.rsplit(".", 1)[0] not in OBSERVERS}
    assert wrong == set()


@pytest.mark.parametrize("partner", PARTNERS, ids=lambda p: p.name)
def test_a_partner_is_registered_once_and_its_places_exist(partner):
    """The registry's dotted paths and names point at files that exist; its reporter lives in its
    own wing or is our webhook (the sender composes them by name, importing no wing itself)."""
    module = partner.reporter.split(":")[0]
    assert package_of(module) in (partner.wing, "sales")
    assert (PACKAGE.parent / (module.replace(".", "/") + ".py")).exists()
    assert (ROOT / "functions" / partner.function / "app.py").exists()
    assert all((ROOT / "coupons_admin" / f"{group}.py").exists() for group in partner.admin)
    assert (ROOT / "localrun" / "demo" / f"{partner.demo}.py").exists()
    assert (ROOT / "bench" / f"{partner.bench}.py").exists()


def test_rules_call_items_modules_and_items_modules_call_the_table():
    rules = [p for wing in WINGS for p in (PACKAGE / wing).glob("*.py") if not is_items(p)]
    rules += [p for p in (PACKAGE / "core").glob("*.py") if not is_items(p) and p.name not in CORE_ITEMS]
    rules += sorted((ROOT / "functions").glob("*/app.py"))
    assert [call for path in rules for call in speaks_to_the_table(path)] == []


def test_only_the_table_decodes_a_failed_condition():
    """Single writes and transactions raise ``ConditionsFailed``; nobody else reads botocore's codes."""
    sources = [*PACKAGE.rglob("*.py"), *(ROOT / "functions").rglob("*.py"), *(ROOT / "coupons_admin").rglob("*.py")]
    decoding = [p.relative_to(ROOT).as_posix() for p in sources
                if "ConditionalCheckFailed" in p.read_text() and p != PACKAGE / "core" / "table.py"]
    assert decoding == []
