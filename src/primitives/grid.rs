//! Opening a spreadsheet file safely and reading its visible sheets into bounded sparse grids.
//!
//! The file's bytes are sniffed before any parser sees them (the extension is not trusted),
//! and cells are streamed: a grid never allocates rows × columns, so a tiny file with a value
//! in XFD1048576 costs nothing. Everything here returns a plain Japanese reason on failure.

use crate::finding::a1;
use calamine::{Data, DataRef, Reader, SheetVisible, Xls, Xlsb, Xlsx, open_workbook_from_rs};
use std::collections::{BTreeMap, HashSet};
use std::io::{Cursor, Read, Write};

/// A cell value as the department left it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// An Excel error value such as `#N/A`.
    Error(String),
    /// A date or time, as Excel's serial number or ISO text.
    Date(String),
}

impl Value {
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }

    /// The value read as a fiscal-effect amount: numbers as typed, text through the visible
    /// normalisation, anything else (error values, booleans, dates) unreadable.
    pub fn amount(&self) -> crate::normalize::ParsedAmount {
        use crate::normalize::{Amount, ParsedAmount, amount_from_number, amount_from_text};
        match self {
            Value::Number(n) => amount_from_number(*n),
            Value::Text(t) => amount_from_text(t),
            Value::Empty => ParsedAmount { amount: Amount::Empty, note: None },
            other => ParsedAmount { amount: Amount::Unreadable(other.text()), note: None },
        }
    }

    /// How many characters [`text`](Self::text) has, without copying a text to count it.
    pub fn char_count(&self) -> usize {
        match self {
            Value::Text(t) => t.chars().count(),
            other => other.text().chars().count(),
        }
    }

    /// How long [`text`](Self::text) is as Excel counts a cell's characters (UTF-16 units: an
    /// emoji counts two), without copying a text to count it.
    pub fn excel_len(&self) -> usize {
        match self {
            Value::Text(t) => t.encode_utf16().count(),
            other => other.text().encode_utf16().count(),
        }
    }

    /// The value as text, numbers without a trailing `.0`.
    pub fn text(&self) -> String {
        match self {
            Value::Empty => String::new(),
            Value::Text(t) => t.clone(),
            Value::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    format!("{}", *n as i64)
                } else {
                    n.to_string()
                }
            }
            Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Value::Error(e) => e.clone(),
            Value::Date(d) => d.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub value: Value,
    /// The cell holds a formula; `value` is its cached result (Empty when none was saved).
    pub formula: bool,
    /// How Excel shows a number when that is not as a plain number: the value is the number
    /// stored, and a finding says what the department saw.
    pub shown: Option<Shown>,
}

impl Cell {
    /// Neither a value nor a formula: a styled blank, which a grid does not keep.
    fn is_nothing(&self) -> bool {
        self.value == Value::Empty && !self.formula
    }
}

/// One row of a sheet: its number (zero-based) and its cells, left to right.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub number: u32,
    cells: &'a [((u32, u32), Cell)],
}

impl<'a> Row<'a> {
    pub fn get(&self, col: u32) -> Option<&'a Cell> {
        self.cells.binary_search_by_key(&col, |(p, _)| p.1).ok().map(|i| &self.cells[i].1)
    }

    pub fn value(&self, col: u32) -> &'a Value {
        static EMPTY: Value = Value::Empty;
        self.get(col).map(|c| &c.value).unwrap_or(&EMPTY)
    }

    /// The cells that hold something (a value, or a formula), left to right, as
    /// [`Grid::row`] gives them.
    pub fn filled(&self) -> impl Iterator<Item = (u32, &'a Cell)> + use<'a> {
        self.cells.iter().filter(|(_, c)| !c.value.is_empty() || c.formula).map(|((_, col), c)| (*col, c))
    }

    pub fn is_blank(&self) -> bool {
        self.filled().next().is_none()
    }

    /// The row's cells as its own, to be kept past the reading.
    pub fn keep(&self) -> OwnedRow {
        OwnedRow(self.cells.to_vec())
    }
}

/// A [`Row`] kept: its cells, with their places.
#[derive(Debug, Clone)]
pub struct OwnedRow(Vec<((u32, u32), Cell)>);

impl OwnedRow {
    pub fn row(&self) -> Row<'_> {
        Row { number: self.0.first().map_or(0, |c| c.0.0), cells: &self.0 }
    }
}

/// What takes a sheet's rows from [`Sheets::stream_rows`].
pub trait RowSink {
    /// The last row the sheet says it has (its `dimension`), before any row: room to make
    /// ready. Only a hint: a file may say anything there.
    fn last_row(&mut self, _row: u32) {}
    fn row(&mut self, row: Row<'_>);
}

/// What [`Sheets::stream_rows`] found.
#[derive(Debug, PartialEq)]
pub enum Streamed {
    /// No sheet of that name, or one without cells.
    Missing,
    /// Every row was given, in order. `outside`: cells beyond the limits, not given.
    Read { name: String, outside: usize },
    /// The sheet's XML does not list its cells in order, so the rows given so far are not
    /// the sheet: forget them and [`Sheets::take`] the sheet whole, which puts them in order.
    Disordered,
}

/// A number format that makes Excel show a stored number as something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// A date or time format: 14235 shows as 1938/12/22.
    Date,
    /// A percent format: 14235 shows as 1423500%.
    Percent,
}

impl Shown {
    /// What Excel shows for `number` in this format (the usual spelling; the exact one
    /// depends on the format code).
    pub fn display(self, number: f64) -> String {
        match self {
            Shown::Date => {
                // Excel's 1900 date system: day 1 is 1900-01-01, and day 60 the 29 February
                // 1900 that never was; from day 61 on, days count from 1899-12-30.
                let base = chrono::NaiveDate::from_ymd_opt(1899, 12, if number >= 61.0 { 30 } else { 31 }).unwrap_or_default();
                match base.checked_add_signed(chrono::Duration::days(number.trunc() as i64)) {
                    Some(d) if number >= 1.0 => d.format("%Y/%m/%d").to_string(),
                    _ => number.to_string(),
                }
            }
            Shown::Percent => {
                let p = number * 100.0;
                if p.fract() == 0.0 { format!("{}%", p as i64) } else { format!("{p}%") }
            }
        }
    }

    pub fn japanese(self) -> &'static str {
        match self {
            Shown::Date => "日付",
            Shown::Percent => "パーセント",
        }
    }
}

/// One worksheet's cells within the layout's bounds, keyed by zero-based (row, column).
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub name: String,
    /// Defined names of the workbook that point at one cell of this sheet: name → (row, col).
    pub names: BTreeMap<String, (u32, u32)>,
    /// In (row, column) order, each position once: a sorted list, not a tree, since sheets
    /// arrive row by row; it holds a cell in two thirds of the room and is built faster.
    cells: Vec<((u32, u32), Cell)>,
    /// A cell arrived out of order since the last [`Grid::settle`].
    unsorted: bool,
    /// Cells that lay outside the bounds and were not read: how many, and the farthest one.
    pub outside: usize,
    pub farthest_outside: Option<(u32, u32)>,
}

