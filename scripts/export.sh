#!/usr/bin/env bash
# Regenerate patches/ (format-patch output and a quilt series file) from
# base..HEAD of the work tree.  Exporting an unchanged tree changes no file.
# The cover letter, patches/0000-cover-letter.patch, is written by hand and
# kept as it is.
# usage: scripts/export.sh [DIR]      (default: build/linux)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=${1:-$BUILD/linux}
out=$TOP/patches
[ -d "$dir/.git" ] || die "$dir is not a work tree; run 'make tree' first"
[ -z "$(git -C "$dir" status --porcelain --untracked-files=no)" ] ||
	status "warning: $dir has uncommitted changes; only commits are exported"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$dir" format-patch -q --zero-commit --no-signature \
	--full-index --stat=72 -o "$tmp" base..HEAD

mkdir -p "$out"
: >"$tmp/series"
for p in "$tmp"/*.patch; do
	[ -e "$p" ] || break
	name=$(basename "$p")
	echo "$name" >>"$tmp/series"
	cmp -s "$p" "$out/$name" || cp "$p" "$out/$name"
done
# Drop patches that are no longer in the series (the cover letter stays).
for p in "$out"/[0-9][0-9][0-9][0-9]-*.patch; do
	[ -e "$p" ] || break
	name=$(basename "$p")
	[ "$name" = 0000-cover-letter.patch ] && continue
	grep -qx "$name" "$tmp/series" || rm -f "$p"
done
cmp -s "$tmp/series" "$out/series" || cp "$tmp/series" "$out/series"
status "exported $(wc -l <"$out/series") patches to patches/"
