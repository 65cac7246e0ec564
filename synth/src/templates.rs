//! Ledger templates: the column sets, header wordings and date styles of different
//! agencies' ledgers. What a cell says is derived from the canonical fields here, so the
//! page and `truth.jsonl` cannot disagree.

use chrono::Datelike;
use ledgerline_schemas::{codes, date::parse_iso, Field, RecordFields, RecordType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    /// 2012年3月5日
    Chinese,
    /// 2012.03.05
    Dotted,
    /// 2012/3/5
    Slashed,
    /// 2012-03-05
    Iso,
    /// 二〇一二年三月五日
    ChineseNumerals,
}

/// What a column holds: a schema field, or the row's serial number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    Serial,
    Field(Field),
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub content: Content,
    /// Share of the table width.
    pub weight: f32,
}

#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub name: &'static str,
    pub title: &'static str,
    pub record_type: RecordType,
    pub date_style: DateStyle,
    /// Whether ages carry a 岁 suffix.
    pub age_suffix: bool,
    pub columns: &'static [Column],
}

const fn col(header: &'static str, field: Field, weight: f32) -> Column {
    Column {
        header,
        content: Content::Field(field),
        weight,
    }
}

const fn serial(header: &'static str) -> Column {
    Column {
        header,
        content: Content::Serial,
        weight: 0.55,
    }
}

use Field::*;

pub const TEMPLATES: &[Template] = &[
    Template {
        name: "cremation-a",
        title: "遗体火化登记簿",
        record_type: RecordType::Cremation,
        date_style: DateStyle::Chinese,
        age_suffix: false,
        columns: &[
            serial("序号"),
            col("死者姓名", DeceasedName, 1.1),
            col("性别", Gender, 0.55),
            col("年龄", Age, 0.55),
            col("民族", Ethnicity, 0.65),
            col("身份证号", IdNumber, 2.5),
            col("死亡日期", DeathDate, 1.8),
            col("火化日期", CremationDate, 1.8),
            col("户籍地址", HouseholdAddress, 3.4),
            col("家属姓名", FamilyName, 1.0),
            col("联系电话", FamilyPhone, 1.7),
        ],
    },
    Template {
        name: "cremation-b",
        title: "火化登记表",
        record_type: RecordType::Cremation,
        date_style: DateStyle::Dotted,
        age_suffix: true,
        columns: &[
            serial("编号"),
            col("逝者姓名", DeceasedName, 1.1),
            col("性别", Gender, 0.55),
            col("年龄", Age, 0.7),
            col("公民身份号码", IdNumber, 2.5),
            col("死亡时间", DeathDate, 1.4),
            col("火化时间", CremationDate, 1.4),
            col("死亡原因", DeathCause, 1.2),
            col("住址", HouseholdAddress, 3.3),
            col("经办人", FamilyName, 1.0),
            col("关系", FamilyRelation, 0.7),
            col("火化证号", CremationCertNo, 1.3),
            // What a certificate stub register notes beside a number: 作废, 补发.
            col("备注", CremationCertStatus, 0.8),
        ],
    },
    Template {
        name: "burial-a",
        title: "公墓安葬登记簿",
        record_type: RecordType::Burial,
        date_style: DateStyle::Slashed,
        age_suffix: false,
        columns: &[
            serial("序号"),
            col("姓名", DeceasedName, 1.1),
            col("性别", Gender, 0.55),
            col("身份证号码", IdNumber, 2.5),
            col("逝世日期", DeathDate, 1.4),
            col("安葬日期", BurialDate, 1.4),
            col("墓穴编号", GraveNumber, 1.5),
            col("家庭住址", HouseholdAddress, 3.3),
            col("购墓人", FamilyName, 1.0),
            col("联系电话", FamilyPhone, 1.7),
        ],
    },
    Template {
        name: "burial-b",
        title: "骨灰安葬登记表",
        record_type: RecordType::Burial,
        date_style: DateStyle::Iso,
        age_suffix: false,
        columns: &[
            col("亡者姓名", DeceasedName, 1.1),
            col("性别", Gender, 0.55),
            col("出生日期", BirthDate, 1.4),
            col("卒日", DeathDate, 1.4),
            col("落葬日期", BurialDate, 1.4),
            col("墓位号", GraveNumber, 1.5),
            col("公墓", CemeteryName, 1.3),
            col("户口所在地", HouseholdAddress, 3.3),
            col("承办人", FamilyName, 1.0),
            col("与逝者关系", FamilyRelation, 0.9),
        ],
    },
    Template {
        name: "cremation-c",
        title: "殡仪馆火化记录",
        record_type: RecordType::Cremation,
        date_style: DateStyle::ChineseNumerals,
        age_suffix: true,
        columns: &[
            serial("序号"),
            col("姓名", DeceasedName, 1.1),
            col("性别", Gender, 0.55),
            col("年龄", Age, 0.7),
            col("身份证号码", IdNumber, 2.5),
            col("死亡日期", DeathDate, 2.6),
            col("死亡地点", DeathPlace, 1.2),
            col("火化日期", CremationDate, 2.6),
            col("骨灰去向", AshesDisposition, 1.0),
            col("承办人", FamilyName, 1.0),
            col("电话", FamilyPhone, 1.7),
        ],
    },
];