impl Grid {
    pub fn get(&self, row: u32, col: u32) -> Option<&Cell> {
        self.cells.binary_search_by_key(&(row, col), |(p, _)| *p).ok().map(|i| &self.cells[i].1)
    }

    fn get_mut(&mut self, pos: (u32, u32)) -> Option<&mut Cell> {
        self.cells.binary_search_by_key(&pos, |(p, _)| *p).ok().map(|i| &mut self.cells[i].1)
    }

    /// Every cell read, in (row, column) order.
    pub fn cells(&self) -> impl Iterator<Item = (&(u32, u32), &Cell)> {
        self.cells.iter().map(|(p, c)| (p, c))
    }

    pub fn value(&self, row: u32, col: u32) -> &Value {
        static EMPTY: Value = Value::Empty;
        self.get(row, col).map(|c| &c.value).unwrap_or(&EMPTY)
    }

    /// Non-empty cells of one row, left to right.
    pub fn row(&self, row: u32) -> impl Iterator<Item = (u32, &Cell)> {
        let start = self.cells.partition_point(|(p, _)| p.0 < row);
        let end = start + self.cells[start..].partition_point(|(p, _)| p.0 == row);
        Row { number: row, cells: &self.cells[start..end] }.filled()
    }

    pub fn last_row(&self) -> u32 {
        self.cells.last().map(|(p, _)| p.0).unwrap_or(0)
    }

    /// Every row that has a cell, top to bottom: the same view [`Sheets::stream_rows`] gives.
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.cells.chunk_by(|a, b| a.0.0 == b.0.0).map(|cells| Row { number: cells[0].0.0, cells })
    }

    /// Puts cells that arrived out of order in their place; of two at one position the later
    /// stands, as when the sheet's XML names a cell twice.
    fn settle(&mut self) {
        if std::mem::take(&mut self.unsorted) {
            // Stable: among cells at one position the last read stays last.
            self.cells.sort_by_key(|(p, _)| *p);
            let mut out: Vec<((u32, u32), Cell)> = Vec::with_capacity(self.cells.len());
            for (p, c) in self.cells.drain(..) {
                match out.last_mut() {
                    Some(last) if last.0 == p => last.1 = c,
                    _ => out.push((p, c)),
                }
            }
            self.cells = out;
        }
        self.cells.shrink_to_fit();
    }

    fn put(&mut self, pos: (u32, u32), cell: Cell, limits: &Limits) {
        if cell.is_nothing() {
            return;
        }
        if !limits.holds(pos) {
            self.outside += 1;
            if self.farthest_outside.is_none_or(|f| pos > f) {
                self.farthest_outside = Some(pos);
            }
            return;
        }
        if self.cells.last().is_some_and(|(last, _)| *last >= pos) {
            self.unsorted = true;
        }
        self.cells.push((pos, cell));
    }

    pub fn farthest_outside_a1(&self) -> Option<String> {
        self.farthest_outside.map(|(r, c)| a1(r, c))
    }
}

/// What a workbook held: its visible sheets, and facts for the ledger.
#[derive(Debug, Clone, Default)]
pub struct Book {
    pub sheets: Vec<Grid>,
    pub hidden_sheets: Vec<String>,
    pub has_macros: bool,
    pub format: &'static str,
    /// When the workbook says it was last saved (`docProps/core.xml`, dcterms:modified):
    /// unlike the file's time, copying or mailing the file does not change it.
    pub saved: Option<chrono::DateTime<chrono::Utc>>,
    /// What kaito wrote this workbook as (its `kaito` custom document property), when it did.
    pub made_by: Option<String>,
}

/// The custom document property that marks kaito's own outputs, and its values.
pub const MADE_BY_PROPERTY: &str = "kaito";

/// Safety limits; the defaults fit any real response sheet with a wide margin.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_rows: u32,
    pub max_columns: u32,
    /// Largest file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Largest total of a zip's entries once inflated, in bytes (zip-bomb guard).
    pub max_inflated_bytes: u64,
    /// Most cells read from one sheet, in or out of bounds.
    pub max_cells: usize,
    /// Largest `.xlsx` (its parts' total once inflated) whose parts are inflated once, checked
    /// and kept inflated for calamine: a response sheet is a few dozen kilobytes, and opening
    /// each part a second time was a fifth of `check` on small files. A larger workbook (a
    /// plan of many items) is checked part by part as it streams and inflated again by
    /// calamine, never held whole.
    pub max_kept_inflated_bytes: u64,
}

impl Limits {
    /// Whether a cell at `pos` lies within the rows and columns read.
    fn holds(&self, pos: (u32, u32)) -> bool {
        pos.0 < self.max_rows && pos.1 < self.max_columns
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rows: 2000,
            max_columns: 64,
            max_file_bytes: 64 * 1024 * 1024,
            max_inflated_bytes: 256 * 1024 * 1024,
            max_cells: 200_000,
            max_kept_inflated_bytes: 16 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// The office's own plan workbook: as large as Excel allows (a prefecture's plan can have
    /// thousands of items and many more activity rows), never cut at a response sheet's size.
    pub fn for_plan() -> Limits {
        Limits {
            max_rows: 1_048_576,
            max_columns: 16_384,
            max_file_bytes: 512 * 1024 * 1024,
            max_inflated_bytes: 2048 * 1024 * 1024,
            max_cells: 50_000_000,
            // A plan's rows are streamed: its sheet's XML is never held whole.
            max_kept_inflated_bytes: 0,
        }
    }
}

/// What a file's bytes are, whatever its name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Zip,
    Cfb,
    Html,
    Text,
    Empty,
    Binary,
}

pub fn sniff(bytes: &[u8]) -> Kind {
    if bytes.is_empty() {
        return Kind::Empty;
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Kind::Zip;
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Kind::Cfb;
    }
    let head = &bytes[..bytes.len().min(2048)];
    let lower = String::from_utf8_lossy(head).to_lowercase();
    let trimmed = lower.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with("<!doctype html")
        || trimmed.starts_with("<html")
        || lower.contains("<html")
        || lower.contains("urn:schemas-microsoft-com:office:excel")
    {
        return Kind::Html;
    }
    let text_like = std::str::from_utf8(head).is_ok() || head.iter().filter(|b| **b == 0 || (**b < 0x09)).count() == 0;
    if text_like { Kind::Text } else { Kind::Binary }
}

/// Searched with SIMD: the guard looks for a DTD in the head of every part of every file.
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// Opens a spreadsheet from its bytes. `Err` carries the plain reason shown to users.
pub fn open(bytes: &[u8], limits: &Limits) -> Result<Book, String> {
    let mut sheets = open_sheets(bytes, limits)?;
    sheets.read_all()?;
    Ok(sheets.book)
}

