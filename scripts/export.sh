#!/usr/bin/env bash
# Regenerate patches/ (format-patch output and a quilt series file) from
# base..HEAD of the work tree.  Exporting an unchanged tree changes no file.
# The cover letter, patches/0000-cover-letter.patch, is written by hand;
# only its patch count, shortlog and diffstat are refreshed here.
# Work in progress: the first commit whose subject starts with "WIP" and
# every commit after it go to patches/wip/ (with their own series file),
# outside patches/series, so `make check` never applies them.
# usage: scripts/export.sh [DIR]      (default: build/linux)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=${1:-$BUILD/linux}
out=$TOP/patches
[ -d "$dir/.git" ] || die "$dir is not a work tree; run 'make tree' first"
[ -z "$(git -C "$dir" status --porcelain --untracked-files=no)" ] ||
	status "warning: $dir has uncommitted changes; only commits are exported"

# The last commit of the series proper: the one before the first WIP commit.
wip_first=$(git -C "$dir" log --reverse --format='%H %s' base..HEAD |
	    awk '$2 ~ /^(\[)?WIP/ { print $1; exit }')
end=HEAD
[ -n "$wip_first" ] && end=$wip_first~1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# export_range RANGE OUTDIR: format-patch RANGE into OUTDIR with a series
# file; unchanged files are left alone, stale numbered patches removed.
export_range() {
	local range=$1 dest=$2 p name
	rm -rf "$tmp"/*
	git -C "$dir" format-patch -q --zero-commit --no-signature \
		--full-index --stat=72 -o "$tmp" "$range"
	mkdir -p "$dest"
	: >"$tmp/series"
	for p in "$tmp"/*.patch; do
		[ -e "$p" ] || break
		name=$(basename "$p")
		echo "$name" >>"$tmp/series"
		cmp -s "$p" "$dest/$name" || cp "$p" "$dest/$name"
	done
	# Drop patches that are no longer there (the cover letter stays).
	for p in "$dest"/[0-9][0-9][0-9][0-9]-*.patch; do
		[ -e "$p" ] || break
		name=$(basename "$p")
		[ "$name" = 0000-cover-letter.patch ] && continue
		grep -qx "$name" "$tmp/series" || rm -f "$p"
	done
	cmp -s "$tmp/series" "$dest/series" || cp "$tmp/series" "$dest/series"
}

export_range "base..$end" "$out"
status "exported $(wc -l <"$out/series") patches to patches/"
# The cover letter's shortlog, diffstat and patch count follow the series
if [ -f "$out/0000-cover-letter.patch" ]; then
	python3 "$TOP/scripts/cover-refresh.py" "$out/0000-cover-letter.patch" "$dir" "$end"
fi
if [ -n "$wip_first" ]; then
	export_range "$end..HEAD" "$out/wip"
	status "exported $(wc -l <"$out/wip/series") work-in-progress patches to patches/wip/"
elif [ -d "$out/wip" ]; then
	rm -rf "$out/wip"
	status "no WIP commits: removed patches/wip/"
fi
