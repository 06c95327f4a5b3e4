//! The PostgreSQL backend (the `postgres` crate, synchronous: the CLI is synchronous and needs
//! no async runtime of its own).
//!
//! A batch is one transaction: every table's rows are `COPY`ed into temporary staging tables
//! (emptied on commit) and moved with `INSERT … SELECT … ON CONFLICT`, so that two concurrent
//! ingests of the same reports neither fail nor duplicate rows: the second waits on the first's
//! uncommitted scan row, then finds it stored and skips that scan's rows. Migrations take a
//! transaction-scoped advisory lock. Connections are plain TCP or a Unix socket (no TLS yet).

use super::ingest::Batch;
use super::{Backend, Engine, QueryResult, Value};
use anyhow::{Context as _, Result};
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};
use std::io::Write as _;

/// Advisory lock key taken while migrating (any constant; "sovscan" in ASCII).
const MIGRATION_LOCK: i64 = 0x0073_6f76_7363_616e;
/// How long connecting may take before it is an error.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A PostgreSQL store.
pub struct Postgres {
    client: Client,
    staged: bool,
}

impl Postgres {
    /// Connect; `shown` is the URL with its password hidden, for messages.
    pub fn connect(url: &str, shown: &str) -> Result<Postgres> {
        let mut cfg: postgres::Config = url
            .parse()
            .map_err(|e| anyhow::anyhow!("{shown}: not a PostgreSQL URL: {e}"))?;
        if cfg.get_connect_timeout().is_none() {
            cfg.connect_timeout(CONNECT_TIMEOUT);
        }
        let client = cfg
            .connect(NoTls)
            .map_err(|e| anyhow::anyhow!("{shown}: cannot connect: {}", one_line(&e)))?;
        Ok(Postgres {
            client,
            staged: false,
        })
    }
}

/// The error and its causes on one line.
fn one_line(e: &postgres::Error) -> String {
    let mut s = e.to_string();
    if let Some(db) = e.as_db_error() {
        s = format!("{}: {}", db.severity(), db.message());
    } else if let Some(src) = std::error::Error::source(e) {
        if !s.contains(&src.to_string()) {
            s = format!("{s}: {src}");
        }
    }
    s.replace('\n', " ")
}

/// `?` placeholders to `$1, $2, …` (the shared SQL has no `?` inside literals).
pub fn renumber(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out
}

fn param(v: &Value) -> Box<dyn ToSql + Sync> {
    match v {
        Value::Null => Box::new(None::<String>),
        Value::Int(i) => Box::new(*i),
        Value::Text(s) => Box::new(s.clone()),
    }
}

fn cell(row: &postgres::Row, i: usize) -> Result<Value> {
    let t = row.columns()[i].type_();
    Ok(if *t == Type::INT8 {
        row.try_get::<_, Option<i64>>(i)?
            .map_or(Value::Null, Value::Int)
    } else if *t == Type::INT4 {
        row.try_get::<_, Option<i32>>(i)?
            .map_or(Value::Null, |v| Value::Int(v.into()))
    } else if *t == Type::INT2 {
        row.try_get::<_, Option<i16>>(i)?
            .map_or(Value::Null, |v| Value::Int(v.into()))
    } else if *t == Type::BOOL {
        row.try_get::<_, Option<bool>>(i)?
            .map_or(Value::Null, |v| Value::Int(v.into()))
    } else {
        row.try_get::<_, Option<String>>(i)?
            .map_or(Value::Null, Value::Text)
    })
}

/// A value of a user query as text: the integer, float, boolean and text types; others are
/// an error that asks for a cast.
fn text_cell(row: &postgres::Row, i: usize, t: &Type) -> Result<Option<String>> {
    Ok(if *t == Type::FLOAT8 {
        row.try_get::<_, Option<f64>>(i)?.map(|v| v.to_string())
    } else if *t == Type::FLOAT4 {
        row.try_get::<_, Option<f32>>(i)?.map(|v| v.to_string())
    } else if *t == Type::BOOL {
        row.try_get::<_, Option<bool>>(i)?.map(|v| v.to_string())
    } else if [Type::INT2, Type::INT4, Type::INT8].contains(t) {
        cell(row, i)?.text()
    } else {
        row.try_get::<_, Option<String>>(i)?
    })
}

