//! An extract's header row: the FIS column each of its cells names. A database export
//! names them as the tables do (`DEAD_ID`, `NAME`, any case); the funeral information
//! system's own "导出Excel" writes the captions its screens show (逝者编号, 逝者姓名,
//! 身份证号码 …), and for many funeral homes that export is the only one they can make.
//! Both are read; a caption is known by its words once spaces, full-width forms, a
//! required-field star, a closing colon and a note in brackets (`出生日期（yyyy-mm-dd）`)
//! are set aside. A header that names one column twice is refused: which of the two
//! cells to read cannot be guessed.

use serde::Serialize;

// Fx, as the rest of the live import: the map is asked for a column a value a row.
use rustc_hash::FxHashMap as HashMap;

/// The columns an import reads, each with the captions that name it. A caption that
/// could name two columns is in neither: 地址 (the deceased's home or the agent's?),
/// 编号 and 序号 (an export's row number is no key: DEAD_ID must be the system's own).
///
/// FIS keeps cremation certificates in a table of their own, whose column names are not
/// known here; its screens' exports of cremations carry the number and its state beside
/// the death, and an extract names them CERT_NO and CERT_STATUS.
const CAPTIONS: [(&str, &[&str]); 25] = [
    (
        "DEAD_ID",
        &[
            "逝者编号",
            "死者编号",
            "亡者编号",
            "遗体编号",
            "业务编号",
            "业务号",
            "登记编号",
            "逝者ID",
        ],
    ),
    ("NAME", &["姓名", "逝者姓名", "死者姓名", "亡者姓名", "遗体姓名"]),
    ("SEX", &["性别", "逝者性别", "死者性别"]),
    ("CARD_TYPE", &["证件类型", "证件类别", "身份证件类型", "逝者证件类型"]),
    (
        "ID_CARD",
        &[
            "身份证号",
            "身份证号码",
            "公民身份号码",
            "证件号码",
            "证件号",
            "逝者身份证号",
            "逝者身份证号码",
            "逝者证件号码",
        ],
    ),
    ("BIRTHDAY", &["出生日期", "出生年月日", "生日"]),
    ("AGE", &["年龄", "享年"]),
    ("FOLK", &["民族"]),
    (
        "POPULACE",
        &[
            "户口所在地",
            "户籍所在地",
            "户籍地址",
            "户籍地",
            "户籍住址",
            "家庭住址",
            "住址",
        ],
    ),
    (
        "POPULACE_CODE",
        &[
            "户口所在地代码",
            "户籍地区划代码",
            "户籍区划代码",
            "行政区划代码",
            "区划代码",
        ],
    ),
    (
        "DEATH_DATE",
        &["死亡日期", "死亡时间", "去世日期", "去世时间", "逝世日期"],
    ),
    ("DEATH_PLACE", &["死亡地点", "死亡地址", "死亡场所"]),
    ("DEATH_CAUSE", &["死亡原因", "死因"]),
    ("IF_NAMELESS", &["无名尸", "是否无名尸", "是否无名", "无名氏"]),
    ("RECEIVE_TIME", &["接运时间", "接收时间", "到馆时间", "入馆时间"]),
    ("START_TIME", &["火化时间", "火化开始时间", "火化日期"]),
    (
        "UNIT_NAME",
        &["殡仪馆", "殡仪馆名称", "火化单位", "服务单位", "单位名称"],
    ),
    ("ASHES_GO", &["骨灰去向", "骨灰处理", "骨灰处理方式"]),
    (
        "CERT_NO",
        &["火化证号", "火化证编号", "火化证明号", "火化证明编号", "火化证明书编号"],
    ),
    ("CERT_STATUS", &["火化证状态", "火化证明状态", "证明状态"]),
    (
        "AGENT_NAME",
        &["承办人", "承办人姓名", "丧事承办人", "经办人", "经办人姓名", "家属姓名"],
    ),
    ("RELATION", &["与逝者关系", "与死者关系", "承办人关系", "关系"]),
    ("MOBIL_PHONE", &["联系电话", "承办人电话", "手机号", "手机号码", "电话"]),
    (
        "AGENT_ID_CARD",
        &[
            "承办人身份证号",
            "承办人身份证号码",
            "承办人证件号码",
            "经办人身份证号",
            "经办人身份证号码",
        ],
    ),
    ("ADDRESS", &["承办人地址", "承办人住址", "联系地址", "家属地址"]),
];

/// A header cell read by its caption: what it says, and the column it is taken as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caption {
    pub caption: String,
    pub column: &'static str,
}

/// An extract's header row read: where each column it gives is, and what of it was read
/// by caption or not at all.
#[derive(Debug, Default)]
pub struct Header {
    /// The position of each column the extract gives, by its FIS name.
    pub columns: HashMap<&'static str, usize>,
    /// The cells read by their caption, left to right.
    pub captions: Vec<Caption>,
    /// The cells that name no column an import reads, as written (empty ones left out).
    pub not_read: Vec<String>,
}

