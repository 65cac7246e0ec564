//! Record sets without pages: people written into one to three ledger rows each, with
//! the slips of second ledgers and of OCR, and siblings whose names differ by one
//! character. Deduplication is tested and benchmarked on these, with the true person of
//! every record known.

use rand::{seq::IndexedRandom, Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::people::{self, County, Person};
use ledgerline_schemas::{lookalike, Record, RecordFields, RecordType, Review, ReviewStatus, Source};

#[derive(Debug, Clone)]
pub struct SyntheticRecord {
    pub record_id: String,
    pub person_id: String,
    pub record_type: RecordType,
    pub fields: RecordFields,
}

impl SyntheticRecord {
    /// The record as a workspace would hold it: the `index`th row of batch `batch`,
    /// `rows_per_page` rows a page.
    pub fn to_record(&self, batch: &str, index: usize, rows_per_page: usize, status: ReviewStatus) -> Record {
        Record {
            record_id: format!("{batch}-{}", self.record_id),
            record_type: self.record_type,
            fields: self.fields.clone(),
            person_id: None,
            source: Source {
                batch: batch.into(),
                page: format!("{batch}-p{:04}.png", index / rows_per_page),
                row: (index % rows_per_page + 1) as u32,
            },
            confidence: Default::default(),
            review: Review {
                status,
                ..Review::default()
            },
            extra_fields: Default::default(),
        }
    }
}

/// Traditional forms a hand-copied ledger may use for common name characters.
const TRADITIONAL: &[(char, char)] = &[
    ('华', '華'),
    ('国', '國'),
    ('兰', '蘭'),
    ('凤', '鳳'),
    ('龙', '龍'),
    ('丽', '麗'),
    ('红', '紅'),
    ('贵', '貴'),
    ('刘', '劉'),
    ('张', '張'),
    ('陈', '陳'),
    ('杨', '楊'),
    ('赵', '趙'),
    ('孙', '孫'),
    ('郑', '鄭'),
    ('荣', '榮'),
    ('云', '雲'),
    ('庆', '慶'),
    ('军', '軍'),
    ('长', '長'),
];

const YEARS: (u16, u16) = (2010, 2020);

/// One digit misread as a digit it looks like (the confusions the ID repair knows).
fn swap_digit<R: Rng>(rng: &mut R, id: &str) -> String {
    let mut chars: Vec<char> = id.chars().collect();
    let i = rng.random_range(0..chars.len().min(17));
    let looks: Vec<char> = ledgerline_schemas::id_number::DIGIT_CONFUSIONS
        .iter()
        .find(|(real, _)| *real == chars[i])
        .map(|(_, looks)| looks.iter().copied().filter(char::is_ascii_digit).collect())
        .unwrap_or_default();
    if let Some(&c) = looks.choose(rng) {
        chars[i] = c;
    }
    chars.into_iter().collect()
}

fn transpose<R: Rng>(rng: &mut R, id: &str) -> String {
    let mut b = id.as_bytes().to_vec();
    let i = rng.random_range(0..16);
    b.swap(i, i + 1);
    String::from_utf8(b).expect("ASCII")
}

fn replace_char(name: &str, at: usize, with: char) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| if i == at { with } else { c })
        .collect()
}

/// A name with one given-name character misread as another name character (the worst
/// case for search: not a look-alike, just wrong). One-character names stay as they are.
pub fn damage_name<R: Rng>(rng: &mut R, name: &str) -> String {
    let len = name.chars().count();
    if len < 2 {
        return name.to_string();
    }
    let at = rng.random_range(1..len);
    let old = name.chars().nth(at).unwrap_or_default();
    let pool: Vec<char> = crate::names::MALE_CHARS
        .iter()
        .chain(crate::names::FEMALE_CHARS)
        .filter_map(|s| s.chars().next())
        .filter(|c| *c != old)
        .collect();
    replace_char(name, at, *pool.choose(rng).expect("name characters"))
}

/// A name with one given-name character misread as one of its look-alikes (英→荚,
/// 秀→季), the slip OCR makes; `None` when no given-name character has a look-alike.
pub fn misread_name<R: Rng>(rng: &mut R, name: &str) -> Option<String> {
    let chars: Vec<char> = name.chars().collect();
    let misreadable: Vec<usize> = (1..chars.len())
        .filter(|&i| lookalike::confusions(chars[i]).next().is_some())
        .collect();
    let at = *misreadable.choose(rng)?;
    let options: Vec<char> = lookalike::confusions(chars[at]).collect();
    Some(replace_char(name, at, *options.choose(rng)?))
}

