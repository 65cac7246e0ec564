//! Numbers a ledger writes to one pattern down a page: a cemetery's grave numbers
//! (`D区21排34号`), an agency's certificate numbers (`2012-05098`). A reading of another
//! pattern than most of its column is a misreading more often than not: on a generated
//! batch, five of the thirteen wrong fields in records the machine accepted were such
//! (`了D区21排34号`, `C区10排27号-一`, `201209249`, `2012-05098-`), each read with a
//! confidence Tesseract was sure of. Most such readings hold the number whole, with
//! marks read around it or its separator lost: when exactly one way of reading the
//! value follows the column, the value is repaired to it; otherwise it goes to review.
//! A reading whose pattern is the column's but for one character that is no digit or
//! letter (号 read as 身) has that character put back, and goes to review all the same.

use ledgerline_schemas::Field;

/// Fields whose values follow their page's pattern.
pub const PATTERNED: [Field; 2] = [Field::GraveNumber, Field::CremationCertNo];

/// Fewest values, and the share of them that must agree, for a pattern to be the page's.
const MIN_VALUES: usize = 3;
const MIN_SHARE: f32 = 0.6;

/// Share of a column's values of its pattern that must have one shape for the column to
/// write its numbers to a fixed width.
const FIXED_SHARE: f32 = 0.8;

/// A value's pattern: every run of digits one `9`, every run of Latin letters one `A`,
/// anything else as it is. `B区1排16号` and `B区11排6号` share one; `201209249` and
/// `2012-09249` do not.
pub fn pattern(text: &str) -> String {
    classed(text).filter(|c| !c.continues_run).map(|c| c.class).collect()
}

/// A value's shape: its pattern with every digit and letter kept (`B区01排16号` →
/// `A区99排99号`). A column whose values all share one shape writes its numbers to a
/// fixed width, and a reading with a digit too few (`B区1排16号`) is off it.
fn shape(text: &str) -> String {
    classed(text).map(|c| c.class).collect()
}

/// What a column's pattern says of one of its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    /// The value follows the column's pattern, or the column has none to follow.
    Fits,
    /// The value read departs from the pattern, and exactly one way of reading it that
    /// follows it is at hand: marks read around the number dropped (`2012-05098-`,
    /// `了D区21排34号`, `A区24排06号只`), or the separators a bare run of digits lost
    /// (`201209249` in a column of `2012-05098`).
    Repaired(String),
    /// The value's pattern is the column's but for one character that is no digit or
    /// letter (`C区23排29身`, `B长09排27号`): that character put back, for review, since
    /// which digit-free character it was only the column says.
    Restored(String),
    /// The value departs from the pattern and nothing repairs it.
    Off,
}

/// What the pattern most of a column's values share (in row order, `None` where nothing
/// was written) says of each; every value fits when no pattern is that clear. A value
/// off the pattern whose other reading in `otherwise` (by row; missing or `None`: none)
/// follows it is repaired to that reading: marks beside a digit were put back as digits
/// (`C区211排38号` from `C区21]排38号`), and dropped they make the column's two-digit row.
pub fn fit_to_column(values: &[Option<String>], otherwise: &[Option<String>]) -> Vec<Fit> {
    let Some((common, n, written)) = most_common(values.iter().flatten().map(|v| pattern(v))) else {
        return vec![Fit::Fits; values.len()];
    };
    if n < MIN_VALUES || (n as f32) < written as f32 * MIN_SHARE {
        return vec![Fit::Fits; values.len()];
    }
    let fixed = fixed_shape(values.iter().flatten().filter(|v| pattern(v) == common));
    let follows = |v: &str| pattern(v) == common && fixed.as_ref().is_none_or(|f| shape(v) == *f);
    let other_reading = |row: usize| otherwise.get(row).and_then(Option::as_deref);
    values
        .iter()
        .enumerate()
        .map(|(row, v)| match v.as_deref() {
            None => Fit::Fits,
            Some(v) if follows(v) => Fit::Fits,
            Some(v) => other_reading(row)
                .filter(|o| follows(o))
                .map(str::to_string)
                .or_else(|| repair(v, &follows, fixed.as_deref()))
                .map(Fit::Repaired)
                .or_else(|| {
                    let restored = with_pattern_character_restored(v, &common)?;
                    follows(&restored).then_some(Fit::Restored(restored))
                })
                .unwrap_or(Fit::Off),
        })
        .collect()
}

