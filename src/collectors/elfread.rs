//! A bounded ELF reader: the file header, program and section header tables, the dynamic
//! section and its strings, notes and named sections, read with bounds-checked offsets and
//! capped counts. Symbol tables, relocations and string tables other than `.dynstr` and
//! `.shstrtab` are never touched, so the work and memory spent on one file are bounded by its
//! headers, not by its symbols (goblin's `Elf::parse` pre-splits every string table into a
//! vector, hundreds of megabytes for a large unstripped binary).
//!
//! [`wanted`] names the byte ranges the ELF-reading collectors look at, so that a large file
//! can be read sparsely (see [`crate::rootfs::load`]): everything else stays unread.

use crate::bytes;

/// Most program headers, section headers, dynamic entries or notes read from one file.
pub const MAX_ENTRIES: usize = 4096;
/// Largest single range [`wanted`] asks for (a `.dynstr` or `.comment` is far smaller).
pub const MAX_RANGE: u64 = 16 << 20;

/// ELF file types the scan reports.
pub const ET_EXEC: u16 = 2;
/// Shared objects and position-independent executables.
pub const ET_DYN: u16 = 3;
const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const PT_NOTE: u32 = 4;
const SHT_DYNAMIC: u32 = 6;
const SHT_NOTE: u32 = 7;
const SHT_NOBITS: u32 = 8;
const SHN_XINDEX: usize = 0xffff;
/// `DT_NEEDED`.
pub const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_STRSZ: u64 = 10;
/// `DT_SONAME`.
pub const DT_SONAME: u64 = 14;

/// Sections read by name (besides notes and the dynamic section).
pub const NAMED: &[&str] = &[".comment", ".go.buildinfo", ".dep-v0", ".interp"];

/// A program header.
#[derive(Debug, Clone, Copy)]
pub struct Segment {
    /// `p_type`.
    pub kind: u32,
    /// File offset.
    pub offset: u64,
    /// Virtual address.
    pub vaddr: u64,
    /// Size in the file.
    pub filesz: u64,
    /// Alignment.
    pub align: u64,
}

/// A section header.
#[derive(Debug, Clone, Copy)]
pub struct Section {
    /// Offset of the name in `.shstrtab`.
    pub name: u32,
    /// `sh_type`.
    pub kind: u32,
    /// File offset.
    pub offset: u64,
    /// Size.
    pub size: u64,
    /// `sh_link`.
    pub link: u32,
    /// Alignment.
    pub align: u64,
}

/// A note: owner name, type and descriptor.
#[derive(Debug, Clone)]
pub struct Note<'a> {
    /// Owner (`GNU`, `FDO`), without its terminating NUL.
    pub name: &'a [u8],
    /// `n_type`.
    pub kind: u32,
    /// Descriptor bytes.
    pub desc: &'a [u8],
}

/// The headers of one ELF file.
#[derive(Debug, Clone)]
pub struct ElfFile {
    /// 64-bit class.
    pub wide: bool,
    /// Little-endian data.
    pub little: bool,
    /// `e_type`.
    pub kind: u16,
    /// `e_machine`.
    pub machine: u16,
    /// Program headers (at most [`MAX_ENTRIES`]).
    pub segments: Vec<Segment>,
    /// Section headers (at most [`MAX_ENTRIES`]); empty when the table is absent or broken.
    pub sections: Vec<Section>,
    /// Index of the section-name table.
    shstrndx: usize,
    /// File ranges of the program and section header tables, as read.
    tables: [FileRange; 2],
}

struct Rd {
    wide: bool,
    little: bool,
}

impl Rd {
    fn u16(&self, b: &[u8], at: usize) -> Option<u16> {
        if self.little {
            bytes::u16le(b, at)
        } else {
            bytes::u16be(b, at)
        }
    }
    fn u32(&self, b: &[u8], at: usize) -> Option<u32> {
        if self.little {
            bytes::u32le(b, at)
        } else {
            bytes::u32be(b, at)
        }
    }
    fn u64(&self, b: &[u8], at: usize) -> Option<u64> {
        if self.little {
            bytes::u64le(b, at)
        } else {
            bytes::u64be(b, at)
        }
    }
    /// An address-sized word.
    fn word(&self, b: &[u8], at: usize) -> Option<u64> {
        if self.wide {
            self.u64(b, at)
        } else {
            self.u32(b, at).map(u64::from)
        }
    }
}

