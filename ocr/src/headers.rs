//! Mapping header cells to schema fields. Agencies word their headers differently and
//! OCR damages them, so the map is a synonym table plus a character-overlap score: a
//! header maps to the field whose best synonym shares the most characters with it.

use ledgerline_schemas::Field;

/// What a header may say for each field. Order matters only for ties.
pub const SYNONYMS: &[(Field, &[&str])] = &[
    (
        Field::DeceasedName,
        &["姓名", "死者姓名", "逝者姓名", "亡者姓名", "死者", "逝者", "亡人姓名"],
    ),
    (Field::Gender, &["性别"]),
    (Field::Age, &["年龄", "享年", "终年"]),
    (Field::Ethnicity, &["民族"]),
    (
        Field::IdNumber,
        &["身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证", "证件号"],
    ),
    (Field::BirthDate, &["出生日期", "出生年月", "生日"]),
    (
        Field::DeathDate,
        &["死亡日期", "死亡时间", "逝世日期", "卒日", "去世日期", "死亡年月日"],
    ),
    (Field::DeathCause, &["死亡原因", "死因"]),
    (Field::DeathPlace, &["死亡地点", "逝世地点"]),
    (
        Field::HouseholdAddress,
        &["住址", "户籍地址", "户口所在地", "家庭住址", "户籍所在地", "地址"],
    ),
    (Field::CremationDate, &["火化日期", "火化时间"]),
    (Field::CremationCertNo, &["火化证号", "火化证明编号", "火化证编号"]),
    (Field::CremationCertStatus, &["证明状态", "火化证状态", "证状态"]),
    (Field::AshesDisposition, &["骨灰去向", "骨灰处理"]),
    (Field::BurialDate, &["安葬日期", "落葬日期", "下葬日期", "安葬时间"]),
    (Field::GraveNumber, &["墓穴编号", "墓位号", "墓号", "墓穴号"]),
    (Field::CemeteryName, &["公墓", "公墓名称", "墓园"]),
    (
        Field::FamilyName,
        &["家属", "家属姓名", "经办人", "购墓人", "承办人", "丧事承办人", "联系人"],
    ),
    (Field::FamilyRelation, &["关系", "与逝者关系", "与死者关系", "亲属关系"]),
    (Field::FamilyPhone, &["联系电话", "电话", "家属电话", "手机"]),
];

/// Headers that number the rows rather than describe them.
pub const SERIAL_HEADERS: &[&str] = &["序号", "编号", "No"];

/// Headers of the ledger's remarks: no field of the schema, kept in `extra_fields`, but
/// where a certificate stub register notes 作废 and 补发.
pub const REMARK_HEADERS: &[&str] = &["备注", "附注"];

/// Whether a header (as read) heads the ledger's remarks: its words, whatever marks were
/// read around them (a header of a generated page read as `“备注`).
pub fn is_remarks(header: &str) -> bool {
    let words: String = header.chars().filter(|c| c.is_alphanumeric()).collect();
    REMARK_HEADERS.iter().any(|w| words == *w)
}

/// Every character any known header wording uses: reading a header cell with only these
/// turns a near miss (火化时问) into the wording itself.
pub fn vocabulary() -> String {
    let mut chars: Vec<char> = SYNONYMS
        .iter()
        .flat_map(|(_, words)| words.iter())
        .chain(SERIAL_HEADERS)
        .chain(REMARK_HEADERS)
        .flat_map(|w| w.chars())
        .collect();
    chars.sort_unstable();
    chars.dedup();
    chars.into_iter().collect()
}

/// What a column turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRole {
    Field(Field),
    Serial,
    /// A column the schema does not know: kept in `extra_fields` under its header.
    Unknown,
}

/// Similarity of two header texts: shared characters (with multiplicity) over the
/// longer length. Robust to one dropped or misread character.
fn overlap(a: &str, b: &str) -> f32 {
    let mut rest: Vec<char> = b.chars().collect();
    let mut shared = 0;
    for c in a.chars() {
        if let Some(i) = rest.iter().position(|&r| r == c) {
            rest.swap_remove(i);
            shared += 1;
        }
    }
    let len = a.chars().count().max(b.chars().count()).max(1);
    shared as f32 / len as f32
}

/// A header text without spaces and ASCII punctuation.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation())
        .collect()
}

/// Every field a header could name, with its best score, best first.
fn field_scores(text: &str) -> Vec<(Field, f32)> {
    let mut scores: Vec<(Field, f32)> = SYNONYMS
        .iter()
        .map(|(field, words)| (*field, words.iter().map(|w| overlap(text, w)).fold(0.0, f32::max)))
        .filter(|(_, s)| *s >= 0.5)
        .collect();
    // Stable: on a tie the field listed first in SYNONYMS comes first.
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    scores
}