/// A workbook opened and checked, whose sheets are read one at a time when asked for (`.xlsx`
/// and `.xlsm`; other formats are read whole): a large workbook, a plan of a hundred thousand
/// items, then never holds every sheet's cells at once.
pub struct Sheets<'a> {
    /// The workbook's facts, and the sheets read so far and not taken.
    pub book: Book,
    /// Visible sheets not read yet, in workbook order.
    unread: Vec<String>,
    xlsx: Option<LazyXlsx<'a>>,
    limits: Limits,
}

/// An opened `.xlsx` and its defined names (name, formula), for sheets read later.
type LazyXlsx<'a> = (Xlsx<Package<'a>>, Vec<(String, String)>);

/// What calamine reads an `.xlsx` from: the file's own bytes, or the same package with the
/// parts it parses kept inflated (see [`Limits::max_kept_inflated_bytes`]).
type Package<'a> = Cursor<std::borrow::Cow<'a, [u8]>>;

impl Sheets<'_> {
    /// The visible sheets' names, in workbook order (those read and those not yet).
    pub fn names(&self) -> Vec<String> {
        self.book.sheets.iter().map(|g| g.name.clone()).chain(self.unread.iter().cloned()).collect()
    }

    /// The sheet named `name` (as `same` compares names), read now if it was not: `None` when
    /// there is none, or it has no cells (a chart sheet). Taken: asking again gives `None`.
    pub fn take(&mut self, name: &str, same: impl Fn(&str, &str) -> bool) -> Result<Option<Grid>, String> {
        if let Some(i) = self.book.sheets.iter().position(|g| same(&g.name, name)) {
            return Ok(Some(self.book.sheets.remove(i)));
        }
        let Some(i) = self.unread.iter().position(|n| same(n, name)) else { return Ok(None) };
        let sheet = self.unread.remove(i);
        match &mut self.xlsx {
            Some((wb, defined)) => xlsx_sheet(wb, &sheet, defined, &self.limits),
            None => Ok(None),
        }
    }

    /// Gives the sheet named `name` to `each` a row at a time, in order, skipping rows that
    /// hold nothing, without holding the whole sheet: a plan's sheet of a hundred thousand
    /// items then costs one row's cells rather than all of them. Rows carry no percent mark
    /// (see [`Cell::shown`]); a sheet read already is given from its grid. Taken, as with
    /// [`take`](Self::take), unless the answer is [`Streamed::Disordered`].
    pub fn stream_rows(&mut self, name: &str, same: impl Fn(&str, &str) -> bool, each: &mut dyn RowSink) -> Result<Streamed, String> {
        if let Some(i) = self.book.sheets.iter().position(|g| same(&g.name, name)) {
            let grid = self.book.sheets.remove(i);
            each.last_row(grid.last_row());
            grid.rows().filter(|r| !r.is_blank()).for_each(|r| each.row(r));
            return Ok(Streamed::Read { name: grid.name, outside: grid.outside });
        }
        let Some(i) = self.unread.iter().position(|n| same(n, name)) else { return Ok(Streamed::Missing) };
        let Some((wb, _)) = &mut self.xlsx else { return Ok(Streamed::Missing) };
        let sheet = self.unread[i].clone();
        let Ok(mut reader) = wb.worksheet_cells_reader(&sheet) else {
            self.unread.remove(i);
            return Ok(Streamed::Missing);
        };
        let limits = &self.limits;
        each.last_row(reader.dimensions().end.0.min(limits.max_rows));
        let (mut seen, mut outside) = (0usize, 0usize);
        let mut row: Vec<((u32, u32), Cell)> = Vec::new();
        // The place of the last cell kept, which the next must come after.
        let mut last: Option<(u32, u32)> = None;
        let mut give = |row: &mut Vec<((u32, u32), Cell)>| {
            let r = Row { number: row.first().map_or(0, |c| c.0.0), cells: row };
            if !r.is_blank() {
                each.row(r);
            }
            row.clear();
        };
        while let Some((pos, cell)) = next_cell(&mut reader, &sheet, &mut seen, limits)? {
            if cell.is_nothing() {
                continue;
            }
            if !limits.holds(pos) {
                outside += 1;
                continue;
            }
            match last {
                // The sheet's cells are out of order: the sheet stays to be read whole.
                Some(l) if l >= pos => return Ok(Streamed::Disordered),
                Some(l) if l.0 < pos.0 => give(&mut row),
                _ => {}
            }
            last = Some(pos);
            row.push((pos, cell));
        }
        give(&mut row);
        self.unread.remove(i);
        Ok(Streamed::Read { name: sheet, outside })
    }

    /// Puts a sheet [`take`](Self::take)n back, for a later `take` to find.
    pub fn give_back(&mut self, grid: Grid) {
        self.book.sheets.push(grid);
    }

    /// Reads every sheet not read yet, into `book.sheets`, in workbook order.
    pub fn read_all(&mut self) -> Result<&[Grid], String> {
        // Only an .xlsx has sheets left unread; a sheet given back comes before them.
        if let Some((wb, defined)) = &mut self.xlsx {
            for name in std::mem::take(&mut self.unread) {
                if let Some(g) = xlsx_sheet(wb, &name, defined, &self.limits)? {
                    self.book.sheets.push(g);
                }
            }
        }
        Ok(&self.book.sheets)
    }
}

/// Opens a spreadsheet from its bytes, its sheets left to read (see [`Sheets`]).
pub fn open_sheets<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Sheets<'a>, String> {
    let whole = |book: Book| Sheets { book, unread: vec![], xlsx: None, limits: limits.clone() };
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(format!(
            "ファイルが大きすぎます({} バイト、上限 {} バイト)。回答票だけを保存し直して送ってください",
            bytes.len(),
            limits.max_file_bytes
        ));
    }
    match sniff(bytes) {
        Kind::Empty => Err("ファイルが壊れています(0バイトの空ファイルです)。Excelで開いて保存し直してください".into()),
        Kind::Html => {
            Err("Webページ(HTML)をExcelの拡張子で保存したファイルです。Excelで開き、「名前を付けて保存」で .xlsx 形式にして送ってください"
                .into())
        }
        Kind::Text => {
            Err("中身が文字だけのファイル(テキストまたはCSV)です。Excelで開き、「名前を付けて保存」で .xlsx 形式にして送ってください"
                .into())
        }
        Kind::Binary => Err("ファイルが壊れています(Excelの形式ではありません)。元のファイルを送り直してください".into()),
        Kind::Cfb => {
            if contains(bytes, &utf16("EncryptedPackage")) {
                return Err("パスワードで保護されています。パスワードを解除して保存し、送り直してください".into());
            }
            open_xls(bytes, limits).map(whole)
        }
        Kind::Zip => open_zip(bytes, limits),
    }
}

