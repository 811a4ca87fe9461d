#!/usr/bin/env bash
# Configure and build a kernel, its uAPI headers and the iommu kselftests
# (static) for one architecture, out of tree.
# usage: scripts/build-kernel.sh ARCH [TREE [OUT]]
#   ARCH  x86_64 or arm64
#   TREE  kernel work tree (default build/linux)
#   OUT   build directory (default build/ARCH)
# EXTRA_CONFIG="FRAGMENT..." merges more fragments (configs/debug.config).
# BISECT=1 accepts options that the tree does not define yet (a commit in
# the middle of the series; any other dropped option is an error), and, as
# the tree is a clean checkout, reconfigures only when a Kconfig file
# changed and rebuilds the kselftests only when their sources or the uAPI
# headers changed. With BISECT=1, BISECT_TARGETS="DIR/ ..." builds those
# make targets instead of vmlinux, and BISECT_KSELFTESTS=0 skips the
# headers and kselftests. ACCEPT_UNDEFINED=1 accepts options the tree does
# not define, as BISECT=1 does, in a full build (make bench's base tree).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: $0 ARCH [TREE [OUT]]"
arch=$1
tree=$(realpath "${2:-$BUILD/linux}")
out=${3:-$BUILD/$arch}
arch_setup "$arch"
"$TOP/scripts/deps.sh"
[ -f "$tree/Makefile" ] || die "$tree is not a kernel tree; run 'make tree' first"
mkdir -p "$out"
out=$(realpath "$out")
name=$(basename "$out")
log=$LOGS/build-$name.log
jobs=$(nproc)

# Relative to the build directory, so build/linux with build/ARCH and
# build/check/linux with build/check/ARCH share cache entries.
export CCACHE_BASEDIR=$BUILD
kmake() {
	make -C "$tree" O="$out" ARCH="$KARCH" CROSS_COMPILE="$CROSS_COMPILE" \
		CC="ccache ${CROSS_COMPILE}gcc" HOSTCC="ccache gcc" "$@"
}

# 1. Configuration: the fragments merged onto allnoconfig, then checked.
frags=("$TOP/configs/common.config" "$TOP/configs/$arch.config")
# EXTRA_CONFIG: more fragments, e.g. configs/debug.config (lockdep)
for f in ${EXTRA_CONFIG:-}; do
	frags+=("$(realpath "$f")")
done
cat "${frags[@]}" >"$out/fragment.config"
# Stamps, for BISECT=1 (a clean checkout of a commit): the index entries of
# the paths a step depends on, as of the last time the step ran.
KCONFIG_PATHS=('*Kconfig*' 'arch/*/Makefile')
KSELFTEST_PATHS=(include/uapi 'arch/*/include/uapi' tools
		 drivers/iommu/iommufd/iommufd_test.h)
stamp_of() { git -C "$tree" ls-files -s -- "$@" | sha1sum; }
stale() {	# stale STAMP PATH...: the PATHs differ from the STAMP
	local file=$1; shift
	[ "$(stamp_of "$@")" != "$(cat "$file" 2>/dev/null)" ]
}
record() { local file=$1; shift; stamp_of "$@" >"$file"; }
# (BISECT=1: whenever a commit changes a Kconfig file, which may add an
# option the fragment asks for)
if ! cmp -s "$out/fragment.config" "$out/fragment.config.used" ||
   [ ! -f "$out/.config" ] ||
   { [ "${BISECT:-}" = 1 ] && stale "$out/kconfig.stamp" "${KCONFIG_PATHS[@]}"; }; then
	status "configure $arch ($name)"
	rm -f "$out/kconfig.stamp"
	run_logged "$LOGS/config-$name.log" \
		kmake KCONFIG_ALLCONFIG="$out/fragment.config" allnoconfig
	run_logged "$LOGS/config-$name.log.olddefconfig" kmake olddefconfig
	cp "$out/fragment.config" "$out/fragment.config.used"
	[ "${BISECT:-}" != 1 ] || record "$out/kconfig.stamp" "${KCONFIG_PATHS[@]}"
