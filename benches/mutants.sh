#!/usr/bin/env bash
# Hostile inputs: N mutants (default 3000) of the repository's real ELF, PE, Mach-O and
# firmware fixtures (bit flips, overwritten words, truncation, duplicated and deleted runs),
# made with SEED, scanned as one root. The scan must finish, and every mutant must be a
# component or an error entry (or be a file no collector claims); none may crash a collector.
#
#   benches/mutants.sh [N] [SEED] [sovscan-binary]
set -euo pipefail
n=${1:-3000} seed=${2:-$RANDOM} bin=${3:-target/release/sovscan}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/root/m" "$n" "$seed" <<'PY'
import os, random, sys
out, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
srcs = []
for d, _, fs in os.walk("fixtures"):
    for f in fs:
        p = os.path.join(d, f)
        if os.path.islink(p) or not os.path.isfile(p):
            continue
        b = open(p, "rb").read(4 << 20)
        if b[:4] == b"\x7fELF" or b[:2] == b"MZ" or b[:4] in (b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"\xce\xfa\xed\xfe", b"\xd0\x0d\xfe\xed", b"\x27\x05\x19\x56") or b[40:44] == b"_FVH" or p.endswith((".fd", ".itb", ".dtb", ".img")):
            srcs.append((p, b))
os.makedirs(out, exist_ok=True)
for i in range(n):
    p, b = rnd.choice(srcs)
    b = bytearray(b)
    for _ in range(rnd.randint(1, 8)):
        op = rnd.random()
        if op < 0.35 and b:
            j = rnd.randrange(len(b)); b[j] ^= 1 << rnd.randrange(8)
        elif op < 0.6 and len(b) > 8:
            j = rnd.randrange(min(len(b) - 4, 4096) if rnd.random() < 0.7 else len(b) - 4)
            b[j:j + 4] = rnd.choice([b"\xff\xff\xff\xff", b"\x00\x00\x00\x80", b"\x00\x00\x00\x00", b"\x01\x00\x00\x00", rnd.randbytes(4)])
        elif op < 0.75 and b:
            b = b[:rnd.randrange(len(b))]
        elif op < 0.9 and b:
            j = rnd.randrange(len(b)); k = min(len(b), j + rnd.randint(1, 256)); b[j:j] = b[j:k]
        elif b:
            j = rnd.randrange(len(b)); del b[j:j + rnd.randint(1, 256)]
    name = f"{i:05d}-{os.path.basename(p)}"
    open(os.path.join(out, name), "wb").write(bytes(b))
print(f"{n} mutants of {len(srcs)} files, seed {seed}")
PY
start=$(date +%s.%N)
/usr/bin/time -f "scan: %e s, peak RSS %M KB" timeout 300 "$bin" scan --root "$work/root" -f json -o "$work/r.json"
python3 - "$work/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
crashed = [e for e in r["errors"] if "failed" in e["error"] and "collector" in e["error"]]
print(f"components {len(r['components'])}, errors {len(r['errors'])}, collector crashes {len(crashed)}")
for e in crashed[:10]:
    print("  ", e["path"], e["error"][:200])
sys.exit(1 if crashed else 0)
PY
