#!/usr/bin/env bash
# Distil each target's working corpus into the small corpus checked in at fuzz/corpus/<target>/
# (replayed by tests/fuzz_corpus.rs): libFuzzer's merge keeps the smallest inputs that reach
# all the coverage, each cut to 16 KiB; of those the smallest are kept up to 128 KiB per
# target, so the checked-in corpus stays small.
#
#   fuzz/minimize.sh FROM-DIR [TARGET...]   (FROM-DIR/<target>/ holds a run's corpus)
set -euo pipefail
cd "$(dirname "$0")"
from=$(cd "${1:?usage: $0 FROM-DIR [TARGET...]}" && pwd); shift
bin=target/x86_64-unknown-linux-gnu/release
targets=${*:-$(sed -n 's/^name = "\([a-z]*\)"$/\1/p' Cargo.toml | grep -v sovscan-fuzz)}
for t in $targets; do
  [ -d "$from/$t" ] || continue
  rm -rf "corpus/$t.new" && mkdir -p "corpus/$t.new"
  "$bin/$t" -merge=1 -max_len=16384 -timeout=10 -rss_limit_mb=2048 "corpus/$t.new" "$from/$t" >/dev/null 2>&1
  total=0
  for f in $(ls -Sr "corpus/$t.new"); do
    size=$(stat -c %s "corpus/$t.new/$f")
    if [ $((total + size)) -gt 131072 ]; then rm "corpus/$t.new/$f"; else total=$((total + size)); fi
  done
  rm -rf "corpus/$t" && mv "corpus/$t.new" "corpus/$t"
  echo "$t: $(ls "corpus/$t" | wc -l) inputs, $(du -sk "corpus/$t" | cut -f1) KiB"
done
