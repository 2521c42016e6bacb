//! Excel writing primitives every writer shares: the cell limit and number formats, the
//! common cell formats, text written as text, sheet and file names Excel and Windows accept,
//! print scale and page counting, and atomic saving. A leaf: it knows no report, form or plan.

use anyhow::Result;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet};
use std::path::Path;

/// Excel's limit on the characters of one cell, counted as Excel counts them (UTF-16 units:
/// a character outside the Basic Multilingual Plane, such as an emoji, counts two).
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
        // Text wraps: a column narrowed for print never cuts what was written at its edge.
        let text = Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::Top).set_text_wrap();
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

/// A job that draws one or more sheets into the workbook it is given.
pub type SheetJob<'a> = Box<dyn FnOnce(&mut Workbook) -> Result<()> + Send + 'a>;

/// The sheets the `jobs` draw, in the order of the jobs and, within one, of the sheets it
/// added. Each job draws into a workbook of its own on whatever core is free: a packet's
/// summary and office sheets do not depend on each other, and drawn one after another they
/// left a core idle for a fifth of a table `consolidate`. A sheet owes nothing to the
/// workbook it was drawn in (its formats are numbered when the workbook it ends up in is
/// saved), so the caller adds them to its own with `push_worksheet`.
pub fn draw_apart(jobs: Vec<SheetJob<'_>>) -> Result<Vec<Worksheet>> {
    use rayon::prelude::*;
    let drawn = jobs
        .into_par_iter()
        .map(|job| {
            let mut wb = Workbook::new();
            job(&mut wb)?;
            Ok(std::mem::take(wb.worksheets_mut()))
        })
        .collect::<Result<Vec<Vec<Worksheet>>>>()?;
    Ok(drawn.into_iter().flatten().collect())
}

/// Writes text as text, never as a formula (`=`, `+`, `-`, `@` stay literal). Text over
/// Excel's cell limit is cut at the limit; callers record a finding for that beforehand.
pub fn put_text(ws: &mut Worksheet, row: u32, col: u16, text: &str, format: &Format) -> Result<()> {
    ws.write_string_with_format(row, col, cell_text(text), format)?;
    Ok(())
}

/// `text` as a cell can hold it: cut at Excel's cell limit (the writer refuses a longer one).
pub fn cell_text(text: &str) -> &str {
    // No character takes more UTF-16 units than UTF-8 bytes: a text no longer in bytes than
    // the limit is within it.
    if text.len() <= MAX_CELL_CHARS {
        return text;
    }
    let mut units = 0;
    for (at, c) in text.char_indices() {
        units += c.len_utf16();
        if units > MAX_CELL_CHARS {
            return &text[..at];
        }
    }
    text
}

