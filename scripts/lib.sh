# shellcheck shell=bash
# Common settings and helpers for the harness scripts. Sourced, not run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
LOGS=${LOGS:-$BUILD/logs}
CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommufd-series}

# The pinned base: Debian's linux-source-6.12 and the sha256 of the tarball
# it ships (/usr/src/linux-source-6.12.tar.xz).
BASE_PKG=linux-source-6.12
BASE_VERSION=6.12.117-1~deb12u1
BASE_TAR_SHA256=585a4a074597aefa2b1a68ada83a3184ba351c127544dea80618bbcceaa3961f

# The git repository of the base (one commit, tag "base"), shared by every
# work tree made from it.
BASE_GIT=$CACHE/base-$BASE_VERSION.git

export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
# Different work trees (build/linux, build/check/linux) share one cache.
export CCACHE_NOHASHDIR=1

mkdir -p "$LOGS" "$CACHE"

# One status line per long step, on stderr so it survives redirection.
status() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# run_logged LOG CMD...: run CMD with all output in LOG; on failure print
# the tail of the log and its path.
run_logged() {
	local log=$1; shift
	if ! "$@" >"$log" 2>&1; then
		printf 'error: "%s" failed; last lines of %s:\n' "$*" "$log" >&2
		tail -n 30 "$log" | sed 's/^/    /' >&2
		printf 'full log: %s\n' "$log" >&2
		return 1
	fi
}

# Architecture names: ours (x86_64, arm64) to the kernel's and the tools'.
arch_setup() {
	case "$1" in
	x86_64)
		KARCH=x86; CROSS_COMPILE=; IMAGE=arch/x86/boot/bzImage
		TARGET_CC=gcc ;;
	arm64)
		KARCH=arm64; CROSS_COMPILE=aarch64-linux-gnu-
		IMAGE=arch/arm64/boot/Image; TARGET_CC=aarch64-linux-gnu-gcc ;;
	*) die "unknown architecture '$1' (x86_64 or arm64)" ;;
	esac
}
