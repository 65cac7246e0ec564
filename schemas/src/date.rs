//! Canonical dates: `YYYY-MM-DD`, real calendar days only.

use chrono::{Datelike, NaiveDate};

/// Parses a canonical `YYYY-MM-DD` date. Anything else, including 31 February or a
/// one-digit month, is `None`: ledger styles are normalized by extraction, not here.
pub fn parse_iso(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// Formats a date in canonical form.
pub fn format_iso(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// Age in completed years on `on` for someone born on `birth`.
pub fn completed_years(birth: NaiveDate, on: NaiveDate) -> i32 {
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_days_only() {
        assert!(parse_iso("2012-03-05").is_some());
        assert!(parse_iso("2012-02-29").is_some());
        assert!(parse_iso("2013-02-29").is_none());
        assert!(parse_iso("2012-02-31").is_none());
        assert!(parse_iso("2012-3-05").is_none());
        assert!(parse_iso("2012/03/05").is_none());
        assert!(parse_iso("２０１２-03-05").is_none());
    }

    #[test]
    fn completed_years_counts_birthdays() {
        let b = parse_iso("1940-06-15").unwrap();
        assert_eq!(completed_years(b, parse_iso("2012-06-14").unwrap()), 71);
        assert_eq!(completed_years(b, parse_iso("2012-06-15").unwrap()), 72);
    }
}
