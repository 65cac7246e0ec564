//! Field comparisons: each field of a pair falls into one level, from "unknown" (a side
//! is blank or a placeholder: no evidence either way) through "different" to "exact".
//! Levels are small integers so a pair's whole comparison packs into one `u32`.

use crate::normalize::{Day, IdNo, Prepared};
use ledgerline_schemas::lookalike::lookalike;

/// The compared fields, in pattern order (4 bits each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CompareField {
    Name,
    IdNumber,
    BirthDate,
    DeathDate,
    Gender,
    Address,
    FamilyName,
}

impl CompareField {
    pub const ALL: [CompareField; 7] = [
        CompareField::Name,
        CompareField::IdNumber,
        CompareField::BirthDate,
        CompareField::DeathDate,
        CompareField::Gender,
        CompareField::Address,
        CompareField::FamilyName,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CompareField::Name => "deceased_name",
            CompareField::IdNumber => "id_number",
            CompareField::BirthDate => "birth_date",
            CompareField::DeathDate => "death_date",
            CompareField::Gender => "gender",
            CompareField::Address => "household_address",
            CompareField::FamilyName => "family_name",
        }
    }

    /// The level labels, index = level; level 0 is always "unknown".
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            CompareField::Name => &[
                "unknown",
                "different",
                "one character different",
                "same pinyin, look-alike or placeholder",
                "exact",
            ],
            CompareField::IdNumber => &[
                "unknown",
                "different",
                "two characters, a checksum failing",
                "one character (OCR confusion or transposition)",
                "exact",
            ],
            CompareField::BirthDate | CompareField::DeathDate => &[
                "unknown",
                "different",
                "within a year",
                "day/month swapped or one digit off",
                "exact",
            ],
            CompareField::Gender => &["unknown", "different", "same"],
            CompareField::Address | CompareField::FamilyName => &["unknown", "different", "similar", "exact"],
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// A pair of names compared character by character, `?` matching anything.
pub fn compare_name(a: &str, b: &str) -> u8 {
    if blank(a.chars()) || blank(b.chars()) {
        return 0;
    }
    if a == b {
        return 4;
    }
    // No allocation: names are a few characters and this runs for every candidate pair.
    let (na, nb) = (a.chars().count(), b.chars().count());
    if na == nb {
        let mut soft = 0; // placeholder or look-alike positions
        let mut hard = 0;
        for (x, y) in a.chars().zip(b.chars()) {
            if x == y {
                continue;
            }
            if x == '?' || y == '?' || lookalike(x, y) {
                soft += 1;
            } else {
                hard += 1;
            }
        }
        return match (hard, soft) {
            (0, 0..=1) => 3,
            (1, 0) => 2,
            (0, 2) if na >= 3 => 2,
            _ => 1,
        };
    }
    // One character more or less (a dropped or doubled character).
    if na.abs_diff(nb) == 1 && na.min(nb) >= 2 && strsim::levenshtein(a, b) == 1 {
        return 2;
    }
    1
}

/// Names whose pinyin agrees (homophones typed for untypable characters) count as
/// "same pinyin": checked after the character comparison says "different" or "one off".
pub fn compare_name_with_pinyin(a: &Prepared, b: &Prepared) -> u8 {
    let level = compare_name(&a.name, &b.name);
    if (level == 1 || level == 2) && a.pinyin == b.pinyin {
        return 3;
    }
    level
}

fn confusable(x: u8, y: u8) -> bool {
    ledgerline_schemas::id_number::confusable(x as char, y as char)
}

pub fn compare_id(a: Option<IdNo>, b: Option<IdNo>) -> u8 {
    let (Some(a), Some(b)) = (a, b) else { return 0 };
    // The check character of a first-generation number is unknown ('?').
    let same = |i: usize| a.bytes[i] == b.bytes[i] || (i == 17 && (a.bytes[i] == b'?' || b.bytes[i] == b'?'));
    let mut diffs = [0usize; 2];
    let mut n = 0;
    for i in (0..18).filter(|&i| !same(i)) {
        if n < 2 {
            diffs[n] = i;
        }
        n += 1;
    }
    let [i, j] = diffs;
    let transposed = n == 2 && j == i + 1 && a.bytes[i] == b.bytes[j] && a.bytes[j] == b.bytes[i];
    match n {
        0 => 4,
        1 if confusable(a.bytes[i], b.bytes[i]) || !(a.valid && b.valid) => 3,
        2 if transposed => 3,
        // Birth-date digits agreeing is not counted here: birth_date already counts it.
        2 if !(a.valid && b.valid) => 2,
        _ => 1,
    }
}

