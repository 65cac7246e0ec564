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
    // FxHash: no random state, so the same keys on every run and every machine, and a
    // fraction of SipHash's cost on the ~14 million keys of a million-record load. Two
    // keys that collide only put a pair more before the comparison, which judges it.
    let mut h = rustc_hash::FxHasher::default();
    parts.hash(&mut h);
    h.finish()
}

/// The windows of an 18-character ID number the ID rule's keys leave out, one key each:
/// each part, and the two characters across each boundary between parts.
const ID_WINDOWS_LEFT_OUT: [std::ops::Range<usize>; 7] = [0..6, 6..12, 12..14, 14..18, 5..7, 11..13, 13..15];

/// The rules, in report order.
pub const RULES: &[Rule] = &[
    Rule {
        // Two ID numbers that differ in one character, or in two side by side, agree on
        // all but one of these windows of the number left out: the county (0-5), the
        // birth year and month (6-11), the birth day (12-13), the sequence and check
        // (14-17), and the two characters either side of each of those boundaries.
        // Leaving out less than a whole part keeps every key specific: a key of the
        // county and birth month alone (an older version of this rule) paired everyone
        // of a county born in one month, 88 % of a million-record load's pairs.
        name: "id_number (one character may differ)",
        trains: &[Name, DeathDate, Gender, Address, FamilyName],
        keys: |p, emit| {
            if let Some(id) = p.id {
                for (tag, left_out) in (10u8..).zip(ID_WINDOWS_LEFT_OUT) {
                    emit(hash((tag, &id.bytes[..left_out.start], &id.bytes[left_out.end..])));
                }
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
    fn may_pair(&self, block: &[u64], keyed: KeyedRecords) -> bool {
        let side = |new: &[bool], k: &u64| new[keyed.record(*k) as usize];
        match self {
            Scope::All => true,
            Scope::Touching(new) => block.iter().any(|k| side(new, k)),
            Scope::Across(new) => block.iter().any(|k| side(new, k) != side(new, &block[0])),
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

/// A blocking key and the record it is of, in one `u64`: the key's high bits above, the
/// record's index in the low bits (as few as the records need). Sorted as plain
/// integers, they group by key, and half the size of a (key, index) pair, a million-
/// record load's 13 million of them sort faster. Two keys that differ only in the bits
/// given to the index fall into one block: a pair more to compare, which the comparison
/// judges (with 21 index bits for two million records, 43 bits of key are left).
#[derive(Debug, Clone, Copy)]
struct KeyedRecords {
    index_bits: u32,
}

impl KeyedRecords {
    fn for_records(n: usize) -> KeyedRecords {
        KeyedRecords {
            index_bits: usize::BITS - n.saturating_sub(1).leading_zeros(),
        }
    }

    fn keyed(self, key: u64, record: u32) -> u64 {
        (key & !self.index_mask()) | u64::from(record)
    }

    fn key(self, keyed: u64) -> u64 {
        keyed & !self.index_mask()
    }

    fn record(self, keyed: u64) -> u32 {
        (keyed & self.index_mask()) as u32
    }

    fn index_mask(self) -> u64 {
        (1u64 << self.index_bits) - 1
    }
}

pub fn candidate_pairs(records: &[Prepared], max_block: usize, scope: Scope) -> Candidates {
    let mut tagged: Vec<(u64, RuleMask)> = Vec::new();
    let mut stats = Vec::new();
    let packing = KeyedRecords::for_records(records.len());
    for (r, rule) in RULES.iter().enumerate() {
        let mut keyed: Vec<u64> = records
            .par_iter()
            .enumerate()
            .fold(Vec::new, |mut v, (i, p)| {
                (rule.keys)(p, &mut |k| v.push(packing.keyed(k, i as u32)));
                v
            })
            .reduce(Vec::new, |mut a, mut b| {
                a.append(&mut b);
                a
            });
        keyed.par_sort_unstable();
        keyed.dedup();
        let blocks: Vec<&[u64]> = keyed
            .chunk_by(|x, y| packing.key(*x) == packing.key(*y))
            .filter(|b| b.len() > 1)
            .collect();
        let skipped = blocks.iter().filter(|b| b.len() > max_block).count() as u64;
        let record = move |k: &u64| packing.record(*k);
        let pairs: Vec<(u64, RuleMask)> = blocks
            .par_iter()
            .filter(|b| b.len() <= max_block && scope.may_pair(b, packing))
            .flat_map_iter(|b| {
                b.iter().enumerate().flat_map(move |(n, x)| {
                    b[n + 1..]
                        .iter()
                        .filter(move |y| record(y) != record(x))
                        .map(move |y| pack(record(x), record(y)))
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
    fn a_key_and_its_record_share_one_integer() {
        for n in [1usize, 2, 3, 1000, 1 << 20, (1 << 20) + 1] {
            let packing = KeyedRecords::for_records(n);
            let last = (n - 1) as u32;
            let key = hash("王秀英");
            let k = packing.keyed(key, last);
            assert_eq!(packing.record(k), last, "{n} records");
            assert_eq!(packing.key(k), packing.key(packing.keyed(key, 0)), "{n} records");
            assert_ne!(packing.key(k), packing.key(packing.keyed(hash("王秀荚"), last)));
        }
        assert_eq!(KeyedRecords::for_records((1 << 20) + 1).index_bits, 21);
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

    /// The ID rule alone (other rules see different names and dates here).
    fn meet_by_id(a: &str, b: &str) -> bool {
        let r = vec![
            rec("甲", a, "1980-01-01", "2013-01-01"),
            rec("乙", b, "1990-02-02", "2014-02-02"),
        ];
        candidate_pairs(&r, DEFAULT_MAX_BLOCK, Scope::All).all == vec![pack(0, 1)]
    }

    #[test]
    fn any_one_character_or_two_side_by_side_may_differ() {
        let id = "34052419800101001X";
        for i in 0..18 {
            let mut changed = id.as_bytes().to_vec();
            changed[i] = if changed[i] == b'7' { b'1' } else { b'7' };
            let changed = String::from_utf8(changed).unwrap();
            assert!(meet_by_id(id, &changed), "{changed}: character {i} differs");
        }
        for i in 0..17 {
            let mut swapped = b"340524198601234572".to_vec();
            swapped.swap(i, i + 1);
            let swapped = String::from_utf8(swapped).unwrap();
            assert!(
                meet_by_id("340524198601234572", &swapped),
                "{swapped}: {i} and {} swapped",
                i + 1
            );
        }
    }

    #[test]
    fn a_county_and_a_birth_month_are_not_enough() {
        assert!(!meet_by_id("340524198001010016", "340524198001227742"));
        assert!(!meet_by_id("340524198001010016", "340524198001030026"));
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
