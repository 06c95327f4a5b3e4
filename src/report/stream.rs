//! Streaming JSON documents: a writer that emits a document member by member, byte for byte
//! what `serde_json::to_string_pretty` (or `to_vec`, compact) would give for the whole
//! document, so that a report of any size is written with one component in memory at a time.
//! Also a name-based (v5) UUID computed over a stream, for the CycloneDX serial number and the
//! SPDX namespace, which are digests of the rest of the document.
//!
//! The caller writes keys in the order serde_json's (sorted) maps would hold them.

use serde::Serialize;
use sha1::{Digest, Sha1};
use std::io::{self, Write};

/// A document being written: objects and arrays opened and closed in order, values
/// serialised one at a time.
pub struct JsonStream<'w> {
    w: &'w mut dyn Write,
    pretty: bool,
    /// One entry per open object or array: whether it has a member yet.
    open: Vec<bool>,
    /// A key was just written: the next value is its value, not a new member.
    last_was_key: bool,
}

impl<'w> JsonStream<'w> {
    /// A stream into `w`, pretty-printed (two-space indent) or compact.
    pub fn new(w: &'w mut dyn Write, pretty: bool) -> Self {
        JsonStream {
            w,
            pretty,
            open: Vec::new(),
            last_was_key: false,
        }
    }

    fn indent(&mut self, depth: usize) -> io::Result<()> {
        for _ in 0..depth {
            self.w.write_all(b"  ")?;
        }
        Ok(())
    }

    /// Before a member of the innermost container: the separator and indentation.
    fn member(&mut self) -> io::Result<()> {
        let depth = self.open.len();
        let Some(has) = self.open.last_mut() else {
            return Ok(());
        };
        let first = !*has;
        *has = true;
        if !first {
            self.w.write_all(b",")?;
        }
        if self.pretty {
            self.w.write_all(b"\n")?;
            self.indent(depth)?;
        }
        Ok(())
    }

    /// Open an object (as the document, a member's value or an array item).
    pub fn begin_object(&mut self) -> io::Result<()> {
        self.start_value()?;
        self.w.write_all(b"{")?;
        self.open.push(false);
        Ok(())
    }

    /// Open an array.
    pub fn begin_array(&mut self) -> io::Result<()> {
        self.start_value()?;
        self.w.write_all(b"[")?;
        self.open.push(false);
        Ok(())
    }

    fn end(&mut self, close: &[u8]) -> io::Result<()> {
        let had = self.open.pop().unwrap_or(false);
        if had && self.pretty {
            self.w.write_all(b"\n")?;
            self.indent(self.open.len())?;
        }
        self.w.write_all(close)
    }

    /// Close the innermost object.
    pub fn end_object(&mut self) -> io::Result<()> {
        self.end(b"}")
    }

    /// Close the innermost array.
    pub fn end_array(&mut self) -> io::Result<()> {
        self.end(b"]")
    }

    /// Start the member `key` of the innermost object; its value follows.
    pub fn key(&mut self, key: &str) -> io::Result<()> {
        self.member()?;
        serde_json::to_writer(&mut *self.w, key)?;
        self.last_was_key = true;
        self.w.write_all(if self.pretty { b": " } else { b":" })
    }

    /// A whole value: the value of the member just started, or the next array item.
    pub fn value(&mut self, v: &impl Serialize) -> io::Result<()> {
        self.start_value()?;
        self.raw_value(v)
    }

    /// Before a value: a member separator unless it is the value of the key just written.
    fn start_value(&mut self) -> io::Result<()> {
        if !std::mem::take(&mut self.last_was_key) {
            self.member()?;
        }
        Ok(())
    }

    /// A member `key` with its whole value.
    pub fn field(&mut self, key: &str, v: &impl Serialize) -> io::Result<()> {
        self.key(key)?;
        self.value(v)
    }

    fn raw_value(&mut self, v: &impl Serialize) -> io::Result<()> {
        self.last_was_key = false;
        if !self.pretty {
            return serde_json::to_writer(&mut *self.w, v).map_err(io::Error::from);
        }
        let text = serde_json::to_string_pretty(v)?;
        let depth = self.open.len();
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.w.write_all(b"\n")?;
                self.indent(depth)?;
            }
            self.w.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}

/// A writer that only hashes, for the name-based UUID of a streamed document.
pub struct V5Hasher(Sha1);

impl V5Hasher {
    /// A hasher for UUIDs in `namespace`.
    pub fn new(namespace: &uuid::Uuid) -> Self {
        let mut h = Sha1::new();
        h.update(namespace.as_bytes());
        V5Hasher(h)
    }

    /// The UUID of everything written, as `uuid::Uuid::new_v5` gives for the same bytes.
    pub fn uuid(self) -> uuid::Uuid {
        let d = self.0.finalize();
        let mut b = [0u8; 16];
        b.copy_from_slice(&d[..16]);
        uuid::Builder::from_sha1_bytes(b).into_uuid()
    }
}

impl Write for V5Hasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn both(doc: &serde_json::Value, write: impl Fn(&mut JsonStream<'_>) -> io::Result<()>) {
        for pretty in [true, false] {
            let mut out = Vec::new();
            write(&mut JsonStream::new(&mut out, pretty)).unwrap();
            let want = if pretty {
                serde_json::to_string_pretty(doc).unwrap()
            } else {
                serde_json::to_string(doc).unwrap()
            };
            assert_eq!(String::from_utf8(out).unwrap(), want, "pretty={pretty}");
        }
    }

    #[test]
    fn streamed_documents_match_serde_json() {
        let items = [
            json!({"a": 1, "b": [1, 2, {"c": []}]}),
            json!("x\n\"y\""),
            json!({}),
        ];
        let doc = json!({"empty": [], "items": items, "meta": {"k": "v", "n": null}, "z": 3});
        both(&doc, |s| {
            s.begin_object()?;
            s.key("empty")?;
            s.begin_array()?;
            s.end_array()?;
            s.key("items")?;
            s.begin_array()?;
            for i in &items {
                s.value(i)?;
            }
            s.end_array()?;
            s.key("meta")?;
            s.begin_object()?;
            s.field("k", &"v")?;
            s.field("n", &serde_json::Value::Null)?;
            s.end_object()?;
            s.field("z", &3)?;
            s.end_object()
        });
        both(&json!({}), |s| {
            s.begin_object()?;
            s.end_object()
        });
    }

    #[test]
    fn streamed_v5_matches_uuid_crate() {
        let ns = uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0);
        let mut h = V5Hasher::new(&ns);
        h.write_all(b"hello ").unwrap();
        h.write_all(b"world").unwrap();
        assert_eq!(h.uuid(), uuid::Uuid::new_v5(&ns, b"hello world"));
    }
}
