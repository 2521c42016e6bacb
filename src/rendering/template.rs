//! `kaito template`: the response sheets to send out, one workbook per project in a folder
//! per 回答課, protected so that only this half's input cells can be typed in, plus the
//! dispatch list (送付一覧). With `--previous`, earlier answers are carried forward.

use crate::draw::{self, Answers, DrawOptions, Input};
use crate::finding::a1;
use crate::grid::{self, Limits, Value};
use crate::intake;
use crate::layout::Layout;
use crate::normalize::fold;
use crate::period::{Half, Period, parse_fiscal_year};
use crate::plan::Plan;
use crate::validate::Context;
use crate::write::{self, Formats, put_text, safe_file_name};
use anyhow::{Context as _, Result, bail};
use rayon::prelude::*;
use rust_xlsxwriter::Workbook;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The 事業 column that names a project's code in the previous plan.
pub const OLD_CODE: &str = "旧事業コード";

#[derive(Debug, Clone)]
pub struct TemplateOptions {
    pub plan: PathBuf,
    pub period: Period,
    pub output: PathBuf,
    /// Returned sheets (files or folders) or a consolidated workbook of an earlier period.
    pub previous: Vec<PathBuf>,
    pub password: Option<String>,
}

/// One workbook written.
#[derive(Debug, Clone)]
pub struct Sent {
    pub department: String,
    pub code: String,
    pub name: String,
    /// Relative to the output folder.
    pub path: PathBuf,
    pub carried: bool,
}

#[derive(Debug, Clone)]
pub struct TemplateResult {
    pub sent: Vec<Sent>,
    pub plan_findings: Vec<crate::finding::Finding>,
    pub dispatch_list: PathBuf,
}

/// The card's sheets to send out (the plan is loaded and its period checked by the caller).
pub fn run(opts: &TemplateOptions, loaded: crate::plan::LoadedPlan, layout: &Layout) -> Result<TemplateResult> {
    let plan = &loaded.plan;
    let previous = if opts.previous.is_empty() { BTreeMap::new() } else { load_previous(&opts.previous, plan, opts.period, layout)? };
    std::fs::create_dir_all(&opts.output).with_context(|| format!("出力先フォルダ {} を作れません", opts.output.display()))?;
    // One workbook per item, drawn and saved on all cores; gathered in plan order.
    let made: Vec<Result<Sent>> = plan
        .ordered_projects()
        .into_par_iter()
        .map(|p| -> Result<Sent> {
            let department = p.responding_department().to_string();
            let folder = safe_file_name(if department.is_empty() { "回答課未設定" } else { &department });
            let file = safe_file_name(&format!("{}_{}.xlsx", p.code, p.name));
            let rel = Path::new(&folder).join(&file);
            let carried = previous.get(&p.code);
            let answers = carried.cloned().unwrap_or_default();
            let mut wb = Workbook::new();
            let sheet_name = write::safe_sheet_name(&p.code, &[]);
            let ws = wb.add_worksheet().set_name(&sheet_name)?;
            let drawn =
                draw::response_sheet(ws, plan, p, opts.period, &answers, layout, &DrawOptions { template: true, ..Default::default() })?;
            match &opts.password {
                Some(pw) => ws.protect_with_password(pw),
                None => ws.protect(),
            };
            // Names for the key cells: a reader (or a macro) can find them without the labels.
            let quoted = format!("'{}'", sheet_name.replace('\'', "''"));
            for (key, (r, c)) in &drawn.cells {
                wb.define_name(format!("kaito_{key}"), &format!("={quoted}!{}", absolute(*r, *c as u32)))?;
            }
            wb.define_name("kaito_period", &format!("={quoted}!$A$2"))?;
            let mut props = rust_xlsxwriter::DocProperties::new()
                .set_title(format!("{} {} {}", p.code, p.name, layout.labels.title_suffix))
                .set_subject(format!("{} {}", plan.name, opts.period.japanese()));
            props = props
                .set_comment("kaito template で作成")
                .set_custom_property(crate::grid::MADE_BY_PROPERTY, crate::intake::MADE_BY_TEMPLATE);
            wb.set_properties(&props);
            std::fs::create_dir_all(opts.output.join(&folder))?;
            write::save_atomic(&mut wb, &opts.output.join(&rel))?;
            Ok(Sent { department, code: p.code.clone(), name: p.name.clone(), path: rel, carried: carried.is_some() })
        })
        .collect();
    let sent = made.into_iter().collect::<Result<Vec<Sent>>>()?;
    let dispatch_list = opts.output.join("送付一覧.xlsx");
    write_dispatch_list(&sent, plan, opts.period, &dispatch_list)?;
    Ok(TemplateResult { sent, plan_findings: loaded.findings, dispatch_list })
}