impl Header {
    /// The header row's cells, left to right; an `Err` names two cells that give the
    /// same column.
    pub fn read<'a>(cells: impl IntoIterator<Item = &'a str>) -> Result<Header, String> {
        let mut header = Header::default();
        let cells: Vec<&str> = cells.into_iter().map(str::trim).collect();
        for (at, &cell) in cells.iter().enumerate() {
            let Some((column, by_caption)) = column_of(cell) else {
                if !cell.is_empty() {
                    header.not_read.push(cell.to_string());
                }
                continue;
            };
            if let Some(first) = header.columns.insert(column, at) {
                return Err(format!(
                    "the columns {:?} and {cell:?} both give {column}: keep one of them in the extract",
                    cells[first]
                ));
            }
            if by_caption {
                header.captions.push(Caption {
                    caption: cell.to_string(),
                    column,
                });
            }
        }
        Ok(header)
    }

    pub fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }
}

/// The column a header cell names, and whether by a caption (`false`: by its own name).
pub fn column_of(cell: &str) -> Option<(&'static str, bool)> {
    let cell = cell.trim();
    if let Some((column, _)) = CAPTIONS.iter().find(|(c, _)| c.eq_ignore_ascii_case(cell)) {
        return Some((column, false));
    }
    let words = caption_words(cell);
    CAPTIONS
        .iter()
        .find(|(_, captions)| captions.contains(&words.as_str()))
        .map(|(column, _)| (*column, true))
}

/// The captions that name `column`, for an error that asks for it.
pub fn captions_of(column: &str) -> &'static [&'static str] {
    CAPTIONS
        .iter()
        .find(|(c, _)| *c == column)
        .map_or(&[], |(_, captions)| captions)
}

/// A caption's words: full-width letters and signs folded to ASCII, spaces (ideographic
/// ones too) and a required-field star dropped, a closing colon and a bracketed note
/// after the words cut off (`*出生日期（yyyy-mm-dd）：` → `出生日期`), letters uppercased.
fn caption_words(cell: &str) -> String {
    let folded: String = cell
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            c => c.to_ascii_uppercase(),
        })
        .filter(|c| !c.is_whitespace() && *c != '*')
        .collect();
    let words = folded.trim_end_matches(':');
    let words = match words.find('(') {
        Some(at) if at > 0 && words.ends_with(')') => &words[..at],
        _ => words,
    };
    words.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fixture in, column out: the cells as exports write them.
    #[test]
    fn captions_are_read_as_the_columns_they_name() {
        let cases = [
            ("DEAD_ID", Some(("DEAD_ID", false))),
            (" dead_id ", Some(("DEAD_ID", false))),
            ("Mobil_Phone", Some(("MOBIL_PHONE", false))),
            ("逝者姓名", Some(("NAME", true))),
            ("姓 名", Some(("NAME", true))),
            ("*身份证号码", Some(("ID_CARD", true))),
            ("出生日期（yyyy-mm-dd）", Some(("BIRTHDAY", true))),
            ("出生日期(YYYY-MM-DD)：", Some(("BIRTHDAY", true))),
            ("死亡时间:", Some(("DEATH_DATE", true))),
            ("承办人身份证号", Some(("AGENT_ID_CARD", true))),
            ("与逝者关系", Some(("RELATION", true))),
            ("逝者ＩＤ", Some(("DEAD_ID", true))),
            ("序号", None),
            ("编号", None),
            ("地址", None),
            ("备注", None),
            ("(空)", None),
        ];
        for (cell, column) in cases {
            assert_eq!(column_of(cell), column, "{cell:?}");
        }
    }

    #[test]
    fn no_caption_names_two_columns() {
        let mut seen = HashMap::default();
        for (column, captions) in CAPTIONS {
            for caption in captions {
                assert_eq!(caption_words(caption), *caption, "a caption is kept in its folded form");
                if let Some(other) = seen.insert(*caption, column) {
                    panic!("{caption} names both {other} and {column}");
                }
            }
        }
    }

    #[test]
    fn a_header_reads_captions_and_names_and_lists_what_it_does_not_read() {
        let header = Header::read(["序号", "逝者编号", "NAME", "性别", "火化炉号", "", "联系电话"]).unwrap();
        let at = |c: &str| header.columns.get(c).copied();
        assert_eq!(
            (at("DEAD_ID"), at("NAME"), at("SEX"), at("MOBIL_PHONE"), at("AGE")),
            (Some(1), Some(2), Some(3), Some(6), None)
        );
        let captions: Vec<(&str, &str)> = header.captions.iter().map(|c| (c.caption.as_str(), c.column)).collect();
        assert_eq!(
            captions,
            [("逝者编号", "DEAD_ID"), ("性别", "SEX"), ("联系电话", "MOBIL_PHONE")]
        );
        assert_eq!(header.not_read, ["序号", "火化炉号"]);
    }

    #[test]
    fn a_column_named_twice_is_refused_naming_both_cells() {
        let e = Header::read(["DEAD_ID", "姓名", "逝者姓名"]).unwrap_err();
        assert_eq!(
            e,
            "the columns \"姓名\" and \"逝者姓名\" both give NAME: keep one of them in the extract"
        );
        assert!(Header::read(["DEAD_ID", "name", "NAME"]).is_err());
    }
}