fn open_zip<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Sheets<'a>, String> {
    let whole = |book: Book| Sheets { book, unread: vec![], xlsx: None, limits: limits.clone() };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| "ファイルが壊れています(ZIPとして読めません)。Excelで開いて保存し直してください".to_string())?;
    let mut inflated: u64 = 0;
    let mut names = Vec::new();
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| "ファイルが壊れています(ZIPの項目が読めません)".to_string())?;
        inflated = inflated.saturating_add(entry.size());
        names.push(entry.name().map(|n| n.to_string()).unwrap_or_default());
    }
    if inflated > limits.max_inflated_bytes {
        return Err(format!(
            "展開後の大きさが上限を超えます(展開後 {} バイト、上限 {} バイト)。圧縮爆弾の疑いがあるため読みません",
            inflated, limits.max_inflated_bytes
        ));
    }
    let has_macros = names.iter().any(|n| n.ends_with("vbaProject.bin"));

    if names.iter().any(|n| n == "content.xml") {
        return open_ods(bytes, limits).map(whole);
    }
    if names.iter().any(|n| n.starts_with("xl/") && n.ends_with(".bin"))
        && !names.iter().any(|n| n.ends_with(".xml") && n.starts_with("xl/worksheets/"))
    {
        return open_xlsb(bytes, limits, has_macros).map(whole);
    }
    // A small package (a response sheet) has the parts calamine parses inflated once here,
    // checked, and kept inflated in a package of its own that calamine reads without
    // inflating again; a large one (a plan) is checked as each part streams by.
    let keep = inflated <= limits.max_kept_inflated_bytes;
    let mut kept = keep.then(|| zip::ZipWriter::new(Cursor::new(Vec::with_capacity(inflated as usize + bytes.len()))));
    let taken_out = |name: &str| format!("ファイルが壊れています(部品 {name} を取り出せません)");
    for (i, name) in names.iter().enumerate() {
        let part = Part::of(name);
        match (&mut kept, part) {
            (Some(out), Part::Opened | Part::Sheet | Part::Parsed) => {
                let mut entry = archive.by_index(i).map_err(|_| taken_out(name))?;
                let declared = entry.size();
                let mut data = Vec::with_capacity(declared as usize);
                // A part that inflates beyond the size its entry declares is not what it says
                // (the zip reader's own check of its checksum catches most such parts first).
                (&mut entry)
                    .take(declared + 1)
                    .read_to_end(&mut data)
                    .map_err(|_| format!("ファイルが壊れています({name}: 展開できません)。Excelで開いて保存し直してください"))?;
                if data.len() as u64 > declared {
                    return Err(format!(
                        "ファイルが壊れています({name}: 展開後の大きさが記録と違います)。Excelで開いて保存し直してください"
                    ));
                }
                check_part(name, part, Inflated::<&[u8]>::Kept(&data), declared)?;
                let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
                out.start_file(name.as_str(), stored)
                    .and_then(|_| out.write_all(&data).map_err(zip::result::ZipError::from))
                    .map_err(|_| taken_out(name))?;
            }
            (Some(_), Part::Theme) => {}
            // Looked at as it streams by; in a kept package, copied as it is.
            (kept, part) => {
                if !matches!(part, Part::Parsed | Part::Other) {
                    let entry = archive.by_index(i).map_err(|_| taken_out(name))?;
                    let size = entry.size();
                    check_part(name, part, Inflated::Streaming(entry), size)?;
                }
                if let Some(out) = kept {
                    let entry = archive.by_index_raw(i).map_err(|_| taken_out(name))?;
                    out.raw_copy_file(entry).map_err(|_| taken_out(name))?;
                }
            }
        }
    }
    if !names.iter().any(|n| n == "xl/workbook.xml") {
        return Err("ZIP形式ですがExcelのブックではありません。Excelで開いて .xlsx で保存し直してください".into());
    }
    let saved = small_part(&mut archive, "docProps/core.xml").and_then(|xml| core_modified(&xml));
    let made_by = small_part(&mut archive, "docProps/custom.xml").and_then(|xml| custom_property(&xml, MADE_BY_PROPERTY));
    let package = match kept {
        Some(out) => {
            std::borrow::Cow::Owned(out.finish().map_err(|_| "ファイルが壊れています(ZIPとして読めません)".to_string())?.into_inner())
        }
        None => std::borrow::Cow::Borrowed(bytes),
    };
    let wb: Xlsx<_> =
        open_workbook_from_rs(Cursor::new(package)).map_err(|_| "ファイルが壊れています(Excelのブックとして読めません)".to_string())?;
    let mut book = Book { has_macros, format: "xlsx", saved, made_by, ..Default::default() };
    let defined = wb.defined_names().to_vec();
    let mut unread = Vec::new();
    for meta in wb.sheets_metadata() {
        if meta.visible == SheetVisible::Visible {
            unread.push(meta.name.clone());
        } else {
            book.hidden_sheets.push(meta.name.clone());
        }
    }
    Ok(Sheets { book, unread, xlsx: Some((wb, defined)), limits: limits.clone() })
}

/// What the guard does with a part of an `.xlsx` before calamine sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    /// A worksheet: every cell reference in it is looked at.
    Sheet,
    /// The workbook, its styles and shared strings, which calamine parses on opening: their
    /// heads are looked at for a DTD (entities could expand far beyond the inflated size), and
    /// the shared strings' head for their declared count.
    Opened,
    /// The theme: calamine parses it for colours kaito never reads. A package kept inflated
    /// leaves it out (calamine then takes the standard colours); otherwise its head is looked
    /// at as an opened part's.
    Theme,
    /// Any other XML part: its head is looked at for a DTD, as an opened part's.
    Head,
    /// A relationships part: calamine reads it, nothing in it is looked at.
    Parsed,
    /// Drawings, charts, the document properties (kaito reads them as text), the list of
    /// content types and any binary part: never given to an XML parser.
    Other,
}

impl Part {
    fn of(name: &str) -> Part {
        if name.starts_with("xl/worksheets/") && name.ends_with(".xml") {
            Part::Sheet
        } else if matches!(name, "xl/workbook.xml" | "xl/styles.xml" | "xl/sharedStrings.xml") {
            Part::Opened
        } else if name.starts_with("xl/theme/") {
            Part::Theme
        } else if name.starts_with("xl/drawings/") || name.starts_with("xl/charts/") || name.starts_with("docProps/") {
            Part::Other
        } else if name.ends_with(".xml") && name != "[Content_Types].xml" {
            Part::Head
        } else if name.ends_with(".rels") {
            Part::Parsed
        } else {
            Part::Other
        }
    }
}

/// A part's XML as the guard gets it: held whole, or read as it inflates.
enum Inflated<'a, R> {
    Kept(&'a [u8]),
    Streaming(R),
}