fn absolute(row: u32, col: u32) -> String {
    let cell = a1(row, col);
    let split = cell.find(|c: char| c.is_ascii_digit()).unwrap_or(cell.len());
    format!("${}${}", &cell[..split], &cell[split..])
}

/// 送付一覧: every sheet sent, by department.
pub fn write_dispatch_list(sent: &[Sent], plan: &Plan, period: Period, path: &Path) -> Result<()> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    wb.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_title(format!("{} {} 送付一覧", plan.name, period.japanese()))
            .set_custom_property(crate::grid::MADE_BY_PROPERTY, crate::intake::MADE_BY_DISPATCH_LIST),
    );
    let ws = wb.add_worksheet().set_name("送付一覧")?;
    let headers = ["回答課", "事業コード", "事業名", "ファイル", "前回の回答を転記", "受領日", "備考"];
    for (c, (h, w)) in headers.iter().zip([18.0, 11.0, 40.0, 60.0, 10.0, 12.0, 30.0]).enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &f.header)?;
        ws.set_column_width(c as u16, w)?;
    }
    let mut rows: Vec<&Sent> = sent.iter().collect();
    rows.sort_by(|a, b| a.department.cmp(&b.department).then(a.code.cmp(&b.code)));
    for (i, s) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        put_text(ws, r, 0, &s.department, &f.text)?;
        put_text(ws, r, 1, &s.code, &f.text)?;
        put_text(ws, r, 2, &s.name, &f.text)?;
        put_text(ws, r, 3, &s.path.display().to_string().replace('\\', "/"), &f.text)?;
        put_text(ws, r, 4, if s.carried { "あり" } else { "" }, &f.text)?;
        ws.write_blank(r, 5, &f.text)?;
        ws.write_blank(r, 6, &f.text)?;
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, rows.len().max(1) as u32, headers.len() as u16 - 1)?;
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    ws.set_header(format!("&C{} {} 送付一覧", plan.name, period.japanese()));
    ws.set_footer("&R&P / &N");
    write::save_atomic(&mut wb, path)
}

/// Earlier answers per project: statuses of the halves before `period`, outcome results and
/// the effect amounts (and their basis) of the years already reported.
fn load_previous(inputs: &[PathBuf], plan: &Plan, period: Period, layout: &Layout) -> Result<BTreeMap<String, Answers>> {
    if inputs.len() == 1 && inputs[0].is_file() {
        // The office workbook holds 明細 and 事業一覧; given the council's packet, its office
        // workbook beside it (`<name>_事務用.xlsx`) is read instead.
        let given = &inputs[0];
        let beside =
            given.file_stem().map(|s| given.with_file_name(format!("{}_事務用.xlsx", s.to_string_lossy()))).filter(|p| p.is_file());
        for path in std::iter::once(given.clone()).chain(beside) {
            let bytes = std::fs::read(&path).with_context(|| format!("{} を読めません", path.display()))?;
            if let Ok(book) = grid::open(&bytes, &Limits::default())
                && book.sheets.iter().any(|g| g.name == "明細")
                && book.sheets.iter().any(|g| g.name == "事業一覧")
            {
                return from_consolidated(&book.sheets, plan, period);
            }
        }
    }
    let files = intake::discover(inputs)?;
    let read = intake::read_all(&files, layout, &Limits::default());
    let ctx = Context { plan, period, hints: layout.hints() };
    // The latest earlier sheet of each project wins. A sheet of the previous plan answers for
    // the project whose 旧事業コード names its code.
    let mut best: BTreeMap<String, (Period, crate::read::ResponseSheet, bool)> = BTreeMap::new();
    for f in read {
        for s in f.sheets {
            let code = s.code.text();
            let (p, across) = match plan.project(&code) {
                Some(p) => (p, false),
                None => match plan.projects.iter().find(|p| p.attrs.get(OLD_CODE).is_some_and(|o| fold(o) == fold(&code))) {
                    Some(p) => (p, true),
                    None => continue,
                },
            };
            let Some((sp, _)) = s.period.clone() else { continue };
            if sp >= period {
                continue;
            }
            if best.get(&p.code).is_none_or(|(bp, _, _)| sp > *bp) {
                best.insert(p.code.clone(), (sp, s, across));
            }
        }
    }
    if best.is_empty() {
        bail!("--previous に、{}より前の回答票が見つかりません", period.japanese());
    }
    let current_effect = period.effect_year();
    Ok(best
        .into_iter()
        .map(|(code, (_, s, across))| {
            let mut a = Answers::from_sheet(&s, &ctx, |p| p < period, |y| y != current_effect);
            if across {
                // The previous plan's activities, outcomes and years are not this plan's: only
                // who answers carries over.
                a = Answers { department: a.department, person: a.person, contact: a.contact, ..Default::default() };
            }
            // The narratives are written anew every half-year; the lines come from the plan.
            a.progress = None;
            a.countermeasures = None;
            a.activities.clear();
            a.outcomes.clear();
            a.extra.clear();
            (code, a)
        })
        .collect())
}

