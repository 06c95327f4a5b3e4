#!/usr/bin/env bash
# Times `sovscan scan --deep` against `rg -a -c -F -f PATTERNS` over the same tree of binaries.
#
# The tree is hard links to this machine's /usr/lib/x86_64-linux-gnu and /usr/bin (no package
# database, so every ELF is an unowned binary that the deep scan searches); the patterns are the
# first 1000 vendor names of pci.ids (pciutils), written both as PATTERNS for rg and as a rule
# directory whose vendors' `strings` sovscan compiles. sovscan searches each string in ASCII and
# UTF-16LE (2000 patterns) and also parses, attributes and writes its JSON report; rg only counts.
#
#   bash benches/deep-vs-rg.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v rg >/dev/null || { echo "needs ripgrep (apt-get install ripgrep)" >&2; exit 2; }
ids=/usr/share/misc/pci.ids
[ -r "$ids" ] || { echo "needs $ids (apt-get install pciutils)" >&2; exit 2; }
mkdir -p "$work/tree/opt" "$work/rules/vendors"
cp -al /usr/lib/x86_64-linux-gnu "$work/tree/opt/lib" 2>/dev/null || cp -a /usr/lib/x86_64-linux-gnu "$work/tree/opt/lib"
cp -al /usr/bin "$work/tree/opt/bin" 2>/dev/null || cp -a /usr/bin "$work/tree/opt/bin"
grep -E '^[0-9a-f]{4}  ' "$ids" | cut -c7- | grep -v '["\\]' | LC_ALL=C awk 'length($0) >= 6' \
  | LC_ALL=C sort -u | head -n 1000 > "$work/PATTERNS"
awk '{ printf "- id: bench-%d\n  name: \"Bench vendor %d\"\n  country: US\n  sources: [\"https://pci-ids.ucw.cz/\"]\n  match:\n    strings: [\"%s\"]\n", NR, NR, $0 }' \
  "$work/PATTERNS" > "$work/rules/vendors/us.yaml"
cargo build --release --quiet
bin=target/release/sovscan
echo "tree: $(find "$work/tree" -type f | wc -l) files, $(du -sh "$work/tree" | cut -f1); patterns: $(wc -l < "$work/PATTERNS")"
find "$work/tree" -type f -print0 | xargs -0 cat > /dev/null   # warm the page cache
for i in $(seq "$runs"); do
  /usr/bin/time -f "rg -a -c -F -f PATTERNS: %e s wall, %U s user, %M KB" rg -a -c -F -f "$work/PATTERNS" "$work/tree" > "$work/rg.out" || true
  /usr/bin/time -f "sovscan scan --deep:     %e s wall, %U s user, %M KB" "$bin" scan --root "$work/tree" --rules "$work/rules" --deep -f json -o "$work/deep.json"
done
/usr/bin/time -f "sovscan scan (no deep):  %e s wall, %U s user, %M KB" "$bin" scan --root "$work/tree" --rules "$work/rules" -f json -o /dev/null
echo "files with a hit: rg $(wc -l < "$work/rg.out"), sovscan $(grep -o '"kind": *"string"' "$work/deep.json" | wc -l) hits"