fn us(v: u64) -> Option<usize> {
    usize::try_from(v).ok()
}

impl ElfFile {
    /// Read the file header and the header tables. An error for anything that is not an ELF
    /// file, or whose file header or declared header tables do not fit in the file (a
    /// truncated file); a file without a section header table (as `sstrip` leaves files) has
    /// no sections.
    pub fn parse(b: &[u8]) -> Result<ElfFile, String> {
        if !b.starts_with(b"\x7fELF") {
            return Err("not an ELF file".into());
        }
        let wide = match b.get(4) {
            Some(1) => false,
            Some(2) => true,
            c => return Err(format!("invalid ELF class {c:?}")),
        };
        let little = match b.get(5) {
            Some(1) => true,
            Some(2) => false,
            d => return Err(format!("invalid ELF data encoding {d:?}")),
        };
        let r = Rd { wide, little };
        let short = || "ELF header truncated".to_owned();
        let kind = r.u16(b, 16).ok_or_else(short)?;
        let machine = r.u16(b, 18).ok_or_else(short)?;
        let (phoff, shoff, rest) = if wide {
            (r.u64(b, 32), r.u64(b, 40), 52)
        } else {
            (r.u32(b, 28).map(u64::from), r.u32(b, 32).map(u64::from), 40)
        };
        let (phoff, shoff) = (phoff.ok_or_else(short)?, shoff.ok_or_else(short)?);
        let field = |i: usize| r.u16(b, rest + 2 * i).ok_or_else(short);
        let (phentsize, phnum, shentsize, shnum, shstrndx) =
            (field(1)?, field(2)?, field(3)?, field(4)?, field(5)?);
        let mut f = ElfFile {
            wide,
            little,
            kind,
            machine,
            segments: Vec::new(),
            sections: Vec::new(),
            shstrndx: usize::from(shstrndx),
            tables: [
                (
                    phoff,
                    u64::from(phentsize) * u64::from(phnum.min(MAX_ENTRIES as u16)),
                ),
                (
                    shoff,
                    u64::from(shentsize) * u64::from(shnum.min(MAX_ENTRIES as u16)),
                ),
            ],
        };
        let (ph_len, sh_len) = if wide { (56, 64) } else { (32, 40) };
        let fits = |off: u64, n: usize, size: u16| {
            let len = (n.min(MAX_ENTRIES) as u64).saturating_mul(u64::from(size));
            off.checked_add(len)
                .is_some_and(|end| end <= b.len() as u64)
        };
        if phnum > 0 && !fits(phoff, phnum.into(), phentsize) {
            return Err("program header table past the end of the file (truncated?)".into());
        }
        if shnum > 0 && shoff != 0 && !fits(shoff, shnum.into(), shentsize) {
            return Err("section header table past the end of the file (truncated?)".into());
        }
        if usize::from(phentsize) >= ph_len {
            f.segments = table(b, phoff, phnum.into(), phentsize.into(), |at| {
                let (kind, offset, vaddr, filesz, align) = if wide {
                    (
                        r.u32(b, at)?,
                        r.u64(b, at + 8)?,
                        r.u64(b, at + 16)?,
                        r.u64(b, at + 32)?,
                        r.u64(b, at + 48)?,
                    )
                } else {
                    let w = |o| r.u32(b, at + o).map(u64::from);
                    (r.u32(b, at)?, w(4)?, w(8)?, w(16)?, w(28)?)
                };
                Some(Segment {
                    kind,
                    offset,
                    vaddr,
                    filesz,
                    align,
                })
            });
        }
        if usize::from(shentsize) >= sh_len && shoff != 0 {
            // A real count of 0 with an offset means the count is in section 0's sh_size.
            let mut n = usize::from(shnum);
            if n == 0 {
                n = us(shoff)
                    .and_then(|at| at.checked_add(if wide { 32 } else { 20 }))
                    .and_then(|at| r.word(b, at))
                    .and_then(us)
                    .unwrap_or(0);
            }
            f.sections = table(b, shoff, n, shentsize.into(), |at| {
                let name = r.u32(b, at)?;
                let kind = r.u32(b, at + 4)?;
                let (offset, size, link, align) = if wide {
                    (
                        r.u64(b, at + 24)?,
                        r.u64(b, at + 32)?,
                        r.u32(b, at + 40)?,
                        r.u64(b, at + 48)?,
                    )
                } else {
                    let w = |o| r.u32(b, at + o).map(u64::from);
                    (w(16)?, w(20)?, r.u32(b, at + 24)?, w(32)?)
                };
                Some(Section {
                    name,
                    kind,
                    offset,
                    size,
                    link,
                    align,
                })
            });
            if f.shstrndx == SHN_XINDEX {
                f.shstrndx = f.sections.first().map_or(0, |s| s.link as usize);
            }
        }
        Ok(f)
    }