pub fn by_name(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}

const CN_DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

fn cn_small(n: u32) -> String {
    // 1..=31 the way dates write them: 五, 十, 十二, 二十, 二十五, 三十一.
    let (tens, ones) = (n / 10, n % 10);
    let mut s = String::new();
    if tens > 1 {
        s.push(CN_DIGITS[tens as usize]);
    }
    if tens > 0 {
        s.push('十');
    }
    if ones > 0 {
        s.push(CN_DIGITS[ones as usize]);
    }
    s
}

/// A canonical date as the ledger writes it.
pub fn write_date(iso: &str, style: DateStyle) -> String {
    let d = parse_iso(iso).expect("canonical date");
    let (y, m, day) = (d.year(), d.month(), d.day());
    match style {
        DateStyle::Chinese => format!("{y}年{m}月{day}日"),
        DateStyle::Dotted => format!("{y}.{m:02}.{day:02}"),
        DateStyle::Slashed => format!("{y}/{m}/{day}"),
        DateStyle::Iso => iso.to_string(),
        DateStyle::ChineseNumerals => {
            let year: String = y
                .to_string()
                .chars()
                .map(|c| CN_DIGITS[c.to_digit(10).unwrap() as usize])
                .collect();
            format!("{year}年{}月{}日", cn_small(m), cn_small(day))
        }
    }
}

impl Template {
    /// The text written in a cell for `field`, or `None` for a blank cell.
    pub fn cell_text(&self, field: Field, fields: &RecordFields) -> Option<String> {
        let value = fields.get(field)?;
        Some(match field {
            Gender => codes::gender_name(&value)?.to_string(),
            Ethnicity => codes::ethnicity_name(&value)?.trim_end_matches('族').to_string(),
            CremationCertStatus => codes::cert_status_name(&value)?.to_string(),
            Age if self.age_suffix => format!("{value}岁"),
            f if f.is_date() => write_date(&value, self.date_style),
            _ => value,
        })
    }

    /// The fields this template writes.
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.columns.iter().filter_map(|c| match c.content {
            Content::Field(f) => Some(f),
            Content::Serial => None,
        })
    }

    /// The canonical truth for what this template writes of `fields`.
    pub fn truth(&self, fields: &RecordFields) -> RecordFields {
        let mut out = RecordFields::default();
        for f in self.fields() {
            out.set(f, fields.get(f).as_deref()).expect("same field type");
        }
        out.agency_name = fields.agency_name.clone();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_style() {
        assert_eq!(write_date("2012-03-05", DateStyle::Chinese), "2012年3月5日");
        assert_eq!(write_date("2012-03-05", DateStyle::Dotted), "2012.03.05");
        assert_eq!(write_date("2012-03-05", DateStyle::Slashed), "2012/3/5");
        assert_eq!(
            write_date("2012-12-25", DateStyle::ChineseNumerals),
            "二〇一二年十二月二十五日"
        );
        assert_eq!(
            write_date("2010-10-10", DateStyle::ChineseNumerals),
            "二〇一〇年十月十日"
        );
        assert_eq!(
            write_date("2013-01-31", DateStyle::ChineseNumerals),
            "二〇一三年一月三十一日"
        );
    }

    #[test]
    fn at_least_four_templates_of_both_kinds() {
        assert!(TEMPLATES.len() >= 4);
        assert!(TEMPLATES.iter().any(|t| t.record_type == RecordType::Burial));
        assert!(TEMPLATES.iter().any(|t| t.record_type == RecordType::Cremation));
    }
}
