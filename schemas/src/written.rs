//! Values as people write them, in ledgers and in forms, to the standard form: dates
//! in every ledger style, 男/女 to GB/T 2261.1, 民族 names to GB/T 3304, ages, phones
//! and ID numbers. OCR reads cells into these (`ledgerline-ocr`'s normalize builds its
//! repairs of misread dates on them), and the review app takes what a person types
//! through them ([`standard_form`]), so a data-entry clerk keys 女 or 2013年4月11日 as the
//! page has it.

use std::borrow::Cow;
use std::ops::RangeInclusive;

use chrono::NaiveDate;

use crate::date::format_iso;
use crate::{codes, Field};

/// What a person typed into `field`, in the field's standard form: `女` → `2`,
/// `汉` → `01`, `2013年4月11日` or `二〇一三年四月十一日` → `2013-04-11`, `81岁` → `81`,
/// a full-width or spaced ID number or phone in its canonical form. Text that is no
/// written form of the field comes back as typed, for validation to name the problem.
/// A date must give its year in full: a typed `13.4.11` is not guessed at.
pub fn standard_form(field: Field, typed: &str) -> Cow<'_, str> {
    let typed = typed.trim();
    let standard = match field {
        Field::Gender => written_gender(typed).map(str::to_string),
        Field::Ethnicity => parse_ethnicity(typed).map(str::to_string),
        Field::Age => parse_age(typed).filter(|_| is_an_age(typed)).map(|a| a.to_string()),
        Field::IdNumber => Some(canonical_id(typed)).filter(|id| !id.is_empty()),
        Field::FamilyPhone => canonical_phone(typed),
        Field::CremationCertStatus => codes::written_cert_status(typed).map(str::to_string),
        Field::IdType => codes::written_id_type(typed).map(str::to_string),
        f if f.is_date() => date_with_full_year(typed),
        _ => None,
    };
    standard.map_or(Cow::Borrowed(typed), Cow::Owned)
}

/// What a coded value means, for a person reading it: `2` → 女, `01` → 汉族, `111` →
/// 居民身份证, a GB/T 2260 code → its division's name.
pub fn meaning(field: Field, value: &str) -> Option<&'static str> {
    match field {
        Field::Gender => codes::gender_name(value),
        Field::Ethnicity => codes::ethnicity_name(value),
        Field::IdType => codes::id_type_name(value),
        Field::CremationCertStatus => codes::cert_status_name(value),
        Field::HouseholdDivision => codes::division(value).map(|d| d.name.as_str()),
        _ => None,
    }
}

/// 男/女 as a person types them (男, 男性, 女, 女士, or the GB/T 2261.1 name or code).
fn written_gender(typed: &str) -> Option<&'static str> {
    codes::code_written_as(&codes::GENDERS, typed).or(match typed {
        "男" | "男性" => Some("1"),
        "女" | "女性" | "女士" => Some("2"),
        "未知" => Some("0"),
        "未说明" => Some("9"),
        _ => None,
    })
}

/// An age typed as a number, with 岁 or 周岁 after it at most.
fn is_an_age(typed: &str) -> bool {
    let folded = fold_width(typed);
    let number = folded.trim_end_matches("周岁").trim_end_matches('岁').trim();
    !number.is_empty() && number.chars().all(|c| c.is_ascii_digit())
}

/// A date in any ledger style whose year is written in full (four digits, or Chinese
/// numerals): what a person types is not read in a century guessed for it.
pub fn date_with_full_year(typed: &str) -> Option<String> {
    let s = date_text(typed);
    let year_in_full = match digit_groups(&s).first() {
        Some(first) => first.len() >= 4,
        None => true,
    };
    if !year_in_full {
        return None;
    }
    parse_date(typed, 2000)
}

/// Full-width digits and letters to ASCII, and OCR's usual stand-ins for 〇.
pub fn fold_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '／' => '/',
            '．' | '。' => '.',
            '－' | '—' | '–' => '-',
            _ => c,
        })
        .collect()
}

