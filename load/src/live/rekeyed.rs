//! Deaths a funeral home sends again under a fixed ID number that is also their key.
//!
//! Many funeral information systems key a death by the deceased's ID number itself, and
//! fix a mistyped one with a separate action (the domain notes). The fixed death then
//! comes in a later extract under a DEAD_ID the database has never held, and taken as a
//! new death it would make a second person beside the first. A row is taken as the death
//! held instead, and compared with it as a row sent again (its ID number noted as a
//! conflict for the DBA), when all of these hold:
//! - its DEAD_ID is its ID_CARD, a valid GB 11643 number;
//! - a live person is held under a DEAD_ID one keystroke from it (a character changed,
//!   two neighbours swapped, one dropped or one added), that is no valid ID number (MOD
//!   11-2 catches every such slip) and that was that person's ID number (or is now the
//!   one sent, when the DBA took the fix);
//! - the person held has the row's name and death date, and its sex where both give one;
//! - the extract does not send the DEAD_ID held too (then the system still holds both);
//! - neither the row nor the person held has another such partner.
//!
//! Nothing is remembered between imports: the same rule finds the same person each time
//! the fixed death is sent, also after the DBA settled its ID number either way.

use anyhow::Result;

use super::{HashMap, HashSet};
use ledgerline_schemas::id_number;
use serde::Serialize;

use super::held::read_live;
use crate::Database;

/// A row of the extract that may be a death re-keyed: its DEAD_ID is its valid ID
/// number, and not held. Its values as they are stored.
pub(super) struct Sent {
    pub dead_id: String,
    pub name: String,
    pub sex: Option<String>,
    pub death: Option<String>,
}

impl Sent {
    /// Whether a row keyed `dead_id` and giving `id_card` is keyed by a valid ID number.
    pub fn keyed_by_id(dead_id: &str, id_card: Option<&str>) -> bool {
        id_card == Some(dead_id) && valid(dead_id)
    }
}

/// A row taken as a person held under the ID number it fixes, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct Rekeyed {
    pub line: u64,
    /// The DEAD_ID sent: the fixed ID number.
    pub dead_id: String,
    /// The DEAD_ID the person is held under: the mistyped one.
    pub held_dead_id: String,
    pub person_id: String,
    /// How the two differ: `character 12: 8 → 3`, `characters 11-12 swapped`, ...
    pub fix: String,
    /// The extract's columns that agree with the person held (NAME, DEATH_DATE, and SEX
    /// where both give one).
    pub agreeing: Vec<&'static str>,
}

/// The person held a re-keyed DEAD_ID is taken as.
pub(super) struct Link {
    pub held_dead_id: String,
    pub person_id: String,
    fix: String,
    agreeing: Vec<&'static str>,
}

impl Link {
    pub fn report(&self, line: u64, dead_id: &str) -> Rekeyed {
        Rekeyed {
            line,
            dead_id: dead_id.to_string(),
            held_dead_id: self.held_dead_id.clone(),
            person_id: self.person_id.clone(),
            fix: self.fix.clone(),
            agreeing: self.agreeing.clone(),
        }
    }
}

/// The DEAD_IDs held that may be mistyped ID numbers (17 to 19 characters of an ID
/// number's alphabet that are no valid one), by each valid ID number one keystroke
/// from them. A province's ID-keyed persons are mostly keyed right: the few mistyped
/// ones are indexed by their fixes, so that each row of an extract is looked up once,
/// and an extract of new deaths reads nothing more.
pub(super) struct Mistyped {
    by_fix: HashMap<String, Vec<String>>,
}

impl Mistyped {
    pub fn among(in_database: &HashSet<String>) -> Mistyped {
        let mut by_fix: HashMap<String, Vec<String>> = HashMap::default();
        for key in in_database {
            let id_like = (17..=19).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_digit() || b == b'X');
            if !id_like || valid(key) {
                continue;
            }
            for fix in fixes(key) {
                by_fix.entry(fix).or_default().push(key.clone());
            }
        }
        Mistyped { by_fix }
    }

    /// Whether `dead_id` is one keystroke from a mistyped DEAD_ID held.
    pub fn may_fix(&self, dead_id: &str) -> bool {
        self.by_fix.contains_key(dead_id)
    }
}