/// One field in COPY text format.
fn field(out: &mut Vec<u8>, v: Option<&str>) {
    match v {
        None => out.extend_from_slice(b"\\N"),
        Some(s) => {
            for b in s.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
    }
}

fn line(out: &mut Vec<u8>, fields: &[Option<&str>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        field(out, *f);
    }
    out.push(b'\n');
}

fn copy(tx: &mut postgres::Transaction<'_>, table: &str, data: &[u8]) -> Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    let mut w = tx.copy_in(&format!("COPY {table} FROM STDIN"))?;
    w.write_all(data)?;
    w.finish().with_context(|| format!("COPY into {table}"))?;
    Ok(())
}

const STAGING: &str = "
CREATE TEMP TABLE IF NOT EXISTS stage_scans (LIKE scans) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_tags (LIKE scan_tags) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_components (LIKE components) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_parties (LIKE parties) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS stage_observations (LIKE observations) ON COMMIT DELETE ROWS;
";

impl Backend for Postgres {
    fn engine(&self) -> Engine {
        Engine::Postgres
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.client
            .batch_execute(sql)
            .map_err(|e| anyhow::anyhow!("{}", one_line(&e)))
    }

    fn each_row(
        &mut self,
        sql: &str,
        params: &[Value],
        f: &mut dyn FnMut(&[Value]) -> Result<()>,
    ) -> Result<()> {
        use postgres::fallible_iterator::FallibleIterator as _;
        let sql = renumber(sql);
        let boxed: Vec<_> = params.iter().map(param).collect();
        let refs = boxed.iter().map(|b| b.as_ref() as &(dyn ToSql + Sync));
        let mut rows = self
            .client
            .query_raw(&sql, refs)
            .map_err(|e| anyhow::anyhow!("{}: {sql}", one_line(&e)))?;
        let mut r = Vec::new();
        while let Some(row) = rows
            .next()
            .map_err(|e| anyhow::anyhow!("{}: {sql}", one_line(&e)))?
        {
            r.clear();
            for i in 0..row.len() {
                r.push(cell(&row, i)?);
            }
            f(&r)?;
        }
        Ok(())
    }

    fn apply_migration(&mut self, version: i64, name: &str, sql: &str) -> Result<()> {
        let mut tx = self.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        let done = tx.query(
            "SELECT version FROM sovscan_schema WHERE version = $1",
            &[&version],
        )?;
        if done.is_empty() {
            tx.batch_execute(sql)
                .map_err(|e| anyhow::anyhow!("migration {version} ({name}): {}", one_line(&e)))?;
            tx.execute(
                "INSERT INTO sovscan_schema (version, name, applied) VALUES ($1, $2, $3)",
                &[&version, &name, &super::schema::now()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn read_only(&mut self, sql: &str) -> Result<QueryResult> {
        // The extended protocol takes exactly one statement (so no `COMMIT; …` can end the
        // read-only transaction), and the transaction is read-only and rolled back.
        let mut tx = self
            .client
            .build_transaction()
            .read_only(true)
            .start()
            .map_err(|e| anyhow::anyhow!("{}", one_line(&e)))?;
        let st = tx
            .prepare(sql)
            .map_err(|e| anyhow::anyhow!("{}", one_line(&e)))?;
        let columns: Vec<String> = st.columns().iter().map(|c| c.name().to_owned()).collect();
        let rows = tx
            .query(&st, &[])
            .map_err(|e| anyhow::anyhow!("{}", one_line(&e)))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut r = Vec::with_capacity(columns.len());
            for (i, c) in st.columns().iter().enumerate() {
                r.push(text_cell(row, i, c.type_()).with_context(|| {
                    format!(
                        "column `{}` has type {}: cast it to text (`{}::text`)",
                        c.name(),
                        c.type_(),
                        c.name()
                    )
                })?);
            }
            out.push(r);
        }
        tx.rollback()?;
        Ok(QueryResult { columns, rows: out })
    }

    fn write(&mut self, batch: &Batch) -> Result<Vec<i64>> {
        if !self.staged {
            self.client.batch_execute(STAGING)?;
            self.staged = true;
        }
        let ids: Vec<i64> = batch.scans.iter().map(|s| s.id).collect();
        let known: std::collections::HashSet<i64> = self
            .client
            .query("SELECT id FROM scans WHERE id = ANY($1)", &[&ids])?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let now = super::schema::now();
        let mut scans = Vec::new();
        let mut tags = Vec::new();
        for s in batch.scans.iter().filter(|s| !known.contains(&s.id)) {
            let (id, comps, errs) = (
                s.id.to_string(),
                s.components.to_string(),
                s.errors.to_string(),
            );
            line(
                &mut scans,
                &[
                    Some(&id),
                    Some(&s.host),
                    Some(&s.started),
                    Some(&s.quarter),
                    Some(&s.digest),
                    Some(&s.rules_version),
                    Some(&s.rules_digest),
                    Some(&s.tool_version),
                    s.home.as_deref(),
                    Some(&comps),
                    Some(&errs),
                    Some(&s.source),
                    Some(&now),
                ],
            );
            for (k, v) in &s.tags {
                line(&mut tags, &[Some(&id), Some(k), Some(v)]);
            }
        }
        let mut comps = Vec::new();
        for c in batch.components.values() {
            let id = c.id.to_string();
            line(
                &mut comps,
                &[
                    Some(&id),
                    Some(&c.ident),
                    Some(&c.kind),
                    c.ecosystem.as_deref(),
                    Some(&c.name),
                    c.version.as_deref(),
                    c.purl.as_deref(),
                ],
            );
        }
        let mut parties = Vec::new();
        for p in batch.parties.values() {
            line(
                &mut parties,
                &[Some(&p.id), p.name.as_deref(), p.country.as_deref()],
            );
        }
        let mut obs = Vec::new();
        for o in batch
            .observations
            .iter()
            .filter(|o| !known.contains(&o.scan_id))
        {
            let (s, c, i, n, k) = (
                o.scan_id.to_string(),
                o.component_id.to_string(),
                (o.international as i32).to_string(),
                o.count.to_string(),
                (o.counted as i32).to_string(),
            );
            line(
                &mut obs,
                &[
                    Some(&s),
                    Some(&c),
                    o.vendor.as_deref(),
                    o.owner.as_deref(),
                    o.country.as_deref(),
                    o.origin.as_deref(),
                    Some(&i),
                    o.category.as_deref(),
                    o.product.as_deref(),
                    Some(&n),
                    o.vendor_country.as_deref(),
                    o.criticality.as_deref(),
                    o.signer.as_deref(),
                    o.signer_country.as_deref(),
                    o.chain.as_deref(),
                    o.part_of.as_deref(),
                    Some(&k),
                    o.properties.as_deref(),
                ],
            );
        }
        let mut tx = self.client.transaction()?;
        copy(&mut tx, "stage_scans", &scans)?;
        let new: Vec<i64> = tx
            .query(
                "INSERT INTO scans SELECT * FROM stage_scans ON CONFLICT DO NOTHING RETURNING id",
                &[],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if !new.is_empty() {
            copy(&mut tx, "stage_tags", &tags)?;
            tx.execute(
                "INSERT INTO scan_tags SELECT * FROM stage_tags WHERE scan_id = ANY($1) \
                 ON CONFLICT DO NOTHING",
                &[&new],
            )?;
            copy(&mut tx, "stage_components", &comps)?;
            tx.execute(
                "INSERT INTO components SELECT * FROM stage_components ORDER BY id \
                 ON CONFLICT DO NOTHING",
                &[],
            )?;
            copy(&mut tx, "stage_parties", &parties)?;
            tx.execute(
                "INSERT INTO parties SELECT * FROM stage_parties ORDER BY id \
                 ON CONFLICT (id) DO UPDATE SET name = COALESCE(parties.name, EXCLUDED.name), \
                 country = COALESCE(parties.country, EXCLUDED.country)",
                &[],
            )?;
            copy(&mut tx, "stage_observations", &obs)?;
            tx.execute(
                "INSERT INTO observations SELECT * FROM stage_observations \
                 WHERE scan_id = ANY($1) ON CONFLICT DO NOTHING",
                &[&new],
            )?;
        }
        tx.commit()?;
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_copy_escapes() {
        assert_eq!(
            renumber("SELECT a FROM t WHERE b = ? AND c = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = $2"
        );
        let mut out = Vec::new();
        line(&mut out, &[Some("a\tb\\c\nd"), None]);
        assert_eq!(out, b"a\\tb\\\\c\\nd\t\\N\n");
    }
}
