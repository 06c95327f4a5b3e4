//! The SQLite backend (rusqlite, bundled SQLite): the embedded default.
//!
//! WAL mode and a busy timeout let two `db ingest` processes share one file: writers take the
//! lock up front (`BEGIN IMMEDIATE`) and wait for each other instead of failing half-way.

use super::ingest::Batch;
use super::{Backend, Engine, QueryResult, Value};
use anyhow::{Context as _, Result};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension as _, TransactionBehavior};
use std::path::Path;

/// How long a writer waits for another process's lock.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The page cache, in KiB.
const CACHE_KIB: i64 = 8 * 1024;

/// A SQLite store.
pub struct Sqlite {
    conn: Connection,
}

impl Sqlite {
    /// Open (or create) the store file.
    pub fn open(path: &Path) -> Result<Sqlite> {
        let conn = Connection::open(path)
            .with_context(|| format!("{}: cannot open the SQLite store", path.display()))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .with_context(|| format!("{}: not a SQLite database", path.display()))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // An 8 MiB page cache (the default is 2 MiB): fleet queries revisit the component and
        // observation pages of many scans, and re-reading them dominated `db check`.
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        Ok(Sqlite { conn })
    }
}

fn to_sql(v: &Value) -> rusqlite::types::Value {
    match v {
        Value::Null => rusqlite::types::Value::Null,
        Value::Int(i) => rusqlite::types::Value::Integer(*i),
        Value::Text(s) => rusqlite::types::Value::Text(s.clone()),
    }
}