/// A valid GB 11643 18-character number (the check character computed first: it turns
/// away nearly every candidate without reading a date). ASCII first: a DEAD_ID of 18
/// bytes may hold a Chinese character, and is then cut nowhere.
fn valid(id: &str) -> bool {
    id.len() == 18
        && id.is_ascii()
        && id_number::check_char(&id[..17]).is_some_and(|c| id.as_bytes()[17] == c as u8)
        && id_number::parse(id).is_ok()
}

/// The valid ID numbers one keystroke from `key`: a character changed, two neighbours
/// swapped, a missing one added, one too many taken out.
fn fixes(key: &str) -> HashSet<String> {
    const ALPHABET: &[u8] = b"0123456789X";
    let b = key.as_bytes();
    let mut out = HashSet::default();
    let mut keep = |candidate: Vec<u8>| {
        let candidate = String::from_utf8(candidate).expect("ASCII");
        if valid(&candidate) {
            out.insert(candidate);
        }
    };
    for i in 0..=b.len() {
        for &c in ALPHABET {
            if i < b.len() && b[i] != c {
                let mut changed = b.to_vec();
                changed[i] = c;
                keep(changed);
            }
            let mut added = b.to_vec();
            added.insert(i, c);
            keep(added);
        }
        if i + 1 < b.len() && b[i] != b[i + 1] {
            let mut swapped = b.to_vec();
            swapped.swap(i, i + 1);
            keep(swapped);
        }
        if i < b.len() {
            let mut dropped = b.to_vec();
            dropped.remove(i);
            keep(dropped);
        }
    }
    out
}

/// What is held of a person a row may be re-keyed from.
struct HeldPerson {
    person_id: String,
    id_number: Option<String>,
    name: Option<String>,
    sex: Option<String>,
    death: Option<String>,
}

/// The persons held that rows `sent` (none of them held, each one keystroke from a
/// mistyped DEAD_ID held) were re-keyed from, by the DEAD_ID sent. `sent_keys` are all
/// the extract's DEAD_IDs.
pub(super) fn find(
    db: &mut Database,
    mistyped: &Mistyped,
    sent: &[Sent],
    sent_keys: &HashSet<&str>,
) -> Result<HashMap<String, Link>> {
    // A DEAD_ID the extract sends too is a death the system still holds.
    let candidates = |s: &Sent| {
        mistyped.by_fix[&s.dead_id]
            .iter()
            .filter(|key| !sent_keys.contains(key.as_str()))
    };
    let wanted: HashSet<&str> = sent.iter().flat_map(candidates).map(String::as_str).collect();
    if wanted.is_empty() {
        return Ok(HashMap::default());
    }
    let mut held: HashMap<String, HeldPerson> = HashMap::default();
    let columns = ["person_id", "id_number", "name", "gender", "death_date"];
    read_live(db, "deceased", &columns, &wanted, |key, row| {
        let text = |i: usize| row[i].map(str::to_string);
        // The first live row of a DEAD_ID is the one held.
        held.entry(key.to_string()).or_insert_with(|| HeldPerson {
            person_id: text(0).unwrap_or_default(),
            id_number: text(1),
            name: text(2),
            sex: text(3),
            death: text(4),
        });
    })?;
    let mut pairs: HashMap<&str, Vec<Link>> = HashMap::default();
    for s in sent {
        for key in candidates(s) {
            let Some(p) = held.get(key) else { continue };
            if let Some(link) = pair(s, key, p) {
                pairs.entry(&s.dead_id).or_default().push(link);
            }
        }
    }
    // A person held two rows were re-keyed from cannot be told which is its fix.
    let mut claimed: HashMap<String, u32> = HashMap::default();
    for links in pairs.values() {
        for link in links {
            *claimed.entry(link.held_dead_id.clone()).or_default() += 1;
        }
    }
    Ok(pairs
        .into_iter()
        .filter_map(|(sent, mut links)| {
            let link = links.pop().filter(|_| links.is_empty())?;
            (claimed[&link.held_dead_id] == 1).then(|| (sent.to_string(), link))
        })
        .collect())
}

