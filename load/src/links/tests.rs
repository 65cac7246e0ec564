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
    let mut db = database(&dir);
    add(
        &mut db,
        "deceased",
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
    let mut db = database(&dir);
    add(
        &mut db,
        "deceased",
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
