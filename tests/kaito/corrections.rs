//! Office corrections: applied to the values read with a finding each, shown in the office
//! workbook and the packet's 注, never written into the department's file, and refused when
//! the original value has changed since.

use crate::common::*;
use calamine::{Data, Reader};
use std::collections::BTreeSet;
use std::path::Path;

fn corrections_book(path: &Path, rows: &[[&str; 8]]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("訂正簿").unwrap();
    for (c, h) in kaito::corrections::COLUMNS.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32 + 1, c as u16, *v).unwrap();
        }
    }
    wb.save(path).unwrap();
}

/// Corrections of the samples: one that applies, one whose original has changed, one for an
/// item nobody returned, one of another period.
const SAMPLE_CORRECTIONS: [[&str; 8]; 4] = [
    ["0701-03", "F12", "2021H1", "順調", "概ね順調", "選択肢の誤記(電話で確認)", "行政総務課 田中", "2021-10-05"],
    ["0703-05", "L9", "", "前に書いてあった文", "直した文", "誤字", "田中", "2021-10-05"],
    ["0799-99", "F12", "", "x", "y", "", "", ""],
    ["0701-01", "F12", "2020H2", "a", "b", "", "", ""],
];

#[test]
fn corrections_are_applied_recorded_and_refused_when_the_original_changed() {
    let dir = sample_copy("報告回答票");
    let d = dir.path();
    let mut rows = SAMPLE_CORRECTIONS.to_vec();
    rows.push(["", "F12", "", "a", "b", "", "", ""]);
    corrections_book(&d.join("訂正簿.xlsx"), &rows);
    let file = d.join("回答/0701-03_ごみ収集(収集業務課).xlsx");
    let original = std::fs::read(&file).unwrap();
    let (code, json, text) = run_json(
        d,
        &["consolidate", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--output", "集計.xlsx", "--corrections", "訂正簿.xlsx"],
    );
    assert_eq!(code, Some(1), "{text}");
    let findings: BTreeSet<(String, String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("correction") || f["rule"] == "status-code")
        .map(|f| (f["rule"].as_str().unwrap().into(), f["project"].as_str().unwrap_or("").into(), f["cell"].as_str().unwrap_or("").into()))
        .collect();
    let want: BTreeSet<(String, String, String)> = [
        ("correction-applied", "0701-03", "F12"),
        ("correction-stale", "0703-05", "L9"),
        ("correction-unmatched", "0799-99", "F12"),
        ("correction-invalid", "", "A6"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(findings, want, "the 順調 error is gone: the corrected word is what was checked");
    // The status tally counts the corrected word.
    assert_eq!(json["status_counts"]["unreadable"]["total"], 0);
    // The packet shows the corrected value, marked, with a 注 that says who corrected it.
    let mut wb = calamine::open_workbook_auto(d.join("集計.xlsx")).unwrap();
    let sheet = wb.worksheet_range("0701-03").unwrap();
    assert_eq!(sheet.get_value((11, 5)), Some(&Data::String("概ね順調".into())));
    let notes: Vec<String> = sheet.used_cells().map(|(_, _, v)| v.to_string()).filter(|v| v.starts_with("注")).collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("「順調」を「概ね順調」に訂正") && notes[0].contains("行政総務課 田中"), "{}", notes[0]);
    // The office workbook's 訂正 lists every correction with what became of it.
    let mut office = calamine::open_workbook_auto(d.join("集計_事務用.xlsx")).unwrap();
    let list = office.worksheet_range("訂正").unwrap();
    let result = |r: u32| list.get_value((r, 8)).unwrap().to_string();
    assert_eq!(list.get_value((1, 0)), Some(&Data::String("0701-03".into())));
    assert_eq!(result(1), "適用しました");
    assert!(result(2).contains("今の値は"), "{}", result(2));
    assert!(result(3).contains("該当するセルがありません"));
    assert!(result(4).contains("別の期間"));
    // The department's file is untouched.
    assert_eq!(std::fs::read(&file).unwrap(), original);
}

#[test]
fn a_corrections_workbook_without_its_headings_stops_the_run() {
    let dir = sample_copy("報告回答票");
    let d = dir.path();
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().write_string(0, 0, "メモ").unwrap();
    wb.save(d.join("訂正簿.xlsx")).unwrap();
    let out = kaito(&["check", "--plan", "計画.xlsx", "回答", "--corrections", "訂正簿.xlsx"], d);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("訂正簿") && err.contains("事業コード"), "{err}");
}

#[test]
fn corrections_reach_a_table_forms_rows_too() {
    let dir = sample_copy("進捗管理表");
    let d = dir.path();
    // An empty 進捗区分 the office fills in after a phone call.
    corrections_book(&d.join("訂正簿.xlsx"), &[["II 2 (2) ①", "I33", "", "", "計画どおり", "電話で確認", "行政管理課", "2021-05-10"]]);
    let (_, before, _) = run_json(d, &["check", "--plan", "計画.xlsx", "回答"]);
    let (_, after, text) = run_json(d, &["check", "--plan", "計画.xlsx", "回答", "--corrections", "訂正簿.xlsx"]);
    let has = |j: &serde_json::Value, rule: &str| {
        j["findings"].as_array().unwrap().iter().any(|f| f["rule"] == rule && f["project"] == "II 2 (2) ①" && f["cell"] == "I33")
    };
    assert!(has(&before, "status-missing"));
    assert!(!has(&after, "status-missing"), "{text}");
    assert!(has(&after, "correction-applied"), "{text}");
}

/// Runs check on a copy of a sample with `corrections`, with `--period` and without, and
/// asserts both say the same under each of `keys` of the JSON summary, and that the findings
/// include each of `rules`.
fn same_with_and_without_period(sample: &str, period: &str, corrections: &[[&str; 8]], keys: &[&str], rules: &[&str]) {
    let dir = sample_copy(sample);
    let d = dir.path();
    corrections_book(&d.join("訂正簿.xlsx"), corrections);
    let (code_read, read, _) = run_json(d, &["check", "--plan", "計画.xlsx", "回答", "--corrections", "訂正簿.xlsx"]);
    let (code_given, given, text) =
        run_json(d, &["check", "--plan", "計画.xlsx", "--period", period, "回答", "--corrections", "訂正簿.xlsx"]);
    assert_eq!(code_read, code_given, "{text}");
    assert_eq!(read["period"], given["period"]);
    for key in keys {
        assert!(!given[key].is_null(), "{key} missing from the summary: {given}");
        assert_eq!(read[key], given[key], "{key} differs");
    }
    let found: BTreeSet<&str> = given["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    for rule in rules {
        assert!(found.contains(rule), "{rule} not among {found:?}");
    }
}

/// Given its period, a check corrects and checks each file as it reads it and keeps only what
/// it counts; without one it reads every sheet first to learn the period. Both must say the
/// same: every finding, every count, every file's fate, every correction's.
#[test]
fn a_check_given_its_period_says_what_one_that_reads_it_from_the_sheets_says() {
    same_with_and_without_period(
        "報告回答票",
        "2021H1",
        &SAMPLE_CORRECTIONS,
        &["findings", "files", "missing", "status_counts", "effect_totals", "submitted"],
        &["correction-applied", "correction-stale", "correction-unmatched", "duplicate", "period-mismatch", "not-submitted"],
    );
}

/// The same for the table form: rows checked as each file is read, or after all are.
#[test]
fn a_table_check_given_its_period_says_what_one_that_reads_it_from_the_tables_says() {
    same_with_and_without_period(
        "進捗管理表",
        "2020",
        &[
            ["II 2 (2) ①", "I33", "", "", "計画どおり", "電話で確認", "行政管理課", "2021-05-10"],
            ["II 2 (2) ①", "I33", "2019", "", "x", "", "", ""],
            ["IX 9 (9) ⑨", "A1", "", "", "y", "", "", ""],
        ],
        &["findings", "files", "missing", "status_counts", "answers", "submitted"],
        &["correction-applied", "correction-unmatched", "status-missing", "progress-missing"],
    );
}
