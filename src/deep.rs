//! The deep byte scan (`--deep`): every vendor `strings` entry of the rule database, in ASCII
//! and in UTF-16LE (Windows resources and string tables), compiled once into one Aho-Corasick
//! automaton that the scan frame runs over each file a binary collector recognised
//! ([`crate::collectors::Collector::deep`]). The file is streamed through a bounded buffer
//! ([`CHUNK`] bytes plus an overlap of the longest pattern), never memory-mapped, so a file
//! truncated while it is read ends the search early instead of raising SIGBUS. A hit is weak [`EvidenceKind::String`] evidence whose `at` says where it was
//! found (`/opt/x/agent@0x1f40`); attribution never lets it outrank a signature, a version
//! resource or package metadata (see [`crate::attribute`]).
//!
//! Bounded per file: at most [`MAX_DEEP_BYTES`] bytes are searched and each distinct string is
//! reported once (its first offset), at most [`MAX_DEEP_HITS`] strings per file. The automaton
//! is a DFA up to [`MAX_DFA_PATTERNS`] patterns (its memory grows with them), an NFA past
//! that. This module does not decide which files are searched: the collectors that call it do.

use crate::model::{Component, EvidenceKind};
use crate::rules::RuleDb;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// Bytes of one file searched at most.
pub const MAX_DEEP_BYTES: usize = 256 << 20;
/// Distinct strings reported per file at most.
pub const MAX_DEEP_HITS: usize = 32;
/// Most automaton patterns (two per string) compiled to a DFA; more use a smaller NFA.
pub const MAX_DFA_PATTERNS: usize = 8000;
/// Shortest string searched (shorter ones match everywhere by chance).
pub const MIN_STRING_LEN: usize = 4;
/// Bytes read per step of the streamed search.
pub const CHUNK: usize = 1 << 20;

/// The compiled automaton.
pub struct DeepScan {
    ac: AhoCorasick,
    /// For each automaton pattern, the index of the rule string it spells.
    pattern_string: Vec<usize>,
    /// The rule strings, as written.
    strings: Vec<String>,
    /// Length in bytes of the longest pattern (the overlap kept between chunks).
    max_len: usize,
}

impl DeepScan {
    /// Build from every vendor's `match.strings`. `None` when the database has no string.
    pub fn new(db: &RuleDb) -> Option<Self> {
        let mut strings: Vec<String> = db
            .vendors
            .values()
            .flat_map(|v| v.raw.matchers.strings.iter())
            .map(|s| s.trim().to_owned())
            .filter(|s| s.len() >= MIN_STRING_LEN)
            .collect();
        strings.sort();
        strings.dedup();
        Self::from_strings(strings)
    }

