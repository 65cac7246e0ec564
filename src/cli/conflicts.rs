//! `ledgerline conflicts`: the values loads did not write over, for the DBA to settle:
//! listed with their ids, then settled by keeping the database's value or taking the
//! ledger's, which changes the person and travels to the national database with the next
//! exchange package; a decision taken wrongly is reopened, its value given back.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use ledgerline_load::conflicts::{self, Filter, Keep, NotedConflict, Selection, Settled};
use ledgerline_load::{Database, Target};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ConflictsCommand,
}

/// Which conflicts: a load's, a field's, a person's (any of them together).
#[derive(clap::Args, Clone)]
pub struct Which {
    /// Only the conflicts this load noted
    #[arg(long)]
    pub load_id: Option<String>,
    /// Only the conflicts of this field: deceased_name, gender, id_number, birth_date,
    /// death_date
    #[arg(long)]
    pub field: Option<String>,
    /// Only the conflicts of this person (the database's person id)
    #[arg(long)]
    pub person_id: Option<String>,
}

impl Which {
    fn filter(&self, with_settled: bool) -> Filter {
        Filter {
            load_id: self.load_id.clone(),
            field: self.field.clone(),
            person_id: self.person_id.clone(),
            with_settled,
        }
    }

    fn is_empty(&self) -> bool {
        self.load_id.is_none() && self.field.is_none() && self.person_id.is_none()
    }
}

/// The database, and the conflicts a command acts on: named, or a load's, field's,
/// person's.
#[derive(clap::Args)]
pub struct Chosen {
    #[arg(long, value_parser = Target::parse, help = super::target_help!("The basic database"))]
    target: Target,
    /// A conflict, by the id `conflicts list --all` shows (repeat for more)
    #[arg(long = "conflict", value_name = "ID", conflicts_with_all = ["load_id", "field", "person_id"])]
    conflicts: Vec<String>,
    #[command(flatten)]
    which: Which,
}

impl Chosen {
    /// The conflicts to `act` on: named by id, or every one in `state` of a load, field or
    /// person.
    fn selection(self, act: &str, state: &str) -> Result<(Target, Selection)> {
        let Chosen {
            target,
            conflicts,
            which,
        } = self;
        let selection = if !conflicts.is_empty() {
            Selection::Ids(conflicts)
        } else if !which.is_empty() {
            Selection::Open(which.filter(false))
        } else {
            anyhow::bail!(
                "name the conflicts to {act}: --conflict ID (repeat for more), or --load-id, --field or \
                 --person-id for every {state} one of them"
            )
        };
        Ok((target, selection))
    }
}

#[derive(clap::ValueEnum, Clone, Copy)]
pub enum KeepArg {
    /// The value the database held: the person is left as they are
    Database,
    /// The value the ledger gave: it replaces the database's
    Incoming,
}

