#!/usr/bin/env bash
# Install the Debian packages the harness needs, if any are missing.
# usage: scripts/deps.sh [PACKAGE...]   (more packages, e.g. make bench's)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pkgs=(make gcc libc6-dev flex bison bc libelf-dev libssl-dev cpio kmod
      python3 python3-ply python3-git perl xz-utils git ccache rsync
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross
      qemu-system-x86 qemu-system-arm busybox-static "$@")

# QEMU comes from bookworm-backports (10.0): its SMMUv3 emulates stage 2
# and nesting, which the nested SMMUv3 tests need; 7.2 has stage 1 only.
# Only the packages below are pinned to backports: their dependencies and
# everything else keep coming from bookworm.
QEMU_MIN=10.0
bpo_sources=/etc/apt/sources.list.d/iommufd-series-backports.sources
bpo_pin=/etc/apt/preferences.d/iommufd-series-qemu
bpo_pkgs="qemu-system-x86 qemu-system-arm qemu-system-common qemu-system-data seabios"

qemu_version() {	# the upstream version of an installed package, or 0
	dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null |
		sed -n 's/^install ok installed \([0-9]*:\)\{0,1\}\([0-9.]*\).*/\2/p' |
		grep . || echo 0
}
qemu_new_enough() {
	local p v
	for p in qemu-system-x86 qemu-system-arm; do
		v=$(qemu_version "$p")
		dpkg --compare-versions "$v" ge "$QEMU_MIN" || return 1
	done
}

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
# The arm64 busybox is downloaded, not installed: apt must know arm64.
dpkg --print-foreign-architectures | grep -qx arm64 || need_arm64=1

qemu_new_enough || need_qemu=1

if [ ${#missing[@]} -eq 0 ] && [ -z "${need_arm64:-}" ] && [ -z "${need_qemu:-}" ]; then
	exit 0
fi
[ "$(id -u)" -eq 0 ] ||
	die "missing packages: ${missing[*]}${need_qemu:+ QEMU >= $QEMU_MIN} (run as root, or install them)"
status "installing packages: ${missing[*]:-}${need_qemu:+ (QEMU $QEMU_MIN from bookworm-backports)}${need_arm64:+ (arm64 architecture)}"
log=$LOGS/deps.log
[ -n "${need_arm64:-}" ] && dpkg --add-architecture arm64
if [ -n "${need_qemu:-}" ]; then
	cat >"$bpo_sources" <<-EOT
	# Added by the iommufd series harness (scripts/deps.sh) for QEMU $QEMU_MIN.
	Types: deb
	URIs: http://deb.debian.org/debian
	Suites: bookworm-backports
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOT
	cat >"$bpo_pin" <<-EOT
	# Added by the iommufd series harness (scripts/deps.sh): QEMU and its
	# firmware from bookworm-backports; nothing else from there.
	Package: $bpo_pkgs
	Pin: release n=bookworm-backports
	Pin-Priority: 990
	EOT
	missing+=($bpo_pkgs)
fi
run_logged "$log" apt-get update
if [ ${#missing[@]} -gt 0 ]; then
	DEBIAN_FRONTEND=noninteractive run_logged "$log.install" \
		apt-get install -y --no-install-recommends "${missing[@]}"
fi
qemu_new_enough || die "QEMU >= $QEMU_MIN from bookworm-backports is needed" \
	"(installed: x86 $(qemu_version qemu-system-x86), arm $(qemu_version qemu-system-arm));" \
	"see $log.install and 'apt-cache policy qemu-system-arm'"
