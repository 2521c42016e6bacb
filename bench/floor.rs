//! The floors kaito is measured against (`bench/run.sh` and `cargo bench --bench scale` run it).
//!
//! `floor DIR`: every workbook under DIR has its first sheet read with calamine, in parallel on
//! all cores, and gives one summary row (file, cells, first text); the rows are printed in file
//! order. That is the least any checker must do: open every file and look at every cell once.
//!
//! `floor --packet OUT.xlsx DIR`: the floor, then every file's cells written back, one sheet
//! per file, into one workbook after a summary sheet. That is the least a packet that re-draws
//! every returned sheet must do. (Plain strings only: no formats, merges or notes.)

use calamine::Reader;
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let packet = match args.iter().position(|a| a == "--packet") {
        Some(i) => {
            let out = args.get(i + 1).cloned().expect("--packet needs a file");
            args.drain(i..=i + 1);
            Some(PathBuf::from(out))
        }
        None => None,
    };
    let dir = PathBuf::from(args.first().expect("usage: floor [--packet OUT.xlsx] DIR"));
    let mut files = Vec::new();
    walk(&dir, &mut files);
    files.sort();
    let sheets: Vec<Vec<(u32, u16, String)>> = files
        .par_iter()
        .map(|p| {
            let mut wb = calamine::open_workbook_auto(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let name = wb.sheet_names()[0].clone();
            let range = wb.worksheet_range(&name).unwrap();
            let (r0, c0) = range.start().unwrap_or((0, 0));
            range.used_cells().map(|(r, c, v)| (r0 + r as u32, (c0 + c as u32) as u16, v.to_string())).collect()
        })
        .collect();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut total = 0;
    for (path, cells) in files.iter().zip(&sheets) {
        total += cells.len();
        let first = cells.iter().map(|c| c.2.as_str()).find(|t| !t.trim().is_empty()).unwrap_or("");
        writeln!(out, "{}\t{}\t{}", path.display(), cells.len(), first.chars().take(20).collect::<String>()).unwrap();
    }
    writeln!(out, "{} files, {total} cells", files.len()).unwrap();
    if let Some(target) = packet {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let summary = wb.add_worksheet().set_name("一覧").unwrap();
        for (i, (path, cells)) in files.iter().zip(&sheets).enumerate() {
            summary.write_string(i as u32, 0, path.display().to_string()).unwrap();
            summary.write_number(i as u32, 1, cells.len() as f64).unwrap();
        }
        for (i, cells) in sheets.iter().enumerate() {
            let ws = wb.add_worksheet().set_name(format!("s{i}")).unwrap();
            for (r, c, v) in cells {
                ws.write_string(*r, *c, v).unwrap();
            }
        }
        wb.save(&target).unwrap();
    }
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, files);
        } else if path.extension().is_some_and(|e| e == "xlsx") {
            files.push(path);
        }
    }
}
