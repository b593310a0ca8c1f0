//! Tables for download: CSV (UTF-8 with a BOM, so that Excel reads Chinese correctly) and XLSX
//! (numbers typed as numbers, a bold header row).

use rust_xlsxwriter::{Format, Workbook};

/// The most rows an export holds; the answer says when it was reached.
pub const MAX_ROWS: usize = 1_000;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl From<Option<f64>> for Cell {
    fn from(v: Option<f64>) -> Self {
        v.filter(|v| v.is_finite()).map_or(Cell::Empty, Cell::Number)
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

/// A table with a header row.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub sheet: String,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// Rows left out by [`MAX_ROWS`].
    pub truncated: usize,
}

impl Table {
    pub fn new(sheet: impl Into<String>, header: Vec<&'static str>) -> Table {
        Table { sheet: sheet.into(), header, ..Table::default() }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        if self.rows.len() < MAX_ROWS {
            self.rows.push(row);
        } else {
            self.truncated += 1;
        }
    }
}

pub fn csv(table: &Table) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(&table.header)?;
        for row in &table.rows {
            w.write_record(row.iter().map(|c| match c {
                Cell::Text(s) => s.clone(),
                Cell::Number(n) => n.to_string(),
                Cell::Empty => String::new(),
            }))?;
        }
        w.flush()?;
    }
    Ok(out)
}

pub fn xlsx(table: &Table) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    // Sheet names are at most 31 characters and may not hold some punctuation.
    let name: String = table.sheet.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    sheet.set_name(if name.is_empty() { "Sheet1" } else { &name })?;
    let bold = Format::new().set_bold();
    for (c, h) in table.header.iter().enumerate() {
        sheet.write_string_with_format(0, col(c)?, *h, &bold)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = u32::try_from(r + 1)?;
        for (c, cell) in row.iter().enumerate() {
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(r, col(c)?, s)?;
                }
                Cell::Number(n) => {
                    sheet.write_number(r, col(c)?, *n)?;
                }
                Cell::Empty => {}
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(book.save_to_buffer()?)
}

fn col(c: usize) -> anyhow::Result<u16> {
    Ok(u16::try_from(c)?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn table() -> Table {
        let mut t = Table::new("明细", vec!["机构", "数值"]);
        t.push(vec!["明州市".into(), Cell::Number(1234.5)]);
        t.push(vec!["临江市, \"北\"".into(), Cell::Empty]);
        t
    }

    #[test]
    fn csv_starts_with_a_bom_and_quotes_what_needs_it() {
        let bytes = csv(&table()).unwrap();
        assert!(bytes.starts_with(&[0xEF, 0xBB, 0xBF]));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(text, "机构,数值\n明州市,1234.5\n\"临江市, \"\"北\"\"\",\n");
    }

    #[test]
    fn xlsx_is_a_zip_file() {
        let bytes = xlsx(&table()).unwrap();
        assert!(bytes.starts_with(b"PK"));
    }

    #[test]
    fn rows_past_the_cap_are_counted_not_kept() {
        let mut t = Table::new("x", vec!["a"]);
        for i in 0..MAX_ROWS + 5 {
            t.push(vec![Cell::Number(i as f64)]);
        }
        assert_eq!(t.rows.len(), MAX_ROWS);
        assert_eq!(t.truncated, 5);
    }
}