/// The shape nearly all of a column's values of its pattern share, when they do.
fn fixed_shape<'a>(values: impl Iterator<Item = &'a String>) -> Option<String> {
    let (shape, k, n) = most_common(values.map(|v| shape(v)))?;
    (k as f32 >= n as f32 * FIXED_SHARE).then_some(shape)
}

/// The most common of some texts (the first in order among as common ones), how often
/// it comes, and how many texts there were; `None` for none.
fn most_common(texts: impl Iterator<Item = String>) -> Option<(String, usize, usize)> {
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut total = 0;
    for t in texts {
        *counts.entry(t).or_insert(0) += 1;
        total += 1;
    }
    let (text, n) = counts
        .into_iter()
        .max_by(|(a, m), (b, n)| m.cmp(n).then_with(|| b.cmp(a)))?;
    Some((text, n, total))
}

/// The one reading of `value` that follows the column: a stretch of it that does, cut
/// between runs (never inside a number), or its digits poured into the column's fixed
/// shape.
fn repair(value: &str, follows: &dyn Fn(&str) -> bool, fixed: Option<&str>) -> Option<String> {
    let chars: Vec<char> = value.chars().collect();
    let same_run = |a: char, b: char| {
        (a.is_ascii_digit() && b.is_ascii_digit()) || (a.is_ascii_alphabetic() && b.is_ascii_alphabetic())
    };
    let cut_at = |k: usize| k == 0 || k == chars.len() || !same_run(chars[k - 1], chars[k]);
    let mut found: Vec<String> = Vec::new();
    for i in (0..chars.len()).filter(|&i| cut_at(i)) {
        for j in (i + 1..=chars.len()).filter(|&j| cut_at(j)) {
            let stretch: String = chars[i..j].iter().collect();
            if follows(&stretch) {
                found.push(stretch);
            }
        }
    }
    if let Some(shape) = fixed.filter(|_| chars.iter().all(char::is_ascii_digit)) {
        if shape.chars().filter(|c| *c == '9').count() == chars.len() && !shape.contains('A') {
            let mut digits = chars.iter();
            let poured: String = shape
                .chars()
                .map(|c| if c == '9' { *digits.next().expect("counted") } else { c })
                .collect();
            found.push(poured);
        }
    }
    crate::normalize::only_one(found)
}

/// `value` with the one character of `common`'s pattern it differs in put back, when its
/// pattern is `common` but for that one character, and neither is a run of digits or
/// letters: on ten generated 12-page batches, seven grave numbers were read so (号 as
/// 身, 吴, 专 or 县; 区 as 长 or 双), all already for review; each was put back right,
/// and no other field changed.
fn with_pattern_character_restored(value: &str, common: &str) -> Option<String> {
    let read: Vec<char> = pattern(value).chars().collect();
    let want: Vec<char> = common.chars().collect();
    if read.len() != want.len() {
        return None;
    }
    let mut differ = (0..read.len()).filter(|&i| read[i] != want[i]);
    let (Some(at), None) = (differ.next(), differ.next()) else {
        return None;
    };
    if [read[at], want[at]].iter().any(|c| matches!(c, '9' | 'A')) {
        return None;
    }
    // The pattern's `at`-th place is the value's `at`-th run or character.
    let mut place = 0;
    let mut restored = String::new();
    for (i, c) in classed(value).enumerate() {
        if i > 0 && !c.continues_run {
            place += 1;
        }
        restored.push(if place == at { want[at] } else { c.character });
    }
    Some(restored)
}

/// A character of a value, as patterns see it.
struct Classed {
    character: char,
    /// `9` for a digit, `A` for a Latin letter, the character itself otherwise.
    class: char,
    /// Whether it continues a run of digits or of letters.
    continues_run: bool,
}

