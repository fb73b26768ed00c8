#!/bin/sh
# Build the local Lambda base image for `make sam-local` (python -m localrun.sam_local), offline but
# for Debian's mirror and PyPI: no image registry is reachable from these machines.
#
#   build.sh ARCH IMAGE     ARCH: arm64 or x86_64 (the template's Architectures)
#
# 1. debootstrap a minimal Debian 13 (trixie ships python3.13, the template's runtime) for ARCH;
#    arm64 on an x86_64 host runs its package scripts under qemu-user-static (binfmt_misc);
# 2. the runtime interface client (awslambdaric, requirements.txt, hashed) into /var/runtime;
# 3. /var/runtime/bootstrap (this folder), which SAM's emulator (aws-lambda-rie, added by SAM) runs;
# 4. the root as a one-layer image whose config says ARCH (docker_archive.py), then `docker load`.
#    (`docker import --platform` on Docker 20.10 labels the image amd64 whatever the root is, and
#    SAM then refuses to layer an arm64 function on it.)
# Everything in this folder is hashed into the image's tag, so a change here builds it again.
set -eu
ARCH=$1
IMAGE=$2
HERE=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-python3}
case $ARCH in
  arm64) DEB_ARCH=arm64; WHEEL_PLATFORM=manylinux2014_aarch64 ;;
  x86_64) DEB_ARCH=amd64; WHEEL_PLATFORM=manylinux2014_x86_64 ;;
  *) echo "unknown architecture $ARCH" >&2; exit 2 ;;
esac
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sam-local-image.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root

echo "sam-local image: debootstrap trixie ($DEB_ARCH) into $ROOT"
debootstrap --variant=minbase --arch="$DEB_ARCH" --include=python3.13,ca-certificates \
  trixie "$ROOT" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 || { tail -n 30 "$WORK/debootstrap.log" >&2; exit 1; }

echo "sam-local image: awslambdaric into /var/runtime"
mkdir -p "$ROOT/var/runtime" "$ROOT/var/task" "$ROOT/opt"
"$PYTHON" -m pip install --quiet --disable-pip-version-check --no-compile --require-hashes \
  --target "$ROOT/var/runtime" --platform "$WHEEL_PLATFORM" --only-binary=:all: \
  --python-version 3.13 --implementation cp -r "$HERE/requirements.txt"
rm -rf "$ROOT/var/runtime/bin"
install -m 0755 "$HERE/bootstrap" "$ROOT/var/runtime/bootstrap"
# What the image does not need: apt's lists and caches, documentation.
rm -rf "$ROOT/var/cache/apt/archives"/*.deb "$ROOT/var/lib/apt/lists"/* "$ROOT/usr/share/doc" "$ROOT/usr/share/man"

echo "sam-local image: loading $IMAGE"
tar --numeric-owner -C "$ROOT" -cf "$WORK/rootfs.tar" .
"$PYTHON" "$HERE/docker_archive.py" "$WORK/rootfs.tar" "$ARCH" "$IMAGE" "$WORK/image.tar"
docker load -i "$WORK/image.tar"
