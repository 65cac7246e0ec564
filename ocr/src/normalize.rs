//! From what a cell says to the canonical form: dates in every ledger style, 男/女 to
//! GB/T 2261.1, 民族 names to GB/T 3304, ID numbers, ages, phones.

use std::ops::RangeInclusive;

use chrono::NaiveDate;
use ledgerline_schemas::id_number;
use ledgerline_schemas::written::{chinese_numeral_date, date_text, digit_groups, ledger_date};
// The written forms are the schema's (the review app reads what people type with them);
// OCR's repairs of misread ones are here.
pub use ledgerline_schemas::written::{
    canonical_id, canonical_phone, fold_width, parse_age, parse_date, parse_ethnicity, parse_gender, LEDGER_YEARS,
};

/// The one distinct value among `candidates`; `None` when there is none or more than one.
pub(crate) fn only_one<T: PartialEq>(candidates: impl IntoIterator<Item = T>) -> Option<T> {
    let mut found: Vec<T> = Vec::new();
    for c in candidates {
        if !found.contains(&c) {
            found.push(c);
        }
    }
    match found.len() {
        1 => found.pop(),
        _ => None,
    }
}

/// A slash-written date whose slashes were read as `7`, or as `7/` (`2014712/19`,
/// `20167/17/11` for 2016/1/11): every way of taking some of its sevens for slashes is
/// tried, and the date is the one way that leaves a year, a month and a day between
/// slashes. `None` when there is no way or more than one. Only for a reading that does
/// not parse as it is; the value is likely, not proven, and goes to review.
pub fn date_with_slashes_read_as_sevens(text: &str) -> Option<String> {
    let s = date_text(text);
    if !s.contains('/') || !s.chars().all(|c| c.is_ascii_digit() || c == '/') {
        return None;
    }
    let sevens: Vec<usize> = s.char_indices().filter(|(_, c)| *c == '7').map(|(i, _)| i).collect();
    if sevens.is_empty() || sevens.len() > MAX_SEVENS {
        return None;
    }
    // Subset 0, the reading as it is, counts too: a reading that is a date already
    // makes any other way an ambiguity.
    only_one((0..(1u32 << sevens.len())).filter_map(|subset| {
        let mut bytes = s.clone().into_bytes();
        for (k, &i) in sevens.iter().enumerate() {
            if subset & (1 << k) != 0 {
                bytes[i] = b'/';
            }
        }
        let candidate = String::from_utf8(bytes).expect("ASCII");
        let parts: Vec<&str> = candidate.split('/').filter(|p| !p.is_empty()).collect();
        let [y, m, d] = parts.as_slice() else { return None };
        if y.len() != 4 || !(1..=2).contains(&m.len()) || !(1..=2).contains(&d.len()) {
            return None;
        }
        ledger_date(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }))
}

/// A date written with Arabic digits whose year alone is impossible, one digit off or
/// with one digit too many (`2314-02-04`, `23012-12-19`): the date with the one year in
/// `plausible` (the years a date of its field can have), one digit changed or dropped.
/// `None` when there is no such year or more than one (`2914/8/24` is 2014 or 1914 in
/// any ledger, only 2014 in a volume of 2012-2014). Likely, not proven: for review.
pub fn date_with_year_misread(text: &str, plausible: &RangeInclusive<i32>) -> Option<String> {
    let s = date_text(text);
    let (year, m, d) = match chinese_numeral_date(&s) {
        // `三〇一三年五月八日`: the 二 read as 三; `三一四年`: its 〇 lost too, as the
        // parser puts it back after a 二.
        Some((y, m, d)) if (100..1000).contains(&y) => (format!("{}0{:02}", y / 100, y % 100), m, d),
        Some((y, m, d)) => (y.to_string(), m, d),
        None => {
            let groups = digit_groups(&s);
            let [year, m, d] = groups.as_slice() else { return None };
            if !(1..=2).contains(&m.len()) || !(1..=2).contains(&d.len()) {
                return None;
            }
            (year.to_string(), m.parse().ok()?, d.parse().ok()?)
        }
    };
    let digits = year.as_bytes();
    let years: Vec<String> = match digits.len() {
        4 if ledger_date(year.parse().ok()?, m, d).is_none() => (0..4)
            .flat_map(|i| {
                (b'0'..=b'9').filter(move |&c| c != digits[i]).map(move |c| {
                    let mut y = digits.to_vec();
                    y[i] = c;
                    String::from_utf8(y).expect("digits")
                })
            })
            .collect(),
        5 => (0..5)
            .map(|i| {
                let mut y = digits.to_vec();
                y.remove(i);
                String::from_utf8(y).expect("digits")
            })
            .collect(),
        _ => return None,
    };
    only_one(
        years
            .iter()
            .filter_map(|y| y.parse::<i32>().ok().filter(|y| plausible.contains(y)))
            .filter_map(|y| ledger_date(y, m, d)),
    )
}

/// A date whose month and day ran together, the 月 or separator between them lost
/// (`2014年414日`, `2013/19`): the one way of splitting the digits after the year into
/// a month and a day that makes a date. `None` when there is none or more than one
/// (`2014年111日` is January 11 or November 1). Likely, not proven: for review.
pub fn date_with_month_and_day_run_together(text: &str) -> Option<String> {
    let s = date_text(text);
    let [year, month_day] = digit_groups(&s)[..] else {
        return None;
    };
    if year.len() != 4 || !(2..=4).contains(&month_day.len()) {
        return None;
    }
    let y: i32 = year.parse().ok()?;
    only_one((1..month_day.len()).filter_map(|at| {
        let (m, d) = month_day.split_at(at);
        if m.len() > 2 || d.len() > 2 {
            return None;
        }
        ledger_date(y, m.parse().ok()?, d.parse().ok()?)
    }))
}

/// A date in Chinese numerals whose year was misread past what the parser undoes: an
/// Arabic digit for its numeral (`2〇一二年十月六日`, the small model's reading of
/// 二〇一二年十月六日), a dash for its 一 or for a 二 that lost a stroke (`二〇-三年`), or
/// its 二〇 lost (`一二年四月十一日`, read so by both models): the one date in `plausible`
/// (the years a date of its field can have) that the year's characters can make. `None`
/// when there is none or more than one. Likely, not proven: for review.
pub fn date_with_numeral_year_misread(text: &str, plausible: &RangeInclusive<i32>) -> Option<String> {
    let s = date_text(text);
    let (year, rest) = s.split_once('年')?;
    let choices: Vec<&[char]> = year.chars().map(numerals_read_as).collect::<Option<_>>()?;
    if !(2..=4).contains(&choices.len()) {
        return None;
    }
    let dates = every_spelling(&choices)
        .into_iter()
        .filter_map(|year| chinese_numeral_date(&format!("{year}年{rest}")));
    only_one(dates.flat_map(|(y, m, d)| {
        // A year of two numerals lost its century.
        let centuries = if y < 100 { [1900 + y, 2000 + y] } else { [y, y] };
        centuries
            .into_iter()
            .filter(|y| plausible.contains(y))
            .filter_map(move |y| ledger_date(y, m, d))
    }))
}

/// Chinese numerals, as dates are written in words (二〇一二年三月五日): each digit's at
/// its value, then 十.
pub(crate) const CHINESE_NUMERALS: [char; 11] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'];

/// The numerals of a Chinese-numeral year a character read in it can be: itself, the
/// numeral of an Arabic digit, 一 or 二 for a dash. `None` for any other character.
fn numerals_read_as(c: char) -> Option<&'static [char]> {
    match c {
        '-' | '—' | '_' => Some(&CHINESE_NUMERALS[1..=2]),
        '.' | '·' => Some(&CHINESE_NUMERALS[..1]),
        c => {
            let d = c.to_digit(10).or_else(|| ledgerline_schemas::written::cn_digit(c))? as usize;
            Some(&CHINESE_NUMERALS[d..=d])
        }
    }
}

