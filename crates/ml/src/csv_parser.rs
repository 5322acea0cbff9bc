//! [`CsvDatasetParser`]: uploaded CSV files into numeric tables, with errors that point at
//! the line and column to fix.

use ai::learning::{DatasetError, DatasetLimits, DatasetParser, Table};
use csv::{ReaderBuilder, StringRecord, Trim};

/// Fewer rows than this cannot give a meaningful train/test split.
pub const MIN_DATA_ROWS: usize = 10;
/// A target and at least one feature.
pub const MIN_COLUMNS: usize = 2;
/// Longest column name, in characters.
pub const MAX_COLUMN_NAME_CHARS: usize = 64;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
/// How much of an offending field an error message quotes.
const QUOTED_FIELD_CHARS: usize = 40;

/// Parses comma-separated files: a header row of unique names, then rows of finite
/// numbers, all of the header's width. Spaces around fields are ignored, blank lines are
/// skipped, and a UTF-8 byte order mark is tolerated.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvDatasetParser;

impl DatasetParser for CsvDatasetParser {
    fn parse(&self, csv: &[u8], limits: &DatasetLimits) -> Result<Table, DatasetError> {
        if csv.len() > limits.max_bytes {
            return Err(DatasetError::new(format!(
                "the file is {} bytes; the limit is {} bytes",
                csv.len(),
                limits.max_bytes
            )));
        }
        let csv = csv.strip_prefix(UTF8_BOM).unwrap_or(csv);
        let mut reader = ReaderBuilder::new().has_headers(false).flexible(true).trim(Trim::All).from_reader(csv);

        let mut record = StringRecord::new();
        if !read(&mut reader, &mut record)? {
            return Err(DatasetError::new("the file is empty; expected a header row of column names").at_line(1));
        }
        let columns = parse_header(&record, limits)?;

        let mut rows = Vec::new();
        while read(&mut reader, &mut record)? {
            let line = line_of(&record);
            if rows.len() == limits.max_rows {
                return Err(DatasetError::new(format!("too many rows; the limit is {} data rows", limits.max_rows))
                    .at_line(line));
            }
            rows.push(parse_row(&record, &columns, line)?);
        }

        if rows.len() < MIN_DATA_ROWS {
            let found = match rows.len() {
                0 => "the file has a header but no data rows".to_owned(),
                n => format!("the file has {n} data rows"),
            };
            return Err(DatasetError::new(format!("{found}; at least {MIN_DATA_ROWS} are required")));
        }
        Ok(Table { columns, rows })
    }
}

/// Reads the next non-blank record; `false` at the end of the file.
fn read(reader: &mut csv::Reader<&[u8]>, record: &mut StringRecord) -> Result<bool, DatasetError> {
    reader.read_record(record).map_err(|err| {
        let line = err.position().map(csv::Position::line);
        let message = match err.kind() {
            csv::ErrorKind::Utf8 { .. } => "the text is not valid UTF-8".to_owned(),
            _ => format!("unreadable CSV: {err}"),
        };
        DatasetError { line, column: None, message }
    })
}

fn line_of(record: &StringRecord) -> u64 {
    record.position().map_or(0, csv::Position::line)
}

fn parse_header(record: &StringRecord, limits: &DatasetLimits) -> Result<Vec<String>, DatasetError> {
    let line = line_of(record);
    if record.len() > limits.max_columns {
        return Err(
            DatasetError::new(format!("{} columns; the limit is {}", record.len(), limits.max_columns)).at_line(line)
        );
    }
    if record.len() < MIN_COLUMNS {
        return Err(DatasetError::new(format!(
            "{} column; at least {MIN_COLUMNS} are required (a target and a feature)",
            record.len()
        ))
        .at_line(line));
    }
    if record.iter().all(|name| name.parse::<f64>().is_ok()) {
        return Err(
            DatasetError::new("the first row holds numbers; a header row of column names is required").at_line(line)
        );
    }

    let mut columns: Vec<String> = Vec::with_capacity(record.len());
    for (i, name) in record.iter().enumerate() {
        let position = (i + 1).to_string();
        if name.is_empty() {
            return Err(DatasetError::new("empty column name").at_line(line).in_column(position));
        }
        if name.chars().count() > MAX_COLUMN_NAME_CHARS {
            return Err(DatasetError::new(format!("column name longer than {MAX_COLUMN_NAME_CHARS} characters"))
                .at_line(line)
                .in_column(position));
        }
        if name.chars().any(char::is_control) {
            return Err(DatasetError::new("column name must not contain control characters")
                .at_line(line)
                .in_column(position));
        }
        if columns.iter().any(|column| column == name) {
            return Err(DatasetError::new(format!("duplicate column name {}", quote(name)))
                .at_line(line)
                .in_column(name));
        }
        columns.push(name.to_owned());
    }
    Ok(columns)
}

