//! From what someone typed to a tantivy query: each part of the query goes where it can
//! match (digits to ID numbers, Latin letters to pinyin, Chinese to names and text, a
//! year to the event date), options become filters, and every hit says why it matched.

use std::collections::BTreeMap;
use std::ops::Bound;

use anyhow::{bail, Result};
use ledgerline_schemas::written::{date_with_full_year, fold_width};
use ledgerline_schemas::{RecordType, ReviewStatus};
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocId, Score, Searcher, SegmentReader, TantivyDocument, Term};

use crate::access::{mask_id, mask_phone, Role};
use crate::ids::{birth_digits, id_key, prefix_range};
use crate::numbers::{number_hash, number_key, same_number};
use crate::tag_counts::TagCounts;
use crate::tokens::{name_tokens, pinyin_tokens_of_name, pinyin_tokens_of_query, query_shape_tokens, zh_tokens};
use crate::{day_number, Fields, StoredRecord};

#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub query: String,
    pub record_type: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub agency: Option<String>,
    /// `None`: verified records only.
    pub status: Option<String>,
    pub limit: usize,
    pub role: Role,
}

impl SearchRequest {
    /// A query with no filters: verified records, ten hits, for an archivist.
    pub fn new(query: impl Into<String>) -> SearchRequest {
        SearchRequest {
            query: query.into(),
            record_type: None,
            from: None,
            to: None,
            agency: None,
            status: None,
            limit: 10,
            role: Role::Archivist,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub score: f32,
    #[serde(flatten)]
    pub record: StoredRecord,
    /// What matched: `name: 王秀`, `pinyin: wxy`, `id_number prefix: 370112` ...
    pub matched: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Counts over all matching records: type, agency, status, batch.
    pub facets: BTreeMap<String, Vec<(String, u64)>>,
}

/// Whether `value` is one of `names`, else an error listing them for `flag`.
fn one_of(flag: &str, value: &str, names: &[&str]) -> Result<()> {
    if !names.contains(&value) {
        bail!("{flag} {value:?}: use one of {}", names.join(", "));
    }
    Ok(())
}

fn term_query(term: Term, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(
        Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
        boost,
    ))
}

fn tag_term(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

fn day_range(f: Fields, from: Bound<i64>, to: Bound<i64>) -> Box<dyn Query> {
    let as_term = |b: Bound<i64>| b.map(|d| Term::from_field_i64(f.event_day, d));
    Box::new(RangeQuery::new(as_term(from), as_term(to)))
}

/// Words ending like a place (历城区, 平阴县, 山大路, 王家庄) are searched in the text
/// fields only: as a name they would match people by a character of the place.
fn is_place(part: &str) -> bool {
    part.chars().count() >= 2
        && part.ends_with(['省', '市', '区', '县', '镇', '乡', '村', '庄', '路', '街', '巷', '号'])
}

fn is_year(part: &str) -> Option<i32> {
    let y: i32 = part.parse().ok().filter(|_| part.len() == 4)?;
    (1900..=2100).contains(&y).then_some(y)
}

fn year_days(y: i32) -> Option<(i64, i64)> {
    Some((day_number(&format!("{y}-01-01"))?, day_number(&format!("{y}-12-31"))?))
}

/// A date typed in any ledger style with its year in full (2014-02-22, 2014年2月22日,
/// 2014.2.22), as YYYY-MM-DD. Eight digits alone are an ID number's birth digits.
fn typed_date(part: &str) -> Option<String> {
    let dated = part.contains('年') || part.chars().any(|c| matches!(c, '-' | '/' | '.'));
    dated.then(|| date_with_full_year(part)).flatten()
}

/// `YYYY-MM-DD` as an ID number's eight birth digits.
fn birth_digits_of(date: &str) -> Option<u64> {
    date.replace('-', "").parse().ok()
}

/// Documents naming a day in `first..=last` (death, cremation or burial), scoring `boost`.
fn days_between(f: Fields, first: i64, last: i64, boost: f32) -> Box<dyn Query> {
    let range = RangeQuery::new(
        Bound::Included(Term::from_field_i64(f.days, first)),
        Bound::Included(Term::from_field_i64(f.days, last)),
    );
    Box::new(BoostQuery::new(Box::new(range), boost))
}

// Weights, set with `ledgerline bench search` (recall of misread names): one misread
// character in a three-character name breaks both character pairs, so a namesake who
// shares a pair must not outrank the right person from the right place and year.
const NAME_CHAR_BOOST: f32 = 2.0;
const NAME_PAIR_BOOST: f32 = 3.0;
const NAME_SHAPE_BOOST: f32 = 1.5;
const TEXT_BOOST: f32 = 10.0;
const YEAR_BOOST: f32 = 30.0;
/// A certificate or grave number names one record, as a whole ID number does; above a
/// date's weight, for a number that reads as a date too (2014-0312).
const NUMBER_BOOST: f32 = 50.0;
const DATE_BOOST: f32 = 40.0;
const PINYIN_BOOST: f32 = 3.0;

/// What the typed query asks for. `core` clauses decide which records match (any of
/// them); `boosters` (a place, a year) only rank those, unless nothing else was typed.
/// Without this split "王秀英 历城区 2013" would match every record of 2013 and of
/// 历城区 and rank a hundred thousand of them.
#[derive(Default)]
struct Clauses {
    core: Vec<Box<dyn Query>>,
    boosters: Vec<Box<dyn Query>>,
}

fn name_boost(token: &str) -> f32 {
    if token.chars().count() > 1 {
        NAME_PAIR_BOOST
    } else {
        NAME_CHAR_BOOST
    }
}

/// A name as typed: its characters and pairs, exact and by shape. A record that is its
/// own shape holds its shapes in the name field, others in the shape field. A token
/// that is both an exact and a shape token is one clause on the name field weighted for
/// both, plus one on the shape field; a shape token alone is looked for in either.
///
/// Which records are candidates is decided by the pairs alone (`王秀`, `秀英`, `王_英` and
/// their shapes): the right person with one character misread still shares one, and
/// pairs are rare where characters are not (a common surname has tens of thousands of
/// records; going through them was most of a name query's time). The characters then
/// only score the candidates. A name of one character has no pairs and is its characters.
fn name_query(f: Fields, part: &str) -> Option<Box<dyn Query>> {
    let exact = name_tokens(part);
    let shapes = query_shape_tokens(part);
    let shape_share = NAME_SHAPE_BOOST / NAME_PAIR_BOOST;
    let term = |field, t: &str, boost| term_query(Term::from_field_text(field, t), boost);
    let mut pairs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut chars: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut add = |t: &str, q: Box<dyn Query>| {
        let to = if t.chars().count() > 1 { &mut pairs } else { &mut chars };
        to.push((Occur::Should, q));
    };
    for t in &exact {
        let weight = if shapes.contains(t) { 1.0 + shape_share } else { 1.0 };
        add(t, term(f.name, t, name_boost(t) * weight));
    }
    for t in &shapes {
        let boost = name_boost(t) * shape_share;
        if exact.contains(t) {
            add(t, term(f.name_shape, t, boost));
        } else {
            let either = vec![term(f.name, t, boost), term(f.name_shape, t, boost)];
            add(t, Box::new(DisjunctionMaxQuery::new(either)));
        }
    }
    if pairs.is_empty() {
        return (!chars.is_empty()).then(|| Box::new(BooleanQuery::new(chars)) as Box<dyn Query>);
    }
    let mut query = vec![(Occur::Must, Box::new(BooleanQuery::new(pairs)) as Box<dyn Query>)];
    query.extend(chars);
    Some(Box::new(BooleanQuery::new(query)))
}

/// Pinyin as typed. One word (`wxy`, `wangxiuying`) must match. Syllables
/// (`wang xiu ying`): a candidate has the whole name run together or its initials (a
/// record with one character misread keeps its initials more often than not), and the
/// syllables rank the candidates; going through every `wang` would cost more than all
/// the rest of the query.
fn pinyin_query(f: Fields, latin: &[&str]) -> Option<Box<dyn Query>> {
    let tokens = pinyin_tokens_of_query(&latin.join(" "));
    let term = |t: &str| term_query(Term::from_field_text(f.pinyin, t), PINYIN_BOOST);
    match tokens.len() {
        0 => None,
        1 => Some(term(&tokens[0])),
        n => {
            // pinyin_forms: the syllables, then the whole name, then the initials.
            let (syllables, whole_and_initials) = tokens.split_at(n - 2);
            let candidates = whole_and_initials.iter().map(|t| (Occur::Should, term(t))).collect();
            let mut query = vec![(Occur::Must, Box::new(BooleanQuery::new(candidates)) as Box<dyn Query>)];
            query.extend(syllables.iter().map(|t| (Occur::Should, term(t))));
            Some(Box::new(BooleanQuery::new(query)))
        }
    }
}

/// Digits: the whole ID number, any prefix of it (a division, a birth year), or the
/// eight birth-date digits. Numbers and prefixes are ranges over the ID keys.
fn id_query(f: Fields, digits: &str, out: &mut Clauses) {
    let id = digits.to_ascii_uppercase();
    if let Some(key) = id_key(&id) {
        out.core.push(u64_range(f.id_key, key, key + 1, 20.0));
    } else if let Some((start, end)) = prefix_range(&id) {
        out.core.push(u64_range(f.id_key, start, end, 8.0));
    }
    // Numbers of another shape (15 digits, misreads) are held as written.
    out.core.push(term_query(Term::from_field_text(f.id_other, &id), 20.0));
    if let (8, Ok(birth)) = (id.len(), id.parse::<u64>()) {
        out.core.push(u64_range(f.id_birth, birth, birth + 1, 8.0));
    }
}

/// Whether a part is a certificate's or a grave's number (2013-17087, D区21排34号):
/// digits, with letters, dashes and the words of a grave's place, and nothing else.
fn is_number(part: &str) -> bool {
    let folded = fold_width(part);
    folded.chars().any(|c| c.is_ascii_digit())
        && folded
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '区' | '排' | '号' | '穴' | '位'))
}

