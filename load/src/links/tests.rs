//! Links as data: persons held and sent in, the links and decisions expected.

use super::*;
use crate::Target;

/// A person: id, name, ID number, death date, load.
type Person<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, &'a str);

fn database(dir: &tempfile::TempDir) -> Database {
    Target::DuckDb(dir.path().join("nation.duckdb"))
        .open_for_writing()
        .unwrap()
}

/// A database holding `persons`.
fn holding(dir: &tempfile::TempDir, persons: &[Person]) -> Database {
    let mut db = database(dir);
    add(&mut db, "deceased", persons);
    db
}

/// Adds `persons` to `table` (deceased, or a package's rows shaped like it).
fn add(db: &mut Database, table: &str, persons: &[Person]) {
    for (id, name, id_number, death_date, load) in persons {
        db.execute(
            &format!(
                "INSERT INTO {table} (person_id, name, id_number, death_date, nameless, origin, source_key, load_id, loaded_at)
                 VALUES ($1, $2, $3, CAST(NULLIF($4, '') AS DATE), false, 'live', $1, $5, TIMESTAMP '2026-01-01 00:00:00')"
            ),
            &[id, name, id_number, death_date.unwrap_or_default(), load],
        )
        .unwrap();
    }
}

/// Links `package`'s persons to those `held`, then adds them, as an import does.
fn import(db: &mut Database, package: &[Person]) -> (Vec<Linked>, Vec<HeldOtherwise>) {
    db.execute("CREATE OR REPLACE TABLE package AS SELECT * FROM deceased LIMIT 0", &[])
        .unwrap();
    add(db, "package", package);
    let found = link_arriving(db, &Arriving::package("package"), UtcTime::now()).unwrap();
    db.execute(
        "INSERT INTO deceased SELECT * FROM package p
         WHERE NOT EXISTS (SELECT 1 FROM deceased d WHERE d.person_id = p.person_id)",
        &[],
    )
    .unwrap();
    found
}

/// The current links, `person -> first of its death`, in order.
fn current(db: &mut Database) -> Vec<String> {
    db.texts(
        "SELECT person_id || ' -> ' || linked_to FROM person_links WHERE unlinked_at IS NULL ORDER BY 1",
        &[],
        1,
    )
    .unwrap()
    .into_iter()
    .flatten()
    .collect()
}

const ID: &str = "34052419800101001X";
const OTHER_ID: &str = "110101194103090014";
const UNHELD_ID: &str = "370112195001010011";