pub fn compare_date(a: Option<Day>, b: Option<Day>) -> u8 {
    let (Some(a), Some(b)) = (a, b) else { return 0 };
    if a.ymd == b.ymd {
        return 4;
    }
    let (ya, ma, da) = (a.ymd / 10_000, a.ymd / 100 % 100, a.ymd % 100);
    let (yb, mb, db) = (b.ymd / 10_000, b.ymd / 100 % 100, b.ymd % 100);
    let swapped = ya == yb && ma == db && da == mb;
    let digits_off = digit_differences(a.ymd, b.ymd) == 1;
    if swapped || digits_off || (a.days - b.days).abs() == 1 {
        return 3;
    }
    if (a.days - b.days).abs() <= 366 {
        return 2;
    }
    1
}

fn digit_differences(mut a: u32, mut b: u32) -> u32 {
    let mut n = 0;
    for _ in 0..8 {
        n += u32::from(a % 10 != b % 10);
        a /= 10;
        b /= 10;
    }
    n
}

pub fn compare_gender(a: u8, b: u8) -> u8 {
    match (a, b) {
        (0, _) | (_, 0) => 0,
        _ if a == b => 2,
        _ => 1,
    }
}

/// Nothing known: empty, or placeholders only.
fn blank(chars: impl IntoIterator<Item = char>) -> bool {
    chars.into_iter().all(|c| c == '?')
}

/// Addresses (split into characters: [`Prepared`] keeps them so, and every candidate
/// pair and every random pair of the u estimate compares them): exact, similar
/// (Jaro-Winkler ≥ 0.88), different.
pub fn compare_address(a: &[char], b: &[char]) -> u8 {
    if blank(a.iter().copied()) || blank(b.iter().copied()) {
        return 0;
    }
    if a == b {
        return 3;
    }
    if jaro_winkler(a, b) >= 0.88 {
        return 2;
    }
    1
}