impl Backend for Sqlite {
    fn engine(&self) -> Engine {
        Engine::Sqlite
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql)?;
        Ok(())
    }

    fn each_row(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()> {
        let mut st = self
            .conn
            .prepare_cached(sql)
            .with_context(|| format!("preparing: {sql}"))?;
        let n = st.column_count();
        let ps: Vec<_> = params.iter().map(to_sql).collect();
        let mut rows = st.query(rusqlite::params_from_iter(ps))?;
        let mut r = Vec::with_capacity(n);
        while let Some(row) = rows.next()? {
            r.clear();
            for i in 0..n {
                r.push(match row.get_ref(i)? {
                    rusqlite::types::ValueRef::Null => Value::Null,
                    rusqlite::types::ValueRef::Integer(i) => Value::Int(i),
                    rusqlite::types::ValueRef::Real(f) => Value::Int(f as i64),
                    rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) => {
                        Value::Text(String::from_utf8_lossy(t).into_owned())
                    }
                });
            }
            f(&r)?;
        }
        Ok(())
    }

    fn apply_migration(&mut self, version: i64, name: &str, sql: &str) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let done: Option<i64> = tx
            .query_row(
                "SELECT version FROM sovscan_schema WHERE version = ?1",
                [version],
                |r| r.get(0),
            )
            .optional()?;
        if done.is_none() {
            // `INTEGER PRIMARY KEY` is SQLite's rowid itself (64-bit): one B-tree look-up per
            // id instead of an index search and then the table. PostgreSQL keeps `BIGINT`.
            let sql = sql
                .replace("/*WITHOUT ROWID*/", "WITHOUT ROWID")
                .replace("BIGINT PRIMARY KEY", "INTEGER PRIMARY KEY");
            tx.execute_batch(&sql)
                .with_context(|| format!("migration {version} ({name})"))?;
            tx.execute(
                "INSERT INTO sovscan_schema (version, name, applied) VALUES (?1, ?2, ?3)",
                params![version, name, super::schema::now()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn read_only(&mut self, sql: &str) -> Result<QueryResult> {
        // A second connection opened read-only (attached databases inherit the flag), with
        // `query_only` and a statement SQLite itself reports as read-only, in a transaction
        // that is rolled back.
        let path = self
            .conn
            .path()
            .map(std::path::PathBuf::from)
            .context("the store has no file")?;
        let ro = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        ro.busy_timeout(BUSY_TIMEOUT)?;
        ro.pragma_update(None, "query_only", "ON")?;
        ro.pragma_update(None, "cache_size", -CACHE_KIB)?;
        ro.execute_batch("BEGIN")?;
        let result = (|| -> Result<QueryResult> {
            let mut st = ro.prepare(sql)?;
            if !st.readonly() {
                anyhow::bail!("only statements that read are allowed");
            }
            let columns: Vec<String> = st.column_names().iter().map(|c| c.to_string()).collect();
            let n = columns.len();
            let mut rows = st.query([])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let mut r = Vec::with_capacity(n);
                for i in 0..n {
                    use rusqlite::types::ValueRef as V;
                    r.push(match row.get_ref(i)? {
                        V::Null => None,
                        V::Integer(i) => Some(i.to_string()),
                        V::Real(f) => Some(f.to_string()),
                        V::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
                        V::Blob(b) => Some(
                            b.iter().fold(String::from("x'"), |mut h, x| {
                                h.push_str(&format!("{x:02x}"));
                                h
                            }) + "'",
                        ),
                    });
                }
                out.push(r);
            }
            Ok(QueryResult { columns, rows: out })
        })();
        let _ = ro.execute_batch("ROLLBACK");
        result
    }

    fn write(&mut self, batch: &Batch) -> Result<Vec<i64>> {
        let now = super::schema::now();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut new = Vec::new();
        {
            let mut scan = tx.prepare_cached(
                "INSERT INTO scans (id, host, started, quarter, report_digest, rules_version, \
                 rules_digest, tool_version, home, components, errors, source, ingested) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
                 ON CONFLICT DO NOTHING",
            )?;
            let mut tag = tx.prepare_cached(
                "INSERT INTO scan_tags (scan_id, key, value) VALUES (?1, ?2, ?3) \
                 ON CONFLICT DO NOTHING",
            )?;
            for s in &batch.scans {
                let n = scan.execute(params![
                    s.id,
                    s.host,
                    s.started,
                    s.quarter,
                    s.digest,
                    s.rules_version,
                    s.rules_digest,
                    s.tool_version,
                    s.home,
                    s.components,
                    s.errors,
                    s.source,
                    now
                ])?;
                if n == 1 {
                    new.push(s.id);
                    for (k, v) in &s.tags {
                        tag.execute(params![s.id, k, v])?;
                    }
                }
            }
            let mut comp = tx.prepare_cached(
                "INSERT INTO components (id, ident, kind, ecosystem, name, version, purl) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
            )?;
            for c in batch.components.values() {
                comp.execute(params![
                    c.id,
                    c.ident,
                    c.kind,
                    c.ecosystem,
                    c.name,
                    c.version,
                    c.purl
                ])?;
            }
            let mut party = tx.prepare_cached(
                "INSERT INTO parties (id, name, country) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET name = COALESCE(parties.name, excluded.name), \
                 country = COALESCE(parties.country, excluded.country)",
            )?;
            for p in batch.parties.values() {
                party.execute(params![p.id, p.name, p.country])?;
            }
            let mut obs = tx.prepare_cached(
                "INSERT INTO observations (scan_id, component_id, vendor, owner, country, \
                 origin, international, category, product, count, vendor_country, criticality, \
                 signer, signer_country, chain, part_of, counted, properties) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
                 ?17, ?18) \
                 ON CONFLICT DO NOTHING",
            )?;
            let new_set: std::collections::HashSet<i64> = new.iter().copied().collect();
            for o in batch
                .observations
                .iter()
                .filter(|o| new_set.contains(&o.scan_id))
            {
                obs.execute(params![
                    o.scan_id,
                    o.component_id,
                    o.vendor,
                    o.owner,
                    o.country,
                    o.origin,
                    o.international as i64,
                    o.category,
                    o.product,
                    o.count,
                    o.vendor_country,
                    o.criticality,
                    o.signer,
                    o.signer_country,
                    o.chain,
                    o.part_of,
                    o.counted as i64,
                    o.properties
                ])?;
            }
        }
        tx.commit()?;
        Ok(new)
    }
}
