#!/usr/bin/env bash
# Build every commit of the series on its own, so that the series bisects:
# vmlinux (with W=1: a warning on a line the commit changes fails it), its
# headers and the iommu kselftests, incrementally in one build directory.
# usage: scripts/build-each.sh ARCH [TREE [OUT]]
#   TREE  default build/linux; OUT default TREE/../bisect-ARCH
# By default the commits are checked out in a worktree of TREE beside it.
# INPLACE=1 checks them out in TREE itself (which must be clean) and returns
# it to its HEAD at the end: with OUT the build directory of TREE's HEAD,
# only what each commit changes is rebuilt (make check does so).
# Prints one ok/not ok line per commit, with its build time; exits 1 if any
# fails to build.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 1 ] || die "usage: $0 ARCH [TREE [OUT]]"
arch=$1
tree=$(realpath "${2:-$BUILD/linux}")
out=${3:-$(dirname "$tree")/bisect-$arch}
[ -d "$tree/.git" ] || die "$tree is not a work tree; run 'make tree' first"

if [ "${INPLACE:-}" = 1 ]; then
	[ -z "$(git -C "$tree" status --porcelain)" ] ||
		die "$tree has changes; INPLACE=1 needs a clean tree"
	wt=$tree
	head=$(git -C "$tree" symbolic-ref -q --short HEAD ||
	       git -C "$tree" rev-parse HEAD)
	trap 'git -C "$tree" checkout -q "$head"' EXIT
else
	wt=$(dirname "$tree")/bisect-src
	rm -rf "$wt"
	git -C "$tree" worktree prune
	git -C "$tree" worktree add -q --detach "$wt" base
	trap 'rm -rf "$wt"; git -C "$tree" worktree prune' EXIT
	# The worktree has no "base" tag of its own: it shares the tree's refs.
fi

fail=0
for c in $(git -C "$tree" rev-list --reverse base..HEAD); do
	subject=$(git -C "$tree" log -1 --format=%s "$c")
	git -C "$wt" checkout -q --detach "$c"
	t0=$(date +%s)
	if BISECT=1 "$TOP/scripts/build-kernel.sh" "$arch" "$wt" "$out" 2>"$LOGS/bisect-step.log"; then
		echo "ok builds alone ($arch, $(( $(date +%s) - t0 ))s): $subject"
	else
		echo "not ok builds alone ($arch): $subject"
		sed 's/^/    /' "$LOGS/bisect-step.log" | tail -n 15
		fail=1
	fi
done
exit $fail
