"""KMS without AWS: moto's server in a child process, holding the partner-secrets key.

``make run``, the local stacks of the tests and benches, and ``coupons-admin --local`` seal and
open partner secrets (``coupons.core.sealed``) through it; boto3 and botocore reach it through
``AWS_ENDPOINT_URL_KMS``. A child process, not moto's in-process server: tests that start
``mock_aws`` reset moto's in-process state, which would drop the key under the local stack.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3

from coupons.core import sealed
from localrun.dynamodb_local import LOCAL_CREDENTIALS, REGION, free_port


@dataclass(frozen=True)
class LocalKms:
    endpoint: str
    key_arn: str

    def environment(self) -> dict[str, str]:
        """What points a process (a handler, the admin CLI) at this KMS and its key."""
        return {"AWS_ENDPOINT_URL_KMS": self.endpoint, sealed.KEY_ENV: self.key_arn}


def create_key(client) -> str:
    """The partner-secrets key as the template makes it (symmetric, rotated), with the local alias."""
    arn = client.create_key(Description="coupons partner secrets (local)", KeyUsage="ENCRYPT_DECRYPT",
                            KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]["Arn"]
    client.enable_key_rotation(KeyId=arn)
    client.create_alias(AliasName=sealed.LOCAL_KEY, TargetKeyId=arn)
    return arn


def _wait(host: str, port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto's KMS server exited with code {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"moto's KMS server did not open port {port} within {seconds} s")


@contextmanager
def running(port: int | None = None, host: str = "127.0.0.1") -> Iterator[LocalKms]:
    """moto's server on ``host:port`` (a free port when None) with the key created, stopped on exit
    (``make sam-local``: on Docker's bridge address, where SAM's containers reach it)."""
    port = port or free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, **LOCAL_CREDENTIALS})
    try:
        _wait(host, port, process)
        endpoint = f"http://{host}:{port}"
        client = boto3.client("kms", endpoint_url=endpoint, region_name=REGION,
                              aws_access_key_id="local", aws_secret_access_key="local")
        yield LocalKms(endpoint, create_key(client))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
