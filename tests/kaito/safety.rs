//! Nothing a user does loses a department's file or a value in it: outputs never replace
//! inputs, kaito's own outputs are not read as answers, every file is in the ledger once,
//! the right file is chosen for a project, nothing typed is dropped, plan faults are the
//! plan's, and every message is in Japanese. The repository itself stands alone.

use crate::common::*;
use calamine::{Data, Reader};
use kaito::draw::{self, DrawOptions};
use kaito::layout::Layout;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
use serde_json::Value;
use std::path::{Path, PathBuf};

const RUN: [&str; 5] = ["consolidate", "--plan", "計画.xlsx", "--period", "2021H1"];

fn run(d: &Path, extra: &[&str]) -> std::process::Output {
    let args: Vec<&str> = RUN.iter().copied().chain(extra.iter().copied()).collect();
    kaito(&args, d)
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

fn file_outcome(json: &Value, name: &str) -> (String, String) {
    let f =
        json["files"].as_array().unwrap().iter().find(|f| f["path"].as_str().unwrap().ends_with(name)).unwrap_or_else(|| panic!("{name}"));
    (f["outcome"].as_str().unwrap().to_string(), f["reason"].as_str().unwrap_or("").to_string())
}

fn rules(json: &Value, rule: &str) -> Vec<Value> {
    json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule).cloned().collect()
}

const FIRST: &str = "回答/0701-01_民間活力活用事業.xlsx";

#[test]
fn the_repository_reads_nothing_beside_itself() {
    // Tests, samples, docs and code name nothing outside the repository: a fresh clone with
    // nothing beside it runs the README's two commands.
    let mut offenders = Vec::new();
    let needle = ["..", "shared"].join("/");
    let mut stack: Vec<PathBuf> = ["src", "tests", "examples", "bench", "dist", "templates", "docs", "samples/source", ".ci"]
        .iter()
        .map(|d| root().join(d))
        .collect();
    stack.extend(["README.md", "ARCHITECTURE.md", "Cargo.toml"].iter().map(|f| root().join(f)));
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
        } else if let Ok(text) = std::fs::read_to_string(&p)
            && text.contains(&needle)
        {
            offenders.push(p.display().to_string());
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
    for f in ["0701-01_民間活力活用事業.xlsx", "blank_0702-03_公共施設総合的管理事業.xlsx"] {
        assert!(reference(f).is_file(), "reference sheets are kept in the repository");
    }
    for doc in ["docs/plan-workbook.md", "docs/response-sheet.md", "docs/rules.md", "docs/outputs.md"] {
        assert!(root().join(doc).is_file(), "{doc}");
    }
}

#[test]
fn an_output_that_is_an_input_the_plan_or_the_other_output_is_refused() {
    let dir = samples();
    let d = dir.path();
    let before = std::fs::read(d.join(FIRST)).unwrap();
    let plan_before = std::fs::read(d.join("計画.xlsx")).unwrap();
    for (args, words) in [
        (vec!["回答", "--output", FIRST], "読み込むファイル"),
        (vec!["回答", "--output", "計画.xlsx"], "計画ファイル"),
        (vec!["回答", "--output", "集計.xlsx", "--json", FIRST], "読み込むファイル"),
        (vec!["回答", "--output", "集計.xlsx", "--json", "集計.xlsx"], "同じファイル"),
        (vec!["回答", "--output", "./集計.xlsx", "--json", "集計.xlsx"], "同じファイル"),
        (vec!["回答", "--output", "回答"], "フォルダ"),
    ] {
        let out = run(d, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(words), "{args:?}: {}", stderr(&out));
        assert!(!d.join("集計.xlsx").exists(), "nothing written: {args:?}");
    }
    // check's JSON too.
    let out = kaito(&["check", "--plan", "計画.xlsx", "回答", "--json", "回答/メモ.txt"], d);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(d.join(FIRST)).unwrap(), before);
    assert_eq!(std::fs::read(d.join("計画.xlsx")).unwrap(), plan_before);
    assert!(std::fs::read_to_string(d.join("回答/メモ.txt")).unwrap().contains("催促"));
}

