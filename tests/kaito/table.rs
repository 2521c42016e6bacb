//! The row-per-item progress table (進捗管理表): the samples built from the published table
//! counted as the document counts, every way a returned table may be laid out, template →
//! fill → check → read back, the packet and the feedback.

use crate::common::*;
use calamine::{Data, Reader};
use kaito::form::FormDef;
use kaito::grid::Limits;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn table_samples() -> tempfile::TempDir {
    sample_copy("進捗管理表")
}

fn words(t: &Value) -> BTreeMap<String, u64> {
    t["words"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect()
}

fn map(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn errors(json: &Value) -> BTreeSet<(String, String)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error" && !f["rule"].as_str().unwrap().starts_with("plan-"))
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["project"].as_str().unwrap_or("").to_string()))
        .collect()
}

/// The document's counts, read out of the published table by hand (the facts' counts): 43
/// 計画どおり, 2 目標達成, 1 計画未満, and 11 items without a readable status (none in I, 5 in
/// II, 6 in III).
#[test]
fn the_published_table_counts_as_the_document_does() {
    let dir = table_samples();
    let d = dir.path();
    for plan in ["計画.xlsx", "進捗管理表_令和2年度_原本.xlsx"] {
        let (code, json, text) = run_json(d, &["check", "--plan", plan, "回答"]);
        assert_eq!(code, Some(1), "{plan}: {text}");
        assert_eq!(json["planned"], 57, "{plan}");
        assert_eq!(json["submitted"], 57);
        assert_eq!(json["period"]["fiscal_year"], 2020);
        let c = &json["status_counts"];
        assert_eq!(words(&c["total"]), map(&[("計画どおり", 43), ("目標達成", 2), ("計画未満", 1)]), "{plan}");
        assert_eq!(c["total"]["unanswered"], 11);
        let by = &c["by_node"];
        assert_eq!(words(&by["I"]), map(&[("計画どおり", 22), ("目標達成", 2)]));
        assert_eq!(by["I"]["unanswered"], 0);
        assert_eq!(words(&by["II"]), map(&[("計画どおり", 10)]));
        assert_eq!(by["II"]["unanswered"], 5);
        assert_eq!(words(&by["III"]), map(&[("計画どおり", 11), ("計画未満", 1)]));
        assert_eq!(by["III"]["unanswered"], 6);
        // Every level: a 中項目 and a 小項目 of the document.
        assert_eq!(words(&by["I 1"]), map(&[("計画どおり", 10), ("目標達成", 2)]));
        assert_eq!(words(&by["I 1 (1)"]), map(&[("計画どおり", 3), ("目標達成", 1)]));
        assert_eq!(by["II 2 (2)"]["unanswered"], 1);
        // What kaito must report: the items without a status, and the 計画未満 item whose
        // 問題・課題 is empty.
        let missing_status: BTreeSet<String> = errors(&json).into_iter().filter(|(r, _)| r == "status-missing").map(|(_, p)| p).collect();
        let want: BTreeSet<String> = [
            "II 2 (1) ①",
            "II 2 (2) ①",
            "II 2 (3) ①",
            "II 3 (1) ①",
            "II 3 (3) ②",
            "III 1 (1) ②",
            "III 1 (2) ②",
            "III 2 (1) ②",
            "III 2 (2) ②",
            "III 3 (1) ③",
            "III 3 (2) ①",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(missing_status, want, "{plan}");
        assert!(errors(&json).contains(&("countermeasures-missing".into(), "III 1 (1) ①".into())));
        let plan_faults = json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "plan-departments").count();
        assert_eq!(plan_faults, 7, "the items printed without a department");
    }
    // The year as offices write it.
    for period in ["2020", "R2", "令和2年度", "2020年度"] {
        let (code, json, text) = run_json(d, &["check", "--plan", "計画.xlsx", "--period", period, "回答"]);
        assert_eq!(code, Some(1), "{period}: {text}");
        assert_eq!(json["submitted"], 57, "{period}");
    }
    let out = kaito(&["check", "--plan", "計画.xlsx", "--period", "2020H1", "回答"], d);
    assert_eq!(out.status.code(), Some(2), "a half-year for a yearly plan is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("年度ごと"));
}

/// Writes a workbook of sheets given cell by cell; `hidden` columns are hidden.
fn book(path: &Path, sheets: &[(&str, Vec<(u32, u16, String)>)], hidden: &[u16]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, cells) in sheets {
        let ws = wb.add_worksheet().set_name(*name).unwrap();
        for (r, c, t) in cells {
            ws.write_string(*r, *c, t).unwrap();
        }
        for c in hidden {
            ws.set_column_hidden(*c).unwrap();
        }
    }
    wb.save(path).unwrap();
}

