//! Excel writing primitives every writer shares: the cell limit and number formats, the
//! common cell formats, text written as text, sheet and file names Excel and Windows accept,
//! print scale and page counting, and atomic saving. A leaf: it knows no report, form or plan.

use anyhow::Result;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet};
use std::path::Path;

/// Excel's limit on the characters of one cell.
pub const MAX_CELL_CHARS: usize = 32_767;

/// `#,##0` with negatives as `△1,200`.
pub const AMOUNT_FORMAT: &str = "#,##0;\"△\"#,##0";

pub struct Formats {
    pub header: Format,
    pub text: Format,
    pub wrap: Format,
    pub amount: Format,
    pub total: Format,
    pub total_amount: Format,
}

impl Formats {
    pub fn new() -> Formats {
        let header = Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0xDDEBF7))
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_text_wrap();
        let text = Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::Top);
        Formats {
            wrap: text.clone().set_text_wrap(),
            amount: text.clone().set_num_format(AMOUNT_FORMAT),
            total: text.clone().set_bold().set_background_color(Color::RGB(0xF2F2F2)),
            total_amount: text.clone().set_bold().set_background_color(Color::RGB(0xF2F2F2)).set_num_format(AMOUNT_FORMAT),
            text,
            header,
        }
    }
}

impl Default for Formats {
    fn default() -> Self {
        Formats::new()
    }
}

/// Writes text as text, never as a formula (`=`, `+`, `-`, `@` stay literal). Text over
/// Excel's cell limit is cut at the limit; callers record a finding for that beforehand.
pub fn put_text(ws: &mut Worksheet, row: u32, col: u16, text: &str, format: &Format) -> Result<()> {
    if text.chars().count() > MAX_CELL_CHARS {
        let cut: String = text.chars().take(MAX_CELL_CHARS).collect();
        ws.write_string_with_format(row, col, cut, format)?;
    } else {
        ws.write_string_with_format(row, col, text, format)?;
    }
    Ok(())
}

pub fn header_row(ws: &mut Worksheet, row: u32, headers: &[&str], widths: &[f64], f: &Formats) -> Result<()> {
    for (i, h) in headers.iter().enumerate() {
        ws.write_string_with_format(row, i as u16, *h, &f.header)?;
        if let Some(w) = widths.get(i) {
            ws.set_column_width(i as u16, *w)?;
        }
    }
    ws.set_freeze_panes(row + 1, 0)?;
    Ok(())
}

pub fn table_print(ws: &mut Worksheet, header_row: u32, landscape: bool, (last_row, last_col): (u32, u16)) -> Result<()> {
    ws.set_paper_size(9); // A4
    ws.set_print_area(0, 0, last_row, last_col)?;
    if landscape {
        ws.set_landscape();
    }
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(header_row, header_row)?;
    ws.set_footer("&L&A&R&P / &N");
    Ok(())
}

/// A4 landscape with the default margins (0.7" left/right, 0.75" top/bottom), in points.
pub const PRINTABLE_WIDTH: f64 = 841.89 - 2.0 * 0.7 * 72.0;
pub const PRINTABLE_HEIGHT: f64 = 595.28 - 2.0 * 0.75 * 72.0;

/// Width of a column of `chars` Excel characters, in points, as wide as any spreadsheet
/// program draws it. Excel's Calibri 11 takes 7 px per character; LibreOffice without
/// Calibri's metrics measured close to 10 px here. A sheet scaled to fit at 10 px fits one page
/// wide in both, and at the same explicit scale both break pages in the same places.
pub fn column_points(chars: f64) -> f64 {
    ((chars * 10.0 + 5.0).trunc()) * 0.75
}

/// The whole-percent print scale at which the columns fit one page wide.
pub fn scale(col_widths: &[f64]) -> u16 {
    let width: f64 = col_widths.iter().map(|w| column_points(*w)).sum();
    if width > PRINTABLE_WIDTH { (PRINTABLE_WIDTH / width * 100.0).floor() as u16 } else { 100 }
}

