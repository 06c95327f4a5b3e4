//! The store's schema: versioned migrations embedded in the binary, in the SQL subset that
//! SQLite and PostgreSQL share, applied in order by `db migrate` or on first use.
//!
//! A migration is never edited once released: a change is a new entry at the end of
//! [`MIGRATIONS`]. Version numbers are recorded in `sovscan_schema`; a store with a version this
//! binary does not know (made by a newer sovscan) is refused rather than guessed at.
//!
//! Tables: `scans` (one row per ingested report: host, start, quarter, report digest, rules
//! version and digest), `scan_tags`, `components` (identity only), `parties` (vendors and
//! owners), `observations` (one row per scan × component: vendor, owner, country, origin,
//! category, product, signer). Views for BI tools come in migration 2 (see the README).
//!
//! Every component of a report is stored, so that `db check` evaluates a policy on exactly
//! what `sovscan check` sees; those the summary does not count (a binary listed inside its
//! package, trust anchors) have `counted = 0`, and every count (the queries, the views, `scans.components`) leaves those
//! out, as the report's own summary does.

use super::{Backend, Value};
use anyhow::Result;

/// The migrations, in order: (version, name, SQL). The engine-specific words: a comment,
/// `/*WITHOUT ROWID*/`, that the SQLite backend turns into the clause (observations clustered
/// by scan, so a scan's rows are read in one range) and PostgreSQL ignores; and `BIGINT
/// PRIMARY KEY`, which SQLite makes its 64-bit rowid (`INTEGER PRIMARY KEY`).
pub const MIGRATIONS: &[(i64, &str, &str)] = &[(1, "tables", TABLES), (2, "views", VIEWS)];