const HEADER: [&str; 9] = [
    "項目No.",
    "取組項目",
    "担当部署",
    "内容、進め方",
    "R 2 計画概要",
    "R 2 実施内容",
    "実施過程での新たな問題・課題",
    "次年度の方針",
    "進捗区分",
];

/// 財政課's rows as the document has them: (group cell, name cell, done, status).
fn finance_rows() -> Vec<[String; 4]> {
    let items: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("samples/進捗管理表/source/items.json")).unwrap()).unwrap();
    items["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["department"] == "財政課")
        .map(|i| {
            [
                format!("{} {}", i["group"].as_str().unwrap(), i["group_name"].as_str().unwrap()),
                format!("{} {}", i["marker"].as_str().unwrap(), i["name"].as_str().unwrap()),
                i["done"].as_str().unwrap().to_string(),
                i["status"].as_str().unwrap().to_string(),
            ]
        })
        .collect()
}

/// A table laid out by `columns` (header index → column) with the header on `header_row`;
/// the group number written on every row, or on the first of its group only.
fn laid_out(header_row: u32, columns: &[u16; 9], every_row: bool, extra: &[(u16, &str)]) -> Vec<(u32, u16, String)> {
    let mut cells = vec![(0, 0, "令和2年度 行政改革取組項目 進捗状況(財政課)".to_string())];
    for (i, h) in HEADER.iter().enumerate() {
        cells.push((header_row, columns[i], h.to_string()));
    }
    for (c, h) in extra {
        cells.push((header_row, *c, h.to_string()));
    }
    let mut last_group = String::new();
    for (j, row) in finance_rows().iter().enumerate() {
        let r = header_row + 1 + j as u32;
        if every_row || row[0] != last_group {
            cells.push((r, columns[0], row[0].clone()));
        }
        last_group = row[0].clone();
        cells.push((r, columns[1], row[1].clone()));
        cells.push((r, columns[2], "財政課".into()));
        cells.push((r, columns[5], row[2].clone()));
        cells.push((r, columns[7], "継続して取り組む".into()));
        cells.push((r, columns[8], row[3].clone()));
        for (c, _) in extra {
            cells.push((r, *c, "メモ".into()));
        }
    }
    cells
}

fn finance_check(d: &Path, file: &str) -> (Value, BTreeSet<(String, String)>) {
    let (_, json, text) = run_json(d, &["check", "--plan", "計画.xlsx", "--period", "2020", file]);
    let accepted: BTreeSet<(String, String)> = json["answers"]
        .as_array()
        .unwrap_or_else(|| panic!("{text}"))
        .iter()
        .map(|a| (a["project"].as_str().unwrap().to_string(), a["values"]["status"].as_str().unwrap_or("").to_string()))
        .collect();
    (json, accepted)
}

