//! The people behind the rows: one [`Person`] per death, written into one or more ledger
//! rows. Re-appearances (cremation then burial, or a second volume) carry the slips real
//! ledgers have, so deduplication has work with known answers.

use chrono::{Datelike, Duration, NaiveDate};
use ledgerline_schemas::{codes, date::completed_years, id_number, RecordFields};
use rand::{seq::IndexedRandom, Rng};

use crate::names::*;

/// A deceased person and the facts of their funeral.
#[derive(Debug, Clone)]
pub struct Person {
    pub person_id: String,
    pub fields: RecordFields,
}

/// A county of the batch's province, for addresses and ID address codes.
#[derive(Debug, Clone)]
pub struct County {
    pub code: String,
    pub prefecture: String,
    pub name: String,
}

/// The counties (现行, still listed in the newest revision) of a province.
pub fn counties_of(province: &str) -> Vec<County> {
    let mut out: Vec<County> = codes::all_divisions()
        .filter(|d| {
            let code = format!("{:06}", d.code);
            code.starts_with(province)
                && d.code % 100 != 0
                && d.last_seen == codes::LATEST_REVISION
                && d.name != "市辖区"
                // Development zones (高新技术产业开发区) are not household addresses.
                && d.name.chars().count() <= 4
        })
        .filter_map(|d| {
            let code = format!("{:06}", d.code);
            let (_, pref) = codes::parents(&code);
            Some(County {
                code,
                prefecture: pref?.name.clone(),
                name: d.name.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

fn weighted<'a, R: Rng>(rng: &mut R, items: &'a [(&'a str, u32)]) -> &'a str {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total);
    for (item, w) in items {
        if pick < *w {
            return item;
        }
        pick -= w;
    }
    items[0].0
}

fn given_name<R: Rng>(rng: &mut R, male: bool) -> String {
    let pool = if male { MALE_CHARS } else { FEMALE_CHARS };
    let len = if rng.random_bool(0.8) { 2 } else { 1 };
    (0..len).map(|_| *pool.choose(rng).unwrap()).collect()
}

fn random_date<R: Rng>(rng: &mut R, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0);
    from + Duration::days(rng.random_range(0..=span))
}

fn phone<R: Rng>(rng: &mut R) -> String {
    if rng.random_bool(0.85) {
        let prefix = ["139", "138", "135", "136", "150", "151", "186", "187", "133", "158"];
        format!(
            "{}{:08}",
            prefix.choose(rng).unwrap(),
            rng.random_range(0..100_000_000u32)
        )
    } else {
        format!("0531-{:08}", rng.random_range(80_000_000..89_999_999u32))
    }
}

/// A cremation certificate's number, as agencies number them: the year, then a serial.
fn cert_no<R: Rng>(rng: &mut R, cremation: NaiveDate) -> String {
    format!("{}-{:05}", cremation.year(), rng.random_range(1..30000))
}

/// The same row under a new certificate number: the row after a voided certificate's
/// (`status` None), or a reissue (`reissued`, 补发) a later page records when a family
/// lost the first certificate.
pub fn with_new_certificate<R: Rng>(rng: &mut R, fields: &RecordFields, status: Option<&str>) -> RecordFields {
    let mut f = fields.clone();
    if let Some(day) = f
        .cremation_date
        .as_deref()
        .and_then(ledgerline_schemas::date::parse_iso)
    {
        f.cremation_cert_no = Some(cert_no(rng, day));
    }
    f.cremation_cert_status = status.map(String::from);
    f
}

/// Draws a new person who died in `years` in one of `counties`.
pub fn new_person<R: Rng>(
    rng: &mut R,
    person_id: String,
    counties: &[County],
    years: (u16, u16),
    agency: &str,
) -> Person {
    let male = rng.random_bool(0.52);
    let surname = weighted(rng, SURNAMES);
    let name = format!("{surname}{}", given_name(rng, male));
    let death = random_date(
        rng,
        NaiveDate::from_ymd_opt(years.0.into(), 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(years.1.into(), 12, 31).unwrap(),
    );
    let age_at_death = rng.random_range(38..99);
    let birth = random_date(
        rng,
        NaiveDate::from_ymd_opt(death.year() - age_at_death - 1, death.month(), 1).unwrap() + Duration::days(1),
        NaiveDate::from_ymd_opt(death.year() - age_at_death, death.month(), 1).unwrap(),
    );
    let home = counties.choose(rng).expect("province has counties");
    let birth_county = if rng.random_bool(0.85) {
        home
    } else {
        counties.choose(rng).unwrap()
    };
    let seq: u16 = rng.random_range(0..500) * 2 + u16::from(male);
    let id = id_number::compose(&birth_county.code, birth, seq);
    let cremation = death + Duration::days(rng.random_range(1..5));
    let burial = cremation + Duration::days(rng.random_range(3..400));
    let family_surname = if rng.random_bool(0.7) {
        surname.to_string()
    } else {
        weighted(rng, SURNAMES).to_string()
    };
    let family_male = rng.random_bool(0.5);
    let street = STREETS.choose(rng).unwrap();
    let number = rng.random_range(1..180);
    let fields = RecordFields {
        deceased_name: Some(name),
        gender: Some(if male { "1" } else { "2" }.into()),
        ethnicity: Some(
            if rng.random_bool(0.93) {
                "01"
            } else {
                ["03", "11", "02", "06"][rng.random_range(0..4)]
            }
            .into(),
        ),
        age: Some(completed_years(birth, death) as u32),
        id_type: None,
        id_number: Some(id),
        birth_date: Some(ledgerline_schemas::date::format_iso(birth)),
        death_date: Some(ledgerline_schemas::date::format_iso(death)),
        death_cause: Some(CAUSES.choose(rng).unwrap().to_string()),
        death_place: Some(PLACES.choose(rng).unwrap().to_string()),
        household_address: Some(format!("{}{}{street}{number}号", home.prefecture, home.name)),
        household_division: Some(home.code.clone()),
        cremation_date: Some(ledgerline_schemas::date::format_iso(cremation)),
        cremation_cert_no: Some(cert_no(rng, cremation)),
        cremation_cert_status: None,
        ashes_disposition: Some(ASHES.choose(rng).unwrap().to_string()),
        burial_date: Some(ledgerline_schemas::date::format_iso(burial)),
        grave_number: Some(format!(
            "{}区{:02}排{:02}号",
            ["A", "B", "C", "D"].choose(rng).unwrap(),
            rng.random_range(1..30),
            rng.random_range(1..40)
        )),
        cemetery_name: Some(CEMETERIES.choose(rng).unwrap().to_string()),
        family_name: Some(format!("{family_surname}{}", given_name(rng, family_male))),
        family_relation: Some(RELATIONS.choose(rng).unwrap().to_string()),
        family_phone: Some(phone(rng)),
        agency_name: Some(agency.to_string()),
    };
    Person { person_id, fields }
}

/// A different person whose name differs from `other`'s by one character (siblings,
/// namesakes): the case that must never be merged.
pub fn near_namesake<R: Rng>(
    rng: &mut R,
    person_id: String,
    other: &Person,
    counties: &[County],
    years: (u16, u16),
    agency: &str,
) -> Person {
    let mut p = new_person(rng, person_id, counties, years, agency);
    let name = other.fields.deceased_name.clone().unwrap_or_default();
    let mut chars: Vec<String> = name.chars().map(String::from).collect();
    let last = chars.len() - 1;
    let male = other.fields.gender.as_deref() == Some("1");
    chars[last] = given_name(rng, male).chars().next().unwrap().to_string();
    p.fields.deceased_name = Some(chars.concat());
    p
}

/// The person as a second ledger writes them: a slip in the name now and then, the age
/// sometimes in nominal years (虚岁), the ID number sometimes left out.
pub fn reappearance<R: Rng>(rng: &mut R, person: &Person) -> RecordFields {
    let mut f = person.fields.clone();
    if rng.random_bool(0.25) {
        if let Some(name) = &f.deceased_name {
            let slipped = SLIPS.iter().filter(|(a, _)| name[3..].contains(a)).collect::<Vec<_>>();
            if let Some((a, b)) = slipped.choose(rng) {
                let (sur, given) = name.split_at(3);
                f.deceased_name = Some(format!("{sur}{}", given.replacen(a, b, 1)));
            }
        }
    }
    if rng.random_bool(0.3) {
        f.age = f.age.map(|a| a + 1);
    }
    if rng.random_bool(0.15) {
        f.id_number = None;
    }
    f
}
