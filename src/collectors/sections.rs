//! Bounded layout readers for executables: the sections and loadable segments of an ELF, PE
//! or thin Mach-O file, read from the headers only (no symbol tables, relocations, imports or
//! resources), for collectors that look for one section or map one virtual address in every
//! executable (`.go.buildinfo`, `.dep-v0`). Every count comes from the file and is capped by
//! what the file can hold; every offset is bounds-checked. goblin's full `Object::parse` is
//! never run on scanned bytes here (it can panic or loop on hostile images).

use crate::bytes::{u16le, u32le, u64le};
use goblin::container::Ctx;
use goblin::elf::{Elf, ProgramHeader, SectionHeader};

/// Most sections or segments read from one executable.
pub const MAX_ENTRIES: usize = 4096;

/// A section or segment: virtual address, file offset and size in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// Section name (`.dep-v0`, `__dep_v0`); empty for a segment.
    pub name: String,
    /// Virtual address.
    pub va: u64,
    /// File offset.
    pub off: u64,
    /// Size in the file.
    pub size: u64,
}

/// What the headers of one executable say about where its bytes go.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Named sections.
    pub sections: Vec<Range>,
    /// Loadable segments (ELF `PT_LOAD`, Mach-O segments, PE sections).
    pub segments: Vec<Range>,
}

impl Layout {
    /// Read the layout of an ELF, PE or thin Mach-O image; `None` for anything else or when the
    /// headers do not fit in the file.
    pub fn read(bytes: &[u8]) -> Option<Layout> {
        if bytes.starts_with(b"\x7fELF") {
            elf_layout(bytes)
        } else if bytes.starts_with(b"MZ") {
            pe_layout(bytes)
        } else {
            macho_layout(bytes)
        }
    }

    /// The file range `(offset, size)` of the first section with one of these names.
    pub fn section(&self, names: &[&str]) -> Option<(usize, usize)> {
        let s = self
            .sections
            .iter()
            .find(|s| names.contains(&s.name.as_str()))?;
        Some((usize::try_from(s.off).ok()?, usize::try_from(s.size).ok()?))
    }

    /// The file offset of virtual address `va`, through the loadable segments.
    pub fn va_to_off(&self, va: u64) -> Option<usize> {
        self.segments.iter().find_map(|s| {
            let rel = va.checked_sub(s.va)?;
            (rel < s.size).then_some(())?;
            usize::try_from(rel.checked_add(s.off)?).ok()
        })
    }
}

fn elf_layout(bytes: &[u8]) -> Option<Layout> {
    let h = Elf::parse_header(bytes).ok()?;
    let ctx = Ctx::new(h.container().ok()?, h.endianness().ok()?);
    let mut out = Layout::default();
    let phnum = usize::from(h.e_phnum).min(MAX_ENTRIES);
    if let Ok(phs) = ProgramHeader::parse(bytes, usize::try_from(h.e_phoff).ok()?, phnum, ctx) {
        out.segments = phs
            .iter()
            .filter(|p| p.p_type == goblin::elf::program_header::PT_LOAD)
            .map(|p| Range {
                name: String::new(),
                va: p.p_vaddr,
                off: p.p_offset,
                size: p.p_filesz,
            })
            .collect();
    }
    Some(out)
}

fn pe_layout(b: &[u8]) -> Option<Layout> {
    let pe = usize::try_from(u32le(b, 0x3c)?).ok()?;
    if crate::bytes::slice(b, pe, 4)? != b"PE\0\0" {
        return None;
    }
    let coff = pe + 4;
    let nsect = usize::from(u16le(b, coff + 2)?).min(MAX_ENTRIES);
    let opt_size = usize::from(u16le(b, coff + 16)?);
    let opt = coff + 20;
    let image_base = match u16le(b, opt)? {
        0x10b => u64::from(u32le(b, opt + 28)?),
        0x20b => u64le(b, opt + 24)?,
        _ => return None,
    };
    let table = opt.checked_add(opt_size)?;
    let mut out = Layout::default();
    for i in 0..nsect {
        let s = table.checked_add(i.checked_mul(40)?)?;
        let Some(raw) = crate::bytes::slice(b, s, 40) else {
            break;
        };
        let name = String::from_utf8_lossy(&raw[..8])
            .trim_end_matches('\0')
            .to_owned();
        let r = Range {
            name,
            va: image_base.checked_add(u64::from(u32le(raw, 12)?))?,
            off: u64::from(u32le(raw, 20)?),
            size: u64::from(u32le(raw, 16)?),
        };
        out.segments.push(Range {
            name: String::new(),
            ..r.clone()
        });
        out.sections.push(r);
    }
    Some(out)
}

