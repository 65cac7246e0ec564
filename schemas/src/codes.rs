//! National code tables: GB/T 2261.1 (sex), GB/T 3304 (ethnicity), ID document types and
//! GB/T 2260 (administrative divisions, with the revision years each code was seen in).

use std::collections::HashMap;
use std::sync::OnceLock;

/// GB/T 2261.1 sex codes.
pub const GENDERS: [(&str, &str); 4] = [("0", "未知的性别"), ("1", "男"), ("2", "女"), ("9", "未说明的性别")];

/// GB/T 3304 ethnicity codes: numeric code, name, two-letter (romanized) code.
pub const ETHNICITIES: [(&str, &str, &str); 58] = [
    ("01", "汉族", "HA"),
    ("02", "蒙古族", "MG"),
    ("03", "回族", "HU"),
    ("04", "藏族", "ZA"),
    ("05", "维吾尔族", "UG"),
    ("06", "苗族", "MH"),
    ("07", "彝族", "YI"),
    ("08", "壮族", "ZH"),
    ("09", "布依族", "BY"),
    ("10", "朝鲜族", "CS"),
    ("11", "满族", "MA"),
    ("12", "侗族", "DO"),
    ("13", "瑶族", "YA"),
    ("14", "白族", "BA"),
    ("15", "土家族", "TJ"),
    ("16", "哈尼族", "HN"),
    ("17", "哈萨克族", "KZ"),
    ("18", "傣族", "DA"),
    ("19", "黎族", "LI"),
    ("20", "傈僳族", "LS"),
    ("21", "佤族", "VA"),
    ("22", "畲族", "SH"),
    ("23", "高山族", "GS"),
    ("24", "拉祜族", "LH"),
    ("25", "水族", "SU"),
    ("26", "东乡族", "DX"),
    ("27", "纳西族", "NX"),
    ("28", "景颇族", "JP"),
    ("29", "柯尔克孜族", "KG"),
    ("30", "土族", "TU"),
    ("31", "达斡尔族", "DU"),
    ("32", "仫佬族", "ML"),
    ("33", "羌族", "QI"),
    ("34", "布朗族", "BL"),
    ("35", "撒拉族", "SL"),
    ("36", "毛南族", "MN"),
    ("37", "仡佬族", "GL"),
    ("38", "锡伯族", "XB"),
    ("39", "阿昌族", "AC"),
    ("40", "普米族", "PM"),
    ("41", "塔吉克族", "TA"),
    ("42", "怒族", "NU"),
    ("43", "乌孜别克族", "UZ"),
    ("44", "俄罗斯族", "RS"),
    ("45", "鄂温克族", "EW"),
    ("46", "德昂族", "DE"),
    ("47", "保安族", "BN"),
    ("48", "裕固族", "YG"),
    ("49", "京族", "GI"),
    ("50", "塔塔尔族", "TT"),
    ("51", "独龙族", "DR"),
    ("52", "鄂伦春族", "OR"),
    ("53", "赫哲族", "HZ"),
    ("54", "门巴族", "MB"),
    ("55", "珞巴族", "LB"),
    ("56", "基诺族", "JN"),
    ("97", "其他", ""),
    ("98", "外国血统中国籍人士", ""),
];

/// ID document types (public-security style). Other target systems use other lists; the
/// mapping to each lives with that target's loader.
pub const ID_TYPES: [(&str, &str); 5] = [
    ("111", "居民身份证"),
    ("113", "户口簿"),
    ("414", "普通护照"),
    ("513", "往来港澳通行证"),
    ("990", "其他"),
];

/// The lifecycle of a cremation certificate (火化证明): issued, reissued to replace a
/// lost one (补发), voided (作废, a spoiled form or a certificate withdrawn). The live
/// systems keep a certificate table with reissue and void columns; a voided
/// certificate's number stays on record.
pub const CERT_STATUSES: [(&str, &str); 3] = [("issued", "签发"), ("reissued", "补发"), ("voided", "作废")];

pub fn cert_status_name(code: &str) -> Option<&'static str> {
    CERT_STATUSES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The code of the entry of a code table (code, name) that `written` is: its code or its
/// name, written exactly.
pub fn code_written_as(table: &[(&'static str, &'static str)], written: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(code, name)| written == *code || written == *name)
        .map(|(code, _)| *code)
}

/// A certificate's status as a ledger or a person writes it: 作废, 已作废 → `voided`;
/// 补发, 补办 → `reissued`; 签发, 已发, 正常 → `issued`; or the code itself.
pub fn written_cert_status(written: &str) -> Option<&'static str> {
    let w = written.trim();
    code_written_as(&CERT_STATUSES, w).or(match w {
        "已作废" | "废" | "作废证" => Some("voided"),
        "补" | "补办" | "补证" | "已补发" => Some("reissued"),
        "已签发" | "已发" | "发放" | "正常" => Some("issued"),
        _ => None,
    })
}

