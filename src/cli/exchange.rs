//! `ledgerline exchange`: packages from a provincial basic database to the national one.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use ledgerline_load::{exchange, Target};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ExchangeCommand,
}

#[derive(clap::Subcommand)]
pub enum ExchangeCommand {
    /// Write an exchange package: a Parquet file per table (MZ/T 141-2019 entities) and
    /// a manifest with the province, row counts, SHA-256 of every file, schema version
    Export {
        #[arg(long, value_parser = Target::parse, help = super::target_help!("The provincial database"))]
        target: Target,
        /// Two-digit GB/T 2260 province code
        #[arg(long)]
        province: String,
        /// Only rows loaded after this time: YYYY-MM-DD[ HH:MM[:SS]] in this machine's
        /// time zone, or ending with Z or an offset (+08:00). The exported_at of the
        /// package before continues it: nothing loaded after that package is left out
        #[arg(long)]
        since: Option<String>,
        /// An empty or new folder. One that holds this province's whole package of the
        /// same --since (an export run again after one that finished) is left as it is
        #[arg(long)]
        out: PathBuf,
        /// Print the package's manifest as JSON, with exported_before: true when the
        /// package was already in --out and nothing was written
        #[arg(long)]
        json: bool,
    },
    /// Verify a package (manifest, files, checksums) and load it, all or nothing, adding
    /// only rows the database does not hold
    Import {
        /// The package: the folder `exchange export` wrote
        dir: PathBuf,
        #[arg(long, value_parser = Target::parse, help = super::target_help!("The national (or any basic) database"))]
        target: Target,
        /// Print the import as JSON: rows added per table, loads withdrawn, persons'
        /// values corrected, any gap
        #[arg(long)]
        json: bool,
    },
    /// The packages a database imported, the latest first: each one's province, the
    /// loads it holds (after its --since, or all) up to its exported_at, and when it was
    /// imported. A province's next package is exported --since the exported_at of its
    /// latest
    Log {
        #[arg(long, value_parser = Target::parse, help = super::target_help!("The national (or any basic) database"))]
        target: Target,
        /// Only this province's packages (two-digit GB/T 2260 code)
        #[arg(long)]
        province: Option<String>,
        /// Print the packages and each province's next --since as JSON
        #[arg(long)]
        json: bool,
    },
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.command {
        ExchangeCommand::Export {
            target,
            province,
            since,
            out,
            json,
        } => {
            let mut db = target.open_for_reading()?;
            let exported = exchange::export(&mut db, &province, since.as_deref(), &out)?;
            let m = &exported.manifest;
            if json {
                println!("{}", serde_json::to_string_pretty(&exported)?);
            } else if exported.exported_before {
                println!(
                    "{} already holds province {}'s package, exported {}: nothing written \
                     (to export again, give another folder)",
                    out.display(),
                    m.province,
                    m.exported_at
                );
            } else {
                for f in &m.files {
                    println!(
                        "{:<20} {:<25} {:>9} rows  sha256 {}",
                        f.name,
                        f.entity,
                        f.rows,
                        &f.sha256[..16]
                    );
                }
                for w in &m.withdrawn_loads {
                    let batch = w.batch_id.as_deref().unwrap_or("?");
                    println!(
                        "withdraws load {} (batch {batch}), unloaded {}",
                        w.load_id, w.unloaded_at
                    );
                }
                println!("package for province {} in {}", m.province, out.display());
            }
        }
        ExchangeCommand::Import { dir, target, json } => {
            let package = exchange::verify(&dir)?;
            let r = exchange::import(&mut target.open_for_writing()?, package)?;
            if let Some(gap) = &r.gap {
                eprintln!("warning: {gap}");
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                for u in &r.withdrawn {
                    println!("withdrew load {u}");
                }
                let added: Vec<String> = r.added.iter().map(|(t, n)| format!("{t} {n}")).collect();
                println!(
                    "imported the package of province {}: added {}",
                    r.province,
                    added.join(", ")
                );
                if r.corrected > 0 {
                    println!(
                        "corrected {} persons' values (the latest correction of each)",
                        r.corrected
                    );
                }
                if !r.id_numbers_held_otherwise.is_empty() {
                    println!(
                        "{} persons added whose ID number the database held under another person (one death sent by two provinces?); each kept as sent:",
                        r.id_numbers_held_otherwise.len()
                    );
                    super::print_listed(&r.id_numbers_held_otherwise, |h| {
                        format!(
                            "{} ID {} held as {}",
                            h.person_id,
                            ledgerline_search::access::mask_id(&h.id_number),
                            h.held_person_id
                        )
                    });
                }
            }
        }
        ExchangeCommand::Log { target, province, json } => {
            let packages = exchange::order::imported(&mut target.open_for_reading()?, province.as_deref())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&packages)?);
            } else {
                print_log(&target, &packages);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_log(target: &Target, packages: &[exchange::order::Imported]) {
    if packages.is_empty() {
        println!("{}: no exchange packages imported", target.display());
    }
    let mut next_named = std::collections::HashSet::new();
    for p in packages {
        // The latest of each province comes first: what its next package continues.
        if next_named.insert(p.province.as_str()) {
            println!(
                "province {}: its next package is exported --since {}",
                p.province,
                p.exported_at.rfc3339()
            );
        }
        let loads = p
            .since
            .map_or_else(|| "all loads".to_string(), |s| format!("loads after {}", s.rfc3339()));
        println!(
            "  package of province {} up to {} ({loads}), imported {}",
            p.province,
            p.exported_at.rfc3339(),
            p.imported_at.local_text()
        );
    }
}