fn macho_layout(b: &[u8]) -> Option<Layout> {
    let wide = match u32le(b, 0)? {
        0xfeed_face => false,
        0xfeed_facf => true,
        _ => return None,
    };
    let ncmds = usize::try_from(u32le(b, 16)?).ok()?.min(MAX_ENTRIES);
    let mut at = if wide { 32 } else { 28 };
    let word = |o: usize| -> Option<u64> {
        if wide {
            u64le(b, o)
        } else {
            u32le(b, o).map(u64::from)
        }
    };
    let w = if wide { 8 } else { 4 };
    let mut out = Layout::default();
    for _ in 0..ncmds {
        let (cmd, size) = (u32le(b, at)?, usize::try_from(u32le(b, at + 4)?).ok()?);
        if size < 8 {
            break;
        }
        if (cmd == 0x19 && wide) || (cmd == 0x1 && !wide) {
            // segname[16], vmaddr, vmsize, fileoff, filesize (words), then 4 u32 fields.
            let base = at + 8 + 16;
            let va = word(base)?;
            out.segments.push(Range {
                name: String::new(),
                va,
                off: word(base + 2 * w)?,
                size: word(base + 3 * w)?,
            });
            let nsects = usize::try_from(u32le(b, base + 4 * w + 8)?)
                .ok()?
                .min(MAX_ENTRIES);
            let mut s = base + 4 * w + 16;
            let sect_len = if wide { 80 } else { 68 };
            for _ in 0..nsects {
                if s.checked_add(sect_len)? > at.checked_add(size)? {
                    break;
                }
                let Some(name) = crate::bytes::slice(b, s, 16) else {
                    break;
                };
                let name = String::from_utf8_lossy(name)
                    .trim_end_matches('\0')
                    .to_owned();
                out.sections.push(Range {
                    name,
                    va: word(s + 32)?,
                    size: word(s + 32 + w)?,
                    off: u64::from(u32le(b, s + 32 + 2 * w)?),
                });
                s += sect_len;
            }
        }
        at = at.checked_add(size)?;
    }
    Some(out)
}

/// Index meaning "the real string-table index is in section 0's `sh_link`".
const SHN_XINDEX: usize = 0xffff;

/// The file range `(offset, size)` of the ELF section called `name`, if the file is an ELF
/// file that has one. Every offset is bounds-checked against `bytes`.
pub fn elf_section(bytes: &[u8], name: &str) -> Option<(usize, usize)> {
    let h = Elf::parse_header(bytes).ok()?;
    let ctx = Ctx::new(h.container().ok()?, h.endianness().ok()?);
    let shs = SectionHeader::parse(
        bytes,
        usize::try_from(h.e_shoff).ok()?,
        usize::from(h.e_shnum),
        ctx,
    )
    .ok()?;
    let strndx = match usize::from(h.e_shstrndx) {
        SHN_XINDEX => shs.first()?.sh_link as usize,
        i => i,
    };
    let st = shs.get(strndx)?;
    let start = usize::try_from(st.sh_offset).ok()?;
    let strtab = bytes.get(start..start.checked_add(usize::try_from(st.sh_size).ok()?)?)?;
    shs.iter().find_map(|s| {
        let n = strtab.get(s.sh_name..)?;
        let n = &n[..n.iter().position(|&b| b == 0)?];
        (n == name.as_bytes()).then_some((
            usize::try_from(s.sh_offset).ok()?,
            usize::try_from(s.sh_size).ok()?,
        ))
    })
}

/// True when the bytes are an ELF file whose header declares no section header table (as left
/// by `sstrip` or some packers): section lookups cannot work and callers may search instead.
pub fn elf_without_sections(bytes: &[u8]) -> bool {
    Elf::parse_header(bytes).is_ok_and(|h| h.e_shoff == 0 || h.e_shnum == 0 && h.e_shstrndx == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layouts of real images agree with their tools: `objdump -h` of the PE and `otool -l`
    /// semantics for the Mach-O (a `__text` section inside the `__TEXT` segment, file offsets
    /// that map back to their addresses).
    #[test]
    fn real_pe_and_macho_layouts() {
        let pe = include_bytes!(
            "../../fixtures/pe/windows/Program Files/Python311/msvcp140_codecvt_ids.dll"
        );
        let l = Layout::read(pe).unwrap();
        let (off, size) = l.section(&[".text"]).unwrap();
        assert!(off > 0 && size > 0 && off + size <= pe.len());
        let text = l.sections.iter().find(|s| s.name == ".text").unwrap();
        assert_eq!(l.va_to_off(text.va + 16), Some(off + 16));
        let mo = include_bytes!(
            "../../fixtures/macho/wheels/markupsafe/_speedups.cpython-311-darwin.so"
        );
        let l = Layout::read(mo).unwrap();
        let (off, size) = l.section(&["__text"]).unwrap();
        assert!(off > 0 && size > 0 && off + size <= mo.len());
        assert!(!l.segments.is_empty());
        // Every cut of the headers reads without panicking.
        for n in (0..pe.len().min(2048)).step_by(7) {
            let _ = Layout::read(&pe[..n]);
        }
        for n in (0..mo.len().min(4096)).step_by(7) {
            let _ = Layout::read(&mo[..n]);
        }
    }

    #[test]
    fn garbage_is_none() {
        assert_eq!(elf_section(b"\x7fELF\x02\x01\x01", ".text"), None);
        assert_eq!(elf_section(b"", ".text"), None);
    }
}
