//! Staged text rows ([`Rows`] cells) as an Arrow record batch of the table's SQL types,
//! for DuckDB's Arrow appender: columns built here in one pass each, so the database
//! takes a column chunk per call instead of a value.

use std::sync::Arc;

use anyhow::{anyhow, Result};
use chrono::{Datelike, NaiveDate};
use duckdb::arrow::array::{ArrayRef, BooleanArray, Date32Array, Int32Array, StringArray};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;

use crate::tables::{Kind, Table};

/// `cells` holds whole rows of `table` (row after row).
pub fn record_batch(table: &Table, cells: &[Option<String>]) -> Result<RecordBatch> {
    let width = table.width();
    let mut fields = Vec::with_capacity(width);
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(width);
    for (i, (name, kind)) in table.columns.iter().enumerate() {
        let values = cells.iter().skip(i).step_by(width).map(Option::as_deref);
        let bad = |v: &str| anyhow!("{}.{name}: {v:?} is not a {}", table.name, kind.sql());
        let (data_type, column): (DataType, ArrayRef) = match kind {
            Kind::Text => (DataType::Utf8, Arc::new(values.collect::<StringArray>())),
            Kind::Date => {
                let days = values
                    .map(|v| v.map(|v| parse_date(v).ok_or_else(|| bad(v))).transpose())
                    .collect::<Result<Date32Array>>()?;
                (DataType::Date32, Arc::new(days))
            }
            Kind::Int => {
                let ints = values
                    .map(|v| v.map(|v| v.parse::<i32>().map_err(|_| bad(v))).transpose())
                    .collect::<Result<Int32Array>>()?;
                (DataType::Int32, Arc::new(ints))
            }
            Kind::Bool => {
                let flags = values
                    .map(|v| {
                        v.map(|v| match v {
                            "true" => Ok(true),
                            "false" => Ok(false),
                            _ => Err(bad(v)),
                        })
                        .transpose()
                    })
                    .collect::<Result<BooleanArray>>()?;
                (DataType::Boolean, Arc::new(flags))
            }
        };
        fields.push(Field::new(*name, data_type, true));
        columns.push(column);
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?)
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, Arrow's `Date32`.
fn parse_date(text: &str) -> Option<i32> {
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.num_days_from_ce() - EPOCH_DAYS_FROM_CE)
}

/// 1970-01-01 counted from 0001-01-01 (chrono's `num_days_from_ce` of the Unix epoch).
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::DECEASED;
    use duckdb::arrow::array::Array;

    fn row(birth: Option<&str>, age: Option<&str>) -> Vec<Option<String>> {
        let mut r = vec![None; DECEASED.width()];
        r[0] = Some("P1".into());
        r[6] = birth.map(str::to_string);
        r[8] = age.map(str::to_string);
        r[13] = Some("false".into());
        r
    }

    #[test]
    fn columns_take_their_sql_types() {
        let cells: Vec<_> = [row(Some("1970-01-02"), Some("81")), row(None, None)].concat();
        let b = record_batch(&DECEASED, &cells).unwrap();
        assert_eq!(b.num_rows(), 2);
        let birth = b.column(6).as_any().downcast_ref::<Date32Array>().unwrap();
        assert_eq!(birth.value(0), 1);
        assert!(birth.is_null(1));
        let age = b.column(8).as_any().downcast_ref::<Int32Array>().unwrap();
        assert_eq!(age.value(0), 81);
        assert!(!b.column(13).as_any().downcast_ref::<BooleanArray>().unwrap().value(0));
    }

    #[test]
    fn a_value_that_is_not_its_type_is_named() {
        let err = record_batch(&DECEASED, &row(Some("2013-02-30"), None)).unwrap_err();
        assert!(
            err.to_string()
                .contains("deceased.birth_date: \"2013-02-30\" is not a DATE"),
            "{err}"
        );
    }
}
