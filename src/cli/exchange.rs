//! `ledgerline exchange`: packages from a provincial basic database to the national one.

mod keys;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use ledgerline_load::{exchange, links, Database, Target};
use ledgerline_search::access::mask_id;

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
        /// Sign the package's manifest with this Ed25519 private key (PEM, as `exchange
        /// keygen` writes it): a database trusting the key's public half for the province
        /// takes only packages it signed, unaltered
        #[arg(long)]
        sign_key: Option<PathBuf>,
        /// Encrypt the package's files for this receiving key (the public key, PEM, that
        /// the database the package goes to made with `exchange keygen --receiver`): only
        /// its private half reads them. The manifest stays readable (no person's data).
        /// Without it, the files are encrypted for the key `exchange send-to` recorded, if
        /// one was
        #[arg(long)]
        encrypt_for: Option<PathBuf>,
        /// Print the package's manifest as JSON, with exported_before: true when the
        /// package was already in --out and nothing was written, and its signature
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
        /// Do the whole import and roll it back: the report tells what it would add,
        /// withdraw, correct and link, and the database is left as it was (it must exist)
        #[arg(long)]
        dry_run: bool,
        /// The receiving key's private half (PEM, `exchange keygen --receiver`), for a
        /// package encrypted for it (`export --encrypt-for`); its files are decrypted
        /// into a folder of this user's only, removed once the import is done
        #[arg(long)]
        decrypt_key: Option<PathBuf>,
        /// Print the import as JSON: the signature checked, rows added per table, loads
        /// withdrawn, persons' values corrected, any gap, dry_run
        #[arg(long)]
        json: bool,
    },
    /// Make a province's signing key pair: province-CODE.key.pem (private, readable by
    /// its owner only: `export --sign-key`) and province-CODE.pub.pem (for the databases
    /// its packages go to: `exchange trust`). Or, with --receiver, a receiving database's
    /// key pair: receiver-NAME.key.pem (`import --decrypt-key`) and receiver-NAME.pub.pem
    /// (for the provinces sending to it: `export --encrypt-for`)
    #[command(group(clap::ArgGroup::new("whose").required(true).args(["province", "receiver"])))]
    Keygen {
        /// Two-digit GB/T 2260 province code: a signing key pair
        #[arg(long)]
        province: Option<String>,
        /// The name of a database packages are sent to (nation, or a province's code): a
        /// receiving key pair, which packages are encrypted for
        #[arg(long)]
        receiver: Option<String>,
        /// The folder to write the two files into (made if missing; a key already there
        /// is not written over)
        #[arg(long)]
        out: PathBuf,
        /// Print the files and the key's fingerprint as JSON
        #[arg(long)]
        json: bool,
    },
    /// Trust a province's public key: from now on the database takes that province's
    /// packages only when signed by a key it trusts for it, unaltered since
    Trust {
        /// The public key (PEM), as `exchange keygen` wrote it
        key: PathBuf,
        /// Two-digit GB/T 2260 province code
        #[arg(long)]
        province: String,
        /// Why, or how the key was received (kept with it)
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        decision: Decision,
    },
    /// Receive with a receiving key: from now on the database takes only packages
    /// encrypted for a key it receives with (a package sent in the plain is refused, and
    /// its province exports it again --encrypt-for one)
    Receive {
        /// The receiving key's public half (PEM), as `exchange keygen --receiver` wrote it
        key: PathBuf,
        /// Why, or where its private half is kept (kept with it)
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        decision: Decision,
    },
    /// Record the receiving key of the database this one's packages go to: from now on
    /// every `exchange export` encrypts for it unasked (no --encrypt-for to forget), and
    /// none goes in the plain. A key recorded before is retired, replaced by this one
    SendTo {
        /// The receiving key's public half (PEM), as the database the packages go to made
        /// it with `exchange keygen --receiver` and sent it
        key: PathBuf,
        /// Where the key came from, or why (kept with it)
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        decision: Decision,
    },
    /// Revoke a trusted key (a key lost, or replaced): packages signed by it are refused
    /// from now on; or retire a receiving key: packages encrypted for it are refused; or
    /// retire the key this database's packages go encrypted for (`exchange send-to`):
    /// exports are refused until another is recorded. The key stays listed, with who
    /// revoked it, when and why
    Distrust {
        /// The key's fingerprint, as `exchange keys` lists it
        fingerprint: String,
        /// Why: kept with the key
        #[arg(long)]
        note: String,
        #[command(flatten)]
        decision: Decision,
    },
    /// The provinces' keys the database trusts (and those revoked), with who trusted
    /// them and when; with --receiving, the keys it receives with; with --send-to, the
    /// key its own packages are encrypted for
    Keys {
        #[arg(long, value_parser = Target::parse, help = super::target_help!("The national (or any basic) database"))]
        target: Target,
        /// The keys packages must be encrypted for (and those retired) instead
        #[arg(long, conflicts_with = "send_to")]
        receiving: bool,
        /// The keys this database's own packages are encrypted for (`exchange send-to`;
        /// those retired too) instead
        #[arg(long)]
        send_to: bool,
        /// Print the keys as JSON
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
    /// The deaths a basic database holds more than one person of (one death sent by two
    /// provinces, or by two systems of one province, each person kept as sent): each
    /// death's first person and those linked to it, with what agreed, who linked them and when; and the full ID numbers
    /// persons of different deaths share, for the DBA to link or keep apart. ID numbers
    /// are masked on the terminal (--json gives them whole)
    Links {
        #[arg(long, value_parser = Target::parse, help = super::target_help!("The national (or any basic) database"))]
        target: Target,
        /// Only the death of this person, and the ID number it shares
        #[arg(long)]
        person_id: Option<String>,
        /// ID numbers shared by deaths kept apart too
        #[arg(long)]
        all: bool,
        /// Print the deaths and the shared ID numbers as JSON, times in UTC (RFC 3339)
        #[arg(long)]
        json: bool,
    },
    /// Link a person (and the persons linked to it) to another person's death: one death
    /// sent twice, which the import left unlinked (their names or death dates differ).
    /// Refused when the person is linked to another death (unlink it first)
    Link {
        /// The person to link (its person id)
        person_id: String,
        /// A person of the death it joins
        #[arg(long)]
        to: String,
        /// Why (the documents compared, say)
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        decision: Decision,
    },
    /// Take a person's link to its death back, or, with --from, keep a person linked to
    /// no one apart from another person's death: the import links them no more, and
    /// `exchange links` lists their shared ID number no more. The link stays on record
    /// with who took it back, when and why
    Unlink {
        /// The person to unlink (its person id)
        person_id: String,
        /// A person of the death to take it from, or keep it apart from
        #[arg(long)]
        from: Option<String>,
        /// Why: the decision is kept with it
        #[arg(long)]
        note: String,
        #[command(flatten)]
        decision: Decision,
    },
}