fn serial_score(text: &str) -> Option<f32> {
    let best = SERIAL_HEADERS.iter().map(|s| overlap(text, s)).fold(0.0, f32::max);
    (best >= 0.5).then_some(best)
}

/// Maps one header text, with the score of the match.
pub fn map_header(text: &str) -> (ColumnRole, f32) {
    let text = clean(text);
    if text.is_empty() {
        return (ColumnRole::Unknown, 0.0);
    }
    match (serial_score(&text), field_scores(&text).first()) {
        (Some(s), _) if s >= 0.99 => (ColumnRole::Serial, 1.0),
        (_, Some((f, s))) => (ColumnRole::Field(*f), *s),
        (Some(s), None) => (ColumnRole::Serial, s),
        (None, None) => (ColumnRole::Unknown, 0.0),
    }
}

/// Maps a whole header row: each field goes to the column whose header names it best,
/// and a column that loses its best field to a better header takes another it names as
/// well (`公生`, half of 公墓 and half of 生日, is the cemetery when 出生日期 has the
/// birth) or is kept as unknown.
pub fn map_headers(texts: &[String]) -> Vec<ColumnRole> {
    map_headers_scored(texts).into_iter().map(|(r, _)| r).collect()
}

/// [`map_headers`] with how well each header matched its wording (see [`map_header`]).
pub fn map_headers_scored(texts: &[String]) -> Vec<(ColumnRole, f32)> {
    let cleaned: Vec<String> = texts.iter().map(|t| clean(t)).collect();
    let mut out: Vec<(ColumnRole, f32)> = vec![(ColumnRole::Unknown, 0.0); texts.len()];
    // Every (score, column, field) claim, strongest first; earlier columns win ties.
    let mut claims: Vec<(f32, usize, Field)> = Vec::new();
    for (col, text) in cleaned.iter().enumerate() {
        match map_header(text) {
            (ColumnRole::Serial, s) => out[col] = (ColumnRole::Serial, s),
            // Only the fields the header names best: 死亡时间 is the death or nothing,
            // not the 火化时间 it half resembles.
            (_, top) => claims.extend(
                field_scores(text)
                    .into_iter()
                    .filter(|(_, s)| *s >= top)
                    .map(|(f, s)| (s, col, f)),
            ),
        }
    }
    claims.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut taken: Vec<Field> = Vec::new();
    for (score, col, field) in claims {
        if out[col].0 == ColumnRole::Unknown && !taken.contains(&field) {
            out[col] = (ColumnRole::Field(field), score);
            taken.push(field);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonyms_and_damaged_headers_map() {
        let f = |t: &str| map_header(t).0;
        assert_eq!(f("死者姓名"), ColumnRole::Field(Field::DeceasedName));
        assert_eq!(f("逝者姓名"), ColumnRole::Field(Field::DeceasedName));
        assert_eq!(f("公民身份号码"), ColumnRole::Field(Field::IdNumber));
        assert_eq!(f("卒日"), ColumnRole::Field(Field::DeathDate));
        assert_eq!(f("落葬日期"), ColumnRole::Field(Field::BurialDate));
        assert_eq!(f("购墓人"), ColumnRole::Field(Field::FamilyName));
        // OCR-damaged: one character misread or dropped.
        assert_eq!(f("死亡日朗"), ColumnRole::Field(Field::DeathDate));
        assert_eq!(f("身份证号妈"), ColumnRole::Field(Field::IdNumber));
        assert_eq!(f("火化曰期"), ColumnRole::Field(Field::CremationDate));
        // Wordings the generator never used.
        assert_eq!(f("亡人姓名"), ColumnRole::Field(Field::DeceasedName));
        assert_eq!(f("去世日期"), ColumnRole::Field(Field::DeathDate));
        assert_eq!(f("户籍所在地"), ColumnRole::Field(Field::HouseholdAddress));
        assert_eq!(f("序号"), ColumnRole::Serial);
        assert_eq!(f("备注"), ColumnRole::Unknown);
        assert!(is_remarks("备注") && is_remarks(" 备 注") && is_remarks("“备注"));
        assert!(!is_remarks("证明状态") && !is_remarks("备注栏"));
        assert_eq!(f("证明状态"), ColumnRole::Field(Field::CremationCertStatus));
    }

    #[test]
    fn a_header_that_loses_its_best_field_takes_its_next() {
        let roles = map_headers(&["出生日期".into(), "公生".into()]);
        assert_eq!(roles[0], ColumnRole::Field(Field::BirthDate));
        assert_eq!(roles[1], ColumnRole::Field(Field::CemeteryName));
    }

    #[test]
    fn a_field_claimed_twice_goes_to_the_better_header() {
        let roles = map_headers(&["死亡日期".into(), "死亡时间".into()]);
        assert_eq!(roles[0], ColumnRole::Field(Field::DeathDate));
        assert_eq!(roles[1], ColumnRole::Unknown);
    }
}