fn parse_row(record: &StringRecord, columns: &[String], line: u64) -> Result<Vec<f64>, DatasetError> {
    if record.len() > columns.len() {
        return Err(DatasetError::new(format!("{} values; the header has {} columns", record.len(), columns.len()))
            .at_line(line));
    }
    let mut row = Vec::with_capacity(columns.len());
    for (i, column) in columns.iter().enumerate() {
        let at = |message: String| DatasetError::new(message).at_line(line).in_column(column);
        let Some(field) = record.get(i) else {
            return Err(at(format!(
                "missing value; the row has {} values, the header {} columns",
                record.len(),
                columns.len()
            )));
        };
        if field.is_empty() {
            return Err(at("empty value".to_owned()));
        }
        match field.parse::<f64>() {
            Ok(value) if value.is_finite() => row.push(value),
            Ok(_) => return Err(at(format!("not a finite number: {}", quote(field)))),
            Err(_) => return Err(at(format!("not a number: {}", quote(field)))),
        }
    }
    Ok(row)
}

/// `"field"`, cut short so that a huge field does not flood the message.
fn quote(field: &str) -> String {
    if field.chars().count() <= QUOTED_FIELD_CHARS {
        format!("{field:?}")
    } else {
        let head: String = field.chars().take(QUOTED_FIELD_CHARS).collect();
        format!("{head:?}…")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::dataset::AI_TEST_CSV;
    use crate::test_support::LIMITS;

    /// A header `a,b` followed by `rows` valid rows.
    fn valid_csv(rows: usize) -> String {
        let mut csv = "a,b\n".to_owned();
        for i in 0..rows {
            csv.push_str(&format!("{i},{}.5\n", i * 2));
        }
        csv
    }

    fn parse(csv: &str) -> Result<Table, DatasetError> {
        CsvDatasetParser.parse(csv.as_bytes(), &LIMITS)
    }

    fn parse_err(csv: &str) -> DatasetError {
        parse(csv).expect_err("the file should be refused")
    }

    #[test]
    fn parses_the_shipped_dataset() {
        let table = parse(AI_TEST_CSV).unwrap();
        assert_eq!(table.columns, ["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "y"]);
        assert_eq!(table.rows.len(), 10_000);
        assert!(table.rows.iter().all(|row| row.len() == 9));
    }

    #[test]
    fn tolerates_bom_spaces_crlf_quotes_and_blank_lines() {
        let mut csv = "\u{feff} a ,\"b\"\r\n\r\n".to_owned();
        for i in 0..10 {
            csv.push_str(&format!(" {i} ,\"-{i}e-1\"\r\n"));
        }
        let table = parse(&csv).unwrap();
        assert_eq!(table.columns, ["a", "b"]);
        assert_eq!(table.rows[3], [3.0, -0.3]);
        assert_eq!(table.rows.len(), 10);
    }

    #[test]
    fn non_number_names_line_and_column() {
        let csv = valid_csv(20).replacen("5,10.5", "5,abc", 1);
        let err = parse_err(&csv);
        assert_eq!((err.line, err.column.as_deref()), (Some(7), Some("b")));
        assert_eq!(err.to_string(), "line 7, column b: not a number: \"abc\"");
    }

    #[test]
    fn non_finite_number_is_refused() {
        for bad in ["NaN", "inf", "-infinity", "1e999"] {
            let csv = valid_csv(20).replacen("\n3,", &format!("\n{bad},"), 1);
            let err = parse_err(&csv);
            assert_eq!((err.line, err.column.as_deref()), (Some(5), Some("a")), "{bad}");
            assert!(err.message.starts_with("not a finite number"), "{err}");
        }
    }

    #[test]
    fn empty_value_names_line_and_column() {
        let csv = valid_csv(20).replacen("\n4,", "\n ,", 1);
        let err = parse_err(&csv);
        assert_eq!(err.to_string(), "line 6, column a: empty value");
    }

    #[test]
    fn short_row_names_line_and_missing_column() {
        let csv = "a,b,c\n".to_owned() + &"1,2,3\n".repeat(11) + "1,2\n";
        let err = parse_err(&csv);
        assert_eq!((err.line, err.column.as_deref()), (Some(13), Some("c")));
        assert!(err.message.contains("missing value"), "{err}");
    }

    #[test]
    fn long_row_names_line() {
        let csv = valid_csv(20).replacen("\n2,4.5\n", "\n2,4.5,9\n", 1);
        let err = parse_err(&csv);
        assert_eq!(err.to_string(), "line 4: 3 values; the header has 2 columns");
    }

    #[test]
    fn duplicate_header_names_line_and_column() {
        let err = parse_err(&valid_csv(20).replacen("a,b", "a,b,a", 1));
        assert_eq!((err.line, err.column.as_deref()), (Some(1), Some("a")));
        assert!(err.message.contains("duplicate column name"), "{err}");
    }

    #[test]
    fn header_names_with_control_characters_are_refused() {
        let err = parse_err(&valid_csv(20).replacen("a,b", "a,b\u{0}x", 1));
        assert_eq!(err.to_string(), "line 1, column 2: column name must not contain control characters");
    }

    #[test]
    fn empty_and_overlong_header_names_are_refused_by_position() {
        let err = parse_err(&valid_csv(20).replacen("a,b", "a,", 1));
        assert_eq!(err.to_string(), "line 1, column 2: empty column name");
        let long = "n".repeat(MAX_COLUMN_NAME_CHARS + 1);
        let err = parse_err(&valid_csv(20).replacen("a,b", &format!("{long},b"), 1));
        assert_eq!((err.line, err.column.as_deref()), (Some(1), Some("1")));
        let longest = "n".repeat(MAX_COLUMN_NAME_CHARS);
        assert!(parse(&valid_csv(20).replacen("a,b", &format!("{longest},b"), 1)).is_ok());
    }

    #[test]
    fn missing_header_is_refused() {
        let csv = valid_csv(20).replacen("a,b\n", "", 1);
        let err = parse_err(&csv);
        assert_eq!(err.line, Some(1));
        assert!(err.message.contains("header row"), "{err}");
    }

    #[test]
    fn single_column_is_refused() {
        let err = parse_err(&("a\n".to_owned() + &"1\n".repeat(20)));
        assert_eq!(err.line, Some(1));
        assert!(err.message.contains("at least 2"), "{err}");
    }

    #[test]
    fn too_many_rows_names_the_first_line_over_the_limit() {
        let limits = DatasetLimits { max_rows: 15, ..LIMITS };
        let err = CsvDatasetParser.parse(valid_csv(20).as_bytes(), &limits).unwrap_err();
        assert_eq!(err.to_string(), "line 17: too many rows; the limit is 15 data rows");
        assert!(CsvDatasetParser.parse(valid_csv(15).as_bytes(), &limits).is_ok());
    }

    #[test]
    fn too_many_columns_is_refused_at_the_header() {
        let limits = DatasetLimits { max_columns: 2, ..LIMITS };
        let csv = "a,b,c\n".to_owned() + &"1,2,3\n".repeat(10);
        let err = CsvDatasetParser.parse(csv.as_bytes(), &limits).unwrap_err();
        assert_eq!(err.to_string(), "line 1: 3 columns; the limit is 2");
    }

    #[test]
    fn too_many_bytes_is_refused_before_parsing() {
        let limits = DatasetLimits { max_bytes: 10, ..LIMITS };
        let err = CsvDatasetParser.parse(b"not,even\ncsv\"", &limits).unwrap_err();
        assert_eq!(err.line, None);
        assert_eq!(err.message, "the file is 13 bytes; the limit is 10 bytes");
    }

    #[test]
    fn empty_file_is_refused_at_line_one() {
        for csv in ["", "\u{feff}", "\n\n"] {
            let err = parse_err(csv);
            assert_eq!(err.line, Some(1), "{csv:?}");
            assert!(err.message.contains("empty"), "{err}");
        }
    }

    #[test]
    fn header_only_file_is_refused() {
        let err = parse_err("a,b\n");
        assert_eq!(err.to_string(), "the file has a header but no data rows; at least 10 are required");
        let err = parse_err(&valid_csv(9));
        assert_eq!(err.to_string(), "the file has 9 data rows; at least 10 are required");
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let mut csv = valid_csv(20).into_bytes();
        let at = csv.iter().position(|b| *b == b'\n').unwrap() + 1;
        csv.insert(at + 1, 0xFF);
        let err = CsvDatasetParser.parse(&csv, &LIMITS).unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("UTF-8"), "{err}");
    }

    #[test]
    fn long_offending_field_is_quoted_short() {
        let csv = valid_csv(20).replacen("\n3,", &format!("\n{},", "z".repeat(500)), 1);
        let err = parse_err(&csv);
        assert!(err.message.len() < 80, "{err}");
    }
}