fi
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=n)
		opt=${line%%=*}
		if grep -q "^$opt=" "$out/.config"; then
			echo "error: $opt must be unset but is $(grep "^$opt=" "$out/.config")" >&2
			bad=1
		fi ;;
	CONFIG_*=*)
		opt=${line%%=*}
		if { [ "${BISECT:-}" = 1 ] || [ "${ACCEPT_UNDEFINED:-}" = 1 ]; } &&
		   ! grep -rqx "config ${opt#CONFIG_}" --include='Kconfig*' "$tree"; then
			# An option a later patch of the series adds
			continue
		fi
		if ! grep -qxF "$line" "$out/.config"; then
			opt=${line%%=*}
			have=$(grep -E "^$opt=|^# $opt is not set" "$out/.config" || echo "absent")
			echo "error: the config asks for $line, but olddefconfig gave: $have (a dependency is missing)" >&2
			bad=1
		fi ;;
	esac
done <"$out/fragment.config"
if [ $bad -ne 0 ]; then
	rm -f "$out/fragment.config.used" "$out/kconfig.stamp"
	die "configuration of $arch dropped options (see above); fix configs/"
fi

# 2. The kernel, with W=1. Only warnings on lines the series adds or
# changes are its own; the C files it changes are compiled again, so that
# their warnings are in this build's log. (BISECT=1: the checked-out
# commit's lines, and only vmlinux: its files were touched by the checkout.)
range=base..HEAD
target=all
if [ "${BISECT:-}" = 1 ]; then
	range=HEAD~1..HEAD
	target=${BISECT_TARGETS:-vmlinux}
else
	changed=$(git -C "$tree" diff --name-only "$range" -- '*.c' |
		  grep -v '^tools/\|^samples/\|^scripts/' || true)
	for f in $changed; do rm -f "$out/${f%.c}.o"; done
fi
status "build $arch kernel ($name, -j$jobs, W=1, log $log)"
# shellcheck disable=SC2086 # BISECT_TARGETS is a list of make targets
run_logged "$log" kmake -j"$jobs" W=1 $target
if ! python3 "$TOP/scripts/new-warnings.py" "$tree" "$range" "$log" >&2; then
	die "W=1 warnings on lines the series changes; see $log"
fi
[ "${BISECT:-}" = 1 ] || cp "$out/$IMAGE" "$out/kernel-image"
if [ "${BISECT:-}" = 1 ] && [ "${BISECT_KSELFTESTS:-1}" = 0 ]; then
	status "built $arch: $target"
	exit 0
fi

# 3. uAPI headers and the iommu kselftests, static.
if [ ! -f "$out/kselftest/iommu/.built" ] || [ "${BISECT:-}" != 1 ] ||
   stale "$out/kselftest.stamp" "${KSELFTEST_PATHS[@]}"; then
	rm -f "$out/kselftest.stamp"
	status "build $arch uAPI headers and iommu kselftests"
	run_logged "$LOGS/headers-$name.log" kmake headers
	rm -rf "$out/kselftest"; mkdir -p "$out/kselftest/iommu"
	run_logged "$LOGS/kselftest-$name.log" \
		make -C "$tree/tools/testing/selftests/iommu" OUTPUT="$out/kselftest/iommu" \
			ARCH="$KARCH" CROSS_COMPILE="$CROSS_COMPILE" \
			CC="ccache ${CROSS_COMPILE}gcc" \
			KHDR_INCLUDES="-isystem $out/usr/include" LDFLAGS=-static
	if grep -E 'warning:' "$LOGS/kselftest-$name.log" >&2; then
		die "warnings building the iommu kselftests; see $LOGS/kselftest-$name.log"
	fi
	touch "$out/kselftest/iommu/.built"
	[ "${BISECT:-}" != 1 ] || record "$out/kselftest.stamp" "${KSELFTEST_PATHS[@]}"
else
	status "iommu kselftests and uAPI headers unchanged since the last commit built"
fi
status "built $arch: $out/$target"
