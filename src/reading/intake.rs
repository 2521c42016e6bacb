//! Intake: finding the input files and reading each one once, in parallel, into a ledger
//! record (受付記録) and the response sheets it holds. One bad file never stops the others.

use crate::finding::Finding;
use crate::grid::{self, Limits};
use crate::layout::Layout;
use crate::read::{self, ResponseSheet};
use anyhow::{Result, bail};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What became of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Accepted,
    Duplicate,
    Rejected,
    Ignored,
}

impl Outcome {
    pub fn japanese(self) -> &'static str {
        match self {
            Outcome::Accepted => "受付",
            Outcome::Duplicate => "重複",
            Outcome::Rejected => "不受理",
            Outcome::Ignored => "対象外",
        }
    }
}

/// One input file as the ledger records it.
#[derive(Debug, Clone)]
pub struct FileRecord {
    /// The path as shown to users (relative to the input it was found under); shared with the
    /// file's findings and answers.
    pub shown: std::sync::Arc<str>,
    pub size: u64,
    /// The SHA-256 of the file's bytes, once read: held as the digest (32 bytes), not as its
    /// 64 hex digits, for each of a run's files; see [`FileRecord::sha256_hex`].
    pub sha256: Option<[u8; 32]>,
    pub modified: Option<SystemTime>,
    /// When the workbook itself says it was last saved (see `grid::Book::saved`).
    pub saved: Option<chrono::DateTime<chrono::Utc>>,
    /// kaito's mark on its own outputs (`packet`, `dispatch-list`, `feedback`, `template`).
    pub made_by: Option<Box<str>>,
    pub outcome: Outcome,
    pub reason: Option<Box<str>>,
    /// The codes of the items the file answers (or would have); its texts and this list made
    /// to size, as the ledger holds one for each file of the run (300,000 codes at 100,000
    /// tables: 13 MB as growable texts in a growable list).
    pub projects: Box<[Box<str>]>,
    pub format: &'static str,
}

/// A file after reading: its record, what its sheets hold in the form's shape (response
/// cards, or tables of rows), and file-level findings.
#[derive(Debug, Clone)]
pub struct ReadFile<S = ResponseSheet> {
    pub record: FileRecord,
    pub sheets: Vec<S>,
    pub findings: Vec<Finding>,
}

const SPREADSHEET: [&str; 5] = ["xlsx", "xlsm", "xls", "ods", "xlsb"];

/// A file found under the inputs, or a place that could not be looked into (`problem`):
/// both become exactly one ledger entry.
#[derive(Debug, Clone)]
pub struct Found {
    pub path: PathBuf,
    /// The path as shown to users (relative to the input it was found under).
    pub shown: String,
    /// Why it cannot be read (an unreadable folder, a broken link); `None` for a file to read.
    pub problem: Option<String>,
}

