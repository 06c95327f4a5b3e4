#!/usr/bin/env bash
# Run sovscan's fuzz targets with libFuzzer (cargo-fuzz on the stable toolchain) and report,
# per target, executions, speed, coverage and findings.
#
#   fuzz/run.sh [-r RUNS] [-t SECONDS] [TARGET...]
#
# Each target runs until RUNS executions (default 10,000,000) or SECONDS (default 1800),
# whichever comes first, from its checked-in corpus (fuzz/corpus/<target>/) plus the seeds
# fuzz/seed.sh builds from the fixtures. New inputs go to fuzz/work/<target>/; those that add
# coverage are merged back into fuzz/corpus/<target>/ (at most 64 KiB each, so the corpus stays
# small enough to check in and to replay in `cargo test`). Crashes, timeouts (an input running
# over 10 s) and out-of-memory inputs (over 2 GiB) land in fuzz/artifacts/<target>/; a fixed one
# is copied to fuzz/regressions/<target>/, which tests/fuzz_corpus.rs replays for ever.
#
# Why libFuzzer through cargo-fuzz on stable: the machines have only the stable toolchain.
# cargo-fuzz's instrumentation is ordinary `-C passes=sancov-module` LLVM flags and, with
# `-s none` (no sanitizer: the crate forbids `unsafe`), it needs no nightly feature; its one
# `-Z` use is switched on by RUSTC_BOOTSTRAP=1. `-O` keeps cargo-fuzz from adding debug assertions
# to every crate; fuzz/Cargo.toml turns overflow checks and debug
# assertions on in sovscan's own code, so an arithmetic overflow there is a finding, not a
# silent wrap, and builds third-party crates as the shipped binary has them.
set -euo pipefail
cd "$(dirname "$0")"
runs=10000000 secs=1800
while getopts "r:t:" o; do
  case $o in
    r) runs=$OPTARG ;;
    t) secs=$OPTARG ;;
    *) echo "usage: $0 [-r RUNS] [-t SECONDS] [TARGET...]" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
all=$(sed -n 's/^name = "\([a-z]*\)"$/\1/p' Cargo.toml | grep -v sovscan-fuzz)
targets=${*:-$all}
[ -d seeds ] || ./seed.sh >/dev/null
cargo fuzz build -O -s none >/dev/null 2>&1 || cargo fuzz build -O -s none
bin=target/x86_64-unknown-linux-gnu/release
max_len() {
  case $1 in
    elf | pe | macho | gobuildinfo) echo 131072 ;;
    rpm | regf | firmware | squashfs | uefi | uimage | cpio | fdt | blob | trust) echo 262144 ;;
    *) echo 65536 ;;
  esac
}
mkdir -p logs
printf "%-12s %12s %10s %8s %8s %8s  %s\n" target execs exec/s seconds cov ft findings
for t in $targets; do
  mkdir -p "corpus/$t" "work/$t" "artifacts/$t" "seeds/$t"
  log=logs/$t.log
  start=$(date +%s)
  set +e
  "$bin/$t" "work/$t" "corpus/$t" "seeds/$t" \
    -artifact_prefix="artifacts/$t/" -runs="$runs" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -close_fd_mask=3 >"$log" 2>&1
  set -e
  took=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  found=$(find "artifacts/$t" -type f | wc -l)
  printf "%-12s %12s %10s %8s %8s %8s  %s\n" "$t" "${execs:-?}" "${speed:-?}" "$took" "${cov:-?}" "${ft:-?}" "$found"
  # Keep what adds coverage, small inputs only.
  mkdir -p "work/$t.small"
  find "work/$t" -type f -size -65k -exec mv {} "work/$t.small/" \; 2>/dev/null || true
  "$bin/$t" "corpus/$t" "work/$t.small" -merge=1 -max_len="$(max_len "$t")" \
    -timeout=10 -rss_limit_mb=2048 >>"$log" 2>&1 || true
  rm -rf "work/$t" "work/$t.small"
done