/// Every string made by taking one character of each choice, in order.
fn every_spelling(choices: &[&[char]]) -> Vec<String> {
    choices.iter().fold(vec![String::new()], |spellings, choice| {
        spellings
            .iter()
            .flat_map(|s| choice.iter().map(move |c| format!("{s}{c}")))
            .collect()
    })
}

/// Sevens in a reading beyond which it is no slash-written date misread.
const MAX_SEVENS: usize = 4;

/// Marks a thin `1` beside Chinese text is read as: measured on eleven generated
/// batches, a `]` next to a digit of an address or grave number was a `1` every time it
/// could be told (`光明路7]号` for 71号, `C区1]排04号` for 11排).
const DIGITS_READ_AS_MARKS: [(char, char); 5] = [(']', '1'), ('[', '1'), ('|', '1'), ('丨', '1'), ('!', '1')];
/// Letters read for a digit in an address, which holds no Latin letters (a grave number
/// does: its zone), besides the letters of the digit confusions OCR is known for
/// ([`id_number::DIGIT_CONFUSIONS`]: 0/O/D, 1/I/l, 2/Z, 5/S, 6/G/b, 8/B). Seen on
/// generated batches: a `T` before a house number twice (`解放路T18号` for 118号),
/// `李家庄6Q号` for 60号, `文化路9i号` for 91号.
const MORE_DIGITS_READ_AS_LETTERS: [(char, char); 4] = [('T', '1'), ('i', '1'), ('o', '0'), ('Q', '0')];

