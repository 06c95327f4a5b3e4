#!/usr/bin/env bash
# Build the seed inputs of every fuzz target in fuzz/seeds/<target>/ from the repository's
# real fixtures (see fixtures/README.md for their origin). Inputs that no fixture holds are
# made here with the real tools or written from their format (squashfs by mksquashfs, cpio
# newc archives, selector-prefixed inputs for targets that take several formats). The seeds
# are not checked in; fuzz/corpus/<target>/ holds the minimised corpus a run leaves.
set -euo pipefail
cd "$(dirname "$0")/.."
F=fixtures
S=fuzz/seeds
rm -rf "$S"
mkdir -p "$S"

put() { # put TARGET FILE... : copy files (at most 4 MiB each) into a target's seeds
  local t=$1; shift
  mkdir -p "$S/$t"
  for f in "$@"; do
    [ -f "$f" ] || continue
    [ "$(stat -c %s "$f")" -le 4194304 ] || continue
    cp "$f" "$S/$t/$(echo "$f" | sha1sum | cut -c1-12)-$(basename "$f" | tr -c 'A-Za-z0-9._\n-' _)"
  done
}
sel() { # sel TARGET BYTE FILE... : seeds prefixed by a selector byte
  local t=$1 b=$2; shift 2
  mkdir -p "$S/$t"
  for f in "$@"; do
    [ -f "$f" ] || continue
    { printf "\\x$(printf %02x "$b")"; cat "$f"; } > "$S/$t/sel$b-$(echo "$f" | sha1sum | cut -c1-8)-$(basename "$f" | tr -c 'A-Za-z0-9._\n-' _)"
  done
}

elfs=$(find $F -type f -size -2M -exec sh -c 'head -c4 "$1" | grep -q "^.ELF" && echo "$1"' _ {} \;)
put elf $elfs
gunzip -c $F/golang/binary/hello.gz > /tmp/sovscan-seed-hello
put gobuildinfo /tmp/sovscan-seed-hello $F/cargo-auditable/bin/usr/local/bin/hello-auditable
put pe "$F/pe/windows/Program Files/Python311/msvcp140_codecvt_ids.dll" \
  "$F/pe/windows/Program Files/Python311/Lib/site-packages/markupsafe/_speedups.cp311-win_amd64.pyd" \
  $F/pe/efi/usr/lib/shim/shimx64.efi.signed $(find $F/python/win-wheel -name '*.dll' -size -200k)
put macho $(find $F/macho -type f ! -name '*.plist' ! -name PkgInfo)
put rpm $(find $F/rpm -type f ! -name os-release)
put dpkg $(find $F/dpkg -name status -o -name copyright -type f) $(find $F/dpkg -path '*status.d/*' ! -name '*.md5sums')
put apk $F/apk/alpine-3.14/lib/apk/db/installed
put regf $(find $F/windows $F/trust/windows -type f \( -name SOFTWARE -o -name NTUSER.DAT \))
put fdt $(find $F -name '*.dtb')
put uimage $(find $F -name '*.itb')
sel uefi 0 $F/firmware/debian-12/usr/share/OVMF/OVMF_SECFV.fd $F/trust/ovmf/OVMF_VARS.ms.fd
put firmware $(find $F/firmware $F/bootrom -type f ! -name '*.sh')
put blob $(find $F/firmware-blobs $F/linux-firmware $F/bootrom -type f ! -name copyright)
sel plist 0 $(find $F/macho -name Info.plist)
sel plist 1 $(find $F -path '*receipts*' -name '*.plist')
sel locks 0 $(find $F/npm -name package-lock.json)
sel locks 1 $(find $F/npm -name yarn.lock)
sel locks 2 $(find $F/npm -name pnpm-lock.yaml)
sel gomod 0 $(find $F/golang -name go.mod)
sel gomod 1 $(find $F -name go.sum)
sel trust 0 $(find $F/trust \( -path '*efivars*' -o -path '*mok-variables*' \) -type f)
sel trust 1 $F/trust/host/etc/ssl/certs/ca-certificates.crt $(find $F/trust -name '*.crt' | head -3)
sel trust 2 $F/trust/host/etc/ssl/certs/java/cacerts $F/trust/host/opt/jdk/lib/security/cacerts
sel trust 3 $F/pe/efi/usr/lib/shim/shimx64.efi.signed
sel trust 4 $(find $F/trust/certs -name '*.der')
put input $(find $F/inputs -type f)
for f in $(find $F/rules/good-* $F/reports/rules $F/policy/rules $F/hardware/rules -name '*.yaml' -path '*vendors*'); do sel rules 0 "$f"; done
for f in $(find $F/reports/rules $F/policy/rules -name '*.yaml' -path '*products*'); do sel rules 1 "$f"; done
for f in $(find $F/policy/rules -name '*.yaml' -path '*lists*'); do sel rules 2 "$f"; done
sel rules 3 rules/regions.yaml
sel rules 4 rules/categories.yaml
sel rules 5 rules/db.yaml
put policy $(find $F/policy -maxdepth 1 -name '*.yaml')

