//! `ledgerline live import`: a live-data extract (FIS-style CSV or text export, or an Excel
//! workbook) into a basic funeral database as `origin = live`, so backfill loads have live
//! data beside them.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use ledgerline_load::{live, Target};

use super::progress::Progress;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: LiveCommand,
}

#[derive(clap::Subcommand)]
pub enum LiveCommand {
    /// Import a live extract (columns DEAD_ID, NAME, SEX, CARD_TYPE, ID_CARD, BIRTHDAY, AGE,
    /// FOLK, POPULACE, POPULACE_CODE, DEATH_DATE, DEATH_PLACE, DEATH_CAUSE, IF_NAMELESS,
    /// RECEIVE_TIME, START_TIME, UNIT_NAME, ASHES_GO, AGENT_NAME, RELATION, MOBIL_PHONE,
    /// AGENT_ID_CARD, ADDRESS, and CERT_NO and CERT_STATUS for a cremation certificate's
    /// number and state; only DEAD_ID and NAME are required), or the system's own
    /// export with its screens' captions (逝者编号, 逝者姓名, 身份证号码, 死亡日期 …) and
    /// values in words (男, 汉族, 居民身份证, 2013年3月5日, 81岁, 是); unreadable rows are
    /// reported by line, the rest commit together. A row whose DEAD_ID is held (sent
    /// before, or on an earlier line), or whose DEAD_ID is an ID number fixed at the
    /// funeral home, one keystroke from the mistyped one a person of its name and death
    /// date is held under, adds a cremation or an agent the person had none of;
    /// the columns it gives otherwise than the row held are listed, not written over, and
    /// a name, sex, ID number or date it gives otherwise is noted as a conflict for the
    /// DBA (`ledgerline conflicts`).
    Import {
        /// The extract: a CSV file with a header row (or tab-separated), UTF-8, GBK/GB18030
        /// or UTF-16 (with or without its byte-order mark), or an Excel workbook (.xlsx,
        /// .xls, .ods) whose sheet has the header row
        file: PathBuf,
        #[arg(long, value_parser = Target::parse, help = super::target_help!("The basic database"))]
        target: Target,
        /// Read, compare and report, then roll back: the database is left as it was
        #[arg(long)]
        dry_run: bool,
        /// Print the import as JSON: captions (caption, column), columns_not_read, rows,
        /// imported, already_held, rekeyed (line, DEAD_ID,
        /// held_dead_id, person_id, fix, agreeing), added_to_held,
        /// differing_from_held (line, DEAD_ID, columns), conflicts_noted, import_id,
        /// bad_rows, imported_before, linked (person_id, linked_to, id_number: persons
        /// added linked to a death held, or sent in the extract, under the same ID
        /// number, name and death date), logged (false for the same bytes sent again
        /// with nothing new, which `live log` does not list twice)
        #[arg(long)]
        json: bool,
    },
    /// The live extracts a database imported, the latest first: each one's file and
    /// SHA-256, when its rows were stamped (their loaded_at), and what it did
    Log {
        #[arg(long, value_parser = Target::parse, help = super::target_help!("The basic database"))]
        target: Target,
        /// Print the imports as JSON, times in UTC (RFC 3339)
        #[arg(long)]
        json: bool,
    },
}