/// Every file under the inputs (folders searched recursively, links followed), sorted by
/// the path shown, each file once however many times it was named. A folder that cannot be
/// read, or a link that leads nowhere, is listed with the reason instead of ending the run.
/// Only an input that does not exist at all stops the run: the user mistyped it.
pub fn discover(inputs: &[PathBuf]) -> Result<Vec<Found>> {
    let mut out = Vec::new();
    let mut seen_dirs = HashSet::new();
    for input in inputs {
        let meta = std::fs::metadata(input);
        match meta {
            Ok(m) if m.is_dir() => walk(input, input, &mut out, &mut seen_dirs),
            Ok(_) => out.push(Found { path: input.clone(), shown: input.display().to_string().replace('\\', "/"), problem: None }),
            Err(e) if std::fs::symlink_metadata(input).is_ok() => out.push(Found {
                path: input.clone(),
                shown: input.display().to_string(),
                problem: Some(format!("リンク先を開けません({})", crate::fsutil::io_reason(&e))),
            }),
            Err(e) => bail!("入力 {} が{}。ファイルまたはフォルダのパスを確認してください", input.display(), crate::fsutil::io_reason(&e)),
        }
    }
    out.sort_by(|a, b| a.shown.cmp(&b.shown));
    // One file named twice (a folder and a file in it, a link to it) is one file. Each
    // file's path is made canonical on all cores (a look-up for every folder on its way: a
    // third of a second on one core at 100,000 files), then kept in order, the first naming.
    let identities: Vec<Option<PathBuf>> = out.par_iter().map(|f| f.problem.is_none().then(|| crate::fsutil::identity(&f.path))).collect();
    let mut identities = identities.into_iter();
    let mut seen = HashSet::new();
    out.retain(|_| identities.next().flatten().is_none_or(|id| seen.insert(id)));
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<Found>, seen_dirs: &mut HashSet<PathBuf>) {
    let shown_of = |p: &Path| {
        let rel = p.strip_prefix(root).unwrap_or(p);
        Path::new(root.file_name().unwrap_or_default()).join(rel).display().to_string().replace('\\', "/")
    };
    // A link back up the tree would loop forever: each real folder is walked once.
    if !seen_dirs.insert(crate::fsutil::identity(dir)) {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            out.push(Found {
                path: dir.to_path_buf(),
                shown: shown_of(dir),
                problem: Some(format!("フォルダを読めません({})", crate::fsutil::io_reason(&e))),
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    entries.sort_by_cached_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        // The type the folder's listing gives costs no look-up of its own (a hundred thousand
        // files took a second on one core); a link is followed by `metadata`: a link to a file
        // is that file, a link to a folder that folder.
        let kind = match e.file_type() {
            Ok(t) if !t.is_symlink() => Ok((t.is_dir(), t.is_file())),
            _ => std::fs::metadata(&p).map(|m| (m.is_dir(), m.is_file())),
        };
        match kind {
            Ok((true, _)) => walk(root, &p, out, seen_dirs),
            Ok((_, true)) => out.push(Found { shown: shown_of(&p), path: p, problem: None }),
            Ok(_) => out.push(Found { shown: shown_of(&p), path: p, problem: Some("通常のファイルではありません".into()) }),
            Err(err) => {
                let what = if e.file_type().is_ok_and(|t| t.is_symlink()) { "リンク先を開けません" } else { "開けません" };
                out.push(Found { shown: shown_of(&p), path: p, problem: Some(format!("{what}({})", crate::fsutil::io_reason(&err))) });
            }
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default()
}

/// Reads every file in parallel; the order of the result is the order of `files`.
pub fn read_all(files: &[Found], layout: &Layout, limits: &Limits) -> Vec<ReadFile> {
    read_all_as(files, limits, &|g| read::response_sheet(g, layout).into_iter().collect(), &card_none_found(layout))
}

/// Why a workbook with no response card is refused.
pub fn card_none_found(layout: &Layout) -> String {
    format!(
        "回答票が見つかりません(「{}」のラベルがある表示中のシートがありません)。送付した回答票に記入して送ってください",
        layout.labels.code
    )
}

/// Files read so far and files to read, over the process: what a progress bar shows. Counters
/// only, never read back by the library, so parallel runs (tests) cannot disturb a result.
static READ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static TO_READ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// (files read, files to read) so far in this process.
pub fn progress() -> (usize, usize) {
    use std::sync::atomic::Ordering::Relaxed;
    (READ.load(Relaxed), TO_READ.load(Relaxed))
}

/// Reads every file in parallel with `extract`, which finds the form's sheets in a grid;
/// `none_found` is the reason given for a workbook where it finds none.
pub fn read_all_as<S: Send>(
    files: &[Found],
    limits: &Limits,
    extract: &(dyn Fn(&grid::Grid) -> Vec<S> + Sync),
    none_found: &str,
) -> Vec<ReadFile<S>> {
    read_all_as_then(files, limits, extract, none_found, &|f| f)
}

/// Reads every file in parallel as response cards and hands each to `then` as soon as it is
/// read (see [`read_all_as_then`]).
pub fn read_all_then<R: Send>(files: &[Found], layout: &Layout, limits: &Limits, then: &(dyn Fn(ReadFile) -> R + Sync)) -> Vec<R> {
    let extract = |g: &grid::Grid| read::response_sheet(g, layout).into_iter().collect();
    read_all_as_then(files, limits, &extract, &card_none_found(layout), then)
}

/// [`read_all_as`], each file handed to `then` as soon as it is read, on the same core: a run
/// that knows its period checks each file there and keeps only what `then` returns, never
/// every sheet at once. Results in the order of `files`.
pub fn read_all_as_then<S: Send, R: Send>(
    files: &[Found],
    limits: &Limits,
    extract: &(dyn Fn(&grid::Grid) -> Vec<S> + Sync),
    none_found: &str,
    then: &(dyn Fn(ReadFile<S>) -> R + Sync),
) -> Vec<R> {
    let mut out = Vec::with_capacity(files.len());
    read_rest_each(files, ReadAhead::nothing(), limits, extract, none_found, then, &mut |r| out.push(r));
    out
}

/// The (folder, file name) of every file of a run, for [`lock_file_warning`].
/// Empty when no file of the run is a lock file: the list is only looked at for those, and
/// for 100,000 files it held 15 MB while they were read.
fn folder_and_names(files: &[Found]) -> Vec<(PathBuf, String)> {
    if !files.iter().any(|f| file_name(&f.path).starts_with("~$")) {
        return Vec::new();
    }
    files.iter().map(|f| (f.path.parent().unwrap_or(Path::new("")).to_path_buf(), file_name(&f.path))).collect()
}

fn read_found<S>(
    f: &Found,
    names: &[(PathBuf, String)],
    limits: &Limits,
    extract: &(dyn Fn(&grid::Grid) -> Vec<S> + Sync),
    none_found: &str,
) -> ReadFile<S> {
    let mut r = match &f.problem {
        None => read_file_as(&f.path, &f.shown, limits, extract, none_found),
        Some(reason) => unreadable(&f.shown, reason),
    };
    lock_file_warning(&mut r, &f.path, names);
    r
}

/// Most bytes of files [`read_ahead`] reads: a response card read holds about as much as its
/// file's size (its texts, cell by cell), so this bounds the memory read-ahead adds at any
/// number of files. (16 MiB took the card's check of 100,000 files from 269 to 284 MiB; 8 MiB
/// to 274.)
pub const READ_AHEAD_BYTES: u64 = 8 * 1024 * 1024;

/// A table read holds its rows' few cells, a quarter to a half of its file's size, and a
/// table's plan has several items for each file, so it takes longer to read: its read-ahead
/// may read this many times [`READ_AHEAD_BYTES`]. With 16, the files read ahead held some
/// 130 MB beside the plan being read, and that became the run's peak (100,000 tables, 388 MB
/// resident). Once the rest of the run held less, 8 (8,000 files) still made the peak (300
/// MB), 6 made 287 MB and 4 (4,000 files) 281 MiB; the run took the same time with each, as the
/// files read ahead are taken in order and checked first.
pub const TABLE_READ_AHEAD_FACTOR: u64 = 4;

/// The files [`read_ahead`] read, each with its place in the run's list of files: only those
/// (a few, within the bound), not a place for every file of the run (at 100,000 files a list
/// with room for each held 25 MB, nearly all of it empty).
pub struct ReadAhead<S> {
    /// In the order of the run's files; each taken once, by whichever core reaches its place.
    read: Vec<(usize, std::sync::Mutex<Option<ReadFile<S>>>)>,
    /// The run's files were counted for the progress bar when read ahead.
    counted: bool,
}

impl<S> ReadAhead<S> {
    /// Nothing read ahead (the files not counted yet).
    pub fn nothing() -> ReadAhead<S> {
        ReadAhead { read: Vec::new(), counted: false }
    }
    /// The places, in the run's list of files, of the files read ahead.
    pub fn places(&self) -> Vec<usize> {
        self.read.iter().map(|(i, _)| *i).collect()
    }
    /// The file read ahead at place `i`, once.
    fn take(&self, i: usize) -> Option<ReadFile<S>> {
        let at = self.read.binary_search_by_key(&i, |(j, _)| *j).ok()?;
        self.read[at].1.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
    }
}

/// Reads files from `files` while `waiting` is set (the run is waiting for its plan, being
/// read on another thread, before it can check anything) and until it holds `budget` bytes
/// of them: the cores would otherwise wait with it. Give what it read to [`read_rest_each`],
/// which reads the rest.
pub fn read_ahead<S: Send>(
    files: &[Found],
    limits: &Limits,
    extract: &(dyn Fn(&grid::Grid) -> Vec<S> + Sync),
    none_found: &str,
    waiting: &std::sync::atomic::AtomicBool,
    budget: u64,
) -> ReadAhead<S> {
    use std::sync::atomic::Ordering::Relaxed;
    TO_READ.fetch_add(files.len(), Relaxed);
    let names = folder_and_names(files);
    let held = std::sync::atomic::AtomicU64::new(0);
    // Each core takes the next file in the run's order, so what is read ahead is the first
    // files the run checks, let go as soon as it starts. Split into ranges, one core read
    // ahead from the middle of the list, and those files were held until the run got there
    // (at 100,000 tables, some 4,000 files held through the first half of the run).
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut read: Vec<_> = rayon::broadcast(|_| {
        std::iter::from_fn(|| {
            if !waiting.load(Relaxed) {
                return None;
            }
            let i = next.fetch_add(1, Relaxed);
            let f = files.get(i)?;
            let size = std::fs::metadata(&f.path).map(|m| m.len()).unwrap_or(0);
            if held.fetch_add(size, Relaxed).saturating_add(size) > budget {
                return None;
            }
            let r = read_found(f, &names, limits, extract, none_found);
            READ.fetch_add(1, Relaxed);
            Some((i, std::sync::Mutex::new(Some(r))))
        })
        .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    read.sort_unstable_by_key(|(i, _)| *i);
    ReadAhead { read, counted: true }
}

/// How many files are read in parallel before their results are handed on, in order.
const BATCH: usize = 256;

/// [`read_all_as_then`] for the files [`read_ahead`] left unread: each file read now or
/// before is handed to `then`, and what it gives to `sink`, in the order of `files`, a batch
/// of files at a time, rather than holding them all: a run can move what each file gives into
/// its own lists as the files are read. What the files gave stays in few large lists
/// instead of small ones scattered among the pages the reading used (at 100,000 tables the
/// resident size when the last file was checked went from 420 to 398 MB).
pub fn read_rest_each<S: Send, R: Send>(
    files: &[Found],
    ahead: ReadAhead<S>,
    limits: &Limits,
    extract: &(dyn Fn(&grid::Grid) -> Vec<S> + Sync),
    none_found: &str,
    then: &(dyn Fn(ReadFile<S>) -> R + Sync),
    sink: &mut dyn FnMut(R),
) {
    use std::sync::atomic::Ordering::Relaxed;
    if !ahead.counted {
        TO_READ.fetch_add(files.len(), Relaxed);
    }
    assert!(ahead.read.last().is_none_or(|(i, _)| *i < files.len()), "read ahead from another list of files");
    let names = folder_and_names(files);
    for start in (0..files.len()).step_by(BATCH) {
        let batch: Vec<R> = (start..files.len().min(start + BATCH))
            .into_par_iter()
            .map(|i| match ahead.take(i) {
                Some(r) => then(r),
                None => {
                    let r = then(read_found(&files[i], &names, limits, extract, none_found));
                    READ.fetch_add(1, Relaxed);
                    r
                }
            })
            .collect();
        batch.into_iter().for_each(&mut *sink);
    }
}

/// [`read_rest_each`] keeping every file as read.
pub fn read_rest<S: Send>(
    files: &[Found],
    ahead: ReadAhead<S>,
    limits: &Limits,
    extract: &(dyn Fn(&grid::Grid) -> Vec<S> + Sync),
    none_found: &str,
) -> Vec<ReadFile<S>> {
    let mut out = Vec::with_capacity(files.len());
    read_rest_each(files, ahead, limits, extract, none_found, &|f| f, &mut |f| out.push(f));
    out
}

/// An Excel lock file next to its workbook means someone has it open: warn that unsaved edits
/// are not in what was read. `names` are (folder, file name) of every file of the run.
fn lock_file_warning<S>(r: &mut ReadFile<S>, path: &Path, names: &[(PathBuf, String)]) {
    let name = file_name(path);
    if let Some(twin) = name.strip_prefix("~$") {
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        if let Some((_, twin_name)) =
            names.iter().find(|(d, n)| *d == dir && n != &name && (n == twin || (twin.len() > 2 && n.ends_with(twin))))
        {
            r.findings.push(
                Finding::warning("file-open-in-excel", format!("「{twin_name}」は Excel で開かれたままの可能性があります(ロックファイル {name} があります)。保存されていない変更は読み込まれていません"))
                    .file(r.record.shown.clone())
                    .suggest("Excel で保存して閉じてから、もう一度実行してください"),
            );
        }
    }
}

/// The ledger entry of a place that could not be read at all.
fn unreadable<S>(shown: &str, reason: &str) -> ReadFile<S> {
    let record = FileRecord {
        shown: shown.into(),
        size: 0,
        sha256: None,
        modified: None,
        saved: None,
        made_by: None,
        outcome: Outcome::Rejected,
        reason: Some(reason.into()),
        projects: Box::new([]),
        format: "",
    };
    ReadFile { record, sheets: vec![], findings: vec![] }
}

/// Reads one file. Never panics outward: a panic inside a parser is caught and the file is
/// rejected with that reason (a backstop; the parsers are expected not to panic).
pub fn read_file(path: &Path, shown: &str, layout: &Layout, limits: &Limits) -> ReadFile {
    read_file_as(path, shown, limits, &|g| read::response_sheet(g, layout).into_iter().collect(), &card_none_found(layout))
}

/// Reads one file with the form's `extract` (see `read_all_as`).
pub fn read_file_as<S>(
    path: &Path,
    shown: &str,
    limits: &Limits,
    extract: &(dyn Fn(&grid::Grid) -> Vec<S> + Sync),
    none_found: &str,
) -> ReadFile<S> {
    let name = file_name(path);
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase();
    let meta = std::fs::metadata(path).ok();
    let mut record = FileRecord {
        shown: shown.into(),
        size: meta.as_ref().map(|m| m.len()).unwrap_or(0),
        sha256: None,
        modified: meta.as_ref().and_then(|m| m.modified().ok()),
        saved: None,
        made_by: None,
        outcome: Outcome::Ignored,
        reason: None,
        projects: Box::new([]),
        format: "",
    };
    let ignored = |mut record: FileRecord, reason: &str| {
        record.reason = Some(reason.into());
        ReadFile { record, sheets: vec![], findings: vec![] }
    };
    if name.starts_with("~$") {
        return ignored(record, "Excel のロックファイル(開いている間だけできる一時ファイル)");
    }
    if name.starts_with('.') {
        return ignored(record, "隠しファイル");
    }
    if !SPREADSHEET.contains(&ext.as_str()) {
        return ignored(record, "Excel のファイルではありません");
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            record.outcome = Outcome::Rejected;
            record.reason = Some(format!("ファイルを開けません({})", crate::fsutil::io_reason(&e)).into());
            return ReadFile { record, sheets: vec![], findings: vec![] };
        }
    };
    record.sha256 = Some(Sha256::digest(&bytes).into());
    let opened = std::panic::catch_unwind(|| grid::open(&bytes, limits));
    let book = match opened {
        Ok(Ok(book)) => book,
        Ok(Err(reason)) => {
            record.outcome = Outcome::Rejected;
            record.reason = Some(reason.into());
            return ReadFile { record, sheets: vec![], findings: vec![] };
        }
        Err(_) => {
            record.outcome = Outcome::Rejected;
            record.reason =
                Some("ファイルの内容を解釈できませんでした(読み取り中に異常が起きました)。Excelで開いて保存し直してください".into());
            return ReadFile { record, sheets: vec![], findings: vec![] };
        }
    };
    record.format = book.format;
    record.saved = book.saved;
    record.made_by = book.made_by.as_deref().map(Box::from);
    // kaito's own summaries found among the inputs (a packet saved into the folder of returned
    // sheets) hold re-drawn sheets: read as answers they would pass for the departments' own.
    // Feedback files and sheets sent out are answers and are read.
    if let Some(reason) = book.made_by.as_deref().and_then(own_output_reason) {
        return ignored(record, reason);
    }
    let mut findings = Vec::new();
    if book.has_macros {
        findings.push(Finding::info("macros", "マクロを含むブックです。マクロは実行せず、セルの値だけを読みました").file(shown));
    }
    let mut sheets = Vec::new();
    for g in &book.sheets {
        if g.outside > 0 {
            findings.push(
                Finding::warning(
                    "cells-outside-layout",
                    format!(
                        "回答票の範囲外({}行×{}列より外)に {} 個のセルがあり、読み込んでいません(最も遠いセル: {})",
                        limits.max_rows,
                        limits.max_columns,
                        g.outside,
                        g.farthest_outside_a1().unwrap_or_default()
                    ),
                )
                .file(shown)
                .sheet(g.name.clone())
                .cell(g.farthest_outside_a1().unwrap_or_default())
                .suggest("範囲外のセルが回答の一部なら、回答票の欄に移してください"),
            );
        }
        sheets.extend(extract(g));
    }
    // Provisional: consolidation decides which sheets answer for the period.
    record.outcome = Outcome::Accepted;
    if sheets.is_empty() {
        record.outcome = Outcome::Rejected;
        record.reason = Some(none_found.into());
    }
    ReadFile { record, sheets, findings }
}

/// Why a workbook kaito wrote is not read as an answer, or `None` when it is one.
pub fn own_output_reason(made_by: &str) -> Option<&'static str> {
    match made_by {
        MADE_BY_PACKET => Some("kaito が作った集計ブックです(回答票ではないので読みません)"),
        MADE_BY_DISPATCH_LIST => Some("kaito が作った送付一覧です(回答票ではないので読みません)"),
        _ => None,
    }
}

/// Values of the `kaito` document property on the workbooks kaito writes.
pub const MADE_BY_PACKET: &str = "packet";
pub const MADE_BY_DISPATCH_LIST: &str = "dispatch-list";
pub const MADE_BY_FEEDBACK: &str = "feedback";
pub const MADE_BY_TEMPLATE: &str = "template";

impl FileRecord {
    /// The file's SHA-256 in hex as the ledger shows it; empty for a file never read.
    pub fn sha256_hex(&self) -> String {
        use std::fmt::Write;
        self.sha256.iter().flatten().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files read a batch at a time still reach the run once each and in their order, across
    /// the batches' bounds, with the ones read ahead in their places.
    #[test]
    fn every_file_is_handed_on_once_in_order_across_batches() {
        let n = BATCH * 2 + 3;
        let files: Vec<Found> = (0..n)
            .map(|i| Found {
                path: PathBuf::from(format!("/nonexistent/{i:04}.xlsx")),
                shown: format!("{i:04}.xlsx"),
                problem: Some("読めません".into()),
            })
            .collect();
        let extract = |_: &grid::Grid| Vec::<()>::new();
        let early = [1, BATCH - 1, BATCH, n - 1];
        let ahead = ReadAhead {
            read: early.iter().map(|&i| (i, std::sync::Mutex::new(Some(unreadable::<()>("先に読んだ", ""))))).collect(),
            counted: false,
        };
        let mut seen = Vec::new();
        read_rest_each(&files, ahead, &Limits::default(), &extract, "", &|f| f.record.shown.to_string(), &mut |s| seen.push(s));
        let expected: Vec<String> =
            (0..n).map(|i| if early.contains(&i) { "先に読んだ".to_string() } else { format!("{i:04}.xlsx") }).collect();
        assert_eq!(seen, expected);
    }
}