    fn rd(&self) -> Rd {
        Rd {
            wide: self.wide,
            little: self.little,
        }
    }

    /// The bytes of a section in the file (`None` for `SHT_NOBITS` or out of bounds).
    pub fn section_bytes<'a>(&self, b: &'a [u8], s: &Section) -> Option<&'a [u8]> {
        if s.kind == SHT_NOBITS {
            return None;
        }
        bytes::slice(b, us(s.offset)?, us(s.size)?)
    }

    /// The name of a section.
    pub fn section_name<'a>(&self, b: &'a [u8], s: &Section) -> Option<&'a [u8]> {
        let st = self.sections.get(self.shstrndx)?;
        let table = self.section_bytes(b, st)?;
        cstr(table, s.name as usize)
    }

    /// The first section called `name`.
    pub fn section(&self, b: &[u8], name: &str) -> Option<Section> {
        self.sections
            .iter()
            .find(|s| self.section_name(b, s) == Some(name.as_bytes()))
            .copied()
    }

    /// The file offset of virtual address `va`, through the loadable segments.
    pub fn va_to_off(&self, va: u64) -> Option<u64> {
        self.segments
            .iter()
            .filter(|s| s.kind == PT_LOAD)
            .find_map(|s| {
                let rel = va.checked_sub(s.vaddr)?;
                (rel < s.filesz).then_some(())?;
                rel.checked_add(s.offset)
            })
    }

    /// Where the dynamic entries are: `PT_DYNAMIC`, else the `SHT_DYNAMIC` section.
    fn dynamic_range(&self) -> Option<(u64, u64)> {
        self.segments
            .iter()
            .find(|s| s.kind == PT_DYNAMIC)
            .map(|s| (s.offset, s.filesz))
            .or_else(|| {
                self.sections
                    .iter()
                    .find(|s| s.kind == SHT_DYNAMIC)
                    .map(|s| (s.offset, s.size))
            })
    }

    /// The dynamic entries `(d_tag, d_val)`, up to `DT_NULL` or [`MAX_ENTRIES`].
    pub fn dynamic(&self, b: &[u8]) -> Vec<(u64, u64)> {
        let Some((off, size)) = self.dynamic_range() else {
            return Vec::new();
        };
        let (Some(off), Some(size)) = (us(off), us(size)) else {
            return Vec::new();
        };
        let r = self.rd();
        let w = if self.wide { 8 } else { 4 };
        let mut out = Vec::new();
        let end = off.saturating_add(size);
        let mut at = off;
        while out.len() < MAX_ENTRIES {
            let Some(next) = at.checked_add(2 * w).filter(|n| *n <= end) else {
                break;
            };
            let (Some(tag), Some(val)) = (r.word(b, at), r.word(b, at + w)) else {
                break;
            };
            if tag == 0 {
                break;
            }
            out.push((tag, val));
            at = next;
        }
        out
    }

    /// The file range of the dynamic string table: `DT_STRTAB`/`DT_STRSZ` through the
    /// segments, else the section the dynamic section links to.
    fn dynstr_range(&self, dynamic: &[(u64, u64)]) -> Option<(u64, u64)> {
        let get = |t| dynamic.iter().find(|(tag, _)| *tag == t).map(|(_, v)| *v);
        if let (Some(va), Some(size)) = (get(DT_STRTAB), get(DT_STRSZ)) {
            if let Some(off) = self.va_to_off(va) {
                return Some((off, size));
            }
        }
        let d = self.sections.iter().find(|s| s.kind == SHT_DYNAMIC)?;
        let s = self.sections.get(d.link as usize)?;
        Some((s.offset, s.size))
    }

    /// `DT_SONAME` and the `DT_NEEDED` names, in order.
    pub fn dynamic_names<'a>(&self, b: &'a [u8]) -> (Option<&'a [u8]>, Vec<&'a [u8]>) {
        let dynamic = self.dynamic(b);
        let Some(table) = self
            .dynstr_range(&dynamic)
            .and_then(|(o, s)| bytes::slice(b, us(o)?, us(s)?))
        else {
            return (None, Vec::new());
        };
        let name = |v: u64| us(v).and_then(|v| cstr(table, v)).filter(|s| !s.is_empty());
        let soname = dynamic
            .iter()
            .find(|(t, _)| *t == DT_SONAME)
            .and_then(|(_, v)| name(*v));
        let needed = dynamic
            .iter()
            .filter(|(t, _)| *t == DT_NEEDED)
            .filter_map(|(_, v)| name(*v))
            .collect();
        (soname, needed)
    }

    /// The program interpreter (`PT_INTERP`).
    pub fn interpreter<'a>(&self, b: &'a [u8]) -> Option<&'a [u8]> {
        let s = self.segments.iter().find(|s| s.kind == PT_INTERP)?;
        let data = bytes::slice(b, us(s.offset)?, us(s.filesz)?)?;
        cstr(data, 0).filter(|s| !s.is_empty())
    }

    /// Every note in the `PT_NOTE` segments, else in the `SHT_NOTE` sections, at most
    /// [`MAX_ENTRIES`]; a malformed note ends its segment.
    pub fn notes<'a>(&self, b: &'a [u8]) -> Vec<Note<'a>> {
        let mut areas: Vec<(u64, u64, u64)> = self
            .segments
            .iter()
            .filter(|s| s.kind == PT_NOTE)
            .map(|s| (s.offset, s.filesz, s.align))
            .collect();
        if areas.is_empty() {
            areas = self
                .sections
                .iter()
                .filter(|s| s.kind == SHT_NOTE)
                .map(|s| (s.offset, s.size, s.align))
                .collect();
        }
        let mut out = Vec::new();
        for (off, size, align) in areas {
            let Some(data) = us(off)
                .zip(us(size))
                .and_then(|(o, s)| bytes::slice(b, o, s))
            else {
                continue;
            };
            self.notes_in(data, align, &mut out);
        }
        out
    }

    /// The notes in the section called `name`.
    pub fn section_notes<'a>(&self, b: &'a [u8], name: &str) -> Vec<Note<'a>> {
        let mut out = Vec::new();
        if let Some(s) = self.section(b, name).filter(|s| s.kind == SHT_NOTE) {
            if let Some(data) = self.section_bytes(b, &s) {
                self.notes_in(data, s.align, &mut out);
            }
        }
        out
    }

    fn notes_in<'a>(&self, data: &'a [u8], align: u64, out: &mut Vec<Note<'a>>) {
        let r = self.rd();
        let pad = if align == 8 { 8 } else { 4 };
        let up = |n: usize| n.checked_add(pad - 1).map(|v| v / pad * pad);
        let mut at = 0usize;
        while out.len() < MAX_ENTRIES {
            let (Some(namesz), Some(descsz), Some(kind)) =
                (r.u32(data, at), r.u32(data, at + 4), r.u32(data, at + 8))
            else {
                break;
            };
            let name_at = at + 12;
            let Some(desc_at) = name_at.checked_add(namesz as usize).and_then(up) else {
                break;
            };
            let (Some(name), Some(desc)) = (
                bytes::slice(data, name_at, namesz as usize),
                bytes::slice(data, desc_at, descsz as usize),
            ) else {
                break;
            };
            let name = name.strip_suffix(b"\0").unwrap_or(name);
            out.push(Note { name, kind, desc });
            match desc_at.checked_add(descsz as usize).and_then(up) {
                Some(next) if next > at => at = next,
                _ => break,
            }
        }
    }
}

