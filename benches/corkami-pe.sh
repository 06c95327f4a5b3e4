#!/usr/bin/env bash
# The corkami PE corpus (github.com/corkami/pocs, folder PE/bin: hand-made images exercising
# every corner of the PE format the Windows loader accepts) scanned as a root: the scan must
# finish, and every PE file must become a component (with errors beside it for the fields
# that are deliberately nonsense), never a crash. The corpus carries no licence, so it is not
# vendored: pass a checkout of corkami/pocs.
#
#   benches/corkami-pe.sh /path/to/pocs [sovscan-binary]
set -euo pipefail
pocs=${1:?usage: $0 /path/to/corkami/pocs [sovscan]}
bin=${2:-target/release/sovscan}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/pe"
cp -r "$pocs/PE/bin/." "$work/root/pe/"
/usr/bin/time -f "scan: %e s, peak RSS %M KB" "$bin" scan --root "$work/root" -f json -o "$work/r.json"
python3 - "$work/root/pe" "$work/r.json" <<'PY'
import json, os, sys
d, r = sys.argv[1], json.load(open(sys.argv[2]))
pe = []
for f in sorted(os.listdir(d)):
    b = open(os.path.join(d, f), "rb").read(0x1000).ljust(0x40, b"\0")
    o = int.from_bytes(b[0x3c:0x40], "little")
    if b[:2] == b"MZ" and b.ljust(o + 4, b"\0")[o:o + 4] == b"PE\0\0":
        pe.append("/pe/" + f)
located = {l for c in r["components"] for l in c.get("locations", [])}
crashed = [e for e in r["errors"] if "failed on this file" in e["error"]]
missing = [p for p in pe if p not in located]
print(f"PE images: {len(pe)}, components: {len(pe) - len(missing)}, errors: {len(r['errors'])}, collector crashes: {len(crashed)}")
for p in missing:
    print("  no component:", p, [e["error"] for e in r["errors"] if e["path"] == p])
sys.exit(1 if missing or crashed else 0)
PY