/// The digit a Chinese numeral (〇 to 九, and the look-alikes of 〇) writes.
pub fn cn_digit(c: char) -> Option<u32> {
    Some(match c {
        '〇' | '零' | 'O' | 'o' | '0' | 'Ｏ' | '○' => 0,
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// 十, 十二, 二十, 二十五, 三十一 → number.
fn cn_number(s: &str) -> Option<u32> {
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [] => None,
        ['十'] => Some(10),
        ['十', o] => Some(10 + cn_digit(*o)?),
        [t, '十'] => Some(cn_digit(*t)? * 10),
        [t, '十', o] => Some(cn_digit(*t)? * 10 + cn_digit(*o)?),
        [o] => cn_digit(*o),
        _ => None,
    }
}

/// Year, month and day of a date written in Chinese numerals (`二〇一二年三月五日`),
/// with the slips OCR makes in them undone.
pub fn chinese_numeral_date(s: &str) -> Option<(i32, u32, u32)> {
    let (y, rest) = s.split_once('年')?;
    let (m, rest) = rest.split_once('月')?;
    // `五月五月`: the last 日 read as the 月 it resembles; after the month only the day
    // can come.
    let d = rest.trim_end_matches(['日', '号', '月']);
    // The small 〇 is the numeral OCR loses or reads as a dot: `二.一二`, `二一二`.
    let mut year: String = y
        .chars()
        .map(|c| match c {
            '.' | '·' => Some('0'),
            c => cn_digit(c).map(|d| char::from_digit(d, 10).unwrap()),
        })
        .collect::<Option<_>>()?;
    if year.len() == 3 && year.starts_with('2') {
        year.insert(1, '0');
    }
    // The 二 of 二〇 lost (`〇一二年`): every year a ledger dates in this way is 20xx.
    if year.len() == 3 && year.starts_with('0') {
        year.insert(0, '2');
    }
    Some((year.parse().ok()?, cn_number(m)?, cn_number(d)?))
}

/// Marks that dust, a rule or a stray stroke leave at either edge of a cell's reading.
const EDGE_MARKS: &[char] = &['.', '·', ',', '，', '、', '-'];

/// A date reading as the date parsers take it: half-width, no spaces, and no mark at
/// either edge (`.二一四年…`, `…十日.` : dust or a rule, not a numeral).
pub fn date_text(text: &str) -> String {
    let s: String = fold_width(text).chars().filter(|c| !c.is_whitespace()).collect();
    s.trim_matches(EDGE_MARKS).to_string()
}

/// Expands a two-digit year to the latest year not after the ledger's: a funeral
/// ledger records no future dates, so `31` in a 2012 ledger is 1931, `12` is 2012.
fn expand_year(y: i32, context_year: i32) -> i32 {
    if y >= 100 {
        return y;
    }
    let base = context_year - context_year % 100;
    if base + y <= context_year + 1 {
        base + y
    } else {
        base - 100 + y
    }
}

/// The runs of ASCII digits in a date reading, in order (`2012年3月5日` → 2012, 3, 5).
pub fn digit_groups(s: &str) -> Vec<&str> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect()
}

/// Parses a date in any ledger style: `2012年3月5日`, `2012.03.05`, `2012/3/5`,
/// `2012-03-05`, `12.3.5`, `二〇一二年三月五日`, `20120305`. Two-digit years are read in
/// the century nearest `context_year` (the ledger's year).
pub fn parse_date(text: &str, context_year: i32) -> Option<String> {
    let s = date_text(text);
    if s.is_empty() {
        return None;
    }
    if let Some((y, m, d)) = chinese_numeral_date(&s) {
        return ledger_date(y, m, d);
    }
    let groups = digit_groups(&s);
    let as_written = match groups.as_slice() {
        [ymd] => eight_digit_date(ymd),
        [y, m, d, ..] => (|| Some((y.parse::<i32>().ok()?, m.parse().ok()?, d.parse().ok()?)))(),
        _ => None,
    };
    as_written
        .and_then(|(y, m, d)| ledger_date(expand_year(y, context_year), m, d))
        // A thin `.` or `-` the scan lost (`2014.0814`, `2013-1016`): the digits alone
        // still say it when there are exactly eight of them.
        .or_else(|| eight_digit_date(&groups.concat()).and_then(|(y, m, d)| ledger_date(y, m, d)))
}

/// `20120305` → (2012, 3, 5).
fn eight_digit_date(digits: &str) -> Option<(i32, u32, u32)> {
    if digits.len() != 8 {
        return None;
    }
    Some((
        digits[..4].parse().ok()?,
        digits[4..6].parse().ok()?,
        digits[6..].parse().ok()?,
    ))
}

/// Years a funeral ledger's dates fall in: births from the 1850s to deaths, cremations
/// and burials up to this century's end. A year outside is a misreading (`75552` was
/// one the fuzzer found), better left for review than written as a date.
pub const LEDGER_YEARS: RangeInclusive<i32> = 1850..=2100;

/// `YYYY-MM-DD` of a real day in [`LEDGER_YEARS`].
pub fn ledger_date(y: i32, m: u32, d: u32) -> Option<String> {
    if !LEDGER_YEARS.contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d).map(format_iso)
}

/// 男/女 (and the usual OCR slips) to GB/T 2261.1.
pub fn parse_gender(text: &str) -> Option<&'static str> {
    let t = text.trim();
    if t.contains('男') {
        Some("1")
    } else if t.contains('女') || t.contains('攵') {
        Some("2")
    } else if t == "未知" {
        Some("0")
    } else {
        None
    }
}

