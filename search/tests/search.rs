//! The search index on generated records: every query kind finds what it should, filters
//! hold, roles see what they may, updates are incremental, the index rebuilds exactly,
//! and a name with one misread character still finds the person.

use std::collections::HashMap;

use ledgerline_schemas::{codes, Record, ReviewStatus};
use ledgerline_search::{Role, SearchIndex, SearchRequest, SearchResults};
use ledgerline_synth::records::{damage_name, generate_records, misread_name};
use rand::{seq::IndexedRandom, SeedableRng};

fn records(n: usize) -> (Vec<Record>, HashMap<String, String>) {
    let synthetic = generate_records(n, 21);
    let person = synthetic
        .iter()
        .map(|s| (format!("B-{}", s.record_id), s.person_id.clone()))
        .collect();
    let records = synthetic
        .iter()
        .enumerate()
        .map(|(i, s)| s.to_record("B", i, 20, ReviewStatus::Verified))
        .collect();
    (records, person)
}

fn req(query: &str) -> SearchRequest {
    SearchRequest::new(query)
}

fn county(r: &Record) -> String {
    codes::division(r.fields.household_division.as_deref().unwrap())
        .unwrap()
        .name
        .clone()
}

fn ids(res: &SearchResults) -> Vec<&str> {
    res.hits.iter().map(|h| h.record.record_id.as_str()).collect()
}