#[test]
fn an_import_links_only_persons_whose_id_number_name_and_death_date_agree() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = holding(
        &dir,
        &[
            ("SD-1", "王秀英", ID, Some("2013-03-05"), "L37"),
            ("SD-2", "张德明", OTHER_ID, Some("2013-04-15"), "L37"),
            ("SD-3", "赵桂兰", "110101194103090022", None, "L37"),
            ("SD-4", "孙某", "3405241980", Some("2013-03-05"), "L37"),
        ],
    );
    let (linked, held_otherwise) = import(
        &mut db,
        &[
            ("AH-1", "王秀英", ID, Some("2013-03-05"), "L34"),
            ("AH-2", "张德明", OTHER_ID, Some("2013-04-16"), "L34"),
            ("AH-3", "赵桂兰", "110101194103090022", None, "L34"),
            ("AH-4", "孙某", "3405241980", Some("2013-03-05"), "L34"),
            ("AH-5", "王秀瑛", ID, Some("2013-03-05"), "L34"),
            // Held already (an import run again): neither linked nor named.
            ("SD-1", "王秀英", ID, Some("2013-03-05"), "L34"),
            // An ID number no one held, one death sent twice by the province's systems,
            // and a third row that differs.
            ("AH-8", "李四", UNHELD_ID, Some("2014-01-02"), "L35"),
            ("AH-7", "李四", UNHELD_ID, Some("2014-01-02"), "L35"),
            ("AH-9", "李四", UNHELD_ID, Some("2014-01-03"), "L35"),
        ],
    );
    let linked: Vec<_> = linked
        .iter()
        .map(|l| (l.person_id.as_str(), l.linked_to.as_str()))
        .collect();
    assert_eq!(linked, [("AH-1", "SD-1"), ("AH-8", "AH-7")]);
    let named: Vec<_> = held_otherwise
        .iter()
        .map(|h| (h.person_id.as_str(), h.held_person_id.as_str(), h.differs.clone()))
        .collect();
    assert_eq!(
        named,
        [
            ("AH-2", "SD-2", vec!["death_date"]),
            // No death date on either side agrees on none.
            ("AH-3", "SD-3", vec!["death_date"]),
            // A variant character is for the DBA to judge; AH-1, sent with it, is not
            // held yet when the package is read, so the held person is SD-1 alone.
            ("AH-5", "SD-1", vec!["name"]),
        ]
    );
    assert_eq!(current(&mut db), ["AH-1 -> SD-1", "AH-8 -> AH-7"]);
    // Taken back, then both withdrawn and sent again: not linked again.
    unlink(&mut db, "AH-8", None, "dba", "two men").unwrap();
    crate::backfill::delete_rows_of(&mut db, "L35").unwrap();
    let sent_again = [
        ("AH-8", "李四", UNHELD_ID, Some("2014-01-02"), "L35"),
        ("AH-7", "李四", UNHELD_ID, Some("2014-01-02"), "L35"),
    ];
    assert!(import(&mut db, &sent_again).0.is_empty());

    // A third province's person joins the death's first, not the person it matched.
    let (linked, _) = import(&mut db, &[("JS-1", "王秀英", ID, Some("2013-03-05"), "L32")]);
    assert_eq!(linked[0].linked_to, "SD-1");
    assert_eq!(current(&mut db), ["AH-1 -> SD-1", "JS-1 -> SD-1"]);
}

#[test]
fn a_death_whose_first_person_leaves_keeps_the_others_linked() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = database(&dir);
    add(
        &mut db,
        "deceased",
        &[("SD-1", "王秀英", ID, Some("2013-03-05"), "L37")],
    );
    import(&mut db, &[("AH-1", "王秀英", ID, Some("2013-03-05"), "L34")]);
    import(&mut db, &[("JS-1", "王秀英", ID, Some("2013-03-05"), "L32")]);
    unlink(&mut db, "JS-1", None, "dba", "another woman").unwrap();
    import(&mut db, &[("ZJ-1", "王秀英", ID, Some("2013-03-05"), "L33")]);
    assert_eq!(current(&mut db), ["AH-1 -> SD-1", "ZJ-1 -> SD-1"]);
    // Withdrawn and sent again, the person the DBA took out is not linked again.
    crate::backfill::delete_rows_of(&mut db, "L32").unwrap();
    let (linked, named) = import(&mut db, &[("JS-1", "王秀英", ID, Some("2013-03-05"), "L32")]);
    assert!(linked.is_empty(), "{linked:?}");
    assert!(named[0].unlinked_before && named[0].differs.is_empty(), "{named:?}");

    crate::backfill::delete_rows_of(&mut db, "L37").unwrap();
    assert_eq!(
        current(&mut db),
        ["ZJ-1 -> AH-1"],
        "the next linked is the death's first"
    );

    crate::backfill::delete_rows_of(&mut db, "L33").unwrap();
    assert!(current(&mut db).is_empty());
    let taken_back = db
        .text("SELECT person_id FROM person_links WHERE unlinked_at IS NOT NULL", &[])
        .unwrap();
    assert_eq!(taken_back.as_deref(), Some("JS-1"), "a decision stays");
}

