#!/usr/bin/env bash
# Live files: a 300 MB file (a real ELF library padded with data) truncated while
# `scan --deep` reads it, RUNS times (default 5) at different moments. Every run must exit 0
# with a report; the truncated file is reported, never a crash (no file is memory-mapped).
#
#   benches/live-truncate.sh [RUNS] [sovscan-binary]
set -uo pipefail
runs=${1:-5} bin=${2:-target/release/sovscan}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/opt"
ok=0
for i in $(seq 1 "$runs"); do
  f="$work/root/opt/big.so"
  cp fixtures/dpkg/debian-12/usr/lib/x86_64-linux-gnu/libz.so.1.2.13 "$f"
  head -c 300000000 /dev/urandom >>"$f"
  "$bin" scan --deep --root "$work/root" -f json -o "$work/r$i.json" 2>"$work/e$i" &
  pid=$!
  sleep "0.$((i * 15))"
  truncate -s $((RANDOM * 100)) "$f"
  wait $pid
  rc=$?
  if [ $rc -eq 0 ] && [ -s "$work/r$i.json" ]; then
    ok=$((ok + 1))
    what=$(python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('; '.join(e['error'][:90] for e in r['errors'] if e['path']=='/opt/big.so') or 'no error (read before the cut)')" "$work/r$i.json")
    echo "run $i: exit 0, /opt/big.so: $what"
  else
    echo "run $i: exit $rc: $(tail -1 "$work/e$i")"
  fi
done
echo "survived $ok of $runs"
[ "$ok" -eq "$runs" ]
