"""What the functions send to X-Ray, read at the wire: a UDP listener stands in for the X-Ray
daemon (AWS_XRAY_DAEMON_ADDRESS), the functions run with tracing on as deployed
(tests/xray_probe.py: every events/ sample, refusals included), and every segment received is
scanned. Nothing a caller sent or got back as a code, email, key, token or id may be there, and a
refusal (4xx) is an ``error``, never a ``fault`` (which X-Ray and its alarms count as outages)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading

from localrun import template


def _segments(datagrams: list[bytes]) -> list[dict]:
    """Each datagram is a header line, then one segment or subsegment document."""
    return [json.loads(d.split(b"\n", 1)[1]) for d in datagrams if b"\n" in d]


def _walk(segment: dict):
    yield segment
    for inner in segment.get("subsegments", ()):
        yield from _walk(inner)


def _run_probe() -> tuple[dict, list[bytes]]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(0.5)
    datagrams: list[bytes] = []
    done = threading.Event()

    def receive() -> None:
        while not done.is_set():
            try:
                datagrams.append(listener.recv(65_535))
            except TimeoutError:
                continue

    receiver = threading.Thread(target=receive, daemon=True)
    receiver.start()
    try:
        probe = subprocess.run([sys.executable, "-m", "tests.xray_probe", str(listener.getsockname()[1])],
                               cwd=template.ROOT, capture_output=True, text=True, timeout=300, check=False)
    finally:
        done.set()
        receiver.join()
        listener.close()
    assert probe.returncode == 0, probe.stderr[-3000:]
    return json.loads(probe.stdout.strip().splitlines()[-1]), datagrams


_result: list[tuple[dict, list[bytes]]] = []


def _probe() -> tuple[dict, list[bytes]]:
    if not _result:  # one run serves every test of this module (about 10 s)
        _result.append(_run_probe())
    return _result[0]


def test_tracing_is_on_and_every_route_is_traced():
    report, datagrams = _probe()
    names = {s.get("name") for segment in _segments(datagrams) for s in _walk(segment)}
    assert {"## lambda_handler", "## validate", "## redeem", "## create_code", "## gift_card_liability",
            "dynamodb"} <= names, sorted(names)
    assert len(report["statuses"]) == len(list((template.ROOT / "events").glob("*/*.json")))
    assert any(400 <= status < 500 for status in report["statuses"])


def test_no_code_email_key_token_or_id_reaches_xray():
    report, datagrams = _probe()
    wire = b"\n".join(datagrams).decode()
    assert len(report["secrets"]) > 50  # the probe did find what to look for
    # as a value of its own (a timestamp or a trace id may hold "2003" among other digits, and a
    # start_time's fraction the bank id 9901: 1796617106.9901), any case
    leaked = sorted(v for v in report["secrets"]
                    if re.search(rf"(?<![A-Za-z0-9.]){re.escape(v)}(?![A-Za-z0-9])", wire, re.IGNORECASE))
    assert leaked == []


def test_a_refusal_is_an_error_not_a_fault():
    report, datagrams = _probe()
    entities = [s for segment in _segments(datagrams) for s in _walk(segment)]
    refused = [s for s in entities if "refused" in s.get("annotations", {})]
    assert refused and all(s.get("error") and not s.get("fault") for s in refused)
    if not any(status >= 500 for status in report["statuses"]):  # no bug answered: no fault anywhere
        faults = [s["name"] for s in entities if s.get("fault")]
        assert faults == []
