#!/usr/bin/env bash
# make bench: what fault delivery to user space costs, patched against the
# base in one run. Builds two kernels with the same configuration (the
# check's fragments plus configs/bench.config): the base (the pinned 6.12
# plus only the series' first patch, which makes its mock driver work) and
# the patched one (the whole series). Boots each in the same QEMU machine
# (x86_64-bench: q35, TCG, two CPUs), runs guest/iommufd_bench in both and
# prints the table of ratios (scripts/bench-report.py). Not a test: make
# check does not run it, and its figures are only compared within one run.
# usage: scripts/bench.sh
# Output: build/bench/table.txt and latency.png; the logs of each kernel's
# build and boots (vm-bench-RUN.log) in build/bench/logs/base/ and
# build/bench/logs/patched/.
# Environment: BENCH_RUNS (boots of each kernel, alternating, default 5),
# VM_TIMEOUT (seconds per boot, default 900).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

bench=$BUILD/bench
# Exactly the series and the base, emulated: no work in progress, no KVM
unset WIP KVM
start=$(date +%s)

"$TOP/scripts/deps.sh" gnuplot-nox ||
	die "could not install the packages make bench needs"

# The two kernels, one after the other (two builds at once are slower).
for k in base patched; do
	tree=$bench/$k/linux
	out=$bench/$k/x86_64
	export LOGS=$bench/logs/$k
	mkdir -p "$LOGS"
	if [ $k = base ]; then
		# The options the series adds do not exist there yet
		UPTO=1 FORCE=1 "$TOP/scripts/make-tree.sh" "$tree"
		ACCEPT_UNDEFINED=1 EXTRA_CONFIG=$TOP/configs/bench.config \
			"$TOP/scripts/build-kernel.sh" x86_64 "$tree" "$out"
	else
		FORCE=1 "$TOP/scripts/make-tree.sh" "$tree"
		EXTRA_CONFIG=$TOP/configs/bench.config \
			"$TOP/scripts/build-kernel.sh" x86_64 "$tree" "$out"
	fi
	"$TOP/scripts/build-initramfs.sh" x86_64 "$tree" "$out"
done

# The same configuration, but for the options the series adds (its KUnit
# suites, built in and not run: the bench boots with kunit.enable=0).
diff <(grep '^CONFIG_' "$bench/base/x86_64/.config" | sort) \
     <(grep '^CONFIG_' "$bench/patched/x86_64/.config" | sort) \
     >"$bench/config.diff" || true
status "configuration differences (base < > patched): $bench/config.diff"
sed 's/^/    /' "$bench/config.diff" >&2

# The host the figures come from
{
	echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) before the boots"
	echo "QEMU: $(qemu-system-x86_64 --version | head -n 1)"
} >"$bench/host.txt"
[ "$(nproc)" -ge 3 ] ||
	status "note: $(nproc) host CPUs for two busy vCPUs (idle=poll) and QEMU's own threads: expect noise"

# Alternate the kernels (ABBA...), so that a drift of the host hits both
# alike; the report takes the median of the runs and shows their spread.
runs=${BENCH_RUNS:-5}
declare -A logs=([base]="" [patched]="")
for r in $(seq "$runs"); do
	order="base patched"
	[ $((r % 2)) -eq 1 ] || order="patched base"
	for k in $order; do
		export LOGS=$bench/logs/$k
		rc=0
		VM_TIMEOUT=${VM_TIMEOUT:-900} "$TOP/scripts/run-vm.sh" \
			x86_64-bench "$bench/$k/x86_64" || rc=$?
		[ -f "$LOGS/vm-x86_64-bench.log" ] ||
			die "the $k kernel's bench boot left no log (rc $rc); see $LOGS/qemu-x86_64-bench.log"
		mv "$LOGS/vm-x86_64-bench.log" "$LOGS/vm-bench-$r.log"
		[ $rc -eq 0 ] ||
			die "the $k kernel's bench boot failed (rc $rc); see $LOGS/vm-bench-$r.log"
		logs[$k]+=" $LOGS/vm-bench-$r.log"
	done
done

# shellcheck disable=SC2086 # lists of log paths under build/
python3 "$TOP/scripts/bench-report.py" \
	--base ${logs[base]} --patched ${logs[patched]} \
	--config-diff "$bench/config.diff" --host "$bench/host.txt" \
	--qemu-cmd "$bench/logs/base/qemu-x86_64-bench.cmd" --out "$bench"
status "bench took $(( $(date +%s) - start ))s; results in $bench"
