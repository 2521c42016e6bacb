//! Targets against actuals (取組評価シート, a card per 取組, reported once a fiscal year): the
//! plan's targets with △ and 調整中, the document's five-year totals, actuals and rates by
//! every level, the rules of the form, earlier years changed since the previous report,
//! and the sheets sent out pre-filled.

use crate::common::*;
use calamine::{Data, Reader};
use kaito::card::render::{CardOptions, CardValues, draw_card};
use kaito::form::FormDef;
use kaito::grid::Limits;
use serde_json::Value;
use std::path::Path;

fn eval_samples() -> tempfile::TempDir {
    sample_copy("取組評価シート")
}

fn rules(json: &Value, rule: &str) -> Vec<Value> {
    json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule).cloned().collect()
}

#[test]
fn the_plans_targets_add_up_as_the_document_does_and_actuals_are_measured_against_them() {
    let dir = eval_samples();
    let d = dir.path();
    let (code, json, text) = run_json(d, &["consolidate", "--plan", "計画.xlsx", "回答", "--output", "集計.xlsx"]);
    assert_eq!(code, Some(1), "{text}");
    let e = &json["effect"];
    // Five-year targets as the document prints them, △ included.
    assert_eq!(e["by_item"]["3-1-1"]["target_total"], 127676);
    assert_eq!(e["by_item"]["5-2-2"]["target_total"], 64964);
    assert_eq!(e["by_item"]["5-2-2"]["target"]["2024"], -2413);
    assert_eq!(e["by_node"]["3-1"]["target_total"], 298513);
    // Where the document's stated totals disagree with its rows, kaito shows the rows' sum and
    // says so; 3-1 states what its rows add up to.
    assert_eq!(e["by_node"]["5-1"]["target_total"], 826178);
    assert_eq!(e["by_node"]["5-2"]["target_total"], 695333);
    let stated = rules(&json, "plan-target-total");
    assert_eq!(stated.len(), 2, "{stated:?}");
    assert!(
        stated.iter().any(|f| f["message"].as_str().unwrap().contains("614,482") && f["message"].as_str().unwrap().contains("826,178"))
    );
    assert!(
        stated.iter().any(|f| f["message"].as_str().unwrap().contains("461,390") && f["message"].as_str().unwrap().contains("695,333"))
    );
    // 令和4年度, by hand: the plan's 318,325 targets; actuals as planned except 3-1-1 −1,919,
    // 5-1-1 +2,500, 5-2-2 −4,547, 5-1-4 unreadable (520 not counted) and 5-2-8 not returned
    // (15,311); 3-1-6's 1,200 stands against a 調整中 target and stays out.
    let year = &e["total"]["year"];
    assert_eq!(year["target"], 318325);
    assert_eq!(year["actual"], 298528);
    assert_eq!(year["difference"], 298528 - 318325);
    assert!((year["rate"].as_f64().unwrap() - 298528.0 / 318325.0).abs() < 1e-9);
    let g = &e["by_node"]["3-1"]["year"];
    assert_eq!((g["target"].clone(), g["actual"].clone()), (Value::from(46480), Value::from(44561)));
    // 調整中 is kept as such, never zero.
    assert_eq!(e["by_item"]["3-1-6"]["pending"], serde_json::json!([2021, 2022, 2023, 2024, 2025]));
    assert_eq!(e["by_item"]["3-1-6"]["target_total"], 0);
    assert_eq!(rules(&json, "effect-pending-target")[0]["project"], "3-1-6");
    // The rules of the form.
    let e1 = rules(&json, "effect-unreadable");
    assert_eq!((e1[0]["project"].clone(), e1[0]["cell"].clone()), (Value::from("5-1-4"), Value::from("C8")));
    assert!(e1[0]["message"].as_str().unwrap().contains("約500"));
    assert_eq!(rules(&json, "reason-missing")[0]["project"], "5-2-2");

    // The workbook: 効果額 with 調整中 shown, the levels and the total; the indicators.
    let mut wb = calamine::open_workbook_auto(d.join("集計.xlsx")).unwrap();
    let sheet = wb.worksheet_range("効果額").unwrap();
    let row = |number: &str, kind: &str| {
        (0..sheet.height() as u32)
            .find(|r| {
                sheet.get_value((*r, 1)) == Some(&Data::String(number.into()))
                    && sheet.get_value((*r, 0)) == Some(&Data::String(kind.into()))
            })
            .unwrap_or_else(|| panic!("{number}"))
    };
    assert_eq!(sheet.get_value((row("3-1-6", "取組"), 3)), Some(&Data::String("調整中".into())));
    assert_eq!(sheet.get_value((row("5-2-2", "取組"), 6)), Some(&Data::Float(-2413.0)));
    let header: Vec<String> =
        (0..sheet.width() as u32).map(|c| sheet.get_value((0, c)).map(|v| v.to_string()).unwrap_or_default()).collect();
    let total_col = header.iter().position(|h| h.starts_with("目標 計")).unwrap() as u32;
    assert_eq!(sheet.get_value((row("3-1", "改革項目"), total_col)), Some(&Data::Float(298513.0)));
    assert_eq!(sheet.get_value((row("3", "柱"), total_col)), Some(&Data::Float(298513.0)));
    let ind = wb.worksheet_range("指標").unwrap();
    let reached = |code: &str| {
        (0..ind.height() as u32)
            .find(|r| ind.get_value((*r, 0)) == Some(&Data::String(code.into())))
            .map(|r| ind.get_value((r, 5)).unwrap().to_string())
    };
    assert_eq!(reached("3-2-3").as_deref(), Some("達成"));
    assert_eq!(reached("3-2-4").as_deref(), Some("未達成"));
    // Every returned sheet re-drawn, reading back to the same actual.
    let book = kaito::grid::open(&std::fs::read(d.join("集計.xlsx")).unwrap(), &Limits::default()).unwrap();
    let form = FormDef::bundled("取組評価シート").unwrap();
    let card = book.sheets.iter().find(|g| g.name == "3-1-1").and_then(|g| kaito::card::read_sheet(g, &form)).unwrap();
    assert_eq!(card.year("actual", 2022).unwrap().text(), "30000");
}

