//! The next plan: goals above themes, projects without codes yet (assigned, stable, written
//! back), both levels in every summary, and answers carried across plans by 旧事業コード.

use crate::common::*;
use calamine::{Data, Reader};
use std::path::Path;

fn next_samples() -> tempfile::TempDir {
    sample_copy("報告回答票_2024-2027")
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn codes(path: &Path) -> Vec<(String, String)> {
    kaito::plan::load(path).unwrap().plan.projects.iter().map(|p| (p.code.clone(), p.name.clone())).collect()
}

#[test]
fn codes_are_assigned_per_theme_stay_fixed_and_are_written_back() {
    let dir = next_samples();
    let d = dir.path();
    let out = kaito(&["plan", "--plan", "計画.xlsx"], d);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    for line in [
        "目標1 効率的・効果的な行政サービスの推進(8 件)",
        "改革テーマ1 行政サービスの向上(2 件)",
        "0801-01 窓口サービスのDX推進",
        "0802-06 職員提案・業務改善の推進",
        "0803-07 公用車利用の最適化",
        "0804-04 ワーク・ライフ・バランスの推進",
        "[旧 0705-10]",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    assert!(text.contains("plan-codes-assigned"), "said, with every code");
    let before = codes(&d.join("計画.xlsx"));

    // A project added at the end of theme 1 (at the end of the sheet) takes the next number
    // of its theme; no other code moves.
    let mut plan = kaito::plan::load(&d.join("計画.xlsx")).unwrap().plan;
    for p in &mut plan.projects {
        p.code.clear();
    }
    let mut added = plan.projects[0].clone();
    added.name = "窓口予約システムの導入".into();
    plan.projects.push(added);
    kaito::plan::write_workbook(&plan, &d.join("追加後.xlsx")).unwrap();
    let after = codes(&d.join("追加後.xlsx"));
    assert_eq!(after[..19], before[..]);
    assert_eq!(after[19], ("0801-03".to_string(), "窓口予約システムの導入".to_string()));

    // Written back into a copy of the office's own workbook: read again, the codes are the
    // plan's own and nothing is assigned any more.
    let out = kaito(&["plan", "--plan", "計画.xlsx", "--write-codes", "計画_コード付き.xlsx"], d);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let loaded = kaito::plan::load(&d.join("計画_コード付き.xlsx")).unwrap();
    assert!(loaded.plan.assigned_codes.is_empty());
    assert!(loaded.findings.iter().all(|f| f.rule != "plan-codes-assigned"));
    assert_eq!(codes(&d.join("計画_コード付き.xlsx")), before);
    let mut wb = calamine::open_workbook_auto(d.join("計画_コード付き.xlsx")).unwrap();
    assert_eq!(wb.worksheet_range("事業").unwrap().get_value((1, 0)), Some(&Data::String("0801-01".into())));
    assert!(wb.sheet_names().contains(&"体系".to_string()), "the rest of the workbook is kept");
    // The plan itself is never the copy.
    let out = kaito(&["plan", "--plan", "計画.xlsx", "--write-codes", "計画.xlsx"], d);
    assert_eq!(out.status.code(), Some(2));

    // Some codes and some not: an error for each row without one.
    let mut partial = kaito::plan::load(&d.join("計画.xlsx")).unwrap().plan;
    partial.projects[3].code.clear();
    partial.projects[7].code.clear();
    kaito::plan::write_workbook(&partial, &d.join("一部.xlsx")).unwrap();
    let loaded = kaito::plan::load(&d.join("一部.xlsx")).unwrap();
    assert_eq!(loaded.findings.iter().filter(|f| f.rule == "plan-project").count(), 2);
    assert_eq!(loaded.plan.projects.len(), 17);
}

#[test]
fn both_levels_show_in_every_summary() {
    let dir = next_samples();
    let d = dir.path();
    let out = kaito(&["consolidate", "--plan", "計画.xlsx", "回答", "--output", "集計.xlsx"], d);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("事業コード: 計画にないため 19 件に付けました"));
    let mut wb = calamine::open_workbook_auto(d.join("集計.xlsx")).unwrap();
    let status = wb.worksheet_range("進捗状況").unwrap();
    assert_eq!(status.get_value((0, 1)), Some(&Data::String("改革テーマ".into())));
    let header: Vec<String> =
        (0..status.width() as u32).map(|c| status.get_value((0, c)).map(|v| v.to_string()).unwrap_or_default()).collect();
    let total = header.iter().position(|h| h == "合計").unwrap() as u32;
    let late = header.iter().position(|h| h == "遅れ").unwrap() as u32;
    let row = |label: &str| {
        (0..status.height() as u32)
            .find(|r| status.get_value((*r, 1)) == Some(&Data::String(label.into())))
            .unwrap_or_else(|| panic!("{label}"))
    };
    let goal1 = row("目標1 効率的・効果的な行政サービスの推進 小計");
    let goal2 = row("目標2 将来にわたり持続可能な行財政運営の確立 小計");
    assert_eq!(status.get_value((goal1, total)), Some(&Data::Float(8.0)));
    assert_eq!(status.get_value((goal1, late)), Some(&Data::Float(1.0)));
    assert_eq!(status.get_value((goal2, total)), Some(&Data::Float(10.0)), "0803-07 has not come back");
    assert_eq!(status.get_value((row("合計"), total)), Some(&Data::Float(18.0)));
    assert!(row("行政サービスの最適化") < goal1 && goal1 < row("健全財政の維持"));
    let effect = wb.worksheet_range("効果額").unwrap();
    assert!(effect.used_cells().any(|(_, _, v)| *v == Data::String("目標2 将来にわたり持続可能な行財政運営の確立 小計".into())));
    let list = wb.worksheet_range("一覧表").unwrap();
    let at = |text: &str| {
        (0..list.height() as u32).find(|r| list.get_value((*r, 0)) == Some(&Data::String(text.into()))).unwrap_or_else(|| panic!("{text}"))
    };
    assert!(at("目標1 効率的・効果的な行政サービスの推進") < at("(1) 行政サービスの向上"));
    assert!(at("(2) 行政サービスの最適化") < at("目標2 将来にわたり持続可能な行財政運営の確立"));
    let sheet = wb.worksheet_range("0801-01").unwrap();
    assert_eq!(sheet.get_value((2, 0)), Some(&Data::String("目標1 効率的・効果的な行政サービスの推進 › (1) 行政サービスの向上".into())));
    let mut office = calamine::open_workbook_auto(d.join("集計_事務用.xlsx")).unwrap();
    let summary = office.worksheet_range("概要").unwrap();
    assert!(summary.used_cells().any(|(_, _, v)| v.to_string().contains("コード接頭辞と計画の順から付けました(19 件)")));
}

#[test]
fn answers_carry_across_plans_by_the_old_code() {
    let dir = next_samples();
    let d = dir.path();
    copy_tree(&root().join("samples/報告回答票/回答"), &d.join("前計画の回答"));
    let out = kaito(&["template", "--plan", "計画.xlsx", "--period", "2024H1", "--output", "送付", "--previous", "前計画の回答"], d);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    assert!(stdout(&out).contains("前回の回答を転記した回答票: 10 件"), "{}", stdout(&out));
    // 0801-01 continues 0705-10: who answered it then is filled in; its activities are new.
    let path = d.join("送付/市民課/0801-01_窓口サービスのDX推進.xlsx");
    let read = kaito::intake::read_file(&path, "t", &kaito::layout::Layout::bundled(), &kaito::grid::Limits::default());
    let s = &read.sheets[0];
    let old = kaito::intake::read_file(
        &root().join("samples/報告回答票/回答/0705-10_窓口サービス改善事業.xlsx"),
        "o",
        &kaito::layout::Layout::bundled(),
        &kaito::grid::Limits::default(),
    );
    assert_eq!(s.responding_department.as_ref().unwrap().text(), old.sheets[0].responding_department.as_ref().unwrap().text());
    assert_eq!(s.person.as_ref().unwrap().text(), old.sheets[0].person.as_ref().unwrap().text());
    assert!(s.activities[0].status.values().all(|f| f.is_empty()), "no status of the old plan's activities");
    let list = calamine::open_workbook_auto(d.join("送付/送付一覧.xlsx")).unwrap().worksheet_range("送付一覧").unwrap();
    let carried = (1..list.height() as u32).filter(|r| list.get_value((*r, 4)) == Some(&Data::String("あり".into()))).count();
    assert_eq!(carried, 10);
}