/// `n` fixed-size entries of `entsize` bytes at `off`, each read by `one`; entries that do not
/// fit end the table.
fn table<T>(
    b: &[u8],
    off: u64,
    n: usize,
    entsize: usize,
    one: impl Fn(usize) -> Option<T>,
) -> Vec<T> {
    let Some(off) = us(off) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for i in 0..n.min(MAX_ENTRIES) {
        let Some(at) = i.checked_mul(entsize).and_then(|d| off.checked_add(d)) else {
            break;
        };
        if bytes::slice(b, at, entsize).is_none() {
            break;
        }
        match one(at) {
            Some(e) => out.push(e),
            None => break,
        }
    }
    out
}

/// The NUL-terminated string at `at` (to the end of `b` when unterminated, at most 4 KiB).
fn cstr(b: &[u8], at: usize) -> Option<&[u8]> {
    let s = b.get(at..)?;
    let s = &s[..s.len().min(4096)];
    Some(&s[..s.iter().position(|&c| c == 0).unwrap_or(s.len())])
}

/// The byte ranges `(offset, length)` of an ELF file the collectors read, given the bytes
/// known so far (unread bytes are zero). Called until it asks for nothing new: the first call
/// sees the head and asks for the header tables, the next for the section-name table, the
/// dynamic section and notes, the next for the dynamic strings and named sections.
pub fn wanted(b: &[u8]) -> Vec<(u64, u64)> {
    let Ok(f) = ElfFile::parse(b) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // The header tables, as parse reads them.
    out.extend(f.tables);
    for s in &f.segments {
        if matches!(s.kind, PT_DYNAMIC | PT_INTERP | PT_NOTE) {
            out.push((s.offset, s.filesz));
        }
    }
    if let Some(st) = f.sections.get(f.shstrndx) {
        out.push((st.offset, st.size));
    }
    for s in &f.sections {
        let named = f
            .section_name(b, s)
            .is_some_and(|n| NAMED.iter().any(|w| w.as_bytes() == n));
        if s.kind != SHT_NOBITS && (matches!(s.kind, SHT_DYNAMIC | SHT_NOTE) || named) {
            out.push((s.offset, s.size));
        }
    }
    let dynamic = f.dynamic(b);
    if let Some(r) = f.dynstr_range(&dynamic) {
        out.push(r);
    }
    out.retain(|(_, len)| *len > 0);
    for r in &mut out {
        r.1 = r.1.min(MAX_RANGE);
    }
    out
}

