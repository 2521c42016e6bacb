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
    pub path: PathBuf,
    /// The path as shown to users (relative to the input it was found under).
    pub shown: String,
    pub size: u64,
    pub sha256: String,
    pub modified: Option<SystemTime>,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub projects: Vec<String>,
    pub format: &'static str,
}

/// A file after reading: its record, the response sheets found, and file-level findings.
#[derive(Debug, Clone)]
pub struct ReadFile {
    pub record: FileRecord,
    pub sheets: Vec<ResponseSheet>,
    pub findings: Vec<Finding>,
}

const SPREADSHEET: [&str; 5] = ["xlsx", "xlsm", "xls", "ods", "xlsb"];

/// Every file under the inputs (folders searched recursively), sorted, each once.
pub fn discover(inputs: &[PathBuf]) -> Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_file() {
            out.push((input.clone(), input.display().to_string()));
        } else if input.is_dir() {
            walk(input, input, &mut out)?;
        } else {
            bail!("入力 {} が見つかりません。ファイルまたはフォルダのパスを確認してください", input.display());
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out.dedup_by(|a, b| a.0 == b.0);
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("フォルダ {} を読めません: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let ft = e.file_type()?;
        if ft.is_dir() {
            walk(root, &p, out)?;
        } else if ft.is_file() {
            let rel = p.strip_prefix(root).unwrap_or(&p);
            let shown = Path::new(root.file_name().unwrap_or_default()).join(rel);
            out.push((p.clone(), shown.display().to_string().replace('\\', "/")));
        }
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default()
}

/// Reads every file in parallel; the order of the result is the order of `files`.
pub fn read_all(files: &[(PathBuf, String)], layout: &Layout, limits: &Limits) -> Vec<ReadFile> {
    let mut read: Vec<ReadFile> = files.par_iter().map(|(p, shown)| read_file(p, shown, layout, limits)).collect();
    // An Excel lock file next to its workbook means someone has it open: warn that unsaved
    // edits are not in what was read.
    let names: Vec<(PathBuf, String)> =
        files.iter().map(|(p, _)| (p.parent().unwrap_or(Path::new("")).to_path_buf(), file_name(p))).collect();
    for r in &mut read {
        let name = file_name(&r.record.path);
        if let Some(twin) = name.strip_prefix("~$") {
            let dir = r.record.path.parent().unwrap_or(Path::new("")).to_path_buf();
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
    read
}

/// Reads one file. Never panics outward: a panic inside a parser is caught and the file is
/// rejected with that reason (a backstop; the parsers are expected not to panic).
pub fn read_file(path: &Path, shown: &str, layout: &Layout, limits: &Limits) -> ReadFile {
    let name = file_name(path);
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase();
    let meta = std::fs::metadata(path).ok();
    let mut record = FileRecord {
        path: path.to_path_buf(),
        shown: shown.to_string(),
        size: meta.as_ref().map(|m| m.len()).unwrap_or(0),
        sha256: String::new(),
        modified: meta.as_ref().and_then(|m| m.modified().ok()),
        outcome: Outcome::Ignored,
        reason: None,
        projects: vec![],
        format: "",
    };
    let ignored = |mut record: FileRecord, reason: &str| {
        record.reason = Some(reason.to_string());
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
            record.reason = Some(format!("ファイルを開けません({e})"));
            return ReadFile { record, sheets: vec![], findings: vec![] };
        }
    };
    record.sha256 = hex(&Sha256::digest(&bytes));
    let opened = std::panic::catch_unwind(|| grid::open(&bytes, limits));
    let book = match opened {
        Ok(Ok(book)) => book,
        Ok(Err(reason)) => {
            record.outcome = Outcome::Rejected;
            record.reason = Some(reason);
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
        if let Some(sheet) = read::response_sheet(g, layout) {
            sheets.push(sheet);
        }
    }
    if sheets.is_empty() {
        record.outcome = Outcome::Rejected;
        record.reason = Some(format!(
            "回答票が見つかりません(「{}」のラベルがある表示中のシートがありません)。送付した回答票に記入して送ってください",
            layout.labels.code
        ));
    }
    ReadFile { record, sheets, findings }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