/// A cremation certificate's or a grave's number, whole.
fn number_query(f: Fields, part: &str) -> Option<Box<dyn Query>> {
    let hash = number_hash(&number_key(part)?);
    Some(u64_range(f.number, hash, hash.saturating_add(1), NUMBER_BOOST))
}

/// The records whose household division is a place named in `part` (see
/// [`crate::places::named_in`]).
fn places(f: Fields, part: &str, within: bool, boost: f32) -> Vec<Box<dyn Query>> {
    crate::places::named_in(part, within)
        .into_iter()
        .map(|(start, end)| u64_range(f.division, start, end, boost))
        .collect()
}

/// Documents whose `field` (a fast field) is in `start..end`, scoring `boost`.
fn u64_range(field: Field, start: u64, end: u64, boost: f32) -> Box<dyn Query> {
    let range = RangeQuery::new(
        Bound::Included(Term::from_field_u64(field, start)),
        Bound::Excluded(Term::from_field_u64(field, end)),
    );
    Box::new(BoostQuery::new(Box::new(range), boost))
}

/// The agencies the index holds, with their words. Agencies are few (a province has
/// dozens of funeral homes and cemeteries), so their names are tags, cut into words
/// here at query time rather than in every one of millions of records.
pub(crate) struct Agencies(Vec<(String, Vec<String>)>);