#[test]
fn returned_tables_read_however_they_are_laid_out() {
    let dir = table_samples();
    let d = dir.path();
    let want: BTreeSet<(String, String)> = finance_rows()
        .iter()
        .map(|r| {
            let (g, _) = kaito::table::outline_number(&r[0]);
            (format!("{g} {}", r[1].chars().next().unwrap()), r[3].clone())
        })
        .collect();
    assert_eq!(want.len(), 9);
    let straight = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    // Header further down, columns moved and an inserted column, group merged (first row only).
    let moved = [2, 0, 1, 8, 7, 3, 5, 6, 4];
    let variants: Vec<(&str, Vec<(&str, Vec<(u32, u16, String)>)>, Vec<u16>)> = vec![
        ("straight.xlsx", vec![("Sheet1", laid_out(2, &straight, true, &[]))], vec![]),
        ("moved.xlsx", vec![("表", laid_out(6, &moved, false, &[(9, "備考(課内用)")]))], vec![]),
        ("hidden.xlsx", vec![("表", laid_out(1, &[0, 1, 2, 4, 5, 6, 7, 8, 9], false, &[(3, "旧列")]))], vec![3, 4]),
    ];
    for (name, sheets, hidden) in variants {
        book(&d.join(name), &sheets, &hidden);
        let (json, got) = finance_check(d, name);
        assert_eq!(got, want, "{name}");
        assert_eq!(json["submitted"], 9, "{name}");
    }
    // Split over two worksheets: both halves read, one file.
    let all = laid_out(2, &straight, true, &[]);
    let (first, second): (Vec<_>, Vec<_>) = all.into_iter().partition(|(r, _, _)| *r <= 7);
    let mut second_with_header: Vec<(u32, u16, String)> = HEADER.iter().enumerate().map(|(i, h)| (0, i as u16, h.to_string())).collect();
    second_with_header.extend(second.into_iter().map(|(r, c, t)| (r - 7, c, t)));
    book(&d.join("split.xlsx"), &[("前半", first), ("後半", second_with_header)], &[]);
    let (json, got) = finance_check(d, "split.xlsx");
    assert_eq!(got, want);
    assert_eq!(json["files"].as_array().unwrap().len(), 1);
}

#[test]
fn other_departments_rows_and_changed_plan_text_are_reported() {
    let dir = table_samples();
    let d = dir.path();
    // 財政課 fills a 課税課 row too, differently from 課税課, and rewrites a plan cell.
    let mut cells = laid_out(2, &[0, 1, 2, 3, 4, 5, 6, 7, 8], true, &[]);
    let r = 2 + finance_rows().len() as u32 + 1;
    cells.extend([
        (r, 0, "I 1 (2) 市税の確保".to_string()),
        (r, 1, "① 未申告指導の推進".to_string()),
        (r, 2, "課税課".to_string()),
        (r, 5, "財政課が代わりに記入".to_string()),
        (r, 8, "計画未満".to_string()),
        (3, 3, "内容を書き換えた".to_string()),
    ]);
    book(&d.join("回答/進捗管理表_R2_財政課.xlsx"), &[("Sheet1", cells)], &[]);
    let (_, json, _) = run_json(d, &["check", "--plan", "計画.xlsx", "回答"]);
    let find = |rule: &str| -> Vec<Value> { json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule).cloned().collect() };
    let other = find("other-department-row");
    assert_eq!(other.len(), 1);
    assert_eq!(other[0]["project"], "I 1 (2) ①");
    let dup = find("duplicate");
    assert_eq!(dup.len(), 1);
    assert_eq!(dup[0]["severity"], "error");
    assert!(dup[0]["message"].as_str().unwrap().contains("課税課"), "{}", dup[0]);
    // 課税課's own row is the one counted.
    let answer = json["answers"].as_array().unwrap().iter().find(|a| a["project"] == "I 1 (2) ①").unwrap().clone();
    assert!(answer["file"].as_str().unwrap().contains("課税課"));
    let changed = find("plan-text-changed");
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["cell"], "D4");
    // A check writing no JSON lets each row's cells go once checked, and still tells the
    // two different rows apart, with or without the period given.
    for args in [&["check", "--plan", "計画.xlsx", "回答"][..], &["check", "--plan", "計画.xlsx", "--period", "2020", "回答"]] {
        let out = kaito(args, d);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.matches("[duplicate]").count(), 1, "{args:?}\n{text}");
        assert!(text.contains("進捗管理表_R2_財政課.xlsx"), "{text}");
    }
}