/// `s` taken as the person `p` held under the mistyped `key`, if it agrees with them.
fn pair(s: &Sent, key: &str, p: &HeldPerson) -> Option<Link> {
    // Keyed by its ID number then, or by the one sent now that the DBA took it.
    let id = p.id_number.as_deref();
    let keyed_by_id = id == Some(key) || id == Some(s.dead_id.as_str());
    if !keyed_by_id || p.name.as_deref() != Some(s.name.as_str()) || p.death != s.death {
        return None;
    }
    let mut agreeing = vec!["NAME"];
    if s.death.is_some() {
        agreeing.push("DEATH_DATE");
    }
    match (&p.sex, &s.sex) {
        (Some(held), Some(sent)) if held != sent => return None,
        (Some(_), Some(_)) => agreeing.push("SEX"),
        _ => {}
    }
    Some(Link {
        held_dead_id: key.to_string(),
        person_id: p.person_id.clone(),
        fix: one_keystroke(key, &s.dead_id)?,
        agreeing,
    })
}

/// How `held` becomes `sent` by one keystroke, if it does: a character changed, two
/// neighbours swapped, one dropped from or added to `held`. Positions count from 1.
fn one_keystroke(held: &str, sent: &str) -> Option<String> {
    let (a, b) = (held.as_bytes(), sent.as_bytes());
    if !held.is_ascii() || !sent.is_ascii() {
        return None;
    }
    let first = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let char_at = |s: &[u8], i: usize| s[i] as char;
    match a.len() as isize - b.len() as isize {
        0 if first < a.len() => {
            if a[first + 1..] == b[first + 1..] {
                Some(format!(
                    "character {}: {} → {}",
                    first + 1,
                    char_at(a, first),
                    char_at(b, first)
                ))
            } else if first + 1 < a.len()
                && a[first] == b[first + 1]
                && a[first + 1] == b[first]
                && a[first + 2..] == b[first + 2..]
            {
                Some(format!("characters {}-{} swapped", first + 1, first + 2))
            } else {
                None
            }
        }
        // The typist missed a character: `sent` has it at `first`.
        -1 if a[first..] == b[first + 1..] => {
            Some(format!("character {} ({}) was missing", first + 1, char_at(b, first)))
        }
        // The typist hit one too many.
        1 if a[first + 1..] == b[first..] => Some(format!(
            "character {} ({}) was one too many",
            first + 1,
            char_at(a, first)
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_keystroke_apart() {
        let fixed = "340524198001010028";
        for (held, fix) in [
            ("340524198001010018", Some("character 17: 1 → 2")),
            ("340524198001010082", Some("characters 17-18 swapped")),
            ("34052419800101028", Some("character 16 (0) was missing")),
            ("3405241980010100028", Some("character 17 (0) was one too many")),
            ("340524198001010028", None),
            ("340524198001010011", None),
            ("340524198001100028", Some("characters 13-14 swapped")),
            ("340524198101010029", None),
            ("34052419800101009", None),
            ("王秀英", None),
        ] {
            assert_eq!(one_keystroke(held, fixed).as_deref(), fix, "{held}");
        }
        assert_eq!(
            one_keystroke("43052419800101002", "340524198001010028"),
            None,
            "a swap and a missing character"
        );
        let found = fixes("340524198001010018");
        assert!(found.contains(fixed), "{found:?}");
        assert!(found
            .iter()
            .all(|f| valid(f) && one_keystroke("340524198001010018", f).is_some()));
        for held in ["34052419800101028", "3405241980010100028", "340524198001010082"] {
            assert!(fixes(held).contains(fixed), "{held}");
        }
        assert!(Sent::keyed_by_id(fixed, Some(fixed)));
        assert!(
            !Sent::keyed_by_id("340524198001010018", Some("340524198001010018")),
            "fails MOD 11-2"
        );
        assert!(!Sent::keyed_by_id(fixed, Some("340524198001010018")), "keyed otherwise");
        let chinese = "320981201300001王";
        assert_eq!(chinese.len(), 18);
        assert!(!Sent::keyed_by_id(chinese, Some(chinese)));
    }
}