impl Agencies {
    pub(crate) fn of(searcher: &Searcher) -> Result<Agencies> {
        let mut names = std::collections::BTreeSet::new();
        let mut name = String::new();
        for segment in searcher.segment_readers() {
            let Some(column) = segment.fast_fields().str(crate::Tags::AGENCY)? else {
                continue;
            };
            for ord in 0..column.num_terms() as u64 {
                if column.ord_to_str(ord, &mut name)? {
                    names.insert(name.clone());
                }
            }
        }
        Ok(Agencies(
            names
                .into_iter()
                .map(|name| {
                    let words = zh_tokens(&name);
                    (name, words)
                })
                .collect(),
        ))
    }

    /// The records of every agency whose name has all the words of `text`.
    fn named(&self, f: Fields, text: &str, boost: f32) -> Vec<Box<dyn Query>> {
        let words = zh_tokens(text);
        if words.is_empty() {
            return Vec::new();
        }
        self.0
            .iter()
            .filter(|(_, tokens)| words.iter().all(|w| tokens.contains(w)))
            .map(|(name, _)| term_query(Term::from_field_text(f.tags.agency, name), boost))
            .collect()
    }
}

fn text_clauses(f: Fields, query: &str, agencies: &Agencies) -> Clauses {
    let mut out = Clauses::default();
    let mut latin: Vec<&str> = Vec::new();
    for part in query.split_whitespace() {
        if part.chars().all(|c| c.is_ascii_alphabetic()) {
            latin.push(part);
        } else if let Some(y) = is_year(part) {
            // The year of a death, cremation or burial, or of the birth an ID number gives.
            if let Some((a, b)) = year_days(y) {
                out.boosters.push(days_between(f, a, b, YEAR_BOOST));
            }
            let y = y as u64;
            out.boosters
                .push(u64_range(f.id_birth, y * 10_000, (y + 1) * 10_000, YEAR_BOOST));
        } else if let Some(date) = typed_date(part) {
            if let Some(day) = day_number(&date) {
                out.boosters.push(days_between(f, day, day, DATE_BOOST));
            }
            if let Some(birth) = birth_digits_of(&date) {
                out.boosters.push(u64_range(f.id_birth, birth, birth + 1, DATE_BOOST));
            }
            // A certificate numbered within its year (2014-0312) reads as a date too.
            if is_number(part) {
                out.boosters.extend(number_query(f, part));
            }
        } else if part.chars().all(|c| c.is_ascii_digit() || c == 'X' || c == 'x') {
            id_query(f, part, &mut out);
            out.core.extend(number_query(f, part));
        } else if is_number(part) {
            out.core.extend(number_query(f, part));
        } else if is_place(part) {
            for t in zh_tokens(part) {
                out.boosters
                    .push(term_query(Term::from_field_text(f.text, &t), TEXT_BOOST));
            }
            out.boosters.extend(places(f, part, true, TEXT_BOOST));
            out.boosters.extend(agencies.named(f, part, TEXT_BOOST));
        } else {
            // Most likely a name; it may still be words of an address or a cause, or a
            // place named without its 省 or 市.
            out.core.extend(name_query(f, part));
            for t in zh_tokens(part) {
                out.core.push(term_query(Term::from_field_text(f.text, &t), 1.0));
            }
            out.core.extend(places(f, part, false, 1.0));
            out.core.extend(agencies.named(f, part, 1.0));
        }
    }
    out.core.extend(pinyin_query(f, &latin));
    if out.core.is_empty() {
        // Only a place or a year: they are what to match.
        out.core = std::mem::take(&mut out.boosters);
    }
    out
}

