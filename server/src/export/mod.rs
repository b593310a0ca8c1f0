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

/// Text as a spreadsheet must show it, not run it: a cell that starts with `=`, `+`, `-`, `@`,
/// a tab or a carriage return would be read as a formula by Excel or WPS (`=HYPERLINK(…)`), so
/// it gets a leading apostrophe, which spreadsheets show as text.
pub fn neutralise(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{text}")),
        _ => std::borrow::Cow::Borrowed(text),
    }
}

/// A valid worksheet name whatever a metric is called: at most 31 characters, none of
/// `[]:*?/\`, not starting or ending with an apostrophe, not the reserved `History`.
pub fn sheet_name(raw: &str) -> String {
    let name: String = raw.chars().filter(|c| !"[]:*?/\\".contains(*c) && !c.is_control()).take(31).collect();
    let name = name.trim_matches(|c: char| c == '\'' || c.is_whitespace());
    if name.is_empty() {
        "Sheet1".to_owned()
    } else if name.eq_ignore_ascii_case("history") {
        format!("{name}1")
    } else {
        name.to_owned()
    }
}

pub fn csv(table: &Table) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(&table.header)?;
        for row in &table.rows {
            w.write_record(row.iter().map(|c| match c {
                Cell::Text(s) => neutralise(s).into_owned(),
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
    sheet.set_name(sheet_name(&table.sheet))?;
    let bold = Format::new().set_bold();
    for (c, h) in table.header.iter().enumerate() {
        sheet.write_string_with_format(0, col(c)?, *h, &bold)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = u32::try_from(r + 1)?;
        for (c, cell) in row.iter().enumerate() {
            match cell {
                Cell::Text(s) => {
                    sheet.write_string(r, col(c)?, neutralise(s))?;
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
    fn xlsx_opens_as_a_workbook_with_the_cells_written() {
        use calamine::{Data, Reader, Xlsx};
        let bytes = xlsx(&table()).unwrap();

        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        let sheet = book.worksheet_range("明细").unwrap();

        assert_eq!(sheet.get_value((0, 0)), Some(&Data::String("机构".into())));
        assert_eq!(sheet.get_value((1, 0)), Some(&Data::String("明州市".into())));
        assert_eq!(sheet.get_value((1, 1)), Some(&Data::Float(1234.5)));
        assert_eq!(sheet.get_value((2, 0)), Some(&Data::String("临江市, \"北\"".into())));
        assert_eq!(sheet.get_value((2, 1)).unwrap_or(&Data::Empty), &Data::Empty);
    }

    #[test]
    fn cells_that_would_run_as_formulas_are_shown_as_text() {
        let mut t = Table::new("x", vec!["机构"]);
        for evil in ["=HYPERLINK(\"https://evil.example\",\"点此\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            t.push(vec![evil.into()]);
        }
        t.push(vec!["明州市".into()]);
        let text = String::from_utf8(csv(&t).unwrap()[3..].to_vec()).unwrap();
        let cells: Vec<&str> = text.lines().skip(1).collect();
        assert!(cells[0].starts_with("\"'=HYPERLINK"), "{text}");
        assert_eq!(cells[1], "'+1+1");
        assert_eq!(cells[2], "'-2+3");
        assert_eq!(cells[3], "'@SUM(A1)");
        assert_eq!(cells.last().copied(), Some("明州市"));
        assert!(xlsx(&t).is_ok());
    }

    #[test]
    fn any_metric_name_makes_a_valid_sheet() {
        for name in ["好评率'", "'", "'差评'", "History", "a[b]c:d*e?f/g\\h", &"长".repeat(40), "", "\n"] {
            let t = Table::new(name, vec!["a"]);
            assert!(xlsx(&t).is_ok(), "sheet name from {name:?}: {:?}", sheet_name(name));
        }
        assert_eq!(sheet_name("好评率'"), "好评率");
        assert_eq!(sheet_name("'"), "Sheet1");
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
