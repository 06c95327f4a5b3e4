//! The rpm header blob, as stored by every rpmdb backend (SQLite, Berkeley DB, ndb): a
//! big-endian index count and data length, `il` 16-byte index entries (tag, type, offset,
//! count), then the data store. See rpm's `lib/header.c` (`hdrblobInit`) and
//! <https://rpm-software-management.github.io/rpm/manual/format.html>.
//!
//! Only reads; every offset is bounds-checked against the data store. This module knows tags and
//! types, not what a package means (that is [`super::Package`]).

/// Largest index count accepted (rpm's own `HEADER_TAGS_MAX`).
const MAX_INDEX: usize = 0xffff;
/// Largest data store accepted (rpm's own `HEADER_DATA_MAX`, 256 MiB).
const MAX_DATA: usize = 0x0fff_ffff;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// Tags used by the collector.
pub mod tag {
    /// Package name.
    pub const NAME: u32 = 1000;
    /// Version.
    pub const VERSION: u32 = 1001;
    /// Release.
    pub const RELEASE: u32 = 1002;
    /// Epoch (INT32).
    pub const EPOCH: u32 = 1003;
    /// One-line summary.
    pub const SUMMARY: u32 = 1004;
    /// Distribution.
    pub const DISTRIBUTION: u32 = 1010;
    /// Vendor.
    pub const VENDOR: u32 = 1011;
    /// Licence.
    pub const LICENSE: u32 = 1014;
    /// Packager.
    pub const PACKAGER: u32 = 1015;
    /// Upstream URL.
    pub const URL: u32 = 1020;
    /// Architecture.
    pub const ARCH: u32 = 1022;
    /// Full file names (old headers).
    pub const OLDFILENAMES: u32 = 1027;
    /// Source rpm file name.
    pub const SOURCERPM: u32 = 1044;
    /// Index into DIRNAMES per file.
    pub const DIRINDEXES: u32 = 1116;
    /// File base names.
    pub const BASENAMES: u32 = 1117;
    /// Directory names (with trailing `/`).
    pub const DIRNAMES: u32 = 1118;
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    ty: u32,
    offset: usize,
    count: usize,
}

/// A parsed header: its index and a borrowed data store.
#[derive(Debug)]
pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

impl<'a> Header<'a> {
    /// Parse a header blob (without the 8-byte magic of a package file's header).
    pub fn parse(blob: &'a [u8]) -> Result<Self, String> {
        let il = crate::bytes::u32be(blob, 0).ok_or("header shorter than 8 bytes")? as usize;
        let dl = crate::bytes::u32be(blob, 4).ok_or("header shorter than 8 bytes")? as usize;
        if il == 0 || il > MAX_INDEX {
            return Err(format!("header index count {il} out of range"));
        }
        if dl > MAX_DATA {
            return Err(format!("header data length {dl} out of range"));
        }
        let data_start = 8 + il * 16;
        let data = blob.get(data_start..data_start + dl).ok_or_else(|| {
            format!(
                "header truncated: needs {} bytes, has {}",
                data_start + dl,
                blob.len()
            )
        })?;
        let mut entries = Vec::with_capacity(il);
        for i in 0..il {
            let at = 8 + i * 16;
            let (Some(tag), Some(ty), Some(offset), Some(count)) = (
                crate::bytes::u32be(blob, at),
                crate::bytes::u32be(blob, at + 4),
                crate::bytes::u32be(blob, at + 8),
                crate::bytes::u32be(blob, at + 12),
            ) else {
                return Err("header index truncated".to_owned());
            };
            entries.push(Entry {
                tag,
                ty,
                offset: offset as usize,
                count: count as usize,
            });
        }
        Ok(Header { entries, data })
    }

    fn entry(&self, tag: u32) -> Option<Entry> {
        self.entries.iter().find(|e| e.tag == tag).copied()
    }

    fn cstr(&self, at: usize) -> Option<(String, usize)> {
        let rest = self.data.get(at..)?;
        let len = rest.iter().position(|&b| b == 0)?;
        Some((
            String::from_utf8_lossy(&rest[..len]).into_owned(),
            at + len + 1,
        ))
    }

    /// A STRING or I18NSTRING tag (the first translation), or the first of a STRING_ARRAY.
    pub fn string(&self, tag: u32) -> Option<String> {
        let e = self.entry(tag)?;
        match e.ty {
            TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY => {
                self.cstr(e.offset).map(|(s, _)| s)
            }
            _ => None,
        }
    }

