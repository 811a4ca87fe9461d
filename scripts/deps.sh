#!/usr/bin/env bash
# Install the Debian packages the harness needs, if any are missing.
# usage: scripts/deps.sh [PACKAGE...]   (more packages, e.g. make bench's)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkgs=(make gcc libc6-dev flex bison bc libelf-dev libssl-dev cpio kmod
      python3 python3-ply python3-git perl xz-utils git ccache rsync
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      qemu-system-x86 qemu-system-arm busybox-static "$@")

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
# The arm64 busybox is downloaded, not installed: apt must know arm64.
dpkg --print-foreign-architectures | grep -qx arm64 || need_arm64=1

if [ ${#missing[@]} -eq 0 ] && [ -z "${need_arm64:-}" ]; then
	exit 0
fi
[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]} (run as root, or install them)"
status "installing packages: ${missing[*]:-(arm64 architecture only)}"
log=$LOGS/deps.log
[ -n "${need_arm64:-}" ] && dpkg --add-architecture arm64
run_logged "$log" apt-get update
if [ ${#missing[@]} -gt 0 ]; then
	DEBIAN_FRONTEND=noninteractive run_logged "$log.install" \
		apt-get install -y --no-install-recommends "${missing[@]}"
fi
