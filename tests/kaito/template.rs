//! `kaito template`: generated sheets read back with the same reader, filled the way a
//! department fills them, and carried forward from the previous period.

use crate::common::*;
use crate::fixtures;
use kaito::grid::Limits;
use kaito::layout::Layout;
use kaito::period::Period;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn generate(dir: &Path, period: &str, previous: &[&str]) -> std::process::Output {
    let mut args = vec!["template", "--plan", "計画.xlsx", "--period", period, "--output", "送付"];
    for p in previous {
        args.push("--previous");
        args.push(p);
    }
    kaito(&args, dir)
}

#[test]
fn generated_sheets_filled_like_a_department_check_clean_and_read_back_exactly() {
    let dir = samples();
    let d = dir.path();
    let out = generate(d, "2021H1", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let plan = sample_plan();
    let period = p2021h1();
    let ctx = kaito::validate::Context { plan: &plan, period, hints: Layout::bundled().hints() };
    let mut expected: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for p in &plan.projects {
        let folder = kaito::write::safe_file_name(p.responding_department());
        let path = d.join("送付").join(folder).join(kaito::write::safe_file_name(&format!("{}_{}.xlsx", p.code, p.name)));
        assert!(path.exists(), "{path:?}");
        // Find the input cells by their labels, as the reader does, and type into them.
        let read = kaito::intake::read_file(&path, "t", &Layout::bundled(), &Limits::default());
        let s = &read.sheets[0];
        let mut values = BTreeMap::new();
        values.insert(s.responding_department.as_ref().unwrap().a1(), p.responding_department().to_string());
        values.insert(s.person.as_ref().unwrap().a1(), "担当 一郎".to_string());
        values.insert(s.contact.as_ref().unwrap().a1(), "内線2000".to_string());
        values.insert(s.progress.as_ref().unwrap().a1(), format!("{}の取組を進めました。", p.name));
        for (i, act) in s.activities.iter().enumerate() {
            if p.activities[i].is_scheduled(period.fiscal_year) {
                values.insert(act.status[&period].a1(), if i % 2 == 0 { "概ね順調" } else { "済" }.to_string());
            }
        }
        for (i, o) in s.outcomes.iter().enumerate() {
            values.insert(o.result.a1(), format!("成果{}の実績", i + 1));
        }
        if let Some(e) = s.effect.get(&period.effect_year()).filter(|_| p.fiscal) {
            values.insert(e.amount.a1(), "1234".to_string());
            values.insert(e.basis.a1(), "委託化".to_string());
        }
        type_into(&path, &values);
        let (_, findings, back) = check_file(&path, &plan, period);
        assert!(problems(&findings).is_empty(), "{}: {findings:?}", p.code);
        // Exactly the values written come back, cell by cell.
        let s = &back.sheets[0];
        let mut got = BTreeMap::new();
        for f in [&s.responding_department, &s.person, &s.contact, &s.progress].into_iter().flatten() {
            got.insert(f.a1(), f.text());
        }
        for act in &s.activities {
            for f in act.status.values().filter(|f| !f.is_empty()) {
                match kaito::validate::status_of(f, &ctx) {
                    kaito::normalize::Status::Code { code, changed: false } => got.insert(f.a1(), code),
                    other => panic!("{other:?}"),
                };
            }
        }
        for o in s.outcomes.iter().filter(|o| !o.result.is_empty()) {
            got.insert(o.result.a1(), o.result.text());
        }
        for e in s.effect.values() {
            for f in [&e.amount, &e.basis].into_iter().filter(|f| !f.is_empty()) {
                got.insert(f.a1(), f.text());
            }
        }
        assert_eq!(got, values, "{}", p.code);
        expected.insert(p.code.clone(), values);
    }
    // Identity and plan text are what the plan says.
    let out = kaito(&["check", "--plan", "計画.xlsx", "--period", "2021H1", "送付", "--json", "s.json"], d);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let json = read_json(&d.join("s.json"));
    assert_eq!(json["submitted"], 29);
    // The dispatch list lies beside the sheets: kaito knows it as its own and does not read it.
    let ignored: Vec<&Value> = json["files"].as_array().unwrap().iter().filter(|f| f["outcome"] == "ignored").collect();
    assert_eq!(ignored.len(), 1);
    assert_eq!(ignored[0]["path"], "送付/送付一覧.xlsx");
}

#[test]
fn a_blank_generated_sheet_reports_exactly_the_missing_fields() {
    let dir = samples();
    let d = dir.path();
    generate(d, "2021H1", &[]);
    let plan = sample_plan();
    let path = d.join("送付/資産経営課/0702-03_公共施設総合的管理事業.xlsx");
    let (_, findings, _) = check_file(&path, &plan, p2021h1());
    // The same as the blank reference sheet made by another program.
    assert_eq!(problems(&findings), blank_0702_03_findings());
}

#[test]
fn protection_validation_names_and_print_setup_are_in_the_file() {
    let dir = samples();
    let d = dir.path();
    let out = kaito(&["template", "--plan", "計画.xlsx", "--period", "2021H1", "--output", "送付", "--password", "kaisei"], d);
    assert_eq!(out.status.code(), Some(0));
    let path = d.join("送付/企画政策課/0701-01_民間活力活用事業.xlsx");
    let mut z = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    let mut part = |name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut z.by_name(name).unwrap(), &mut s).unwrap();
        s
    };
    let sheet = part("xl/worksheets/sheet1.xml");
    assert!(sheet.contains("<sheetProtection") && sheet.contains("password="), "protected with a password");
    assert!(
        sheet.contains("type=\"list\"") && sheet.contains("sqref=\"F12\"") && sheet.contains("\"済,概ね順調,遅れ,未着手,休止,-\""),
        "status dropdown"
    );
    assert!(sheet.contains("type=\"whole\"") && sheet.contains("sqref=\"D20\""), "amount rule");
    assert!(sheet.contains("type=\"textLength\""));
    assert!(sheet.contains("orientation=\"landscape\"") && sheet.contains("paperSize=\"9\"") && sheet.contains("scale=\""));
    assert!(sheet.contains("&amp;L0701-01&amp;R&amp;P / &amp;N"), "footer with code and page");
    let workbook = part("xl/workbook.xml");
    for name in ["kaito_code", "kaito_progress", "kaito_countermeasures", "kaito_effect", "kaito_period", "kaito_status"] {
        assert!(workbook.contains(&format!("name=\"{name}\"")), "{name}");
    }
    assert!(workbook.contains("'0701-01'!$B$5"));
    let styles = part("xl/styles.xml");
    assert!(styles.contains("locked=\"0\""), "input cells unlocked");
    // The dispatch list: one row per project, with empty columns for the office.
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(d.join("送付/送付一覧.xlsx")).unwrap();
    let list = wb.worksheet_range("送付一覧").unwrap();
    assert_eq!(list.height(), 30);
    let headers: Vec<String> = (0..7).map(|c| list.get_value((0, c)).unwrap().to_string()).collect();
    assert_eq!(headers, ["回答課", "事業コード", "事業名", "ファイル", "前回の回答を転記", "受領日", "備考"]);
    assert!((1..30).any(|r| *list.get_value((r, 3)).unwrap() == "企画政策課/0701-01_民間活力活用事業.xlsx"));
}

