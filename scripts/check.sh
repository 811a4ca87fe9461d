#!/usr/bin/env bash
# Everything a maintainer runs on the series: it applies to the base,
# checkpatch --strict, no new kernel-doc warning, the x86_64 and arm64 builds, and the tests in QEMU
# (KUnit, iommufd kselftests, edu DMA through the emulated IOMMU).  Ends with
# one line "N passed, N failed, N skipped"; exits 1 on any failure.
# usage: scripts/check.sh
# Environment: ARCHES (default "x86_64 arm64"), VM_TIMEOUT, KVM=1,
# BISECT_CHECK=0 to skip building each patch on its own.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

tree=$BUILD/check/linux
arches=${ARCHES:-x86_64 arm64}
passed=0 failed=0 skipped=0
start=$(date +%s)

gate() {	# gate NAME CMD...: one pass/fail item
	local name=$1; shift
	if "$@"; then
		echo "ok $name"; passed=$((passed + 1)); return 0
	fi
	echo "not ok $name"; failed=$((failed + 1)); return 1
}

tally() {	# tally CMD...: show CMD's output, count its ok / not ok lines
	local line
	while IFS= read -r line; do
		echo "$line"
		case "$line" in
		"ok "*) passed=$((passed + 1)) ;;
		"not ok "*) failed=$((failed + 1)) ;;
		esac
	done < <("$@")
}

finish() {
	echo "check took $(( $(date +%s) - start ))s; logs in $LOGS"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

"$TOP/scripts/deps.sh" || die "could not install the packages the harness needs"
gate "series applies to the base" env FORCE=1 "$TOP/scripts/make-tree.sh" "$tree" || finish

status "checkpatch --strict"
tally "$TOP/scripts/checkpatch.sh" "$tree"
tally "$TOP/scripts/kernel-doc-check.sh" "$tree"

for arch in $arches; do
	out=$BUILD/check/$arch
	# Every patch builds on its own (x86_64; the whole series is built
	# for both). In the tree and build directory of the x86_64 build,
	# which then only rebuilds what the last commit changed.
	if [ "$arch" = x86_64 ] && [ "${BISECT_CHECK:-1}" = 1 ]; then
		status "building each patch of the series on its own (x86_64)"
		tally env INPLACE=1 "$TOP/scripts/build-each.sh" x86_64 "$tree" "$out"
	fi
	gate "build $arch" "$TOP/scripts/build-kernel.sh" "$arch" "$tree" "$out" || continue
	# (x86_64 boots the debug kernel only, below)
	if [ "$arch" != x86_64 ] &&
	   ! gate "initramfs $arch" "$TOP/scripts/build-initramfs.sh" "$arch" "$tree" "$out"; then
		continue
	fi
	case "$arch" in
	x86_64)
		# The x86_64 boots run a debug kernel on two CPUs: KASAN, lockdep
		# and DEBUG_ATOMIC_SLEEP judge the race tests and the fault paths
		# (any splat fails the boot). The production build above is the
		# W=1 and bisect reference.
		dbg=$BUILD/check/$arch-debug
		if ! gate "build $arch debug" env EXTRA_CONFIG="$TOP/configs/debug.config" \
			"$TOP/scripts/build-kernel.sh" "$arch" "$tree" "$dbg" ||
		   ! gate "initramfs $arch debug" "$TOP/scripts/build-initramfs.sh" "$arch" "$tree" "$dbg"; then
			continue
		fi
		profiles="x86_64-mock:kunit:iommufd,iommufd_fail_nth:$dbg"
		profiles+=" x86_64-vtd::edu_dma:$dbg x86_64-vtd-sm::edu_dma:$dbg" ;;
	arm64)  profiles="arm64-smmuv3:kunit:iommufd,iommufd_fail_nth,edu_dma:$out" ;;
	esac
	for p in $profiles; do
		IFS=: read -r profile kunit expect kernel <<<"$p"
		# The end-to-end kselftests run beside edu_dma, if the series has
		# them; the e1000 storm needs VT-d
		tests=iommufd_edu
		[ "$profile" = x86_64-vtd ] && tests+=" iommufd_fault_storm"
		case ",$expect," in
		*,edu_dma,*)
			for t in $tests; do
				if [ -x "$kernel/kselftest/iommu/$t" ]; then
					expect+=,$t
				fi
			done ;;
		esac
		"$TOP/scripts/run-vm.sh" "$profile" "$kernel" || true
		counts=$LOGS/counts-$profile
		rm -f "$counts"
		python3 "$TOP/scripts/report.py" --log "$LOGS/vm-$profile.log" --tree "$tree" \
			${kunit:+--kunit} --expect "$expect" --counts "$counts"
		if [ -f "$counts" ]; then
			read -r p f s <"$counts"
			passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
		else
			echo "not ok report $profile"; failed=$((failed + 1))
		fi
	done
done

finish