fn filters(f: Fields, r: &SearchRequest, agencies: &Agencies) -> Result<Vec<(Occur, Box<dyn Query>)>> {
    let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(t) = &r.record_type {
        one_of("--type", t, &RecordType::ALL.map(RecordType::as_str))?;
        out.push((Occur::Must, tag_term(f.tags.record_type, t)));
    }
    let status = r.status.as_deref().unwrap_or(ReviewStatus::Verified.as_str());
    one_of("--status", status, &ReviewStatus::ALL.map(ReviewStatus::as_str))?;
    if status != ReviewStatus::Verified.as_str() && !r.role.sees_unverified() {
        bail!("the {} role sees verified records only", r.role.name());
    }
    out.push((Occur::Must, tag_term(f.tags.status, status)));
    let day = |flag: &str, text: &Option<String>| -> Result<Option<i64>> {
        match text {
            None => Ok(None),
            Some(t) => match day_number(t) {
                Some(d) => Ok(Some(d)),
                None => bail!("{flag} {t:?}: not a date (YYYY-MM-DD)"),
            },
        }
    };
    let (from, to) = (day("--from", &r.from)?, day("--to", &r.to)?);
    if from.is_some() || to.is_some() {
        let bound = |d: Option<i64>| d.map_or(Bound::Unbounded, Bound::Included);
        out.push((Occur::Must, day_range(f, bound(from), bound(to))));
    }
    if let Some(agency) = &r.agency {
        if zh_tokens(agency).is_empty() {
            bail!("--agency {agency:?}: nothing to match");
        }
        // No agency with those words: a filter that nothing passes.
        let any = agencies
            .named(f, agency, 1.0)
            .into_iter()
            .map(|q| (Occur::Should, q))
            .collect();
        out.push((Occur::Must, Box::new(BooleanQuery::new(any))));
    }
    Ok(out)
}