/// Refuses a part of an `.xlsx` that would make calamine misread or run away (see [`Part`]);
/// `size` is the part's size once inflated.
fn check_part<R: Read>(name: &str, part: Part, xml: Inflated<'_, R>, size: u64) -> Result<(), String> {
    let dtd = || format!("ファイル内のXML({name})に文書型宣言(DOCTYPE/ENTITY)があります。Excelが作るファイルにはないものなので読みません");
    match part {
        Part::Opened | Part::Theme | Part::Head => {
            // The shared strings' head also declares how many there are: one look serves both.
            let shared = name == "xl/sharedStrings.xml";
            let want = if shared { 2048 } else { 1024 };
            let mut buf = [0u8; 2048];
            let head = match xml {
                Inflated::Kept(data) => &data[..data.len().min(want)],
                Inflated::Streaming(mut r) => {
                    let n = read_up_to(&mut r, &mut buf[..want]);
                    &buf[..n]
                }
            };
            if contains(head, b"<!DOCTYPE") || contains(head, b"<!ENTITY") {
                return Err(dtd());
            }
            if shared {
                shared_strings_count(head, size)?;
            }
            Ok(())
        }
        // calamine multiplies its way through a cell reference: `AAAAAAAA1` overflows it. No
        // real reference is longer than XFD1048576, so the sheets are scanned for one first.
        Part::Sheet => match xml {
            Inflated::Kept(data) => check_cell_refs_in(data),
            Inflated::Streaming(r) => check_cell_refs(r),
        }
        .map_err(|why| {
            if why.contains("DOCTYPE") {
                dtd()
            } else {
                format!("ファイルが壊れています({name}: {why})。Excelで開いて保存し直してください")
            }
        }),
        Part::Parsed | Part::Other => Ok(()),
    }
}

/// calamine reserves room for the declared number of shared strings before reading them: a
/// forged count would make it ask for gigabytes. Each string takes at least a dozen bytes of
/// XML, so a count beyond the part's own (inflated) `size` is a lie. `head` is the part's start.
fn shared_strings_count(head: &[u8], size: u64) -> Result<(), String> {
    // Only the number of distinct strings bounds the part's size: `count` is the number of
    // cells that use them, which a workbook repeating its words (a plan of a thousand
    // projects) rightly has far more of.
    const ATTR: &[u8] = b"uniqueCount=\"";
    if let Some(i) = memchr::memmem::find(head, ATTR) {
        let digits = &head[i + ATTR.len()..];
        let digits = &digits[..digits.iter().take_while(|b| b.is_ascii_digit()).count()];
        let declared: u64 = std::str::from_utf8(digits).ok().and_then(|d| d.parse().ok()).unwrap_or(u64::MAX);
        if declared > size / 8 + 16 {
            return Err(format!(
                "共有文字列の数の宣言({declared} 個)が中身の大きさと合いません。壊れているか、細工されたファイルのため読みません"
            ));
        }
    }
    Ok(())
}

/// One sheet of an opened `.xlsx`, its cells streamed into a grid; `None` for a sheet without
/// cells (chart and dialog sheets).
fn xlsx_sheet(wb: &mut Xlsx<Package<'_>>, name: &str, defined: &[(String, String)], limits: &Limits) -> Result<Option<Grid>, String> {
    let mut grid = Grid { name: name.to_string(), ..Default::default() };
    let Ok(mut reader) = wb.worksheet_cells_reader(name) else {
        return Ok(None);
    };
    // Styles with a percent format: only a workbook that has one needs the second pass
    // below that finds which cells use them (most have none).
    let percent_styles: HashSet<usize> = reader
        .styles()
        .iter()
        .enumerate()
        .filter(|(_, st)| st.number_format.as_ref().is_some_and(|f| f.format_code.contains('%')))
        .map(|(i, _)| i)
        .collect();
    let mut seen = 0usize;
    while let Some((pos, cell)) = next_cell(&mut reader, name, &mut seen, limits)? {
        grid.put(pos, cell, limits);
    }
    drop(reader);
    grid.settle();
    if !percent_styles.is_empty() && grid.cells().any(|(_, c)| matches!(c.value, Value::Number(_))) {
        let mut reader = wb.worksheet_cells_reader(name).map_err(|_| format!("シート「{name}」が壊れています"))?;
        while let Some((c, style)) =
            reader.next_cell_with_style_id().map_err(|_| format!("シート「{name}」が壊れています(セルを読み取れません)"))?
        {
            if percent_styles.contains(&style)
                && let Some(cell) = grid.get_mut(c.get_position())
                && matches!(cell.value, Value::Number(_))
            {
                cell.shown = Some(Shown::Percent);
            }
        }
    }
    grid.names = names_on_sheet(defined, name);
    Ok(Some(grid))
}

/// A cell with its place, (row, column), zero-based.
type PlacedCell = ((u32, u32), Cell);

/// The sheet's next cell as read (its place, value and whether it holds a formula), `None` at
/// its end; counted in `seen` against the most cells a sheet may have.
fn next_cell(
    reader: &mut calamine::XlsxCellReader<'_, Package<'_>>,
    sheet: &str,
    seen: &mut usize,
    limits: &Limits,
) -> Result<Option<PlacedCell>, String> {
    let next = reader.next_cell_with_formula().map_err(|_| format!("シート「{sheet}」が壊れています(セルを読み取れません)"))?;
    let Some(c) = next else { return Ok(None) };
    *seen += 1;
    if *seen > limits.max_cells {
        return Err(format!("シート「{sheet}」のセルが多すぎます(上限 {} 個)。回答票だけを残して保存し直してください", limits.max_cells));
    }
    let formula = c.formula.as_deref().is_some_and(|f| !f.is_empty());
    let (value, shown) = from_ref(&c.value);
    Ok(Some((c.pos, Cell { value, formula, shown })))
}

/// kaito's mark on a workbook file (its `kaito` custom document property), read without
/// opening the workbook: used to tell kaito's own outputs from a department's file.
pub fn made_by_of_file(path: &std::path::Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    if sniff(&bytes) != Kind::Zip {
        return None;
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(&bytes[..])).ok()?;
    small_part(&mut archive, "docProps/custom.xml").and_then(|xml| custom_property(&xml, MADE_BY_PROPERTY))
}

/// A document-properties part as text, when present and of a sane size (they are a few
/// hundred bytes; anything over 64 KiB is not read).
fn small_part(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<String> {
    let mut entry = archive.by_name(name).ok()?;
    if entry.size() > 64 * 1024 {
        return None;
    }
    let mut buf = vec![0u8; entry.size() as usize];
    let n = read_up_to(&mut entry, &mut buf);
    Some(String::from_utf8_lossy(&buf[..n]).to_string())
}

/// The text of the first element named `tag` (`<dcterms:modified …>text</dcterms:modified>`).
fn element_text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{tag}"))?;
    let rest = &xml[start..];
    let open_end = rest.find('>')?;
    if rest[..open_end].ends_with('/') {
        return None;
    }
    let body = &rest[open_end + 1..];
    Some(&body[..body.find('<')?])
}

