//! Characters OCR (and hurried keyers) confuse in names: groups of look-alike glyphs.
//! One table serves linkage (a look-alike difference is weak evidence against a match),
//! search (a name is also indexed by its shapes, so 王秀荚 finds 王秀英) and the synthetic
//! OCR noise. Groups are disjoint: every character has at most one shape, the group's
//! first character.

/// Look-alike groups, covering most characters of given names and the common confusions
/// of printed and handwritten ledgers.
pub const GROUPS: &[&str] = &[
    "己已巳",
    "未末",
    "戊戌戍",
    "与写",
    "土士",
    "日曰",
    "人入八",
    "王玉主",
    "大太犬",
    "天夭",
    "千干于",
    "田由甲申",
    "贝见",
    "兰半",
    "凤风",
    "春舂",
    "刀力",
    "木本术",
    "白自",
    "今令",
    "免兔",
    "候侯",
    "壁璧",
    "梁粱",
    "淑椒",
    "秀季委",
    "英荚",
    "华毕",
    "莲连",
    "玲铃",
    "娟涓",
    "芳方",
    "兴举",
    "国固困",
    "明朋",
    "建健",
    "军车",
    "志忐",
    "文丈",
    "德徳",
    "福幅副",
    "忠患",
    "永水求",
    "林材",
    "海梅悔",
    "强弹",
    "平乎",
    "生牛",
    "成咸",
    "荣荧莹",
    "庆厌",
    "祥样详",
    "贵责",
    "富冨",
    "宝宦",
    "金全",
    "山凶",
    "长斥",
    "胜性姓",
    "树对",
    "学字",
    "东乐",
    "振赈",
    "广厂",
    "顺须",
    "清请情晴",
    "正止",
    "新斯",
    "友支反发",
    "和知",
    "洪供",
    "恩思息",
    "俊浚竣",
    "维唯推",
    "家冢",
    "传转",
    "汉议",
    "仁什",
    "义叉",
    "礼札",
    "珍诊",
    "桂挂",
    "琴琹",
    "霞震",
    "丽两",
    "红江",
    "云去",
    "萍苹",
    "美姜",
    "翠萃",
    "香杳",
    "菊鞠",
    "敏繁",
    "静净",
    "洁沽",
    "惠慧",
    "巧朽",
    "彩采",
    "爱受",
    "月用",
    "素索",
    "银根",
    "花化",
    "丹舟",
    "贞页",
    "芬芥",
    "霜箱",
    "兵乒",
    "坤伸",
    "宁丁",
    "子孑",
    "小少",
    "元无",
];

/// Every grouped character with its group's first character, sorted for binary search.
fn table() -> &'static [(char, char)] {
    static TABLE: std::sync::OnceLock<Vec<(char, char)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t: Vec<(char, char)> = GROUPS
            .iter()
            .flat_map(|g| {
                let first = g.chars().next().expect("non-empty group");
                g.chars().map(move |c| (c, first))
            })
            .collect();
        t.sort_unstable();
        t.dedup_by_key(|e| e.0);
        t
    })
}

/// The shape a character is read as: its group's first character, or itself.
pub fn shape(c: char) -> char {
    let t = table();
    match t.binary_search_by_key(&c, |e| e.0) {
        Ok(i) => t[i].1,
        Err(_) => c,
    }
}

/// Whether two different characters are easily read one for the other.
pub fn lookalike(a: char, b: char) -> bool {
    a != b && shape(a) == shape(b)
}

/// The characters `c` is easily misread as (empty when it has no look-alike).
pub fn confusions(c: char) -> impl Iterator<Item = char> {
    GROUPS
        .iter()
        .find(|g| g.contains(c))
        .into_iter()
        .flat_map(|g| g.chars())
        .filter(move |x| *x != c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_disjoint() {
        let mut seen = std::collections::HashMap::new();
        for g in GROUPS {
            assert!(g.chars().count() >= 2, "{g}: a group needs two characters");
            for c in g.chars() {
                if let Some(other) = seen.insert(c, *g) {
                    panic!("{c} is in both {other} and {g}");
                }
            }
        }
    }

    #[test]
    fn shapes_and_confusions() {
        assert_eq!(shape('荚'), '英');
        assert_eq!(shape('英'), '英');
        assert_eq!(shape('张'), '张');
        assert!(lookalike('己', '巳') && lookalike('英', '荚'));
        assert!(!lookalike('英', '英') && !lookalike('张', '章'));
        assert_eq!(confusions('季').collect::<String>(), "秀委");
        assert_eq!(confusions('张').count(), 0);
    }
}
