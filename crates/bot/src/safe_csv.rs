//! CSV for spreadsheets: every cell an export writes is neutralised against formula injection, as
//! the OWASP guidance on CSV injection says. A cell that begins with `=`, `+`, `-`, `@`, a tab or a
//! carriage return gets a leading `'`, so a spreadsheet shows the text instead of running it. JSON
//! and Markdown exports are not spreadsheets and stay as they are.

use std::borrow::Cow;
use std::io::Write;

/// The cell as a spreadsheet may open it safely.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// A `csv::Writer` that neutralises every cell it writes.
pub struct Writer<W: Write>(csv::Writer<W>);

impl<W: Write> Writer<W> {
    pub fn from_writer(out: W) -> Self {
        Writer(csv::Writer::from_writer(out))
    }

    pub fn write_record<I, T>(&mut self, record: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        self.0.write_record(
            record
                .into_iter()
                .map(|cell| neutralise(cell.as_ref()).into_owned()),
        )
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn cells_a_spreadsheet_would_run_are_shown_as_text() {
        for cell in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "=1+1",
            "+1",
            "-1+2",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(neutralise(cell), format!("'{cell}"));
        }
        for cell in ["Finance", "2027-01-04", "", "a=b", "42", "“=quoted”"] {
            assert_eq!(neutralise(cell), cell);
        }
    }
}
