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

/// Every character any known header wording uses: reading a header cell with only these
/// turns a near miss (火化时问) into the wording itself.
pub fn vocabulary() -> String {
    let mut chars: Vec<char> = SYNONYMS
        .iter()
        .flat_map(|(_, words)| words.iter())
        .chain(SERIAL_HEADERS)
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

/// Maps one header text, with the score of the match.
pub fn map_header(text: &str) -> (ColumnRole, f32) {
    let text: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation())
        .collect();
    if text.is_empty() {
        return (ColumnRole::Unknown, 0.0);
    }
    if SERIAL_HEADERS.iter().any(|s| overlap(&text, s) >= 0.99) {
        return (ColumnRole::Serial, 1.0);
    }
    let mut best = (ColumnRole::Unknown, 0.0f32);
    for (field, words) in SYNONYMS {
        for w in *words {
            let s = overlap(&text, w);
            if s > best.1 {
                best = (ColumnRole::Field(*field), s);
            }
        }
    }
    if best.1 >= 0.5 {
        best
    } else if SERIAL_HEADERS.iter().any(|s| overlap(&text, s) >= 0.5) {
        (ColumnRole::Serial, 0.5)
    } else {
        (ColumnRole::Unknown, best.1)
    }
}

/// Maps a whole header row; a field claimed by two columns goes to the better match and
/// the other column is kept as unknown.
pub fn map_headers(texts: &[String]) -> Vec<ColumnRole> {
    let mut mapped: Vec<(ColumnRole, f32)> = texts.iter().map(|t| map_header(t)).collect();
    for i in 0..mapped.len() {
        for j in 0..mapped.len() {
            // On a tie the earlier column keeps the field.
            let j_wins = mapped[j].1 > mapped[i].1 || (mapped[j].1 == mapped[i].1 && j < i);
            if i != j && mapped[i].0 == mapped[j].0 && matches!(mapped[i].0, ColumnRole::Field(_)) && j_wins {
                mapped[i].0 = ColumnRole::Unknown;
            }
        }
    }
    mapped.into_iter().map(|(r, _)| r).collect()
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
    }

    #[test]
    fn a_field_claimed_twice_goes_to_the_better_header() {
        let roles = map_headers(&["死亡日期".into(), "死亡时间".into()]);
        assert_eq!(roles[0], ColumnRole::Field(Field::DeathDate));
        assert_eq!(roles[1], ColumnRole::Unknown);
    }
}
