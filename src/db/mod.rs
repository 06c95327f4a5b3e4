//! The fleet store (`sovscan db`): reports of many hosts and quarters kept in SQLite (the
//! embedded default) or PostgreSQL, and the queries over them.
//!
//! One schema serves both backends ([`schema`]); the SQL of the queries is written once, in the
//! subset both engines share, with `?` placeholders that the PostgreSQL backend renumbers. What
//! differs per engine is behind [`Backend`]: connecting, running SQL, and writing one batch of
//! ingested reports ([`sqlite`] with prepared inserts in one `BEGIN IMMEDIATE` transaction,
//! [`postgres`] with `COPY` into staging tables and an upsert).
//!
//! Row ids are not sequences: a scan's id is a hash of its idempotence key (host, start, report
//! digest) and a component's of its identity, so both engines compute the same ids in Rust,
//! `COPY` needs no id look-up, and re-ingesting a report finds the same rows.
//!
//! This module does not read reports ([`ingest`] does) nor render results
//! ([`crate::report::db`] does).

pub mod check;
pub mod ingest;
pub mod postgres;
pub mod query;
pub mod schema;
pub mod sqlite;

use anyhow::Result;
use sha2::{Digest as _, Sha256};

/// A value in a query result or parameter list: the three types the queries use.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer (counts, ids).
    Int(i64),
    /// Text.
    Text(String),
}

impl Value {
    /// The text, or `None` for NULL (integers are formatted).
    pub fn text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Int(i) => Some(i.to_string()),
            Value::Text(s) => Some(s.clone()),
        }
    }

    /// The integer (0 for NULL or text).
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            Value::Text(s) => s.parse().unwrap_or(0),
            Value::Null => 0,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

/// Where the store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL connection URL (`postgres://user:password@host:port/db`).
    Postgres(String),
}

impl Location {
    /// Parse `--db`: `postgres://…` or `postgresql://…`, `sqlite://PATH`, or a file path.
    pub fn parse(url: &str) -> Result<Location> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Location::Postgres(url.to_owned()));
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        if path.is_empty() {
            anyhow::bail!("--db `{url}`: no SQLite file named");
        }
        if let Some((scheme, _)) = url.split_once("://") {
            if scheme != "sqlite" {
                anyhow::bail!(
                    "--db `{url}`: unknown scheme `{scheme}://` (use a file path, sqlite://PATH or postgres://…)"
                );
            }
        }
        Ok(Location::Sqlite(path.into()))
    }

    /// The location for messages: a PostgreSQL password is replaced by `***`.
    pub fn display(&self) -> String {
        match self {
            Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(url) => redact(url),
        }
    }
}

fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some(x) => x,
        None => return url.to_owned(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Which engine a backend runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// What differs between the engines. Everything else (migrations, queries) is shared SQL.
pub trait Backend {
    /// The engine.
    fn engine(&self) -> Engine;
    /// Run statements separated by `;` (no parameters, no result).
    fn execute_batch(&mut self, sql: &str) -> Result<()>;
    /// Run one query with `?` parameters and return every row.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>> {
        let mut out = Vec::new();
        self.each_row(sql, params, &mut |r| {
            out.push(r.to_vec());
            Ok(())
        })?;
        Ok(out)
    }
    /// Run one query and hand each row to `f` as it arrives, without collecting them (a pass
    /// over a quarter's observations).
    fn each_row(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()>;
    /// Apply one migration and record its version, in one transaction that also serialises
    /// concurrent migrators.
    fn apply_migration(&mut self, version: i64, name: &str, sql: &str) -> Result<()>;
    /// Write one batch in one transaction; returns the ids of the scans that were new (the
    /// others were stored before and are left as they are).
    fn write(&mut self, batch: &ingest::Batch) -> Result<Vec<i64>>;
    /// Run one user-supplied statement in a read-only transaction that is rolled back, and
    /// return the column names and every row (`db query`). More than one statement, or one
    /// that would write, is refused.
    fn read_only(&mut self, sql: &str) -> Result<QueryResult>;
}

/// What `db query` returns: column names and rows, every value as text or NULL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryResult {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// Rows; `None` is SQL NULL.
    pub rows: Vec<Vec<Option<String>>>,
}

