//! Regenerates `samples/` from each sample's `source/`: the plan workbook and the returned
//! sheets of every report system.
//!
//! `cargo run --example make_samples` (run it after changing the sources; the output is
//! committed so that the README's first command works on a fresh checkout).
//!
//! - `samples/報告回答票/`: the half-year card (source/plan.toml, source/answers-2021H1.toml).
//! - `samples/進捗管理表/`: the yearly progress table (source/items.json, the published
//!   table's rows as read out of the document).

use anyhow::{Context, Result};
use kaito::draw::{self, Answers, DrawOptions};
use kaito::layout::Layout;
use kaito::period::Period;
use kaito::plan;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct AnswerFile {
    period: String,
    answers: Vec<toml::Table>,
}

/// One returned file: where it goes, and what the department wrote (`Answers`).
struct Answer {
    code: String,
    file: String,
    sheet: Option<String>,
    period: Option<String>,
    answers: Answers,
}

impl Answer {
    // `Answers` is read from what is left once the file's own keys are taken out (serde's
    // flatten would lose the integer year keys).
    fn from_table(mut t: toml::Table) -> Result<Answer> {
        let mut take = |k: &str| t.remove(k).and_then(|v| v.as_str().map(str::to_string));
        let code = take("code").context("code")?;
        let file = take("file").context("file")?;
        let sheet = take("sheet");
        let period = take("period");
        let answers: Answers = toml::from_str(&toml::to_string(&t)?).with_context(|| format!("answers of {code}"))?;
        Ok(Answer { code, file, sheet, period, answers })
    }
}

fn main() -> Result<()> {
    card()?;
    table()?;
    Ok(())
}

/// One row of the progress table as the document prints it.
#[derive(Deserialize)]
struct Item {
    no: String,
    group: String,
    group_name: String,
    marker: String,
    name: String,
    department: String,
    content: String,
    plan: String,
    done: String,
    problems: String,
    next: String,
    status: String,
}

#[derive(Deserialize)]
struct TableSource {
    plan: String,
    fiscal_year: i32,
    items: Vec<Item>,
}

/// The progress table: the plan (a v2 plan workbook, and the office's master table in the
/// form's own layout), and each department's returned table. 行政管理課 returns the whole
/// table with its own rows and the rows without a department filled, as the office does.
fn table() -> Result<()> {
    use kaito::form::FormDef;
    use kaito::table::render::{TableOptions, draw_table};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/進捗管理表");
    let src: TableSource = serde_json::from_str(&std::fs::read_to_string(root.join("source/items.json"))?)?;
    let form = FormDef::bundled("進捗管理表").context("form")?;
    let mut plan = plan::Plan {
        name: src.plan.clone(),
        start_year: src.fiscal_year,
        end_year: src.fiscal_year,
        vocabulary: form.vocabularies["進捗区分"].clone(),
        needs_countermeasure: form.vocabularies["要対応区分"].clone(),
        themes: vec![],
        projects: vec![],
        form: form.name.clone(),
        cadence: kaito::period::Cadence::Year,
        levels: ["大項目", "中項目", "小項目"].iter().map(|s| s.to_string()).collect(),
        nodes: vec![],
        lists: Default::default(),
        assigned_codes: vec![],
        gaps: vec![],
    };
    for i in &src.items {
        kaito::table::add_nodes(&mut plan, &i.group, &i.group_name);
        let mut attrs = std::collections::BTreeMap::new();
        attrs.insert("内容、進め方".to_string(), i.content.clone());
        if !i.plan.is_empty() {
            attrs.insert("計画概要".to_string(), i.plan.clone());
        }
        plan.projects.push(plan::Project {
            code: i.no.clone(),
            name: i.name.clone(),
            theme: 0,
            departments: i.department.split('、').filter(|d| !d.is_empty()).map(str::to_string).collect(),
            set_year: None,
            priority: false,
            fiscal: false,
            page: None,
            purpose: String::new(),
            overview: String::new(),
            activities: vec![],
            outcomes: vec![],
            effect_targets: Default::default(),
            node: Some(i.group.clone()),
            implementing: vec![],
            attrs,
        });
        debug_assert_eq!(format!("{} {}", i.group, i.marker), i.no);
    }
    plan::write_workbook(&plan, &root.join("計画.xlsx"))?;
    let period = kaito::period::Period::year(src.fiscal_year);
    let saved = ExcelDateTime::parse_from_str("2021-05-14T09:00:00")?;
    let all: Vec<&plan::Project> = plan.projects.iter().collect();
    let save = |items: &[&plan::Project], values: &dyn Fn(&plan::Project, &kaito::form::FieldDef) -> String, path: &Path| -> Result<()> {
        let mut wb = Workbook::new();
        wb.set_properties(&DocProperties::new().set_creation_datetime(&saved));
        let ws = wb.add_worksheet().set_name(&form.name)?;
        draw_table(ws, &plan, &form, period, items, values, &TableOptions::default())?;
        wb.save(path)?;
        Ok(())
    };
    // The master table the office keeps: the plan columns filled, the department columns empty.
    save(&all, &|_, _| String::new(), &root.join("進捗管理表_令和2年度_原本.xlsx"))?;
    let answer = |p: &plan::Project, f: &kaito::form::FieldDef| -> String {
        let Some(i) = src.items.iter().find(|i| i.no == p.code) else { return String::new() };
        match f.key.as_str() {
            "done" => i.done.clone(),
            "problems" => i.problems.clone(),
            "next" => i.next.clone(),
            "status" => i.status.clone(),
            _ => String::new(),
        }
    };
    let out = root.join("回答");
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    std::fs::create_dir_all(&out)?;
    let office = "行政管理課";
    let mut departments: Vec<String> =
        plan.projects.iter().map(|p| p.responding_department().to_string()).filter(|d| !d.is_empty()).collect();
    departments.sort();
    departments.dedup();
    for d in &departments {
        if d == office {
            // The whole table, with the office's rows and the rows without a department.
            let mine = |p: &plan::Project| p.responding_department() == office || p.responding_department().is_empty();
            save(&all, &|p, f| if mine(p) { answer(p, f) } else { String::new() }, &out.join(format!("進捗管理表_R2_{d}(全体).xlsx")))?;
            continue;
        }
        let items: Vec<&plan::Project> = plan.projects.iter().filter(|p| p.responding_department() == d).collect();
        save(&items, &answer, &out.join(format!("進捗管理表_R2_{d}.xlsx")))?;
    }
    println!("wrote the progress table's plan, master table and {} returned tables to {}", departments.len(), root.display());
    Ok(())
}

