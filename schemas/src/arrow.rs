//! The Arrow schema of a record: the columnar form used for Parquet export and the
//! exchange packages. Content columns come from [`Field::ALL`], so they cannot drift.

use std::sync::Arc;

use arrow_schema::{DataType, Field as ArrowField, Fields, Schema};

use crate::record::Field;

/// Arrow type of a content field.
pub fn content_type(field: Field) -> DataType {
    if field.is_date() {
        DataType::Date32
    } else if field == Field::Age {
        DataType::UInt32
    } else {
        DataType::Utf8
    }
}

fn utf8(name: &str, nullable: bool) -> ArrowField {
    ArrowField::new(name, DataType::Utf8, nullable)
}

fn map_of(value: DataType) -> DataType {
    let entries = ArrowField::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            utf8("key", false),
            ArrowField::new("value", value, true),
        ])),
        false,
    );
    DataType::Map(Arc::new(entries), false)
}

/// The schema of one record row.
pub fn record_schema() -> Schema {
    let mut fields = vec![utf8("record_id", false), utf8("record_type", false)];
    fields.extend(
        Field::ALL
            .iter()
            .map(|f| ArrowField::new(f.name(), content_type(*f), true)),
    );
    fields.push(utf8("person_id", true));
    fields.push(ArrowField::new(
        "source",
        DataType::Struct(Fields::from(vec![
            utf8("batch", false),
            utf8("page", false),
            ArrowField::new("row", DataType::UInt32, false),
        ])),
        false,
    ));
    fields.push(ArrowField::new("confidence", map_of(DataType::Float32), true));
    let finding = DataType::Struct(Fields::from(vec![
        utf8("field", false),
        utf8("severity", false),
        utf8("code", false),
        utf8("message", false),
        utf8("read", true),
    ]));
    fields.push(ArrowField::new(
        "review",
        DataType::Struct(Fields::from(vec![
            utf8("status", false),
            ArrowField::new(
                "findings",
                DataType::List(Arc::new(ArrowField::new("item", finding, false))),
                true,
            ),
            utf8("reviewed_by", true),
            utf8("reviewed_at", true),
        ])),
        false,
    ));
    fields.push(ArrowField::new("extra_fields", map_of(DataType::Utf8), true));
    Schema::new(fields).with_metadata(std::collections::HashMap::from([(
        "ledgerline.schema_version".to_string(),
        crate::SCHEMA_VERSION.to_string(),
    )]))
}