#[test]
fn a_table_of_another_year_is_not_counted() {
    let dir = table_samples();
    let d = dir.path();
    let mut cells = laid_out(2, &[0, 1, 2, 3, 4, 5, 6, 7, 8], true, &[]);
    for c in cells.iter_mut().filter(|c| c.0 == 2) {
        c.2 = c.2.replace("R 2", "R 3");
    }
    book(&d.join("r3.xlsx"), &[("Sheet1", cells)], &[]);
    let (_, json, _) = run_json(d, &["check", "--plan", "計画.xlsx", "--period", "2020", "r3.xlsx"]);
    let f = json["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "period-mismatch").unwrap().clone();
    assert_eq!(f["cell"], "E3");
    assert_eq!(json["submitted"], 0);
}

#[test]
fn template_filled_by_labels_checks_clean_and_reads_back_every_value() {
    let dir = table_samples();
    let d = dir.path();
    let out = kaito(&["template", "--plan", "計画.xlsx", "--period", "2020", "--output", "送付"], d);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let form = FormDef::bundled("進捗管理表").unwrap();
    let mut typed: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut files = 0;
    for e in std::fs::read_dir(d.join("送付")).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name == "送付一覧.xlsx" || name.starts_with("担当未設定") {
            continue;
        }
        files += 1;
        let book = kaito::grid::open(&std::fs::read(&path).unwrap(), &Limits::default()).unwrap();
        let t = kaito::table::read_sheet(&book.sheets[0], &form).expect("a table");
        let mut values = BTreeMap::new();
        for row in &t.rows {
            let code = row.number.clone().unwrap();
            for (key, text) in [("done", format!("{code}を実施した")), ("next", "継続".to_string()), ("status", "計画どおり".to_string())]
            {
                values.insert(row.field(key).unwrap().a1(), text.clone());
                typed.entry(code.clone()).or_default().insert(key.to_string(), text);
            }
        }
        type_into(&path, &values);
    }
    assert_eq!(files, 16);
    std::fs::remove_file(d.join("送付/送付一覧.xlsx")).unwrap();
    for e in std::fs::read_dir(d.join("送付")).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().starts_with("担当未設定") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let (code, json, text) = run_json(d, &["check", "--plan", "計画.xlsx", "--period", "2020", "送付"]);
    // The only errors left are the plan's own: the 7 items printed without a department.
    assert_eq!(code, Some(1), "{text}");
    let problems: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info" && f["rule"] != "not-submitted" && f["rule"] != "plan-departments")
        .collect();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(json["submitted"], 50, "57 items less the 7 without a department");
    for a in json["answers"].as_array().unwrap() {
        let code = a["project"].as_str().unwrap();
        for (key, text) in &typed[code] {
            assert_eq!(a["values"][key].as_str().unwrap(), text, "{code} {key}");
        }
    }
}