pub fn header_row(ws: &mut Worksheet, row: u32, headers: &[&str], widths: &[f64], f: &Formats) -> Result<()> {
    let mut lines: f64 = 1.0;
    for (i, h) in headers.iter().enumerate() {
        ws.write_string_with_format(row, i as u16, *h, &f.header)?;
        if let Some(w) = widths.get(i) {
            ws.set_column_width(i as u16, *w)?;
            lines = lines.max(text_lines(h, *w));
        }
    }
    // Headers wrap in narrow columns; spreadsheet programs do not grow the row on opening.
    if lines > 1.0 {
        ws.set_row_height(row, lines * 15.0 + 3.0)?;
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

/// The body type of every sheet written (Calibri 11, the workbook default), in points.
pub const BODY_POINTS: f64 = 11.0;
/// The smallest type a printed page may carry, in points: what a council member reads
/// without a magnifier.
pub const MIN_PRINTED_POINTS: f64 = 9.0;
/// The smallest print scale that keeps body type at or above [`MIN_PRINTED_POINTS`]
/// (11 pt × 82 % = 9.02 pt).
pub const MIN_PRINT_SCALE: u16 = 82;

/// Printable width and height of an A4 page in points, landscape or portrait.
pub fn printable(landscape: bool) -> (f64, f64) {
    if landscape { (PRINTABLE_WIDTH, PRINTABLE_HEIGHT) } else { (595.28 - 2.0 * 0.7 * 72.0, 841.89 - 2.0 * 0.75 * 72.0) }
}

/// Width of a column of `chars` Excel characters, in points, as wide as any spreadsheet
/// program draws it. Excel's Calibri 11 takes 7 px per character; LibreOffice without
/// Calibri's metrics measured close to 10 px here. A sheet scaled to fit at 10 px fits one page
/// wide in both, and at the same explicit scale both break pages in the same places.
pub fn column_points(chars: f64) -> f64 {
    ((chars * 10.0 + 5.0).trunc()) * 0.75
}

/// The whole-percent print scale at which the columns fit one page wide.
pub fn scale_for(col_widths: &[f64], landscape: bool) -> u16 {
    let width: f64 = col_widths.iter().map(|w| column_points(*w)).sum();
    let page = printable(landscape).0;
    if width > page { (page / width * 100.0).floor() as u16 } else { 100 }
}

/// Column widths narrowed, in proportion, until they fit one page wide at
/// [`MIN_PRINT_SCALE`]: the council's copy wraps text rather than shrinking it. Widths that
/// already fit come back as they were.
pub fn fit_widths(col_widths: &[f64], landscape: bool) -> Vec<f64> {
    let mut w = col_widths.to_vec();
    // Column widths round to whole pixels, so narrow a little at a time until they fit.
    for _ in 0..50 {
        if scale_for(&w, landscape) >= MIN_PRINT_SCALE {
            break;
        }
        w.iter_mut().for_each(|x| *x = (*x * 0.97).max(3.0));
    }
    w
}

/// Like [`fit_widths`], but only the part of each column above its floor gives way, so that
/// columns that must keep a width (a status word, a figure) keep it; when even the floors do
/// not fit, the floors come back (the caller lets the columns run on to another page).
pub fn fit_widths_above(col_widths: &[f64], floors: &[f64], landscape: bool) -> Vec<f64> {
    let floors: Vec<f64> = col_widths.iter().zip(floors.iter().chain(std::iter::repeat(&0.0))).map(|(w, f)| f.min(*w)).collect();
    if scale_for(&floors, landscape) < MIN_PRINT_SCALE {
        // Even the floors do not fit one page wide: keep them, and let the columns run on.
        return floors;
    }
    let mut k = 1.0;
    let mut w = col_widths.to_vec();
    for _ in 0..100 {
        w = col_widths.iter().zip(&floors).map(|(c, f)| f + (c - f) * k).collect();
        if scale_for(&w, landscape) >= MIN_PRINT_SCALE {
            break;
        }
        k *= 0.97;
    }
    w
}

/// A sheet printed as a document: A4, an explicit scale that fits the (already fitted)
/// columns one page wide but never under [`MIN_PRINT_SCALE`], repeated header rows when given.
pub fn document_print(ws: &mut Worksheet, col_widths: &[f64], landscape: bool, (last_row, last_col): (u32, u16)) -> Result<u16> {
    ws.set_paper_size(9);
    if landscape {
        ws.set_landscape();
    } else {
        ws.set_portrait();
    }
    let scale = scale_for(col_widths, landscape).max(MIN_PRINT_SCALE);
    ws.set_print_scale(scale);
    ws.set_print_area(0, 0, last_row, last_col)?;
    Ok(scale)
}

/// A summary sheet of the council's packet: columns narrowed to print at readable size
/// (re-set over the widths the sheet was drawn with), header rows repeated, and its own page
/// numbers from 1 beside its name.
pub fn packet_print(ws: &mut Worksheet, header_row: u32, landscape: bool, area: (u32, u16), col_widths: &[f64]) -> Result<u16> {
    let fitted = packet_widths(col_widths, landscape);
    for (i, w) in fitted.iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    ws.set_repeat_rows(header_row, header_row)?;
    // Too many figures for one page wide at readable size: the columns go on to a second
    // page, and each page repeats the columns that name the rows.
    if scale_for(&fitted, landscape) < MIN_PRINT_SCALE && area.1 > 3 {
        ws.set_repeat_columns(0, 2)?;
    }
    front_matter_footer(ws);
    document_print(ws, &fitted, landscape, area)
}

/// Column widths of a summary sheet of the packet: no column narrows below what a figure
/// needs (a narrower column prints `###` instead of it); text columns give way and wrap.
/// Idempotent, so a sheet may size its rows from the result before [`packet_print`].
pub fn packet_widths(col_widths: &[f64], landscape: bool) -> Vec<f64> {
    let floors: Vec<f64> = col_widths.iter().map(|w| w.min(NUMBER_WIDTH)).collect();
    if scale_for(&floors, landscape) < MIN_PRINT_SCALE {
        // Too many figures for one page wide anyway: keep the columns as drawn (names stay
        // on one line) and let them run on to the next page.
        return col_widths.to_vec();
    }
    fit_widths_above(col_widths, &floors, landscape)
}

/// The width a figure needs, in characters: `△1,234,567` in bold.
pub const NUMBER_WIDTH: f64 = 11.0;

/// The footer of a sheet before the project sheets: its name and its own page number,
/// counted from 1, so that it never takes the numbers the 一覧表 gives the project sheets.
pub fn front_matter_footer(ws: &mut Worksheet) {
    ws.set_footer("&C&A &P");
    ws.set_print_first_page_number(1);
}

/// Type of chart titles, axes and legends: the body size, so that a chart printed at the
/// sheet's scale stays as legible as its table (a chart's default is 10 pt).
pub fn chart_type_size(chart: &mut rust_xlsxwriter::Chart) {
    let mut font = rust_xlsxwriter::ChartFont::new();
    font.set_size(BODY_POINTS);
    let mut title = rust_xlsxwriter::ChartFont::new();
    title.set_size(BODY_POINTS + 1.0).set_bold();
    chart.title().set_font(&title);
    chart.x_axis().set_font(&font).set_name_font(&font);
    chart.y_axis().set_font(&font).set_name_font(&font);
    chart.legend().set_font(&font);
}

/// Puts a chart below a table at `row`, starting a new page there when the table is long
/// enough that a page break could cut the chart in two.
pub fn insert_chart_below(ws: &mut Worksheet, row: u32, col: u16, chart: &rust_xlsxwriter::Chart) -> Result<()> {
    if row > 15 {
        ws.set_page_breaks(&[row])?;
    }
    ws.insert_chart(row, col, chart)?;
    Ok(())
}

/// Colours of status series by meaning, the same on every chart and form: statuses that need
/// countermeasures in warm tones, the others in cool tones, and the two gaps (nothing
/// written, a word not in the list) in greys.
pub fn status_colors(statuses: &[String], needs_action: &[String], gaps: usize) -> Vec<Color> {
    const COOL: [u32; 5] = [0x1F4E79, 0x2E75B6, 0x5B9BD5, 0x9DC3E6, 0x70AD9F];
    const WARM: [u32; 4] = [0xED7D31, 0xC00000, 0xF4B183, 0x843C0C];
    const GREY: [u32; 3] = [0xBFBFBF, 0x808080, 0xD9D9D9];
    let (mut cool, mut warm) = (0, 0);
    let mut out: Vec<Color> = statuses
        .iter()
        .map(|s| {
            if needs_action.contains(s) {
                warm += 1;
                Color::RGB(WARM[(warm - 1) % WARM.len()])
            } else {
                cool += 1;
                Color::RGB(COOL[(cool - 1) % COOL.len()])
            }
        })
        .collect();
    out.extend((0..gaps).map(|i| Color::RGB(GREY[i % GREY.len()])));
    out
}

/// Pages that rows take at a print scale.
pub fn pages_at(scale: u16, landscape: bool, row_heights: &[f64]) -> u32 {
    let scale = scale as f64 / 100.0;
    let height = printable(landscape).1;
    let mut pages = 1;
    let mut used = 0.0;
    for h in row_heights {
        let h = h * scale;
        if used + h > height && used > 0.0 {
            pages += 1;
            used = 0.0;
        }
        used += h;
    }
    pages
}

/// Lines a text takes in a cell `width` characters wide (full-width characters count two).
pub fn text_lines(text: &str, width: f64) -> f64 {
    let per_line = (width - 1.0).max(2.0);
    text.split('\n')
        .map(|para| {
            let units: f64 = para.chars().map(|c| if c.is_ascii() { 1.0 } else { 2.0 }).sum();
            (units / per_line).ceil().max(1.0)
        })
        .sum()
}

/// A value that failed a check, in the council's copy: exactly as written, set in italics and
/// underlined so that its 注 line can be found; no colour, which would read as a verdict.
pub fn marked(f: &Format) -> Format {
    f.clone().set_italic().set_underline(rust_xlsxwriter::FormatUnderline::Single)
}

/// The 注 line of a marked cell in the council's copy, from the note the office copy would
/// carry (`[rule] message` and a `候補:` line): the message only, since a council reads what
/// was found, not the rule or a suggested fix, and a word that the value is printed as written.
pub fn footnote_text(n: usize, cell: &str, note: &str) -> String {
    let said: Vec<&str> = note
        .lines()
        .filter(|l| !l.starts_with("候補:"))
        .map(|l| if l.starts_with('[') { l.split_once("] ").map(|(_, m)| m).unwrap_or(l) } else { l })
        .collect();
    // A correction by the office says so itself; anything else is printed as written.
    let corrected = note.starts_with(&format!("[{}]", crate::finding::CORRECTED));
    let tail = if corrected { "" } else { "(回答のとおり掲載しています)" };
    format!("注{n}({cell}): {}{tail}", said.join(" "))
}

/// Writes the 注 lines under a sheet from `row` on, one merged row each across the columns,
/// and returns the heights of the rows written (for page counting).
pub fn footnotes(ws: &mut Worksheet, row: u32, col_widths: &[f64], notes: &[String]) -> Result<Vec<f64>> {
    if notes.is_empty() {
        return Ok(Vec::new());
    }
    let last = col_widths.len().saturating_sub(1) as u16;
    let width: f64 = col_widths.iter().sum();
    let f = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let mut heights = Vec::new();
    for (i, n) in notes.iter().enumerate() {
        let r = row + i as u32;
        if last > 0 {
            ws.merge_range(r, 0, r, last, "", &f)?;
        }
        put_text(ws, r, 0, n, &f)?;
        let h = (text_lines(n, width) * 15.0 + 3.0).min(409.0);
        ws.set_row_height(r, h)?;
        heights.push(h);
    }
    Ok(heights)
}

/// An .xlsx package with some of its XML parts rewritten: `change` gets each part's name and
/// text and returns the new text, or `None` to keep it. Every other entry is copied as is.
pub fn rewrite_parts(bytes: &[u8], change: &(dyn Fn(&str, &str) -> Option<String> + Sync)) -> Result<Vec<u8>> {
    rewrite_parts_named(bytes, &|_| true, change)
}

/// [`rewrite_parts`] looking only at the parts `wanted` names. The others, and every part
/// left unchanged, are copied still compressed: compressing a packet's thousands of sheets a
/// second time took a seventh of `consolidate`. The parts that change are read, changed and
/// compressed on all cores and then put in place in order: one after another, a packet's
/// sheets kept one core busy while the other had nothing left to do.
pub fn rewrite_parts_named(
    bytes: &[u8],
    wanted: &(dyn Fn(&str) -> bool + Sync),
    change: &(dyn Fn(&str, &str) -> Option<String> + Sync),
) -> Result<Vec<u8>> {
    use rayon::prelude::*;
    use std::io::{Read, Write};
    let zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))?;
    let names: Vec<String> = zip.file_names().map(|n| n.map(|n| n.to_string()).unwrap_or_default()).collect();
    let redone: Vec<Option<zip::PreparedZipFile>> = names
        .par_iter()
        .enumerate()
        .map_init(
            || zip.clone(),
            |zip, (i, name)| -> Result<Option<zip::PreparedZipFile>> {
                if !(name.ends_with(".xml") && wanted(name)) {
                    return Ok(None);
                }
                let mut data = Vec::new();
                zip.by_index(i)?.read_to_end(&mut data)?;
                let Some(text) = std::str::from_utf8(&data).ok().and_then(|text| change(name, text)) else {
                    return Ok(None);
                };
                let mut part = zip::write::ZipFileBuilder::new(name, part_options())?;
                part.write_all(text.as_bytes())?;
                Ok(Some(part.finish()?))
            },
        )
        .collect::<Result<_>>()?;
    let mut zip = zip;
    let mut out = std::io::Cursor::new(Vec::with_capacity(bytes.len() + 4096));
    {
        let mut w = zip::ZipWriter::new(&mut out);
        for (i, part) in redone.into_iter().enumerate() {
            match part {
                Some(part) => w.add_prepared_file(part)?,
                None => w.raw_copy_file(zip.by_index_raw(i)?)?,
            }
        }
        w.finish()?;
    }
    Ok(out.into_inner())
}

