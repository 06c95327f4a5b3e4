//! Inputs other than a filesystem: SBOMs written by other tools (CycloneDX JSON, SPDX 2.x JSON)
//! and CSV asset inventories (CMDB or spreadsheet exports), given with `scan --input FILE`.
//!
//! Each input becomes components with evidence, exactly as a collector's output: the rules
//! engine attributes them like scanned ones. The format is recognised from the content (a JSON
//! object with `bomFormat: CycloneDX` or `spdxVersion`, else CSV), not the file name.
//! Malformed content becomes [`crate::model::ScanError`]s next to whatever could be used; only
//! a file that cannot be read at all stops the command. Inputs are capped at [`MAX_INPUT`] bytes.

pub mod inventory;
pub mod sbom;

use crate::collectors::Collected;
use std::io::Read;
use std::path::Path;

/// Largest input file read (bytes).
pub const MAX_INPUT: u64 = 512 << 20;

/// Read one input file and turn it into components.
pub fn load(path: &Path) -> crate::Result<Collected> {
    let f = std::fs::File::open(path).map_err(|source| crate::Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut bytes = Vec::new();
    f.take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| crate::Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let name = path.display().to_string();
    if bytes.len() as u64 > MAX_INPUT {
        return Ok(Collected::error(
            &name,
            format!("input larger than {} MiB, not read", MAX_INPUT >> 20),
        ));
    }
    Ok(parse(&bytes, &name))
}

/// Recognise and parse input bytes; `name` is used in locations and errors.
pub fn parse(bytes: &[u8], name: &str) -> Collected {
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        return match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(v) if v.get("bomFormat").and_then(|f| f.as_str()) == Some("CycloneDX") => {
                sbom::cyclonedx(&v, name)
            }
            Ok(v) if v.get("spdxVersion").is_some() => sbom::spdx(&v, name),
            Ok(_) => Collected::error(
                name,
                "JSON input is neither a CycloneDX nor an SPDX document",
            ),
            Err(e) => Collected::error(name, format!("invalid JSON: {e}")),
        };
    }
    inventory::parse(body, name)
}