/// `dcterms:modified` of `docProps/core.xml`: when Excel (or kaito) last saved the workbook.
pub fn core_modified(xml: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let text = element_text(xml, "dcterms:modified")?.trim();
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|d| d.with_timezone(&chrono::Utc))
}

/// The text value of the custom document property `name` in `docProps/custom.xml`.
pub fn custom_property(xml: &str, name: &str) -> Option<String> {
    let at = xml.find(&format!("name=\"{name}\""))?;
    let rest = &xml[at..];
    let end = rest.find("</property>").unwrap_or(rest.len());
    element_text(&rest[..end], "vt:lpwstr").map(|t| t.to_string())
}

/// The defined names that refer to a single cell of `sheet` (`='0701-01'!$B$5`).
pub fn names_on_sheet(names: &[(String, String)], sheet: &str) -> BTreeMap<String, (u32, u32)> {
    let mut out = BTreeMap::new();
    for (name, formula) in names {
        let f = formula.trim_start_matches('=');
        let Some(bang) = f.rfind('!') else { continue };
        let target = f[..bang].trim_matches('\'').replace("''", "'");
        if target != sheet {
            continue;
        }
        if let Some(pos) = parse_a1(&f[bang + 1..].replace('$', "")) {
            out.insert(name.clone(), pos);
        }
    }
    out
}

/// `B5` → (4, 1)
pub fn parse_a1(cell: &str) -> Option<(u32, u32)> {
    let split = cell.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = cell.split_at(split);
    if letters.is_empty() || !letters.chars().all(|c| c.is_ascii_uppercase()) {
        return None;
    }
    let row: u32 = digits.parse().ok()?;
    let col = letters.chars().try_fold(0u32, |acc, c| acc.checked_mul(26)?.checked_add(c as u32 - 'A' as u32 + 1))?;
    (row >= 1 && col >= 1).then(|| (row - 1, col - 1))
}

/// Reads a sheet's XML once and refuses cell or row references Excel cannot have
/// (over three column letters or seven row digits), and XML that does not inflate.
fn check_cell_refs(mut r: impl Read) -> Result<(), String> {
    // Each chunk is read after what the previous one left: a reference cut by the boundary
    // (at most 64 bytes and the needle, or the start of a needle).
    const CHUNK: usize = 64 * 1024;
    let mut buf = vec![0u8; CHUNK + 128];
    let mut carried = 0;
    let mut first = true;
    loop {
        let n = r.read(&mut buf[carried..carried + CHUNK]).map_err(|_| "展開できません".to_string())?;
        if n == 0 {
            return Ok(());
        }
        let end = carried + n;
        if std::mem::take(&mut first) {
            refuse_dtd(&buf[..end])?;
        }
        let keep_from = scan_cell_refs(&buf[..end])?;
        buf.copy_within(keep_from..end, 0);
        carried = end - keep_from;
    }
}

/// [`check_cell_refs`] on a sheet's XML held whole.
fn check_cell_refs_in(xml: &[u8]) -> Result<(), String> {
    refuse_dtd(xml)?;
    scan_cell_refs(xml).map(|_| ())
}

fn refuse_dtd(head: &[u8]) -> Result<(), String> {
    let head = &head[..head.len().min(1024)];
    if contains(head, b"<!DOCTYPE") || contains(head, b"<!ENTITY") {
        return Err("文書型宣言(DOCTYPE/ENTITY)があります".into());
    }
    Ok(())
}