/// A 民族 as written (`汉`, `汉族`, `HA`, `01`), without the dust and rule marks OCR
/// reads around one character (`，汉`, `汉.`).
pub fn parse_ethnicity(text: &str) -> Option<&'static str> {
    let t = text.trim();
    codes::ethnicity_code(t).or_else(|| {
        let letters: String = t.chars().filter(|c| c.is_alphanumeric()).collect();
        codes::ethnicity_code(&letters)
    })
}

/// Leading number of `81`, `81岁`, `８１`.
pub fn parse_age(text: &str) -> Option<u32> {
    let s = fold_width(text);
    let digits: String = s
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok().filter(|&a: &u32| a <= 130)
}

/// A phone number as ledgers write it: a mobile as its 11 digits, a landline as
/// `area-number` (`0531-84383621`), however the dash was read (lost, doubled, a stray
/// one at the end). Other shapes keep their digits and dashes for review to judge.
pub fn canonical_phone(text: &str) -> Option<String> {
    let kept: String = fold_width(text)
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    let digits: String = kept.chars().filter(char::is_ascii_digit).collect();
    let b = digits.as_bytes();
    let canonical = match b {
        [b'1', ..] if b.len() == 11 => digits.clone(),
        // Beijing, Tianjin and the 02x cities have three-digit area codes, the rest four.
        [b'0', second, ..] if (10..=12).contains(&b.len()) => {
            let area = if matches!(second, b'1' | b'2') { 3 } else { 4 };
            format!("{}-{}", &digits[..area], &digits[area..])
        }
        _ => kept.trim_matches('-').to_string(),
    };
    (!canonical.is_empty()).then_some(canonical)
}