#[test]
fn queries_filters_roles_updates() {
    let (mut recs, person) = records(20_000);
    let dir = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open(dir.path()).unwrap();
    let counts = index.update(&recs, false, &|_| {}).unwrap();
    assert_eq!(counts.added, recs.len());
    let target = recs
        .iter()
        .find(|r| {
            r.fields.id_number.is_some() && r.fields.deceased_name.as_ref().is_some_and(|n| n.chars().count() == 3)
        })
        .unwrap()
        .clone();
    let name = target.fields.deceased_name.clone().unwrap();
    let id = target.fields.id_number.clone().unwrap();

    // Exact ID first; the division prefix only finds numbers with that prefix.
    assert_eq!(ids(&index.search(&req(&id)).unwrap())[0], target.record_id);
    let prefix = index.search(&req(&id[..6])).unwrap();
    assert!(prefix.total > 0);
    assert!(prefix
        .hits
        .iter()
        .all(|h| h.record.id_number.as_deref().unwrap().starts_with(&id[..6])));
    assert!(
        prefix.hits[0].matched.iter().any(|m| m.starts_with("id_number prefix")),
        "{:?}",
        prefix.hits[0].matched
    );

    // The birth digits of the number find it too.
    let mut birth = req(&id[6..14]);
    birth.limit = recs.len();
    let by_birth = index.search(&birth).unwrap();
    assert!(ids(&by_birth).contains(&target.record_id.as_str()));
    assert!(by_birth
        .hits
        .iter()
        .all(|h| h.record.id_number.as_deref().and_then(|i| i.get(6..14)) == Some(&id[6..14])));

    // A date typed in any ledger style finds the records naming that day (a death,
    // cremation or burial); a year beside a name ranks that year's births first.
    let death = target.fields.death_date.clone().unwrap();
    let born = &id[6..10];
    let written = format!(
        "{}年{}月{}日",
        &death[..4],
        death[5..7].trim_start_matches('0'),
        death[8..].trim_start_matches('0')
    );
    for typed in [death.clone(), written] {
        let mut by_day = req(&typed);
        by_day.limit = recs.len();
        let res = index.search(&by_day).unwrap();
        assert!(res.total > 0 && res.total < recs.len() / 100, "{typed}: {}", res.total);
        let hit = res.hits.iter().find(|h| h.record.record_id == target.record_id);
        let hit = hit.unwrap_or_else(|| panic!("{typed} does not find its death"));
        assert!(hit.matched.contains(&format!("date: {death}")), "{:?}", hit.matched);
        for h in &res.hits {
            let r = &h.record;
            assert!(
                [&r.death_date, &r.event_date]
                    .iter()
                    .any(|d| d.as_deref() == Some(&death)),
                "{typed} found {r:?}"
            );
        }
    }
    let mut by_birth_year = req(&format!("{name} {born}"));
    by_birth_year.limit = recs.len();
    let res = index.search(&by_birth_year).unwrap();
    let rank = |want: &dyn Fn(&ledgerline_search::StoredRecord) -> bool| res.hits.iter().position(|h| want(&h.record));
    let target_rank = rank(&|r| r.record_id == target.record_id).expect("found by name");
    assert!(
        res.hits[target_rank].matched.contains(&format!("birth year: {born}")),
        "{:?}",
        res.hits[target_rank].matched
    );
    let namesake_born_otherwise = rank(&|r| {
        r.name.as_deref() == Some(name.as_str()) && r.id_number.as_deref().is_some_and(|i| !i[6..].starts_with(born))
    });
    assert!(
        namesake_born_otherwise.is_none_or(|other| target_rank < other),
        "{name} {born}"
    );

    // A city finds every record of its counties by the division code, the city being
    // left out of the indexed address text.
    let division = target.fields.household_division.clone().unwrap();
    let city = codes::parents(&division).1.unwrap().name.clone();
    let mut by_city = req(&city);
    by_city.limit = recs.len();
    let found = index.search(&by_city).unwrap();
    let found: std::collections::HashSet<&str> = ids(&found).into_iter().collect();
    let of_city = recs.iter().filter(|r| {
        r.fields
            .household_division
            .as_deref()
            .is_some_and(|d| d[..4] == division[..4])
    });
    assert!(of_city.clone().count() > 0);
    assert!(of_city.clone().all(|r| found.contains(r.record_id.as_str())), "{city}");

    // Characters, full pinyin (with the place) and initials all reach the person.
    let same_person = |res: &SearchResults, n: usize| {
        res.hits
            .iter()
            .take(n)
            .any(|h| person[&h.record.record_id] == person[&target.record_id])
    };
    let place = county(&target);
    assert!(same_person(&index.search(&req(&format!("{name} {place}"))).unwrap(), 3));
    let pinyin = ledgerline_dedupe::normalize::name_pinyin(&name);
    let by_pinyin = index.search(&req(&format!("{pinyin} {place}"))).unwrap();
    assert!(same_person(&by_pinyin, 3), "{pinyin}: {:?}", ids(&by_pinyin));
    let initials: String = pinyin.split(' ').map(|s| &s[..1]).collect();
    let by_initials = index.search(&req(&initials)).unwrap();
    assert!(by_initials.total > 0);
    assert!(by_initials.hits[0].matched.iter().any(|m| m.starts_with("pinyin")));
    // The surname and the start of the given name, as syllables or initials, reach it too.
    let syllables: Vec<&str> = pinyin.split(' ').collect();
    if syllables.len() == 3 {
        let begun = index
            .search(&req(&format!("{} {} {place}", syllables[0], syllables[1])))
            .unwrap();
        assert!(same_person(&begun, 3), "{pinyin}: {:?}", ids(&begun));
        let begun = index.search(&req(&format!("{} {place}", &initials[..2]))).unwrap();
        assert!(begun.total > 0, "{initials}");
    }

    // Filters: type, date range, status and role.
    let mut ranged = req(&place);
    ranged.from = Some("2013-01-01".into());
    ranged.to = Some("2013-12-31".into());
    ranged.record_type = Some("burial".into());
    let res = index.search(&ranged).unwrap();
    assert!(res.total > 0);
    for h in &res.hits {
        assert_eq!(h.record.record_type, "burial");
        assert!(
            h.record.event_date.as_deref().unwrap().starts_with("2013"),
            "{:?}",
            h.record.event_date
        );
    }
    assert_eq!(res.facets["type"], vec![("burial".to_string(), res.total as u64)]);
    let mut clerk = req(&id);
    clerk.role = Role::DataEntry;
    let masked = index.search(&clerk).unwrap();
    assert_eq!(
        masked.hits[0].record.id_number.as_deref().unwrap(),
        ledgerline_search::access::mask_id(&id)
    );
    let mut dba = req(&id);
    dba.role = Role::Dba;
    dba.status = Some("needs_review".into());
    assert!(index.search(&dba).is_err(), "a DBA sees verified records only");
    let mut review = req(&id);
    review.status = Some("needs_review".into());
    assert_eq!(
        index.search(&review).unwrap().total,
        0,
        "unverified records are not mixed in"
    );

    // Agencies: by a word of the name (filter) or the whole name (query), all of theirs.
    let of_agency = |word: &str| {
        recs.iter()
            .filter(|r| r.fields.agency_name.as_deref().is_some_and(|a| a.contains(word)))
            .count()
    };
    let mut by_agency = req("");
    by_agency.agency = Some("殡仪馆".into());
    by_agency.limit = 5;
    let res = index.search(&by_agency).unwrap();
    assert_eq!(res.total, of_agency("殡仪馆"));
    assert!(res.total < recs.len(), "历下区殡葬服务中心 is not a 殡仪馆");
    assert!(res
        .hits
        .iter()
        .all(|h| h.record.agency_name.as_deref().unwrap().contains("殡仪馆")));
    by_agency.agency = Some("历下".into());
    assert_eq!(index.search(&by_agency).unwrap().total, of_agency("历下"));
    by_agency.agency = Some("不存在的馆".into());
    assert_eq!(index.search(&by_agency).unwrap().total, 0);
    let mut named = req("章丘区殡仪馆");
    named.limit = recs.len();
    let named = index.search(&named).unwrap();
    let found: std::collections::HashSet<&str> = ids(&named).into_iter().collect();
    assert!(recs
        .iter()
        .filter(|r| r.fields.agency_name.as_deref() == Some("章丘区殡仪馆"))
        .all(|r| found.contains(r.record_id.as_str())));

    // Incremental: one record changed, one gone.
    recs[0].fields.deceased_name = Some("司马相如".into());
    let gone = recs.pop().unwrap();
    let counts = index.update(&recs, false, &|_| {}).unwrap();
    assert_eq!((counts.added, counts.updated, counts.deleted), (0, 1, 1), "{counts:?}");
    assert_eq!(
        index.num_docs(),
        recs.len() as u64,
        "the changed record's old document and the gone record's are deleted"
    );
    assert_eq!(ids(&index.search(&req("司马相如")).unwrap())[0], recs[0].record_id);
    let gone_query = gone.fields.id_number.clone().unwrap_or_else(|| "370000".into());
    assert!(!ids(&index.search(&req(&gone_query)).unwrap()).contains(&gone.record_id.as_str()));

    // Derived data: deleting the index and indexing again answers exactly as a rebuild
    // in place, and finds what the incrementally updated index found.
    let query = req(&format!("{name} {place}"));
    let incremental: std::collections::BTreeSet<String> = ids(&index.search(&query).unwrap())
        .iter()
        .map(|s| s.to_string())
        .collect();
    index.update(&recs, true, &|_| {}).unwrap();
    let in_place: Vec<String> = ids(&index.search(&query).unwrap())
        .iter()
        .map(|s| s.to_string())
        .collect();
    drop(index);
    std::fs::remove_dir_all(dir.path()).unwrap();
    let mut fresh = SearchIndex::open(dir.path()).unwrap();
    fresh.update(&recs, false, &|_| {}).unwrap();
    assert_eq!(ids(&fresh.search(&query).unwrap()), in_place);
    assert_eq!(
        in_place.iter().cloned().collect::<std::collections::BTreeSet<_>>(),
        incremental
    );
    assert_eq!(fresh.num_docs(), recs.len() as u64);
}