#[test]
fn reported_by_fiscal_year_in_every_spelling() {
    let dir = eval_samples();
    let d = dir.path();
    for period in ["2022", "令和4年度", "R4"] {
        let (_, json, text) = run_json(d, &["check", "--plan", "計画.xlsx", "--period", period, "回答"]);
        assert_eq!(json["submitted"], 38, "{period}: {text}");
    }
    let out = kaito(&["check", "--plan", "計画.xlsx", "--period", "2022H1", "回答"], d);
    assert_eq!(out.status.code(), Some(2));
}

/// One 取組評価シート of the sample plan drawn with `values` for `period`.
fn card_file(d: &Path, name: &str, code: &str, period: &str, values: &CardValues) {
    let plan = kaito::plan::load(&root().join("samples/取組評価シート/計画.xlsx")).unwrap().plan;
    let form = FormDef::bundled("取組評価シート").unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name(code).unwrap();
    draw_card(
        ws,
        &plan,
        &form,
        kaito::period::Period::parse(period).unwrap(),
        plan.project(code).unwrap(),
        values,
        &CardOptions::default(),
    )
    .unwrap();
    wb.save(d.join(name)).unwrap();
}

fn values(pairs: &[(&str, i32, &str)]) -> CardValues {
    let mut v = CardValues::default();
    v.once.insert("status".into(), "実施した".into());
    for (k, y, t) in pairs {
        v.by_year.entry(k.to_string()).or_default().insert(*y, t.to_string());
    }
    v
}

#[test]
fn a_missing_actual_where_there_is_a_target_and_an_earlier_year_changed_since_are_reported() {
    let dir = eval_samples();
    let d = dir.path();
    std::fs::create_dir_all(d.join("前回")).unwrap();
    std::fs::create_dir_all(d.join("今回")).unwrap();
    // 令和3年度's report said 45,000 for 5-1-1; this year's sheet says 44,000 for that year.
    card_file(&d.join("前回"), "5-1-1.xlsx", "5-1-1", "2021", &values(&[("actual", 2021, "45000")]));
    card_file(&d.join("今回"), "5-1-1.xlsx", "5-1-1", "2022", &values(&[("actual", 2021, "44000"), ("actual", 2022, "45000")]));
    // No actual for 令和4年度 where the plan has a target.
    card_file(&d.join("今回"), "5-1-2.xlsx", "5-1-2", "2022", &values(&[]));
    let (_, json, text) = run_json(d, &["check", "--plan", "計画.xlsx", "今回", "--previous", "前回"]);
    let changed = rules(&json, "effect-changed");
    assert_eq!(changed.len(), 1, "{text}");
    let m = changed[0]["message"].as_str().unwrap();
    assert!(m.contains("45000") && m.contains("44000") && m.contains("令和3年度"), "{m}");
    assert_eq!(changed[0]["cell"], "B8");
    let missing = rules(&json, "effect-missing");
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0]["project"], "5-1-2");
    assert!(missing[0]["message"].as_str().unwrap().contains("18,500"));
    // Without --previous nothing is compared.
    let (_, json, _) = run_json(d, &["check", "--plan", "計画.xlsx", "今回"]);
    assert!(rules(&json, "effect-changed").is_empty());
}