/// Open the store and bring its schema up to date.
pub fn open(loc: &Location) -> Result<Box<dyn Backend>> {
    let mut b: Box<dyn Backend> = match loc {
        Location::Sqlite(p) => Box::new(sqlite::Sqlite::open(p)?),
        Location::Postgres(url) => Box::new(postgres::Postgres::connect(url, &loc.display())?),
    };
    schema::migrate(b.as_mut())?;
    Ok(b)
}

/// A stable 63-bit id from the parts of a key (SHA-256, first 8 bytes).
pub fn key_id(parts: &[&str]) -> i64 {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0u8]);
    }
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    (u64::from_be_bytes(b) >> 1) as i64
}

/// The quarter (`2026-Q4`) of an RFC 3339 time or date (`2026-11-22T10:00:00Z`, `2026-11-22`).
pub fn quarter_of(ts: &str) -> Option<String> {
    let year: u32 = ts.get(..4)?.parse().ok()?;
    let month: u32 = ts.get(5..7)?.parse().ok()?;
    if ts.as_bytes().get(4) != Some(&b'-') || !(1..=12).contains(&month) {
        return None;
    }
    Some(format!("{year:04}-Q{}", (month - 1) / 3 + 1))
}

/// Check a quarter given on the command line (`2026-Q3`) and return it normalised.
pub fn parse_quarter(q: &str) -> Result<String> {
    let up = q.trim().to_ascii_uppercase();
    let ok = up.len() == 7
        && up[..4].bytes().all(|b| b.is_ascii_digit())
        && &up[4..6] == "-Q"
        && matches!(&up[6..], "1" | "2" | "3" | "4");
    if !ok {
        anyhow::bail!("`{q}` is not a quarter (write 2026-Q3)");
    }
    Ok(up)
}

/// The first quarter after `q` (`2026-Q4` → `2027-Q1`).
pub fn next_quarter(q: &str) -> String {
    let year: u32 = q[..4].parse().unwrap_or(0);
    let n: u32 = q[6..].parse().unwrap_or(1);
    if n == 4 {
        format!("{:04}-Q1", year + 1)
    } else {
        format!("{year:04}-Q{}", n + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(
            Location::parse("fleet.db").unwrap(),
            Location::Sqlite("fleet.db".into())
        );
        assert_eq!(
            Location::parse("sqlite:///var/lib/s.db").unwrap(),
            Location::Sqlite("/var/lib/s.db".into())
        );
        assert!(matches!(
            Location::parse("postgresql://u@h/db").unwrap(),
            Location::Postgres(_)
        ));
        assert!(Location::parse("mysql://x").is_err());
        assert!(Location::parse("sqlite://").is_err());
        assert_eq!(
            Location::parse("postgres://u:secret@h:5432/db")
                .unwrap()
                .display(),
            "postgres://u:***@h:5432/db"
        );
    }

    #[test]
    fn quarters() {
        assert_eq!(
            quarter_of("2026-11-22T10:00:00Z").as_deref(),
            Some("2026-Q4")
        );
        assert_eq!(quarter_of("2026-07-01").as_deref(), Some("2026-Q3"));
        assert_eq!(quarter_of("2026-13-01"), None);
        assert_eq!(parse_quarter("2026-q3").unwrap(), "2026-Q3");
        assert!(parse_quarter("2026-Q5").is_err());
        assert_eq!(next_quarter("2026-Q4"), "2027-Q1");
        assert_eq!(next_quarter("2026-Q1"), "2026-Q2");
    }

    #[test]
    fn ids_are_stable_and_positive() {
        let a = key_id(&["h", "2026-01-01T00:00:00Z", "sha256:x"]);
        assert_eq!(a, key_id(&["h", "2026-01-01T00:00:00Z", "sha256:x"]));
        assert!(a >= 0);
        assert_ne!(a, key_id(&["h2", "2026-01-01T00:00:00Z", "sha256:x"]));
    }
}