/// Share of 200 queries (a damaged name, the county, the year) with the right person in
/// the top 3.
fn recall_top3(damage: impl Fn(&mut rand_chacha::ChaCha8Rng, &str) -> Option<String>) -> (usize, usize) {
    let (recs, person) = records(20_000);
    let dir = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open(dir.path()).unwrap();
    index.update(&recs, false, &|_| {}).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    let (mut asked, mut found) = (0, 0);
    while asked < 200 {
        let r = recs.choose(&mut rng).unwrap();
        let name = r.fields.deceased_name.as_deref().unwrap();
        if name.chars().count() < 3 {
            continue;
        }
        let Some(damaged) = damage(&mut rng, name) else {
            continue;
        };
        let f = &r.fields;
        let year = &f.cremation_date.as_deref().or(f.burial_date.as_deref()).unwrap()[..4];
        let mut q = req(&format!("{damaged} {} {year}", county(r)));
        q.limit = 3;
        let hits = index.search(&q).unwrap().hits;
        asked += 1;
        let ok = hits.iter().any(|h| person[&h.record.record_id] == person[&r.record_id]);
        found += usize::from(ok);
        if !ok && std::env::var_os("SHOW_MISSES").is_some() {
            eprintln!(
                "MISS {:?} want {} {:?} {:?}",
                q.query, r.record_id, r.fields.deceased_name, r.fields.household_address
            );
            for h in &hits {
                eprintln!(
                    "   {:.2} {:?} {:?} {:?} {:?}",
                    h.score, h.record.name, h.record.household_address, h.record.event_date, h.matched
                );
            }
        }
    }
    (found, asked)
}

#[test]
fn ocr_misread_names_find_the_person() {
    let (found, asked) = recall_top3(misread_name);
    eprintln!("look-alike misreads: {found}/{asked} in the top 3");
    assert!(found as f64 >= 0.95 * asked as f64, "{found}/{asked}");
}

#[test]
fn names_with_a_wrong_character_mostly_find_the_person() {
    // Not a look-alike: the name keeps two of its three characters and nothing else.
    let (found, asked) = recall_top3(|rng, name| Some(damage_name(rng, name)));
    eprintln!("wrong characters: {found}/{asked} in the top 3");
    assert!(found as f64 >= 0.85 * asked as f64, "{found}/{asked}");
}