#[test]
fn the_sheets_sent_out_carry_targets_and_earlier_actuals_and_read_back_when_filled() {
    let dir = eval_samples();
    let d = dir.path();
    let out = kaito(&["template", "--plan", "計画.xlsx", "--period", "2023", "--output", "送付", "--previous", "回答"], d);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let form = FormDef::bundled("取組評価シート").unwrap();
    let path = d.join("送付/行政経営課/3-1-1_指定管理者制度の導入(おおね公園、総合体育館、カルチャーパーク).xlsx");
    let book = kaito::grid::open(&std::fs::read(&path).unwrap(), &Limits::default()).unwrap();
    let card = kaito::card::read_sheet(&book.sheets[0], &form).unwrap();
    assert_eq!(card.period.as_ref().unwrap().0, kaito::period::Period::year(2023));
    assert_eq!(card.year("target", 2023).unwrap().text(), "31919");
    assert_eq!(card.year("actual", 2022).unwrap().text(), "30000", "carried from the 令和4年度 sheet");
    assert!(card.year("actual", 2023).unwrap().is_empty());
    // Filled the way a department fills it: the year's actual, the narrative, the responder.
    let mut typed = std::collections::BTreeMap::new();
    typed.insert(card.year("actual", 2023).unwrap().a1(), "31919".to_string());
    for (k, v) in [("status", "導入した"), ("responder", "行政経営課"), ("person", "担当"), ("contact", "内線1")] {
        typed.insert(card.once[k].a1(), v.to_string());
    }
    type_into(&path, &typed);
    let (code, json, text) = run_json(d, &["check", "--plan", "計画.xlsx", "--period", "2023", &path.display().to_string()]);
    let problems: Vec<&Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info" && !f["rule"].as_str().unwrap().starts_with("plan-") && f["rule"] != "not-submitted")
        .collect();
    assert!(problems.is_empty(), "{problems:?}\n{text}");
    assert_eq!(code, Some(0), "warnings only (the other sheets are not in): {text}");
    assert_eq!(json["effect"]["by_item"]["3-1-1"]["year"]["actual"], 31919);
    assert_eq!(json["effect"]["by_item"]["3-1-1"]["actual"]["2022"], 30000);
}

#[test]
fn many_cards_go_on_in_volumes_beside_the_packet_and_the_findings_reach_them() {
    let dir = eval_samples();
    let d = dir.path();
    let out =
        kaito(&["consolidate", "--plan", "計画.xlsx", "回答", "--output", "集計.xlsx", "--sheets-per-book", "10", "--json", "r.json"], d);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let json = read_json(&d.join("r.json"));
    let cards = json["submitted"].as_u64().unwrap() as usize;
    let sheets = |p: &str| -> Vec<String> {
        let wb = calamine::open_workbook_auto(d.join(p)).unwrap();
        wb.sheet_names().to_vec()
    };
    let packet = sheets("集計.xlsx");
    // The cards are the sheets named by their 取組番号 (3-1-1); the rest are the summaries.
    let is_card = |s: &String| s.chars().next().is_some_and(|c| c.is_ascii_digit());
    let in_packet: Vec<&String> = packet.iter().filter(|s| is_card(s)).collect();
    assert_eq!(in_packet.len(), 10, "{packet:?}");
    let mut volumes = Vec::new();
    for n in 2.. {
        let name = format!("集計_分冊{n:02}.xlsx");
        if !d.join(&name).exists() {
            break;
        }
        let s = sheets(&name);
        assert!(s.iter().all(is_card) && !s.is_empty() && s.len() <= 10, "{name}: {s:?}");
        volumes.push((name, s));
    }
    let total = 10 + volumes.iter().map(|(_, s)| s.len()).sum::<usize>();
    assert!(volumes.len() >= 2, "{volumes:?}");
    // The console says where the rest went.
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(&format!("分冊 {} 冊", volumes.len())) && said.contains("集計_分冊02.xlsx"), "{said}");
    assert_eq!(total, cards);
    // No card twice, none lost: every 取組 answered has its card in exactly one workbook.
    let mut all: Vec<String> = in_packet.iter().map(|s| s.to_string()).chain(volumes.iter().flat_map(|(_, s)| s.clone())).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), total);
    // The cover names the volumes; the office's 要確認 sends a finding on a card in a volume
    // to that file.
    let mut wb = calamine::open_workbook_auto(d.join("集計.xlsx")).unwrap();
    let cover = wb.worksheet_range("表紙").unwrap();
    let text: Vec<String> = cover.used_cells().map(|(_, _, v)| v.to_string()).collect();
    assert!(text.iter().any(|t| t.contains("集計_分冊02.xlsx")), "{text:?}");
    let rels = part(&d.join("集計_事務用.xlsx"), "xl/worksheets/_rels/sheet1.xml.rels")
        .or_else(|| part(&d.join("集計_事務用.xlsx"), "xl/worksheets/_rels/sheet2.xml.rels"))
        .unwrap_or_default();
    let in_volume = volumes.iter().filter(|(name, _)| rels.contains(&format!("Target=\"{name}\""))).count();
    assert!(in_volume >= 2, "{rels}");
}