/// Pages a sheet takes printed at `scale(col_widths)`: rows go to the next page when they no
/// longer fit (a row is never split).
pub fn pages(col_widths: &[f64], row_heights: &[f64]) -> u32 {
    let scale = scale(col_widths) as f64 / 100.0;
    let mut pages = 1;
    let mut used = 0.0;
    for h in row_heights {
        let h = h * scale;
        if used + h > PRINTABLE_HEIGHT && used > 0.0 {
            pages += 1;
            used = 0.0;
        }
        used += h;
    }
    pages
}

/// Saves a workbook without ever leaving a half-written file where the old one was: write
/// beside it, then rename. Refuses when Excel has the target open (`~$` lock beside it).
pub fn save_atomic(wb: &mut Workbook, path: &Path) -> Result<()> {
    let buf = wb.save_to_buffer().map_err(|e| anyhow::anyhow!("出力ファイル {} を作れません({})", path.display(), xlsx_reason(&e)))?;
    crate::fsutil::write_outputs(&[(path, &buf)])
}

/// A workbook-writing failure in words a user can pass on (the library's own message is
/// technical English; it is kept in brackets for whoever maintains the tool).
pub fn xlsx_reason(e: &rust_xlsxwriter::XlsxError) -> String {
    format!("Excel ファイルの組み立て中の内部エラー: {e}")
}

/// A file or folder name Windows accepts: forbidden characters become `_`, `..` and
/// trailing dots or spaces go, reserved device names get a suffix. Never empty.
pub fn safe_file_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*') || c.is_control() { '_' } else { c })
        .collect();
    while s.contains("..") {
        s = s.replace("..", "_");
    }
    let s = s.trim_end_matches(['.', ' ']).trim_start().to_string();
    let stem = s.split('.').next().unwrap_or("").to_uppercase();
    let reserved = ["CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "LPT1", "LPT2", "LPT3"];
    let s = if reserved.contains(&stem.as_str()) { format!("{s}_") } else { s };
    if s.is_empty() { "_".to_string() } else { s }
}

/// An Excel sheet name: at most 31 characters, none of `[]:*?/\`, not starting or ending
/// with `'`, and unique among `taken` (a ` (2)` suffix is added when needed).
pub fn safe_sheet_name(name: &str, taken: &[String]) -> String {
    let cleaned: String = name.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).collect();
    let cleaned = cleaned.trim_matches('\'').to_string();
    let base = if cleaned.is_empty() { "Sheet".to_string() } else { cleaned };
    let fit = |s: &str, room: usize| s.chars().take(room).collect::<String>();
    let mut candidate = fit(&base, 31);
    let mut n = 2;
    while taken.iter().any(|t| t.to_lowercase() == candidate.to_lowercase()) {
        let suffix = format!(" ({n})");
        candidate = format!("{}{suffix}", fit(&base, 31 - suffix.chars().count()));
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod names {
    use super::*;

    #[test]
    fn file_names_windows_accepts() {
        assert_eq!(safe_file_name("企画/政策:課"), "企画_政策_課");
        assert_eq!(safe_file_name("../秘書課"), "__秘書課");
        assert_eq!(safe_file_name("CON"), "CON_");
        assert_eq!(safe_file_name("課. "), "課");
        assert_eq!(safe_file_name(""), "_");
    }

    #[test]
    fn sheet_names_excel_accepts() {
        assert_eq!(safe_sheet_name("a/b:c", &[]), "a_b_c");
        let long = "あ".repeat(40);
        assert_eq!(safe_sheet_name(&long, &[]).chars().count(), 31);
        let taken = vec!["0701-01".to_string()];
        assert_eq!(safe_sheet_name("0701-01", &taken), "0701-01 (2)");
        let taken = vec![safe_sheet_name(&long, &[])];
        let second = safe_sheet_name(&long, &taken);
        assert_eq!(second.chars().count(), 31);
        assert!(second.ends_with(" (2)"));
    }
}