/// The half-year card: the plan workbook and the returned sheets of 令和3年度上半期.
fn card() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/報告回答票");
    let loaded = plan::load(&root.join("source/plan.toml"))?;
    let plan = loaded.plan;
    plan::write_workbook(&plan, &root.join("計画.xlsx"))?;

    let text = std::fs::read_to_string(root.join("source/answers-2021H1.toml"))?;
    let file: AnswerFile = toml::from_str(&text).context("answers-2021H1.toml")?;
    let default_period = Period::parse(&file.period).context("period")?;
    let out = root.join("回答");
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    std::fs::create_dir_all(&out)?;
    let layout = Layout::bundled();
    let answers: Vec<Answer> = file.answers.into_iter().map(Answer::from_table).collect::<Result<_>>()?;
    for a in &answers {
        let project = plan.project(&a.code).with_context(|| format!("{} is not in the plan", a.code))?;
        let period = match &a.period {
            Some(p) => Period::parse(p).context("period")?,
            None => default_period,
        };
        let mut wb = Workbook::new();
        // The time the workbook records as saved, as Excel would have written it when the
        // department saved: a stale file from an earlier period was saved then. A copy made
        // in Explorer keeps the time of its original. Fixed times keep the samples identical
        // from one regeneration to the next.
        let saved = if period == default_period { "2021-10-08T09:00:00" } else { "2021-04-09T09:00:00" };
        wb.set_properties(&DocProperties::new().set_creation_datetime(&ExcelDateTime::parse_from_str(saved)?));
        let ws = wb.add_worksheet().set_name(a.sheet.as_deref().unwrap_or(&project.code))?;
        draw::response_sheet(ws, &plan, project, period, &a.answers, &layout, &DrawOptions::default())?;
        wb.save(out.join(&a.file))?;
    }
    // What else turns up in a shared folder: an Excel lock file and a note.
    let mut lock = vec![0u8; 165];
    lock[0] = 8;
    lock[1..9].copy_from_slice(b"kikaku01");
    std::fs::write(out.join("~$0701-01_民間活力活用事業.xlsx"), lock)?;
    std::fs::write(out.join("メモ.txt"), "回答受付メモ: 0701-06 は都市整備課に催促済み\n")?;
    println!("wrote {} answers and the plan to {}", answers.len(), root.display());
    Ok(())
}