/// Refuses an absurd cell reference in `chunk`; gives where the next chunk must start: the
/// last bytes, which may begin a reference cut by the chunk's end.
fn scan_cell_refs(chunk: &[u8]) -> Result<usize, String> {
    const NEEDLE: &[u8] = b" r=\"";
    // Searched with SIMD: this pass reads every byte of every sheet.
    let finder = memchr::memmem::Finder::new(NEEDLE);
    let end = chunk.len();
    let mut i = 0;
    while let Some(pos) = finder.find(&chunk[i..]) {
        let start = i + pos + NEEDLE.len();
        let Some(len) = memchr::memchr(b'"', &chunk[start..]) else {
            // The value runs past this chunk: keep it for the next one, unless absurd.
            if end - start > 64 {
                return Err("セル番地が長すぎます".into());
            }
            return Ok(i + pos);
        };
        let value = &chunk[start..start + len];
        let letters = value.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let digits = value.len() - letters;
        if letters > 3 || digits > 7 {
            return Err(format!("Excel にないセル番地「{}」があります", String::from_utf8_lossy(&value[..value.len().min(40)])));
        }
        i = start + len;
    }
    Ok(end.saturating_sub(NEEDLE.len() - 1).max(i.min(end)))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

/// A number in a date format is still the number the department typed (14235 typed into a
/// cell formatted as a date shows 1938/12/22): it is kept as that number, with the format noted.
fn from_ref(v: &DataRef<'_>) -> (Value, Option<Shown>) {
    let value = match v {
        DataRef::Int(i) => Value::Number(*i as f64),
        DataRef::Float(f) => Value::Number(*f),
        DataRef::String(s) => Value::Text(s.clone()),
        DataRef::SharedString(s) => Value::Text(s.to_string()),
        DataRef::Bool(b) => Value::Bool(*b),
        DataRef::DateTime(d) => return (Value::Number(d.as_f64()), Some(Shown::Date)),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Value::Date(s.clone()),
        DataRef::Error(e) => Value::Error(e.to_string()),
        DataRef::Empty => Value::Empty,
    };
    (value, None)
}

fn from_data(v: &Data) -> (Value, Option<Shown>) {
    let value = match v {
        Data::Int(i) => Value::Number(*i as f64),
        Data::Float(f) => Value::Number(*f),
        Data::String(s) => Value::Text(s.clone()),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(d) => return (Value::Number(d.as_f64()), Some(Shown::Date)),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Value::Date(s.clone()),
        Data::Error(e) => Value::Error(e.to_string()),
        Data::Empty => Value::Empty,
    };
    (value, None)
}

/// Formats without a streaming reader (.xls, .xlsb, .ods) are read whole; their own size
/// limits (65,536 rows in .xls) and the file-size cap keep that bounded.
fn book_from_ranges<R: Reader<Cursor<Vec<u8>>>>(mut wb: R, limits: &Limits, format: &'static str, has_macros: bool) -> Result<Book, String>
where
    R::Error: std::fmt::Display,
{
    let mut book = Book { has_macros, format, ..Default::default() };
    let metas = wb.sheets_metadata().to_vec();
    for meta in metas {
        if meta.visible != SheetVisible::Visible {
            book.hidden_sheets.push(meta.name.clone());
            continue;
        }
        let range = wb.worksheet_range(&meta.name).map_err(|_| format!("シート「{}」が読めません(中身が壊れています)", meta.name))?;
        let formulas = wb.worksheet_formula(&meta.name).ok();
        let mut grid = Grid { name: meta.name.clone(), ..Default::default() };
        for (count, (r, c, v)) in range.used_cells().enumerate() {
            if count > limits.max_cells {
                return Err(format!("シート「{}」のセルが多すぎます(上限 {} 個)", meta.name, limits.max_cells));
            }
            let (r0, c0) = range.start().unwrap_or((0, 0));
            let pos = (r0 + r as u32, c0 + c as u32);
            let formula = formulas.as_ref().and_then(|f| f.get_value(pos)).is_some_and(|f: &String| !f.is_empty());
            let (value, shown) = from_data(v);
            grid.put(pos, Cell { value, formula, shown }, limits);
        }
        grid.settle();
        book.sheets.push(grid);
    }
    Ok(book)
}

fn open_xls(bytes: &[u8], limits: &Limits) -> Result<Book, String> {
    // BIFF5 (Excel 5.0/95) workbooks keep their cells in a stream named "Book"; BIFF8 in
    // "Workbook". Old formats are refused rather than risk reading garbage.
    if !contains(bytes, &utf16("Workbook")) && contains(bytes, &utf16("Book")) {
        return Err("Excel 95 以前の古い形式(.xls, BIFF5)です。Excelで開き、.xlsx 形式で保存し直してください".into());
    }
    let wb: Xls<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|_| "ファイルが壊れています(.xls として読めません)。Excelで開いて .xlsx で保存し直してください".to_string())?;
    book_from_ranges(wb, limits, "xls", false)
}

fn open_xlsb(bytes: &[u8], limits: &Limits, has_macros: bool) -> Result<Book, String> {
    let wb: Xlsb<_> =
        open_workbook_from_rs(Cursor::new(bytes.to_vec())).map_err(|_| "ファイルが壊れています(.xlsb として読めません)".to_string())?;
    book_from_ranges(wb, limits, "xlsb", has_macros)
}

fn open_ods(bytes: &[u8], limits: &Limits) -> Result<Book, String> {
    let wb: calamine::Ods<_> =
        open_workbook_from_rs(Cursor::new(bytes.to_vec())).map_err(|_| "ファイルが壊れています(.ods として読めません)".to_string())?;
    book_from_ranges(wb, limits, "ods", false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_what_files_really_are() {
        assert_eq!(sniff(b""), Kind::Empty);
        assert_eq!(sniff(b"PK\x03\x04rest"), Kind::Zip);
        assert_eq!(sniff("事業コード,0701-01\n".as_bytes()), Kind::Text);
        assert_eq!(sniff(b"<html><body><table></table>"), Kind::Html);
        assert_eq!(sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]), Kind::Cfb);
    }

    #[test]
    fn cell_references_excel_cannot_have_are_refused() {
        let check_cell_refs = |xml: &[u8]| {
            let streamed = super::check_cell_refs(xml);
            assert_eq!(streamed, check_cell_refs_in(xml));
            streamed
        };
        assert!(check_cell_refs(&b"<row r=\"1\"><c r=\"XFD1048576\"/></row>"[..]).is_ok());
        assert!(check_cell_refs(&b"<c r=\"AAAAAAAA1\"/>"[..]).unwrap_err().contains("AAAAAAAA1"));
        assert!(check_cell_refs(&b"<row r=\"99999999999\">"[..]).is_err());
        // A reference cut by the read buffer is still seen whole.
        let mut xml = vec![b' '; 64 * 1024 - 6];
        xml.extend_from_slice(b" r=\"AAAAAAAAAA1\"");
        assert!(check_cell_refs(&xml[..]).is_err());
        // So is one whose ` r="` itself is cut, at each place it can be.
        for cut in 1..4 {
            let mut xml = vec![b' '; 64 * 1024 - cut];
            xml.extend_from_slice(b"r=\"AAAAAAAAAA1\" ");
            assert!(check_cell_refs(&xml[..]).is_err(), "cut {cut}");
            let mut ok = vec![b' '; 64 * 1024 - cut];
            ok.extend_from_slice(b"r=\"XFD7\" r=\"A1\"/>");
            assert!(check_cell_refs(&ok[..]).is_ok(), "cut {cut}");
        }
    }

    #[test]
    fn rejects_with_plain_reasons() {
        let l = Limits::default();
        assert!(open(b"", &l).unwrap_err().contains("壊れています"));
        assert!(open(b"a,b\n1,2\n", &l).unwrap_err().contains("テキストまたはCSV"));
        assert!(open(b"PK\x03\x04garbage", &l).unwrap_err().contains("壊れています"));
    }
}

#[cfg(test)]
mod order_tests {
    use super::*;