#[test]
fn the_dba_links_unlinks_and_keeps_deaths_apart() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = holding(
        &dir,
        &[
            ("SD-2", "张德明", OTHER_ID, Some("2013-04-15"), "L37"),
            ("AH-2", "张德明", OTHER_ID, Some("2013-04-16"), "L34"),
            ("JS-2", "张德明", OTHER_ID, Some("2013-04-16"), "L32"),
        ],
    );
    let shared = |db: &mut Database, all| {
        list(db, None, all)
            .unwrap()
            .same_id_number
            .iter()
            .map(|s| {
                (
                    s.persons.iter().map(|p| p.death.clone()).collect::<Vec<_>>(),
                    s.kept_apart,
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        shared(&mut db, false),
        [(vec!["AH-2".into(), "JS-2".into(), "SD-2".into()], false)]
    );

    // JS-2 is of AH-2's death; then AH-2 (with JS-2) of SD-2's.
    link(&mut db, "JS-2", "AH-2", "dba", None).unwrap();
    let moved = link(&mut db, "AH-2", "SD-2", "dba", Some("burial permit")).unwrap();
    assert_eq!(moved.moved, ["JS-2"]);
    assert_eq!(current(&mut db), ["AH-2 -> SD-2", "JS-2 -> SD-2"]);
    assert!(
        shared(&mut db, true).is_empty(),
        "one death: no ID number shared by deaths"
    );
    let deaths = list(&mut db, Some("JS-2"), false).unwrap().deaths;
    assert_eq!(deaths.len(), 1);
    assert_eq!(deaths[0].first.person_id, "SD-2");
    assert_eq!(deaths[0].linked[0].agreed, BY_HAND);

    // Refusals change nothing.
    for refused in [
        link(&mut db, "JS-2", "AH-2", "dba", None).map(drop),
        link(&mut db, "SD-2", "SD-2", "dba", None).map(drop),
        link(&mut db, "NOPE", "SD-2", "dba", None).map(drop),
        unlink(&mut db, "SD-2", None, "dba", "why").map(drop),
    ] {
        assert!(refused.is_err());
    }
    assert_eq!(current(&mut db), ["AH-2 -> SD-2", "JS-2 -> SD-2"]);

    // Taken back, JS-2 is its own death again, sharing the ID number with SD-2's...
    let unlinked = unlink(&mut db, "JS-2", Some("AH-2"), "dba", "another man").unwrap();
    assert_eq!((unlinked.decision, unlinked.death.as_str()), ("unlinked", "SD-2"));
    // ... which the unlink kept it apart from: listed only with --all.
    let listed = list(&mut db, None, true).unwrap().same_id_number;
    assert!(listed[0].kept_apart, "{listed:?}");
    assert!(shared(&mut db, false).is_empty());
    assert!(
        unlink(&mut db, "JS-2", Some("SD-2"), "dba", "again").is_err(),
        "kept apart already"
    );

    // A third death under the ID number: listed until it is kept apart from each other.
    add(
        &mut db,
        "deceased",
        &[("ZJ-2", "张德明", OTHER_ID, Some("2013-06-01"), "L33")],
    );
    let kept = unlink(&mut db, "ZJ-2", Some("AH-2"), "dba", "another man").unwrap();
    assert_eq!((kept.decision, kept.death.as_str()), ("kept_apart", "SD-2"));
    assert_eq!(
        shared(&mut db, false),
        [(vec!["JS-2".into(), "SD-2".into(), "SD-2".into(), "ZJ-2".into()], false)],
        "ZJ-2 and JS-2 are not kept apart"
    );
    unlink(&mut db, "ZJ-2", Some("JS-2"), "dba", "another man").unwrap();
    assert!(shared(&mut db, false).is_empty());
    assert_eq!(list(&mut db, Some("ZJ-2"), false).unwrap().kept_apart_not_listed, 1);
    assert!(list(&mut db, Some("NOPE"), false).is_err(), "no such person");
    // A person of one death is unlinked before it joins another.
    let refused = link(&mut db, "AH-2", "ZJ-2", "dba", None).unwrap_err();
    assert!(refused.to_string().contains("unlink it first"), "{refused}");
    assert_eq!(current(&mut db), ["AH-2 -> SD-2"]);
}

/// A link taken back, or a keep-apart, says the person is not of that death: it holds
/// when the death joins another, whose first person is another, and when the person the
/// decision named is no longer its first.
#[test]
fn a_decision_against_a_death_holds_once_it_joins_another() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = holding(
        &dir,
        &[
            ("SD-3", "张德明", OTHER_ID, Some("2013-04-15"), "L37"),
            ("AH-3", "张德明", OTHER_ID, Some("2013-04-16"), "L34"),
        ],
    );
    let js = [("JS-3", "张德明", OTHER_ID, Some("2013-04-16"), "L32")];
    let (linked, _) = import(&mut db, &js);
    assert_eq!(linked[0].linked_to, "AH-3", "agrees with AH-3 on all three");
    unlink(&mut db, "JS-3", None, "dba", "another man").unwrap();
    // AH-3's death is SD-3's (the dates are a day apart: the burial's and the death's).
    link(&mut db, "AH-3", "SD-3", "dba", Some("burial permit")).unwrap();
    assert_eq!(current(&mut db), ["AH-3 -> SD-3"]);
    assert!(
        unlink(&mut db, "JS-3", Some("SD-3"), "dba", "again").is_err(),
        "kept apart from the death AH-3 is of already"
    );

    // JS-3 withdrawn and sent again: matched to AH-3 again, but not linked to its death.
    crate::backfill::delete_rows_of(&mut db, "L32").unwrap();
    let (linked, named) = import(&mut db, &js);
    assert!(linked.is_empty(), "{linked:?}");
    assert_eq!(named[0].person_id, "JS-3");
    assert!(named[0].unlinked_before);
    assert_eq!(current(&mut db), ["AH-3 -> SD-3"]);
    let listed = list(&mut db, None, true).unwrap().same_id_number;
    assert!(listed[0].kept_apart, "{listed:?}");
    // Nor does a province's link of the two, carried in its package, join them.
    let province = follow_province(&mut db, &[("JS-3", "AH-3", BY_HAND, None)]);
    assert_eq!(
        outcomes(&province).1,
        ["JS-3 and AH-3 linked: the deaths of JS-3 and SD-3 are kept apart here (by dba)"]
    );
    assert_eq!(current(&mut db), ["AH-3 -> SD-3"]);
}

/// A link or decision a province's package carries: person, linked to, who linked them
/// (`dba` for a link by hand, else the import rule's), who took it back (if it was).
type CarriedRow<'a> = (&'a str, &'a str, &'a str, Option<&'a str>);

/// Follows province 34's `rows`, as an import does once the package's persons are added.
fn follow_province(db: &mut Database, rows: &[CarriedRow]) -> ProvinceLinks {
    db.execute(
        "CREATE OR REPLACE TABLE carried AS SELECT * FROM person_links LIMIT 0",
        &[],
    )
    .unwrap();
    for (i, (person, to, by, unlinked_by)) in rows.iter().enumerate() {
        let agreed = if *by == BY_HAND { BY_HAND } else { AGREED_AT_IMPORT };
        db.execute(
            "INSERT INTO carried (person_id, linked_to, agreed, linked_by, note, linked_at, unlinked_by, unlink_note, unlinked_at)
             VALUES ($1, $2, $3, $4, 'as the province saw it', TIMESTAMP '2026-02-01 00:00:00' + CAST($5 AS INTEGER) * INTERVAL 1 HOUR,
                     NULLIF($6, ''), CASE WHEN $6 <> '' THEN 'not one death' END,
                     CASE WHEN $6 <> '' THEN TIMESTAMP '2026-03-01 00:00:00' + CAST($5 AS INTEGER) * INTERVAL 1 HOUR END)",
            &[person, to, agreed, by, &i.to_string(), unlinked_by.unwrap_or_default()],
        )
        .unwrap();
    }
    follow(db, "carried", "34", UtcTime::now()).unwrap()
}

/// What a province's links came to: `person and linked_to: decision death`.
fn outcomes(p: &ProvinceLinks) -> (Vec<String>, Vec<String>) {
    let followed = p
        .followed
        .iter()
        .map(|f| {
            format!(
                "{} and {}: {} {} by {}",
                f.person_id, f.linked_to, f.decision, f.death, f.by
            )
        })
        .collect();
    let not = p
        .not_followed
        .iter()
        .map(|n| format!("{} and {} {}: {}", n.person_id, n.linked_to, n.province_holds, n.why))
        .collect();
    (followed, not)
}

#[test]
fn a_provinces_links_and_decisions_travel_with_its_package() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = database(&dir);
    add(
        &mut db,
        "deceased",
        &[("SD-1", "王秀英", ID, Some("2013-03-05"), "L37")],
    );
    // The province's two systems sent AH-1 and AH-5 (a variant character): its DBA made
    // them one death. AH-7 and AH-8, which its rule linked, are one death here too; AH-11,
    // which its rule linked to AH-10, its DBA took out.
    let package = [
        ("AH-1", "王秀英", ID, Some("2013-03-05"), "L34"),
        ("AH-5", "王秀瑛", ID, Some("2013-03-05"), "L34"),
        ("AH-7", "李四", UNHELD_ID, Some("2014-01-02"), "L34"),
        ("AH-8", "李四", UNHELD_ID, Some("2014-01-02"), "L34"),
        ("AH-10", "张德明", OTHER_ID, Some("2013-04-15"), "L34"),
        ("AH-11", "张德明", OTHER_ID, Some("2013-04-15"), "L34"),
    ];
    let (linked, named) = import(&mut db, &package);
    assert_eq!(linked.len(), 3, "{linked:?}");
    assert_eq!(named[0].person_id, "AH-5", "the variant is the DBA's to judge here");
    let carried = [
        ("AH-1", "AH-5", BY_HAND, None),
        ("AH-8", "AH-7", LIVE_IMPORT, None),
        ("AH-11", "AH-10", LIVE_IMPORT, Some("李")),
        ("AH-12", "AH-1", BY_HAND, None),
    ];
    let province = follow_province(&mut db, &carried);
    assert_eq!((province.carried, province.held_so), (4, 1));
    assert_eq!(
        outcomes(&province),
        (
            vec![
                // AH-5's death (itself) joins the larger, SD-1's, which AH-1 joined.
                "AH-1 and AH-5: linked SD-1 by province 34: dba".to_string(),
                "AH-11 and AH-10: unlinked AH-10 by province 34: 李".to_string(),
            ],
            vec!["AH-12 and AH-1 linked: the database holds no person AH-12".to_string()]
        )
    );
    assert_eq!(current(&mut db), ["AH-1 -> SD-1", "AH-5 -> SD-1", "AH-8 -> AH-7"]);
    // Followed again (the package imported again), they are held so.
    let again = follow_province(&mut db, &carried[..3]);
    assert_eq!((again.held_so, again.followed.len()), (3, 0), "{again:?}");

    // Withdrawn and sent again: the rule does not link AH-11 again, and the province's
    // link of AH-5 is followed again.
    crate::backfill::delete_rows_of(&mut db, "L34").unwrap();
    import(&mut db, &package);
    assert_eq!(current(&mut db), ["AH-1 -> SD-1", "AH-8 -> AH-7"]);
    let again = follow_province(&mut db, &carried[..3]);
    assert_eq!((again.held_so, again.followed.len()), (2, 1), "{again:?}");
    assert_eq!(current(&mut db), ["AH-1 -> SD-1", "AH-5 -> SD-1", "AH-8 -> AH-7"]);
}