pub fn run(a: Args) -> Result<ExitCode> {
    let (file, target, dry_run, json) = match a.command {
        LiveCommand::Import {
            file,
            target,
            dry_run,
            json,
        } => (file, target, dry_run, json),
        LiveCommand::Log { target, json } => return print_log(&target, json),
    };
    let extract = live::Extract::read(&file)?;
    // The steps before the rows are staged are told as lines, the staging by a bar (made
    // once the rows are counted), and nothing with --json.
    let started = std::time::Instant::now();
    let bar = std::cell::OnceCell::new();
    let step = |step: live::ImportStep| match step {
        live::ImportStep::Staged { done, rows } => bar
            .get_or_init(|| Progress::new("import", "rows", rows, json).timed_from(started))
            .set(done),
        _ if json => {}
        _ => super::progress::log_line("import", step, started),
    };
    let r = live::import(&mut target.open_for_writing()?, &extract, dry_run, &step)?;
    bar.get().map(Progress::finish);
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        print_import(&r);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_import(r: &live::ImportReport) {
    if r.dry_run {
        println!("dry run: nothing was written; an import would do this:");
    }
    if let Some(at) = r.imported_before {
        let again = if r.dry_run || r.logged {
            ""
        } else {
            "; it brought nothing new, so the log keeps that import alone"
        };
        println!(
            "this extract (the same bytes) was imported before, at {}{again}",
            at.local_text()
        );
    }
    let sheet = r.sheet.as_ref().map(|s| format!(", sheet {s:?}")).unwrap_or_default();
    println!(
        "{} ({}{sheet}): {} rows, {} imported, {} already held, {} with fabricated cremation times flagged, {} unreadable",
        r.file,
        r.encoding,
        r.rows,
        r.imported,
        r.already_held,
        r.cremation_times_imputed,
        r.bad_rows.len()
    );
    if !r.captions.is_empty() {
        let read: Vec<String> = r
            .captions
            .iter()
            .map(|c| format!("{} → {}", c.caption, c.column))
            .collect();
        println!("  columns read by their captions: {}", read.join(", "));
    }
    if !r.columns_not_read.is_empty() {
        println!("  columns not read: {}", r.columns_not_read.join(", "));
    }
    if !r.rekeyed.is_empty() {
        println!(
            "  {} of those held came under an ID number fixed at the funeral home, their key: taken as the \
             person held under the mistyped one, not as new deaths",
            r.rekeyed.len()
        );
    }
    if r.added_to_held > 0 {
        println!(
            "  {} of those held brought a cremation or an agent the person had none of: added",
            r.added_to_held
        );
    }
    if !r.differing_from_held.is_empty() {
        println!(
            "  {} of those held differ from the rows held: not written over (the database keeps what it \
             was sent first; a correction is the DBA's to make)",
            r.differing_from_held.len()
        );
    }
    if r.conflicts_noted > 0 {
        println!(
            "  {} values of their names, sexes, ID numbers and dates noted as conflicts for the DBA: \
             `ledgerline conflicts list --load-id {}`",
            r.conflicts_noted, r.import_id
        );
    }
    super::exchange::print_linked(&r.linked, "one death sent twice, by different systems");
    super::print_listed(&r.rekeyed, |k| {
        format!(
            "line {} ({}): the person held as {} ({}): {}; the same {}",
            k.line,
            k.dead_id,
            k.held_dead_id,
            k.person_id,
            k.fix,
            k.agreeing.join(", ")
        )
    });
    super::print_listed(&r.differing_from_held, |d| {
        format!(
            "line {} ({}): differs from the row held in {}",
            d.line,
            d.dead_id,
            d.columns.join(", ")
        )
    });
    super::print_listed(&r.bad_rows, |b| format!("line {}: {}", b.line, b.problem));
}

/// `live log`: the imports recorded, the latest first.
fn print_log(target: &Target, json: bool) -> Result<ExitCode> {
    let imports = live::recorded(&mut target.open_for_reading()?)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&imports)?);
        return Ok(ExitCode::SUCCESS);
    }
    if imports.is_empty() {
        println!("{}: no live extracts imported", target.display());
    }
    for i in &imports {
        println!(
            "{}  {} (SHA-256 {}…): {} rows, {} imported, {} already held ({} re-keyed, {} adding to them, {} differing, {} conflicts noted), {} unreadable",
            i.imported_at.local_text(),
            i.file,
            &i.sha256[..i.sha256.len().min(12)],
            i.rows,
            i.imported,
            i.already_held,
            i.rekeyed,
            i.added_to_held,
            i.differing_from_held,
            i.conflicts_noted,
            i.bad_rows
        );
    }
    Ok(ExitCode::SUCCESS)
}
