//! Comparable forms of the linkage fields: names folded (traditional/variant characters,
//! placeholders), their pinyin with surname readings, ID numbers, dates as day numbers,
//! addresses without the province/city prefix every ledger of a province shares.

use chrono::{Datelike, NaiveDate};
use compact_str::CompactString;
use ledgerline_schemas::{codes, date, id_number, RecordFields};
use pinyin::ToPinyin;

/// Characters a keyer or a registry wrote for "could not read / could not type".
pub const PLACEHOLDERS: &[char] = &['?', '？', '□', '○', '*', '＊', '_'];

/// Variant characters (异体字) that traditional→simplified conversion leaves alone but
/// registries and ledgers use interchangeably in names.
const VARIANTS: &[(char, char)] = &[
    ('峯', '峰'),
    ('淸', '清'),
    ('羣', '群'),
    ('綫', '线'),
    ('踪', '踪'),
    ('堃', '坤'),
    ('喆', '哲'),
    ('玥', '玥'),
    ('祐', '佑'),
    ('秊', '年'),
    ('竪', '竖'),
    ('裡', '里'),
    ('衆', '众'),
    ('戶', '户'),
    ('敎', '教'),
    ('旣', '既'),
    ('眞', '真'),
    ('叚', '假'),
];

/// Surnames whose reading differs from the character's common reading.
const SURNAME_READINGS: &[(char, &str)] = &[
    ('单', "shan"),
    ('解', "xie"),
    ('仇', "qiu"),
    ('区', "ou"),
    ('曾', "zeng"),
    ('查', "zha"),
    ('朴', "piao"),
    ('盖', "ge"),
    ('朝', "chao"),
    ('乐', "yue"),
    ('翟', "zhai"),
    ('尉', "yu"),
    ('缪', "miao"),
    ('覃', "qin"),
    ('万', "wan"),
    ('折', "she"),
    ('员', "yun"),
    ('长', "chang"),
    ('重', "chong"),
    ('宿', "su"),
    ('秘', "bi"),
    ('种', "chong"),
    ('繁', "po"),
    ('召', "shao"),
    ('句', "gou"),
];

/// The CJK characters [`fold_char`] looks up instead of working out: names and
/// addresses are folded a million at a time, and each fast2s conversion allocates.
const FOLDED_RANGE: std::ops::RangeInclusive<u32> = 0x3400..=0x9fff;

/// One character folded to its simplified, non-variant form.
pub fn fold_char(c: char) -> char {
    static FOLDED: std::sync::OnceLock<Vec<char>> = std::sync::OnceLock::new();
    if c.is_ascii() {
        return c;
    }
    let code = u32::from(c);
    if FOLDED_RANGE.contains(&code) {
        let table = FOLDED.get_or_init(|| {
            FOLDED_RANGE
                .map(|code| char::from_u32(code).map_or(char::REPLACEMENT_CHARACTER, convert_char))
                .collect()
        });
        return table[(code - FOLDED_RANGE.start()) as usize];
    }
    convert_char(c)
}

/// [`fold_char`] worked out: the variant table, else fast2s on the character alone.
fn convert_char(c: char) -> char {
    if let Some((_, to)) = VARIANTS.iter().find(|(from, _)| *from == c) {
        return *to;
    }
    let mut buf = [0u8; 4];
    let simplified = fast2s::convert(c.encode_utf8(&mut buf));
    let mut chars = simplified.chars();
    match (chars.next(), chars.next()) {
        (Some(s), None) => s,
        _ => c,
    }
}

/// A name as comparable characters: whitespace and punctuation dropped, folded, and
/// placeholders kept as `?` (unknown, matching any one character).
pub fn fold_name(name: &str) -> String {
    folded_chars(name).collect()
}

fn folded_chars(name: &str) -> impl Iterator<Item = char> + '_ {
    name.chars()
        .filter(|c| !c.is_whitespace() && *c != '·' && *c != '.')
        .map(|c| if PLACEHOLDERS.contains(&c) { '?' } else { fold_char(c) })
}

/// Pinyin syllables of a folded name, the surname with its surname reading; `?` stays `?`.
pub fn name_pinyin(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len() * 2);
    write_pinyin(folded, &mut out);
    out
}