const TABLES: &str = "
CREATE TABLE scans (
    id BIGINT PRIMARY KEY,
    host TEXT NOT NULL,
    started TEXT NOT NULL,
    quarter TEXT NOT NULL,
    report_digest TEXT NOT NULL,
    rules_version TEXT NOT NULL,
    rules_digest TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    home TEXT,
    components BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    source TEXT NOT NULL,
    ingested TEXT NOT NULL,
    UNIQUE (host, started, report_digest)
);
CREATE INDEX scans_host_quarter ON scans (host, quarter, started);
CREATE INDEX scans_quarter ON scans (quarter);
CREATE TABLE scan_tags (
    scan_id BIGINT NOT NULL REFERENCES scans (id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (scan_id, key)
);
CREATE INDEX scan_tags_key_value ON scan_tags (key, value);
CREATE TABLE components (
    id BIGINT PRIMARY KEY,
    ident TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    ecosystem TEXT,
    name TEXT NOT NULL,
    version TEXT,
    purl TEXT
);
CREATE TABLE parties (
    id TEXT PRIMARY KEY,
    name TEXT,
    country TEXT
);
CREATE TABLE observations (
    scan_id BIGINT NOT NULL REFERENCES scans (id),
    component_id BIGINT NOT NULL REFERENCES components (id),
    vendor TEXT,
    owner TEXT,
    country TEXT,
    origin TEXT,
    international INTEGER NOT NULL,
    category TEXT,
    product TEXT,
    count BIGINT NOT NULL,
    vendor_country TEXT,
    criticality TEXT,
    signer TEXT,
    signer_country TEXT,
    chain TEXT,
    part_of TEXT,
    counted INTEGER NOT NULL,
    properties TEXT,
    PRIMARY KEY (scan_id, component_id)
) /*WITHOUT ROWID*/;
CREATE INDEX observations_vendor ON observations (vendor, scan_id);
CREATE INDEX observations_owner ON observations (owner, scan_id);
CREATE INDEX observations_country ON observations (country, scan_id);
CREATE INDEX observations_product ON observations (product, scan_id);
";

/// A scan is a host's latest in its quarter when no other scan of that host in that quarter
/// started later (ties broken by report digest, so exactly one wins).
pub const QUARTER_LATEST: &str = "NOT EXISTS (SELECT 1 FROM scans n WHERE n.host = s.host \
    AND n.quarter = s.quarter AND (n.started > s.started \
    OR (n.started = s.started AND n.report_digest > s.report_digest)))";

const VIEWS: &str = "
CREATE VIEW v_latest_scan AS
SELECT s.* FROM scans s
WHERE NOT EXISTS (SELECT 1 FROM scans n WHERE n.host = s.host AND (n.started > s.started
    OR (n.started = s.started AND n.report_digest > s.report_digest)));
CREATE VIEW v_quarter_scan AS
SELECT s.* FROM scans s
WHERE NOT EXISTS (SELECT 1 FROM scans n WHERE n.host = s.host AND n.quarter = s.quarter
    AND (n.started > s.started OR (n.started = s.started AND n.report_digest > s.report_digest)));
CREATE VIEW v_observation AS
SELECT s.host, s.started, s.quarter, s.id AS scan_id, c.ident AS component, c.kind,
       c.ecosystem, c.name, c.version, c.purl, o.vendor, o.owner, o.country,
       COALESCE(o.origin, 'unknown') AS origin, o.category, o.product, o.count,
       o.vendor_country, o.criticality, o.signer, o.signer_country
FROM scans s JOIN observations o ON o.scan_id = s.id JOIN components c ON c.id = o.component_id
WHERE o.counted = 1;
CREATE VIEW v_latest_observation AS
SELECT v.* FROM v_observation v JOIN v_latest_scan l ON l.id = v.scan_id;
CREATE VIEW v_quarterly_reliance AS
SELECT q.quarter, COALESCE(o.origin, 'unknown') AS origin, COUNT(DISTINCT q.host) AS hosts,
       COUNT(*) AS components
FROM v_quarter_scan q JOIN observations o ON o.scan_id = q.id AND o.counted = 1
GROUP BY q.quarter, COALESCE(o.origin, 'unknown');
CREATE VIEW v_quarterly_country AS
SELECT q.quarter, COALESCE(o.country, 'unknown') AS country, COUNT(DISTINCT q.host) AS hosts,
       COUNT(*) AS components
FROM v_quarter_scan q JOIN observations o ON o.scan_id = q.id AND o.counted = 1
GROUP BY q.quarter, COALESCE(o.country, 'unknown');
CREATE VIEW v_host_tags AS
SELECT l.host, t.key, t.value FROM v_latest_scan l JOIN scan_tags t ON t.scan_id = l.id;
";

/// The newest schema version this binary knows.
pub fn latest() -> i64 {
    MIGRATIONS.last().map(|m| m.0).unwrap_or(0)
}

/// The store's schema version (0 for an empty store).
pub fn current(b: &mut dyn Backend) -> Result<i64> {
    b.execute_batch(
        "CREATE TABLE IF NOT EXISTS sovscan_schema (version BIGINT PRIMARY KEY, \
         name TEXT NOT NULL, applied TEXT NOT NULL)",
    )?;
    let rows = b.query("SELECT MAX(version) FROM sovscan_schema", &[])?;
    Ok(rows
        .first()
        .and_then(|r| r.first())
        .map(Value::int)
        .unwrap_or(0))
}

/// Apply every migration the store lacks; returns the versions applied.
pub fn migrate(b: &mut dyn Backend) -> Result<Vec<i64>> {
    let have = current(b)?;
    if have > latest() {
        anyhow::bail!(
            "the store has schema version {have}, newer than this sovscan knows ({}): upgrade sovscan",
            latest()
        );
    }
    let mut applied = Vec::new();
    for (version, name, sql) in MIGRATIONS.iter().filter(|m| m.0 > have) {
        b.apply_migration(*version, name, sql)?;
        applied.push(*version);
    }
    Ok(applied)
}

/// Split a migration into statements (none of ours has `;` inside a literal).
pub fn statements(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(';').map(str::trim).filter(|s| !s.is_empty())
}

/// The current time, RFC 3339 UTC.
pub fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
