//! The real executable on copies of samples/: the whole job, as a user runs it.

use crate::common::*;
use calamine::{Data, Reader, open_workbook_auto};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn sheet(path: &Path, name: &str) -> calamine::Range<Data> {
    let mut wb = open_workbook_auto(path).unwrap();
    wb.worksheet_range(name).unwrap()
}

fn cell(r: &calamine::Range<Data>, row: u32, col: u32) -> Data {
    r.get_value((row, col)).cloned().unwrap_or(Data::Empty)
}

fn row_of(r: &calamine::Range<Data>, col: u32, text: &str) -> u32 {
    (0..r.height() as u32).find(|row| cell(r, *row, col) == Data::String(text.into())).unwrap_or_else(|| panic!("{text} not found"))
}

#[test]
fn consolidate_the_samples() {
    let dir = samples();
    let out = kaito(
        &["consolidate", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--output", "集計.xlsx", "--json", "summary.json"],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("事業: 計画 29 件、提出 28 件、未提出 1 件"), "{stdout}");
    assert!(stdout.contains("827,080 千円"));
    assert!(stdout.contains("回答/0703-05_定員適正化事業.xlsx › 0703-05!L9: エラー[progress-missing]"));

    let json: Value = read_json(&dir.path().join("summary.json"));
    assert_eq!(json["period"], serde_json::json!({"fiscal_year": 2021, "half": 1}));
    assert_eq!(json["planned"], 29);
    assert_eq!(json["submitted"], 28);
    assert_eq!(
        json["missing"],
        serde_json::json!([{"project": "0701-06", "name": "見附台周辺地区整備(平塚文化芸術ホール等)事業", "department": "都市整備課"}])
    );
    // 令和2年度 effect per theme, summed by hand from the published report:
    // (1) 14,235 + 51,640 + 23,084; (2) 47,245 + 117,248; (3) 8,777;
    // (4) 456,350 + 30,561 + 25,620 + 41,122 + 11,198; (5) and (6) none.
    let by_theme = &json["effect_totals"]["by_theme"];
    assert_eq!(by_theme["1"]["2020"], 88959);
    assert_eq!(by_theme["2"]["2020"], 164493);
    assert_eq!(by_theme["3"]["2020"], 8777);
    assert_eq!(by_theme["4"]["2020"], 564851);
    assert!(by_theme.get("5").is_none() && by_theme.get("6").is_none());
    assert_eq!(json["effect_totals"]["total"]["2020"], 827080);
    assert_eq!(json["status_counts"]["total"]["遅れ"], 2);
    assert_eq!(json["status_counts"]["by_theme"]["1"]["未着手"], 1);

    let errors: BTreeSet<(String, String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| (f["rule"].as_str().unwrap().into(), f["project"].as_str().unwrap_or("").into(), f["cell"].as_str().unwrap_or("").into()))
        .collect();
    let want: BTreeSet<(String, String, String)> = [
        ("countermeasures-missing", "0706-03", "L18"),
        ("period-mismatch", "0703-02", "A2"),
        ("progress-missing", "0703-05", "L9"),
        ("status-code", "0701-03", "F12"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(errors, want);
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), 32);
    let outcome = |name: &str| files.iter().find(|f| f["path"].as_str().unwrap().ends_with(name)).unwrap()["outcome"].clone();
    assert_eq!(outcome("メモ.txt"), "ignored");
    assert_eq!(outcome("~$0701-01_民間活力活用事業.xlsx"), "ignored");
    assert_eq!(outcome("0703-02_職員提案(前回分).xlsx"), "rejected");
    assert_eq!(outcome("タブレット端末活用事業.xlsx"), "accepted");
    let dup = files
        .iter()
        .filter(|f| f["path"].as_str().unwrap().contains("0706-02"))
        .map(|f| f["outcome"].as_str().unwrap().to_string())
        .collect::<BTreeSet<_>>();
    assert_eq!(dup, ["accepted".to_string(), "duplicate".to_string()].into());

    // The council's packet, read back: front matter, then the project sheets; nothing else.
    let book = dir.path().join("集計.xlsx");
    let office = dir.path().join("集計_事務用.xlsx");
    let wb = open_workbook_auto(&book).unwrap();
    let names = wb.sheet_names();
    assert_eq!(names[..4], ["表紙", "一覧表", "進捗状況", "効果額"]);
    // The office's working sheets are in their own workbook beside it.
    let ob = open_workbook_auto(&office).unwrap();
    assert_eq!(ob.sheet_names(), ["概要", "要確認", "未提出", "事業一覧", "明細", "受付記録", "訂正"]);
    // Then one sheet per returned project, in plan order, named by its code.
    let accepted: Vec<String> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["outcome"] == "accepted")
        .map(|f| f["project"].as_str().unwrap().to_string())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(names[4..], accepted[..]);
    let effect = sheet(&book, "効果額");
    assert_eq!(cell(&effect, 0, 2), Data::String("令和2年度(2020年度)".into()));
    for (row, want) in [(1, 88959.0), (2, 164493.0), (3, 8777.0), (4, 564851.0), (5, 0.0), (6, 0.0), (7, 827080.0)] {
        assert_eq!(cell(&effect, row, 2), Data::Float(want), "row {row}");
    }
    assert_eq!(cell(&effect, 7, 1), Data::String("合計".into()));
    let status = sheet(&book, "進捗状況");
    let total_row = row_of(&status, 1, "合計");
    assert_eq!(cell(&status, 0, 4), Data::String("遅れ".into()));
    assert_eq!(cell(&status, total_row, 4), Data::Float(2.0));
    let summary = sheet(&office, "概要");
    assert_eq!(cell(&summary, row_of(&summary, 0, "提出"), 1), Data::Float(28.0));
    assert_eq!(cell(&summary, row_of(&summary, 0, "エラー"), 1), Data::Float(4.0));
    let list = sheet(&office, "事業一覧");
    let r = row_of(&list, 0, "0704-08");
    let effect_col = (0..list.width() as u32).find(|c| matches!(cell(&list, 0, *c), Data::String(s) if s.starts_with("効果額"))).unwrap();
    assert_eq!(cell(&list, r, effect_col), Data::Float(11198.0));
    let r = row_of(&list, 0, "0701-06");
    assert_eq!(cell(&list, r, 6), Data::String("未提出".into()));
    let missing = sheet(&office, "未提出");
    assert_eq!(cell(&missing, 1, 0), Data::String("都市整備課".into()));
    assert_eq!(cell(&missing, 1, 1), Data::String("0701-06".into()));
    let ledger = sheet(&office, "受付記録");
    assert_eq!(ledger.height(), 33, "one row per file found, after the header");
    let findings = sheet(&office, "要確認");
    assert!(
        (1..findings.height() as u32)
            .any(|r| cell(&findings, r, 1) == Data::String("status-code".into()) && cell(&findings, r, 5) == Data::String("F12".into()))
    );
    // 明細: one row per status; the 0701-07 遅れ of 2021H1 is there with its cell.
    let detail = sheet(&office, "明細");
    assert!((1..detail.height() as u32).any(|r| cell(&detail, r, 0) == Data::String("0701-07".into())
        && cell(&detail, r, 5) == Data::Float(2021.0)
        && cell(&detail, r, 6) == Data::Float(1.0)
        && cell(&detail, r, 9) == Data::String("遅れ".into())
        && cell(&detail, r, 12) == Data::String("F12".into())));
}

#[test]
fn check_reads_the_period_from_the_sheets() {
    let dir = samples();
    let out = kaito(&["check", "--plan", "計画.xlsx", "回答"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.contains("報告期間 令和3年度上半期(回答票"), "{stdout}");
    let quiet = kaito(&["check", "--plan", "計画.xlsx", "--quiet", "回答"], dir.path());
    let q = String::from_utf8_lossy(&quiet.stdout);
    assert!(!q.contains("警告[") && q.contains("エラー[status-code]"), "{q}");
    let verbose = kaito(&["check", "--plan", "計画.xlsx", "--verbose", "回答"], dir.path());
    assert!(String::from_utf8_lossy(&verbose.stdout).contains("情報[normalized]"));
}

#[test]
fn clean_inputs_exit_zero_and_bad_runs_exit_two() {
    let dir = samples();
    let ok = kaito(&["check", "--plan", "計画.xlsx", "--period", "R3上半期", "回答/0701-01_民間活力活用事業.xlsx"], dir.path());
    assert_eq!(ok.status.code(), Some(0), "{}", String::from_utf8_lossy(&ok.stdout));
    let no_plan = kaito(&["check", "--plan", "ない.xlsx", "回答"], dir.path());
    assert_eq!(no_plan.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_plan.stderr).contains("ない.xlsx"));
    let bad_period = kaito(&["check", "--plan", "計画.xlsx", "--period", "2021", "回答"], dir.path());
    assert_eq!(bad_period.status.code(), Some(2));
}

#[test]
fn output_open_in_excel_is_left_intact() {
    let dir = samples();
    std::fs::write(dir.path().join("集計.xlsx"), b"previous").unwrap();
    std::fs::write(dir.path().join("~$集計.xlsx"), b"lock").unwrap();
    let out = kaito(&["consolidate", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--output", "集計.xlsx"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("集計.xlsx"));
    assert_eq!(std::fs::read(dir.path().join("集計.xlsx")).unwrap(), b"previous");
}

#[test]
fn a_plan_with_a_duplicate_code_is_reported_not_fatal() {
    // The published list gives 債権徴収の推進事業(1) and (2) the same code 0704-01.
    let dir = samples();
    let mut plan = kaito::plan::load(&dir.path().join("計画.xlsx")).unwrap().plan;
    let mut twin = plan.project("0704-01").unwrap().clone();
    twin.name = "債権徴収の推進事業(2)".into();
    let at = plan.projects.iter().position(|p| p.code == "0704-01").unwrap();
    plan.projects.insert(at + 1, twin);
    kaito::plan::write_workbook(&plan, &dir.path().join("計画2.xlsx")).unwrap();
    let out = kaito(&["check", "--plan", "計画2.xlsx", "--period", "2021H1", "回答", "--json", "s.json"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let json: Value = read_json(&dir.path().join("s.json"));
    let f = json_finding(&json, "plan-duplicate-code");
    assert_eq!(f["sheet"], "事業");
    assert_eq!(f["cell"], format!("A{}", at + 3));
    assert_eq!(f["project"], "0704-01");
    assert_eq!(json["planned"], 29);
}

/// Marks `older` as saved an hour ago and `newer` a minute after it, then checks `dir` against
/// the sample plan for 2021H1 (a run with errors) and returns its JSON summary.
fn check_older_and_newer(dir: &Path, older: &Path, newer: &Path) -> Value {
    let t0 = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options().write(true).open(older).unwrap().set_modified(t0).unwrap();
    std::fs::File::options().write(true).open(newer).unwrap().set_modified(t0 + std::time::Duration::from_secs(60)).unwrap();
    std::fs::copy(root().join("samples/報告回答票/計画.xlsx"), dir.join("計画.xlsx")).unwrap();
    let out = kaito(&["check", "--plan", "計画.xlsx", "--period", "2021H1", ".", "--json", "s.json"], dir);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    read_json(&dir.join("s.json"))
}

#[test]
fn duplicates_with_different_values_are_errors_and_the_newer_file_wins() {
    let dir = tempfile::tempdir().unwrap();
    let plan = sample_plan();
    let period = p2021h1();
    let mut a = good_answers(&plan, "0701-01");
    let opts = kaito::draw::DrawOptions::default();
    let old = draw_file(dir.path(), "0701-01_旧.xlsx", &plan, "0701-01", period, &a, &opts, "0701-01");
    a.progress = Some("修正後の取組状況".into());
    let new = draw_file(dir.path(), "0701-01_修正版.xlsx", &plan, "0701-01", period, &a, &opts, "0701-01");
    let json = check_older_and_newer(dir.path(), &old, &new);
    let f = json_finding(&json, "duplicate");
    assert_eq!(f["severity"], "error");
    assert!(f["file"].as_str().unwrap().ends_with("0701-01_旧.xlsx"));
    let files = json["files"].as_array().unwrap();
    let outcome = |n: &str| files.iter().find(|f| f["path"].as_str().unwrap().ends_with(n)).unwrap()["outcome"].clone();
    assert_eq!(outcome("0701-01_修正版.xlsx"), "accepted");
    assert_eq!(outcome("0701-01_旧.xlsx"), "duplicate");
}

#[test]
fn a_workbook_answering_two_projects_keeps_the_one_no_newer_file_answers() {
    let dir = tempfile::tempdir().unwrap();
    let plan = sample_plan();
    let period = p2021h1();
    let opts = kaito::draw::DrawOptions::default();
    // One workbook with the sheets of 0701-01 and 0701-02, saved an hour ago …
    let mut wb = rust_xlsxwriter::Workbook::new();
    for code in ["0701-01", "0701-02"] {
        let ws = wb.add_worksheet().set_name(code).unwrap();
        let a = good_answers(&plan, code);
        kaito::draw::response_sheet(ws, &plan, plan.project(code).unwrap(), period, &a, &kaito::layout::Layout::bundled(), &opts).unwrap();
    }
    let both = dir.path().join("まとめ.xlsx");
    wb.save(&both).unwrap();
    // … and 0701-02 again, corrected, a minute later.
    let mut a = good_answers(&plan, "0701-02");
    a.progress = Some("修正後の取組状況".into());
    let newer = draw_file(dir.path(), "0701-02_修正版.xlsx", &plan, "0701-02", period, &a, &opts, "0701-02");
    let json = check_older_and_newer(dir.path(), &both, &newer);
    let files = json["files"].as_array().unwrap();
    let entry = |n: &str| files.iter().find(|f| f["path"].as_str().unwrap().ends_with(n)).unwrap().clone();
    let both = entry("まとめ.xlsx");
    assert_eq!(both["outcome"], "accepted");
    assert_eq!(both["projects"], serde_json::json!(["0701-01"]));
    assert_eq!(both["reason"], "一部の事業はほかの回答票を使いました(0701-02)");
    let newer = entry("0701-02_修正版.xlsx");
    assert_eq!(newer["outcome"], "accepted");
    assert_eq!(newer["projects"], serde_json::json!(["0701-02"]));
    let dup = json_finding(&json, "duplicate");
    assert_eq!(
        (dup["project"].as_str(), dup["file"].as_str(), dup["sheet"].as_str()),
        (Some("0701-02"), Some("まとめ.xlsx"), Some("0701-02"))
    );
    assert_eq!(json["submitted"], 2);
}

#[test]
fn the_console_fits_one_screen_whatever_the_number_of_files() {
    let dir = samples();
    let d = dir.path();
    // 60 more copies of a sheet with an error: 60 duplicates on top of the samples' findings.
    let from = d.join("回答/0701-03_ごみ収集(収集業務課).xlsx");
    for i in 0..60 {
        std::fs::copy(&from, d.join(format!("回答/写し{i:02}.xlsx"))).unwrap();
    }
    let out = kaito(&["consolidate", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--output", "集計.xlsx"], d);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines = stdout.lines().count();
    assert!(lines <= 45, "{lines} lines:\n{stdout}");
    assert!(stdout.contains("ルール別: ") && stdout.contains("duplicate 61"), "{stdout}");
    assert!(stdout.contains("課別: 収集業務課 エラー 1・警告 60"), "{stdout}");
    assert!(stdout.contains("最初の 10 件:"), "{stdout}");
    assert!(stdout.contains("件は「要確認」シート(集計_事務用.xlsx)にあります"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "no colour into a pipe");
    // Each file is named once per line, never twice.
    let lines: Vec<&str> = stdout.lines().filter(|l| l.contains("0701-03!F12")).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].matches(".xlsx").count(), 1, "{}", lines[0]);
    // --verbose lists every finding under its file.
    let out = kaito(&["check", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--verbose"], d);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.matches("[duplicate]").count() >= 60);
}

#[test]
fn colour_only_where_asked_for_and_never_with_no_color() {
    let dir = samples();
    let d = dir.path();
    let args = ["check", "--plan", "計画.xlsx", "--period", "2021H1", "回答"];
    let forced = kaito_env(&args, d, &[("CLICOLOR_FORCE", "1")]);
    assert!(String::from_utf8_lossy(&forced.stdout).contains("\u{1b}[31;1mエラー[status-code]"));
    let off = kaito_env(&args, d, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!String::from_utf8_lossy(&off.stdout).contains('\u{1b}'));
    assert_eq!(forced.status.code(), off.status.code());
}

/// The files are read while the plan is: a plan found wrong once its form is known still
/// stops the run with the plan's own reason, and nothing is written.
#[test]
fn a_plan_found_wrong_while_the_files_are_read_stops_the_run_with_its_reason() {
    let dir = samples();
    let d = dir.path();
    let bytes = std::fs::read(d.join("計画.xlsx")).unwrap();
    // 計画 sheet, B3: the 開始年度 (2020) becomes a word.
    let patched = crate::fixtures::patch_zip(&bytes, "xl/worksheets/sheet1.xml", |xml| {
        let at = r#"<c r="B3" t="s"><v>5</v></c>"#;
        assert!(xml.contains(at), "{xml}");
        xml.replace(at, r#"<c r="B3" t="inlineStr"><is><t>いつか</t></is></c>"#)
    });
    std::fs::write(d.join("計画.xlsx"), patched).unwrap();
    for args in [&["check"][..], &["consolidate", "--output", "集計.xlsx"]] {
        let command = args[0];
        let out = kaito(&[args, &["--plan", "計画.xlsx", "--period", "2021H1", "回答"]].concat(), d);
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(2), "{command}: {stdout}\n{stderr}");
        assert!(stderr.contains("B3 の「開始年度」(いつか)を年度として読めません"), "{command}: {stderr}");
        assert!(!stdout.contains("0701-01"), "{command} reported files: {stdout}");
        assert!(!d.join("集計.xlsx").exists(), "{command} wrote a packet");
    }
}