pub fn gender_name(code: &str) -> Option<&'static str> {
    GENDERS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

pub fn ethnicity_name(code: &str) -> Option<&'static str> {
    ETHNICITIES.iter().find(|(c, ..)| *c == code).map(|(_, n, _)| *n)
}

/// The GB/T 3304 code for an ethnicity as written: `汉`, `汉族`, `HA`, `1` or `01`.
pub fn ethnicity_code(written: &str) -> Option<&'static str> {
    let w = written.trim();
    ETHNICITIES
        .iter()
        .find(|(code, name, alpha)| {
            w == *code
                || w == *name
                || w == name.trim_end_matches('族')
                || (!alpha.is_empty() && w.eq_ignore_ascii_case(alpha))
                || (w.len() == 1 && code.strip_prefix('0') == Some(w))
        })
        .map(|(c, ..)| *c)
}

pub fn id_type_name(code: &str) -> Option<&'static str> {
    ID_TYPES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// An ID document type as a form or a system's export writes it: its code, its name, or
/// the short names people use (身份证 → `111`, 户口本 → `113`, 护照 → `414`).
pub fn written_id_type(written: &str) -> Option<&'static str> {
    let w = written.trim();
    code_written_as(&ID_TYPES, w).or(match w {
        "身份证" | "二代身份证" => Some("111"),
        "户口本" => Some("113"),
        "护照" => Some("414"),
        "港澳通行证" | "港澳居民来往内地通行证" => Some("513"),
        _ => None,
    })
}

/// One GB/T 2260 division and the span of revisions in which its code appears.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub code: u32,
    pub name: String,
    pub first_seen: u16,
    pub last_seen: u16,
}

/// Year of the newest revision in the table: a code seen then is taken as still current.
pub const LATEST_REVISION: u16 = 2019;

const GB2260_TSV: &str = include_str!("../data/gb2260.tsv");

fn divisions() -> &'static HashMap<u32, Division> {
    static TABLE: OnceLock<HashMap<u32, Division>> = OnceLock::new();
    TABLE.get_or_init(|| {
        GB2260_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let mut cols = l.split('\t');
                let mut next = || cols.next().expect("gb2260.tsv has four columns");
                let code: u32 = next().parse().expect("numeric code");
                let name = next().to_string();
                let first_seen = next().parse().expect("year");
                let last_seen = next().parse().expect("year");
                (
                    code,
                    Division {
                        code,
                        name,
                        first_seen,
                        last_seen,
                    },
                )
            })
            .collect()
    })
}

/// Looks up a six-digit division code in any revision.
pub fn division(code: &str) -> Option<&'static Division> {
    if code.len() != 6 {
        return None;
    }
    divisions().get(&code_number(code)?)
}

/// The number a string of ASCII digits writes (`None` for anything else, a sign too).
fn code_number(digits: &str) -> Option<u32> {
    digits
        .bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| digits.parse().ok())?
}

/// The province (`XX0000`) and prefecture (`XXXX00`) a division belongs to, where known.
pub fn parents(code: &str) -> (Option<&'static Division>, Option<&'static Division>) {
    if code.len() < 4 {
        return (None, None);
    }
    // Looked up by number: every record's address is stripped of these when it is
    // prepared for linkage, and two codes written out to look them up were two
    // allocations a record.
    let scaled = |digits: &str, scale: u32| divisions().get(&(code_number(digits)? * scale));
    (scaled(&code[..2], 10_000), scaled(&code[..4], 100))
}

/// Every division code, for generators that need real places.
pub fn all_divisions() -> impl Iterator<Item = &'static Division> {
    divisions().values()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethnicity_forms_fold_to_code() {
        assert_eq!(ethnicity_code("汉"), Some("01"));
        assert_eq!(ethnicity_code("汉族"), Some("01"));
        assert_eq!(ethnicity_code("ha"), Some("01"));
        assert_eq!(ethnicity_code("1"), Some("01"));
        assert_eq!(ethnicity_code("基诺族"), Some("56"));
        assert_eq!(ethnicity_code("外国血统中国籍人士"), Some("98"));
        assert_eq!(ethnicity_code("火星族"), None);
        assert_eq!(ETHNICITIES.len(), 58);
    }

    #[test]
    fn every_province_and_prefecture_is_present() {
        let provinces = all_divisions().filter(|d| d.code % 10000 == 0).count();
        let prefectures = all_divisions()
            .filter(|d| d.code % 100 == 0 && d.code % 10000 != 0)
            .count();
        assert!(provinces >= 34, "{provinces} provinces");
        assert!(prefectures >= 330, "{prefectures} prefectures");
        assert_eq!(division("370112").unwrap().name, "历城区");
        let (p, c) = parents("370112");
        assert_eq!(p.unwrap().name, "山东省");
        assert_eq!(c.unwrap().name, "济南市");
        assert!(division("379999").is_none());
        assert!(division("37011").is_none());
    }
}
