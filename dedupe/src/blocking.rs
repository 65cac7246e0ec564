//! Blocking: only records that share a key are compared, so the work grows with the
//! number of records, not its square. Each rule is chosen to catch the duplicates the
//! others miss (an ID read wrong, a name read wrong, a date written wrong).

use rayon::prelude::*;
use std::hash::{Hash, Hasher};

use crate::compare::CompareField::{self, *};
use crate::normalize::Prepared;

/// Blocks larger than this (a name and a date a few hundred records share) are skipped:
/// their pairs carry little evidence and would dominate the work.
pub const DEFAULT_MAX_BLOCK: usize = 400;

#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub name: &'static str,
    keys: fn(&Prepared, &mut dyn FnMut(u64)),
    /// Fields whose `m` this rule's pairs can train (see [`crate::model::fit`]): those it
    /// does not block on, directly or through the ID number's birth-date digits.
    pub trains: &'static [CompareField],
}

fn hash(parts: impl Hash) -> u64 {
    // SipHash with fixed keys: the same keys on every run and every machine.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// The rules, in report order.
pub const RULES: &[Rule] = &[
    Rule {
        // Any two of the ID's three parts (address, birth year+month, day+sequence+check)
        // agree whenever the numbers differ in one character: a deletion-neighbourhood
        // idea with three keys instead of eighteen.
        name: "id_number (one character may differ)",
        trains: &[Name, DeathDate, Gender, Address, FamilyName],
        keys: |p, emit| {
            if let Some(id) = p.id {
                let (a, b, c) = (&id.bytes[..6], &id.bytes[6..12], &id.bytes[12..]);
                emit(hash((1u8, a, b)));
                emit(hash((2u8, a, c)));
                emit(hash((3u8, b, c)));
            }
        },
    },
    Rule {
        name: "birth_date + surname",
        trains: &[],
        keys: |p, emit| {
            if let (Some(b), Some(s)) = (p.birth, p.surname()) {
                emit(hash((4u8, b.ymd, s)));
            }
        },
    },
    Rule {
        name: "death_date + name pinyin",
        trains: &[IdNumber, BirthDate, Gender, Address, FamilyName],
        keys: |p, emit| {
            if let Some(d) = p.death {
                if p.name_known() {
                    emit(hash((5u8, d.ymd, p.pinyin.as_str())));
                }
            }
        },
    },
    Rule {
        name: "name + birth year",
        trains: &[],
        keys: |p, emit| {
            if let Some(b) = p.birth {
                if p.name_known() {
                    emit(hash((6u8, b.year(), p.name.as_str())));
                }
            }
        },
    },
    Rule {
        name: "birth_date + death_date",
        trains: &[Name, IdNumber, Gender, Address, FamilyName],
        keys: |p, emit| {
            if let (Some(b), Some(d)) = (p.birth, p.death) {
                emit(hash((7u8, b.ymd, d.ymd)));
            }
        },
    },
];

/// A candidate pair, `a < b`, packed so pairs sort and deduplicate as integers.
pub fn pack(a: u32, b: u32) -> u64 {
    (u64::from(a.min(b)) << 32) | u64::from(a.max(b))
}

pub fn unpack(p: u64) -> (u32, u32) {
    ((p >> 32) as u32, p as u32)
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleStats {
    pub rule: &'static str,
    pub pairs: u64,
    pub blocks_skipped: u64,
}

/// Which records may be paired: all with all, only pairs with at least one record from
/// `new` (linking a new batch against what is already linked), or only pairs with exactly
/// one (matching a batch whose own duplicates are already decided against a database).
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    All,
    Touching(&'a [bool]),
    Across(&'a [bool]),
}

impl Scope<'_> {
    /// Whether the scope admits any pair of `block`: one look at each record, before the
    /// look at each pair. Most blocks of a load hold records of the batch only (people
    /// the database does not hold), and their pairs were all made to be refused.
    fn may_pair(&self, block: &[(u64, u32)]) -> bool {
        match self {
            Scope::All => true,
            Scope::Touching(new) => block.iter().any(|k| new[k.1 as usize]),
            Scope::Across(new) => {
                let side = |k: &(u64, u32)| new[k.1 as usize];
                block.iter().any(|k| side(k) != side(&block[0]))
            }
        }
    }

    fn admits(&self, (a, b): (u32, u32)) -> bool {
        match self {
            Scope::All => true,
            Scope::Touching(new) => new[a as usize] || new[b as usize],
            Scope::Across(new) => new[a as usize] != new[b as usize],
        }
    }
}

/// Candidate pairs: the distinct pairs over all rules, sorted, and beside each the rules
/// that proposed it (bit `r` for [`RULES`]`[r]`), which model training needs per rule.
pub struct Candidates {
    pub all: Vec<u64>,
    pub rules: Vec<RuleMask>,
    pub stats: Vec<RuleStats>,
}

/// Which rules proposed a pair, a bit each.
pub type RuleMask = u8;
const _: () = assert!(RULES.len() <= RuleMask::BITS as usize);

impl Candidates {
    /// The pairs' indexes (into [`Candidates::all`]) that rule `r` proposed.
    pub fn of_rule(&self, r: usize) -> impl Iterator<Item = usize> + '_ {
        self.rules
            .iter()
            .enumerate()
            .filter(move |(_, &m)| m & (1 << r) != 0)
            .map(|(i, _)| i)
    }
}

pub fn candidate_pairs(records: &[Prepared], max_block: usize, scope: Scope) -> Candidates {
    let mut tagged: Vec<(u64, RuleMask)> = Vec::new();
    let mut stats = Vec::new();
    for (r, rule) in RULES.iter().enumerate() {
        let mut keyed: Vec<(u64, u32)> = records
            .par_iter()
            .enumerate()
            .fold(Vec::new, |mut v, (i, p)| {
                (rule.keys)(p, &mut |k| v.push((k, i as u32)));
                v
            })
            .reduce(Vec::new, |mut a, mut b| {
                a.append(&mut b);
                a
            });
        keyed.par_sort_unstable();
        keyed.dedup();
        let blocks: Vec<&[(u64, u32)]> = keyed.chunk_by(|x, y| x.0 == y.0).filter(|b| b.len() > 1).collect();
        let skipped = blocks.iter().filter(|b| b.len() > max_block).count() as u64;
        let pairs: Vec<(u64, RuleMask)> = blocks
            .par_iter()
            .filter(|b| b.len() <= max_block && scope.may_pair(b))
            .flat_map_iter(|b| {
                b.iter().enumerate().flat_map(move |(n, x)| {
                    b[n + 1..]
                        .iter()
                        .filter(move |y| y.1 != x.1)
                        .map(move |y| pack(x.1, y.1))
                })
            })
            .filter(|&p| scope.admits(unpack(p)))
            .map(|p| (p, 1 << r))
            .collect();
        stats.push(RuleStats {
            rule: rule.name,
            pairs: pairs.len() as u64,
            blocks_skipped: skipped,
        });
        tagged.extend(pairs);
    }
    tagged.par_sort_unstable();
    let mut all = Vec::with_capacity(tagged.len());
    let mut rules: Vec<RuleMask> = Vec::with_capacity(tagged.len());
    for (pair, rule) in tagged {
        if all.last() == Some(&pair) {
            *rules.last_mut().expect("a mask beside every pair") |= rule;
        } else {
            all.push(pair);
            rules.push(rule);
        }
    }
    Candidates { all, rules, stats }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ledgerline_schemas::RecordFields;

    fn rec(name: &str, id: &str, birth: &str, death: &str) -> Prepared {
        Prepared::new(&RecordFields {
            deceased_name: Some(name.into()),
            id_number: (!id.is_empty()).then(|| id.into()),
            birth_date: Some(birth.into()),
            death_date: Some(death.into()),
            ..Default::default()
        })
    }

    #[test]
    fn one_wrong_id_digit_still_meets() {
        let r = vec![
            rec("甲", "34052419800101001X", "1980-01-01", "2013-01-01"),
            rec("乙", "34052419830101001X", "1990-01-01", "2014-01-01"),
            rec("丙", "110101195001011234", "1950-01-01", "2015-01-01"),
        ];
        assert_eq!(candidate_pairs(&r, DEFAULT_MAX_BLOCK, Scope::All).all, vec![pack(0, 1)]);
    }

    #[test]
    fn wrong_name_meets_by_dates_and_scope_limits() {
        let r = vec![
            rec("王秀英", "", "1940-02-03", "2013-05-06"),
            rec("汪秀荚", "", "1940-02-03", "2013-05-06"),
        ];
        assert_eq!(candidate_pairs(&r, DEFAULT_MAX_BLOCK, Scope::All).all, vec![pack(0, 1)]);
        let none = candidate_pairs(&r, DEFAULT_MAX_BLOCK, Scope::Touching(&[false, false]));
        assert!(none.all.is_empty());
        let both_new = candidate_pairs(&r, DEFAULT_MAX_BLOCK, Scope::Across(&[true, true]));
        assert!(both_new.all.is_empty());
        let across = candidate_pairs(&r, DEFAULT_MAX_BLOCK, Scope::Across(&[true, false]));
        assert_eq!(across.all, vec![pack(0, 1)]);
    }

    #[test]
    fn each_pair_knows_the_rules_that_proposed_it() {
        // Same ID, birth date and surname: proposed by the ID rule and by birth_date +
        // surname (and by name + birth year, the names being equal), by no date rule.
        let r = vec![
            rec("王秀英", "34052419800101001X", "1980-01-01", "2013-01-01"),
            rec("王秀英", "34052419800101001X", "1980-01-01", "2014-06-01"),
            rec("李四", "", "1980-01-01", "2014-06-01"),
        ];
        let c = candidate_pairs(&r, DEFAULT_MAX_BLOCK, Scope::All);
        assert_eq!(c.all, vec![pack(0, 1), pack(1, 2)]);
        assert_eq!(c.rules, vec![0b01011, 0b10000]);
        assert_eq!(c.of_rule(4).collect::<Vec<_>>(), vec![1]);
    }
}