/// Jaro-Winkler similarity, as `strsim` computes it, on character slices: each character
/// of `a` takes the first unmatched equal character of `b` within the window. Flags live
/// on the stack for the lengths addresses have, and only the window is scanned.
pub fn jaro_winkler(a: &[char], b: &[char]) -> f64 {
    const STACK: usize = 64;
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let (mut a_stack, mut b_stack) = ([false; STACK], [false; STACK]);
    let (mut a_heap, mut b_heap) = (Vec::new(), Vec::new());
    let (a_flags, b_flags): (&mut [bool], &mut [bool]) = if a.len() <= STACK && b.len() <= STACK {
        (&mut a_stack[..a.len()], &mut b_stack[..b.len()])
    } else {
        a_heap.resize(a.len(), false);
        b_heap.resize(b.len(), false);
        (&mut a_heap, &mut b_heap)
    };
    let mut matches = 0usize;
    for (i, ca) in a.iter().enumerate() {
        let (lo, hi) = (i.saturating_sub(window), (i + window + 1).min(b.len()));
        for j in lo..hi {
            if !b_flags[j] && b[j] == *ca {
                a_flags[i] = true;
                b_flags[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let matched_b = b.iter().zip(b_flags.iter()).filter(|(_, &f)| f).map(|(c, _)| c);
    let matched_a = a.iter().zip(a_flags.iter()).filter(|(_, &f)| f).map(|(c, _)| c);
    let transpositions = matched_a.zip(matched_b).filter(|(x, y)| x != y).count() / 2;
    let m = matches as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + (m - transpositions as f64) / m) / 3.0;
    if jaro > 0.7 {
        let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
        jaro + 0.1 * prefix as f64 * (1.0 - jaro)
    } else {
        jaro
    }
}

/// Family members' names: exact, one character off or look-alike, different.
pub fn compare_family(a: &str, b: &str) -> u8 {
    match compare_name(a, b) {
        0 => 0,
        4 => 3,
        2 | 3 => 2,
        _ => 1,
    }
}

/// A pair's levels, 4 bits a field in [`CompareField::ALL`] order.
pub type Pattern = u32;

pub fn compare(a: &Prepared, b: &Prepared) -> Pattern {
    let levels = [
        compare_name_with_pinyin(a, b),
        compare_id(a.id, b.id),
        compare_date(a.birth, b.birth),
        compare_date(a.death, b.death),
        compare_gender(a.gender, b.gender),
        compare_address(&a.address, &b.address),
        compare_family(&a.family, &b.family),
    ];
    levels
        .iter()
        .enumerate()
        .fold(0, |p, (i, &l)| p | (u32::from(l) << (4 * i)))
}

/// Compares each packed pair of `pairs` (see [`crate::blocking::pack`]) into `out`.
///
/// Candidate pairs come sorted, so one side of each pair is the record of the pair
/// before or near it, but the other is anywhere among a million: comparing waited on
/// memory more than it compared. The records a few pairs ahead are asked for early
/// (their place, then what their strings point to), and are at hand when their turn
/// comes.
pub fn compare_pairs(records: &[Prepared], pairs: &[u64], out: &mut [Pattern]) {
    const AHEAD: usize = 8;
    let record = |p: u64| {
        let (a, b) = crate::blocking::unpack(p);
        (&records[a as usize], &records[b as usize])
    };
    for (i, (&p, out)) in pairs.iter().zip(out.iter_mut()).enumerate() {
        if let Some(&far) = pairs.get(i + 2 * AHEAD) {
            let (a, b) = record(far);
            prefetch(a);
            prefetch(b);
        }
        if let Some(&near) = pairs.get(i + AHEAD) {
            let (a, b) = record(near);
            a.prefetch_text();
            b.prefetch_text();
        }
        let (a, b) = record(p);
        *out = compare(a, b);
    }
}

/// Asks for the cache line holding `value`, without waiting for it.
pub(crate) fn prefetch<T>(value: &T) {
    prefetch_at((value as *const T).cast());
}

/// Asks for the cache line at `address`, without waiting for it (nothing is read: any
/// address will do, a dangling one of an empty string too).
pub(crate) fn prefetch_at(address: *const u8) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: SSE is part of every x86-64 processor, and a prefetch reads nothing
        // and cannot fault, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(address.cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

pub fn level(pattern: Pattern, field: CompareField) -> u8 {
    ((pattern >> (4 * field.index())) & 0xf) as u8
}

/// What a pair's `pattern` says of `field`, in words (`exact`, `one character
/// different` ...).
pub fn level_name(pattern: Pattern, field: CompareField) -> &'static str {
    field.levels()[level(pattern, field) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reaching ahead changes nothing: each pair gets the comparison of its own two
    /// records, at the start, the middle and the end of the list (where nothing is ahead).
    #[test]
    fn each_pair_compared_ahead_gets_its_own_pattern() {
        let records: Vec<Prepared> = ledgerline_synth::records::generate_records(3000, 5)
            .iter()
            .map(|r| Prepared::new(&r.fields))
            .collect();
        let n = records.len() as u32;
        let pairs: Vec<u64> = (0..n - 1)
            .map(|a| crate::blocking::pack(a, a + 1 + (a * 7919) % (n - a - 1)))
            .collect();
        let mut out = vec![0; pairs.len()];
        compare_pairs(&records, &pairs, &mut out);
        for (&p, &pattern) in pairs.iter().zip(&out) {
            let (a, b) = crate::blocking::unpack(p);
            assert_eq!(
                pattern,
                compare(&records[a as usize], &records[b as usize]),
                "pair {a}-{b}"
            );
        }
        assert!(out.iter().any(|&p| p != out[0]), "the pairs differ");
    }

    fn id(s: &str) -> Option<IdNo> {
        IdNo::parse(s)
    }

    #[test]
    fn jaro_winkler_agrees_with_strsim() {
        // Strings from a small alphabet, so that matches, transpositions and windows all
        // occur; lengths past the stack buffer too.
        let alphabet: Vec<char> = "济南市历城区山大路甲乙?".chars().collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for _ in 0..20_000 {
            let len = |next: &mut dyn FnMut(usize) -> usize| if next(10) == 0 { next(90) } else { next(14) };
            let a: Vec<char> = (0..len(&mut next)).map(|_| alphabet[next(alphabet.len())]).collect();
            let b: Vec<char> = (0..len(&mut next)).map(|_| alphabet[next(alphabet.len())]).collect();
            let (sa, sb): (String, String) = (a.iter().collect(), b.iter().collect());
            assert_eq!(jaro_winkler(&a, &b), strsim::jaro_winkler(&sa, &sb), "{sa:?} {sb:?}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(compare_name("王秀英", "王秀英"), 4);
        assert_eq!(compare_name("王秀英", "王?英"), 3);
        assert_eq!(compare_name("王秀英", "王秀荚"), 3);
        assert_eq!(compare_name("蒋经国", "蒋纬国"), 2);
        assert_eq!(compare_name("王秀英", "李建国"), 1);
        assert_eq!(compare_name("?", "李建国"), 0);
    }

    #[test]
    fn ids() {
        let a = id("34052419800101001X");
        assert_eq!(compare_id(a, a), 4);
        // 3 read as 8 in the address part: confusable.
        assert_eq!(compare_id(a, id("84052419800101001X")), 3);
        // Transposed digits.
        assert_eq!(compare_id(a, id("34052419800110001X")), 3);
        // Same birth date, other person.
        assert_eq!(compare_id(a, id("370112198001015678")), 1);
        // Two slips, the checksum says at least one side is wrong.
        assert_eq!(compare_id(a, id("34052419800101791X")), 2);
        // Two differences and both checksums pass: two people.
        assert_eq!(compare_id(a, id("34052419800101781X")), 1);
        assert_eq!(compare_id(a, None), 0);
    }

    #[test]
    fn dates() {
        let d = |s: &str| Day::parse(s);
        assert_eq!(compare_date(d("2013-03-05"), d("2013-03-05")), 4);
        assert_eq!(compare_date(d("2013-03-05"), d("2013-05-03")), 3);
        assert_eq!(compare_date(d("2013-03-05"), d("2013-03-08")), 3);
        assert_eq!(compare_date(d("2013-03-05"), d("2013-09-20")), 2);
        assert_eq!(compare_date(d("2013-03-05"), d("2016-09-20")), 1);
    }
}