#[test]
fn the_national_dbas_own_decisions_stand_over_a_provinces() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = holding(
        &dir,
        &[
            ("AH-1", "王秀英", ID, Some("2013-03-05"), "L34"),
            ("AH-2", "王秀瑛", ID, Some("2013-03-05"), "L34"),
            ("AH-3", "张德明", OTHER_ID, Some("2013-04-15"), "L34"),
            ("SD-3", "张德明", OTHER_ID, Some("2013-04-16"), "L37"),
            ("AH-4", "李四", UNHELD_ID, Some("2014-01-02"), "L34"),
            ("AH-5", "李四", UNHELD_ID, Some("2014-01-02"), "L34"),
        ],
    );
    unlink(&mut db, "AH-2", Some("AH-1"), "nation", "two women").unwrap();
    link(&mut db, "AH-3", "SD-3", "nation", None).unwrap();
    // The province kept apart two deaths here one: parted, and kept apart.
    link(&mut db, "AH-5", "AH-4", "exchange import", None).unwrap();
    db.execute(
        "UPDATE person_links SET agreed = $1 WHERE person_id = 'AH-5'",
        &[AGREED_AT_IMPORT],
    )
    .unwrap();
    let province = follow_province(
        &mut db,
        &[
            ("AH-2", "AH-1", BY_HAND, None),
            ("AH-3", "SD-3", BY_HAND, Some("王")),
            ("AH-5", "AH-4", LIVE_IMPORT, Some("王")),
        ],
    );
    assert_eq!(
        outcomes(&province),
        (
            vec!["AH-5 and AH-4: unlinked AH-4 by province 34: 王".to_string()],
            vec![
                "AH-2 and AH-1 linked: the deaths of AH-2 and AH-1 are kept apart here (by nation)".to_string(),
                "AH-3 and SD-3 kept_apart: AH-3 was linked to the death of SD-3 here by hand (by nation)".to_string(),
            ]
        )
    );
    assert_eq!(current(&mut db), ["AH-3 -> SD-3"]);

    // The province going back on its own decision is followed: AH-5 linked again.
    let province = follow_province(&mut db, &[("AH-5", "AH-4", BY_HAND, None)]);
    assert_eq!(
        outcomes(&province).0,
        ["AH-5 and AH-4: linked AH-4 by province 34: dba"]
    );
    assert_eq!(current(&mut db), ["AH-3 -> SD-3", "AH-5 -> AH-4"]);
}