#[test]
fn the_packet_has_the_merged_table_counts_at_every_level_and_links() {
    let dir = table_samples();
    let d = dir.path();
    let out = kaito(&["consolidate", "--plan", "計画.xlsx", "回答", "--output", "集計.xlsx"], d);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let mut wb = calamine::open_workbook_auto(d.join("集計.xlsx")).unwrap();
    assert_eq!(wb.sheet_names(), ["表紙", "進捗管理表", "進捗状況"]);
    let office = calamine::open_workbook_auto(d.join("集計_事務用.xlsx")).unwrap();
    assert_eq!(office.sheet_names(), ["概要", "要確認", "未提出", "明細", "受付記録", "訂正"]);
    // The merged table reads back as a table of all 57 items in plan order, with the answers.
    let book = kaito::grid::open(&std::fs::read(d.join("集計.xlsx")).unwrap(), &Limits::default()).unwrap();
    let form = FormDef::bundled("進捗管理表").unwrap();
    let t = kaito::table::read_sheet(book.sheets.iter().find(|g| g.name == "進捗管理表").unwrap(), &form).unwrap();
    assert_eq!(t.rows.len(), 57);
    assert_eq!(t.rows[0].number.as_deref(), Some("I 1 (1) ①"));
    assert_eq!(t.rows[0].text("status"), "計画どおり");
    assert_eq!(t.year.as_ref().unwrap().0, 2020);
    let tally = wb.worksheet_range("進捗状況").unwrap();
    let row = |number: &str| (0..tally.height() as u32).find(|r| tally.get_value((*r, 1)) == Some(&Data::String(number.into()))).unwrap();
    let header: Vec<String> =
        (0..tally.width() as u32).map(|c| tally.get_value((0, c)).map(|v| v.to_string()).unwrap_or_default()).collect();
    let col = |h: &str| header.iter().position(|x| x == h).unwrap() as u32;
    assert_eq!(tally.get_value((row("III"), col("計画どおり"))), Some(&Data::Float(11.0)));
    assert_eq!(tally.get_value((row("III"), col("未記入"))), Some(&Data::Float(6.0)));
    assert_eq!(tally.get_value((row("I 1 (1)"), col("目標達成"))), Some(&Data::Float(1.0)));
    let total = (0..tally.height() as u32).find(|r| tally.get_value((*r, 2)) == Some(&Data::String("合計".into()))).unwrap();
    assert_eq!(tally.get_value((total, col("合計"))), Some(&Data::Float(57.0)));
    // Findings link from the office workbook into the packet's merged table.
    let xml = String::from_utf8_lossy(&crate::fixtures::unzip_entry(
        &std::fs::read(d.join("集計_事務用.xlsx")).unwrap(),
        "xl/worksheets/sheet2.xml",
    ))
    .to_string();
    assert!(xml.contains("location=\"'進捗管理表'!I"), "status cells are linked");
    // Each link lands on its own item's row of the merged table, on a field of that row.
    let list = calamine::open_workbook_auto(d.join("集計_事務用.xlsx")).unwrap().worksheet_range("要確認").unwrap();
    let mut links = 0;
    for part in xml.split("<hyperlink ").skip(1) {
        let attr = |name: &str| part.split(&format!("{name}=\"")).nth(1).and_then(|v| v.split('"').next()).unwrap().to_string();
        let (from, to) = (attr("ref"), attr("location"));
        let (r, _) = kaito::grid::parse_a1(&from).unwrap();
        let item = list.get_value((r, 2)).unwrap().to_string();
        let target = kaito::grid::parse_a1(to.trim_start_matches("'進捗管理表'!")).unwrap();
        let row = t.rows.iter().find(|x| x.row == target.0).unwrap_or_else(|| panic!("{to} is on no item's row"));
        assert_eq!(row.number.as_deref(), Some(item.as_str()), "{from} → {to}");
        assert!(row.cells.values().any(|f| (f.row, f.col) == target), "{from} → {to} is on no field");
        links += 1;
    }
    assert_eq!(links, 58);
}

#[test]
fn feedback_goes_to_departments_with_errors_and_comes_back_as_their_table() {
    let dir = table_samples();
    let d = dir.path();
    let out = kaito(&["feedback", "--plan", "計画.xlsx", "回答", "--output", "差戻し"], d);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let mut names: Vec<String> = std::fs::read_dir(d.join("差戻し"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".xlsx"))
        .collect();
    names.sort();
    // The departments with an error in their own rows: an empty 進捗区分 or 実施内容.
    assert_eq!(names, ["差戻し_管財契約課_2020.xlsx", "差戻し_職員課_2020.xlsx", "差戻し_行政管理課_2020.xlsx", "差戻し_財政課_2020.xlsx"]);
    // Fixed and returned, the file reads as 職員課's table.
    let path = d.join("差戻し/差戻し_職員課_2020.xlsx");
    let book = kaito::grid::open(&std::fs::read(&path).unwrap(), &Limits::default()).unwrap();
    let form = FormDef::bundled("進捗管理表").unwrap();
    let t = book.sheets.iter().find_map(|g| kaito::table::read_sheet(g, &form)).unwrap();
    assert_eq!(t.rows.len(), 11);
    let mut wb = calamine::open_workbook_auto(&path).unwrap();
    let list = wb.worksheet_range("差戻し一覧").unwrap();
    assert!(list.used_cells().any(|(_, _, v)| v.to_string().contains("III 1 (2) ②")));
}

/// A city with a form of its own: its words, its vocabulary, its rules, all in a definition
/// file beside the plan. Nothing in kaito names them; template, check and packet follow it.
#[test]
fn a_city_describes_its_own_form_as_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("取組状況調書.toml"),
        r#"
name = "取組状況調書"
title = "取組状況調書"
shape = "table"
cadence = "year"

