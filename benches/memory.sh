#!/usr/bin/env bash
# Peak memory (and time) of sovscan scans, measured with GNU time:
#   - an empty tree;
#   - TREE (default /usr) in every output format;
#   - 1x, 2x and 4x copies of TREE side by side (hard-linked, so no disk is used): peak memory
#     must stay flat as the tree grows;
#   - the host itself (`sovscan scan`), unless NO_HOST=1.
#
#   benches/memory.sh [TREE] [sovscan-binary]
set -euo pipefail
tree=${1:-/usr}
bin=${2:-target/release/sovscan}
work=$(mktemp -d /var/tmp/sovscan-mem.XXXXXX)
trap 'rm -rf "$work"' EXIT
measure() { # measure LABEL ARGS...
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/t" "$bin" "$@" >/dev/null 2>&1 || true
  read -r secs kb <"$work/t"
  printf "%-34s %8s s %8.1f MiB\n" "$label" "$secs" "$(echo "$kb / 1024" | bc -l)"
}
mkdir -p "$work/empty"
measure "empty tree" scan --root "$work/empty" -o "$work/out"
for f in json cyclonedx spdx table csv markdown html xlsx; do
  measure "$tree -f $f" scan --root "$tree" -f "$f" -o "$work/out"
done
for n in 1 2 4; do
  mkdir -p "$work/x$n"
  for i in $(seq 1 "$n"); do
    cp -al "$tree" "$work/x$n/copy$i" 2>/dev/null || cp -a "$tree" "$work/x$n/copy$i"
  done
  measure "${n}x $tree (json)" scan --root "$work/x$n" -f json -o "$work/out"
  rm -rf "$work/x$n"
done
if [ "${NO_HOST:-0}" != 1 ]; then
  measure "host (json)" scan -f json -o "$work/out"
fi