#[test]
fn persons_of_deaths_sharing_an_id_number_are_compared_field_by_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = holding(
        &dir,
        &[
            ("SD-1", "王秀英", ID, Some("2013-03-05"), "L37"),
            ("AH-5", "王秀瑛", ID, Some("2013-03-05"), "L34"),
            ("JS-1", "王秀英", ID, Some("2013-05-03"), "L32"),
            ("JS-2", "王秀英", ID, Some("2013-05-03"), "L32"),
        ],
    );
    link(&mut db, "JS-1", "JS-2", "dba", None).unwrap();
    let listed = list(&mut db, None, false).unwrap();
    let compared: Vec<(String, Vec<&str>)> = listed.same_id_number[0]
        .compared
        .iter()
        .map(|c| {
            let levels = c.fields.iter().map(|f| f.comparison).collect();
            (c.persons.join(" ~ "), levels)
        })
        .collect();
    // Name, birth date, death date, sex, address: the fixture's rows hold no birth date,
    // sex or address. JS-1 is of JS-2's death: compared once, by its first.
    let none = "unknown";
    assert_eq!(
        compared,
        [
            (
                "AH-5 ~ JS-2".to_string(),
                vec![
                    "same pinyin, look-alike or placeholder",
                    none,
                    "day/month swapped or one digit off",
                    none,
                    none
                ]
            ),
            (
                "AH-5 ~ SD-1".to_string(),
                vec!["same pinyin, look-alike or placeholder", none, "exact", none, none]
            ),
            (
                "JS-2 ~ SD-1".to_string(),
                vec!["exact", none, "day/month swapped or one digit off", none, none]
            ),
        ]
    );
}
