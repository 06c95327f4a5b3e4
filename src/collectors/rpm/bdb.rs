//! Berkeley DB hash databases, as rpm ≤ 4.15 wrote `/var/lib/rpm/Packages` (RHEL/CentOS 7–8,
//! older openSUSE and derivatives). Read directly, without libdb: the metadata page gives the
//! byte order, page size and last page; every hash page's values are either inline
//! (`H_KEYDATA`) or a chain of overflow pages (`H_OFFPAGE`), which is where headers live.
//! Layout: Berkeley DB's `dbinc/db_page.h` (`PAGE`, `HOFFPAGE`, `P_HASH`, `P_OVERFLOW`).
//!
//! Does not read indexes (`Name`, `Basenames`…): the `Packages` file alone is the source of truth.
//! Every page and chain is bounds-checked; overflow chains are bounded by the page count.

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;

/// True when the bytes start with a Berkeley DB hash metadata page (either byte order).
pub fn is_bdb_hash(b: &[u8]) -> bool {
    b.get(12..16).is_some_and(|m| {
        let m = [m[0], m[1], m[2], m[3]];
        u32::from_le_bytes(m) == HASH_MAGIC || u32::from_be_bytes(m) == HASH_MAGIC
    })
}

struct Db<'a> {
    bytes: &'a [u8],
    le: bool,
    page_size: usize,
    pages: usize,
}

impl<'a> Db<'a> {
    fn u32(&self, b: &[u8], at: usize) -> Option<u32> {
        if self.le {
            crate::bytes::u32le(b, at)
        } else {
            crate::bytes::u32be(b, at)
        }
    }
    fn u16(&self, b: &[u8], at: usize) -> Option<u16> {
        if self.le {
            crate::bytes::u16le(b, at)
        } else {
            crate::bytes::u16be(b, at)
        }
    }
    fn page(&self, n: usize) -> Option<&'a [u8]> {
        let start = n.checked_mul(self.page_size)?;
        self.bytes.get(start..start.checked_add(self.page_size)?)
    }

    /// Follow an overflow chain from `pgno`, collecting `len` bytes.
    fn overflow(&self, mut pgno: usize, len: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(len.min(self.bytes.len()));
        let mut hops = 0;
        while pgno != 0 && out.len() < len {
            hops += 1;
            if hops > self.pages {
                return Err("overflow chain loops".to_owned());
            }
            let page = self
                .page(pgno)
                .ok_or_else(|| format!("overflow page {pgno} is past the end of the file"))?;
            if page.get(25) != Some(&P_OVERFLOW) {
                return Err(format!("page {pgno} is not an overflow page"));
            }
            let used = self.u16(page, 22).unwrap_or(0) as usize;
            let avail = self.page_size - PAGE_HEADER;
            let used = if used == 0 || used > avail {
                avail
            } else {
                used
            };
            out.extend_from_slice(page.get(PAGE_HEADER..PAGE_HEADER + used).unwrap_or(&[]));
            pgno = self.u32(page, 16).unwrap_or(0) as usize;
        }
        if out.len() < len {
            return Err(format!(
                "overflow chain ends after {} of {len} bytes",
                out.len()
            ));
        }
        out.truncate(len);
        Ok(out)
    }
}

/// Every value of the hash database, in page order, plus the problems met.
pub fn values(bytes: &[u8]) -> (Vec<Vec<u8>>, Vec<String>) {
    let mut errors = Vec::new();
    let Some(m) = bytes.get(12..16) else {
        return (
            Vec::new(),
            vec!["not a Berkeley DB hash database".to_owned()],
        );
    };
    let le = u32::from_le_bytes([m[0], m[1], m[2], m[3]]) == HASH_MAGIC;
    let mut db = Db {
        bytes,
        le,
        page_size: 0,
        pages: 0,
    };
    let page_size = db.u32(bytes, 20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return (
            Vec::new(),
            vec![format!("invalid Berkeley DB page size {page_size}")],
        );
    }
    db.page_size = page_size;
    let last = db.u32(bytes, 32).unwrap_or(0) as usize;
    let in_file = bytes.len() / page_size;
    db.pages = (last + 1).min(in_file);
    if last + 1 > in_file {
        errors.push(format!(
            "truncated: metadata names {} pages, the file holds {in_file}",
            last + 1
        ));
    }
    let mut out = Vec::new();
    for pgno in 1..db.pages {
        let Some(page) = db.page(pgno) else { break };
        let ty = page.get(25).copied().unwrap_or(0);
        if ty != P_HASH && ty != P_HASH_UNSORTED {
            continue;
        }
        let n = db.u16(page, 20).unwrap_or(0) as usize;
        let offsets: Vec<usize> = (0..n)
            .map_while(|i| db.u16(page, PAGE_HEADER + 2 * i).map(usize::from))
            .collect();
        // Entries alternate key, value; values sit at odd indexes.
        for i in (1..offsets.len()).step_by(2) {
            let off = offsets[i];
            match page.get(off) {
                Some(&H_OFFPAGE) => {
                    let (Some(p), Some(len)) = (db.u32(page, off + 4), db.u32(page, off + 8))
                    else {
                        errors.push(format!("page {pgno}: truncated overflow reference"));
                        continue;
                    };
                    match db.overflow(p as usize, len as usize) {
                        Ok(v) => out.push(v),
                        Err(e) => errors.push(format!("page {pgno}: {e}")),
                    }
                }
                Some(&H_KEYDATA) => {
                    // Items are packed downwards from the page end: this one ends where the
                    // previous index entry starts.
                    let end = offsets[i - 1];
                    match page.get(off + 1..end) {
                        Some(v) => out.push(v.to_vec()),
                        None => errors.push(format!("page {pgno}: item {i} out of bounds")),
                    }
                }
                Some(_) => {}
                None => errors.push(format!("page {pgno}: item {i} offset {off} out of bounds")),
            }
        }
    }
    (out, errors)
}
