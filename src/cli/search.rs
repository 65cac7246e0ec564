//! `ledgerline search`: find records by name (characters or pinyin), ID number or prefix,
//! place, date; ranked, with why each matched.

use std::process::ExitCode;

use anyhow::{bail, Result};
use ledgerline_schemas::{written, Field};
use ledgerline_search::{Role, SearchIndex, SearchRequest};

use super::index::index_dir;
use super::WorkspaceArg;

#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  ledgerline search 王秀英 历城区 2013\n  ledgerline search wang xiu ying\n  \
ledgerline search wxy --type cremation --from 2012-01-01 --to 2014-12-31\n  ledgerline search 370112 --status needs_review\n  \
ledgerline search 王秀英 1937        (born in 1937, by the ID number)\n  ledgerline search 2013年4月11日      (died, cremated or buried that day)\n\n\
Only verified records are searched unless --status says otherwise; ID numbers and phones are masked \
for roles that may not see them."
)]
pub struct Args {
    #[command(flatten)]
    pub ws: WorkspaceArg,
    /// Name (汉字 or pinyin, full or initials), ID number or its prefix, place, year (of a
    /// death, cremation, burial or birth), date (2013-04-11, 2013年4月11日)
    #[arg(required = true, num_args = 1..)]
    pub query: Vec<String>,
    /// cremation or burial
    #[arg(long = "type", value_name = "TYPE")]
    pub record_type: Option<String>,
    /// Earliest cremation/burial (else death) date, YYYY-MM-DD
    #[arg(long)]
    pub from: Option<String>,
    /// Latest cremation/burial (else death) date, YYYY-MM-DD
    #[arg(long)]
    pub to: Option<String>,
    /// Funeral home or cemetery (words of its name)
    #[arg(long)]
    pub agency: Option<String>,
    /// verified (default), machine, needs_review or rejected
    #[arg(long)]
    pub status: Option<String>,
    /// At most this many records, the best first
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Whose eyes the results are for: data_entry, reviewer, archivist, dba, admin
    #[arg(long, default_value = "archivist", env = "LEDGERLINE_ROLE")]
    pub role: String,
    /// Print the results as JSON: each record's fields (masked for the role), score and
    /// why it matched, and the facet counts
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let ws = a.ws.open_existing()?;
    let dir = index_dir(&ws);
    if !dir.join("meta.json").is_file() {
        bail!("{}: no search index yet; run `ledgerline index` first", dir.display());
    }
    let index = SearchIndex::open(&dir)?;
    let request = SearchRequest {
        record_type: a.record_type,
        from: a.from,
        to: a.to,
        agency: a.agency,
        status: a.status,
        limit: a.limit,
        role: Role::parse(&a.role)?,
        ..SearchRequest::new(a.query.join(" "))
    };
    let results = index.search(&request)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} records match", results.total);
    for h in &results.hits {
        let r = &h.record;
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".into());
        // The sex as a person reads it (男, not its code 1).
        let sex = r
            .gender
            .as_deref()
            .map(|g| written::meaning(Field::Gender, g).unwrap_or(g));
        println!(
            "{:>6.2}  {}  {} {} 性别{} 身份证{} 生{} 卒{} {}",
            h.score,
            r.record_id,
            r.record_type,
            dash(&r.name),
            sex.unwrap_or("—"),
            dash(&r.id_number),
            dash(&r.birth_date),
            dash(&r.death_date),
            dash(&r.household_address)
        );
        println!(
            "        {} page {} row {} · {} · {} · matched {}",
            r.batch,
            r.page,
            r.row,
            r.status,
            dash(&r.agency_name),
            h.matched.join("; ")
        );
    }
    for (facet, counts) in &results.facets {
        if !counts.is_empty() {
            let list: Vec<String> = counts.iter().map(|(v, n)| format!("{v} {n}")).collect();
            println!("{facet}: {}", list.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}
