//! Where a row's cremation certificate stands. A certificate stub register notes a
//! spoiled or withdrawn certificate as 作废 and a replacement for a lost one as 补发,
//! in a column of its own (证明状态) or, more often, in the ledger's 备注: a voided
//! certificate's row is not a second death, and its number must not pass for a live one.

use ledgerline_schemas::codes::{cert_status_name, written_cert_status, CERT_STATUSES};

/// The statuses a remark notes, the reissue first: a remark that names both (原证作废，
/// 补发) is about the reissue on this row. That a certificate was issued goes unsaid.
const NOTED: [&str; 2] = ["reissued", "voided"];

/// A status column's reading: the status, with how far normalization trusts it (1 for a
/// written form read as it is, [`super::extract::UNUSUAL`] for one a character off, or
/// for text that is no status, kept as read for validation to name).
pub(crate) fn status_written(text: &str, unusual: f32) -> (Option<String>, f32) {
    if text.is_empty() {
        return (None, 1.0);
    }
    if let Some(code) = written_cert_status(text) {
        return (Some(code.into()), 1.0);
    }
    // The words a status is written in, for snapping a misread one (作度 → 作废).
    let words = CERT_STATUSES.map(|(_, word)| word);
    match crate::vocab::snap(text, &words).and_then(written_cert_status) {
        Some(code) => (Some(code.into()), unusual),
        None => (Some(text.into()), unusual),
    }
}

/// The status a remark (备注) gives, if it gives one: a remark saying 作废 or 补发
/// (alone or among other words, 补发，原证遗失), or a remark of one status word misread
/// by a character. A remark about anything else gives none.
pub(crate) fn status_in_remark(text: &str, unusual: f32) -> Option<(String, f32)> {
    let words = NOTED.map(|code| cert_status_name(code).expect("a certificate status"));
    if let Some(i) = words.iter().position(|word| text.contains(word)) {
        return Some((NOTED[i].into(), 1.0));
    }
    let word = crate::vocab::snap(text, &words)?;
    Some((written_cert_status(word)?.into(), unusual))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_column_reads_its_words() {
        assert_eq!(status_written("作废", 0.6), (Some("voided".into()), 1.0));
        assert_eq!(status_written("补发", 0.6), (Some("reissued".into()), 1.0));
        assert_eq!(status_written("作度", 0.6), (Some("voided".into()), 0.6));
        // No status: kept as read, for validation to name and a person to tell.
        assert_eq!(status_written("迁出", 0.6), (Some("迁出".into()), 0.6));
        assert_eq!(status_written("", 0.6), (None, 1.0));
    }

    #[test]
    fn a_remark_gives_a_status_only_when_it_says_one() {
        assert_eq!(status_in_remark("作废", 0.6), Some(("voided".into(), 1.0)));
        assert_eq!(status_in_remark("补发原证遗失", 0.6), Some(("reissued".into(), 1.0)));
        assert_eq!(status_in_remark("原证作废补发", 0.6), Some(("reissued".into(), 1.0)));
        assert_eq!(status_in_remark("补废", 0.6), None, "one off from both words");
        assert_eq!(status_in_remark("补友", 0.6), Some(("reissued".into(), 0.6)));
        assert_eq!(status_in_remark("无", 0.6), None);
        assert_eq!(status_in_remark("已领骨灰", 0.6), None);
    }
}
