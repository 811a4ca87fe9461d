#!/usr/bin/env python3
"""make bench's report: the table of ratios and the latency plot.

Reads the BENCH lines guest/iommufd_bench printed in the base kernel's and
the patched kernel's boots (the clean copy between "### TAP BEGIN bench" and
"### TAP END bench"), takes for each figure the median of a kernel's runs,
prints one table (patched / base, each path / floor, and how far the runs of
a kernel spread), writes it to OUT/table.txt, and draws the latency
distributions to OUT/latency.png with gnuplot. Exits 1 when a run did not
finish.

usage: bench-report.py --base LOG... --patched LOG... [--config-diff F]
                       --out DIR
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys


def parse(path):
    """The BENCH records of one boot: {kind: {name: [fields...]}}."""
    text = open(path, errors="replace").read()
    m = re.search(r"^### TAP BEGIN bench\n(.*?)^### TAP END bench rc=(\d+)",
                  text, re.S | re.M)
    if not m:
        sys.exit(f"error: {path}: no bench output (did the boot reach /init?)")
    body, rc = m.group(1), int(m.group(2))
    res = {"lat": {}, "cdf": {}, "rate": {}, "mem": {}, "stage": [],
           "info": [], "error": []}
    done = False
    for line in body.splitlines():
        if not line.startswith("BENCH "):
            continue
        words = line.split()
        kind = words[1]
        if kind == "done":
            done = True
        elif kind in ("info", "error"):
            res[kind].append(" ".join(words[2:]))
        elif kind == "cdf":
            res["cdf"][words[2]] = [float(x) for x in words[3:]]
        else:
            fields = dict(w.split("=", 1) for w in words[3:] if "=" in w)
            if kind == "rate":
                res["rate"][(words[2], int(fields["batch"]))] = fields
            elif kind == "stage":
                res["stage"].append(fields)
            else:
                res[kind][words[2]] = fields
    if rc != 0 or not done:
        why = "; ".join(res["error"]) or f"exit status {rc}"
        sys.exit(f"error: {path}: the bench did not finish: {why}")
    return res


def merge(runs):
    """One result from several runs of a kernel: each number the median of
    the runs, each percentile curve the pointwise median; res["spread"]
    holds (max - min) / median of every number."""
    if len(runs) == 1:
        runs[0]["spread"] = {}
        return runs[0]
    m = {"lat": {}, "cdf": {}, "rate": {}, "mem": {}, "stage": [],
         "info": runs[0]["info"], "error": [], "spread": {}}

    def med(values, where):
        try:
            nums = [float(v) for v in values]
        except ValueError:
            return values[0]
        mid = statistics.median(nums)
        m["spread"][where] = (max(nums) - min(nums)) / mid if mid else 0.0
        return mid

    for kind in ("lat", "rate", "mem"):
        for name, fields in runs[0][kind].items():
            have = [r[kind][name] for r in runs if name in r[kind]]
            m[kind][name] = {f: med([h[f] for h in have if f in h],
                                    (kind, name, f))
                             for f in fields}
    for name, curve in runs[0]["cdf"].items():
        curves = [r["cdf"][name] for r in runs if name in r["cdf"]]
        m["cdf"][name] = [statistics.median(c[i] for c in curves)
                          for i in range(len(curve))]
    for i, stage in enumerate(runs[0]["stage"]):
        have = [r["stage"][i] for r in runs if len(r["stage"]) > i]
        m["stage"].append({f: med([h[f] for h in have],
                                  ("stage", i, f)) for f in stage})
    return m


def fmt(v, digits=2):
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:.0f}"
    return f"{v:.{digits}f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, nargs="+")
    ap.add_argument("--patched", required=True, nargs="+")
    ap.add_argument("--config-diff")
    ap.add_argument("--host", help="what bench.sh recorded of the host")
    ap.add_argument("--qemu-cmd", help="the QEMU command of a base boot")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    base = merge([parse(p) for p in args.base])
    pat = merge([parse(p) for p in args.patched])
    out = [f"make bench: medians of {len(args.base)} base and "
           f"{len(args.patched)} patched runs, booted alternately "
           "(ABBA...)", ""]
    out.append("How it was made:")
    out.append(f"  make bench   (BENCH_RUNS={len(args.base)}); the guest runs "
               "/bin/iommufd_bench (guest/iommufd_bench.c)")
    if args.qemu_cmd and os.path.exists(args.qemu_cmd):
        out.append("  QEMU (base; the patched boots differ only in the "
                   "kernel and initramfs paths):")
        out.append("    " + open(args.qemu_cmd).read().strip())
    out.append(f"  plot: gnuplot {os.path.join(args.out, 'latency.gp')}")
    if args.host and os.path.exists(args.host):
        for line in open(args.host):
            out.append("  " + line.rstrip())
    out.append("")

    def lat(res, name, key):
        f = res["lat"].get(name)
        return float(f[key]) if f else None

    floor = {"base": lat(base, "floor", "p50"),
             "patched": lat(pat, "floor", "p50")}
    rows = []   # (label, unit, base, patched, lower_is_better, per-event us)

    def spread(kind, name, key):
        """The larger run-to-run spread of the two kernels, or None."""
        sp = [r["spread"].get((kind, name, key)) for r in (base, pat)]
        sp = [x for x in sp if x is not None]
        return max(sp) if sp else None

    def lat_row(label, name, key):
        b, p = lat(base, name, key), lat(pat, name, key)
        rows.append((label, f"us {key}", b, p, True, p,
                     spread("lat", name, key)))

    lat_row("floor: null IOMMU_TEST_CMD", "floor", "p50")
    lat_row("floor: null IOMMU_TEST_CMD", "floor", "p99")
    lat_row("page request round trip, 2 threads", "iopf_rt_2thread", "p50")
    lat_row("page request round trip, 2 threads", "iopf_rt_2thread", "p99")
    lat_row("  of which trigger -> poll() wake-up", "iopf_wake", "p50")
    lat_row("page request round trip, 1 thread", "iopf_rt_1thread", "p50")
    lat_row("page request round trip, 1 thread", "iopf_rt_1thread", "p99")
    lat_row("  of which the trigger ioctl", "iopf_1thread_trigger", "p50")
    lat_row("  of which read()", "iopf_1thread_read", "p50")
    lat_row("  of which write() of the response", "iopf_1thread_write", "p50")
    for b in (1, 16, 64):
        fb = base["rate"].get(("iopf", b))
        fp = pat["rate"].get(("iopf", b))
        rows.append((f"page requests, {b} per read()/write()", "per s",
                     float(fb["per_sec"]) if fb else None,
                     float(fp["per_sec"]) if fp else None, False,
                     float(fp["us_per_event"]) if fp else None,
                     spread("rate", ("iopf", b), "per_sec")))
    for q in ("vevent_selftest", "vevent_decoded"):
        for b in (1, 16, 64):
            fp = pat["rate"].get((q, b))
            rows.append((f"{q}, {b} per read()", "per s", None,
                         float(fp["per_sec"]) if fp else None, False,
                         float(fp["us_per_event"]) if fp else None,
                         spread("rate", (q, b), "per_sec")))
        lat_row(f"{q}: trigger -> poll() wake-up", f"{q}_wake", "p50")
        lat_row(f"{q}: trigger -> poll() wake-up", f"{q}_wake", "p99")

    out.append(f"{'metric':44} {'unit':8} {'base':>9} {'patched':>9} "
               f"{'pat/base':>9} {'path/floor':>10} {'spread':>7}")
    for label, unit, b, p, _lower, per_event, sp in rows:
        ratio = p / b if b and p else None
        vs_floor = (per_event / floor["patched"]
                    if per_event and floor["patched"] else None)
        sp_s = f"{sp * 100:.0f}%" if sp is not None else "-"
        out.append(f"{label:44} {unit:8} {fmt(b):>9} {fmt(p):>9} "
                   f"{fmt(ratio):>9} {fmt(vs_floor):>10} {sp_s:>7}")
    out.append("pat/base: a time ratio below 1, or a rate ratio above 1, "
               "means the patched kernel is faster.")
    out.append("path/floor: the patched kernel's time per event over its "
               "null-op p50.")
    out.append("spread: (max - min) / median of the runs, the larger of "
               "the two kernels': a ratio closer to 1 than this is noise.")

    def allocs(res, name):
        f = res["mem"].get(name)
        a = float(f.get("allocs_per_event", -1)) if f else -1
        return None if a < 0 else a

    out.append("")
    out.append("Kernel memory per queued, unread event (slab + vmalloc "
               "delta / N), and slab allocations per event (kmem "
               "tracepoints, freed or not):")
    out.append(f"  null op: base {fmt(allocs(base, 'floor'))}, patched "
               f"{fmt(allocs(pat, 'floor'))} allocations per call")
    def num(res, name, key, digits=0):
        f = res["mem"].get(name)
        return fmt(float(f[key]), digits) if f and key in f else "-"

    out.append(f"  page request (fault fd): base "
               f"{num(base, 'iopf', 'bytes_per_event')} B, patched "
               f"{num(pat, 'iopf', 'bytes_per_event')} B "
               f"(N={num(pat, 'iopf', 'queued')} queued and unread); "
               f"allocations: base {fmt(allocs(base, 'iopf'))}, patched "
               f"{fmt(allocs(pat, 'iopf'))} per request; the queue held "
               "all N: iommufd does not bound it (a device's outstanding "
               "page request credit does)")
    for q in ("vevent_selftest", "vevent_decoded"):
        f = pat["mem"].get(q)
        if not f:
            continue
        depth = int(float(f["depth"]))
        total = float(f["alloc_bytes"])
        out.append(f"  {q}: {num(pat, q, 'bytes_per_event')} B per "
                   f"queued event (N={num(pat, q, 'queued')}), "
                   f"{fmt(allocs(pat, q))} allocations per trigger; "
                   "the ring charged at IOMMU_VEVENTQ_ALLOC: "
                   f"{fmt(total / (1 << 20), 1)} MiB at depth {depth} "
                   f"(the largest), {num(pat, q, 'alloc_bytes_per_slot', 1)} "
                   f"B per slot; read() returns "
                   f"{num(pat, q, 'read_size')} B per event")
        d = pat["mem"].get(q + "_depth")
        if d:
            out.append(f"    depth {num(pat, q + '_depth', 'depth')}, "
                       f"{num(pat, q + '_depth', 'triggered')} events "
                       f"reported: read() gave "
                       f"{num(pat, q + '_depth', 'events')} events and "
                       f"{num(pat, q + '_depth', 'lost_markers')} "
                       "LOST_EVENTS header (sequence "
                       f"{num(pat, q + '_depth', 'lost_seq')})")

    for name, res in (("base", base), ("patched", pat)):
        if not res["stage"]:
            continue
        out.append("")
        out.append(f"Where a page request's time goes ({name} kernel, "
                   "function tracer, entry to entry, two-thread round "
                   f"trips, n={fmt(float(res['stage'][0]['n']), 0)}; "
                   "the trace's timestamps are whole microseconds, the "
                   "mean resolves finer):")
        total = sum(float(s["mean"]) for s in res["stage"])
        top = max(res["stage"], key=lambda s: float(s["mean"]))
        for s in res["stage"]:
            share = float(s["mean"]) / total * 100 if total else 0
            out.append(f"  {s['from'] + ' -> ' + s['to']:62} "
                       f"mean {fmt(float(s['mean'])):>6} "
                       f"p50 {fmt(float(s['p50'])):>6} "
                       f"p90 {fmt(float(s['p90'])):>6} us {share:5.1f}%")
        untraced = lat(res, "iopf_rt_2thread", "mean")
        out.append(f"  total {fmt(total)} us (the untraced round trip's "
                   f"mean: {fmt(untraced)} us; the difference is the "
                   "tracer's own cost and the work before the first and "
                   "after the last function)")
        out.append(f"  dominant stage: {top['from']} -> {top['to']}")

    out.append("")
    out.append("Goals:")
    rt = [(lat(base, "iopf_rt_2thread", "p50"),
           lat(pat, "iopf_rt_2thread", "p50"), "2-thread p50"),
          (lat(base, "iopf_rt_1thread", "p50"),
           lat(pat, "iopf_rt_1thread", "p50"), "1-thread p50")]
    for b, p, what in rt:
        if not (b and p):
            out.append(f"  page request round trip ({what}): missing")
            continue
        speed = b / p
        out.append(f"  page request round trip >= 1.2x the base ({what}): "
                   f"{speed:.2f}x: {'met' if speed >= 1.2 else 'NOT met'}")
    # The null op runs the same code in both kernels: how far apart it
    # reads is noise of the emulator, not of the series
    floor_noise = (abs(floor["patched"] / floor["base"] - 1)
                   if floor["base"] and floor["patched"] else 0)
    slower = []
    for label, unit, b, p, lower, _pe, sp in rows:
        # The floor runs the same code in both kernels: it measures the
        # emulator, and is judged below
        if not (b and p) or label.startswith("floor"):
            continue
        margin = 1 + max(0.05, sp or 0, floor_noise)
        if (lower and p > b * margin) or (not lower and p < b / margin):
            slower.append(f"{label} ({unit}) {fmt(p / b)}")
    out.append("  no slower than the base in any case (beyond 5%, the "
               "runs' spread or the null op's difference): " +
               ("met" if not slower else "NOT met: " + "; ".join(slower)))
    if floor["base"] and floor["patched"]:
        r = floor["patched"] / floor["base"]
        out.append(f"  (validity: the null op, the same code in both "
                   f"kernels, reads {fmt(r)}x the base: "
                   + ("a ratio closer to 1 than that is emulator noise)"
                      if abs(r - 1) > 0.05 else "within 5%)"))
    d = pat["mem"].get("vevent_decoded")
    if d:
        slot = float(d["alloc_bytes_per_slot"])
        out.append(f"  <= 64 B of kernel memory per queued unrecoverable "
                   f"event: {fmt(slot, 1)} B per ring slot (a decoded "
                   "event: 8 B header, 72 B record): "
                   f"{'met' if slot <= 64 else 'NOT met'}")
        per = int(float(d["bytes_per_event"]))
        a, a0 = allocs(pat, "vevent_decoded"), allocs(pat, "floor")
        if a is not None and a0 is not None:
            # The trigger is the null op's path plus the report
            ok = per < 8 and a - a0 < 0.05
            how = (f"{per} B per queued event beyond the ring, "
                   f"{fmt(a)} allocations per trigger against "
                   f"{fmt(a0)} for the null op")
        else:
            ok = per < 8
            how = (f"{per} B per queued event beyond the ring "
                   "(no tracepoints to count allocations)")
        out.append("  no allocation per event on the report path of "
                   f"unrecoverable events (decoded vEVENTQ): {how}: "
                   f"{'met' if ok else 'NOT met'}")
        out.append("  (page requests allocate their iopf_group, one per "
                   f"request, in both kernels: {fmt(allocs(base, 'iopf'))} "
                   f"and {fmt(allocs(pat, 'iopf'))})")

    if args.config_diff and os.path.getsize(args.config_diff):
        out.append("")
        out.append("Configuration differences (< base, > patched):")
        for line in open(args.config_diff):
            if line[0] in "<>":
                out.append("  " + line.rstrip())
    for name, res in (("base", base), ("patched", pat)):
        for i in res["info"]:
            out.append(f"note ({name}): {i}")

    text = "\n".join(out) + "\n"
    sys.stdout.write(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "table.txt"), "w") as f:
        f.write(text)
    plot(base, pat, args.out)


def plot(base, pat, outdir):
    """The latency distributions (percentiles 1-99) as one PNG."""
    series = [("floor", base, "base: null op"),
              ("floor", pat, "patched: null op"),
              ("iopf_rt_2thread", base, "base: page request, 2 threads"),
              ("iopf_rt_2thread", pat, "patched: page request, 2 threads"),
              ("iopf_rt_1thread", base, "base: page request, 1 thread"),
              ("iopf_rt_1thread", pat, "patched: page request, 1 thread"),
              ("vevent_decoded_wake", pat, "patched: decoded vEVENT wake-up")]
    series = [s for s in series if s[0] in s[1]["cdf"]]
    # One colour a path; the base dashed, the patched kernel solid
    colour = {"floor": 1, "iopf_rt_2thread": 2, "iopf_rt_1thread": 3,
              "vevent_decoded_wake": 4}
    dat = os.path.join(outdir, "latency.dat")
    with open(dat, "w") as f:
        f.write("# percentile " + " | ".join(s[2] for s in series) + "\n")
        for i in range(99):
            f.write(f"{i + 1} " + " ".join(str(s[1]["cdf"][s[0]][i])
                                           for s in series) + "\n")
    png = os.path.join(outdir, "latency.png")
    gp = os.path.join(outdir, "latency.gp")
    lines = [
        "set terminal pngcairo size 1000,600",
        f"set output '{png}'",
        "set title 'iommufd fault delivery, mock driver, QEMU TCG 2 vCPUs "
        "(percentiles 1-99)'",
        "set xlabel 'latency (us, log scale)'",
        "set ylabel 'percentile'",
        "set logscale x",
        "set key bottom right",
        "set grid",
        "plot " + ", ".join(
            f"'{dat}' using {i + 2}:1 with lines lw 2 "
            f"dt {2 if s[1] is base else 1} lc {colour[s[0]]} "
            f"title '{s[2]}'"
            for i, s in enumerate(series)),
    ]
    with open(gp, "w") as f:
        f.write("\n".join(lines) + "\n")
    if not shutil.which("gnuplot"):
        print(f"note: gnuplot is missing: no plot (data in {dat})")
        return
    subprocess.run(["gnuplot", gp], check=True)
    print(f"plot: {png} (gnuplot script {gp}, data {dat})")


if __name__ == "__main__":
    main()