/// Reads earlier answers back from a consolidated workbook (its 明細 and 事業一覧 sheets).
fn from_consolidated(sheets: &[Grid], plan: &Plan, period: Period) -> Result<BTreeMap<String, Answers>> {
    // 明細 of a long run goes on in `明細 (2)`…; each has the header row.
    let details: Vec<&Grid> = sheets.iter().filter(|g| crate::xlsx::list_name(&g.name) == "明細").collect();
    anyhow::ensure!(!details.is_empty(), "明細");
    let list = sheets.iter().find(|g| g.name == "事業一覧").context("事業一覧")?;
    let headers = |g: &Grid| -> BTreeMap<String, u32> { g.row(0).map(|(c, cell)| (fold(&cell.value.text()), c)).collect() };
    let mut out: BTreeMap<String, Answers> = BTreeMap::new();
    let col = |h: &BTreeMap<String, u32>, name: &str| {
        h.get(&fold(name)).copied().with_context(|| format!("集計ブックに列「{name}」がありません"))
    };
    for detail in details {
        let dh = headers(detail);
        let (cc, ac, yc, hc, sc, vc) = (
            col(&dh, "事業コード")?,
            col(&dh, "活動番号")?,
            col(&dh, "年度")?,
            col(&dh, "半期")?,
            col(&dh, "進捗区分")?,
            col(&dh, "入力値")?,
        );
        for r in 1..=detail.last_row() {
            let code = detail.value(r, cc).text();
            if plan.project(&code).is_none() {
                continue;
            }
            let n = |c: u32| detail.value(r, c).text().parse::<i64>().ok();
            let (Some(act), Some(year), Some(half)) = (n(ac), n(yc), n(hc)) else { continue };
            let p = Period::new(year as i32, if half == 1 { Half::First } else { Half::Second });
            if p >= period {
                continue;
            }
            let status = Some(detail.value(r, sc).text()).filter(|t| !t.is_empty()).unwrap_or_else(|| detail.value(r, vc).text());
            if status.is_empty() {
                continue;
            }
            let a = out.entry(code).or_default();
            while a.statuses.len() < act as usize {
                a.statuses.push(BTreeMap::new());
            }
            a.statuses[act as usize - 1].insert(p.code(), Input::Text(status));
        }
    }
    let lh = headers(list);
    let code_col = col(&lh, "事業コード")?;
    for r in 1..=list.last_row() {
        let code = list.value(r, code_col).text();
        let Some(project) = plan.project(&code) else { continue };
        if list.row(r).all(|(c, cell)| c == code_col || cell.value.is_empty()) {
            continue;
        }
        let a = out.entry(project.code.clone()).or_default();
        for (h, &c) in &lh {
            let v = list.value(r, c);
            if v.is_empty() {
                continue;
            }
            if let Some(rest) = h.strip_prefix(&fold("効果額(千円)")) {
                if let Some(y) = parse_fiscal_year(rest).filter(|y| *y != period.effect_year()) {
                    a.effect.insert(
                        y,
                        match v {
                            Value::Number(n) => Input::Number(*n),
                            other => Input::Text(other.text()),
                        },
                    );
                }
            } else if let Some(rest) = h.strip_prefix(&fold("主な取組内容")) {
                if let Some(y) = parse_fiscal_year(rest).filter(|y| *y != period.effect_year()) {
                    a.basis.insert(y, v.text());
                }
            } else if let Some(n) = h.strip_prefix("成果").and_then(|x| x.strip_suffix("の実績")).and_then(|n| n.parse::<usize>().ok())
            {
                while a.results.len() < n {
                    a.results.push(None);
                }
                a.results[n - 1] = Some(v.text());
            } else if *h == fold("回答課(記入)") {
                a.department = Some(v.text());
            } else if *h == fold("担当者") {
                a.person = Some(v.text());
            } else if *h == fold("連絡先") {
                a.contact = Some(v.text());
            }
        }
    }
    Ok(out)
}

use crate::grid::Grid;

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn previous_half_and_absolute_refs() {
        assert_eq!(Period::new(2021, Half::First).previous(), Period::new(2020, Half::Second));
        assert_eq!(Period::new(2021, Half::Second).previous(), Period::new(2021, Half::First));
        assert_eq!(absolute(4, 1), "$B$5");
        assert_eq!(absolute(19, 27), "$AB$20");
    }
}