/// The digit a letter in an address stands for (see [`MORE_DIGITS_READ_AS_LETTERS`]).
fn digit_read_as_letter(c: char) -> Option<char> {
    if !c.is_ascii_alphabetic() {
        return None;
    }
    let known = id_number::DIGIT_CONFUSIONS
        .iter()
        .find(|(digit, looks)| digit.is_ascii_digit() && looks.contains(&c))
        .map(|&(digit, _)| digit);
    known.or_else(|| {
        MORE_DIGITS_READ_AS_LETTERS
            .iter()
            .find(|(letter, _)| *letter == c)
            .map(|&(_, digit)| digit)
    })
}

/// `text` with every mark beside a digit that stands for one put back as that digit
/// (see [`DIGITS_READ_AS_MARKS`]). In an address (`in_address`) also every letter that
/// stands for one ([`digit_read_as_letter`]), and any other mark beside a digit that
/// Chinese text does not keep (`新华街8?号`, for 87号) dropped: the number lost a
/// digit there, which only the page can give back. `None` when there is none of these.
pub fn digits_read_as_marks(text: &str, in_address: bool) -> Option<String> {
    marks_beside_digits(text, in_address, true)
}

/// A grave number with the marks [`digits_read_as_marks`] would put back as digits
/// dropped instead: the other way of reading them, for a column whose numbers all have
/// as many digits as the number has without them (`C区21]排38号`, in a column of
/// two-digit rows: the `]` was a speck beside the 21, not a 1). `None` when there are none.
pub fn grave_number_marks_dropped(text: &str) -> Option<String> {
    marks_beside_digits(text, false, false)
}