/// The compression of every part kaito writes itself, and of the workbooks the writer makes:
/// level 5 makes files as small as the writer's default level 6 (smaller, for the office
/// workbook of 1,000 cards: 908 against 911 KB) in three fifths of the time.
pub const COMPRESSION_LEVEL: u8 = 5;

fn part_options() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(COMPRESSION_LEVEL as i64))
}

/// `useFirstPageNumber="7"` as the writer puts it becomes `firstPageNumber="7"
/// useFirstPageNumber="1"`, as the file format defines it: Excel reads the attribute as a
/// yes/no and would otherwise find the file damaged, and no program would start at page 7.
fn first_page_numbers(xml: &str) -> Option<String> {
    const KEY: &str = "useFirstPageNumber=\"";
    if !xml.contains(KEY) {
        return None;
    }
    let mut out = String::with_capacity(xml.len() + 32);
    let mut rest = xml;
    while let Some(at) = rest.find(KEY) {
        out.push_str(&rest[..at]);
        let after = &rest[at + KEY.len()..];
        let end = after.find('"').unwrap_or(0);
        out.push_str(&format!("firstPageNumber=\"{}\" useFirstPageNumber=\"1\"", &after[..end]));
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// The bytes of a finished workbook, with the corrections above.
pub fn workbook_bytes(wb: &mut Workbook) -> Result<Vec<u8>> {
    wb.set_zip_compression_level(COMPRESSION_LEVEL);
    finished_bytes(wb)
}

/// [`workbook_bytes`] for a workbook whose sheets number their pages (a packet and its
/// volumes): every such sheet is compressed again after its page number is put right, so the
/// writer's own compression is done at its fastest level (a quarter of `consolidate`'s time
/// was compressing each packet sheet twice at the default level). Only the parts left as
/// they were (shared strings, styles, charts) stay at that level: a packet grows by a
/// hundredth or two.
pub fn paged_workbook_bytes(wb: &mut Workbook) -> Result<Vec<u8>> {
    wb.set_zip_compression_level(1);
    finished_bytes(wb)
}

fn finished_bytes(wb: &mut Workbook) -> Result<Vec<u8>> {
    let raw = wb.save_to_buffer().map_err(|e| anyhow::anyhow!("{}", xlsx_reason(&e)))?;
    rewrite_parts_named(&raw, &|name| name.starts_with("xl/worksheets/sheet"), &|_, xml| first_page_numbers(xml))
}

/// Saves a workbook without ever leaving a half-written file where the old one was: write
/// beside it, then rename. Refuses when Excel has the target open (`~$` lock beside it).
pub fn save_atomic(wb: &mut Workbook, path: &Path) -> Result<()> {
    let buf = workbook_bytes(wb).map_err(|e| anyhow::anyhow!("出力ファイル {} を作れません({e})", path.display()))?;
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
    SheetNames::new(taken).free(name)
}

/// The rows one worksheet holds, its header row included (Excel's limit).
pub const SHEET_ROWS: u32 = 1_048_576;

/// The list a sheet of a [`LongList`] belongs to: `明細 (2)` → `明細`.
pub fn list_name(sheet: &str) -> &str {
    sheet
        .strip_suffix(')')
        .and_then(|s| s.rsplit_once(" ("))
        .filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .map_or(sheet, |(base, _)| base)
}

/// Draws a [`LongList`] sheet's header row.
type Header<'a> = Box<dyn Fn(&mut Worksheet) -> Result<()> + 'a>;
/// Finishes a [`LongList`] sheet, given its last row.
type Close<'a> = Box<dyn Fn(&mut Worksheet, u32) -> Result<()> + 'a>;

/// A list under one header row that goes on in further sheets, `明細 (2)`, `明細 (3)`… (numbered
/// the way Excel numbers a copied sheet), each with the header again, when it has more rows
/// than a sheet holds. 明細 has a row for every
/// half of every activity of every card, about 17 a card: past some 63,000 cards one sheet
/// cannot hold it, and the writer would refuse the row after the last instead of saving.
pub struct LongList<'a> {
    name: String,
    rows_per_sheet: u32,
    new_sheet: Box<dyn FnMut() -> Worksheet + 'a>,
    header: Header<'a>,
    close: Close<'a>,
    full: Vec<Worksheet>,
    sheet: Worksheet,
    next: u32,
}

impl<'a> LongList<'a> {
    /// A list named `name` whose sheets come from `new_sheet` and hold `rows_per_sheet` rows
    /// (at most [`SHEET_ROWS`]). `header` draws row 0 of each; `close` finishes each given
    /// its last row (filters, print area), which is 0 when the list is empty.
    pub fn new(
        name: &str,
        rows_per_sheet: u32,
        mut new_sheet: impl FnMut() -> Worksheet + 'a,
        header: impl Fn(&mut Worksheet) -> Result<()> + 'a,
        close: impl Fn(&mut Worksheet, u32) -> Result<()> + 'a,
    ) -> Result<LongList<'a>> {
        let mut sheet = new_sheet();
        sheet.set_name(name)?;
        header(&mut sheet)?;
        Ok(LongList {
            name: name.to_string(),
            rows_per_sheet: rows_per_sheet.clamp(2, SHEET_ROWS),
            new_sheet: Box::new(new_sheet),
            header: Box::new(header),
            close: Box::new(close),
            full: Vec::new(),
            sheet,
            next: 1,
        })
    }

    /// The sheet and row the next row of the list goes to, starting the next sheet when this
    /// one is full.
    pub fn row(&mut self) -> Result<(&mut Worksheet, u32)> {
        if self.next == self.rows_per_sheet {
            (self.close)(&mut self.sheet, self.next - 1)?;
            let mut sheet = (self.new_sheet)();
            sheet.set_name(format!("{} ({})", self.name, self.full.len() + 2))?;
            (self.header)(&mut sheet)?;
            self.full.push(std::mem::replace(&mut self.sheet, sheet));
            self.next = 1;
        }
        self.next += 1;
        Ok((&mut self.sheet, self.next - 1))
    }

    /// The list's sheets, in order.
    pub fn finish(mut self) -> Result<Vec<Worksheet>> {
        (self.close)(&mut self.sheet, self.next - 1)?;
        self.full.push(self.sheet);
        Ok(self.full)
    }
}

