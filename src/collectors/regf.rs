//! A read-only, bounds-checked reader of Windows registry hive files (`regf`): the base block,
//! key nodes (`nk`), subkey lists (`lf`, `lh`, `li`, `ri`), value lists, values (`vk`, data
//! inline, in a cell, or in big-data `db` segments). Format:
//! <https://github.com/msuhanov/regf/blob/master/Windows%20registry%20file%20format%20specification.md>.
//!
//! Why not a crate: the pure-Rust hive readers on crates.io were each ruled out: `nt-hive` is
//! GPL-2.0-or-later (this project is Apache-2.0 OR MIT), `notatin` pulls in a terminal UI and
//! an unmaintained macro crate, and `frnsc-hive` slices cells without checking their length
//! (a malformed cell panics). This module reads only what the collectors need.
//!
//! Every offset read from the file is checked against the hive bins; subkey lists are capped at
//! [`MAX_SUBKEYS`], value lists at [`MAX_VALUES`], value data at [`MAX_VALUE_DATA`] bytes and
//! `ri` indirection at one level. Nothing here allocates more than those caps allow.

/// Subkeys of one key read at most.
pub const MAX_SUBKEYS: usize = 65_536;
/// Values of one key read at most.
pub const MAX_VALUES: usize = 4096;
/// Bytes of one value's data read at most.
pub const MAX_VALUE_DATA: usize = 1 << 20;

const REG_SZ: u32 = 1;
const REG_EXPAND_SZ: u32 = 2;

/// An opened hive: the bytes of its hive bins.
pub struct Hive<'a> {
    bins: &'a [u8],
    root: u32,
}

/// A key node.
#[derive(Debug, Clone)]
pub struct Key {
    /// Its name.
    pub name: String,
    subkey_count: usize,
    subkey_list: u32,
    value_count: usize,
    value_list: u32,
}

/// A value of a key.
#[derive(Debug, Clone)]
pub struct Value {
    /// Its name (empty for the default value).
    pub name: String,
    /// Registry type (`REG_SZ` = 1…).
    pub kind: u32,
    /// Its data, up to [`MAX_VALUE_DATA`] bytes.
    pub data: Vec<u8>,
}

impl Value {
    /// The data as a string, for `REG_SZ` and `REG_EXPAND_SZ` (UTF-16LE up to the first NUL).
    pub fn as_string(&self) -> Option<String> {
        if self.kind != REG_SZ && self.kind != REG_EXPAND_SZ {
            return None;
        }
        let units: Vec<u16> = self
            .data
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|u| *u != 0)
            .collect();
        Some(String::from_utf16_lossy(&units))
    }
}

type R<T> = Result<T, String>;

impl<'a> Hive<'a> {
    /// Open a hive from its bytes.
    pub fn new(bytes: &'a [u8]) -> R<Self> {
        if bytes.get(..4) != Some(b"regf") {
            return Err("not a registry hive (no regf signature)".into());
        }
        if crate::bytes::u32le(bytes, 20) != Some(1) {
            return Err("unsupported hive major version".into());
        }
        let root = crate::bytes::u32le(bytes, 36).ok_or("hive base block is truncated")?;
        let size = crate::bytes::u32le(bytes, 40).ok_or("hive base block is truncated")? as usize;
        let bins = bytes.get(0x1000..).ok_or("hive has no hive bins")?;
        // A hive whose last bins were never flushed is still read as far as it goes.
        let bins = &bins[..bins.len().min(size)];
        Ok(Hive { bins, root })
    }

