//! Resident identity numbers, GB 11643-1999.
//!
//! 18 characters: a six-digit GB/T 2260 address code, the birth date `YYYYMMDD`, a
//! three-digit sequence whose parity is the sex (odd male, even female) and an ISO 7064
//! MOD 11-2 check character (`0`-`9` or `X`). First-generation 15-digit numbers carry a
//! `YYMMDD` birth date (19YY) and no check character.

use chrono::NaiveDate;

/// Characters print OCR confuses in ID numbers: each digit (or the X check character)
/// with what it is misread as. One table for the ID repair, linkage's ID comparison and
/// the synthetic OCR noise.
pub const DIGIT_CONFUSIONS: &[(char, &[char])] = &[
    ('0', &['8', '6', '9', 'D', 'O']),
    ('1', &['7', 'I', 'l', '4']),
    ('2', &['Z', '7']),
    ('3', &['8', '5']),
    ('5', &['6', '3', 'S']),
    ('6', &['5', '8', '0', 'G', 'b']),
    ('7', &['1', '2', '4']),
    ('8', &['3', '6', '0', '9', 'B']),
    ('9', &['8', '0']),
    ('X', &['K', 'x', '8', '4']),
];

/// Whether OCR may read `a` where `b` was written, or `b` where `a` was.
pub fn confusable(a: char, b: char) -> bool {
    let looks = |real: char, seen: char| DIGIT_CONFUSIONS.iter().any(|(r, l)| *r == real && l.contains(&seen));
    looks(a, b) || looks(b, a)
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

/// The check character for the first 17 digits, or `None` if they are not 17 ASCII digits.
pub fn check_char(first17: &str) -> Option<char> {
    let b = first17.as_bytes();
    if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = b.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    Some(CHECK_CHARS[(sum % 11) as usize] as char)
}

/// What an ID number says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdFacts {
    pub address_code: String,
    pub birth_date: NaiveDate,
    /// GB/T 2261.1 code: `1` male, `2` female.
    pub gender: &'static str,
}

/// Why an ID number is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdProblem {
    Length(usize),
    NotDigits,
    Checksum { expected: char, found: char },
    BirthDate(String),
}

impl std::fmt::Display for IdProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdProblem::Length(n) => write!(
                f,
                "has {n} characters; expected 18 (or 15 for a first-generation number)"
            ),
            IdProblem::NotDigits => write!(f, "must be digits, with only the last of 18 allowed to be X"),
            IdProblem::Checksum { expected, found } => {
                write!(f, "check character is {found} but GB 11643 (MOD 11-2) gives {expected}")
            }
            IdProblem::BirthDate(s) => write!(f, "embedded birth date {s} is not a real date"),
        }
    }
}

/// Checks an ID number in canonical form (ASCII digits, upper-case `X`) and returns what
/// it encodes.
pub fn parse(id: &str) -> Result<IdFacts, IdProblem> {
    let n = id.chars().count();
    match n {
        18 => {
            let (body, last) = id.split_at(17);
            if !body.bytes().all(|c| c.is_ascii_digit()) || !matches!(last.as_bytes()[0], b'0'..=b'9' | b'X') {
                return Err(IdProblem::NotDigits);
            }
            let expected = check_char(body).expect("17 digits");
            let found = last.as_bytes()[0] as char;
            if expected != found {
                return Err(IdProblem::Checksum { expected, found });
            }
            facts(&id[..6], &id[6..14], id.as_bytes()[16])
        }
        15 => {
            if !id.bytes().all(|c| c.is_ascii_digit()) {
                return Err(IdProblem::NotDigits);
            }
            facts(&id[..6], &format!("19{}", &id[6..12]), id.as_bytes()[14])
        }
        _ => Err(IdProblem::Length(n)),
    }
}

fn facts(address: &str, yyyymmdd: &str, sex_digit: u8) -> Result<IdFacts, IdProblem> {
    let birth_date =
        NaiveDate::parse_from_str(yyyymmdd, "%Y%m%d").map_err(|_| IdProblem::BirthDate(yyyymmdd.to_string()))?;
    Ok(IdFacts {
        address_code: address.to_string(),
        birth_date,
        gender: if (sex_digit - b'0') % 2 == 1 { "1" } else { "2" },
    })
}

/// Builds a valid 18-digit number from its parts (used by the generator and tests).
pub fn compose(address_code: &str, birth: NaiveDate, sequence: u16) -> String {
    let body = format!("{address_code}{}{:03}", birth.format("%Y%m%d"), sequence % 1000);
    let check = check_char(&body).expect("composed body is 17 digits");
    format!("{body}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_example_is_valid() {
        let f = parse("34052419800101001X").unwrap();
        assert_eq!(f.address_code, "340524");
        assert_eq!(f.birth_date, NaiveDate::from_ymd_opt(1980, 1, 1).unwrap());
        assert_eq!(f.gender, "1");
    }

    #[test]
    fn wrong_check_digit_is_named() {
        let e = parse("340524198001010019").unwrap_err();
        assert_eq!(
            e,
            IdProblem::Checksum {
                expected: 'X',
                found: '9'
            }
        );
    }

    #[test]
    fn impossible_birth_date_is_rejected() {
        let body = "34052419800231001";
        let id = format!("{body}{}", check_char(body).unwrap());
        assert!(matches!(parse(&id), Err(IdProblem::BirthDate(_))));
    }

    #[test]
    fn first_generation_numbers_parse() {
        let f = parse("340524800101002").unwrap();
        assert_eq!(f.birth_date, NaiveDate::from_ymd_opt(1980, 1, 1).unwrap());
        assert_eq!(f.gender, "2");
    }

    #[test]
    fn compose_round_trips() {
        let d = NaiveDate::from_ymd_opt(1931, 12, 9).unwrap();
        for seq in [0u16, 1, 2, 517, 999] {
            let id = compose("370112", d, seq);
            let f = parse(&id).unwrap();
            assert_eq!(f.birth_date, d);
            assert_eq!(f.gender, if seq % 2 == 1 { "1" } else { "2" });
        }
    }
}
