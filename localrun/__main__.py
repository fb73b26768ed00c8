"""``make run``: DynamoDB Local + KMS (moto) + the coupons table + demo configuration + every route on :3000."""

from __future__ import annotations

import argparse
import os
import signal
import threading

from coupons.core.partners import PARTNERS
from coupons.core.table import Table
from localrun import demo, kms_local
from localrun.delivery import LocalDelivery
from localrun.demo import checkout as checkout_demo
from localrun.demo.checkout import STUB_URL_ENV
from localrun.dynamodb_local import apply_environment, create_table, running
from localrun.gateway import LocalGateway
from localrun.partner_stub import PartnerStub

TABLE = "coupons-local"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m localrun", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 3000)))
    parser.add_argument("--dynamodb-port", type=int, default=int(os.environ.get("DYNAMODB_LOCAL_PORT", 8000)))
    parser.add_argument("--workers", type=int, default=4, help="worker processes per function")
    parser.add_argument("--stub-port", type=int, help="partner stub (sale deliveries) port (default: --port + 100)")
    parser.add_argument("--kms-port", type=int,
                        help="moto's KMS, holding the partner-secrets key (default: --port + 200; coupons-admin --local's)")
    args = parser.parse_args()

    with running(args.dynamodb_port) as engine, kms_local.running(args.kms_port or args.port + 200) as kms:
        apply_environment(engine)
        os.environ.update(kms.environment())  # the seed, the sender here and the workers seal and open with it
        client = engine.client()
        create_table(client, TABLE)
        table = Table(TABLE, client)
        demo.seed(table)

        # Sales go to a local partner stub, delivered by a poller in place of stream, pipe and queue.
        stub = PartnerStub(port=args.stub_port or args.port + 100).start()
        os.environ[STUB_URL_ENV] = stub.url
        checkout_demo.webhooks(table, stub.url)
        urls = {p.reporter_url_env: stub.url for p in PARTNERS if p.reporter_url_env}
        sales = LocalDelivery(table, {**urls, "DELIVERY_BACKOFF_SECONDS": "2"}).start()

        gateway = LocalGateway(TABLE, port=args.port, workers_per_function=args.workers)
        gateway.warm_up()
        gateway.start()
        print(f"DynamoDB ({engine.kind}) at {engine.endpoint}, table {TABLE}; KMS (moto) at {kms.endpoint}")
        print(f"Every route of template.yaml is served on {gateway.url}:")
        for target in gateway.targets:
            print(f"  {target.route.method:6} {target.route.path}  -> {target.function.name}")
        print("\nTry:")
        print("\n".join(demo.curl_lines(gateway.url)))
        print(f"Partner stub (Brandbassador tracking, Friendbuy MAPI, webhooks) on {stub.url}: "
              f"sales it received at {stub.url}/_stub/calls")
        print("\nAdmin CLI against this stack: .venv/bin/coupons-admin --local --help")
        print("Ctrl-C stops everything (the data lives in memory only).", flush=True)

        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            gateway.close()
            sales.close()
            stub.close()


if __name__ == "__main__":
    main()
