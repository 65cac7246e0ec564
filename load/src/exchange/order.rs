//! The order exchange packages arrive in, kept per province in `exchange_imports`: each
//! package holds the rows loaded after its `since` (all, without one) up to its
//! `exported_at`. One that starts after the last one of its province imported ended
//! leaves a gap (rows loaded in between are in no package imported here): it is imported,
//! and the gap named. One older than the last is refused where it could undo a
//! withdrawal: when it withdraws loads itself (a later package may have brought them
//! back), or when loads were withdrawn here after its state (its rows may be theirs).

use anyhow::{bail, Result};

use crate::{Database, UtcTime};

/// What a manifest says of the span of loads its package holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub since: Option<UtcTime>,
    pub exported_at: UtcTime,
}

/// Refuses a package of `province` that arrives too late to be taken in (see the
/// module's note); `withdraws`: whether it withdraws loads. The gap it leaves, if any.
pub fn check(db: &mut Database, province: &str, span: Span, withdraws: bool) -> Result<Option<String>> {
    let last = db
        .text(
            "SELECT CAST(max(exported_at) AS VARCHAR) FROM exchange_imports WHERE province = $1",
            &[province],
        )?
        .map(|t| UtcTime::read_sql_text(&t, "exchange_imports"))
        .transpose()?;
    if let Some(last) = last.filter(|last| span.exported_at < *last) {
        let withdrawn_since = db.text(
            "SELECT CAST(count(*) AS VARCHAR) FROM unloads WHERE unloaded_at > CAST(CAST($1 AS VARCHAR) AS TIMESTAMP)",
            &[&span.exported_at.sql_text()],
        )?;
        if withdraws || withdrawn_since.as_deref() != Some("0") {
            bail!(
                "the package of province {province} holds the state of {}, older than the last of its \
                 packages imported here ({}), and loads were withdrawn in between: taken in now, it \
                 could bring back rows of a withdrawn load, or take out rows a later package brought back",
                span.exported_at.rfc3339(),
                last.rfc3339()
            );
        }
    }
    Ok(match (span.since, last) {
        (None, _) => None,
        (Some(since), Some(last)) if since <= last => None,
        (Some(since), Some(last)) => Some(format!(
            "the package of province {province} holds loads after {}, but the last of its packages \
             imported here holds loads up to {}: rows loaded in between are in no package imported here",
            since.rfc3339(),
            last.rfc3339()
        )),
        (Some(since), None) => Some(format!(
            "the package of province {province} holds loads after {}, and none of its packages was \
             imported here before: rows loaded earlier are in no package imported here",
            since.rfc3339()
        )),
    })
}

/// A package as the database recorded it when it was imported.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Imported {
    pub province: String,
    /// Loads after this time, or all (`None`).
    pub since: Option<UtcTime>,
    /// The moment of the state it holds: the `--since` of the province's next package.
    pub exported_at: UtcTime,
    pub imported_at: UtcTime,
}

/// The packages imported, of one province or all, the latest state first. None in a
/// database of the first schema version, which kept no record of them.
pub fn imported(db: &mut Database, province: Option<&str>) -> Result<Vec<Imported>> {
    if !db.has_table("exchange_imports")? {
        return Ok(Vec::new());
    }
    let mut packages = Vec::new();
    db.each_row(
        "SELECT province, CAST(since AS VARCHAR), CAST(exported_at AS VARCHAR), CAST(imported_at AS VARCHAR)
         FROM exchange_imports WHERE $1 = '' OR province = $1
         ORDER BY exported_at DESC, province",
        &[province.unwrap_or_default()],
        4,
        |v| {
            let time = |t: &str| UtcTime::read_sql_text(t, "exchange_imports");
            packages.push((|| {
                Ok(Imported {
                    province: v[0].unwrap_or_default().to_string(),
                    since: v[1].map(time).transpose()?,
                    exported_at: time(v[2].unwrap_or_default())?,
                    imported_at: time(v[3].unwrap_or_default())?,
                })
            })())
        },
    )?;
    packages.into_iter().collect()
}

/// Records a package imported, once however often it is.
pub fn record(db: &mut Database, province: &str, span: Span, at: UtcTime) -> Result<()> {
    let since = span.since.map(UtcTime::sql_text).unwrap_or_default();
    db.execute(
        "INSERT INTO exchange_imports (province, exported_at, since, imported_at)
         SELECT CAST($1 AS VARCHAR), CAST(CAST($2 AS VARCHAR) AS TIMESTAMP),
                CAST(NULLIF(CAST($3 AS VARCHAR), '') AS TIMESTAMP), CAST(CAST($4 AS VARCHAR) AS TIMESTAMP)
         WHERE NOT EXISTS (SELECT 1 FROM exchange_imports
                           WHERE province = CAST($1 AS VARCHAR)
                             AND exported_at = CAST(CAST($2 AS VARCHAR) AS TIMESTAMP))",
        &[province, &span.exported_at.sql_text(), &since, &at.sql_text()],
    )?;
    Ok(())
}
