#!/usr/bin/env bash
# Boot a built kernel and initramfs in QEMU with one of the test machine
# profiles below; the serial console goes to build/logs/vm-PROFILE.log.
# usage: scripts/run-vm.sh PROFILE [OUT]
#   PROFILE  x86_64-mock   q35, no emulated IOMMU, two CPUs: KUnit + iommufd
#                          kselftests
#            x86_64-vtd    q35 + intel-iommu + edu + e1000, two CPUs: the edu
#                          DMA tests and the e1000 fault storm
#            x86_64-vtd-sm as x86_64-vtd in scalable mode, edu only
#            x86_64-demo   as x86_64-vtd, running the edu demo (narrated)
#            arm64-smmuv3  virt with SMMUv3 + edu: KUnit, kselftests, edu
#            arm64-demo    as arm64-smmuv3, running the edu demo (narrated)
#            x86_64-bench  q35, no emulated IOMMU, two CPUs: make bench's
#                          program on the mock driver, no KUnit
#   OUT      build directory of that architecture (default build/ARCH)
# Environment: VM_TIMEOUT (seconds, default 300), KVM=1 to try KVM first
# (probed with a real boot; TCG is used when it fails), VM_APPEND (extra
# kernel command line).
# Exit status: 0 when QEMU ran to the end, 124 on timeout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: $0 PROFILE [OUT]"
profile=$1
arch=${profile%%-*}
arch_setup "$arch"
out=$(realpath "${2:-$BUILD/$arch}")
log=$LOGS/vm-$profile.log
timeout=${VM_TIMEOUT:-300}
smp=1
[ -f "$out/kernel-image" ] && [ -f "$out/initramfs.cpio.gz" ] ||
	die "$out has no kernel-image or initramfs; build them first"

append="panic=-1 oops=panic harness.name=$profile"
case "$profile" in
x86_64-mock)
	# Two CPUs: the race tests need their threads to really overlap
	machine=(-M q35)
	smp=2
	append+=" harness.tests=kselftest" ;;
x86_64-vtd)
	# The storm needs a second CPU: the fault interrupt's and the storm's
	machine=(-M q35 -device intel-iommu,intremap=on -device edu -device e1000)
	smp=2
	append+=" kunit.enable=0 harness.tests=edu,storm" ;;
x86_64-vtd-sm)
	# VT-d in scalable mode: the PASID-table paths of the fault decode
	machine=(-M q35 -device intel-iommu,intremap=on,x-scalable-mode=on -device edu)
	smp=2
	append+=" intel_iommu=sm_on kunit.enable=0 harness.tests=edu" ;;
x86_64-demo)
	machine=(-M q35 -device intel-iommu,intremap=on -device edu)
	append+=" kunit.enable=0 harness.tests=demo" ;;
x86_64-bench)
	# idle=poll: an idle vCPU spins instead of halting, so that a wake-up
	# costs the kernel's work, not the emulator's wait for the next tick
	machine=(-M q35)
	smp=2
	append+=" idle=poll kunit.enable=0 harness.tests=bench" ;;
arm64-smmuv3)
	machine=(-M virt,gic-version=3,its=on,iommu=smmuv3 -device edu)
	append+=" harness.tests=kselftest,edu,nested" ;;
arm64-demo)
	machine=(-M virt,gic-version=3,its=on,iommu=smmuv3 -device edu)
	append+=" kunit.enable=0 harness.tests=demo" ;;
*) die "unknown profile '$profile'" ;;
esac
case "$arch" in
x86_64) qemu=qemu-system-x86_64; console=ttyS0; tcg_cpu=(-cpu max) ;;
arm64)  qemu=qemu-system-aarch64; console=ttyAMA0; tcg_cpu=(-cpu max,pauth-impdef=on) ;;
esac

boot() {
	local accel=$1; shift
	local cmd=("$qemu" -nodefaults -no-user-config -no-reboot
		   -display none -monitor none -serial "file:$log"
		   "${machine[@]}" -accel "$accel" "$@" -smp "$smp" -m 2G
		   -kernel "$out/kernel-image" -initrd "$out/initramfs.cpio.gz"
		   -append "console=$console $append ${VM_APPEND:-}")
	rm -f "$log"
	# The exact command, for whoever reads the results (make bench)
	printf '%q ' "${cmd[@]}" >"$LOGS/qemu-$profile.cmd"
	echo >>"$LOGS/qemu-$profile.cmd"
	timeout -k 10 "$timeout" "${cmd[@]}" </dev/null >"$LOGS/qemu-$profile.log" 2>&1
}

status "boot $profile (log $log)"
if [ "${KVM:-}" = 1 ] && [ -w /dev/kvm ]; then
	rc=0; boot kvm -cpu host || rc=$?
	if [ $rc -eq 0 ] && grep -q '^### HARNESS BEGIN' "$log"; then
		exit 0
	fi
	status "KVM boot did not reach /init (rc $rc); using TCG"
fi
rc=0; boot tcg "${tcg_cpu[@]}" || rc=$?
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	status "VM $profile timed out after ${timeout}s"
	printf '\n### HARNESS TIMEOUT after %ss\n' "$timeout" >>"$log"
	exit 124
fi
if [ $rc -ne 0 ]; then
	status "QEMU exited with $rc; see $LOGS/qemu-$profile.log"
	cat "$LOGS/qemu-$profile.log" >&2
fi
exit $rc
