//! The serde types, the Arrow schema and `record.schema.json` describe the same record.

use std::collections::BTreeSet;

use ledgerline_schemas::{
    arrow::record_schema, Field, Finding, FindingCode, Record, RecordFields, RecordType, Review, ReviewStatus,
    Severity, Source, RECORD_JSON_SCHEMA,
};
use serde_json::Value;

fn schema() -> Value {
    serde_json::from_str(RECORD_JSON_SCHEMA).expect("record.schema.json is JSON")
}

fn full_record() -> Record {
    let mut fields = RecordFields::default();
    for f in Field::ALL {
        let v = match f {
            Field::Gender => "1",
            Field::Ethnicity => "01",
            Field::Age => "81",
            Field::IdType => "111",
            Field::IdNumber => "34052419800101001X",
            Field::HouseholdDivision => "340524",
            Field::FamilyPhone => "13905310001",
            Field::CremationCertStatus => "voided",
            f if f.is_date() => "2012-03-05",
            _ => "文字",
        };
        fields.set(*f, Some(v)).unwrap();
    }
    Record {
        record_id: "r-1".into(),
        record_type: RecordType::Cremation,
        fields,
        person_id: Some("p-1".into()),
        source: Source {
            batch: "b".into(),
            page: "page-0001.png".into(),
            row: 3,
        },
        confidence: [("deceased_name".to_string(), 0.93f32)].into(),
        review: Review {
            status: ReviewStatus::NeedsReview,
            findings: vec![
                Finding::new(Field::Age, Severity::Error, FindingCode::AgeMismatch, "x".into()).read_as(Some("8l")),
            ],
            reviewed_by: Some("li".into()),
            reviewed_at: Some("2026-11-29T10:00:00Z".into()),
        },
        extra_fields: [("备注".to_string(), "无".to_string())].into(),
    }
}

fn minimal_record() -> Record {
    Record {
        record_id: "r-2".into(),
        record_type: RecordType::Burial,
        fields: RecordFields::default(),
        person_id: None,
        source: Source {
            batch: "b".into(),
            page: "p.png".into(),
            row: 1,
        },
        confidence: Default::default(),
        review: Review::default(),
        extra_fields: Default::default(),
    }
}

#[test]
fn serialized_records_validate_against_the_json_schema() {
    let validator = jsonschema::validator_for(&schema()).expect("schema compiles");
    for record in [full_record(), minimal_record()] {
        let json = serde_json::to_value(&record).unwrap();
        let errors: Vec<String> = validator.iter_errors(&json).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{json}\n{errors:#?}");
        let back: Record = serde_json::from_value(json).unwrap();
        assert_eq!(back, record);
    }
}

#[test]
fn json_schema_rejects_bad_shapes() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let good = serde_json::to_value(full_record()).unwrap();
    let bad_cases: Vec<(&str, Value)> = vec![
        ("gender", Value::from("3")),
        ("record_type", Value::from("ashes")),
        ("birth_date", Value::from("2012/03/05")),
        ("id_number", Value::from("34052419800101001x")),
        ("unknown_field", Value::from("x")),
    ];
    for (key, value) in bad_cases {
        let mut v = good.clone();
        v[key] = value;
        assert!(!validator.is_valid(&v), "{key} should be rejected");
    }
    let mut v = good.clone();
    v["source"]["row"] = Value::from(0);
    assert!(!validator.is_valid(&v), "row 0 should be rejected");
}

#[test]
fn arrow_json_schema_and_serde_name_the_same_fields() {
    let json_props: BTreeSet<String> = schema()["properties"].as_object().unwrap().keys().cloned().collect();
    let arrow_fields: BTreeSet<String> = record_schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(json_props, arrow_fields);
    let serde_keys: BTreeSet<String> = serde_json::to_value(full_record())
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(serde_keys, json_props);
    let confidence_names: BTreeSet<String> = schema()["properties"]["confidence"]["propertyNames"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    let field_names: BTreeSet<String> = Field::ALL.iter().map(|f| f.name().to_string()).collect();
    assert_eq!(confidence_names, field_names);
}