    /// Build from a list of strings.
    pub fn from_strings(strings: Vec<String>) -> Option<Self> {
        if strings.is_empty() {
            return None;
        }
        let mut patterns: Vec<Vec<u8>> = Vec::with_capacity(strings.len() * 2);
        let mut pattern_string = Vec::with_capacity(strings.len() * 2);
        for (i, s) in strings.iter().enumerate() {
            patterns.push(s.as_bytes().to_vec());
            pattern_string.push(i);
            patterns.push(s.encode_utf16().flat_map(u16::to_le_bytes).collect());
            pattern_string.push(i);
        }
        // A full DFA: one table lookup per byte, the fastest search the crate has (about 1.6×
        // its default NFA on rule-sized pattern sets; ~25 MB for 1000 strings). Past
        // MAX_DFA_PATTERNS its size would grow without bound, so a contiguous NFA is used.
        // Vendor strings share common bytes, so a prefilter mostly fires and only slows the
        // search down.
        let kind = if patterns.len() <= MAX_DFA_PATTERNS {
            AhoCorasickKind::DFA
        } else {
            AhoCorasickKind::ContiguousNFA
        };
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(kind))
            .prefilter(false)
            .build(&patterns)
            .ok()?;
        let max_len = patterns.iter().map(Vec::len).max().unwrap_or(0);
        Some(DeepScan {
            ac,
            pattern_string,
            strings,
            max_len,
        })
    }

    /// Number of rule strings searched for.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Whether no string is searched for (never true for a built scan).
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// The first offset of each rule string found in `bytes`, by string, bounded.
    pub fn find(&self, bytes: &[u8]) -> Vec<(&str, usize)> {
        let hay = &bytes[..bytes.len().min(MAX_DEEP_BYTES)];
        let mut first: Vec<Option<usize>> = vec![None; self.strings.len()];
        let mut found = 0usize;
        for m in self.ac.find_iter(hay) {
            let Some(&i) = self.pattern_string.get(m.pattern().as_usize()) else {
                continue;
            };
            if let Some(slot @ None) = first.get_mut(i) {
                *slot = Some(m.start());
                found += 1;
                if found >= MAX_DEEP_HITS || found == self.strings.len() {
                    break;
                }
            }
        }
        first
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.map(|o| (self.strings[i].as_str(), o)))
            .collect()
    }

    /// Search `bytes` (the file at `path`) and add what was found to `comp`.
    pub fn add_to(&self, comp: &mut Component, bytes: &[u8], path: &str) {
        for (s, off) in self.find(bytes) {
            comp.add_evidence(EvidenceKind::String, s, format!("{path}@{off:#x}"));
        }
    }

    /// The first offset of each rule string in what `r` yields, streamed in [`CHUNK`]s with an
    /// overlap of the longest pattern, at most [`MAX_DEEP_BYTES`] bytes. A read error ends the
    /// search with what was found so far and the error.
    pub fn find_stream(
        &self,
        mut r: impl std::io::Read,
    ) -> (Vec<(&str, u64)>, Option<std::io::Error>) {
        let overlap = self.max_len.saturating_sub(1);
        let mut buf = vec![0u8; CHUNK + overlap];
        let mut first: Vec<Option<u64>> = vec![None; self.strings.len()];
        let (mut have, mut base, mut total, mut found) = (0usize, 0u64, 0usize, 0usize);
        let mut failed = None;
        'outer: loop {
            let mut eof = false;
            while have < buf.len() && total < MAX_DEEP_BYTES {
                let want = (buf.len() - have).min(MAX_DEEP_BYTES - total);
                match r.read(&mut buf[have..have + want]) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) => {
                        have += n;
                        total += n;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        failed = Some(e);
                        eof = true;
                        break;
                    }
                }
            }
            eof |= total >= MAX_DEEP_BYTES;
            for m in self.ac.find_iter(&buf[..have]) {
                let Some(&i) = self.pattern_string.get(m.pattern().as_usize()) else {
                    continue;
                };
                if let Some(slot @ None) = first.get_mut(i) {
                    *slot = Some(base + m.start() as u64);
                    found += 1;
                    if found >= MAX_DEEP_HITS || found == self.strings.len() {
                        break 'outer;
                    }
                }
            }
            if eof || have == 0 {
                break;
            }
            let keep = overlap.min(have);
            buf.copy_within(have - keep..have, 0);
            base += (have - keep) as u64;
            have = keep;
        }
        let hits = first
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.map(|o| (self.strings[i].as_str(), o)))
            .collect();
        (hits, failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_ascii_and_utf16_once_each_with_offsets() {
        let d = DeepScan::from_strings(vec!["Acme Software GmbH".into(), "Huawei".into()]).unwrap();
        let mut hay = b"\0\0xxAcme Software GmbH\0..Acme Software GmbH".to_vec();
        hay.extend("Huawei".encode_utf16().flat_map(u16::to_le_bytes));
        let got = d.find(&hay);
        assert_eq!(got, vec![("Acme Software GmbH", 4), ("Huawei", 43)]);
        assert!(
            d.find(b"acme software gmbh").is_empty(),
            "case matters, as with rg -F"
        );
        assert!(DeepScan::from_strings(Vec::new()).is_none());
    }

    /// The streamed search finds what the whole-buffer search finds, also across chunk
    /// boundaries, with file offsets.
    #[test]
    fn streamed_search_matches_across_chunks() {
        let d = DeepScan::from_strings(vec!["Acme Software GmbH".into(), "Huawei".into()]).unwrap();
        let mut hay = vec![0u8; CHUNK - 5];
        hay.extend_from_slice(b"Acme Software GmbH");
        hay.extend(vec![0u8; CHUNK * 2]);
        hay.extend("Huawei".encode_utf16().flat_map(u16::to_le_bytes));
        let (got, err) = d.find_stream(&hay[..]);
        assert!(err.is_none());
        let want: Vec<(&str, u64)> = d
            .find(&hay)
            .into_iter()
            .map(|(s, o)| (s, o as u64))
            .collect();
        assert_eq!(got, want);
        assert_eq!(
            got,
            vec![
                ("Acme Software GmbH", (CHUNK - 5) as u64),
                ("Huawei", (CHUNK * 3 + 13) as u64)
            ]
        );
    }
}
