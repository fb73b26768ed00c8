"""``make audit``: pip-audit on the layer's lock, saying plainly what it could and could not check.

- a known vulnerability in a locked release: listed, exit 1;
- the vulnerability database unreachable (no network, a proxy, a registry mirror without PyPI's
  JSON API, which then knows none of the packages): said so in one line, exit 0 -- an audit that
  could not run is not a failed build, and not a clean bill of health either;
- otherwise: how many releases were checked, exit 0.

The lock is fully pinned and hashed, so pip-audit reads it without installing anything
(``--disable-pip --require-hashes``). ``PIP_AUDIT_SERVICE=osv`` asks OSV instead of PyPI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

UNREACHABLE_SIGNS = ("ConnectionError", "ProxyError", "NameResolutionError", "Max retries exceeded",
                     "ServiceError", "Timeout", "SSLError", "Temporary failure in name resolution")


def main(lock: str) -> int:
    service = os.environ.get("PIP_AUDIT_SERVICE", "pypi")
    pip_audit = Path(sys.executable).with_name("pip-audit")
    run = subprocess.run(  # noqa: S603 - the venv's own pip-audit, arguments from this script
        [str(pip_audit), "-r", lock, "--disable-pip", "--require-hashes", "--vulnerability-service", service,
         "--format", "json", "--progress-spinner", "off"],
        capture_output=True, text=True,
    )
    status, lines = verdict(run.returncode, run.stdout, run.stderr, service, lock)
    print("\n".join(lines))
    return status


def verdict(returncode: int, stdout: str, stderr: str, service: str, lock: str) -> tuple[int, list[str]]:
    """pip-audit's exit code and outputs -> (make's exit status, lines to print)."""
    try:
        report = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        report = None
    if report is None:
        if any(sign in stderr for sign in UNREACHABLE_SIGNS):
            last = stderr.strip().splitlines()[-1][:300]
            return 0, [f"audit: NOT RUN - the vulnerability database ({service}) is unreachable: {last}"]
        return returncode or 1, [stderr.strip(), f"audit: pip-audit failed (exit {returncode}) without a report"]

    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    vulnerable = [d for d in dependencies if d.get("vulns")]
    lines = []
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
            lines.append(f"audit: {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed})")
    if vulnerable:
        lines.append(f"audit: FAILED - {len(vulnerable)} locked release(s) with known vulnerabilities in {lock}")
        return 1, lines
    if dependencies and len(skipped) == len(dependencies):
        return 0, [f"audit: NOT RUN - the vulnerability database ({service}) knew none of the {len(dependencies)} "
                   f"locked releases (unreachable, or a registry mirror without its JSON API): "
                   f"{skipped[0]['skip_reason']}"]
    lines += [f"audit: not checked: {d['skip_reason']}" for d in skipped]
    lines.append(f"audit: OK - {len(dependencies) - len(skipped)} locked releases checked against {service}, "
                 f"no known vulnerabilities")
    return 0, lines


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "layers/shared/requirements.txt"))