[table]
number_from = ["no"]
title = "取組状況調書"

[[fields]]
key = "no"
labels = ["番号"]
kind = "code"
from = "plan"

[[fields]]
key = "name"
labels = ["取組名"]
kind = "name"
from = "plan"

[[fields]]
key = "department"
labels = ["所管課"]
kind = "department"
from = "plan"

[[fields]]
key = "result"
labels = ["今年度の実績"]
required = "error"
rule = "progress"

[[fields]]
key = "effect"
labels = ["効果額(千円)"]
kind = "amount"
rule = "effect"

[[fields]]
key = "issue"
labels = ["課題"]
required_when = { field = "grade", in = "要改善区分" }
rule = "countermeasures"

[[fields]]
key = "grade"
labels = ["評価"]
kind = "status"
vocabulary = "評価区分"
required = "error"
rule = "status"
"#,
    )
    .unwrap();
    let mut plan = kaito::plan::Plan {
        name: "ある市の改革プラン".into(),
        start_year: 2022,
        end_year: 2024,
        form: "取組状況調書.toml".into(),
        cadence: kaito::period::Cadence::Year,
        levels: vec!["分野".into()],
        nodes: ["1", "2"]
            .iter()
            .map(|n| kaito::plan::Node { number: n.to_string(), name: format!("分野{n}"), level: 0, parent: None, code_prefix: None })
            .collect(),
        lists: [("評価区分".to_string(), vec!["A".to_string(), "B".into(), "C".into()]), ("要改善区分".to_string(), vec!["C".to_string()])]
            .into(),
        ..Default::default()
    };
    for (code, name, node, dept) in
        [("1-1", "窓口の改善", "1", "市民課"), ("1-2", "電子申請", "1", "市民課"), ("2-1", "公共施設の再配置", "2", "資産課")]
    {
        let mut p: kaito::plan::Project =
            serde_json::from_value(serde_json::json!({"code": code, "name": name, "theme": 0, "departments": [dept]})).unwrap();
        p.node = Some(node.into());
        plan.projects.push(p);
    }
    kaito::plan::write_workbook(&plan, &d.join("計画.xlsx")).unwrap();
    let out = kaito(&["template", "--plan", "計画.xlsx", "--period", "R4", "--output", "送付"], d);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let form = FormDef::load(&d.join("取組状況調書.toml")).unwrap();
    let answers = [("1-1", "受付を一元化した", "1200", "", "A"), ("1-2", "", "", "", "C"), ("2-1", "計画を策定した", "12千円x", "", "B")];
    for e in std::fs::read_dir(d.join("送付")).unwrap() {
        let path = e.unwrap().path();
        if path.file_name().unwrap().to_string_lossy() == "送付一覧.xlsx" {
            std::fs::remove_file(&path).unwrap();
            continue;
        }
        let book = kaito::grid::open(&std::fs::read(&path).unwrap(), &Limits::default()).unwrap();
        let t = kaito::table::read_sheet(&book.sheets[0], &form).expect("the form's own table");
        let mut values = BTreeMap::new();
        for row in &t.rows {
            let (_, result, effect, issue, grade) = answers.iter().find(|a| Some(a.0) == row.number.as_deref()).unwrap();
            for (key, v) in [("result", result), ("effect", effect), ("issue", issue), ("grade", grade)] {
                if !v.is_empty() {
                    values.insert(row.field(key).unwrap().a1(), v.to_string());
                }
            }
        }
        type_into(&path, &values);
    }
    let (code, json, text) = run_json(d, &["consolidate", "--plan", "計画.xlsx", "送付", "--output", "集計.xlsx"]);
    assert_eq!(code, Some(1), "{text}");
    assert_eq!(json["form"], "取組状況調書");
    assert_eq!(json["submitted"], 3);
    let found: BTreeSet<(String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["project"].as_str().unwrap_or("").to_string()))
        .collect();
    let want: BTreeSet<(String, String)> = [("progress-missing", "1-2"), ("countermeasures-missing", "1-2"), ("effect-unreadable", "2-1")]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(found, want, "{text}");
    assert_eq!(words(&json["status_counts"]["by_node"]["1"]), map(&[("A", 1), ("C", 1)]));
    let mut wb = calamine::open_workbook_auto(d.join("集計.xlsx")).unwrap();
    assert!(wb.sheet_names().contains(&"取組状況調書".to_string()));
    let t = wb.worksheet_range("取組状況調書").unwrap();
    assert!(t.used_cells().any(|(_, _, v)| *v == Data::String("受付を一元化した".into())));
}