/// Where a DBA's decision on a death is made, by whom, and how it is told.
#[derive(clap::Args)]
pub struct Decision {
    #[arg(long, value_parser = Target::parse, help = super::target_help!("The national (or any basic) database"))]
    target: Target,
    /// Who decides, as the decision records it [default: cli: and the system user]
    #[arg(long)]
    by: Option<String>,
    /// Print the decision as JSON
    #[arg(long)]
    json: bool,
}

impl Decision {
    /// Makes the decision (`make` given the database and who decides) and tells it
    /// (`print`, given it and whether as JSON).
    fn make<T>(
        self,
        make: impl FnOnce(&mut Database, &str) -> Result<T>,
        print: impl FnOnce(&T, bool) -> Result<()>,
    ) -> Result<()> {
        self.make_in(Target::open_existing_for_writing, make, print)
    }

    /// [`Decision::make`] in a database made new if it does not exist yet (saying so): a
    /// national database trusts its provinces' keys before their first packages come.
    fn make_creating<T>(
        self,
        make: impl FnOnce(&mut Database, &str) -> Result<T>,
        print: impl FnOnce(&T, bool) -> Result<()>,
    ) -> Result<()> {
        let (target, created) = (self.target.clone(), !self.target.exists());
        self.make_in(Target::open_for_writing, make, print)?;
        if created {
            eprintln!(
                "note: {} did not exist: it was created as a new basic database",
                target.display()
            );
        }
        Ok(())
    }

