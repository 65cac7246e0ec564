//! Columns whose header could not be read, recognized by what their cells say.
//!
//! A header cell damaged past recognition (`死亡日期` read as `”区8期`, an empty read
//! of `电话`) would leave its whole column in `extra_fields`; one damaged into half of
//! another wording (`身份证号码` read as `生生`, half of 生日) would take the wrong field.
//! The cells still say what the column is: when most of them read as dates, ID numbers
//! or phone numbers, a column whose header is unknown or only half matched takes that
//! field, unless another column has it; so does a column of the listed relations
//! (`关系` read as nothing) or destinations of the ashes, and a column of addresses
//! (`户口所在地` read as `“`): they begin with a GB/T 2260 prefecture and county; and a
//! column of cemeteries (`公墓名称` read as `名`): their names end in 墓 or 园. Names
//! are not guessed at: nothing in the text alone tells 家属 from 死者.

use ledgerline_schemas::{id_number, Field};

use crate::headers::ColumnRole;
use crate::{normalize, places, vocab};

/// Fewest written cells, and the share of them that must agree, for a column to be
/// recognized by its content.
const MIN_CELLS: usize = 3;
const MIN_SHARE: f32 = 0.6;
/// Share of a column's written cells that must be 男 or 女 for it to be the sex.
const SEX_SHARE: f32 = 0.9;

/// A header that matched its wording this well or worse lets the cells decide.
const WEAK_HEADER: f32 = 0.5;

/// What a column's cells look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Dates, with the median year.
    Dates(i32),
    IdNumbers,
    Phones,
    /// Addresses, beginning with a prefecture and county.
    Addresses,
    /// 男 and 女, about all of them.
    Sexes,
    /// Ethnic groups by name (`汉`, `满族`); their number codes are not counted, as an
    /// age or a count reads as one.
    Ethnicities,
    /// Words of the closed list a field takes (see [`crate::vocab`]).
    Words(Field),
    /// Names of cemeteries.
    Cemeteries,
}