/// A table's items have none of what only a card's plan fills, and hold no room for it: a
/// plan of many items would pay for it in each. A card's plan keeps every detail it gives.
#[test]
fn a_table_plans_items_hold_no_card_details() {
    let table = kaito::plan::load(&root().join("samples/進捗管理表/計画.xlsx")).unwrap().plan;
    assert!(table.projects.len() > 50);
    let with: Vec<&str> = table.projects.iter().filter(|p| p.details.is_some()).map(|p| p.code.as_str()).collect();
    assert!(with.is_empty(), "items holding details: {with:?}");
    assert!(table.projects.iter().all(|p| p.activities.is_empty() && p.purpose.is_empty()));
    let card = kaito::plan::load(&root().join("samples/報告回答票/計画.xlsx")).unwrap().plan;
    assert!(card.projects.iter().all(|p| p.details.is_some() && !p.activities.is_empty()), "every card item has its schedule");
    let p = card.projects.iter().find(|p| p.code == "0701-01").unwrap();
    assert!(!p.purpose.is_empty() && !p.outcomes.is_empty(), "{}", p.code);
}

/// The 事業 sheet is read a row at a time. One whose XML lists a row out of order (Excel
/// never writes one; other programs may) is read whole instead, to the same plan.
#[test]
fn a_plan_whose_item_rows_are_out_of_order_reads_the_same() {
    let src = root().join("samples/進捗管理表/計画.xlsx");
    let bytes = std::fs::read(&src).unwrap();
    // The sheet's last row written first, before row 2.
    let moved = crate::fixtures::patch_zip(&bytes, "xl/worksheets/sheet3.xml", |xml| {
        let last = xml.rfind("<row ").unwrap();
        let end = last + xml[last..].find("</row>").unwrap() + "</row>".len();
        let second = xml.find("<row r=\"2\"").unwrap();
        format!("{}{}{}{}", &xml[..second], &xml[last..end], &xml[second..last], &xml[end..])
    });
    assert_ne!(moved, bytes);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("計画.xlsx"), &moved).unwrap();
    let (a, b) = (kaito::plan::load(&src).unwrap(), kaito::plan::load(&dir.path().join("計画.xlsx")).unwrap());
    let items =
        |p: &kaito::plan::Plan| p.projects.iter().map(|x| (x.code.clone(), x.name.clone(), x.departments.clone())).collect::<Vec<_>>();
    assert_eq!(items(&a.plan).len(), 57);
    assert_eq!(items(&a.plan), items(&b.plan));
    let said = |f: &[kaito::finding::Finding]| f.iter().map(|x| (x.rule, x.cell_ref().map(str::to_string))).collect::<Vec<_>>();
    assert_eq!(said(&a.findings), said(&b.findings));
}

#[test]
fn a_text_over_its_limit_is_counted_in_characters() {
    let dir = table_samples();
    let d = dir.path();
    let mut cells = laid_out(2, &[0, 1, 2, 3, 4, 5, 6, 7, 8], true, &[]);
    // The first row's 実施内容 (at most 2,000 characters): 2,001, each three bytes long.
    let at = cells.iter().position(|(r, c, _)| *r == 3 && *c == 5).unwrap();
    cells[at].2 = "あ".repeat(2001);
    book(&d.join("回答/進捗管理表_R2_財政課.xlsx"), &[("Sheet1", cells)], &[]);
    let (_, json, _) = run_json(d, &["check", "--plan", "計画.xlsx", "回答"]);
    let long: Vec<&Value> = json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "text-too-long").collect();
    assert_eq!(long.len(), 1, "{long:?}");
    assert_eq!(long[0]["cell"], "F4");
    assert!(long[0]["message"].as_str().unwrap().contains("2001 文字"), "{}", long[0]);
}