/// The sheet names a workbook already has, compared as Excel compares them (ignoring case),
/// in constant time: a packet of ten thousand project sheets names each in one look-up.
#[derive(Debug, Default, Clone)]
pub struct SheetNames(std::collections::HashSet<String>);

impl SheetNames {
    pub fn new<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> SheetNames {
        SheetNames(names.into_iter().map(|n| n.as_ref().to_lowercase()).collect())
    }

    /// A name Excel accepts for `name` (forbidden characters replaced, at most 31 characters)
    /// that no sheet has yet: `名前 (2)`, `名前 (3)`… on a clash.
    pub fn free(&self, name: &str) -> String {
        let cleaned: String = name.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).collect();
        let cleaned = cleaned.trim_matches('\'').to_string();
        let base = if cleaned.is_empty() { "Sheet".to_string() } else { cleaned };
        let fit = |s: &str, room: usize| s.chars().take(room).collect::<String>();
        let mut candidate = fit(&base, 31);
        let mut n = 2;
        while self.0.contains(&candidate.to_lowercase()) {
            let suffix = format!(" ({n})");
            candidate = format!("{}{suffix}", fit(&base, 31 - suffix.chars().count()));
            n += 1;
        }
        candidate
    }

    /// [`SheetNames::free`], and the name is taken from then on.
    pub fn claim(&mut self, name: &str) -> String {
        let name = self.free(name);
        self.0.insert(name.to_lowercase());
        name
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn first_page_numbers_follow_the_file_format() {
        let xml = r#"<pageSetup paperSize="9" useFirstPageNumber="12" orientation="landscape"/>"#;
        assert_eq!(
            super::first_page_numbers(xml).unwrap(),
            r#"<pageSetup paperSize="9" firstPageNumber="12" useFirstPageNumber="1" orientation="landscape"/>"#
        );
        assert_eq!(super::first_page_numbers("<pageSetup/>"), None);
    }

    /// A text is cut where Excel's count reaches its limit, an emoji counting two, and the
    /// writer takes what is left.
    #[test]
    fn cell_texts_fit_excels_count() {
        let limit = super::MAX_CELL_CHARS;
        let short = "あ".repeat(limit);
        assert_eq!(super::cell_text(&short), short);
        let long = format!("{}😀x", "あ".repeat(limit - 1));
        let cut = super::cell_text(&long);
        assert_eq!(cut, "あ".repeat(limit - 1));
        let ascii = "a".repeat(limit + 5);
        assert_eq!(super::cell_text(&ascii).len(), limit);
        let mut ws = rust_xlsxwriter::Worksheet::new();
        assert!(ws.write_string(0, 0, super::cell_text(&format!("{}😀😀", "あ".repeat(limit - 2)))).is_ok());
        assert!(ws.write_string(0, 0, format!("{}😀", "あ".repeat(limit - 1))).is_err(), "the writer's own limit");
    }

    /// A list longer than a sheet goes on in numbered sheets, each with its header, every row
    /// once and in order; each sheet is closed with its own last row.
    #[test]
    fn a_long_list_goes_on_in_numbered_sheets() {
        use calamine::Reader;
        let closed = std::sync::Mutex::new(Vec::new());
        let header = |ws: &mut rust_xlsxwriter::Worksheet| -> anyhow::Result<()> {
            ws.write_string(0, 0, "番号")?;
            Ok(())
        };
        let close = |ws: &mut rust_xlsxwriter::Worksheet, last: u32| -> anyhow::Result<()> {
            closed.lock().unwrap().push((ws.name(), last));
            Ok(())
        };
        let mut list = super::LongList::new("明細", 3, rust_xlsxwriter::Worksheet::new, header, close).unwrap();
        for i in 1..=5 {
            let (ws, r) = list.row().unwrap();
            ws.write_number(r, 0, i).unwrap();
        }
        let sheets = list.finish().unwrap();
        assert_eq!(*closed.lock().unwrap(), [("明細".to_string(), 2), ("明細 (2)".to_string(), 2), ("明細 (3)".to_string(), 1)]);
        let mut wb = rust_xlsxwriter::Workbook::new();
        for ws in sheets {
            wb.push_worksheet(ws);
        }
        let bytes = wb.save_to_buffer().unwrap();
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let mut seen = Vec::new();
        for name in book.sheet_names() {
            let range = book.worksheet_range(&name).unwrap();
            assert_eq!(range.get_value((0, 0)).unwrap().to_string(), "番号", "{name}");
            seen.extend(range.rows().skip(1).map(|r| (name.clone(), r[0].to_string())));
            assert_eq!(super::list_name(&name), "明細");
        }
        let want: Vec<(String, String)> = [("明細", 1), ("明細", 2), ("明細 (2)", 3), ("明細 (2)", 4), ("明細 (3)", 5)]
            .iter()
            .map(|(n, i)| (n.to_string(), i.to_string()))
            .collect();
        assert_eq!(seen, want);
        // An empty list is one sheet with its header, closed at row 0.
        closed.lock().unwrap().clear();
        let empty = super::LongList::new("要確認", super::SHEET_ROWS, rust_xlsxwriter::Worksheet::new, header, close).unwrap();
        assert_eq!(empty.finish().unwrap().len(), 1);
        assert_eq!(*closed.lock().unwrap(), [("要確認".to_string(), 0)]);
        // Only a space and a number in brackets continue a list.
        assert_eq!(super::list_name("要確認 (12)"), "要確認");
        for own in ["明細(2)", "明細 ()", "明細 (2a)", "0701-01"] {
            assert_eq!(super::list_name(own), own);
        }
    }

    /// Parts changed on all cores land where they were; the others are copied still
    /// compressed, byte for byte.
    #[test]
    fn rewritten_parts_keep_their_places() {
        use std::io::{Read, Write};
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let names: Vec<String> =
            (0..40).map(|i| if i % 3 == 0 { format!("keep/{i}.xml") } else { format!("xl/worksheets/sheet{i}.xml") }).collect();
        for (i, n) in names.iter().enumerate() {
            z.start_file(n.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
            write!(z, "<pageSetup useFirstPageNumber=\"{i}\"/>{}", "x".repeat(i * 100)).unwrap();
        }
        let before = z.finish().unwrap().into_inner();
        let after = super::rewrite_parts_named(&before, &|n| n.starts_with("xl/"), &|_, xml| super::first_page_numbers(xml)).unwrap();
        let (mut old, mut new) =
            (zip::ZipArchive::new(std::io::Cursor::new(&before)).unwrap(), zip::ZipArchive::new(std::io::Cursor::new(&after)).unwrap());
        assert_eq!(new.file_names().map(|n| n.unwrap().to_string()).collect::<Vec<_>>(), names);
        for (i, n) in names.iter().enumerate() {
            let mut text = String::new();
            new.by_index(i).unwrap().read_to_string(&mut text).unwrap();
            let tail = "x".repeat(i * 100);
            if n.starts_with("keep/") {
                assert_eq!(text, format!("<pageSetup useFirstPageNumber=\"{i}\"/>{tail}"));
                let raw = |z: &mut zip::ZipArchive<std::io::Cursor<&Vec<u8>>>| {
                    let mut v = Vec::new();
                    z.by_index_raw(i).unwrap().read_to_end(&mut v).unwrap();
                    v
                };
                assert_eq!(raw(&mut new), raw(&mut old), "{n} copied as it was");
            } else {
                assert_eq!(text, format!("<pageSetup firstPageNumber=\"{i}\" useFirstPageNumber=\"1\"/>{tail}"));
            }
        }
    }

    #[test]
    fn fitted_widths_print_at_readable_size() {
        let wide = vec![18.0, 26.0, 6.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 9.0, 44.0];
        let fitted = super::fit_widths(&wide, true);
        assert!(super::scale_for(&fitted, true) >= super::MIN_PRINT_SCALE);
        assert!(super::BODY_POINTS * super::MIN_PRINT_SCALE as f64 / 100.0 >= super::MIN_PRINTED_POINTS);
        let narrow = vec![10.0, 20.0];
        assert_eq!(super::fit_widths(&narrow, false), narrow);
    }
}
