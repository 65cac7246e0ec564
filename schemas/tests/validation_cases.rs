//! Validation as data: each line of `data/validation_cases.jsonl` is a record's fields and
//! the exact (field, code) findings of severity warning or error it must produce.

use ledgerline_schemas::{validate_fields, RecordFields, Severity};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    name: String,
    fields: RecordFields,
    expect: Vec<(String, String)>,
}

#[test]
fn validation_cases() {
    let text = include_str!("data/validation_cases.jsonl");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: Case = serde_json::from_str(line).expect("case parses");
        count += 1;
        let findings = validate_fields(&case.fields);
        let mut got: Vec<(String, String)> = findings
            .iter()
            .filter(|f| f.severity >= Severity::Warning)
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect();
        got.sort();
        let mut want = case.expect.clone();
        want.sort();
        if got != want {
            failures.push(format!("{}: expected {want:?}, got {findings:#?}", case.name));
        }
        for f in &findings {
            assert!(
                f.message.starts_with(&format!("{}:", f.field)),
                "{}: message does not name its field: {}",
                case.name,
                f.message
            );
        }
    }
    assert!(count >= 30, "only {count} cases read");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