/// A byte range of a file: offset and length.
type FileRange = (u64, u64);

#[cfg(test)]
mod tests {
    use super::*;
    use goblin::elf::Elf;

    const FILES: &[&str] = &[
        "fixtures/dpkg/debian-12/usr/bin/hostname",
        "fixtures/dpkg/debian-12/usr/lib/x86_64-linux-gnu/libz.so.1.2.13",
        "fixtures/dpkg/debian-12/usr/lib/x86_64-linux-gnu/libacl.so.1.1.2301",
        "fixtures/dpkg/debian-12/opt/acme/lib/libcap.so.2.66",
        "fixtures/cargo-auditable/bin/usr/local/bin/hello-auditable",
    ];

    /// The bounded reader agrees with goblin on real files: soname, needed libraries,
    /// interpreter and the GNU build-id note.
    #[test]
    fn agrees_with_goblin_on_real_files() {
        for p in FILES {
            let b = std::fs::read(p).unwrap();
            let g = Elf::parse(&b).unwrap();
            let f = ElfFile::parse(&b).unwrap();
            assert_eq!(f.kind, g.header.e_type, "{p}");
            assert_eq!(f.machine, g.header.e_machine, "{p}");
            assert_eq!(f.sections.len(), g.section_headers.len(), "{p}");
            let (soname, needed) = f.dynamic_names(&b);
            let s = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
            assert_eq!(soname.map(s), g.soname.map(str::to_owned), "{p}");
            assert_eq!(
                needed.into_iter().map(s).collect::<Vec<_>>(),
                g.libraries,
                "{p}"
            );
            assert_eq!(
                f.interpreter(&b).map(s),
                g.interpreter.map(str::to_owned),
                "{p}"
            );
            let ours: Vec<_> = f
                .notes(&b)
                .iter()
                .map(|n| (n.kind, n.desc.to_vec()))
                .collect();
            let theirs: Vec<_> = g
                .iter_note_headers(&b)
                .unwrap()
                .flatten()
                .map(|n| (n.n_type, n.desc.to_vec()))
                .collect();
            assert_eq!(ours, theirs, "{p}");
            // Debian strips `.comment`; the Rust fixture keeps rustc's.
            let comment = f
                .section(&b, ".comment")
                .and_then(|s| f.section_bytes(&b, &s));
            assert_eq!(comment.is_some(), p.contains("auditable"), "{p}");
            if let Some(c) = comment {
                assert!(c.starts_with(b"rustc version 1.95.0"), "{p}");
            }
        }
    }