#[derive(clap::Subcommand)]
pub enum ConflictsCommand {
    /// The conflicts loads noted, the earliest first, open ones only unless --all: each
    /// with its id, load and batch, person, field, the database's value and the ledger's
    /// (with the record that gave it), the person's value now, and what validation finds
    /// of the person with one value and not the other (an ID number's check character,
    /// its birth date or sex against the person's)
    List {
        #[arg(long, value_parser = Target::parse, help = super::target_help!("The basic database"))]
        target: Target,
        #[command(flatten)]
        which: Which,
        /// Settled conflicts too, each with its decision, who made it, when and why
        #[arg(long)]
        all: bool,
        /// Print the conflicts as JSON (every one), times in UTC (RFC 3339)
        #[arg(long)]
        json: bool,
    },
    /// Settle conflicts, all in one transaction: those named by --conflict, or every open
    /// one of a load, field or person. Taking the incoming value changes the person and
    /// writes a correction, which the next exchange package carries; it is refused,
    /// changing nothing, when the person is gone, their value changed since the conflict
    /// was noted, or two conflicts offer one person's field two values. A decision is
    /// kept with who made it, when and why (`conflicts reopen` takes it back)
    Resolve {
        #[command(flatten)]
        chosen: Chosen,
        /// Which value stays: the database's, or the incoming one (the ledger's)
        #[arg(long, value_enum)]
        keep: KeepArg,
        /// Who decides, as the decision records it [default: cli: and the system user]
        #[arg(long)]
        by: Option<String>,
        /// Why, as the decision records it (the source checked, say)
        #[arg(long)]
        note: Option<String>,
        /// Print what was settled as JSON: decision, settled (ids), corrected, decided_at
        #[arg(long)]
        json: bool,
    },
    /// Take decisions back, all in one transaction: those of the conflicts named by
    /// --conflict, or every settled one of a load, field or person. Each conflict is open
    /// again; its decision is kept in reopened_decisions with who reopened it, when and
    /// why. A value a decision took is given back by a correction, which the next
    /// exchange package carries; refused, changing nothing, when the person's value
    /// changed since the decision
    Reopen {
        #[command(flatten)]
        chosen: Chosen,
        /// Why the decisions are taken back (required: it is kept with them)
        #[arg(long)]
        note: String,
        /// Who reopens them [default: cli: and the system user]
        #[arg(long)]
        by: Option<String>,
        /// Print what was reopened as JSON: reopened (ids), given_back, reopened_at
        #[arg(long)]
        json: bool,
    },
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.command {
        ConflictsCommand::List {
            target,
            which,
            all,
            json,
        } => {
            let mut db = target.open_for_reading()?;
            if json {
                print_json(&mut db, &which.filter(all))?;
            } else {
                print_list(&target, &mut db, &which.filter(all))?;
            }
        }
        ConflictsCommand::Resolve {
            chosen,
            keep,
            by,
            note,
            json,
        } => {
            let (target, selection) = chosen.selection("settle", "open")?;
            let keep = match keep {
                KeepArg::Database => Keep::Database,
                KeepArg::Incoming => Keep::Incoming,
            };
            let by = by.unwrap_or_else(super::cli_actor);
            let mut db = target.open_existing_for_writing()?;
            let r = conflicts::resolve(&mut db, &selection, keep, &by, note.as_deref())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                let what = match keep {
                    Keep::Database => "the database's value kept",
                    Keep::Incoming => "the incoming value taken",
                };
                println!(
                    "{} conflicts settled, {what}, by {by}: {} persons' values changed",
                    r.settled.len(),
                    r.corrected
                );
            }
        }
        ConflictsCommand::Reopen { chosen, note, by, json } => {
            let (target, selection) = chosen.selection("reopen", "settled")?;
            let by = by.unwrap_or_else(super::cli_actor);
            let mut db = target.open_existing_for_writing()?;
            let r = conflicts::reopen(&mut db, &selection, &by, &note)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!(
                    "{} conflicts open again, reopened by {by}: {} persons' values given back",
                    r.reopened.len(),
                    r.given_back
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The conflicts as one JSON array, each written as it is read.
fn print_json(db: &mut Database, filter: &Filter) -> Result<()> {
    use serde::ser::{SerializeSeq, Serializer};
    let out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let mut json = serde_json::Serializer::pretty(out);
    let mut seq = json.serialize_seq(None)?;
    let mut failed = None;
    conflicts::list(db, filter, |c| {
        if failed.is_none() {
            failed = seq.serialize_element(&c).err();
        }
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    seq.end()?;
    let mut out = json.into_inner();
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// The number of conflicts, then the first few, each on a line.
fn print_list(target: &Target, db: &mut Database, filter: &Filter) -> Result<()> {
    let (mut total, mut open, mut first) = (0, 0, Vec::new());
    conflicts::list(db, filter, |c| {
        total += 1;
        open += usize::from(c.settled.is_none());
        if first.len() < super::LISTED {
            first.push(c);
        }
    })?;
    if total == 0 {
        let which = if filter.with_settled { "" } else { "open " };
        println!("{}: no {which}conflicts", target.display());
        return Ok(());
    }
    println!("{total} conflicts, {open} open");
    super::print_first(&first, total, |c: &NotedConflict| {
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".to_string());
        let batch = c
            .batch_id
            .as_deref()
            .map(|b| format!(" (batch {b})"))
            .unwrap_or_default();
        let now = if !c.person_held {
            "; the person is no longer in the database".to_string()
        } else if c.value_now != c.database_value {
            format!("; {} now", shown(&c.value_now))
        } else {
            String::new()
        };
        let decided = |s: &Settled| {
            format!(
                "{} by {} {}{}",
                s.decision,
                s.decided_by,
                s.decided_at.local_text(),
                s.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default()
            )
        };
        let mut state = c.settled.as_ref().map_or("open".to_string(), decided);
        // The decisions taken back, the latest in full.
        if let Some(last) = c.reopened.last() {
            let before = match c.reopened.len() {
                1 => String::new(),
                n => format!("{} decisions taken back, the last ", n),
            };
            state += &format!(
                " ({before}{} taken back by {} {}: {})",
                decided(&last.was),
                last.reopened_by,
                last.reopened_at.local_text(),
                last.note
            );
        }
        let found = |whose: &str, findings: &[String]| match findings {
            [] => String::new(),
            _ => format!("; with the {whose} value: {}", findings.join("; ")),
        };
        let findings = found("database's", &c.database_findings) + &found("ledger's", &c.incoming_findings);
        format!(
            "{} load {}{batch}, person {} {}: database {}, ledger {} (record {}){now}{findings} — {state}",
            c.conflict_id,
            c.load_id,
            c.person_id,
            c.field,
            shown(&c.database_value),
            shown(&c.incoming_value),
            c.record_id
        )
    });
    Ok(())
}
