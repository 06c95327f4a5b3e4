#!/usr/bin/env bash
# Speed benchmark of the fleet store (`sovscan db`): a fleet synthesised from real reports,
# ingested into SQLite (and PostgreSQL when SOVSCAN_TEST_PG or a second argument names one),
# then every query timed.
#
#   benches/db-fleet.sh [HOSTS] [POSTGRES-URL]
#
# The fleet: HOSTS hosts (default 2000) x 4 quarters of 2026, each report about 100 components
# cloned from real scans of fixtures/dpkg/debian-12 and fixtures/rpm/mariner-2.0 (their
# vendors, owners, origins and categories), with packages added, removed and upgraded between
# quarters. Prints reports/s for ingest, the time of a second (no-op) ingest, the peak resident
# memory of ingest (GNU time), and each query's time. Needs python3 to synthesise the reports.
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${1:-2000}
PG=${2:-${SOVSCAN_TEST_PG:-}}
cargo build --release --quiet
BIN=$PWD/${CARGO_TARGET_DIR:-target}/release/sovscan
WORK=${BENCH_DIR:-/tmp/sovscan-db-bench}
rm -rf "$WORK" && mkdir -p "$WORK/fleet"
SOURCE_DATE_EPOCH=1782000000 "$BIN" scan --reproducible -f json --home DE \
    --root fixtures/dpkg/debian-12 -o "$WORK/deb.json"
SOURCE_DATE_EPOCH=1782000000 "$BIN" scan --reproducible -f json --home DE \
    --root fixtures/rpm/mariner-2.0 -o "$WORK/mar.json"

python3 - "$WORK" "$HOSTS" <<'PY'
import json, random, sys, os
work, hosts = sys.argv[1], int(sys.argv[2])
bases = [json.load(open(os.path.join(work, f))) for f in ("deb.json", "mar.json")]
pool = [c for b in bases for c in b["components"] if not c.get("part_of")]
for c in pool:
    c["evidence"] = []
    c["locations"] = c["locations"][:1]
rng = random.Random(14)
starts = ["2026-02-10", "2026-05-12", "2026-08-11", "2026-11-10"]
for h in range(hosts):
    host = f"host-{h:05d}"
    comps = {}
    for i in range(100):
        base = rng.choice(pool)
        name = f"{base['name']}-{rng.randrange(400)}"
        comps[name] = (base, rng.randrange(1, 5))
    for q, day in enumerate(starts):
        if q:
            for name in rng.sample(sorted(comps), 5):        # removed
                del comps[name]
            for name in rng.sample(sorted(comps), 5):        # upgraded
                b, v = comps[name]; comps[name] = (b, v + 1)
            for _ in range(5):                               # added
                base = rng.choice(pool)
                comps[f"{base['name']}-{rng.randrange(400, 800)}"] = (base, 1)
        out = []
        for name, (base, v) in sorted(comps.items()):
            c = dict(base)
            eco = c.get("ecosystem") or "x"
            c["name"], c["version"] = name, f"{v}.0"
            c["id"] = f"{eco}:{name}@{v}.0"
            c.pop("purl", None)
            out.append(c)
        r = dict(bases[0])
        r["scan"] = dict(r["scan"], host=host, started=f"{day}T{h % 24:02d}:00:00Z")
        r["components"] = out
        r["relationships"] = []
        r["roots"] = []
        counts = {}
        for c in out:
            o = c.get("origin") or "unknown"
            counts[o] = counts.get(o, 0) + 1
        r["summary"] = dict(components=len(out), by_origin=counts, by_country={},
                            by_category={}, by_vendor={})
        with open(os.path.join(work, "fleet", f"{host}-q{q + 1}.json"), "w") as f:
            json.dump(r, f, separators=(",", ":"))
PY
n=$(ls "$WORK/fleet" | wc -l)
echo "fleet: $n reports ($(du -sh "$WORK/fleet" | cut -f1))"

bench() { # label, db-url
    local label=$1 url=$2 t0 t1
    echo "== $label"
    t0=$(date +%s.%N)
    /usr/bin/time -f "peak RSS %M KiB" -o "$WORK/time" "$BIN" db --db "$url" ingest "$WORK/fleet"
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN {printf "ingest: %.1f s, %.0f reports/s\n", b-a, n/(b-a)}'
    cat "$WORK/time"
    t0=$(date +%s.%N)
    "$BIN" db --db "$url" ingest "$WORK/fleet"
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "re-ingest: %.1f s\n", b-a}'
    for q in "trend" "trend --by country" "trend --by vendor --home US" \
        "diff --from 2026-Q3 --to 2026-Q4" "hosts --vendor microsoft" \
        "hosts --country US --as-of 2026-09-30" "check --policy builtin:eu-sovereignty"; do
        t0=$(date +%s.%N)
        # shellcheck disable=SC2086
        "$BIN" db --db "$url" $q -f json >/dev/null || true
        t1=$(date +%s.%N)
        awk -v a="$t0" -v b="$t1" -v q="$q" 'BEGIN {printf "  %-40s %.2f s\n", q, b-a}'
    done
    t0=$(date +%s.%N)
    "$BIN" db --db "$url" query "SELECT quarter, origin, hosts, components FROM v_quarterly_reliance" >/dev/null
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "  %-40s %.2f s\n", "query v_quarterly_reliance", b-a}'
}

rm -f "$WORK/fleet.db"*
bench SQLite "$WORK/fleet.db"
if [ -n "$PG" ]; then
    bench PostgreSQL "$PG"
fi