fn digits(text: &str) -> String {
    normalize::fold_width(text)
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

fn looks_like_phone(text: &str) -> bool {
    let d = digits(text);
    (d.len() == 11 && d.starts_with('1')) || ((10..=12).contains(&d.len()) && d.starts_with('0'))
}

fn kind_of(texts: &[&str]) -> Option<Kind> {
    if texts.len() < MIN_CELLS {
        return None;
    }
    let enough = |n: usize| n as f32 >= texts.len() as f32 * MIN_SHARE;
    let mut years: Vec<i32> = texts
        .iter()
        .filter_map(|t| normalize::parse_date(t, 2000))
        .filter_map(|d| d[..4].parse().ok())
        .collect();
    if enough(years.len()) {
        years.sort_unstable();
        return Some(Kind::Dates(years[years.len() / 2]));
    }
    let ids = texts
        .iter()
        .filter(|t| id_number::parse(&normalize::canonical_id(t)).is_ok())
        .count();
    if enough(ids) {
        return Some(Kind::IdNumbers);
    }
    if enough(texts.iter().filter(|t| looks_like_phone(t)).count()) {
        return Some(Kind::Phones);
    }
    if enough(texts.iter().filter(|t| places::begins_with_division(t)).count()) {
        return Some(Kind::Addresses);
    }
    let words: Vec<String> = texts
        .iter()
        .map(|t| t.chars().filter(|c| !c.is_ascii_punctuation()).collect::<String>())
        .collect();
    // A relation column has its daughters (女) and sons-in-law (女婿): a sex column is
    // told by having all but a misread or so of its cells 男 or 女.
    let sexes = words.iter().filter(|w| matches!(w.as_str(), "男" | "女")).count();
    if sexes as f32 >= texts.len() as f32 * SEX_SHARE {
        return Some(Kind::Sexes);
    }
    let ethnicities = words
        .iter()
        .filter(|w| !w.is_ascii() && normalize::parse_ethnicity(w).is_some())
        .count();
    if enough(ethnicities) {
        return Some(Kind::Ethnicities);
    }
    // Otherwise 男 and 女 say nothing either way: 女 (daughter) is a relation too.
    // Counted against a column of relations, four daughters had left it unknown (13 of 22
    // cells listed). Marks of dust (`弟-`, `侄子.`) are no part of a word.
    let words: Vec<String> = words
        .into_iter()
        .filter(|t| !matches!(t.as_str(), "男" | "女"))
        .collect();
    let listed = [Field::FamilyRelation, Field::AshesDisposition]
        .into_iter()
        .filter_map(|field| Some((field, crate::extract::word_list(field)?)))
        .find(|(_, list)| {
            let listed = words.iter().filter(|w| vocab::snap(w, list).is_some()).count();
            words.len() >= MIN_CELLS && listed as f32 >= words.len() as f32 * MIN_SHARE
        })
        .map(|(field, _)| Kind::Words(field));
    listed.or_else(|| enough(texts.iter().filter(|t| looks_like_cemetery(t)).count()).then_some(Kind::Cemeteries))
}

/// A cemetery's name: two Chinese characters or more ending in 墓 or 园, or in what those
/// are misread as at the end of one (see [`crate::extract`]'s cemetery endings). Marks of
/// dust are no part of it.
fn looks_like_cemetery(text: &str) -> bool {
    let name: String = text.chars().filter(|c| ('\u{4E00}'..='\u{9FFF}').contains(c)).collect();
    name.chars().count() >= 2
        && (name.ends_with(['墓', '园']) || crate::extract::cemetery_name_ending_mended(&name).is_some())
}

/// Whether a column's cells count the rows: numbers, most one more than the one above.
/// Only the first column is asked (where ledgers keep 序号/编号): a cemetery handing
/// out graves in order writes numbers that count up too. `编号` read as `地号` had
/// taken 墓号 (GB grave numbers) on a cremation page and filled it with 1, 2, 3 ….
fn counts_rows(texts: &[&str]) -> bool {
    let numbers: Vec<u32> = texts.iter().filter_map(|t| digits_only(t)?.parse().ok()).collect();
    let steps = numbers.windows(2).filter(|w| w[1] == w[0] + 1).count();
    numbers.len() >= MIN_CELLS
        && numbers.len() as f32 >= texts.len() as f32 * MIN_SHARE
        && steps as f32 >= (numbers.len() - 1) as f32 * MIN_SHARE
}

/// The text as ASCII digits, when it is nothing else.
fn digits_only(text: &str) -> Option<String> {
    let folded = normalize::fold_width(text);
    folded
        .chars()
        .all(|c| c.is_ascii_digit())
        .then_some(folded)
        .filter(|d| !d.is_empty())
}

/// The ledger's columns, as their headers mapped them (with the match score, see
/// [`crate::headers::map_headers_scored`]), with unknown and weakly matched ones
/// recognized by their cells where that is clear. `cells[col]` holds the texts of the
/// column's written body cells.
pub fn recognize(mapped: &[(ColumnRole, f32)], cells: &[Vec<&str>]) -> Vec<ColumnRole> {
    let mut out: Vec<ColumnRole> = mapped.iter().map(|(r, _)| *r).collect();
    let has = |roles: &[ColumnRole], f: Field| roles.contains(&ColumnRole::Field(f));
    let burial = has(&out, Field::BurialDate) || has(&out, Field::GraveNumber) || has(&out, Field::CemeteryName);
    for (col, (role, score)) in mapped.iter().enumerate() {
        let weak = match role {
            ColumnRole::Unknown => true,
            ColumnRole::Field(_) => *score <= WEAK_HEADER,
            ColumnRole::Serial => false,
        };
        if !weak {
            continue;
        }
        if col == 0 && counts_rows(&cells[col]) {
            out[col] = ColumnRole::Serial;
            continue;
        }
        // The column's own weak claim does not count against what its cells say.
        let others: Vec<ColumnRole> = out
            .iter()
            .enumerate()
            .map(|(c, r)| if c == col { ColumnRole::Unknown } else { *r })
            .collect();
        let field = match kind_of(&cells[col]) {
            Some(Kind::Dates(year)) => date_field(&others, cells, col, year, burial),
            Some(Kind::IdNumbers) => Some(Field::IdNumber),
            Some(Kind::Phones) => Some(Field::FamilyPhone),
            Some(Kind::Sexes) => Some(Field::Gender),
            Some(Kind::Ethnicities) => Some(Field::Ethnicity),
            Some(Kind::Addresses) => Some(Field::HouseholdAddress),
            Some(Kind::Words(f)) => Some(f),
            Some(Kind::Cemeteries) => Some(Field::CemeteryName),
            None => None,
        };
        if let Some(f) = field.filter(|f| !has(&others, *f)) {
            out[col] = ColumnRole::Field(f);
        }
    }
    out
}

/// Which date an unnamed date column holds. Births lie decades before the ledger's
/// other dates; of death and the cremation or burial, the death is written first.
fn date_field(roles: &[ColumnRole], cells: &[Vec<&str>], col: usize, year: i32, burial: bool) -> Option<Field> {
    let others: Vec<i32> = roles
        .iter()
        .enumerate()
        .filter(|(c, r)| *c != col && matches!(r, ColumnRole::Field(f) if f.is_date() && *f != Field::BirthDate))
        .filter_map(|(c, _)| match kind_of(&cells[c]) {
            Some(Kind::Dates(y)) => Some(y),
            _ => None,
        })
        .collect();
    if others.iter().any(|&y| y - year >= 10) {
        return Some(Field::BirthDate);
    }
    let disposal = if burial {
        Field::BurialDate
    } else {
        Field::CremationDate
    };
    let position = |f: Field| roles.iter().position(|r| *r == ColumnRole::Field(f));
    match (position(Field::DeathDate), position(disposal)) {
        (None, Some(d)) if col < d => Some(Field::DeathDate),
        (None, Some(_)) => None,
        (None, None) => Some(Field::DeathDate),
        (Some(_), _) => Some(disposal),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(f: Field) -> ColumnRole {
        ColumnRole::Field(f)
    }

    /// Headers as read: a field's header matched well, an unknown one not at all.
    fn unscored(roles: &[ColumnRole]) -> Vec<(ColumnRole, f32)> {
        roles
            .iter()
            .map(|r| (*r, if *r == ColumnRole::Unknown { 0.0 } else { 1.0 }))
            .collect()
    }

    #[test]
    fn a_header_read_as_half_of_another_wording_yields_to_its_cells() {
        // 身份证号码 read as 生生 (half of 生日), 死亡日期 as 所日期 (half of 出生日期).
        let mapped = [
            (known(Field::BirthDate), 0.5),
            (known(Field::BirthDate), 0.5),
            (known(Field::BurialDate), 1.0),
        ];
        let cells = vec![
            vec!["370505197109154287", "370613197302141475", "37142719560101810X"],
            vec!["2012.3.5", "2012.1.2", "2013.7.7"],
            vec!["2012.4.5", "2012.2.2", "2013.8.7"],
        ];
        let got = recognize(&mapped, &cells);
        assert_eq!(got[0], known(Field::IdNumber));
        assert_eq!(got[1], known(Field::DeathDate));
        // A header that matched well is not second-guessed.
        let mapped = [(known(Field::BirthDate), 0.75), (known(Field::BurialDate), 1.0)];
        assert_eq!(recognize(&mapped, &cells[1..])[0], known(Field::BirthDate));
    }

    #[test]
    fn an_unreadable_header_over_cemetery_names_is_the_cemetery() {
        // 公墓名称 read as 名, over the cells of a generated page (dust and misreads kept).
        let roles = [
            known(Field::BurialDate),
            ColumnRole::Unknown,
            known(Field::HouseholdAddress),
        ];
        let cells = vec![
            vec!["2014-02-17", "2012-01-31", "2014-07-19", "2014-05-13"],
            vec!["福寿园", ",安乐园", "仙台山公莫.", "伯台山公墓", "松柏陵园"],
            vec![
                "济南市平阴县北关街26号",
                "菏泽市鄄城县李家庄156号",
                "青岛市即墨区王家庄26号",
            ],
        ];
        assert_eq!(recognize(&unscored(&roles), &cells)[1], known(Field::CemeteryName));
        // Names of people are not cemeteries.
        let cells = vec![
            cells[0].clone(),
            vec!["赵林和", "刘芳珍", "王国林", "李园"],
            cells[2].clone(),
        ];
        assert_eq!(recognize(&unscored(&roles), &cells)[1], ColumnRole::Unknown);
    }

    #[test]
    fn an_unreadable_header_over_dates_is_the_missing_date() {
        let roles = [
            known(Field::DeceasedName),
            ColumnRole::Unknown,
            known(Field::CremationDate),
        ];
        let cells = vec![
            vec!["赵林和", "刘芳珍", "王国林"],
            vec!["2012年11月20日", "2012年4月28日", "2012年9月了日"],
            vec!["2012年11月23日", "2012年4月29日", "2012年10月1日"],
        ];
        assert_eq!(recognize(&unscored(&roles), &cells)[1], known(Field::DeathDate));
        // The same column after a known death date is the cremation.
        let roles = [known(Field::DeathDate), ColumnRole::Unknown];
        let cells = vec![cells[1].clone(), cells[2].clone()];
        assert_eq!(recognize(&unscored(&roles), &cells)[1], known(Field::CremationDate));
    }

    #[test]
    fn a_first_column_counting_the_rows_is_the_serial_whatever_its_header_read() {
        // 编号 read as 地号, half of 墓号; its first cell 1 read as 工.
        let mapped = [(known(Field::GraveNumber), 0.5), (known(Field::DeceasedName), 1.0)];
        let cells = vec![
            vec!["工", "2", "3", "4", "5", "6"],
            vec!["肖翠香", "李金洪", "赵林和", "刘芳珍", "王国林", "张伟"],
        ];
        assert_eq!(recognize(&mapped, &cells)[0], ColumnRole::Serial);
        // Grave numbers handed out in order, under a header read in full, stay graves.
        let mapped = [(known(Field::GraveNumber), 1.0), (known(Field::DeceasedName), 1.0)];
        assert_eq!(recognize(&mapped, &cells)[0], known(Field::GraveNumber));
        // Numbers that do not count up are not a serial.
        let cells = vec![vec!["12", "7", "31", "4"], vec!["甲", "乙", "丙", "丁"]];
        let mapped = [(known(Field::GraveNumber), 0.5), (known(Field::DeceasedName), 1.0)];
        assert_eq!(recognize(&mapped, &cells)[0], known(Field::GraveNumber));
    }

    #[test]
    fn a_column_of_listed_relations_is_the_relation() {
        // 关系 read as nothing; one relation misread a character off.
        let roles = [known(Field::FamilyName), ColumnRole::Unknown];
        let cells = vec![vec!["刘美彩", "王强", "李红"], vec!["孙女", "女媚", "子"]];
        assert_eq!(recognize(&unscored(&roles), &cells)[1], known(Field::FamilyRelation));
        // Names are no relations.
        let cells = vec![vec!["孙女", "女婿", "子"], vec!["刘美彩", "王强", "李红"]];
        let roles = [known(Field::FamilyRelation), ColumnRole::Unknown];
        assert_eq!(recognize(&unscored(&roles), &cells)[1], ColumnRole::Unknown);
        // Nor is a 性别 column of women (女 is also daughter): it is the sex.
        let cells = vec![vec!["刘美彩", "王强", "李红"], vec!["女", "女", "女"]];
        let roles = [known(Field::FamilyName), ColumnRole::Unknown];
        assert_eq!(recognize(&unscored(&roles), &cells)[1], known(Field::Gender));
        // But daughters among relations count for nothing either way, and dust is no part
        // of a word (page 2 of generated seed 6060: 13 of 22 listed with 女 counted).
        let relations = vec![
            "见", "儿旭", "见", "配偶", "弟", "女", "女", "子", "弟-", "孙子", "见", "侄子.", "侄子", "侄子", "女婿",
            "配贷", "侄子", "弟", "女", "女", "子", "女婿",
        ];
        let cells = vec![vec!["刘美彩"; 22], relations];
        assert_eq!(recognize(&unscored(&roles), &cells)[1], known(Field::FamilyRelation));
    }

    #[test]
    fn columns_of_sexes_and_of_ethnic_groups_are_the_gender_and_the_ethnicity() {
        // 性别 and 民族 both read as nothing (page 6 of generated seed 4242 scanned
        // bilevel lost every 民族 of its 22 rows so); dust kept, one 汉 misread.
        let roles = [known(Field::Age), ColumnRole::Unknown, ColumnRole::Unknown];
        let cells = vec![
            vec!["83", "50", "68", "95", "61", "54"],
            vec!["男", "女.", "女", "男", "女", "男"],
            vec!["汉", "汉", "汉族", "汊", "满", "回"],
        ];
        let got = recognize(&unscored(&roles), &cells);
        assert_eq!(got[1], known(Field::Gender));
        assert_eq!(got[2], known(Field::Ethnicity));
        // Ages and serial numbers are GB/T 3304 codes too (1 to 56): not counted.
        let roles = [known(Field::DeceasedName), ColumnRole::Unknown];
        let cells = vec![vec!["赵林和"; 4], vec!["1", "5", "12", "50"]];
        assert_eq!(recognize(&unscored(&roles), &cells)[1], ColumnRole::Unknown);
        // Relations with their daughters are not the sex.
        let cells = vec![vec!["赵林和"; 6], vec!["女", "女", "子", "妻", "女婿", "女"]];
        assert_eq!(recognize(&unscored(&roles), &cells)[1], known(Field::FamilyRelation));
        // And a sex column already found leaves a second one unknown.
        let roles = [known(Field::Gender), ColumnRole::Unknown];
        let cells = vec![vec!["男", "女", "男"], vec!["男", "女", "男"]];
        assert_eq!(recognize(&unscored(&roles), &cells)[1], ColumnRole::Unknown);
    }

    #[test]
    fn dates_decades_before_the_others_are_births() {
        let roles = [ColumnRole::Unknown, known(Field::DeathDate), known(Field::BurialDate)];
        let cells = vec![
            vec!["1931.3.5", "1940.1.2", "1952.7.7"],
            vec!["2012.3.5", "2012.1.2", "2013.7.7"],
            vec!["2012.4.5", "2012.2.2", "2013.8.7"],
        ];
        assert_eq!(recognize(&unscored(&roles), &cells)[0], known(Field::BirthDate));
    }

    #[test]
    fn phones_and_ids_are_recognized_and_free_text_is_not() {
        let roles = [ColumnRole::Unknown, ColumnRole::Unknown, ColumnRole::Unknown];
        let cells = vec![
            vec!["13966126438", "0531-80045112", "18782218682", "了5868137231"],
            vec!["370505197109154287", "370613197302141475", "37142719560101810X"],
            vec!["备注", "已结清", "迁出"],
        ];
        let got = recognize(&unscored(&roles), &cells);
        assert_eq!(got[0], known(Field::FamilyPhone));
        assert_eq!(got[1], known(Field::IdNumber));
        assert_eq!(got[2], ColumnRole::Unknown);
    }

    #[test]
    fn a_column_of_addresses_is_the_household_address() {
        // 户口所在地 read as a quotation mark; one county misread a character off.
        let roles = [known(Field::DeceasedName), ColumnRole::Unknown, ColumnRole::Unknown];
        let cells = vec![
            vec!["陈忠福", "王林金", "蒋忠生"],
            vec![
                "滨州市邹平市和平街159号",
                "济宁市充州区王家庄111号",
                "青岛市崂山区人民路165号",
            ],
            vec!["人民医院", "家中", "养老院"],
        ];
        let got = recognize(&unscored(&roles), &cells);
        assert_eq!(got[1], known(Field::HouseholdAddress));
        assert_eq!(got[2], ColumnRole::Unknown, "places of death name no division");
    }

    #[test]
    fn a_field_the_ledger_has_is_not_taken_twice_and_few_cells_decide_nothing() {
        let roles = [known(Field::FamilyPhone), ColumnRole::Unknown];
        let cells = vec![vec!["13966126438"; 3], vec!["13970326369"; 3]];
        assert_eq!(recognize(&unscored(&roles), &cells)[1], ColumnRole::Unknown);
        let roles = [ColumnRole::Unknown];
        assert_eq!(
            recognize(&unscored(&roles), &[vec!["2012.3.5", "2012.3.6"]])[0],
            ColumnRole::Unknown
        );
    }
}