/// The office workbook's 事業一覧 and 明細 as a run too long for one sheet leaves them: 明細's
/// rows split between `明細` and `明細 (2)`, each under the header row.
fn split_detail(office: &Path, to: &Path) {
    use calamine::{Data, Reader};
    let mut book = calamine::open_workbook_auto(office).unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let mut copy = |name: &str, rows: &[&[Data]]| {
        let ws = wb.add_worksheet().set_name(name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match v {
                    Data::Float(x) => ws.write_number(r, c, *x),
                    Data::Int(x) => ws.write_number(r, c, *x as f64),
                    Data::Bool(b) => ws.write_boolean(r, c, *b),
                    Data::Empty => continue,
                    other => ws.write_string(r, c, other.to_string()),
                }
                .unwrap();
            }
        }
    };
    let list = book.worksheet_range("事業一覧").unwrap();
    copy("事業一覧", &list.rows().collect::<Vec<_>>());
    let range = book.worksheet_range("明細").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    // 0701-07, whose earlier statuses the test looks for, in the second sheet.
    let half = rows.iter().position(|r| r[0] == "0701-07").unwrap();
    assert!(half > 10, "rows in both sheets");
    copy("明細", &rows[..half]);
    copy("明細 (2)", &[&[rows[0]], &rows[half..]].concat());
    wb.save(to).unwrap();
}

