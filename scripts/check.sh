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
	extra=
	# x86_64 builds one kernel, the debug one (configs/debug.config: KASAN,
	# lockdep with raw lock nesting, DEBUG_ATOMIC_SLEEP): every patch on its
	# own, W=1, and the boots, on two CPUs, so that the race tests run in
	# parallel and any splat fails the boot. A production build beside it
	# would cost a fresh machine one more whole kernel build and check
	# nothing the debug build does not.
	if [ "$arch" = x86_64 ]; then
		out=$BUILD/check/$arch-debug
		extra=$TOP/configs/debug.config
	fi
	# Every patch builds on its own (x86_64; the whole series is built for
	# both), in the tree and build directory of the x86_64 build, which
	# then only rebuilds what the last commit changed.
	if [ "$arch" = x86_64 ] && [ "${BISECT_CHECK:-1}" = 1 ]; then
		status "building each patch of the series on its own (x86_64 debug)"
		tally env EXTRA_CONFIG="$extra" INPLACE=1 \
			"$TOP/scripts/build-each.sh" x86_64 "$tree" "$out"
	fi
	# arm64: the iommu and vfio code of every patch, the only code the
	# series changes that an arm64 build compiles differently (its
	# kselftests and the rest of the kernel are checked on x86_64), in
	# the arm64 build directory, before the whole series is built there.
	if [ "$arch" = arm64 ] && [ "${BISECT_CHECK:-1}" = 1 ]; then
		status "building the iommu and vfio code of each patch on its own (arm64)"
		tally env INPLACE=1 BISECT_TARGETS="drivers/iommu/ drivers/vfio/" \
			BISECT_KSELFTESTS=0 \
			"$TOP/scripts/build-each.sh" arm64 "$tree" "$out"
	fi
	gate "build $arch${extra:+ (debug)}" env EXTRA_CONFIG="$extra" \
		"$TOP/scripts/build-kernel.sh" "$arch" "$tree" "$out" || continue
	gate "initramfs $arch" "$TOP/scripts/build-initramfs.sh" "$arch" "$tree" "$out" ||
		continue
	case "$arch" in
	x86_64)
		profiles="x86_64-mock:kunit:iommufd,iommufd_fail_nth:$out"
		profiles+=" x86_64-vtd::edu_dma:$out x86_64-vtd-sm::edu_dma:$out" ;;
	arm64)  profiles="arm64-smmuv3:kunit:iommufd,iommufd_fail_nth,edu_dma:$out" ;;
	esac
	for p in $profiles; do
		IFS=: read -r profile kunit expect kernel <<<"$p"
		# The end-to-end kselftests run beside edu_dma, if the series has
		# them; the e1000 storm needs VT-d
		tests=iommufd_edu
		[ "$profile" = x86_64-vtd ] && tests+=" iommufd_fault_storm"
		[ "$profile" = arm64-smmuv3 ] && tests+=" iommufd_smmuv3_nested"
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