# Binary-format plists (as macOS writes receipts and many bundles) of the same dictionaries.
python3 - "$S/plist" $(find $F/macho -name Info.plist) <<'PY'
import plistlib, sys
out, files = sys.argv[1], sys.argv[2:]
for i, f in enumerate(files):
    d = plistlib.load(open(f, "rb"))
    open(f"{out}/sel0-binary-{i}.plist", "wb").write(b"\x00" + plistlib.dumps(d, fmt=plistlib.FMT_BINARY))
r = {"PackageIdentifier": "com.example.pkg", "PackageVersion": "1.2.3", "InstallPrefixPath": "/", "InstallDate": "2024-01-01T00:00:00Z"}
open(f"{out}/sel1-receipt.plist", "wb").write(b"\x01" + plistlib.dumps(r))
open(f"{out}/sel1-receipt-binary.plist", "wb").write(b"\x01" + plistlib.dumps(r, fmt=plistlib.FMT_BINARY))
PY

# squashfs images of a small real tree, one per compressor mksquashfs offers here.
tree=$F/apk/alpine-3.14
for c in gzip xz zstd lzo; do
  mksquashfs "$tree" "$S/squashfs-$c.img" -comp "$c" -noappend -quiet -no-progress >/dev/null 2>&1 || continue
  mkdir -p "$S/squashfs"; mv "$S/squashfs-$c.img" "$S/squashfs/$c.img"
done
# cpio newc archives of the same tree (as an initramfs holds them), plain and in a firmware blob.
python3 - "$tree" "$S/cpio/alpine.cpio" <<'PY'
import os, sys
root, out = sys.argv[1], sys.argv[2]
os.makedirs(os.path.dirname(out), exist_ok=True)
def entry(name, mode, data, ino):
    h = b"070701" + b"".join(b"%08x" % v for v in (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0))
    rec = h + name.encode() + b"\0"
    rec += b"\0" * (-len(rec) % 4) + data
    return rec + b"\0" * (-len(rec) % 4)
blob, ino = b"", 1
for d, dirs, files in sorted(os.walk(root)):
    dirs.sort()
    rel = os.path.relpath(d, root)
    if rel != ".":
        blob += entry(rel, 0o40755, b"", ino); ino += 1
    for f in sorted(files):
        p = os.path.join(d, f)
        blob += entry(os.path.relpath(p, root), 0o100644, open(p, "rb").read(), ino); ino += 1
blob += entry("TRAILER!!!", 0, b"", 0)
open(out, "wb").write(blob)
PY
cp "$S/cpio/alpine.cpio" "$S/firmware/alpine.cpio"
cp "$S"/squashfs/* "$S/firmware/" 2>/dev/null || true
for t in "$S"/*/; do echo "$(basename "$t"): $(ls "$t" | wc -l) seeds"; done
