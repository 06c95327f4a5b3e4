#!/usr/bin/env bash
# Speed benchmark: sovscan over a large real tree (default: this machine's /usr), with the bare
# walk (`find TREE -type f | wc -l`) timed beside it as the floor. Prints files/s and MB/s.
#
#   benches/scan-usr.sh [TREE]
#
# Three timings, each after one warm-up run so the page cache is warm for all of them:
#   floor   find TREE -type f | wc -l
#   host    sovscan scan TREE           (the host's package databases mark owned files, which
#                                        are then not opened at all)
#   worst   sovscan scan --root TREE    (no package database: every file's header is read and
#                                        every ELF is parsed)
set -euo pipefail
cd "$(dirname "$0")/.."
TREE=${1:-/usr}
cargo build --release --quiet
BIN=${CARGO_TARGET_DIR:-target}/release/sovscan

files=$(find "$TREE" -xdev -type f | wc -l)
bytes=$(find "$TREE" -xdev -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
mb=$(awk -v b="$bytes" 'BEGIN {printf "%.0f", b/1048576}')
echo "tree: $TREE — $files regular files, $mb MB"

timeit() { # label, command...
    local label=$1
    shift
    "$@" >/dev/null 2>&1 || true
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>/tmp/sovscan-bench.err || { echo "$label failed:"; cat /tmp/sovscan-bench.err; return 1; }
    t1=$(date +%s.%N)
    awk -v l="$label" -v a="$t0" -v b="$t1" -v f="$files" -v m="$mb" \
        'BEGIN {d=b-a; printf "%-6s %7.2f s  %10.0f files/s  %9.0f MB/s\n", l, d, f/d, m/d}'
}

timeit floor sh -c "find '$TREE' -xdev -type f | wc -l"
timeit host "$BIN" scan --format json "$TREE"
timeit worst "$BIN" scan --format json --root "$TREE"