/// Writes [`name_pinyin`] into `out` (a `String`, or a `CompactString` that keeps it inline).
fn write_pinyin(folded: &str, out: &mut impl std::fmt::Write) {
    // Writing to memory cannot fail.
    let mut write = |s: &str| {
        let _ = out.write_str(s);
    };
    for (i, c) in folded.chars().enumerate() {
        if i > 0 {
            write(" ");
        }
        let surname_reading = (i == 0)
            .then(|| SURNAME_READINGS.iter().find(|(s, _)| *s == c).map(|(_, r)| *r))
            .flatten();
        match surname_reading {
            Some(r) => write(r),
            None => match c.to_pinyin() {
                Some(p) => write(p.plain()),
                None => write(c.encode_utf8(&mut [0; 4])),
            },
        }
    }
}

/// A date as days since 1970-01-01 and as its eight digits (for digit-level slips).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    pub days: i32,
    pub ymd: u32,
}

impl Day {
    pub fn parse(text: &str) -> Option<Day> {
        let d = date::parse_iso(text)?;
        Some(Day::from_date(d))
    }

    pub fn from_date(d: NaiveDate) -> Day {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid epoch");
        Day {
            days: (d - epoch).num_days() as i32,
            ymd: d.year() as u32 * 10_000 + d.month() * 100 + d.day(),
        }
    }

    pub fn year(self) -> u32 {
        self.ymd / 10_000
    }
}

/// An ID number as 18 ASCII bytes (15-digit first-generation numbers widened), and
/// whether its checksum holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdNo {
    pub bytes: [u8; 18],
    pub valid: bool,
}

impl IdNo {
    pub fn parse(text: &str) -> Option<IdNo> {
        let t: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| if c == 'x' { 'X' } else { c })
            .collect();
        let t = if t.len() == 15 && t.bytes().all(|b| b.is_ascii_digit()) {
            // First generation: YYMMDD births were all 19xx; no check character.
            format!("{}19{}?", &t[..6], &t[6..])
        } else {
            t
        };
        let bytes: [u8; 18] = t.as_bytes().try_into().ok()?;
        if !bytes[..17].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let valid = id_number::check_char(&t[..17]) == Some(bytes[17] as char);
        Some(IdNo { bytes, valid })
    }
}

/// The name a province or prefecture-level city also goes by in addresses, without its
/// 省, 市 or 自治区 (山东 for 山东省, 济南 for 济南市); `None` when nothing of two
/// characters or more is left, or nothing was taken off.
pub fn short_division_name(name: &str) -> Option<&str> {
    let short = name.trim_end_matches(['省', '市']).trim_end_matches("自治区");
    (short.chars().count() >= 2 && short != name).then_some(short)
}

/// An address without what every record of a province shares: the province, then the
/// prefecture-level city, each with or without its 省/市 suffix.
pub fn strip_address(address: &str, division: Option<&str>) -> String {
    let folded: String = address.chars().filter(|c| !c.is_whitespace()).map(fold_char).collect();
    let mut rest = folded.as_str();
    // Borrowed from the code table: no allocation a record for what is stripped.
    let (province, prefecture) = division.map_or((None, None), codes::parents);
    let name = |d: Option<&'static codes::Division>| d.map(|d| d.name.as_str());
    let short = |d: Option<&'static codes::Division>| d.and_then(|d| short_division_name(&d.name));
    let prefixes = [name(province), short(province), name(prefecture), short(prefecture)];
    loop {
        let before = rest.len();
        for p in prefixes.iter().flatten() {
            if let Some(r) = rest.strip_prefix(p) {
                rest = r;
            }
        }
        if rest.len() == before {
            break;
        }
    }
    rest.to_string()
}

/// The linkage view of a record, made once per record.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    // Names, their pinyin and family names are kept inline (up to 24 bytes: nearly
    // every name): a million-record load's 1.85 million prepared records are 5.5 million
    // allocations fewer, and comparing reads them from the record itself.
    /// Folded name, `?` for unknown characters; empty when absent.
    pub name: CompactString,
    pub pinyin: CompactString,
    /// 1 male, 2 female, 0 unknown.
    pub gender: u8,
    pub id: Option<IdNo>,
    pub birth: Option<Day>,
    pub death: Option<Day>,
    /// Without the province and city the division code gives, as characters (compared
    /// with Jaro-Winkler, which works on characters).
    pub address: Vec<char>,
    pub family: CompactString,
}

/// The fields linkage looks at, borrowed from wherever they are kept: a record's fields,
/// or the few columns a load reads of each person a database holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinkageFields<'a> {
    pub deceased_name: Option<&'a str>,
    pub gender: Option<&'a str>,
    pub id_number: Option<&'a str>,
    pub birth_date: Option<&'a str>,
    pub death_date: Option<&'a str>,
    pub household_address: Option<&'a str>,
    pub household_division: Option<&'a str>,
    pub family_name: Option<&'a str>,
}