    /// The payload of the allocated cell at `off` (relative to the first hive bin).
    fn cell(&self, off: u32) -> R<&'a [u8]> {
        let off = off as usize;
        let raw = crate::bytes::u32le(self.bins, off)
            .ok_or_else(|| format!("cell at {off:#x} is outside the hive bins"))?;
        let size = raw as i32;
        if size >= 0 {
            return Err(format!("cell at {off:#x} is free"));
        }
        let len = size.unsigned_abs() as usize;
        if len < 8 {
            return Err(format!("cell at {off:#x} is {len} bytes"));
        }
        off.checked_add(len)
            .and_then(|end| self.bins.get(off + 4..end))
            .ok_or_else(|| format!("cell at {off:#x} of {len} bytes runs past the hive bins"))
    }

    /// The root key.
    pub fn root(&self) -> R<Key> {
        self.key(self.root)
    }

    /// The key node at `off`.
    pub fn key(&self, off: u32) -> R<Key> {
        let c = self.cell(off)?;
        if c.get(..2) != Some(b"nk") {
            return Err(format!("cell at {off:#x} is not a key node"));
        }
        let short = || format!("key node at {off:#x} is truncated");
        let flags = crate::bytes::u16le(c, 2).ok_or_else(short)?;
        let name_len = crate::bytes::u16le(c, 72).ok_or_else(short)? as usize;
        let raw = c.get(76..76 + name_len).ok_or_else(short)?;
        let name = if flags & 0x20 != 0 {
            // KEY_COMP_NAME: Latin-1.
            raw.iter().map(|&b| char::from(b)).collect()
        } else {
            let units: Vec<u16> = raw
                .chunks_exact(2)
                .map(|p| u16::from_le_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        };
        Ok(Key {
            name,
            subkey_count: crate::bytes::u32le(c, 20).ok_or_else(short)? as usize,
            subkey_list: crate::bytes::u32le(c, 28).ok_or_else(short)?,
            value_count: crate::bytes::u32le(c, 36).ok_or_else(short)? as usize,
            value_list: crate::bytes::u32le(c, 40).ok_or_else(short)?,
        })
    }

    /// The offsets of a key's subkeys.
    fn subkey_offsets(&self, key: &Key) -> R<Vec<u32>> {
        let mut out = Vec::new();
        if key.subkey_count == 0 || key.subkey_list == u32::MAX {
            return Ok(out);
        }
        self.list(key.subkey_list, 0, &mut out)?;
        Ok(out)
    }

    fn list(&self, off: u32, depth: usize, out: &mut Vec<u32>) -> R<()> {
        let c = self.cell(off)?;
        let n = crate::bytes::u16le(c, 2)
            .ok_or_else(|| format!("subkey list at {off:#x} is truncated"))?
            as usize;
        let (step, nested) = match c.get(..2) {
            Some(b"lf" | b"lh") => (8, false),
            Some(b"li") => (4, false),
            Some(b"ri") if depth == 0 => (4, true),
            _ => return Err(format!("cell at {off:#x} is not a subkey list")),
        };
        for i in 0..n {
            if out.len() >= MAX_SUBKEYS || !crate::work::charge(1) {
                break;
            }
            let at = 4 + i * step;
            let o = crate::bytes::u32le(c, at)
                .ok_or_else(|| format!("subkey list at {off:#x} is shorter than its count"))?;
            if nested {
                self.list(o, depth + 1, out)?;
            } else {
                out.push(o);
            }
        }
        Ok(())
    }

    /// A key's subkeys (a bad subkey is skipped and reported in the second list).
    pub fn subkeys(&self, key: &Key) -> (Vec<Key>, Vec<String>) {
        let mut errors = Vec::new();
        let offs = match self.subkey_offsets(key) {
            Ok(o) => o,
            Err(e) => return (Vec::new(), vec![format!("{}: {e}", key.name)]),
        };
        let mut keys = Vec::new();
        for o in offs {
            match self.key(o) {
                Ok(k) => keys.push(k),
                Err(e) => errors.push(format!("{}: {e}", key.name)),
            }
        }
        (keys, errors)
    }

    /// The subkey named `name` (case-insensitively, as Windows compares).
    pub fn child(&self, key: &Key, name: &str) -> R<Option<Key>> {
        for o in self.subkey_offsets(key)? {
            let k = self.key(o)?;
            if k.name.eq_ignore_ascii_case(name) {
                return Ok(Some(k));
            }
        }
        Ok(None)
    }

    /// The key at a `\`-separated path below `key`.
    pub fn path(&self, key: &Key, path: &str) -> R<Option<Key>> {
        let mut cur = key.clone();
        for part in path.split('\\').filter(|p| !p.is_empty()) {
            match self.child(&cur, part)? {
                Some(k) => cur = k,
                None => return Ok(None),
            }
        }
        Ok(Some(cur))
    }

    /// A key's values.
    pub fn values(&self, key: &Key) -> R<Vec<Value>> {
        let mut out = Vec::new();
        if key.value_count == 0 || key.value_list == u32::MAX {
            return Ok(out);
        }
        let list = self.cell(key.value_list)?;
        for i in 0..key.value_count.min(MAX_VALUES) {
            if !crate::work::charge(1) {
                break;
            }
            let o =
                crate::bytes::u32le(list, i * 4).ok_or("value list is shorter than its count")?;
            out.push(self.value(o)?);
        }
        Ok(out)
    }

    fn value(&self, off: u32) -> R<Value> {
        let c = self.cell(off)?;
        if c.get(..2) != Some(b"vk") {
            return Err(format!("cell at {off:#x} is not a value"));
        }
        let short = || format!("value at {off:#x} is truncated");
        let name_len = crate::bytes::u16le(c, 2).ok_or_else(short)? as usize;
        let size = crate::bytes::u32le(c, 4).ok_or_else(short)?;
        let data_off = crate::bytes::u32le(c, 8).ok_or_else(short)?;
        let kind = crate::bytes::u32le(c, 12).ok_or_else(short)?;
        let flags = crate::bytes::u16le(c, 16).ok_or_else(short)?;
        let raw = c.get(20..20 + name_len).ok_or_else(short)?;
        let name = if flags & 1 != 0 {
            raw.iter().map(|&b| char::from(b)).collect()
        } else {
            let units: Vec<u16> = raw
                .chunks_exact(2)
                .map(|p| u16::from_le_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        };
        let len = (size & 0x7fff_ffff) as usize;
        let data = if size & 0x8000_0000 != 0 {
            // Inline: the data sits in the offset field.
            data_off.to_le_bytes()[..len.min(4)].to_vec()
        } else if len == 0 {
            Vec::new()
        } else {
            self.data(data_off, len.min(MAX_VALUE_DATA))?
        };
        Ok(Value { name, kind, data })
    }

    fn data(&self, off: u32, len: usize) -> R<Vec<u8>> {
        let c = self.cell(off)?;
        if c.get(..2) == Some(b"db") && len > 16344 {
            // Big data: a list of segments of up to 16344 bytes each.
            let n = crate::bytes::u16le(c, 2).ok_or("big-data header is truncated")? as usize;
            let list =
                self.cell(crate::bytes::u32le(c, 4).ok_or("big-data header is truncated")?)?;
            let mut out = Vec::with_capacity(len);
            for i in 0..n {
                let seg = self.cell(
                    crate::bytes::u32le(list, i * 4).ok_or("big-data segment list is short")?,
                )?;
                let want = (len - out.len()).min(16344).min(seg.len());
                out.extend_from_slice(&seg[..want]);
                if out.len() >= len {
                    break;
                }
            }
            return Ok(out);
        }
        c.get(..len)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| format!("value data at {off:#x} is shorter than {len} bytes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HIVE: &[u8] =
        include_bytes!("../../fixtures/windows/win11/Windows/System32/config/SOFTWARE");

    #[test]
    fn reads_keys_and_values() {
        let h = Hive::new(HIVE).unwrap();
        let root = h.root().unwrap();
        let u = h
            .path(&root, r"microsoft\WINDOWS\CurrentVersion\Uninstall")
            .unwrap()
            .unwrap();
        let (keys, errors) = h.subkeys(&u);
        assert!(errors.is_empty());
        let names: Vec<&str> = keys.iter().map(|k| k.name.as_str()).collect();
        assert!(
            names.contains(&"7-Zip") && names.contains(&"AddressBook"),
            "{names:?}"
        );
        let seven = h.child(&u, "7-zip").unwrap().unwrap();
        let v = h.values(&seven).unwrap();
        let publisher = v.iter().find(|v| v.name == "Publisher").unwrap();
        assert_eq!(publisher.as_string().as_deref(), Some("Igor Pavlov"));
        let size = v.iter().find(|v| v.name == "EstimatedSize").unwrap();
        assert_eq!(size.data, 5810u32.to_le_bytes());
        assert!(size.as_string().is_none());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(Hive::new(b"").is_err());
        assert!(Hive::new(b"regf").is_err());
        let mut b = HIVE.to_vec();
        b[36..40].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
        assert!(Hive::new(&b).unwrap().root().is_err());
    }

    /// Deterministic mutation fuzzing: no panic, bounded time.
    #[test]
    fn mutated_hives_never_panic() {
        let mut seed = 0x51_7cc1_b727_220au64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let started = std::time::Instant::now();
        for round in 0..crate::collectors::signature::fuzz_rounds(1500) {
            let mut b = HIVE.to_vec();
            for _ in 0..1 + (next() % 12) as usize {
                let at = 0x1000 + (next() as usize) % (b.len() - 0x1000);
                b[at] = next() as u8;
            }
            if round % 9 == 0 {
                b.truncate((next() as usize) % HIVE.len());
            }
            let Ok(h) = Hive::new(&b) else { continue };
            let Ok(root) = h.root() else { continue };
            let walk = |k: &Key| {
                let (subs, _) = h.subkeys(k);
                for s in &subs {
                    let _ = h.values(s).map(|v| v.iter().map(Value::as_string).count());
                }
                subs
            };
            for k in walk(&root) {
                for k2 in walk(&k) {
                    walk(&k2);
                }
            }
        }
        let long_run = std::env::var_os("SOVSCAN_FUZZ_ROUNDS").is_some();
        assert!(long_run || started.elapsed() < std::time::Duration::from_secs(60));
    }
}