#[test]
fn look_alike_is_explained_and_long_id_prefixes_are_ranges() {
    let (recs, _) = records(2_000);
    let dir = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open(dir.path()).unwrap();
    index.update(&recs, false, &|_| {}).unwrap();
    let target = recs
        .iter()
        .find(|r| {
            let name = r.fields.deceased_name.as_deref().unwrap_or("");
            name.chars().count() == 3 && r.fields.id_number.as_ref().is_some_and(|id| id.len() == 18)
        })
        .unwrap();
    let name = target.fields.deceased_name.as_deref().unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    if let Some(misread) = misread_name(&mut rng, name) {
        let res = index.search(&req(&misread)).unwrap();
        let hit = res
            .hits
            .iter()
            .find(|h| h.record.record_id == target.record_id)
            .unwrap();
        assert!(
            hit.matched.iter().any(|m| m.starts_with("name look-alike")),
            "{:?}",
            hit.matched
        );
    }
    let id = target.fields.id_number.as_deref().unwrap();
    for n in [7, 10, 14, 17] {
        let mut all = req(&id[..n]);
        all.limit = recs.len();
        let res = index.search(&all).unwrap();
        assert!(ids(&res).contains(&target.record_id.as_str()), "prefix {}", &id[..n]);
        let want = recs
            .iter()
            .filter(|r| r.fields.id_number.as_deref().is_some_and(|i| i.starts_with(&id[..n])))
            .count();
        assert_eq!(res.total, want, "prefix {}", &id[..n]);
    }
}

#[test]
fn an_index_of_another_schema_is_rebuilt_by_updates_and_refused_by_searches() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut old = tantivy::schema::Schema::builder();
        old.add_text_field("facets", tantivy::schema::STRING);
        tantivy::Index::create_in_dir(dir.path(), old.build()).unwrap();
    }
    let err = SearchIndex::open(dir.path()).err().expect("another schema is refused");
    assert!(format!("{err:#}").contains("ledgerline index"), "{err:#}");
    let (mut index, reset) = SearchIndex::open_for_update(dir.path()).unwrap();
    assert!(reset);
    let (recs, _) = records(50);
    assert_eq!(index.update(&recs, false, &|_| {}).unwrap().added, recs.len());
    drop(index);
    let (index, reset) = SearchIndex::open_for_update(dir.path()).unwrap();
    assert!(!reset, "an index of this schema is kept");
    assert_eq!(index.num_docs(), recs.len() as u64);
}

/// A family brings a cremation certificate or a grave's number: the number, typed as
/// it is written (full-width, the grave's 号 left off), finds exactly the records that
/// carry it, and says so.
#[test]
fn certificate_and_grave_numbers_find_their_records() {
    let (mut recs, _) = records(3000);
    // An agency that numbers certificates in four digits a year: the number reads as
    // a date (2014-03-12) too.
    let dated = recs.iter().position(|r| r.fields.cremation_cert_no.is_some()).unwrap() + 1;
    recs[dated].fields.cremation_cert_no = Some("2014-0312".into());
    let dir = tempfile::tempdir().unwrap();
    let mut index = SearchIndex::open(dir.path()).unwrap();
    index.update(&recs, false, &|_| {}).unwrap();
    let carrying = |number: &str, of: fn(&Record) -> Option<&String>| -> Vec<&str> {
        let mut v: Vec<&str> = recs
            .iter()
            .filter(|r| of(r).map(String::as_str) == Some(number))
            .map(|r| r.record_id.as_str())
            .collect();
        v.sort();
        v
    };
    let found = |query: &str| {
        let mut request = req(query);
        request.limit = 100;
        let results = index.search(&request).unwrap();
        let mut v: Vec<String> = ids(&results).into_iter().map(String::from).collect();
        v.sort();
        (v, results)
    };

    let cert = recs.iter().find_map(|r| r.fields.cremation_cert_no.clone()).unwrap();
    let full_width: String = cert
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    let (hits, results) = found(&full_width);
    assert_eq!(hits, carrying(&cert, |r| r.fields.cremation_cert_no.as_ref()));
    assert!(
        results.hits[0]
            .matched
            .iter()
            .any(|m| m.starts_with("cremation_cert_no: ")),
        "{:?}",
        results.hits[0].matched
    );
    assert_eq!(results.hits[0].record.cremation_cert_no.as_deref(), Some(cert.as_str()));

    let grave = recs.iter().find_map(|r| r.fields.grave_number.clone()).unwrap();
    let (hits, results) = found(grave.trim_end_matches('号'));
    assert_eq!(hits, carrying(&grave, |r| r.fields.grave_number.as_ref()));
    assert!(results.hits[0].matched.iter().any(|m| m.starts_with("grave_number: ")));

    let (_, results) = found("2014-0312");
    assert_eq!(results.hits[0].record.record_id, recs[dated].record_id);
    assert!(results.hits[0]
        .matched
        .iter()
        .any(|m| m == "cremation_cert_no: 2014-0312"));

    // A number no record carries finds nothing, however like a date or a place it looks.
    assert_eq!(found("2013-99999").0, Vec::<String>::new());
}