#[test]
fn previous_answers_are_carried_from_returned_sheets_or_the_consolidated_workbook() {
    let dir = samples();
    let d = dir.path();
    kaito(&["consolidate", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--output", "集計.xlsx"], d);
    split_detail(&d.join("集計_事務用.xlsx"), &d.join("分割.xlsx"));
    let plan = sample_plan();
    let h2 = Period::parse("2021H2").unwrap();
    for previous in ["回答", "集計.xlsx", "分割.xlsx"] {
        let _ = std::fs::remove_dir_all(d.join("送付"));
        let out = generate(d, "2021H2", &[previous]);
        assert_eq!(out.status.code(), Some(0), "{previous}: {}", String::from_utf8_lossy(&out.stderr));
        let path = d.join("送付/みどり公園・水辺課/0701-07_龍城ヶ丘ゾーン公園整備事業.xlsx");
        let (_, _, read) = check_file(&path, &plan, h2);
        let s = &read.sheets[0];
        let st = |i: usize, p: &str| s.activities[i].status[&Period::parse(p).unwrap()].text();
        assert_eq!(st(0, "2020H1"), "概ね順調", "{previous}");
        assert_eq!(st(0, "2021H1"), "遅れ", "{previous}");
        assert_eq!(st(1, "2021H1"), "未着手", "{previous}");
        assert_eq!(st(0, "2021H2"), "", "the new half is left to the department");
        assert_eq!(s.outcomes[0].result.text(), "公園の設計に向けて、市民意見を踏まえ、事業者との協議を進めました。");
        assert_eq!(s.effect[&2020].amount.text(), "-");
        assert!(s.progress.as_ref().unwrap().is_empty());
        let path = d.join("送付/企画政策課/0701-01_民間活力活用事業.xlsx");
        let (_, _, read) = check_file(&path, &plan, h2);
        assert_eq!(read.sheets[0].effect[&2020].amount.value, kaito::grid::Value::Number(14235.0), "{previous}");
        assert_eq!(read.sheets[0].effect[&2020].basis.text(), "学校給食単独調理場業務委託(港小学校)");
    }
}

#[test]
fn the_code_cell_is_found_by_its_defined_name_when_its_label_was_overwritten() {
    let dir = samples();
    let d = dir.path();
    generate(d, "2021H1", &[]);
    let path = d.join("送付/企画政策課/0701-01_民間活力活用事業.xlsx");
    let bytes = fixtures::patch_zip(&std::fs::read(&path).unwrap(), "xl/sharedStrings.xml", |x| x.replace(">事業コード<", ">番号<"));
    std::fs::write(&path, bytes).unwrap();
    let (_, _, read) = check_file(&path, &sample_plan(), p2021h1());
    assert_eq!(read.sheets.len(), 1);
    assert_eq!(read.sheets[0].code.text(), "0701-01");
    assert_eq!(read.sheets[0].code.a1(), "B5");
    // Without names (a sheet made elsewhere) the label is needed: the reference files work.
    let (_, _, read) = check_file(&reference("0701-01_民間活力活用事業.xlsx"), &sample_plan(), p2021h1());
    assert!(read.sheets[0].code.text() == "0701-01");
}

#[test]
fn department_names_with_path_characters_become_safe_folder_names() {
    let dir = samples();
    let d = dir.path();
    let mut plan = kaito::plan::load(&d.join("計画.xlsx")).unwrap().plan;
    plan.projects.iter_mut().find(|p| p.code == "0701-01").unwrap().departments = vec!["../企画/政策:課".into()];
    plan.projects.iter_mut().find(|p| p.code == "0701-02").unwrap().name = "公立幼稚園*保育園?再編".into();
    kaito::plan::write_workbook(&plan, &d.join("計画2.xlsx")).unwrap();
    let out = kaito(&["template", "--plan", "計画2.xlsx", "--period", "2021H1", "--output", "送付"], d);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(d.join("送付/__企画_政策_課/0701-01_民間活力活用事業.xlsx").exists());
    assert!(d.join("送付/保育課/0701-02_公立幼稚園_保育園_再編.xlsx").exists());
    assert!(!d.join("企画").exists(), "nothing written outside the output folder");
}