    #[test]
    fn cells_out_of_order_are_found_and_the_later_of_two_at_one_place_stands() {
        let limits = Limits::default();
        let mut g = Grid::default();
        let text = |t: &str| Cell { value: Value::Text(t.into()), formula: false, shown: None };
        for (pos, t) in [((2, 1), "c"), ((0, 3), "a"), ((2, 0), "b"), ((0, 3), "a2"), ((5, 2), "d")] {
            g.put(pos, text(t), &limits);
        }
        g.settle();
        let all: Vec<((u32, u32), String)> = g.cells().map(|(p, c)| (*p, c.value.text())).collect();
        assert_eq!(all, vec![((0, 3), "a2".into()), ((2, 0), "b".into()), ((2, 1), "c".into()), ((5, 2), "d".into())]);
        assert_eq!(g.get(2, 1).map(|c| c.value.text()), Some("c".into()));
        assert!(g.get(1, 1).is_none());
        assert_eq!(g.row(2).map(|(c, _)| c).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(g.row(3).count(), 0);
        assert_eq!(g.last_row(), 5);
    }
}

#[cfg(test)]
mod names_tests {
    #[test]
    fn defined_names_to_cells() {
        assert_eq!(super::parse_a1("B5"), Some((4, 1)));
        assert_eq!(super::parse_a1("XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(super::parse_a1("5B"), None);
        let names = vec![("kaito_code".to_string(), "='0701-01'!$B$5".to_string()), ("other".to_string(), "=Sheet2!$A$1".to_string())];
        let m = super::names_on_sheet(&names, "0701-01");
        assert_eq!(m.get("kaito_code"), Some(&(4, 1)));
        assert_eq!(m.len(), 1);
    }
}

#[cfg(test)]
mod stream_tests {
    use super::*;
    use std::io::Write;

    /// A workbook of one sheet 事業 with the texts given, by (row, column).
    fn book(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet().set_name("事業").unwrap();
        for (r, c, t) in cells {
            ws.write_string(*r, *c, *t).unwrap();
        }
        wb.save_to_buffer().unwrap()
    }

    /// The workbook with the sheet's XML changed by `f`.
    fn patched(bytes: &[u8], f: impl Fn(String) -> String) -> Vec<u8> {
        patched_part(bytes, "xl/worksheets/sheet1.xml", f)
    }

    /// The workbook with the XML of `part` changed by `f`.
    fn patched_part(bytes: &[u8], part: &str, f: impl Fn(String) -> String) -> Vec<u8> {
        let mut src = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut out = Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut out);
        for i in 0..src.len() {
            let mut e = src.by_index(i).unwrap();
            let name = e.name().unwrap().to_string();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            if name == part {
                data = f(String::from_utf8(data).unwrap()).into_bytes();
            }
            z.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all(&data).unwrap();
        }
        z.finish().unwrap();
        out.into_inner()
    }

    struct Rows(Vec<(u32, Vec<(u32, String)>)>);
    impl RowSink for Rows {
        fn row(&mut self, row: Row<'_>) {
            self.0.push((row.number, row.filled().map(|(c, cell)| (c, cell.value.text())).collect()));
        }
    }

    /// A sheet's name and its cells as text, by place.
    type SheetText = (String, Vec<((u32, u32), String)>);

    /// What a workbook reads as: each sheet's cells as text, or the reason it is refused.
    fn read_as(bytes: &[u8], limits: &Limits) -> Result<Vec<SheetText>, String> {
        let book = open(bytes, limits)?;
        Ok(book.sheets.iter().map(|g| (g.name.clone(), g.cells().map(|(p, c)| (*p, c.value.text())).collect())).collect())
    }

    #[test]
    fn a_small_package_kept_inflated_reads_and_is_refused_as_one_checked_streaming() {
        let kept = Limits::default();
        let streamed = Limits { max_kept_inflated_bytes: 0, ..Limits::default() };
        let bytes = book(&[(0, 0, "事業コード"), (1, 0, "A-1"), (1, 1, "一"), (40, 9, "遠く")]);
        let read = read_as(&bytes, &kept).unwrap();
        assert_eq!(read, read_as(&bytes, &streamed).unwrap());
        assert_eq!(read[0].1.len(), 4);
        let dtd = |x: String| x.replacen("?>", "?><!DOCTYPE lol [<!ENTITY a \"aaaaaaaaaa\">]>", 1);
        let refused = [
            patched(&bytes, |x| x.replacen("r=\"B2\"", "r=\"AAAAAAAA2\"", 1)),
            patched(&bytes, dtd),
            patched_part(&bytes, "xl/workbook.xml", dtd),
            patched_part(&bytes, "xl/styles.xml", dtd),
            patched_part(&bytes, "xl/sharedStrings.xml", |x| x.replacen("uniqueCount=\"", "uniqueCount=\"9999999", 1)),
        ];
        for (i, bytes) in refused.iter().enumerate() {
            let why = read_as(bytes, &kept).unwrap_err();
            assert_eq!(why, read_as(bytes, &streamed).unwrap_err(), "{i}");
            assert!(["AAAAAAAA2", "DOCTYPE", "共有文字列"].iter().any(|w| why.contains(w)), "{i}: {why}");
        }
    }

    #[test]
    fn a_part_that_inflates_past_its_declared_size_is_refused() {
        let bytes = book(&[(0, 0, "事業コード"), (1, 0, "A-1")]);
        // The sheet's entry says it is 10 bytes, in its local and central headers alike.
        let mut forged = bytes.clone();
        let name = b"xl/worksheets/sheet1.xml";
        for (sig, size_at, name_at) in [(b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)] {
            let at = (0..forged.len() - name_at - name.len())
                .find(|&i| &forged[i..i + 4] == sig && &forged[i + name_at..i + name_at + name.len()] == name)
                .unwrap();
            forged[at + size_at..at + size_at + 4].copy_from_slice(&10u32.to_le_bytes());
        }
        let why = read_as(&forged, &Limits::default()).unwrap_err();
        assert!(why.contains("sheet1.xml") && why.contains("壊れています"), "{why}");
        assert_eq!(why, read_as(&forged, &Limits { max_kept_inflated_bytes: 0, ..Limits::default() }).unwrap_err());
    }

    #[test]
    fn rows_are_given_in_order_and_blank_ones_passed_over() {
        let bytes = book(&[(0, 0, "事業コード"), (0, 1, "事業名"), (1, 0, "A-1"), (2, 1, " "), (3, 1, "二")]);
        let mut sheets = open_sheets(&bytes, &Limits::default()).unwrap();
        let mut rows = Rows(vec![]);
        let streamed = sheets.stream_rows("事業", |a, b| a == b, &mut rows).unwrap();
        assert_eq!(streamed, Streamed::Read { name: "事業".into(), outside: 0 });
        let text = |r: &[(u32, &str)]| r.iter().map(|(c, t)| (*c, t.to_string())).collect::<Vec<_>>();
        assert_eq!(rows.0, vec![(0, text(&[(0, "事業コード"), (1, "事業名")])), (1, text(&[(0, "A-1")])), (3, text(&[(1, "二")]))]);
        // Taken: the sheet is not there to read again.
        assert_eq!(sheets.stream_rows("事業", |a, b| a == b, &mut Rows(vec![])).unwrap(), Streamed::Missing);
    }

    #[test]
    fn a_sheet_whose_rows_are_out_of_order_is_left_to_read_whole() {
        let bytes = book(&[(0, 0, "事業コード"), (1, 0, "A-1"), (2, 0, "A-2")]);
        // Row 3 written before row 2, as no spreadsheet program does but a file may.
        let bytes = patched(&bytes, |xml| {
            let (start, end) = (xml.find("<row r=\"2\"").unwrap(), xml.find("<row r=\"3\"").unwrap());
            let close = end + xml[end..].find("</row>").unwrap() + "</row>".len();
            format!("{}{}{}{}", &xml[..start], &xml[end..close], &xml[start..end], &xml[close..])
        });
        let mut sheets = open_sheets(&bytes, &Limits::default()).unwrap();
        let streamed = sheets.stream_rows("事業", |a, b| a == b, &mut Rows(vec![])).unwrap();
        assert_eq!(streamed, Streamed::Disordered);
        let grid = sheets.take("事業", |a, b| a == b).unwrap().expect("still there to read whole");
        let mut rows = Rows(vec![]);
        grid.rows().for_each(|r| rows.row(r));
        let firsts: Vec<(u32, String)> = rows.0.iter().map(|(r, cells)| (*r, cells[0].1.clone())).collect();
        assert_eq!(firsts, vec![(0, "事業コード".into()), (1, "A-1".into()), (2, "A-2".into())]);
    }
}