impl<'a> From<&'a RecordFields> for LinkageFields<'a> {
    fn from(f: &'a RecordFields) -> LinkageFields<'a> {
        LinkageFields {
            deceased_name: f.deceased_name.as_deref(),
            gender: f.gender.as_deref(),
            id_number: f.id_number.as_deref(),
            birth_date: f.birth_date.as_deref(),
            death_date: f.death_date.as_deref(),
            household_address: f.household_address.as_deref(),
            household_division: f.household_division.as_deref(),
            family_name: f.family_name.as_deref(),
        }
    }
}

impl Prepared {
    pub fn new(f: &RecordFields) -> Prepared {
        Prepared::of(f.into())
    }

    pub fn of(f: LinkageFields<'_>) -> Prepared {
        let name: CompactString = f.deceased_name.map(|n| folded_chars(n).collect()).unwrap_or_default();
        let mut pinyin = CompactString::default();
        write_pinyin(&name, &mut pinyin);
        let gender = match f.gender {
            Some("1") => 1,
            Some("2") => 2,
            _ => 0,
        };
        let division = f
            .household_division
            .or_else(|| f.id_number.filter(|i| i.len() >= 6).map(|i| &i[..6]));
        Prepared {
            pinyin,
            gender,
            id: f.id_number.and_then(IdNo::parse),
            birth: f.birth_date.and_then(Day::parse),
            death: f.death_date.and_then(Day::parse),
            address: f
                .household_address
                .map(|a| strip_address(a, division).chars().collect())
                .unwrap_or_default(),
            family: f.family_name.map(|n| folded_chars(n).collect()).unwrap_or_default(),
            name,
        }
    }

    /// Asks for the first bytes of the texts this record's comparison reads that live
    /// elsewhere (see [`crate::compare::compare_pairs`]): the address, and a name, pinyin
    /// or family name too long to be kept inline. Inline ones came with the record.
    pub(crate) fn prefetch_text(&self) {
        use crate::compare::prefetch_at;
        for text in [&self.name, &self.pinyin, &self.family] {
            if text.is_heap_allocated() {
                prefetch_at(text.as_ptr());
            }
        }
        prefetch_at(self.address.as_ptr().cast());
    }

    /// The surname: the first character, unless it is unknown.
    pub fn surname(&self) -> Option<char> {
        self.name.chars().next().filter(|c| *c != '?')
    }

    pub fn name_known(&self) -> bool {
        !self.name.is_empty() && !self.name.chars().all(|c| c == '?')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_traditional_and_variants() {
        assert_eq!(fold_name("張偉"), "张伟");
        assert_eq!(fold_name("李 峯"), "李峰");
        assert_eq!(fold_name("王？英"), "王?英");
    }

    #[test]
    fn the_fold_table_is_the_conversion() {
        let chars = (0..=0xffffu32).chain(0x20000..0x20100).filter_map(char::from_u32);
        for c in chars {
            assert_eq!(fold_char(c), convert_char(c), "{c} (U+{:04X})", u32::from(c));
        }
        assert_eq!(fold_char('峯'), '峰');
        assert_eq!(fold_char('張'), '张');
    }

    #[test]
    fn surname_readings() {
        assert_eq!(name_pinyin("单田芳"), "shan tian fang");
        assert_eq!(name_pinyin("曾国藩"), "zeng guo fan");
        assert_eq!(name_pinyin("王?英"), "wang ? ying");
    }

    #[test]
    fn id_numbers() {
        let id = IdNo::parse("34052419800101001x").unwrap();
        assert!(id.valid);
        assert!(!IdNo::parse("340524198001010011").unwrap().valid);
        let old = IdNo::parse("340524800101001").unwrap();
        assert_eq!(&old.bytes[..14], b"34052419800101");
        assert!(IdNo::parse("3405241980").is_none());
    }

    #[test]
    fn addresses_lose_the_shared_prefix() {
        assert_eq!(
            strip_address("山东省济南市历城区山大路12号", Some("370112")),
            "历城区山大路12号"
        );
        assert_eq!(
            strip_address("济南历城区山大路12号", Some("370112")),
            "历城区山大路12号"
        );
        assert_eq!(strip_address("历城区山大路12号", Some("370112")), "历城区山大路12号");
    }
}