/// What a hit's `matched` entry says matched: each entry is `LABEL: DETAIL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    Pinyin,
    Year,
    BirthYear,
    Date,
    IdNumber,
    IdNumberPrefix,
    IdNumberBirthDate,
    Name,
    NameLookAlike,
    Text,
    CremationCertNo,
    GraveNumber,
}

impl Why {
    pub const ALL: [Why; 12] = [
        Why::Pinyin,
        Why::Year,
        Why::BirthYear,
        Why::Date,
        Why::IdNumber,
        Why::IdNumberPrefix,
        Why::IdNumberBirthDate,
        Why::Name,
        Why::NameLookAlike,
        Why::Text,
        Why::CremationCertNo,
        Why::GraveNumber,
    ];

    /// The entry's label, before its `: ` (the review app translates these).
    pub fn label(self) -> &'static str {
        match self {
            Why::Pinyin => "pinyin",
            Why::Year => "year",
            Why::BirthYear => "birth year",
            Why::Date => "date",
            Why::IdNumber => "id_number",
            Why::IdNumberPrefix => "id_number prefix",
            Why::IdNumberBirthDate => "id_number birth date",
            Why::Name => "name",
            Why::NameLookAlike => "name look-alike",
            Why::Text => "text",
            Why::CremationCertNo => "cremation_cert_no",
            Why::GraveNumber => "grave_number",
        }
    }

    fn says(self, detail: impl std::fmt::Display) -> String {
        format!("{}: {detail}", self.label())
    }
}

/// Why a record matched: the query tokens its fields share.
fn explain(query: &str, r: &StoredRecord) -> Vec<String> {
    let mut out = Vec::new();
    let shared = |q: Vec<String>, doc: Vec<String>| -> Vec<String> {
        let mut v: Vec<String> = q.into_iter().filter(|t| doc.contains(t)).collect();
        v.dedup();
        v
    };
    let latin: Vec<&str> = query
        .split_whitespace()
        .filter(|p| p.chars().all(|c| c.is_ascii_alphabetic()))
        .collect();
    let name = r.name.clone().unwrap_or_default();
    let days: Vec<&str> = [&r.event_date, &r.death_date]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let py = shared(pinyin_tokens_of_query(&latin.join(" ")), pinyin_tokens_of_name(&name));
    if !py.is_empty() {
        out.push(Why::Pinyin.says(py.join(" ")));
    }
    // As the index holds them (`id_birth`).
    let birth = r.id_number.as_deref().and_then(birth_digits);
    for part in query.split_whitespace() {
        for (why, number) in [
            (Why::CremationCertNo, &r.cremation_cert_no),
            (Why::GraveNumber, &r.grave_number),
        ] {
            if number.as_deref().is_some_and(|n| same_number(n, part)) {
                out.push(why.says(part));
            }
        }
        if let Some(y) = is_year(part) {
            let year = y.to_string();
            if days.iter().any(|d| d.starts_with(&year)) {
                out.push(Why::Year.says(&year));
            }
            if birth.is_some_and(|b| b / 10_000 == y as u64) {
                out.push(Why::BirthYear.says(&year));
            }
        } else if let Some(date) = typed_date(part) {
            if days.contains(&date.as_str()) {
                out.push(Why::Date.says(&date));
            }
            if birth.is_some() && birth_digits_of(&date) == birth {
                out.push(Why::IdNumberBirthDate.says(date.replace('-', "")));
            }
        } else if part.chars().all(|c| c.is_ascii_digit() || c == 'X' || c == 'x') {
            let id = r.id_number.clone().unwrap_or_default().to_ascii_uppercase();
            let q = part.to_ascii_uppercase();
            if id == q {
                out.push(Why::IdNumber.says("exact"));
            } else if id.starts_with(&q) {
                out.push(Why::IdNumberPrefix.says(q));
            } else if id.len() == 18 && id.get(6..14) == Some(q.as_str()) {
                out.push(Why::IdNumberBirthDate.says(q));
            }
        } else if !part.chars().all(|c| c.is_ascii_alphabetic()) {
            let n = shared(name_tokens(part), name_tokens(&name));
            if !n.is_empty() {
                out.push(Why::Name.says(n.join(" ")));
            }
            let looks: Vec<String> = shared(query_shape_tokens(part), query_shape_tokens(&name))
                .into_iter()
                .filter(|t| !n.contains(t))
                .collect();
            if !looks.is_empty() {
                out.push(Why::NameLookAlike.says(looks.join(" ")));
            }
            let text: Vec<String> = [&r.household_address, &r.agency_name, &r.family_name]
                .into_iter()
                .flatten()
                .flat_map(|t| zh_tokens(t))
                .collect();
            let t = shared(zh_tokens(part), text);
            if !t.is_empty() {
                out.push(Why::Text.says(t.join(" ")));
            }
        }
    }
    out
}

