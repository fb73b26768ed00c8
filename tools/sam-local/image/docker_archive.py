"""Write a root filesystem (a tar) as a one-layer image archive that `docker load` reads.

    python docker_archive.py ROOTFS_TAR ARCH IMAGE OUT_TAR     ARCH: arm64 or x86_64

The archive is `docker save`'s format: manifest.json, the image config (named by its sha256) and
the layer. Written here rather than by `docker import`, whose --platform Docker 20.10 ignores
(the image would say amd64, and SAM refuses to build an arm64 function's image on top of it).
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile

DOCKER_ARCH = {"arm64": "arm64", "x86_64": "amd64"}


def image_config(arch: str, layer_sha256: str) -> dict:
    config = {
        "architecture": DOCKER_ARCH[arch],
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"],
            "Entrypoint": ["/var/runtime/bootstrap"],
            "WorkingDir": "/var/task",
        },
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{layer_sha256}"]},
        "history": [{"created_by": "tools/sam-local/image/build.sh"}],
    }
    if arch == "arm64":
        config["variant"] = "v8"
    return config


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def main(rootfs: str, arch: str, image: str, out: str) -> None:
    digest = hashlib.sha256()
    with open(rootfs, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    layer = digest.hexdigest()
    config = json.dumps(image_config(arch, layer), sort_keys=True).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = [{"Config": config_name, "RepoTags": [image], "Layers": [f"{layer}/layer.tar"]}]
    with tarfile.open(out, "w") as archive:
        _add_bytes(archive, config_name, config)
        archive.add(rootfs, arcname=f"{layer}/layer.tar")
        _add_bytes(archive, "manifest.json", json.dumps(manifest).encode())
    print(f"{image}: {DOCKER_ARCH[arch]}, layer sha256:{layer[:12]}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
