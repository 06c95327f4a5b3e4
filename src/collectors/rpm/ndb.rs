//! rpm's own "ndb" package database `Packages.db` (openSUSE, SUSE Linux Enterprise 15):
//! a 32-byte header (`RpmP`, version 0, generation, slot page count), then 16-byte slots
//! (`Slot`, package index, block offset, block count) filling the slot pages, and blobs at
//! `block offset × 16` (`BlbS`, package index, generation, length, then the header blob).
//! Layout: rpm's `lib/backend/ndb/rpmpkg.c`. Little-endian, as written on every platform
//! rpm supports for this backend.
//!
//! Does not read the `Index.db` key index. Every slot and blob is bounds-checked.

const HEADER_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
const PAGE: usize = 4096;
const BLOCK: usize = 16;

/// True when the bytes start with an ndb header.
pub fn is_ndb(b: &[u8]) -> bool {
    b.starts_with(HEADER_MAGIC)
}

/// Every package blob (by slot order), plus the problems met.
pub fn blobs(bytes: &[u8]) -> (Vec<&[u8]>, Vec<String>) {
    let mut errors = Vec::new();
    if !is_ndb(bytes) {
        return (Vec::new(), vec!["not an rpm ndb database".to_owned()]);
    }
    if crate::bytes::u32le(bytes, 4) != Some(0) {
        return (
            Vec::new(),
            vec![format!(
                "unsupported ndb version {:?}",
                crate::bytes::u32le(bytes, 4)
            )],
        );
    }
    let slot_pages = crate::bytes::u32le(bytes, 12).unwrap_or(0) as usize;
    if slot_pages == 0 || slot_pages > bytes.len() / PAGE + 1 {
        return (
            Vec::new(),
            vec![format!("invalid ndb slot page count {slot_pages}")],
        );
    }
    let slot_end = (slot_pages * PAGE).min(bytes.len());
    if slot_pages * PAGE > bytes.len() {
        errors.push("truncated: the slot pages run past the end of the file".to_owned());
    }
    let mut out = Vec::new();
    let mut at = 32;
    while at + BLOCK <= slot_end {
        let slot = &bytes[at..at + BLOCK];
        at += BLOCK;
        if &slot[..4] != SLOT_MAGIC {
            errors.push(format!("bad slot magic at byte {}", at - BLOCK));
            break;
        }
        let (Some(idx), Some(blk)) = (crate::bytes::u32le(slot, 4), crate::bytes::u32le(slot, 8))
        else {
            continue;
        };
        if idx == 0 {
            continue; // free slot
        }
        let off = blk as usize * BLOCK;
        let head = bytes.get(off..off + 16);
        match head {
            Some(h) if &h[..4] == BLOB_MAGIC && crate::bytes::u32le(h, 4) == Some(idx) => {
                let len = crate::bytes::u32le(h, 12).unwrap_or(0) as usize;
                match bytes.get(off + 16..(off + 16).saturating_add(len)) {
                    Some(b) => out.push(b),
                    None => {
                        errors.push(format!("package {idx}: blob runs past the end of the file"))
                    }
                }
            }
            Some(_) => errors.push(format!("package {idx}: bad blob header at byte {off}")),
            None => errors.push(format!(
                "package {idx}: blob at byte {off} is past the end of the file"
            )),
        }
    }
    (out, errors)
}