/// The OCR and copying noise of one record.
fn add_noise<R: Rng>(rng: &mut R, f: &mut RecordFields) {
    if let Some(id) = f.id_number.clone() {
        let roll: f64 = rng.random();
        if roll < 0.10 {
            f.id_number = Some(swap_digit(rng, &id));
        } else if roll < 0.13 {
            f.id_number = Some(transpose(rng, &id));
        }
    }
    if let Some(name) = f.deceased_name.clone() {
        let len = name.chars().count();
        let roll: f64 = rng.random();
        if roll < 0.04 && len > 1 {
            f.deceased_name = Some(replace_char(&name, rng.random_range(1..len), '?'));
        } else if roll < 0.08 {
            let traditional: String = name
                .chars()
                .map(|c| TRADITIONAL.iter().find(|(s, _)| *s == c).map_or(c, |(_, t)| *t))
                .collect();
            f.deceased_name = Some(traditional);
        }
    }
    let roll: f64 = rng.random();
    if roll < 0.04 {
        // Day and month swapped, where the swap is still a date.
        if let Some(d) = &f.death_date {
            let (y, m, day) = (&d[..4], &d[5..7], &d[8..10]);
            if day <= "12" {
                f.death_date = Some(format!("{y}-{day}-{m}"));
            }
        }
    } else if roll < 0.08 {
        if let Some(b) = &f.birth_date {
            let mut bytes = b.as_bytes().to_vec();
            let i = [3usize, 9][rng.random_range(0..2)];
            bytes[i] = b'0' + (bytes[i] - b'0' + 1) % 10;
            let slipped = String::from_utf8(bytes).expect("ASCII");
            if ledgerline_schemas::date::parse_iso(&slipped).is_some() {
                f.birth_date = Some(slipped);
            }
        }
    } else if roll < 0.12 {
        f.birth_date = None;
    }
    if let Some(addr) = &f.household_address {
        let roll: f64 = rng.random();
        if roll < 0.3 {
            f.household_address = Some(format!("山东省{addr}"));
        } else if roll < 0.45 {
            // The prefecture left out: 济南市历城区 → 历城区.
            if let Some(pos) = addr.find('市') {
                f.household_address = Some(addr[pos + '市'.len_utf8()..].to_string());
            }
        }
    }
    if rng.random_bool(0.01) {
        f.gender = None;
    }
}

/// About `n` records of `n / 1.6` people; deterministic for a seed, whatever the
/// number of threads.
pub fn generate_records(n: usize, seed: u64) -> Vec<SyntheticRecord> {
    let counties = people::counties_of("37");
    const CHUNK: usize = 4096;
    let chunks = n.div_ceil(CHUNK);
    (0..chunks)
        .into_par_iter()
        .flat_map_iter(|c| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(1_000_003) ^ c as u64);
            let want = CHUNK.min(n - c * CHUNK);
            chunk(&mut rng, c, want, &counties)
        })
        .collect()
}

fn chunk<R: Rng>(rng: &mut R, c: usize, want: usize, counties: &[County]) -> Vec<SyntheticRecord> {
    let mut out = Vec::with_capacity(want);
    let mut previous: Option<Person> = None;
    let mut p = 0;
    while out.len() < want {
        let person_id = format!("T{c:05}-{p:05}");
        p += 1;
        let agency = *crate::names::AGENCIES.choose(rng).expect("agencies");
        let person = match &previous {
            // Siblings and namesakes: the pairs that must stay apart.
            Some(prev) if rng.random_bool(0.05) => people::near_namesake(rng, person_id, prev, counties, YEARS, agency),
            _ => people::new_person(rng, person_id, counties, YEARS, agency),
        };
        let copies = match rng.random_range(0..100) {
            0..55 => 1,
            55..88 => 2,
            _ => 3,
        };
        for k in 0..copies {
            if out.len() == want {
                break;
            }
            let mut fields = if k == 0 {
                person.fields.clone()
            } else {
                people::reappearance(rng, &person)
            };
            add_noise(rng, &mut fields);
            let record_type = if k == 0 {
                RecordType::Cremation
            } else {
                RecordType::Burial
            };
            out.push(SyntheticRecord {
                record_id: format!("R{c:05}-{:05}", out.len()),
                person_id: person.person_id.clone(),
                record_type,
                fields,
            });
        }
        previous = Some(person);
    }
    // Copies of one person are not next to each other in real ledgers.
    use rand::seq::SliceRandom;
    out.shuffle(rng);
    out
}

/// `take` records of a batch as the machine would have accepted them: generated, valid
/// (the machine accepts only valid records), `rows_per_page` to a page, status `machine`.
pub fn machine_accepted(batch: &str, take: usize, seed: u64, rows_per_page: usize) -> Vec<Record> {
    use ledgerline_schemas::validate::{is_acceptable, validate};
    // About one generated record in four fails validation (damaged ID numbers, dates).
    generate_records(take * 2 + 16, seed)
        .iter()
        .filter(|r| is_acceptable(&validate(&r.to_record(batch, 0, rows_per_page, ReviewStatus::Machine))))
        .take(take)
        .enumerate()
        .map(|(i, r)| r.to_record(batch, i, rows_per_page, ReviewStatus::Machine))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_with_duplicates() {
        let a = generate_records(5000, 7);
        let b = generate_records(5000, 7);
        assert_eq!(a.len(), 5000);
        assert!(a
            .iter()
            .zip(&b)
            .all(|(x, y)| x.record_id == y.record_id && x.fields == y.fields));
        let people: std::collections::HashSet<&str> = a.iter().map(|r| r.person_id.as_str()).collect();
        let ratio = a.len() as f64 / people.len() as f64;
        assert!((1.4..1.8).contains(&ratio), "{ratio}");
    }
}