/// An ID number in canonical form: ASCII digits, upper-case `X`, no spaces.
pub fn canonical_id(text: &str) -> String {
    let s = fold_width(text).replace('×', "X");
    let mut out: String = s.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    if out.len() == 18 {
        let last = out.pop().unwrap();
        out.push(match last {
            'x' | 'K' | 'k' | '×' => 'X',
            c => c,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_person_types_in_its_standard_form() {
        for (field, typed, want) in [
            (Field::Gender, "女", "2"),
            (Field::Gender, " 男性 ", "1"),
            (Field::Gender, "2", "2"),
            (Field::Gender, "未说明的性别", "9"),
            (Field::Ethnicity, "汉", "01"),
            (Field::Ethnicity, "回族", "03"),
            (Field::Ethnicity, "1", "01"),
            (Field::Age, "81岁", "81"),
            (Field::Age, "８１周岁", "81"),
            (Field::DeathDate, "2013年4月11日", "2013-04-11"),
            (Field::DeathDate, "二〇一三年四月十一日", "2013-04-11"),
            (Field::BurialDate, "2013.4.11", "2013-04-11"),
            (Field::BirthDate, "19360502", "1936-05-02"),
            (Field::CremationDate, "2013/04/11", "2013-04-11"),
            (Field::IdNumber, "370112 19360502 022x", "37011219360502022X"),
            (
                Field::IdNumber,
                "３７０１１２１９３６０５０２０２２２",
                "370112193605020222",
            ),
            (Field::FamilyPhone, "0531 8425 0100", "0531-84250100"),
            (Field::FamilyPhone, "138 7986 2355", "13879862355"),
            (Field::DeceasedName, " 王秀英 ", "王秀英"),
            (Field::CremationCertStatus, "作废", "voided"),
            (Field::CremationCertStatus, "已作废", "voided"),
            (Field::CremationCertStatus, " 补发", "reissued"),
            (Field::CremationCertStatus, "签发", "issued"),
            (Field::CremationCertStatus, "reissued", "reissued"),
            (Field::IdType, "居民身份证", "111"),
            (Field::IdType, "身份证", "111"),
            (Field::IdType, "户口本", "113"),
            (Field::IdType, "414", "414"),
        ] {
            assert_eq!(standard_form(field, typed), want, "{field:?} {typed:?}");
        }
    }

    #[test]
    fn what_is_no_written_form_of_its_field_stays_as_typed() {
        for (field, typed) in [
            (Field::Gender, "不详的"),
            (Field::Ethnicity, "火星族"),
            // A two-digit year is not guessed at: which century is the clerk's to say.
            (Field::DeathDate, "13.4.11"),
            (Field::DeathDate, "2013年2月30日"),
            (Field::Age, "八十一"),
            (Field::Age, "81-83"),
            (Field::HouseholdDivision, "370112"),
            (Field::CremationCertStatus, "遗失"),
            (Field::IdType, "军官证"),
        ] {
            assert_eq!(standard_form(field, typed), typed, "{field:?} {typed:?}");
        }
    }

    #[test]
    fn codes_say_what_they_mean() {
        assert_eq!(meaning(Field::Gender, "2"), Some("女"));
        assert_eq!(meaning(Field::Ethnicity, "01"), Some("汉族"));
        assert_eq!(meaning(Field::IdType, "111"), Some("居民身份证"));
        assert!(meaning(Field::HouseholdDivision, "370112").is_some_and(|n| n.contains("历城")));
        assert_eq!(meaning(Field::CremationCertStatus, "voided"), Some("作废"));
        assert_eq!(meaning(Field::Gender, "女"), None);
        assert_eq!(meaning(Field::DeceasedName, "2"), None);
    }

    #[test]
    fn every_ledger_date_style() {
        for (text, want) in [
            ("2012年3月5日", "2012-03-05"),
            ("2012.03.05", "2012-03-05"),
            ("2012/3/5", "2012-03-05"),
            ("2012-03-05", "2012-03-05"),
            ("２０１２年３月５日", "2012-03-05"),
            ("二〇一二年三月五日", "2012-03-05"),
            ("二〇一三年十二月二十五日", "2013-12-25"),
            ("二O一O年十月十日", "2010-10-10"),
            ("二〇一四年一月三十一日", "2014-01-31"),
            ("12.3.5", "2012-03-05"),
            ("31.3.5", "1931-03-05"),
            ("13.1.2", "2013-01-02"),
            ("20120305", "2012-03-05"),
        ] {
            assert_eq!(parse_date(text, 2012).as_deref(), Some(want), "{text}");
        }
        assert_eq!(parse_date("2012年2月31日", 2012), None);
    }

    #[test]
    fn dates_whose_separators_the_scan_lost() {
        for (text, want) in [
            ("2014.0814.", "2014-08-14"),
            ("2013-1016", "2013-10-16"),
            ("201404-26", "2014-04-26"),
            ("二〇一三年五月五月", "2013-05-05"),
            // 〇 lost, or read as a dot.
            ("二一三年二月十日", "2013-02-10"),
            ("二.一二年八月二十一日", "2012-08-21"),
            // A mark before the year; the 二 of 二〇 lost.
            (".二一四年七月十日", "2014-07-10"),
            ("〇一二年六月二十九日", "2012-06-29"),
            ("二〇一二年六月十日.", "2012-06-10"),
        ] {
            assert_eq!(parse_date(text, 2012).as_deref(), Some(want), "{text}");
        }
        // Digits that do not make exactly one date of eight are not guessed at.
        assert_eq!(parse_date("2014/3/117", 2012), None);
        assert_eq!(parse_date("20417131", 2012), None);
        assert_eq!(parse_date("", 2012), None);
        // Found by fuzz/fuzz_targets/date_parser.rs: a five-digit year is no date.
        assert_eq!(parse_date("75552Y)7\u{19}7", 2012), None);
        assert_eq!(parse_date("1812.3.5", 2012), None);
    }

    #[test]
    fn phones_in_their_canonical_form() {
        assert_eq!(canonical_phone("13898472067-").as_deref(), Some("13898472067"));
        assert_eq!(canonical_phone("053184383621").as_deref(), Some("0531-84383621"));
        assert_eq!(canonical_phone("0531--8438 3621").as_deref(), Some("0531-84383621"));
        assert_eq!(canonical_phone("010-62751234").as_deref(), Some("010-62751234"));
        assert_eq!(canonical_phone("6275123").as_deref(), Some("6275123"));
        assert_eq!(canonical_phone("—"), None);
    }

    #[test]
    fn gender_ethnicity_age() {
        assert_eq!(parse_gender("男"), Some("1"));
        assert_eq!(parse_gender("女"), Some("2"));
        assert_eq!(parse_gender("?"), None);
        assert_eq!(parse_ethnicity("汉"), Some("01"));
        assert_eq!(parse_ethnicity("回"), Some("03"));
        assert_eq!(parse_ethnicity("，汉"), Some("01"));
        assert_eq!(parse_ethnicity("蒙古族."), Some("02"));
        assert_eq!(parse_ethnicity("又"), None);
        assert_eq!(parse_age("81岁"), Some(81));
        assert_eq!(parse_age("８１"), Some(81));
    }

    #[test]
    fn id_canonical_forms() {
        assert_eq!(canonical_id("34052419800101001x"), "34052419800101001X");
        assert_eq!(canonical_id("340524 19800101 001×"), "34052419800101001X");
        assert_eq!(
            canonical_id("３４０５２４１９８００１０１００１X"),
            "34052419800101001X"
        );
    }
}