fn classed(value: &str) -> impl Iterator<Item = Classed> + '_ {
    let mut previous: Option<char> = None;
    value.chars().map(move |character| {
        let class = match character {
            c if c.is_ascii_digit() => '9',
            c if c.is_ascii_alphabetic() => 'A',
            c => c,
        };
        let continues_run = matches!(class, '9' | 'A') && previous == Some(class);
        previous = Some(class);
        Classed {
            character,
            class,
            continues_run,
        }
    })
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

    fn repaired(v: &str) -> Fit {
        Fit::Repaired(v.to_string())
    }

    #[test]
    fn the_odd_one_out_of_a_clear_pattern_is_repaired_or_flagged() {
        let c = column(&[
            "2012-05098",
            "",
            "2012-11873",
            "201209249",
            "2012-00412",
            "2012-05098-",
            "-2014-138440",
            "2013-00017",
            "2013-00018",
            "2013-00131",
        ]);
        let got = fit_to_column(&c, &[]);
        assert_eq!(
            got,
            [
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
                repaired("2012-09249"),
                Fit::Fits,
                repaired("2012-05098"),
                // A digit too many: nothing of the right width to keep.
                Fit::Off,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
            ]
        );
    }

    #[test]
    fn marks_around_a_grave_number_go_and_a_lost_digit_is_off_a_fixed_width() {
        let c = column(&[
            "A区24排06号只",
            "了D区21排34号",
            "C区10排27号-一",
            "B区11排16号",
            "B区1排16号",
            "D区04拓23务专用",
            "C区14排16号",
            "A区01排35号",
            "D区15排11号",
            "B区14排20号",
            "A区23排11号",
            "D区04排23号",
        ]);
        let got = fit_to_column(&c, &[]);
        assert_eq!(
            got,
            [
                repaired("A区24排06号"),
                repaired("D区21排34号"),
                repaired("C区10排27号"),
                Fit::Fits,
                Fit::Off,
                Fit::Off,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
            ]
        );
        // Where the column writes numbers to no one width, 1 and 11 both fit.
        let c = column(&["B区11排16号", "B区1排6号", "A区3排16号", "B区1排16号"]);
        assert!(fit_to_column(&c, &[]).iter().all(|f| *f == Fit::Fits));
    }

    #[test]
    fn a_misread_character_of_the_pattern_is_put_back_for_review() {
        let c = column(&[
            "C区23排29身",
            "B长09排27号",
            "C区15排31号",
            "C区1排31号",
            "A区02排10号",
            "B区排10号",
            "D区11排32号",
            "8区30排0号",
            "A区24排06号",
            "B区19排03号",
            "C区21排38号",
        ]);
        let restored = |v: &str| Fit::Restored(v.to_string());
        assert_eq!(
            fit_to_column(&c, &[]),
            [
                restored("C区23排29号"),
                restored("B区09排27号"),
                Fit::Fits,
                // A digit lost, a number lost, a letter misread: no character to put back.
                Fit::Off,
                Fit::Fits,
                Fit::Off,
                Fit::Fits,
                Fit::Off,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
            ]
        );
    }

    #[test]
    fn a_value_off_the_column_takes_its_other_reading_only_when_that_follows() {
        // Seeds 64 and 67, page 9: `C区21]排38号`, its `]` put back as a 1.
        let c = column(&[
            "C区211排38号",
            "C区11排04号",
            "D区011排06号",
            "A区1排16号",
            "B区19排03号",
            "C区21排32号",
            "A区02排10号",
            "D区11排32号",
            "A区24排06号",
            "C区15排31号",
            "B区14排20号",
            "A区23排11号",
            "D区04排23号",
            "C区14排16号",
            "B区10排30号",
            "C区12排26号",
        ]);
        let otherwise = column(&["C区21排38号", "C区1排04号", "D区01排06号", "A区排16号"]);
        assert_eq!(
            fit_to_column(&c, &otherwise),
            [
                repaired("C区21排38号"),
                // The 1 put back makes the column's width: it stays.
                Fit::Fits,
                repaired("D区01排06号"),
                // Neither reading has the column's width.
                Fit::Off,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
                Fit::Fits,
            ]
        );
        assert_eq!(fit_to_column(&c, &[])[0], Fit::Off, "without the other reading");
    }

    #[test]
    fn no_clear_pattern_flags_nothing() {
        // Two patterns half and half, and a column too short to say.
        let all_fit = |c: &[&str]| fit_to_column(&column(c), &[]).iter().all(|f| *f == Fit::Fits);
        assert!(all_fit(&["A1", "A2", "1-1", "2-2"]));
        assert!(all_fit(&["2012-1", "20121"]));
    }
}
