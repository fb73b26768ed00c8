"""The layer's dependencies are locked with hashes, and make audit reads pip-audit's verdicts right."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

from localrun import template

LAYER = template.ROOT / "layers" / "shared"
_spec = importlib.util.spec_from_file_location("audit", template.ROOT / "tools" / "audit.py")
audit = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(audit)


def _requirements(text: str) -> list[str]:
    """Requirement lines, continuations joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_what_sam_build_installs_is_the_hashed_lock():
    lock = _requirements((LAYER / "requirements.txt").read_text())
    assert lock
    for line in lock:
        assert re.match(r"^[A-Za-z0-9_.-]+==\S+ ", line), line  # pinned exactly, no extras
        assert "--hash=sha256:" in line, line


def test_every_top_level_pin_is_in_the_lock_at_the_same_version():
    lock = {line.split("==")[0].lower(): line.split("==")[1].split()[0]
            for line in _requirements((LAYER / "requirements.txt").read_text())}
    for line in _requirements((LAYER / "requirements.in").read_text()):
        name, version = re.sub(r"\[.*?\]", "", line).split("==")
        assert lock.get(name.lower()) == version, line


def _report(*dependencies: dict) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


@pytest.mark.parametrize("returncode, stdout, stderr, status, says", [
    (1, _report({"name": "jinja2", "version": "2.4.1", "vulns": [{"id": "PYSEC-2014-8", "fix_versions": ["2.7.2"]}]}),
     "", 1, "FAILED"),
    (0, _report({"name": "boto3", "version": "1", "vulns": []}), "", 0, "OK - 1 locked"),
    (0, _report({"name": "boto3", "skip_reason": "Dependency not found on PyPI"}), "", 0, "NOT RUN"),
    (1, "", "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='pypi.org') Max retries exceeded", 0,
     "NOT RUN - the vulnerability database (pypi) is unreachable"),
    (2, "", "pip-audit: error: unrecognized arguments", 2, "failed"),
])
def test_audit_verdicts(returncode, stdout, stderr, status, says):
    got, lines = audit.verdict(returncode, stdout, stderr, "pypi", "requirements.txt")
    assert got == status and says in "\n".join(lines)