    /// Reading only the wanted ranges into a zeroed buffer gives the same answers as the whole
    /// file, and leaves most of a real library unread.
    #[test]
    fn wanted_ranges_are_enough() {
        for p in FILES {
            let whole = std::fs::read(p).unwrap();
            let mut sparse = vec![0u8; whole.len()];
            let head = whole.len().min(4096);
            sparse[..head].copy_from_slice(&whole[..head]);
            let mut read = head;
            for _ in 0..4 {
                for (o, l) in wanted(&sparse) {
                    let (o, l) = (o as usize, l as usize);
                    let end = (o + l).min(whole.len());
                    if o < end && sparse[o..end] != whole[o..end] {
                        sparse[o..end].copy_from_slice(&whole[o..end]);
                        read += end - o;
                    }
                }
            }
            let (a, b) = (
                ElfFile::parse(&whole).unwrap(),
                ElfFile::parse(&sparse).unwrap(),
            );
            assert_eq!(a.dynamic_names(&whole), b.dynamic_names(&sparse), "{p}");
            assert_eq!(a.interpreter(&whole), b.interpreter(&sparse), "{p}");
            assert_eq!(a.notes(&whole).len(), b.notes(&sparse).len(), "{p}");
            let c = |f: &ElfFile, b: &[u8]| {
                f.section(b, ".comment")
                    .and_then(|s| f.section_bytes(b, &s))
                    .map(<[u8]>::to_vec)
            };
            assert_eq!(c(&a, &whole), c(&b, &sparse), "{p}");
            if whole.len() > 64 * 1024 {
                assert!(
                    read * 4 < whole.len(),
                    "{p}: read {read} of {}",
                    whole.len()
                );
            }
        }
    }

    #[test]
    fn hostile_headers_are_bounded() {
        // A 64-bit header claiming 65535 program and section headers at the end of the file.
        let mut b = vec![0u8; 64];
        b[..6].copy_from_slice(b"\x7fELF\x02\x01");
        b[16] = 3;
        b[32..40].copy_from_slice(&60u64.to_le_bytes());
        b[40..48].copy_from_slice(&u64::MAX.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&u16::MAX.to_le_bytes());
        b[58..60].copy_from_slice(&64u16.to_le_bytes());
        b[60..62].copy_from_slice(&u16::MAX.to_le_bytes());
        assert!(ElfFile::parse(&b).unwrap_err().contains("truncated"));
        // The same counts with tables that are too small for their entries: no entries.
        b[54..56].copy_from_slice(&8u16.to_le_bytes());
        b[58..60].copy_from_slice(&8u16.to_le_bytes());
        b[40..48].copy_from_slice(&0u64.to_le_bytes());
        b[56..58].copy_from_slice(&0u16.to_le_bytes());
        let f = ElfFile::parse(&b).unwrap();
        assert!(f.segments.is_empty() && f.sections.is_empty());
        assert_eq!(f.dynamic_names(&b), (None, Vec::new()));
        assert!(ElfFile::parse(b"\x7fELF\x03").is_err());
        assert!(ElfFile::parse(&b[..20]).is_err());
    }
}
