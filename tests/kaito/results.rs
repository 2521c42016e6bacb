//! Judged targets and shared responsibility (取組実績票): the action plan's results report as
//! the document gives them, targets judged from their year, reasons, items added in a later
//! year, departments counted in both roles, and the sheets sent out.

use crate::common::*;
use calamine::{Data, Reader};
use kaito::card::render::{CardOptions, CardValues, draw_card};
use kaito::form::FormDef;
use kaito::grid::Limits;
use std::collections::BTreeMap;
use std::path::Path;

fn results_samples() -> tempfile::TempDir {
    sample_copy("取組実績票")
}

#[test]
fn the_documents_results_count_as_the_document_does() {
    let dir = results_samples();
    let d = dir.path();
    let (code, json, text) = run_json(d, &["consolidate", "--plan", "計画.xlsx", "回答", "--output", "集計.xlsx"]);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(json["period"]["fiscal_year"], 2023);
    assert_eq!(json["submitted"], 44);
    assert_eq!(json["items_by_node"], serde_json::json!({"1": 27, "2": 13, "3": 4}));
    let j = &json["judgements"];
    assert_eq!(j["count"], 8);
    assert_eq!(j["total"], serde_json::json!({"達成": 6, "未達成": 2}));
    let failed: Vec<(String, String, String)> = j["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] == "未達成")
        .map(|t| (t["project"].as_str().unwrap().into(), t["number"].as_str().unwrap().into(), t["explanation"].as_str().unwrap().into()))
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!((failed[0].0.as_str(), failed[0].1.as_str()), ("1", "②"));
    assert!(failed[0].2.contains("182種類"), "{}", failed[0].2);
    assert_eq!((failed[1].0.as_str(), failed[1].1.as_str()), ("3", "②"));
    assert!(!failed[1].2.is_empty());

    let mut wb = calamine::open_workbook_auto(d.join("集計.xlsx")).unwrap();
    // The document the council reads first, after the cover: the targets not reached, with
    // their reasons.
    assert_eq!(wb.sheet_names()[..2], ["表紙", "未達成の目標"]);
    let first = wb.worksheet_range("未達成の目標").unwrap();
    assert_eq!(first.get_value((1, 0)), Some(&Data::String("1".into())));
    assert_eq!(first.get_value((2, 0)), Some(&Data::String("3".into())));
    assert!(first.get_value((1, 4)).unwrap().to_string().contains("182種類"));
    let status = wb.worksheet_range("判定状況").unwrap();
    let row = |unit: &str, name: &str| {
        (0..status.height() as u32)
            .find(|r| {
                status.get_value((*r, 0)) == Some(&Data::String(unit.into()))
                    && status.get_value((*r, 1)) == Some(&Data::String(name.into()))
            })
            .unwrap_or_else(|| panic!("{unit} {name}"))
    };
    assert_eq!(status.get_value((row("方針1", "暮らしのデジタル化"), 2)), Some(&Data::Float(4.0)));
    assert_eq!(status.get_value((row("方針1", "暮らしのデジタル化"), 3)), Some(&Data::Float(2.0)));
    assert_eq!(status.get_value((row("区分", "重点取組事項"), 2)), Some(&Data::Float(6.0)));
    // デジタル推進課 leads items 1-4: all eight targets count for it, and for each 実施課 too.
    assert_eq!(status.get_value((row("推進課", "デジタル推進課"), 2)), Some(&Data::Float(6.0)));
    assert!(status.used_cells().any(|(_, _, v)| v.to_string().contains("両方の課に数えます")));
}

fn card(d: &Path, name: &str, code: &str, year: i32, values: &CardValues) {
    let plan = kaito::plan::load(&root().join("samples/取組実績票/計画.xlsx")).unwrap().plan;
    let form = FormDef::bundled("取組実績票").unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name(code).unwrap();
    draw_card(ws, &plan, &form, kaito::period::Period::year(year), plan.project(code).unwrap(), values, &CardOptions::default()).unwrap();
    wb.save(d.join(name)).unwrap();
}

fn values(results: &[(i32, &str)], judged: &[(&str, &str)]) -> CardValues {
    let mut v = CardValues::default();
    for (k, t) in [("responder", "デジタル推進課"), ("person", "担当"), ("contact", "内線1")] {
        v.once.insert(k.into(), t.into());
    }
    v.lines.insert("result".into(), vec![results.iter().map(|(y, t)| (*y, t.to_string())).collect()]);
    v.lines.insert("judgement".into(), judged.iter().map(|(j, _)| BTreeMap::from([(0, j.to_string())])).collect());
    v.lines.insert("explanation".into(), judged.iter().map(|(_, e)| BTreeMap::from([(0, e.to_string())])).collect());
    v
}

#[test]
fn targets_are_judged_from_their_year_with_reasons_and_results_are_required() {
    let dir = results_samples();
    let d = dir.path();
    std::fs::create_dir_all(d.join("2022")).unwrap();
    // Item 1: ① (every year) judged 達成済, ② (2023) not yet due and left empty, the 2022
    // result missing. Item 3: ② (2023) judged early; ① 未達成 without its reason.
    card(&d.join("2022"), "1.xlsx", "1", 2022, &values(&[(2021, "研修を行いました")], &[("達成済", "107種類"), ("", "")]));
    card(&d.join("2022"), "3.xlsx", "3", 2022, &values(&[(2022, "セミナーを開催しました")], &[("未達成", ""), ("達成", "1500名")]));
    // Item 4: ① 達成 with nothing said about it.
    card(&d.join("2022"), "4.xlsx", "4", 2022, &values(&[(2022, "訓練を実施しました")], &[("達成", ""), ("達成", "訓練を実施")]));
    let (_, json, text) = run_json(d, &["check", "--plan", "計画.xlsx", "--period", "2022", "2022"]);
    let found: Vec<(String, String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["project"].as_str().is_some_and(|p| ["1", "3", "4"].contains(&p)))
        .map(|f| (f["rule"].as_str().unwrap().into(), f["project"].as_str().unwrap().into(), f["severity"].as_str().unwrap().into()))
        .collect();
    let has = |rule: &str, p: &str, sev: &str| found.contains(&(rule.to_string(), p.to_string(), sev.to_string()));
    assert!(has("judgement-code", "1", "error"), "{text}");
    let code = json["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "judgement-code").unwrap();
    assert_eq!(code["suggestion"], "達成");
    assert!(has("result-missing", "1", "error"), "{found:?}");
    assert!(!found.iter().any(|f| f.0 == "judgement-missing" && f.1 == "1"), "② of item 1 is not due in 2022: {found:?}");
    assert!(has("judgement-early", "3", "info"), "{found:?}");
    assert!(has("reason-missing", "3", "error"), "{found:?}");
    assert!(has("reason-missing", "4", "warning"), "{found:?}");
}

#[test]
fn items_added_in_a_later_year_are_not_asked_for_before_it() {
    let dir = results_samples();
    let d = dir.path();
    std::fs::create_dir_all(d.join("2021")).unwrap();
    card(&d.join("2021"), "1.xlsx", "1", 2021, &values(&[(2021, "研修を行いました")], &[("達成", "107種類"), ("", "")]));
    let (_, json, _) = run_json(d, &["check", "--plan", "計画.xlsx", "--period", "2021", "2021"]);
    // 44 items, 11 added in 2022 or 2023, item 1 returned.
    assert_eq!(json["missing"].as_array().unwrap().len(), 32);
    let plan = kaito::plan::load(&d.join("計画.xlsx")).unwrap().plan;
    for m in json["missing"].as_array().unwrap() {
        let p = plan.project(m["project"].as_str().unwrap()).unwrap();
        assert!(p.set_year.is_none_or(|y| y <= 2021), "{}", p.code);
    }
}

#[test]
fn the_sheets_sent_out_carry_earlier_results_and_offer_the_judgements() {
    let dir = results_samples();
    let d = dir.path();
    std::fs::create_dir_all(d.join("2022")).unwrap();
    card(
        &d.join("2022"),
        "1.xlsx",
        "1",
        2022,
        &values(&[(2021, "研修を行いました"), (2022, "189種類をオンライン化")], &[("達成", "189種類"), ("", "")]),
    );
    let out = kaito(&["template", "--plan", "計画.xlsx", "--period", "2023", "--output", "送付", "--previous", "2022"], d);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let path = d.join("送付/デジタル推進課/1_各種申請や届出のオンライン化.xlsx");
    let book = kaito::grid::open(&std::fs::read(&path).unwrap(), &Limits::default()).unwrap();
    let form = FormDef::bundled("取組実績票").unwrap();
    let c = kaito::card::read_sheet(&book.sheets[0], &form).unwrap();
    let results = &c.lines["result"][0];
    assert_eq!(results[&2021].text(), "研修を行いました");
    assert_eq!(results[&2022].text(), "189種類をオンライン化");
    assert!(results[&2023].is_empty());
    // Both targets, due in 2023, with an empty judgement offering 達成 / 未達成.
    assert_eq!(c.lines["judgement"].len(), 2);
    assert!(c.lines["judgement"].iter().all(|m| m[&0].is_empty()), "judgements are this year's to make");
    let xml = String::from_utf8(crate::fixtures::unzip_entry(&std::fs::read(&path).unwrap(), "xl/worksheets/sheet1.xml")).unwrap();
    assert!(xml.contains("<formula1>\"達成,未達成\"</formula1>"), "a dropdown of the plan's 判定区分");
}
