//! Cheap lookup of a named section in an ELF file: the header, the section header table and
//! the section-name string table only (no symbol tables, relocations or dynamic section), for
//! collectors that look for one section in every executable (`.go.buildinfo`, `.dep-v0`).
//!
//! Full parsing of PE and Mach-O stays with goblin's `Object::parse` in those collectors.

use goblin::container::Ctx;
use goblin::elf::{Elf, SectionHeader};

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

    #[test]
    fn garbage_is_none() {
        assert_eq!(elf_section(b"\x7fELF\x02\x01\x01", ".text"), None);
        assert_eq!(elf_section(b"", ".text"), None);
    }
}
