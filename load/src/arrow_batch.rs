//! Staged text rows ([`Rows`] cells) as Arrow record batches of the table's SQL types,
//! written as a Parquet file for DuckDB's `read_parquet`: columns built here in one pass
//! each, so the database reads column chunks, not values.

use std::sync::Arc;

use anyhow::{anyhow, Result};
use chrono::Datelike;
use duckdb::arrow::array::{ArrayRef, BooleanArray, Date32Array, Int32Array, StringArray};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use rayon::prelude::*;

use parquet::arrow::ArrowWriter;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use crate::tables::{Cell, Kind, Table};

/// Rows per Parquet row group: DuckDB's own row-group size, so its parallel scan and its
/// batch insert work in the units it stores.
const ROW_GROUP_ROWS: usize = 122_880;

/// Writes `cells` (whole rows of `table`) to `file` as Parquet, uncompressed and without
/// statistics: the file is read once, right away, by the same machine.
pub fn write_parquet(table: &Table, cells: &[Cell], file: &std::fs::File) -> Result<()> {
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::None)
        .set_dictionary_enabled(false)
        .build();
    let mut writer = ArrowWriter::try_new(file, schema(table), Some(props))?;
    for chunk in cells.chunks(ROW_GROUP_ROWS * table.width()) {
        writer.write(&record_batch(table, chunk)?)?;
    }
    writer.close()?;
    Ok(())
}

/// The Arrow schema of `table`'s columns.
fn schema(table: &Table) -> Arc<Schema> {
    let fields: Vec<Field> = table
        .columns
        .iter()
        .map(|(name, kind)| Field::new(*name, data_type(*kind), true))
        .collect();
    Arc::new(Schema::new(fields))
}

fn data_type(kind: Kind) -> DataType {
    match kind {
        Kind::Text => DataType::Utf8,
        Kind::Date => DataType::Date32,
        Kind::Int => DataType::Int32,
        Kind::Bool => DataType::Boolean,
    }
}

/// `cells` holds whole rows of `table` (row after row). Columns are built side by side.
fn record_batch(table: &Table, cells: &[Cell]) -> Result<RecordBatch> {
    let columns: Vec<ArrayRef> = (0..table.width())
        .into_par_iter()
        .map(|i| column(table, cells, i))
        .collect::<Result<_>>()?;
    Ok(RecordBatch::try_new(schema(table), columns)?)
}

/// Column `i` of the rows in `cells`, in its SQL type.
fn column(table: &Table, cells: &[Cell], i: usize) -> Result<ArrayRef> {
    let (name, kind) = table.columns[i];
    let values = cells.iter().skip(i).step_by(table.width()).map(Option::as_deref);
    let bad = |v: &str| anyhow!("{}.{name}: {v:?} is not a {}", table.name, kind.sql());
    Ok(match kind {
        Kind::Text => Arc::new(values.collect::<StringArray>()),
        Kind::Date => Arc::new(
            values
                .map(|v| v.map(|v| parse_date(v).ok_or_else(|| bad(v))).transpose())
                .collect::<Result<Date32Array>>()?,
        ),
        Kind::Int => Arc::new(
            values
                .map(|v| v.map(|v| v.parse::<i32>().map_err(|_| bad(v))).transpose())
                .collect::<Result<Int32Array>>()?,
        ),
        Kind::Bool => Arc::new(
            values
                .map(|v| {
                    v.map(|v| match v {
                        "true" => Ok(true),
                        "false" => Ok(false),
                        _ => Err(bad(v)),
                    })
                    .transpose()
                })
                .collect::<Result<BooleanArray>>()?,
        ),
    })
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, Arrow's `Date32`.
fn parse_date(text: &str) -> Option<i32> {
    let date = crate::tables::parse_date(text)?;
    Some(date.num_days_from_ce() - crate::tables::EPOCH_DAYS_FROM_CE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::DECEASED;
    use duckdb::arrow::array::Array;

    fn row<'a>(birth: Option<&'a str>, age: Option<&'a str>) -> Vec<Cell<'a>> {
        let mut r = vec![None; DECEASED.width()];
        r[0] = Some("P1".into());
        r[6] = birth.map(Into::into);
        r[8] = age.map(Into::into);
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
