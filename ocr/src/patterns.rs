//! Numbers a ledger writes to one pattern down a page: a cemetery's grave numbers
//! (`D区21排34号`), an agency's certificate numbers (`2012-05098`). A reading of another
//! pattern than most of its column is a misreading more often than not: on a generated
//! batch, five of the thirteen wrong fields in records the machine accepted were such
//! (`了D区21排34号`, `C区10排27号-一`, `201209249`, `2012-05098-`), each read with a
//! confidence Tesseract was sure of.

use ledgerline_schemas::Field;

/// Fields whose values follow their page's pattern.
pub const PATTERNED: [Field; 2] = [Field::GraveNumber, Field::CremationCertNo];

/// Fewest values, and the share of them that must agree, for a pattern to be the page's.
const MIN_VALUES: usize = 3;
const MIN_SHARE: f32 = 0.6;

/// A value's pattern: every run of digits one `9`, every run of Latin letters one `A`,
/// anything else as it is. `B区1排16号` and `B区11排6号` share one; `201209249` and
/// `2012-09249` do not.
pub fn pattern(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let class = if c.is_ascii_digit() {
            '9'
        } else if c.is_ascii_alphabetic() {
            'A'
        } else {
            c
        };
        if !(matches!(class, '9' | 'A') && out.ends_with(class)) {
            out.push(class);
        }
    }
    out
}

/// Which of a column's values (in row order, `None` where nothing was written) depart
/// from the pattern most of them share; none when no pattern is that clear.
pub fn off_pattern(values: &[Option<String>]) -> Vec<bool> {
    let patterns: Vec<Option<String>> = values.iter().map(|v| v.as_deref().map(pattern)).collect();
    let mut counts = std::collections::HashMap::new();
    for p in patterns.iter().flatten() {
        *counts.entry(p.as_str()).or_insert(0usize) += 1;
    }
    let written = patterns.iter().flatten().count();
    let Some((common, n)) = counts.into_iter().max_by_key(|&(p, n)| (n, std::cmp::Reverse(p))) else {
        return vec![false; values.len()];
    };
    if n < MIN_VALUES || (n as f32) < written as f32 * MIN_SHARE {
        return vec![false; values.len()];
    }
    patterns
        .iter()
        .map(|p| p.as_deref().is_some_and(|p| p != common))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: &[&str]) -> Vec<Option<String>> {
        values.iter().map(|v| (!v.is_empty()).then(|| v.to_string())).collect()
    }

    #[test]
    fn digit_counts_do_not_make_a_pattern_but_separators_do() {
        assert_eq!(pattern("B区1排16号"), pattern("B区11排6号"));
        assert_ne!(pattern("201209249"), pattern("2012-09249"));
        assert_ne!(pattern("了D区21排34号"), pattern("D区21排34号"));
    }

    #[test]
    fn the_odd_one_out_of_a_clear_pattern_is_flagged() {
        let c = column(&["2012-05098", "", "2012-11873", "201209249", "2012-00412", "2012-05098-"]);
        assert_eq!(off_pattern(&c), [false, false, false, true, false, true]);
    }

    #[test]
    fn no_clear_pattern_flags_nothing() {
        // Two patterns half and half, and a column too short to say.
        assert!(!off_pattern(&column(&["A1", "A2", "1-1", "2-2"])).contains(&true));
        assert!(!off_pattern(&column(&["2012-1", "20121"])).contains(&true));
    }
}