#[test]
fn the_workbook_and_the_json_go_out_together_or_not_at_all() {
    let dir = samples();
    let d = dir.path();
    std::fs::write(d.join("集計.xlsx"), b"previous").unwrap();
    std::fs::write(d.join("a-file"), b"").unwrap();
    // The JSON cannot be written (its folder is a file): the workbook is not replaced either.
    let out = run(d, &["回答", "--output", "集計.xlsx", "--json", "a-file/s.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(std::fs::read(d.join("集計.xlsx")).unwrap(), b"previous");
    assert!(!std::fs::read_dir(d).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".tmp")));
    let out = run(d, &["回答", "--output", "集計.xlsx", "--json", "s.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(read_json(&d.join("s.json"))["submitted"] == 28);
    assert_ne!(std::fs::read(d.join("集計.xlsx")).unwrap(), b"previous");
}

#[test]
fn a_packet_saved_among_the_answers_is_ignored_on_the_next_run() {
    let dir = samples();
    let d = dir.path();
    assert_eq!(run(d, &["回答", "--output", "回答/集計.xlsx"]).status.code(), Some(1));
    let out = run(d, &["回答", "--output", "回答/集計.xlsx", "--json", "s.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json = read_json(&d.join("s.json"));
    let (outcome, reason) = file_outcome(&json, "回答/集計.xlsx");
    assert_eq!(outcome, "ignored");
    assert!(reason.contains("kaito が作った集計ブック"), "{reason}");
    assert_eq!(json["submitted"], 28);
    assert_eq!(rules(&json, "duplicate").len(), 1, "only the samples' own copy of 0706-02");
    assert_eq!(json["effect_totals"]["total"]["2020"], 827080);
    // The dispatch list of `kaito template` is known the same way.
    let sent = kaito(&["template", "--plan", "計画.xlsx", "--period", "2021H2", "--output", "回答/送付"], d);
    assert_eq!(sent.status.code(), Some(0), "{}", stderr(&sent));
    let out = kaito(&["check", "--plan", "計画.xlsx", "--period", "2021H1", "回答/送付", "--json", "t.json"], d);
    let json = read_json(&d.join("t.json"));
    assert_eq!(file_outcome(&json, "送付一覧.xlsx").0, "ignored", "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn blank_sheets_sent_out_never_win_over_answered_ones() {
    let dir = samples();
    let d = dir.path();
    let sent = kaito(&["template", "--plan", "計画.xlsx", "--period", "2021H1", "--output", "回答/送付"], d);
    assert_eq!(sent.status.code(), Some(0), "{}", stderr(&sent));
    // The blank sheets are written after the answers: they are newer by every clock.
    let out = run(d, &["回答", "--output", "集計.xlsx", "--json", "s.json"]);
    assert_eq!(out.status.code(), Some(1));
    let json = read_json(&d.join("s.json"));
    assert_eq!(json["effect_totals"]["total"]["2020"], 827080);
    assert_eq!(json["status_counts"]["total"]["遅れ"], 2);
    let (outcome, reason) = file_outcome(&json, "送付/企画政策課/0701-01_民間活力活用事業.xlsx");
    assert_eq!(outcome, "duplicate");
    assert!(reason.contains("0701-01_民間活力活用事業.xlsx"), "{reason}");
    let why = rules(&json, "duplicate")
        .into_iter()
        .find(|f| f["file"].as_str().unwrap().ends_with("送付/企画政策課/0701-01_民間活力活用事業.xlsx"))
        .unwrap();
    assert!(why["message"].as_str().unwrap().contains("今期の記入がありません"), "{why}");
}

/// Draws one answer for 0701-01 whose workbook records `saved` as its save time.
fn saved_sheet(dir: &Path, name: &str, progress: &str, saved: &str) -> PathBuf {
    let plan = sample_plan();
    let mut a = good_answers(&plan, "0701-01");
    a.progress = Some(progress.into());
    let mut wb = Workbook::new();
    wb.set_properties(&DocProperties::new().set_creation_datetime(&ExcelDateTime::parse_from_str(saved).unwrap()));
    let ws = wb.add_worksheet().set_name("0701-01").unwrap();
    draw::response_sheet(ws, &plan, plan.project("0701-01").unwrap(), p2021h1(), &a, &Layout::bundled(), &DrawOptions::default()).unwrap();
    let path = dir.join(name);
    wb.save(&path).unwrap();
    path
}

fn set_mtime(path: &Path, secs_ago: u64) {
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(secs_ago);
    std::fs::File::options().write(true).open(path).unwrap().set_modified(t).unwrap();
}

#[test]
fn the_time_the_workbook_records_beats_the_file_time_and_ties_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(root().join("samples/報告回答票/計画.xlsx"), d.join("計画.xlsx")).unwrap();
    std::fs::create_dir(d.join("回答")).unwrap();
    // Saved later in Excel, but copied earlier (an older file time).
    let later = saved_sheet(&d.join("回答"), "修正版.xlsx", "修正後", "2021-10-10T09:00:00");
    let earlier = saved_sheet(&d.join("回答"), "最初.xlsx", "最初", "2021-10-01T09:00:00");
    set_mtime(&later, 7200);
    set_mtime(&earlier, 60);
    let out = kaito(&["check", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--json", "s.json"], d);
    assert_eq!(out.status.code(), Some(1));
    let json = read_json(&d.join("s.json"));
    assert_eq!(file_outcome(&json, "修正版.xlsx").0, "accepted");
    assert_eq!(file_outcome(&json, "最初.xlsx").0, "duplicate");
    let f = &rules(&json, "duplicate")[0];
    assert_eq!(f["severity"], "error");
    assert!(f["message"].as_str().unwrap().contains("保存日時"), "{f}");

    // Same saved time, same file time, different content: an error naming both, neither used.
    let tie = tempfile::tempdir().unwrap();
    let t = tie.path();
    std::fs::copy(root().join("samples/報告回答票/計画.xlsx"), t.join("計画.xlsx")).unwrap();
    let a = saved_sheet(t, "a.xlsx", "一つ目", "2021-10-01T09:00:00");
    let b = saved_sheet(t, "b.xlsx", "二つ目", "2021-10-01T09:00:00");
    let when = std::time::SystemTime::now() - std::time::Duration::from_secs(600);
    for p in [&a, &b] {
        std::fs::File::options().write(true).open(p).unwrap().set_modified(when).unwrap();
    }
    let out = kaito(&["check", "--plan", "計画.xlsx", "--period", "2021H1", "a.xlsx", "b.xlsx", "--json", "s.json"], t);
    assert_eq!(out.status.code(), Some(1));
    let json = read_json(&t.join("s.json"));
    let dups = rules(&json, "duplicate");
    assert_eq!(dups.len(), 1);
    let msg = dups[0]["message"].as_str().unwrap();
    assert!(msg.contains("「a.xlsx」") && msg.contains("「b.xlsx」") && msg.contains("判断できません"), "{msg}");
    assert!(!msg.contains("新しい「"), "never presented as newer: {msg}");
    assert_eq!(file_outcome(&json, "a.xlsx").0, "duplicate");
    assert_eq!(file_outcome(&json, "b.xlsx").0, "duplicate");
    assert_eq!(json["submitted"], 0);
    assert!(rules(&json, "not-submitted").iter().all(|f| f["project"] != "0701-01"), "the duplicate error says it");
}

#[test]
fn every_file_is_in_the_ledger_once_links_included() {
    let dir = samples();
    let d = dir.path();
    // The same file named twice: one file.
    let out = kaito(&["check", "--plan", "計画.xlsx", "--period", "2021H1", "回答", FIRST, "--json", "s.json"], d);
    assert_eq!(out.status.code(), Some(1));
    let json = read_json(&d.join("s.json"));
    assert_eq!(json["files"].as_array().unwrap().len(), 32);
    assert!(rules(&json, "duplicate").iter().all(|f| f["project"] != "0701-01"));

    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        // A returned sheet kept elsewhere and linked in, a link to nothing, a link that loops,
        // and a link back up the tree.
        std::fs::create_dir(d.join("保管")).unwrap();
        std::fs::rename(d.join("回答/0701-02_公立幼稚園・保育園再編等事業.xlsx"), d.join("保管/0701-02.xlsx")).unwrap();
        symlink(d.join("保管/0701-02.xlsx"), d.join("回答/0701-02へのリンク.xlsx")).unwrap();
        symlink(d.join("ない.xlsx"), d.join("回答/切れたリンク.xlsx")).unwrap();
        symlink(d.join("回答/ループ"), d.join("回答/ループ")).unwrap();
        symlink(d.join("回答"), d.join("回答/上へ")).unwrap();
        let out = kaito(&["check", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--json", "s.json"], d);
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let json = read_json(&d.join("s.json"));
        assert_eq!(file_outcome(&json, "0701-02へのリンク.xlsx").0, "accepted");
        let (o, why) = file_outcome(&json, "切れたリンク.xlsx");
        assert_eq!(o, "rejected");
        assert!(why.contains("リンク先"), "{why}");
        assert_eq!(file_outcome(&json, "ループ").0, "rejected");
        assert_eq!(json["submitted"], 28);
        let paths: Vec<&str> = json["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
        assert!(!paths.iter().any(|p| p.contains("上へ/")), "a link back up the tree is walked once: {paths:?}");
    }
}

/// 0701-01 drawn with a blank row after each activity, and a note typed into the first one.
fn sheet_with_a_note(dir: &Path) -> PathBuf {
    let plan = sample_plan();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("0701-01").unwrap();
    let opts = DrawOptions { spacer_rows: 1, ..Default::default() };
    let drawn = draw::response_sheet(
        ws,
        &plan,
        plan.project("0701-01").unwrap(),
        p2021h1(),
        &good_answers(&plan, "0701-01"),
        &Layout::bundled(),
        &opts,
    )
    .unwrap();
    let (status_row, _) = drawn.places["status/0/2021H1"];
    ws.write_string(status_row + 1, 0, "(補足)6月に関係課会議を実施").unwrap();
    let path = dir.join("0701-01_補足つき.xlsx");
    wb.save(&path).unwrap();
    path
}

#[test]
fn text_outside_every_field_is_reported_and_reaches_the_packet() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(root().join("samples/報告回答票/計画.xlsx"), d.join("計画.xlsx")).unwrap();
    let path = sheet_with_a_note(d);
    let (tuples, _, _) = check_file(&path, &sample_plan(), p2021h1());
    let outside: Vec<_> = tuples.iter().filter(|t| t.0 == "text-outside-form").collect();
    assert_eq!(outside, vec![&("text-outside-form".to_string(), "0701-01".to_string(), "A14".to_string())]);
    let out = run(d, &["0701-01_補足つき.xlsx", "--output", "集計.xlsx", "--json", "s.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let f = &rules(&read_json(&d.join("s.json")), "text-outside-form")[0];
    assert!(f["message"].as_str().unwrap().contains("(補足)6月に関係課会議を実施"));
    let mut wb = calamine::open_workbook_auto(d.join("集計.xlsx")).unwrap();
    let sheet = wb.worksheet_range("0701-01").unwrap();
    let row = (0..sheet.height() as u32).find(|r| sheet.get_value((*r, 0)) == Some(&Data::String("欄外の記入(A14)".into()))).expect("row");
    assert_eq!(sheet.get_value((row, 1)), Some(&Data::String("(補足)6月に関係課会議を実施".into())));
}

#[test]
fn numbers_shown_as_dates_or_percents_read_as_stored_with_a_word() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plan = sample_plan();
    for (name, format, shown) in [("date.xlsx", "yyyy/mm/dd", "1938/12/21"), ("percent.xlsx", "0%", "1423500%")] {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet().set_name("0701-01").unwrap();
        let drawn = draw::response_sheet(
            ws,
            &plan,
            plan.project("0701-01").unwrap(),
            p2021h1(),
            &good_answers(&plan, "0701-01"),
            &Layout::bundled(),
            &DrawOptions::default(),
        )
        .unwrap();
        let (r, c) = drawn.places["effect/2020"];
        ws.write_number_with_format(r, c, 14235.0, &Format::new().set_num_format(format)).unwrap();
        let path = d.join(name);
        wb.save(&path).unwrap();
        let (tuples, findings, read) = check_file(&path, &plan, p2021h1());
        assert_eq!(kaito::validate::amount_of(&read.sheets[0].effect[&2020].amount).amount, kaito::normalize::Amount::Value(14235));
        assert!(!tuples.iter().any(|t| t.0 == "effect-unreadable"), "{tuples:?}");
        let f = findings.iter().find(|f| f.rule == "number-format").unwrap_or_else(|| panic!("{name}: {tuples:?}"));
        assert_eq!(f.cell_ref(), Some("D20"));
        assert!(f.message().contains(shown) && f.message().contains("14235"), "{}", f.message());
    }
}

#[test]
fn status_totals_reconcile_with_the_detail() {
    let dir = samples();
    let d = dir.path();
    assert_eq!(run(d, &["回答", "--output", "集計.xlsx", "--json", "s.json"]).status.code(), Some(1));
    let json = read_json(&d.join("s.json"));
    let mut wb = calamine::open_workbook_auto(d.join("集計.xlsx")).unwrap();
    let mut office = calamine::open_workbook_auto(d.join("集計_事務用.xlsx")).unwrap();
    let detail = office.worksheet_range("明細").unwrap();
    let due = (1..detail.height() as u32)
        .filter(|r| {
            detail.get_value((*r, 5)) == Some(&Data::Float(2021.0))
                && detail.get_value((*r, 6)) == Some(&Data::Float(1.0))
                && detail.get_value((*r, 7)) == Some(&Data::Bool(true))
        })
        .count();
    assert_eq!(due, 56);
    assert_eq!(json["status_counts"]["due"], 56);
    assert_eq!(json["status_counts"]["unreadable"]["total"], 1, "the 順調 of 0701-03");
    let status = wb.worksheet_range("進捗状況").unwrap();
    let header: Vec<String> =
        (0..status.width() as u32).map(|c| status.get_value((0, c)).map(|v| v.to_string()).unwrap_or_default()).collect();
    let col = |h: &str| header.iter().position(|x| x == h).unwrap() as u32;
    let total_row = (0..status.height() as u32).find(|r| status.get_value((*r, 1)) == Some(&Data::String("合計".into()))).unwrap();
    assert_eq!(status.get_value((total_row, col("合計"))), Some(&Data::Float(56.0)));
    assert_eq!(status.get_value((total_row, col("要確認"))), Some(&Data::Float(1.0)));
    assert_eq!(status.get_value((total_row, col("未記入"))), Some(&Data::Float(0.0)));
    let summary = office.worksheet_range("概要").unwrap();
    let rows: Vec<u32> =
        (0..summary.height() as u32).filter(|r| summary.get_value((*r, 0)) == Some(&Data::String("合計".into()))).collect();
    assert_eq!(summary.get_value((rows[0], 1)), Some(&Data::Float(56.0)));
}

/// The samples' plan written back with one part of its workbook changed.
fn plan_with(d: &Path, name: &str, patch: &dyn Fn(&str, String) -> String) {
    let bytes = std::fs::read(d.join("計画.xlsx")).unwrap();
    let bytes = crate::fixtures::patch_zip(&bytes, "xl/sharedStrings.xml", |x| patch("strings", x));
    let bytes = crate::fixtures::patch_zip(&bytes, "xl/workbook.xml", |x| patch("workbook", x));
    std::fs::write(d.join(name), bytes).unwrap();
}

#[test]
fn plan_faults_are_said_once_and_never_blamed_on_departments() {
    let dir = samples();
    let d = dir.path();
    let check = |plan: &str| {
        let out = kaito(&["consolidate", "--plan", plan, "--period", "2021H1", "回答", "--output", "集計.xlsx", "--json", "s.json"], d);
        assert_eq!(out.status.code(), Some(1), "{plan}: {}", stderr(&out));
        read_json(&d.join("s.json"))
    };
    // No 活動 sheet: said once; no department gets an activity-count warning.
    plan_with(d, "活動なし.xlsx", &|part, x| if part == "workbook" { x.replace("name=\"活動\"", "name=\"活動(旧)\"") } else { x });
    let json = check("活動なし.xlsx");
    assert!(rules(&json, "plan-sheet-missing").iter().any(|f| f["sheet"] == "活動"));
    assert!(rules(&json, "activity-count").is_empty());
    assert_eq!(json["status_counts"]["due"], 56, "due statuses still found from the sheets' own schedule");
    // A renamed 事業名 header: one plan finding, no name-mismatch.
    plan_with(d, "事業名なし.xlsx", &|part, x| {
        if part == "strings" { x.replace("<t>事業名</t>", "<t>事業の名前</t>") } else { x }
    });
    let json = check("事業名なし.xlsx");
    assert!(rules(&json, "plan-header-missing").iter().any(|f| f["message"].as_str().unwrap().contains("事業名")));
    assert!(rules(&json, "name-mismatch").is_empty());
    // A renamed 財政健全化 header: said, and no department is told its effect is unexpected.
    plan_with(d, "財なし.xlsx", &|part, x| if part == "strings" { x.replace("<t>財政健全化</t>", "<t>財政</t>") } else { x });
    let json = check("財なし.xlsx");
    assert!(rules(&json, "plan-header-missing").iter().any(|f| f["message"].as_str().unwrap().contains("財政健全化")));
    assert!(rules(&json, "effect-not-fiscal").is_empty());
    assert_eq!(json["effect_totals"]["total"]["2020"], 827080);
    // No 成果 sheet: said, and the departments' outcome results still reach the packet.
    plan_with(d, "成果なし.xlsx", &|part, x| if part == "workbook" { x.replace("name=\"成果\"", "name=\"成果(旧)\"") } else { x });
    let json = check("成果なし.xlsx");
    assert!(rules(&json, "plan-sheet-missing").iter().any(|f| f["sheet"] == "成果"));
    let mut wb = calamine::open_workbook_auto(d.join("集計.xlsx")).unwrap();
    let s = wb.worksheet_range("0701-02").unwrap();
    assert!(s.used_cells().any(|(_, _, v)| *v == Data::String("さくら幼稚園と金目幼稚園を廃園しました。".into())));
    // No 視点 sheet: said, and the packet is still written (summaries by theme number).
    plan_with(d, "視点なし.xlsx", &|part, x| if part == "workbook" { x.replace("name=\"視点\"", "name=\"視点(旧)\"") } else { x });
    let json = check("視点なし.xlsx");
    assert!(rules(&json, "plan-sheet-missing").iter().any(|f| f["sheet"] == "視点"));
    assert!(d.join("集計.xlsx").is_file());
}

#[test]
fn a_plan_with_any_vocabulary_gives_a_packet() {
    let dir = samples();
    let d = dir.path();
    // A vocabulary none of the answers use, and a period where hardly anything is due.
    plan_with(d, "別の区分.xlsx", &|part, x| {
        if part == "strings" {
            x.replace("済,概ね順調,遅れ,未着手,休止,-", "計画どおり,目標達成,計画未満").replace("<t>遅れ,未着手</t>", "<t>計画未満</t>")
        } else {
            x
        }
    });
    let out =
        kaito(&["consolidate", "--plan", "別の区分.xlsx", "--period", "2021H1", "回答", "--output", "集計.xlsx", "--json", "s.json"], d);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json = read_json(&d.join("s.json"));
    assert_eq!(json["status_counts"]["due"], 56);
    assert_eq!(json["status_counts"]["unreadable"]["total"], 56, "every typed status is now unknown, and counted");
    assert!(d.join("集計.xlsx").is_file());
    let out = kaito(&["consolidate", "--plan", "計画.xlsx", "--period", "2024H2", "回答", "--output", "空.xlsx"], d);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(d.join("空.xlsx").is_file());
}

#[test]
fn periods_are_read_as_offices_write_them_and_held_to_the_plan() {
    let dir = samples();
    let d = dir.path();
    for spelling in ["2021年度上期", "R3前期", "令和3年度上半期"] {
        let out = kaito(&["check", "--plan", "計画.xlsx", "--period", spelling, FIRST], d);
        assert_eq!(out.status.code(), Some(0), "{spelling}: {}", stderr(&out));
    }
    let out = kaito(&["check", "--plan", "計画.xlsx", "--period", "令和3年度後期", FIRST, "--json", "s.json"], d);
    assert_eq!(read_json(&d.join("s.json"))["period"]["half"], 2, "{}", stderr(&out));
    let out = kaito(&["check", "--plan", "計画.xlsx", "--period", "令和99年度上半期", "回答"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("計画") && stderr(&out).contains("期間"), "{}", stderr(&out));
}

#[test]
fn every_message_is_in_japanese_and_a_missing_plan_points_at_the_ones_nearby() {
    let dir = samples();
    let d = dir.path();
    for args in [
        vec!["check", "--plan", "計画.xlsx", "--perod", "2021H1", "回答"],
        vec!["chek"],
        vec!["check", "回答"],
        vec!["consolidate", "--plan", "計画.xlsx", "回答", "--output"],
        vec!["check", "--plan", "計画.xlsx", "--period", "そのうち", "回答"],
    ] {
        let out = kaito(&args, d);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let e = stderr(&out);
        assert!(e.starts_with("エラー: "), "{args:?}: {e}");
        for english in ["error:", "Usage", "invalid", "unexpected", "required", "For more information"] {
            assert!(!e.contains(english), "{args:?}: {e}");
        }
    }
    let out = kaito(&["check", "--plan", "keikaku.xlsx", "回答"], d);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("見つかりません") && e.contains("計画.xlsx") && !e.contains("os error"), "{e}");
    let out = kaito(&["check", "--plan", "計画.xlsx", "ない回答"], d);
    assert!(stderr(&out).contains("見つかりません") && !stderr(&out).contains("os error"), "{}", stderr(&out));
    let help = kaito(&["check", "--help"], d);
    let h = String::from_utf8_lossy(&help.stdout);
    assert!(h.contains("使い方") && !h.contains("Usage") && !h.contains("Options"), "{h}");
}

#[test]
fn a_plan_beyond_a_response_sheets_size_is_read_whole() {
    // A prefecture's plan: more items (and activity rows) than a response sheet's 2,000 rows.
    let dir = tempfile::tempdir().unwrap();
    let mut plan = sample_plan();
    let first = plan.projects[0].clone();
    plan.projects = (0..2500)
        .map(|i| {
            let mut p = first.clone();
            p.code = format!("0701-{i:05}");
            p
        })
        .collect();
    plan.index = Default::default();
    kaito::plan::write_workbook(&plan, &dir.path().join("計画.xlsx")).unwrap();
    let (loaded, _) = kaito::ops::load_plan(&dir.path().join("計画.xlsx")).unwrap();
    assert_eq!(loaded.plan.projects.len(), 2500);
    let last = loaded.plan.project("0701-02499").expect("the last item is there");
    assert_eq!(last.activities.len(), first.activities.len(), "and its activities, beyond row 2,000 of the 活動 sheet");
}

#[test]
fn a_plan_read_for_checking_lacks_only_the_texts_a_drawing_prints() {
    let dir = samples();
    let d = dir.path();
    // A 成果 row naming no item, so that the sheet's own findings are compared too.
    let bytes = std::fs::read(d.join("計画.xlsx")).unwrap();
    let bytes = crate::fixtures::patch_zip(&bytes, "xl/worksheets/sheet5.xml", |x| {
        assert!(x.contains(r#"<c r="A2" t="s"><v>37</v></c>"#), "the sample's first 成果 row");
        x.replace(r#"<c r="A2" t="s"><v>37</v></c>"#, r#"<c r="A2" t="inlineStr"><is><t>0799-99</t></is></c>"#)
    });
    std::fs::write(d.join("計画2.xlsx"), bytes).unwrap();
    let load = |texts| kaito::ops::load_plan_for(&d.join("計画2.xlsx"), texts).unwrap().0;
    let (all, checking) = (load(kaito::plan::Texts::All), load(kaito::plan::Texts::ForChecking));
    let said = |l: &kaito::plan::LoadedPlan| -> Vec<(&str, Option<String>, Option<String>, String)> {
        l.findings
            .iter()
            .map(|f| (f.rule, f.sheet.as_deref().map(str::to_string), f.cell_ref().map(str::to_string), f.message().to_string()))
            .collect()
    };
    assert_eq!(said(&checking), said(&all));
    assert!(said(&all).iter().any(|f| f.0 == "plan-unknown-project" && f.1.as_deref() == Some("成果") && f.2.as_deref() == Some("A2")));
    assert!(all.plan.projects.iter().any(|p| !p.purpose.is_empty() && !p.overview.is_empty() && !p.outcomes.is_empty()));
    assert_eq!(checking.plan.projects.len(), all.plan.projects.len());
    for (c, a) in checking.plan.projects.iter().zip(&all.plan.projects) {
        assert!(c.purpose.is_empty() && c.overview.is_empty() && c.outcomes.is_empty(), "{}", c.code);
        let mut a = a.clone();
        let d = a.details_mut();
        (d.purpose, d.overview, d.outcomes) = Default::default();
        assert_eq!(serde_json::to_value(c).unwrap(), serde_json::to_value(&a).unwrap(), "{}: the rest as read whole", c.code);
    }
}

#[test]
fn a_plans_schedule_texts_are_held_once_however_often_they_are_said() {
    let plan = sample_plan();
    let arrows: Vec<&std::sync::Arc<str>> =
        plan.projects.iter().flat_map(|p| &p.activities).flat_map(|a| a.schedule.iter().map(|(_, t)| t)).filter(|t| &***t == "→").collect();
    assert!(arrows.len() > 10, "{}", arrows.len());
    assert!(arrows.windows(2).all(|w| std::sync::Arc::ptr_eq(w[0], w[1])), "one 「→」 for the whole plan");
}