fn visible(mut r: StoredRecord, role: Role) -> StoredRecord {
    if !role.sees_protected() {
        r.id_number = r.id_number.as_deref().map(mask_id);
        r.family_phone = r.family_phone.as_deref().map(mask_phone);
    }
    r
}

pub fn run(searcher: &Searcher, f: Fields, r: &SearchRequest) -> Result<SearchResults> {
    let agencies = Agencies::of(searcher)?;
    let mut clauses = filters(f, r, &agencies)?;
    let Clauses { core, boosters } = text_clauses(f, &r.query, &agencies);
    if core.is_empty() {
        if !r.query.trim().is_empty() {
            bail!("{:?}: nothing in the query can be searched for", r.query);
        }
        clauses.push((Occur::Must, Box::new(AllQuery)));
    } else {
        let any = core.into_iter().map(|q| (Occur::Should, q)).collect();
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
    }
    clauses.extend(boosters.into_iter().map(|q| (Occur::Should, q)));
    let query = BooleanQuery::new(clauses);
    let counts = TagCounts::new(crate::Tags::NAMES);
    // Ties broken by record, not by where the document sits among segments (which the
    // indexing threads decide): the same records answer the same, however indexed.
    let ranked = TopDocs::with_limit(r.limit.max(1)).tweak_score(move |segment: &SegmentReader| {
        let rid = segment
            .fast_fields()
            .u64(crate::RID)
            .expect("rid is a fast field")
            .first_or_default_col(0);
        // Scores are rounded first: a sum of the same terms added in another order (the
        // scorers meet a document in an order the segment layout decides) differs in
        // the last bits, and must not reorder equal records.
        move |doc: DocId, score: Score| ((score * 1024.0).round() / 1024.0, u64::MAX - rid.get_val(doc))
    });
    let (top, total, facets) = searcher.search(&query, &(ranked, Count, counts))?;
    let mut hits = Vec::with_capacity(top.len());
    for ((score, _), address) in top {
        let doc: TantivyDocument = searcher.doc(address)?;
        let json = doc.get_first(f.stored).and_then(|v| v.as_str()).unwrap_or("{}");
        let record: StoredRecord = serde_json::from_str(json)?;
        let matched = explain(&r.query, &record);
        hits.push(Hit {
            score,
            record: visible(record, r.role),
            matched,
        });
    }
    Ok(SearchResults { total, hits, facets })
}