    fn make_in<T>(
        self,
        open: impl FnOnce(&Target) -> Result<Database>,
        make: impl FnOnce(&mut Database, &str) -> Result<T>,
        print: impl FnOnce(&T, bool) -> Result<()>,
    ) -> Result<()> {
        let by = self.by.unwrap_or_else(super::cli_actor);
        let decided = make(&mut open(&self.target)?, &by)?;
        print(&decided, self.json)
    }
}

pub fn run(a: Args) -> Result<ExitCode> {
    match a.command {
        ExchangeCommand::Export {
            target,
            province,
            since,
            out,
            sign_key,
            encrypt_for,
            json,
        } => {
            let mut db = target.open_for_reading()?;
            let encrypt_given = encrypt_for.is_some();
            let exported = exchange::export(
                &mut db,
                &province,
                since.as_deref(),
                &out,
                sign_key.as_deref(),
                encrypt_for.as_deref(),
            )?;
            let m = &exported.manifest;
            if m.encryption.is_none() {
                eprintln!(
                    "warning: the package's files are not encrypted: whoever gets it on its way reads the dead's \
                     ID numbers and their families' phones (ledgerline exchange send-to KEY records the receiving \
                     key of the database it goes to, once; --encrypt-for KEY encrypts this export)"
                );
            }
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
                        "{:<24} {:<25} {:>9} rows  sha256 {}",
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
                if let Some(e) = &m.encryption {
                    let recorded = if encrypt_given { "" } else { " (exchange send-to)" };
                    println!(
                        "{:<24} files encrypted for receiving key {}{recorded}",
                        exchange::MANIFEST,
                        e.recipient
                    );
                }
                if let Some(s) = &exported.signature {
                    println!("{:<24} signed by key {}", exchange::signing::SIGNATURE, s.key);
                }
                println!("package for province {} in {}", m.province, out.display());
            }
        }
        ExchangeCommand::Import {
            dir,
            target,
            dry_run,
            decrypt_key,
            json,
        } => {
            let decrypt_given = decrypt_key.is_some();
            let decrypt_key = decrypt_key
                .as_deref()
                .map(exchange::encryption::read_decrypt_key)
                .transpose()?;
            let package = exchange::verify(&dir, decrypt_key.as_ref())?;
            // A dry run changes nothing: not even a database made new.
            let mut db = if dry_run {
                target.open_existing_for_writing()?
            } else {
                target.open_for_writing()?
            };
            let r = exchange::import(&mut db, package, dry_run)?;
            if let Some(gap) = &r.gap {
                eprintln!("warning: {gap}");
            }
            keys::warn_unchecked(&r);
            if decrypt_given && r.encrypted_for.is_none() {
                eprintln!(
                    "warning: province {}'s package came unencrypted: its rows travelled readable \
                     (exchange receive makes this database refuse such packages)",
                    r.province
                );
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                for u in &r.withdrawn {
                    println!("withdrew load {u}");
                }
                let added: Vec<String> = r.added.iter().map(|(t, n)| format!("{t} {n}")).collect();
                let (did, add) = match r.dry_run {
                    true => ("dry run, nothing written: would import", "would add"),
                    false => ("imported", "added"),
                };
                println!(
                    "{did} the package of province {}: {add} {}",
                    r.province,
                    added.join(", ")
                );
                if let Some(key) = &r.encrypted_for {
                    println!("the package's files were decrypted with receiving key {key}");
                }
                if r.corrected > 0 {
                    println!(
                        "corrected {} persons' values (the latest correction of each)",
                        r.corrected
                    );
                }
                print_persons_of_held_ids(&r);
                print_province_links(&r.province_links);
            }
        }
        ExchangeCommand::Links {
            target,
            person_id,
            all,
            json,
        } => {
            let links = links::list(&mut target.open_for_reading()?, person_id.as_deref(), all)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&links)?);
            } else {
                print_links(&target, &links);
            }
        }
        ExchangeCommand::Link {
            person_id,
            to,
            note,
            decision,
        } => decision.make(
            |db, by| links::link(db, &person_id, &to, by, note.as_deref()),
            print_decided,
        )?,
        ExchangeCommand::Unlink {
            person_id,
            from,
            note,
            decision,
        } => decision.make(
            |db, by| links::unlink(db, &person_id, from.as_deref(), by, &note),
            print_decided,
        )?,
        ExchangeCommand::Keygen {
            province,
            receiver,
            out,
            json,
        } => match (province, receiver) {
            (Some(province), _) => keys::keygen(&province, &out, json)?,
            (None, receiver) => keys::keygen_receiving(receiver.as_deref().unwrap_or_default(), &out, json)?,
        },
        ExchangeCommand::Trust {
            key,
            province,
            note,
            decision,
        } => decision.make_creating(
            |db, by| keys::trust(db, &key, &province, by, note.as_deref()),
            keys::print_key,
        )?,
        ExchangeCommand::Receive { key, note, decision } => decision.make_creating(
            |db, by| keys::receive(db, &key, by, note.as_deref()),
            keys::print_receiving,
        )?,
        ExchangeCommand::SendTo { key, note, decision } => decision.make(
            |db, by| keys::send_to(db, &key, by, note.as_deref()),
            keys::print_recorded,
        )?,
        ExchangeCommand::Distrust {
            fingerprint,
            note,
            decision,
        } => decision.make(
            |db, by| keys::distrust(db, &fingerprint, by, &note),
            |revoked, json| match revoked {
                keys::Revoked::Trusted(k) => keys::print_key(k, json),
                keys::Revoked::Receiving(k) => keys::print_receiving(k, json),
                keys::Revoked::SendTo(k) => keys::print_send_to(k, json),
            },
        )?,
        ExchangeCommand::Keys {
            target,
            receiving,
            send_to,
            json,
        } => {
            let db = &mut target.open_for_reading()?;
            match (receiving, send_to) {
                (true, _) => keys::list_receiving(&exchange::encryption::receiving_keys(db)?, json)?,
                (_, true) => keys::list_send_to(&exchange::send_to::keys(db)?, json)?,
                _ => keys::list(&exchange::signing::keys(db)?, json)?,
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

/// The persons an import linked to deaths held under their ID numbers, and those it
/// left for the DBA.
fn print_persons_of_held_ids(r: &exchange::Imported) {
    print_linked(&r.linked, "one death sent by two provinces");
    if !r.id_numbers_held_otherwise.is_empty() {
        println!(
            "{} persons added whose ID number the database held under another death, not linked \
             (`ledgerline exchange links` lists them to link or keep apart):",
            r.id_numbers_held_otherwise.len()
        );
        super::print_listed(&r.id_numbers_held_otherwise, |h| {
            let why = if h.unlinked_before {
                "unlinked by the DBA before".to_string()
            } else {
                // The fields that differ, each with how the comparison sees it.
                let level = |field: &str| {
                    let compared = if field == "name" { "deceased_name" } else { field };
                    h.compared
                        .iter()
                        .find(|c| c.field == compared)
                        .map_or("?", |c| c.comparison)
                };
                match h.differs.as_slice() {
                    [one] => format!("{one} differs: {}", level(one)),
                    all => {
                        let levels: Vec<String> = all.iter().map(|f| format!("{f} {}", level(f))).collect();
                        format!("{} differ: {}", all.join(" and "), levels.join("; "))
                    }
                }
            };
            format!(
                "{} ID {} held as {} ({why})",
                h.person_id,
                mask_id(&h.id_number),
                h.held_person_id
            )
        });
    }
}

/// What an import did with the links and decisions the province's package carried.
fn print_province_links(p: &links::ProvinceLinks) {
    if p.carried == 0 {
        return;
    }
    println!(
        "the province's links and decisions: {} carried, {} held so already, {} followed, {} not followed",
        p.carried,
        p.held_so,
        p.followed.len(),
        p.not_followed.len()
    );
    super::print_listed(&p.followed, |f| {
        let done = match f.decision {
            "linked" => "their deaths made one, its first",
            "unlinked" => "unlinked here from the death of",
            _ => "kept apart from the death of",
        };
        format!("{} and {}: {done} {} (by {})", f.person_id, f.linked_to, f.death, f.by)
    });
    if !p.not_followed.is_empty() {
        println!("not followed (`ledgerline exchange links` shows the deaths; link or unlink by hand):");
        super::print_listed(&p.not_followed, |n| {
            let holds = if n.province_holds == "linked" {
                "linked"
            } else {
                "kept apart"
            };
            format!(
                "{} and {} ({holds} in the province): {}",
                n.person_id, n.linked_to, n.why
            )
        });
    }
}

/// The persons an import added linked to a death (`why` they may be: who sent the death
/// twice), the first [`super::LISTED`] with their ID numbers masked.
pub(super) fn print_linked(linked: &[links::Linked], why: &str) {
    if linked.is_empty() {
        return;
    }
    println!(
        "{} persons added linked to the death of a person held under the same ID number, name and death date \
         ({why}); each kept as sent:",
        linked.len()
    );
    super::print_listed(linked, |l| {
        format!("{} ID {} linked to {}", l.person_id, mask_id(&l.id_number), l.linked_to)
    });
}

/// One person as the links list shows it: id, name, masked ID number, death date.
fn member_line(m: &links::Member) -> String {
    format!(
        "{} {} ID {} died {}",
        m.person_id,
        m.name,
        m.id_number.as_deref().map_or_else(|| "-".to_string(), mask_id),
        m.death_date.as_deref().unwrap_or("?")
    )
}

/// The deaths and shared ID numbers, the first [`super::LISTED`] of each.
fn print_links(target: &Target, links: &links::Links) {
    let apart = match links.kept_apart_not_listed {
        0 => String::new(),
        n => format!(" ({n} more kept apart: --all lists them)"),
    };
    if links.deaths.is_empty() && links.same_id_number.is_empty() {
        println!(
            "{}: no linked deaths, no ID number shared by deaths{apart}",
            target.display()
        );
        return;
    }
    let linked: usize = links.deaths.iter().map(|d| d.linked.len()).sum();
    println!(
        "{} deaths of more than one person ({linked} persons linked to a death's first):",
        links.deaths.len()
    );
    for d in links.deaths.iter().take(super::LISTED) {
        println!("  death of {}", member_line(&d.first));
        for l in &d.linked {
            let note = l.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
            println!(
                "    + {} (agreed {}; linked by {} {}{note})",
                member_line(&l.person),
                l.agreed,
                l.linked_by,
                l.linked_at.local_text()
            );
        }
    }
    super::print_more(links.deaths.len(), super::LISTED);
    println!(
        "{} ID numbers shared by persons of different deaths, to link or keep apart{apart}:",
        links.same_id_number.len()
    );
    for s in links.same_id_number.iter().take(super::LISTED) {
        let apart = if s.kept_apart { ", kept apart" } else { "" };
        println!("  ID {} ({} persons{apart}):", mask_id(&s.id_number), s.persons.len());
        for p in &s.persons {
            println!("    {} (death of {})", member_line(&p.person), p.death);
        }
        for c in &s.compared {
            let fields: Vec<String> = c
                .fields
                .iter()
                .map(|f| format!("{} {}", f.field, f.comparison))
                .collect();
            println!("    {} ~ {}: {}", c.persons[0], c.persons[1], fields.join("; "));
        }
    }
    super::print_more(links.same_id_number.len(), super::LISTED);
}

fn print_decided(d: &links::Decided, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(d)?);
        return Ok(());
    }
    match d.decision {
        "linked" => println!("linked {} to the death of {}", d.person_id, d.death),
        "unlinked" => println!("unlinked {} from the death of {}", d.person_id, d.death),
        _ => println!("kept {} apart from the death of {}", d.person_id, d.death),
    }
    if !d.moved.is_empty() {
        println!("  with the persons linked to it: {}", d.moved.join(", "));
    }
    Ok(())
}