/// The marks that stand for digits put back as them (`put_back`) or dropped.
fn marks_beside_digits(text: &str, in_address: bool, put_back: bool) -> Option<String> {
    let looks_like = |c: char| {
        let mark = DIGITS_READ_AS_MARKS
            .iter()
            .find(|(mark, _)| *mark == c)
            .map(|&(_, digit)| digit);
        mark.or_else(|| in_address.then(|| digit_read_as_letter(c)).flatten())
    };
    let stands_for_a_lost_digit =
        |c: char| in_address && !c.is_whitespace() && !crate::extract::kept_in_chinese_text(c);
    // Every address and grave number read passes here; few have such a mark.
    if !text
        .chars()
        .any(|c| looks_like(c).is_some() || stands_for_a_lost_digit(c))
    {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let digit_at = |i: Option<usize>| i.and_then(|i| chars.get(i)).is_some_and(char::is_ascii_digit);
    let mut fixed = String::with_capacity(text.len());
    let mut any = false;
    // In a grave number, marks alone where a number goes, right before its 排 or 号
    // (`A区18排]]号` for 11号): the whole number read as marks. (An address's lone mark
    // before 号 may be dust where the number was lost.)
    let a_number_of_marks = |i: usize| {
        !in_address
            && (i..chars.len())
                .find(|&j| looks_like(chars[j]).is_none())
                .is_some_and(|end| GRAVE_NUMBERED_BY.contains(&chars[end]))
    };
    for (i, &c) in chars.iter().enumerate() {
        let beside_a_digit = digit_at(i.checked_sub(1)) || digit_at(Some(i + 1));
        match looks_like(c) {
            Some(digit) if beside_a_digit || a_number_of_marks(i) => {
                if put_back {
                    fixed.push(digit);
                }
            }
            None if beside_a_digit && stands_for_a_lost_digit(c) => {}
            _ => {
                fixed.push(c);
                continue;
            }
        }
        any = true;
    }
    any.then_some(fixed)
}

/// What follows a number in a grave number: a row's 排, a grave's 号.
const GRAVE_NUMBERED_BY: [char; 2] = ['排', '号'];

/// What may follow a house number in an address: 12号楼, 3号院, 5号门 ...
const AFTER_HOUSE_NUMBER: &str = "楼院室栋幢层户门房铺店馆";

/// An address ending in a house number and then one character that no address puts
/// there (`王家庄149号加`): a speck of dust beside the number, read as a character.
pub fn drop_mark_after_house_number(address: &str) -> String {
    let chars: Vec<char> = address.chars().collect();
    match chars.as_slice() {
        [.., digit, '号', last] if digit.is_ascii_digit() && !AFTER_HOUSE_NUMBER.contains(*last) => {
            chars[..chars.len() - 1].iter().collect()
        }
        _ => address.to_string(),
    }
}

/// An address ending in a house number and one character that is neither 号 nor one
/// that may follow it (`北关街68导`, `胜利街126咏`): the 号 misread. The address with 号
/// put back, for review; `None` for any other address.
pub fn misread_house_number_mark(address: &str) -> Option<String> {
    let chars: Vec<char> = address.chars().collect();
    match chars.as_slice() {
        [.., digit, last]
            if digit.is_ascii_digit()
                && *last != '号'
                && !AFTER_HOUSE_NUMBER.contains(*last)
                && !last.is_ascii_digit() =>
        {
            Some(chars[..chars.len() - 1].iter().chain(std::iter::once(&'号')).collect())
        }
        _ => None,
    }
}

/// Whether the word a house number follows ends as a place's name does (`北关街3号`,
/// `王家庄14号`, `幸福小区5号楼`); `北关竺3号` does not: a misread 街. An address with
/// no house number says nothing either way.
pub fn house_number_follows_a_place(address: &str) -> bool {
    let chars: Vec<char> = address.chars().collect();
    let Some(last_digit) = chars.iter().rposition(char::is_ascii_digit) else {
        return true;
    };
    let first_digit = chars[..last_digit]
        .iter()
        .rposition(|c| !c.is_ascii_digit())
        .map_or(0, |i| i + 1);
    match first_digit.checked_sub(1).map(|i| chars[i]) {
        Some(before) => PLACE_ENDINGS.contains(before),
        None => true,
    }
}

/// Characters a place's name ends with before its house number: streets, roads, lanes,
/// villages and their groups, estates, buildings, and the landmarks villages are named
/// after.
const PLACE_ENDINGS: &str = "街路道巷弄胡同里村庄屯组队社区园苑院城湾府坊营堡寨铺店楼栋幢座门口桥场港镇乡集埠\
                             山岭坡沟峪河湖塘坝岗圩垸洼滩墩台洲岛井厂站所局校";

/// Endings of a village named after the clan that founded it (王家庄, 李家村, 张家屯).
const CLAN_VILLAGE_ENDINGS: &str = "庄村屯湾营集寨堡店沟洼峪坡岭";

/// An address whose clan village (`X家庄`) is named by no surname, where exactly one
/// look-alike of X is a surname: that village (`玉家庄` → 王家庄, machine-accepted as
/// read twice on generated pages). `None` for any other address.
pub fn clan_village_restored(address: &str) -> Option<String> {
    let chars: Vec<char> = address.chars().collect();
    let at = chars
        .windows(3)
        .position(|w| w[1] == '家' && CLAN_VILLAGE_ENDINGS.contains(w[2]) && !crate::vocab::SURNAMES.contains(w[0]))?;
    let mut clans =
        ledgerline_schemas::lookalike::confusions(chars[at]).filter(|c| crate::vocab::SURNAMES.contains(*c));
    let clan = match (clans.next(), clans.next()) {
        (Some(clan), None) => clan,
        _ => return None,
    };
    let mut restored = chars;
    restored[at] = clan;
    Some(restored.into_iter().collect())
}

/// Whether an address ends in 号 with no number before it (`前进村号`, machine-accepted
/// so on a generated page): the house number was lost.
pub fn house_number_lost(address: &str) -> bool {
    let mut back = address.chars().rev();
    match (back.next(), back.next()) {
        (Some('号'), Some(before)) => {
            !before.is_ascii_digit()
                && ledgerline_schemas::written::cn_digit(before).is_none()
                && !"十百".contains(before)
        }
        _ => false,
    }
}

/// The characters of a seal's legend (…殡仪馆业务专用章): 专用 is in no name, address or
/// date a ledger writes.
const SEAL_LEGEND: &str = "业务专用章";

/// What was read before a seal's legend in a cell's reading (`解放路164号业务专用章` →
/// `解放路164号`, `D区04排23务专用` → `D区04排23`), when the reading holds 专用.
pub fn before_seal_legend(text: &str) -> Option<&str> {
    let at = text.find("专用")?;
    let start = text[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| SEAL_LEGEND.contains(*c))
        .last()
        .map_or(at, |(i, _)| i);
    Some(&text[..start])
}

/// Candidates one confusion away from `id`; for a 19-character reading (a rule or a
/// speck read as a digit) also each one-character deletion.
fn one_confusion_away(id: &str) -> Vec<String> {
    let chars: Vec<char> = id.chars().collect();
    let mut out = Vec::new();
    if chars.len() == 19 {
        for i in 0..19 {
            let s: String = chars
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| *c)
                .collect();
            if !out.contains(&s) {
                out.push(s);
            }
        }
        return out;
    }
    for (i, &c) in chars.iter().enumerate() {
        for (real, _) in id_number::DIGIT_CONFUSIONS {
            // `c` was read; `real` is what may have been written.
            if id_number::confusable(*real, c) {
                let mut cand = chars.clone();
                cand[i] = *real;
                let s: String = cand.into_iter().collect();
                if s != id && !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    out
}

/// What the rest of the row says, to check an ID repair against.
#[derive(Debug, Clone, Default)]
pub struct RowFacts {
    pub birth_date: Option<NaiveDate>,
    pub gender: Option<&'static str>,
    pub age: Option<u32>,
    pub death_date: Option<NaiveDate>,
}

impl RowFacts {
    /// What a record's fields say about the holder of its ID number.
    pub fn of(fields: &ledgerline_schemas::RecordFields) -> RowFacts {
        use ledgerline_schemas::date::parse_iso;
        RowFacts {
            birth_date: fields.birth_date.as_deref().and_then(parse_iso),
            gender: fields.gender.as_deref().and_then(|g| match g {
                "1" => Some("1"),
                "2" => Some("2"),
                _ => None,
            }),
            age: fields.age,
            death_date: fields.death_date.as_deref().and_then(parse_iso),
        }
    }

    fn agrees(&self, id: &id_number::IdFacts) -> bool {
        self.birth_date.is_none_or(|b| b == id.birth_date)
            && self.gender.is_none_or(|g| !matches!(g, "1" | "2") || g == id.gender)
            && match (self.age, self.death_date) {
                (Some(age), Some(death)) => {
                    let full = ledgerline_schemas::date::completed_years(id.birth_date, death);
                    age as i32 == full || age as i32 == full + 1
                }
                _ => true,
            }
    }

    /// How many independent facts a repair was checked against.
    fn evidence(&self) -> usize {
        self.birth_date.is_some() as usize
            + self.gender.is_some() as usize
            + (self.age.is_some() && self.death_date.is_some()) as usize
    }
}

/// Repairs an 18-character ID that fails its checksum, when exactly one candidate one
/// OCR confusion away passes the checksum and agrees with the row (see
/// [`passing_repairs`]). Returns the repaired
/// number, or `None` when there is no single safe answer.
pub fn repair_id(id: &str, row: &RowFacts) -> Option<String> {
    if !needs_repair(id) || row.evidence() == 0 {
        return None;
    }
    only_one(passing_repairs(id, row))
}

/// An ID number read at its length (or with one character too many) that fails its
/// checksum: what the repairs are for.
pub fn needs_repair(id: &str) -> bool {
    (18..=19).contains(&id.chars().count()) && id_number::parse(id).is_err()
}

/// Like [`repair_id`] when several repairs pass: the one registered in `division` (the
/// county the row's household address begins with), if exactly one is. Most people's
/// numbers were issued where they live, not all: the repair is likely, not proven.
pub fn repair_id_in_division(id: &str, row: &RowFacts, division: u32) -> Option<String> {
    if !needs_repair(id) {
        return None;
    }
    let prefix = format!("{division:06}");
    only_one(passing_repairs(id, row).into_iter().filter(|c| c.starts_with(&prefix)))
}

/// Numbers one OCR confusion from `id` that pass the checksum and agree with the row;
/// only those in a province, when any is. A first digit 3 read as 8 put a number in
/// "province 87": besides the true number, two others one confusion from it passed,
/// both in 87, and none was proven.
pub fn passing_repairs(id: &str, row: &RowFacts) -> Vec<String> {
    let (in_provinces, elsewhere): (Vec<String>, Vec<String>) = one_confusion_away(id)
        .into_iter()
        .filter(|c| id_number::parse(c).map(|f| row.agrees(&f)).unwrap_or(false))
        .partition(|c| in_a_province(c));
    if in_provinces.is_empty() {
        elsewhere
    } else {
        in_provinces
    }
}

/// Whether an ID number begins with a province's code: one of GB/T 2260, or one the
/// residence permits of Taiwan's residents (83) or foreigners' permanent residence
/// cards (9…) begin with, which GB/T 2260 does not list.
fn in_a_province(id: &str) -> bool {
    id.starts_with("83")
        || id.starts_with('9')
        || id
            .get(..6)
            .is_some_and(|code| ledgerline_schemas::codes::parents(code).0.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_year_one_digit_off() {
        for (text, want) in [
            ("2314-02-04", Some("2014-02-04")),
            ("23012-12-19", Some("2012-12-19")),
            ("三〇一三年五月八日", Some("2013-05-08")),
            ("三一四年十一月十一日", Some("2014-11-11")),
            // Its 〇 put back after the first numeral, whatever follows (三〇〇五).
            ("三〇五年三月五日", Some("2005-03-05")),
            ("3014-02-04", Some("2014-02-04")),
            // Already a date, or more than one year a digit away.
            ("2014-02-04", None),
            ("2109-02-04", None),
            ("2014-02", None),
        ] {
            assert_eq!(date_with_year_misread(text, &LEDGER_YEARS).as_deref(), want, "{text}");
        }
        // Two years a digit away, one of them in the volume's years.
        assert_eq!(date_with_year_misread("2914/8/24", &LEDGER_YEARS), None);
        assert_eq!(
            date_with_year_misread("2914/8/24", &(2011..=2017)).as_deref(),
            Some("2014-08-24")
        );
    }

    /// Each reading as `repair` takes it: the date it repairs to, or none.
    fn repairs(repair: fn(&str) -> Option<String>, cases: &[(&str, Option<&str>)]) {
        for &(text, want) in cases {
            assert_eq!(repair(text).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn a_numeral_year_misread() {
        repairs(
            |text| date_with_numeral_year_misread(text, &(2011..=2017)),
            &[
                // Read so on generated pages of Chinese-numeral dates (seed 63, page 10).
                ("2〇一二年十月六日", Some("2012-10-06")),
                ("-一二年四月十一日", Some("2012-04-11")),
                ("二〇-三年六月二十日", Some("2013-06-20")),
                ("2013年十月六日", Some("2013-10-06")),
                // A dash as 一 or 二 both in the volume; a day lost; no year; no such day.
                ("二〇一-年三月五日", None),
                ("〇-二年十月日", None),
                ("年十月六日", None),
                ("2〇一二年二月三十日", None),
                // Not this damage: a letter in the year, or Arabic digits all through.
                ("2〇a二年十月六日", None),
                ("2012年10月6日", None),
            ],
        );
        // Two centuries a two-numeral year can be: only the volume's years tell.
        assert_eq!(date_with_numeral_year_misread("一二年四月十一日", &LEDGER_YEARS), None);
    }

    #[test]
    fn a_month_and_day_run_together() {
        repairs(
            date_with_month_and_day_run_together,
            &[
                ("2014年414日", Some("2014-04-14")),
                ("2013/19", Some("2013-01-09")),
                ("2012年1124日", Some("2012-11-24")),
                // Two ways, no way, or not this damage.
                ("2014年111日", None),
                ("2014年4419日", None),
                ("2014年4月14日", None),
                ("24年129日", None),
            ],
        );
    }

    #[test]
    fn slashes_read_as_sevens() {
        repairs(
            date_with_slashes_read_as_sevens,
            &[
                ("2014712/19", Some("2014-12-19")),
                ("2012717/11.", Some("2012-01-11")),
                ("20167/17/11", Some("2016-01-11")),
                (".2012/12/715", Some("2012-12-15")),
                ("2013/7/17", None),
                ("2013-07-17", None),
                ("2014712719", None),
                ("201277777/1", None),
            ],
        );
    }

    #[test]
    fn a_mark_after_the_house_number_goes_and_a_building_stays() {
        assert_eq!(drop_mark_after_house_number("王家庄149号加"), "王家庄149号");
        assert_eq!(drop_mark_after_house_number("山大路12号楼"), "山大路12号楼");
        assert_eq!(drop_mark_after_house_number("王家庄149号"), "王家庄149号");
        assert_eq!(drop_mark_after_house_number("号加"), "号加");
    }

    #[test]
    fn a_digit_read_as_a_mark_beside_a_digit_is_put_back() {
        let cases: &[(&str, bool, Option<&str>)] = &[
            ("德州市陵城区光明路7]号", true, Some("德州市陵城区光明路71号")),
            ("烟台市招远市解放路T18号", true, Some("烟台市招远市解放路118号")),
            ("潍坊市奎文区李家庄6Q号", true, Some("潍坊市奎文区李家庄60号")),
            ("潍坊市青州市文化路9i号", true, Some("潍坊市青州市文化路91号")),
            // A mark that is no digit's look-alike: the digit is lost, and so is the mark.
            ("济宁市汶上县新华街8?号", true, Some("济宁市汶上县新华街8号")),
            ("济宁市汶上县新华街8 7号", true, None),
            // Marks away from the digits are dust, left for the text's own clean-up.
            ("菏泽市牡丹区人民路58号:", true, None),
            ("威海市文登区人.民路175号", true, None),
            ("C区1]排04号", false, Some("C区11排04号")),
            ("C区]1排20号", false, Some("C区11排20号")),
            // A grave's number read as marks alone (seed 58, page 9).
            ("A区18排]]号", false, Some("A区18排11号")),
            ("A区]排16号", false, Some("A区1排16号")),
            ("A区]", false, None),
            // A letter in a grave number is its zone; a mark away from digits is dust.
            ("C区1I5排07号", false, None),
            ("T区12排03号", false, None),
            ("北关街]号", true, None),
            ("北关街12号", true, None),
        ];
        for &(read, letters, want) in cases {
            assert_eq!(digits_read_as_marks(read, letters).as_deref(), want, "{read}");
        }
    }

    #[test]
    fn a_grave_numbers_marks_beside_digits_can_be_dropped_instead() {
        let cases: &[(&str, Option<&str>)] = &[
            ("C区21]排38号", Some("C区21排38号")),
            ("A区18排]]号", Some("A区18排号")),
            ("C区]1排20号", Some("C区1排20号")),
            // Marks away from the digits are not this function's: none to drop.
            ("C区21排38号", None),
            ("A区]", None),
        ];
        for &(read, want) in cases {
            assert_eq!(grave_number_marks_dropped(read).as_deref(), want, "{read}");
        }
    }

    #[test]
    fn a_house_number_follows_a_place() {
        for fine in [
            "北关街3号",
            "王家庄14号",
            "幸福小区5号楼",
            "解放路",
            "前进村3组12号",
            "",
            "12号",
        ] {
            assert!(house_number_follows_a_place(fine), "{fine}");
        }
        for misread in ["北关竺3号", "文化趴49号"] {
            assert!(!house_number_follows_a_place(misread), "{misread}");
        }
    }

    #[test]
    fn a_clan_village_named_by_no_surname_is_its_look_alike_s() {
        assert_eq!(
            clan_village_restored("临沂市河东区玉家庄23号").as_deref(),
            Some("临沂市河东区王家庄23号")
        );
        for fine in [
            "临沂市河东区王家庄23号",
            "临沂市河东区李家村3号",
            "临沂市河东区解放路23号",
            "玉家",
        ] {
            assert_eq!(clan_village_restored(fine), None, "{fine}");
        }
    }

    #[test]
    fn a_house_number_lost_before_its_mark_is_noticed() {
        assert!(house_number_lost("烟台市莱阳市前进村号"));
        for fine in ["烟台市莱阳市前进村2号", "幸福小区三号", "前进村", "号"] {
            assert!(!house_number_lost(fine), "{fine}");
        }
    }

    #[test]
    fn a_seal_s_legend_read_into_a_cell_is_left_out() {
        assert_eq!(
            before_seal_legend("济宁市邹城市解放路164号业务专用章"),
            Some("济宁市邹城市解放路164号")
        );
        assert_eq!(before_seal_legend("D区04排23务专用"), Some("D区04排23"));
        assert_eq!(before_seal_legend("多专用章/"), Some("多"));
        assert_eq!(before_seal_legend("专用章"), Some(""));
        assert_eq!(before_seal_legend("济宁市邹城市解放路164号"), None);
        assert_eq!(before_seal_legend("业务路16号"), None, "业 and 务 alone are no seal");
    }

    #[test]
    fn a_misread_mark_after_the_house_number_is_put_back() {
        assert_eq!(misread_house_number_mark("北关街68导").as_deref(), Some("北关街68号"));
        for fine in ["北关街68号", "山大路12栋", "王家庄149号加", "解放路", "解放路12"] {
            assert_eq!(misread_house_number_mark(fine), None, "{fine}");
        }
    }

    #[test]
    fn id_repair_only_when_unambiguous_and_consistent() {
        let good = "34052419800101001X";
        let misread = "34052419300101001X"; // 8 read as 3 in the birth year
        let facts = RowFacts {
            birth_date: NaiveDate::from_ymd_opt(1980, 1, 1),
            gender: Some("1"),
            ..Default::default()
        };
        assert_eq!(repair_id(misread, &facts).as_deref(), Some(good));
        // Nothing to check a repair against: leave it to a person.
        assert_eq!(repair_id(misread, &RowFacts::default()), None);
        // A valid number is never "repaired".
        assert_eq!(repair_id(good, &facts), None);
    }

    #[test]
    fn a_seven_read_as_four_is_among_the_repairs() {
        // 371311 (临沂市罗庄区) printed, read by Tesseract with its 7 as 4 (seed 58).
        // Two other one-confusion numbers pass too (347311…, and a birth on 05-06),
        // so the household address has to choose.
        let misread = "34131119720505534X";
        let facts = RowFacts {
            gender: Some("2"),
            age: Some(41),
            death_date: NaiveDate::from_ymd_opt(2013, 12, 22),
            ..Default::default()
        };
        assert!(passing_repairs(misread, &facts).contains(&"37131119720505534X".to_string()));
        assert_eq!(repair_id(misread, &facts), None);
        assert_eq!(
            repair_id_in_division(misread, &facts, 371311).as_deref(),
            Some("37131119720505534X")
        );
    }

    #[test]
    fn a_repair_into_a_province_is_the_one_among_repairs_that_leave_none() {
        // 370124 (平阴县) read with its first 3 as 8: other repairs one confusion away
        // pass the checksum and agree with the row, but leave it in "province 87".
        let misread = "870124195605237733";
        let facts = RowFacts {
            gender: Some("1"),
            age: Some(57),
            death_date: NaiveDate::from_ymd_opt(2013, 7, 19),
            ..Default::default()
        };
        assert_eq!(passing_repairs(misread, &facts), vec!["370124195605237733".to_string()]);
        assert_eq!(repair_id(misread, &facts).as_deref(), Some("370124195605237733"));
    }

    #[test]
    fn the_household_address_chooses_between_repairs_that_all_pass() {
        // 聊城市东昌府区 (371502) read with its 5 as 3: several one-confusion repairs
        // pass the checksum and agree with the row, so none is proven.
        let misread = "371302195411106959";
        let facts = RowFacts {
            gender: Some("1"),
            age: Some(59),
            death_date: NaiveDate::from_ymd_opt(2014, 10, 3),
            ..Default::default()
        };
        assert_eq!(repair_id(misread, &facts), None);
        assert_eq!(
            repair_id_in_division(misread, &facts, 371502).as_deref(),
            Some("371502195411106959")
        );
        // An address elsewhere, or a number that passes, is no reason to change it.
        assert_eq!(repair_id_in_division(misread, &facts, 110101), None);
        assert_eq!(repair_id_in_division("371502195411106959", &facts, 371502), None);
    }
}
