"""``make sam-local``: every events/ sample through SAM's own emulator, compared with the direct call.

``python -m localrun.sam_local`` (``--subset``: one event per function, what ``make test`` runs):

1. Docker: a daemon that answers, else Debian's ``docker.io`` installed (root with apt) and
   ``dockerd`` started for the run (and stopped after it); qemu (``qemu-user-static``, binfmt_misc)
   when the template's architecture is not this machine's.
2. The Lambda base image, built once from ``tools/sam-local/image/`` (Debian 13's python3.13 plus
   the runtime interface client; no registry is reachable here) and tagged by a hash of that
   folder: it is built again only when the recipe changes.
3. ``sam local invoke <Function> -e events/<contract>/<case>.json`` for every sample, on the built
   template (``make build``), with DynamoDB Local on this machine behind it; and the same event
   given to the handler directly, as the tests do, on an identically seeded table of the same engine.
   Both sides run the events in the same order (a code created by one event is there for the next).
4. The answers compared, status and body, ids and timestamps ignored (``normalise``): one line per
   event, a total, exit status 1 on any difference.
5. ``sam local start-api`` on the same template, smoke-tested with three requests (``--no-api``: not).

SAM gives a function only the environment variables its template declares (``--env-vars`` can
override those, an undeclared one is dropped), and its Timeout: the run uses a copy of the built
template (``.aws-sam/build/sam-local.json``) that declares ``AWS_ENDPOINT_URL_DYNAMODB`` (empty) and
raises the Timeout for emulated arm64. The deployed template is unchanged.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localrun import template

ROOT = template.ROOT
EVENTS_DIR = ROOT / "events"
IMAGE_RECIPE = ROOT / "tools" / "sam-local" / "image"
BUILD_DIR = ROOT / ".aws-sam" / "build"
WORK_DIR = ROOT / ".aws-sam" / "sam-local"
LOCAL_TEMPLATE = BUILD_DIR / "sam-local.json"  # beside the built template: its CodeUri paths are relative
SAM = str(Path(sys.executable).with_name("sam"))
IMAGE_NAME = "coupons-sam-local"
# Under qemu a cold start of a handler takes tens of seconds (the template's 10 s is for Lambda).
LOCAL_TIMEOUT = 300
# What starts a function's container (start-lambda): no route, no record, refused by every HTTP
# function; the rates refresh ignores its event and refreshes (warm_both).
WARM_UP_EVENT: dict[str, Any] = {}
ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_DYNAMODB"
# The sender opens partner secrets with KMS (coupons.core.sealed): moto's, on the bridge address.
KMS_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_KMS"
ECB_PATH = "/ecb/eurofxref-daily.xml"  # localrun.partner_stub.SERVED_FILES
# What the local run sets in each function that declares it (SAM keeps only declared variables).
SAM_TABLE = "coupons-sam"
DIRECT_TABLE = "coupons-direct"
SKIPPED = "SAM LOCAL SKIPPED"


class Unavailable(Exception):
    """Docker (or qemu, or debootstrap) is missing and cannot be installed here."""


# ---- what runs: events, functions, the recipe ------------------------------------------------


@dataclass(frozen=True)
class Case:
    contract: str  # events/<contract>/
    name: str  # <name>.json
    function: str  # the template's logical id

    @property
    def path(self) -> Path:
        return EVENTS_DIR / self.contract / f"{self.name}.json"

    def __str__(self) -> str:
        return f"{self.contract}/{self.name}"


def contract_functions() -> dict[str, str]:
    """events/<contract>/ -> the function whose code is functions/<contract>/ (the sender's events are SQS messages)."""
    return {Path(f.code_dir).name: f.name for f in template.functions()}


def cases(events_dir: Path = EVENTS_DIR) -> list[Case]:
    """Every sample, in the order both sides run them: contracts and names sorted (events/sender's
    message is the sale of events/checkout's redeem-tracking-link, so it comes after checkout's)."""
    functions = contract_functions()
    found = []
    for folder in sorted(p for p in events_dir.iterdir() if p.is_dir()):
        if folder.name not in functions:
            raise SystemExit(f"events/{folder.name}/: no function in template.yaml has CodeUri functions/{folder.name}/")
        found += [Case(folder.name, p.stem, functions[folder.name]) for p in sorted(folder.glob("*.json"))]
    return found


# make test's share: one event per function, each its contract's main case; the checkout's redeem
# with a tracking link records the sale that events/sender's message then delivers (to the stub).
SUBSET = ("affonso/coupon", "brandbassador/percent-code", "checkout/redeem-tracking-link",
          "friendbuy/referral-code-from-bank", "rates_refresh/scheduled", "sender/sale-tracking-link",
          "sitevibes/coupon")


def subset(all_cases: list[Case], names: tuple[str, ...] = SUBSET) -> list[Case]:
    """One event per function: the named one, else (a sample renamed) the function's first."""
    chosen = {case.function: case for case in all_cases if str(case) in names}
    for case in all_cases:
        chosen.setdefault(case.function, case)
    return [case for case in all_cases if chosen[case.function] == case]


def recipe_hash(folder: Path = IMAGE_RECIPE) -> str:
    """sha256 over the recipe's files (relative path, executable bit, content), 12 hex digits."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(b"x" if os.access(path, os.X_OK) else b"-")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


def runtime_and_architecture() -> tuple[str, str]:
    function = template.load()["Globals"]["Function"]
    return function["Runtime"], function["Architectures"][0]


def image_tag(runtime: str, architecture: str, recipe: str) -> str:
    return f"{IMAGE_NAME}:{runtime}-{architecture}-{recipe}"


# ---- comparing answers -----------------------------------------------------------------------

# Values made at the call: ids, times, tokens and drawn or generated codes differ between two runs
# of the same event on identically seeded tables. Their keys keep their place, their values do not count.
VOLATILE_KEYS = frozenset({
    "id", "redemption_id", "refund_id", "request_id", "requestId", "messageId",
    "created_at", "createdAt", "updated_at", "expires_at", "expiresAt", "expires", "redeemed_at", "time",
    "token", "publicToken", "coupon_code", "couponCode", "referral_code", "referralCode", "referralLink", "link",
    "trackable_link",
})
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _mask(value: Any, key: str | None = None) -> Any:
    if key in VOLATILE_KEYS and value is not None:
        return "<volatile>"
    if isinstance(value, dict):
        return {k: _mask(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if isinstance(value, str):
        if _ISO_TIME.match(value):
            return "<time>"
        return _UUID.sub("<uuid>", value)
    return value


def normalise(answer: Any) -> Any:
    """What is compared of a function's answer: an HTTP answer's status and body (JSON parsed when
    it is JSON), anything else (the sender's batch answer, an error) as it is; volatile values masked."""
    if isinstance(answer, dict) and "statusCode" in answer:
        body = answer.get("body")
        with contextlib.suppress(TypeError, ValueError):
            body = json.loads(str(body))
        return {"status": answer["statusCode"], "body": _mask(body)}
    return _mask(answer)


# ---- the machine: Docker, qemu ---------------------------------------------------------------


def _quiet(*command: str) -> bool:
    return subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False).returncode == 0


def apt_install(packages: list[str], why: str) -> None:
    if not packages:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise Unavailable(f"{why} needs {' '.join(packages)}; install them (Debian: apt-get install {' '.join(packages)})"
                          " or run as root with apt-get")
    print(f"installing {' '.join(packages)} ({why}, apt-get)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=True, env=env, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def docker_daemon() -> Iterator[None]:
    """A Docker daemon that answers: the running one, else dockerd started here (and stopped on exit)."""
    if shutil.which("docker") and _quiet("docker", "info"):
        yield
        return
    apt_install([] if shutil.which("dockerd") and shutil.which("docker") else ["docker.io"], "Docker")
    if os.geteuid() != 0:
        raise Unavailable("no Docker daemon answers and only root can start dockerd here")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    log = (WORK_DIR / "dockerd.log").open("ab")
    print("starting dockerd for this run (log: .aws-sam/sam-local/dockerd.log)", flush=True)
    daemon = subprocess.Popen(["dockerd"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _quiet("docker", "info"):
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise Unavailable("dockerd did not start: see .aws-sam/sam-local/dockerd.log")
            time.sleep(0.5)
        yield
    finally:
        print("stopping the dockerd this run started", flush=True)
        daemon.terminate()
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
        log.close()


QEMU = {"arm64": ("aarch64", "qemu-aarch64"), "x86_64": ("x86_64", "qemu-x86_64")}
BINFMT = Path("/proc/sys/fs/binfmt_misc")


def ensure_emulation(architecture: str) -> bool:
    """qemu through binfmt_misc when the functions' architecture is not this machine's; True if emulated."""
    machine, entry = QEMU[architecture]
    if platform.machine() in (machine, architecture):
        return False
    registered = BINFMT / entry
    if registered.exists() and registered.read_text().startswith("enabled"):
        return True
    apt_install([p for p, exe in (("qemu-user-static", f"/usr/bin/{entry}-static"),
                                  ("binfmt-support", "/usr/sbin/update-binfmts")) if not Path(exe).exists()],
                f"{architecture} functions on this {platform.machine()} machine")
    if not (BINFMT / "register").exists():
        subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", str(BINFMT)], check=True)
    subprocess.run(["update-binfmts", "--enable", entry], check=True)
    if not (registered.exists() and registered.read_text().startswith("enabled")):
        raise Unavailable(f"{entry} could not be registered with binfmt_misc")
    return True


def ensure_image(runtime: str, architecture: str) -> str:
    tag = image_tag(runtime, architecture, recipe_hash())
    if _quiet("docker", "image", "inspect", tag):
        print(f"image {tag}: built before (same recipe)", flush=True)
        return tag
    if not shutil.which("debootstrap"):
        apt_install(["debootstrap"], "building the local Lambda image")
    print(f"image {tag}: building from tools/sam-local/image/ (once per recipe)", flush=True)
    started = time.monotonic()
    subprocess.run([str(IMAGE_RECIPE / "build.sh"), architecture, tag], check=True,
                   env={**os.environ, "PYTHON": sys.executable})
    print(f"image {tag}: built in {time.monotonic() - started:.0f} s", flush=True)
    return tag


def bridge_gateway() -> str:
    """The host as containers on Docker's default bridge reach it (SAM's containers live there)."""
    out = subprocess.run(["docker", "network", "inspect", "bridge", "--format", "{{(index .IPAM.Config 0).Gateway}}"],
                         capture_output=True, text=True, check=True).stdout.strip()
    return out or "172.17.0.1"


# ---- the template SAM runs -------------------------------------------------------------------


def write_local_template(built: Path = BUILD_DIR / "template.yaml", out: Path = LOCAL_TEMPLATE,
                         timeout: int = LOCAL_TIMEOUT) -> Path:
    """The built template with the endpoint variables declared and a longer Timeout (local only)."""
    if not built.exists():
        raise SystemExit(f"{built.relative_to(ROOT)} is missing: run make build first")
    data = json.loads(json.dumps(_load_yaml(built)))
    function = data.setdefault("Globals", {}).setdefault("Function", {})
    variables = function.setdefault("Environment", {}).setdefault("Variables", {})
    variables[ENDPOINT_VARIABLE] = variables[KMS_ENDPOINT_VARIABLE] = ""
    function["Timeout"] = timeout
    for resource in data["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function" and "Timeout" in resource.get("Properties", {}):
            resource["Properties"]["Timeout"] = timeout
    out.write_text(json.dumps(data, indent=1))
    return out


def _load_yaml(path: Path) -> Any:
    import yaml

    return yaml.load(path.read_text(), Loader=template._CfnLoader)  # noqa: S506 - SafeLoader subclass


def sam_environment(endpoint: str, table_name: str, stub_url: str, kms_endpoint: str = "") -> dict[str, dict[str, str]]:
    """--env-vars: the values SAM cannot take from the template here, for every function."""
    from coupons.core import sealed

    return {"Parameters": {
        "COUPONS_TABLE": table_name,
        ENDPOINT_VARIABLE: endpoint,
        # moto's KMS (localrun.kms_local) and its key's alias, in place of PartnerSecretsKey's ARN
        KMS_ENDPOINT_VARIABLE: kms_endpoint,
        sealed.KEY_ENV: sealed.LOCAL_KEY,
        "BRANDBASSADOR_TRACKING_URL": stub_url,
        "FRIENDBUY_MAPI_URL": stub_url,
        "SALES_QUEUE_URL": "",
        "RATES_REFRESH_URL": f"{stub_url}{ECB_PATH}",  # the stub serves the ECB fixture
        "LOG_MASK_SECRET_ARN": "",  # no Secrets Manager here: masks keyed per process (core.observability)
    }}


def sam_process_environment() -> dict[str, str]:
    """SAM passes its own session's credentials and region to the container: fake ones."""
    from localrun.dynamodb_local import LOCAL_CREDENTIALS

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return {**env, **LOCAL_CREDENTIALS, "AWS_REGION": LOCAL_CREDENTIALS["AWS_DEFAULT_REGION"], "SAM_CLI_TELEMETRY": "0"}


def _answer(stdout: str) -> Any:
    lines = [line for line in stdout.splitlines() if line.strip()]
    return json.loads(lines[-1])


def sam_invoke(case: Case, image: str, env_file: Path) -> tuple[Any, str]:
    """(the function's answer, SAM's log) for one event: ``sam local invoke``, a new container (a cold start)."""
    command = [SAM, "local", "invoke", case.function, "--template", str(LOCAL_TEMPLATE), "--event", str(case.path),
               "--env-vars", str(env_file), "--invoke-image", image, "--skip-pull-image"]
    for _attempt in range(3):
        done = subprocess.run(command, capture_output=True, text=True, env=sam_process_environment(), check=False,
                              cwd=ROOT)
        with contextlib.suppress(IndexError, ValueError):
            return _answer(done.stdout), done.stderr
        if not not_delivered(done.stderr):
            break
    return {"sam": f"exit {done.returncode}, no answer", "stdout": done.stdout[-500:]}, done.stderr


def not_delivered(log: str) -> bool:
    """SAM posted the event before the emulator in the container listened (under qemu it starts
    slowly, and Docker's port proxy accepts the connection meanwhile): the function never saw it."""
    return "No response from invoke container" in log and "timed out" not in log


@contextlib.contextmanager
def sam_process(command: list[str], log_name: str, port: int) -> Iterator[Path]:
    """A long-running SAM command (start-lambda, start-api) until its port answers; stopped on exit."""
    import socket

    log_path = WORK_DIR / log_name
    with log_path.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=sam_process_environment(),
                                   cwd=ROOT, start_new_session=True)
        try:
            deadline = time.monotonic() + 180
            while True:
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", port)) == 0:
                        break
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{' '.join(command[1:3])} did not start: see {log_path.relative_to(ROOT)}")
                time.sleep(0.5)
            yield log_path
        finally:
            os.killpg(process.pid, 15)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)


class WarmLambda:
    """``sam local start-lambda --warm-containers LAZY``: the same emulator, image, template and
    --env-vars as ``sam local invoke``, but each function's container is started once and kept, so
    only the first event of a function pays the cold start (tens of seconds under qemu)."""

    def __init__(self, port: int):
        import boto3
        from botocore.config import Config

        self.client = boto3.client(
            "lambda", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
            aws_access_key_id="local", aws_secret_access_key="local",
            config=Config(read_timeout=LOCAL_TIMEOUT + 60, connect_timeout=10, retries={"max_attempts": 0}))

    @staticmethod
    def command(image: str, env_file: Path, port: int) -> list[str]:
        return [SAM, "local", "start-lambda", "--template", str(LOCAL_TEMPLATE), "--env-vars", str(env_file),
                "--invoke-image", image, "--skip-pull-image", "--warm-containers", "LAZY",
                "--host", "127.0.0.1", "--port", str(port)]

    def warm_up(self, function: str, attempts: int = 10) -> float:
        """Start the function's container and run its init with ``WARM_UP_EVENT``, until the emulator
        in the container answers; the seconds it took."""
        started = time.monotonic()
        for _attempt in range(attempts):
            if self.client.invoke(FunctionName=function, Payload=json.dumps(WARM_UP_EVENT).encode())["Payload"].read():
                return time.monotonic() - started
            time.sleep(2)  # not listening yet (see not_delivered)
        raise RuntimeError(f"{function}: the emulator in its container never answered")

    def invoke(self, case: Case) -> tuple[Any, str]:
        answer = self.client.invoke(FunctionName=case.function, Payload=case.path.read_bytes())
        payload = answer["Payload"].read().decode()
        try:
            return json.loads(payload), answer.get("FunctionError", "")
        except ValueError:
            return {"sam": "no answer", "payload": payload[-500:]}, answer.get("FunctionError", "")


# ---- the direct side: the handler called in this process, as tests/conftest.py does ------------


class FakeContext:
    function_name = "direct"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:direct"
    aws_request_id = "direct-request"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 10_000


class Direct:
    """Each function's handler module loaded once, bound to the direct table."""

    def __init__(self, table: Any, environment: dict[str, str]):
        self.table, self.environment = table, environment
        self.modules: dict[str, Any] = {}

    def invoke(self, case: Case) -> Any:
        return self.invoke_event(case.function, json.loads(case.path.read_text()))

    def invoke_event(self, name: str, event: Any) -> Any:
        from localrun.gateway import load_module, resolve_environment

        if name not in self.modules:
            function = next(f for f in template.functions() if f.name == name)
            os.environ.update(resolve_environment(function, self.table.name, self.environment))
            self.modules[name] = load_module(function.code_dir, function.handler, function.name)
            self.modules[name].table = self.table
        module = self.modules[name]
        try:
            return json.loads(json.dumps(module.lambda_handler(event, FakeContext()), default=str))
        except Exception as error:  # what Lambda reports as a failed invocation
            return {"errorType": type(error).__name__, "errorMessage": str(error),
                    "trace": traceback.format_exc().splitlines()[-3:]}


def seed(table: Any) -> None:
    """The tests' state for the samples: the demo configuration plus the checkout samples' codes."""
    from localrun import demo
    from localrun.demo.checkout import add_sample_codes

    demo.seed(table)
    add_sample_codes(table)


# ---- the run ---------------------------------------------------------------------------------


@dataclass
class Row:
    case: Case
    status: Any
    same: bool
    seconds: float
    sam: Any
    direct: Any


def prepare(engine: Any, gateway_ip: str, stub_url: str, kms: Any) -> tuple[Path, Direct]:
    """Two identically seeded tables on one engine (SAM's, the direct side's); SAM's --env-vars file.
    ``kms``: moto's KMS listening on the bridge address, where the containers reach it too."""
    from coupons.core.table import Table
    from localrun.dynamodb_local import create_table, local_environment

    # The seed seals (local credentials, this KMS), the direct sender opens, with the same key.
    os.environ.update({**local_environment(engine), **kms.environment()})
    client = engine.client()
    tables = {}
    for name in (SAM_TABLE, DIRECT_TABLE):
        create_table(client, name)
        tables[name] = Table(name, client)
        seed(tables[name])
    endpoint_for_containers = engine.endpoint.replace("127.0.0.1", gateway_ip)
    env_file = WORK_DIR / "env-vars.json"
    env_file.write_text(json.dumps(sam_environment(endpoint_for_containers, SAM_TABLE, stub_url, kms.endpoint), indent=1))
    quiet = {k: os.environ[k] for k in ("POWERTOOLS_LOG_LEVEL", "POWERTOOLS_METRICS_DISABLED",
                                        "POWERTOOLS_TRACE_DISABLED") if k in os.environ}
    direct = Direct(tables[DIRECT_TABLE], {**local_environment(engine), **kms.environment(),
                                           "BRANDBASSADOR_TRACKING_URL": stub_url, "FRIENDBUY_MAPI_URL": stub_url,
                                           "RATES_REFRESH_URL": f"{stub_url}{ECB_PATH}", **quiet})
    return env_file, direct


def warm_both(warm: WarmLambda, direct: Direct, function: str) -> None:
    """Start ``function``'s container just before its first event, and give the direct side the same
    event: the warm-up is an invocation like any other, so both tables must meet it. Not every function
    refuses it: the scheduled rates refresh ignores its event and stores the ECB's rates, which, warmed
    up front, reached SAM's table alone before the checkout's foreign-currency samples."""
    print(f"{function:22} container started, init run (cold start) in {warm.warm_up(function):.0f} s", flush=True)
    direct.invoke_event(function, WARM_UP_EVENT)


def status_of(answer: Any) -> str:
    if not isinstance(answer, dict):
        return "-"
    if "errorType" in answer or "sam" in answer:
        return "error"
    if "batchItemFailures" in answer:
        return f"{len(answer['batchItemFailures'])} failed"
    return str(answer.get("statusCode", "-"))


def compare(run_cases: list[Case], invoke: Any, direct: Direct, warm_up: Any = None) -> list[Row]:
    """Each event through SAM (``invoke(case) -> (answer, log)``), then directly; printed as it goes.
    ``warm_up(function)``: called before a function's first event, on both sides (``warm_both``)."""
    rows = []
    width = max(len(str(c)) for c in run_cases)
    warmed: set[str] = set()
    for case in run_cases:
        if warm_up is not None and case.function not in warmed:
            warmed.add(case.function)
            warm_up(case.function)
        started = time.monotonic()
        sam_answer, log = invoke(case)
        seconds = time.monotonic() - started
        direct_answer = direct.invoke(case)
        same = normalise(sam_answer) == normalise(direct_answer)
        status = status_of(sam_answer)
        rows.append(Row(case, status, same, seconds, sam_answer, direct_answer))
        print(f"{case.function:22} {case!s:{width}}  {status:>8}  {'same' if same else 'DIFFERENT'}"
              f"  {seconds:6.1f} s", flush=True)
        if not same:
            print(f"    sam:    {json.dumps(normalise(sam_answer))[:600]}")
            print(f"    direct: {json.dumps(normalise(direct_answer))[:600]}")
            if status == "error" and log:
                print("    sam's log (last lines):\n      " + "\n      ".join(str(log).splitlines()[-15:]))
    return rows


API_CHECKS: list[tuple[str, str, str, dict[str, str], Any]] = [
    ("Brandbassador create", "GET", "/brandbassador/webshops/demo/codes?code=SAMAPI20&percentage=20&auth_key=demo-key",
     {}, None),
    ("SiteVibes issue", "POST", "/sitevibes/rewards/demo/coupons", {"X-Api-Key": "demo-key"},
     {"email": "john.smith@email.com"}),
    ("checkout validate", "POST", "/checkout/validate", {"Authorization": "Bearer demo-key"},
     {"code": "samapi20", "cart": {"subtotal": "100.00", "shipping": "4.90", "currency": "EUR"}}),
]


def api_command(image: str, env_file: Path, port: int) -> list[str]:
    """``sam local start-api`` as the README documents it, with this run's image and --env-vars."""
    return [SAM, "local", "start-api", "--template", str(LOCAL_TEMPLATE), "--env-vars", str(env_file),
            "--invoke-image", image, "--skip-pull-image", "--warm-containers", "LAZY",
            "--host", "127.0.0.1", "--port", str(port)]


def smoke_api(image: str, env_file: Path, port: int) -> list[str]:
    """sam local start-api on the same template: a Brandbassador create, a SiteVibes issue, a checkout validate
    of the code just created; each must answer 200 (SAM's table, the demo configuration)."""
    import requests

    failures = []
    with sam_process(api_command(image, env_file, port), "start-api.log", port):
        # First each function's container and init, with a request it refuses without a key (nothing written),
        # repeated while SAM answers 502 because the emulator in the new container does not listen yet.
        for label, method, path, _headers, _body in API_CHECKS:
            started = time.monotonic()
            for _attempt in range(10):
                refused = requests.request(method, f"http://127.0.0.1:{port}{path.split('?')[0]}", json={},
                                           timeout=LOCAL_TIMEOUT + 60)
                if refused.status_code != 502:
                    break
                time.sleep(2)
            print(f"start-api  {label:21} container started, init run (cold start) in "
                  f"{time.monotonic() - started:.0f} s (answered {refused.status_code} without a key)", flush=True)
        for label, method, path, headers, body in API_CHECKS:
            started = time.monotonic()
            answer = requests.request(method, f"http://127.0.0.1:{port}{path}", headers=headers, json=body,
                                      timeout=LOCAL_TIMEOUT + 60)
            ok = answer.status_code == 200
            print(f"start-api  {label:21} {method:4} {path.split('?')[0]:38} {answer.status_code}  "
                  f"{'ok' if ok else 'FAILED'}  {time.monotonic() - started:6.1f} s  {answer.text[:90]}", flush=True)
            if not ok:
                failures.append(f"start-api {label}: {answer.status_code} {answer.text[:200]}")
    return failures


def banner(message: str) -> None:
    line = "!" * 100
    print(f"\n{line}\n!!! {SKIPPED}: {message}\n{line}\n", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localrun.sam_local", description=__doc__.split("\n\n")[0])
    parser.add_argument("--subset", action="store_true", help="one event per function (what make test runs)")
    parser.add_argument("--only", nargs="*", default=[], help="contract or contract/name filters")
    parser.add_argument("--no-api", action="store_true", help="skip the sam local start-api smoke test")
    parser.add_argument("--no-events", action="store_true", help="only the sam local start-api smoke test")
    parser.add_argument("--engine", choices=("invoke", "start-lambda"),
                        help="sam local invoke per event (a cold start each) or sam local start-lambda with warm "
                             "containers (a cold start per function; the default: sam local invoke hung to the timeout in 2 of 6 "
                             "cold starts under qemu here)")
    parser.add_argument("--api-port", type=int, default=4300, help="sam local start-api's port (default 4300)")
    parser.add_argument("--lambda-port", type=int, default=4301, help="sam local start-lambda's port (default 4301)")
    parser.add_argument("--dynamodb-port", type=int, default=4800, help="DynamoDB Local's port (default 4800)")
    parser.add_argument("--serve", action="store_true",
                        help="no comparison: DynamoDB Local (demo data) and sam local start-api on --api-port until Ctrl-C")
    parser.add_argument("--skip-if-unavailable", action="store_true",
                        help="without Docker (and no way to install it) print a SKIPPED banner and succeed")
    parser.add_argument("--if-built", action="store_true",
                        help="make test's way: install and build nothing; without Docker, qemu or the image already "
                             "built (by make sam-local) print a SKIPPED banner and succeed")
    args = parser.parse_args(argv)
    started = time.monotonic()
    # The direct side runs in this process: its logs and metrics stay out of the table printed here.
    os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_TRACE_DISABLED="true")
    run_cases = cases()
    if args.only:
        run_cases = [c for c in run_cases if c.contract in args.only or str(c) in args.only]
    if args.subset:
        run_cases = subset(run_cases)
    if args.no_events:
        run_cases = []
    runtime, architecture = runtime_and_architecture()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    try:
        if args.if_built:
            check_ready(runtime, architecture)
        with docker_daemon():
            emulated = ensure_emulation(architecture)
            if args.if_built and not _quiet("docker", "image", "inspect", image_tag(runtime, architecture, recipe_hash())):
                raise Unavailable("the local Lambda image of this recipe is not built: make sam-local builds it once "
                                  "(tools/sam-local/image/, minutes for arm64 under qemu)")
            image = ensure_image(runtime, architecture)
            if args.serve:
                return _serve(image, args.api_port, args.dynamodb_port)
            return _run(args, run_cases, image, f"{runtime} {architecture}{' (qemu)' if emulated else ''}", started)
    except Unavailable as reason:
        if args.skip_if_unavailable or args.if_built:
            banner(str(reason))
            return 0
        print(f"*** sam-local cannot run here: {reason}", file=sys.stderr)
        return 1


def check_ready(runtime: str, architecture: str) -> None:
    """For --if-built: what would have to be installed is not, so nothing is."""
    missing = [exe for exe in ("docker", "dockerd") if not shutil.which(exe)]
    machine, entry = QEMU[architecture]
    if platform.machine() not in (machine, architecture) and not (BINFMT / entry).exists() \
            and not Path(f"/usr/bin/{entry}-static").exists():
        missing.append(f"{entry}-static")
    if missing:
        raise Unavailable(f"{', '.join(missing)} missing (make sam-local installs them when it can)")


def _serve(image: str, api_port: int, dynamodb_port: int) -> int:
    """``sam local start-api`` in the foreground on DynamoDB Local with the demo configuration."""
    from localrun import kms_local
    from localrun.dynamodb_local import running
    from localrun.partner_stub import PartnerStub

    write_local_template()
    gateway_ip = bridge_gateway()
    stub = PartnerStub(host=gateway_ip).start()
    try:
        with running(port=dynamodb_port) as engine, kms_local.running(host=gateway_ip) as kms:
            env_file, _ = prepare(engine, gateway_ip, stub.url, kms)
            command = api_command(image, env_file, api_port)
            print(f"DynamoDB Local on {engine.endpoint} (table {SAM_TABLE}, demo configuration), partner stub on "
                  f"{stub.url}\n{' '.join(['sam', *command[1:]])}\nCtrl-C stops it.", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                subprocess.run(command, env=sam_process_environment(), cwd=ROOT, check=False)
    finally:
        stub.close()
    return 0


def _run(args: argparse.Namespace, run_cases: list[Case], image: str, runtime: str, started: float) -> int:
    from localrun import kms_local
    from localrun.dynamodb_local import running
    from localrun.partner_stub import PartnerStub

    write_local_template()
    gateway_ip = bridge_gateway()
    engine_name = args.engine or "start-lambda"
    # The sender's deliveries go to the partner stub, on the bridge's address: containers reach it there.
    stub = PartnerStub(host=gateway_ip).start()
    try:
        with running(port=args.dynamodb_port) as engine, kms_local.running(host=gateway_ip) as kms:
            env_file, direct = prepare(engine, gateway_ip, stub.url, kms)
            print(f"{len(run_cases)} events through sam local {engine_name} ({runtime}, image {image}), "
                  f"{engine.kind} on {engine.endpoint}", flush=True)
            if not run_cases:
                rows = []
            elif engine_name == "invoke":
                rows = compare(run_cases, lambda case: sam_invoke(case, image, env_file), direct)
            else:
                with sam_process(WarmLambda.command(image, env_file, args.lambda_port), "start-lambda.log",
                                 args.lambda_port):
                    warm = WarmLambda(args.lambda_port)
                    rows = compare(run_cases, warm.invoke, direct, lambda function: warm_both(warm, direct, function))
            failures = [f"{row.case}: differs from the direct invocation" for row in rows if not row.same]
            api_started = time.monotonic()
            if not args.no_api:
                failures += smoke_api(image, env_file, args.api_port)
    finally:
        stub.close()
    same = sum(row.same for row in rows)
    print(f"\nsam local {engine_name}: {same}/{len(rows)} events answered as the direct invocation does "
          f"({sum(r.seconds for r in rows):.0f} s in SAM"
          f"{'' if args.no_api else f', start-api smoke {time.monotonic() - api_started:.0f} s'});"
          f" whole run {time.monotonic() - started:.0f} s")
    for failure in failures:
        print(f"*** {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