    /// A STRING_ARRAY tag. `Err` when it points outside the data store.
    pub fn strings(&self, tag: u32) -> Result<Vec<String>, String> {
        let Some(e) = self.entry(tag) else {
            return Ok(Vec::new());
        };
        if e.ty != TYPE_STRING_ARRAY && e.ty != TYPE_STRING {
            return Err(format!(
                "tag {tag} has type {} instead of a string array",
                e.ty
            ));
        }
        // Each string needs at least its NUL byte.
        if e.count > self.data.len() {
            return Err(format!(
                "tag {tag} claims {} strings in {} bytes",
                e.count,
                self.data.len()
            ));
        }
        let mut out = Vec::with_capacity(e.count);
        let mut at = e.offset;
        for _ in 0..e.count {
            let (s, next) = self
                .cstr(at)
                .ok_or_else(|| format!("tag {tag} runs past the data store"))?;
            out.push(s);
            at = next;
        }
        Ok(out)
    }

    /// An INT32 array tag. `Err` when it points outside the data store.
    pub fn u32s(&self, tag: u32) -> Result<Vec<u32>, String> {
        let Some(e) = self.entry(tag) else {
            return Ok(Vec::new());
        };
        if e.ty != TYPE_INT32 {
            return Err(format!("tag {tag} has type {} instead of INT32", e.ty));
        }
        let end = e.count.checked_mul(4).and_then(|n| n.checked_add(e.offset));
        let bytes = end
            .and_then(|end| self.data.get(e.offset..end))
            .ok_or_else(|| format!("tag {tag} runs past the data store"))?;
        Ok(bytes
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// The first value of an INT32 tag.
    pub fn u32(&self, tag: u32) -> Option<u32> {
        self.u32s(tag).ok()?.first().copied()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Build a header blob from (tag, type, count, data) entries; data is laid out in order.
    pub fn build(entries: &[(u32, u32, u32, Vec<u8>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, ty, count, d) in entries {
            if *ty == TYPE_INT32 {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
            }
            index.extend_from_slice(&tag.to_be_bytes());
            index.extend_from_slice(&ty.to_be_bytes());
            index.extend_from_slice(&(data.len() as u32).to_be_bytes());
            index.extend_from_slice(&count.to_be_bytes());
            data.extend_from_slice(d);
        }
        let mut blob = Vec::new();
        blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
        blob.extend(index);
        blob.extend(data);
        blob
    }

    /// A STRING entry.
    pub fn s(tag: u32, v: &str) -> (u32, u32, u32, Vec<u8>) {
        let mut d = v.as_bytes().to_vec();
        d.push(0);
        (tag, TYPE_STRING, 1, d)
    }

    #[test]
    fn reads_strings_arrays_and_ints() {
        let mut arr = b"a\0bb\0".to_vec();
        arr.extend_from_slice(b"");
        let blob = build(&[
            s(tag::NAME, "bash"),
            (tag::BASENAMES, TYPE_STRING_ARRAY, 2, arr),
            (
                tag::DIRINDEXES,
                TYPE_INT32,
                2,
                [0u32.to_be_bytes(), 7u32.to_be_bytes()].concat(),
            ),
        ]);
        let h = Header::parse(&blob).unwrap();
        assert_eq!(h.string(tag::NAME).as_deref(), Some("bash"));
        assert_eq!(h.strings(tag::BASENAMES).unwrap(), vec!["a", "bb"]);
        assert_eq!(h.u32s(tag::DIRINDEXES).unwrap(), vec![0, 7]);
        assert_eq!(h.string(tag::VERSION), None);
    }

    #[test]
    fn hostile_counts_and_offsets_are_errors() {
        let blob = build(&[(
            tag::BASENAMES,
            TYPE_STRING_ARRAY,
            0xffff_fff0,
            b"a\0".to_vec(),
        )]);
        assert!(Header::parse(&blob)
            .unwrap()
            .strings(tag::BASENAMES)
            .is_err());
        let blob = build(&[(tag::DIRINDEXES, TYPE_INT32, 0x4000_0000, vec![0; 4])]);
        assert!(Header::parse(&blob).unwrap().u32s(tag::DIRINDEXES).is_err());
        let blob = build(&[s(tag::NAME, "x")]);
        for cut in 0..blob.len() {
            let _ = Header::parse(&blob[..cut]).map(|h| h.string(tag::NAME));
            assert!(Header::parse(&blob[..cut]).is_err(), "cut at {cut}");
        }
        assert!(Header::parse(&[0, 1, 0, 0, 0, 0, 0, 0]).is_err());
    }
}
