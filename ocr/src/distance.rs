//! Character edit distance (Levenshtein over `char`s, not bytes), for scoring readings
//! and for matching them against closed lists of names.

pub fn char_edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row = Vec::new();
    distances_to_prefixes(a, b, &mut row);
    row[b.len()]
}

/// The edit distance from `a` to every prefix of `b` at once: `row[k]` is the distance
/// from `a` to `b[..k]`. `row` is reused between calls.
pub fn distances_to_prefixes(a: &[char], b: &[char], row: &mut Vec<usize>) {
    row.clear();
    row.extend(0..=b.len());
    for (i, ca) in a.iter().enumerate() {
        // `diagonal` is the previous row's value left of the cell being written.
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb)).min(above + 1).min(row[j] + 1);
            diagonal = above;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_to_every_prefix_agree_with_the_whole_distance() {
        let a: Vec<char> = "济宁市兖州区".chars().collect();
        let b: Vec<char> = "济宁市充州区王家庄".chars().collect();
        let mut row = Vec::new();
        distances_to_prefixes(&a, &b, &mut row);
        for k in 0..=b.len() {
            assert_eq!(row[k], char_edit_distance(&a, &b[..k]), "prefix {k}");
        }
        assert_eq!(row[6], 1);
    }
}
