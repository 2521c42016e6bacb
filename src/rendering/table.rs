//! Drawing the table form: the tables sent out (one workbook per department), the council
//! packet (the merged table in plan order, counts by every level of the plan, findings,
//! missing items, detail, ledger) and the feedback files. All tables are drawn by one
//! function, so every one of them reads back with `table::read_sheet`.

use super::check::{StatusRead, TableRun, Tally};
use crate::feedback::Sent as FeedbackSent;
use crate::finding::{Finding, Severity, a1};
use crate::form::{FieldDef, FormDef, Kind, Source};
use crate::grid::MADE_BY_PROPERTY;
use crate::intake::MADE_BY_TEMPLATE;
use crate::period::Period;
use crate::plan::{LoadedPlan, Plan, Project};
use crate::template::{Sent, TemplateOptions, TemplateResult};
use crate::write::{self, Formats, put_text, safe_file_name};
use crate::xlsx;
use anyhow::Result;
use rayon::prelude::*;
use rust_xlsxwriter::{
    Chart, ChartLegendPosition, ChartType, Color, DataValidation, DataValidationRule, DocProperties, Format, FormatAlign, FormatBorder,
    Note, Workbook, Worksheet,
};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The sheet name of the drawn table.
fn table_sheet_name(form: &FormDef) -> String {
    write::safe_sheet_name(&form.name, &[])
}

/// `R2` for 2020: the year as the header writes it before a label.
pub fn year_label(year: i32) -> String {
    if year >= 2019 { format!("R{}", year - 2018) } else { format!("H{}", year - 1988) }
}

/// The marker of an item within its group (`①` of `I 1 (1) ①`).
fn marker(p: &Project) -> String {
    match &p.node {
        Some(n) => p.code.strip_prefix(n.as_str()).unwrap_or(&p.code).trim().to_string(),
        None => p.code.clone(),
    }
}

/// What a drawn table cell holds for a plan field.
fn plan_text(plan: &Plan, form: &FormDef, p: &Project, f: &FieldDef) -> String {
    // The name carries the item's marker only when the form numbers items by it.
    let numbered_by_name = form.table.as_ref().is_some_and(|t| t.number_from.contains(&f.key));
    match f.kind {
        Kind::Node => p.node.as_deref().map(|n| group_title(plan, n)).unwrap_or_default(),
        Kind::Name if numbered_by_name => format!("{} {}", marker(p), p.name).trim().to_string(),
        Kind::Name => p.name.clone(),
        Kind::Department => p.departments.join("、"),
        Kind::Code => p.code.clone(),
        _ => f.plan_column.as_deref().and_then(|c| p.attr(c)).map(str::to_string).unwrap_or_default(),
    }
}

/// `I 1 (1) 新たな財源の確保`
fn group_title(plan: &Plan, number: &str) -> String {
    match plan.node(number) {
        Some(n) if !n.name.is_empty() => format!("{} {}", n.number, n.name),
        _ => number.to_string(),
    }
}

/// How a table is drawn.
#[derive(Default)]
pub struct TableOptions {
    /// A table to send out: department cells unlocked, with validation (the caller protects).
    pub template: bool,
    /// Cells to mark, by (item code, field key), with the note to attach.
    pub notes: BTreeMap<(String, String), String>,
    /// Shade the cells departments fill (sheets they fill; not the council's copy).
    pub shade_inputs: bool,
    /// A line under the title (`担当: 財政課`).
    pub subtitle: Option<String>,
    /// The council's copy: columns fitted to print at readable size, notes as a neutral mark
    /// and a 注 line instead of colour and a comment.
    pub council: bool,
}

/// The row of the table's header: the title and a subtitle row come first.
const HEADER_ROW: u32 = 2;

/// Where [`draw_table`] puts field `c` (its index in the form) of its `i`-th item: one row an
/// item under the header. The packet's findings link to it while the table is still being drawn.
pub fn table_cell(i: usize, c: usize) -> (u32, u16) {
    (HEADER_ROW + 1 + i as u32, c as u16)
}

/// Draws the form's table for `items` (in plan order) with the department's values.
pub fn draw_table(
    ws: &mut Worksheet,
    plan: &Plan,
    form: &FormDef,
    period: Period,
    items: &[&Project],
    values: &dyn Fn(&Project, &FieldDef) -> String,
    opts: &TableOptions,
) -> Result<()> {
    let base = Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::Top).set_text_wrap();
    let head = base
        .clone()
        .set_bold()
        .set_background_color(Color::RGB(0xDDEBF7))
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    let mut plan_f = base.clone();
    let mut input = base.clone();
    if opts.shade_inputs {
        plan_f = plan_f.set_background_color(Color::RGB(0xF2F2F2));
        input = input.set_background_color(Color::RGB(0xFFF9DB));
    }
    if opts.template {
        input = input.set_unlocked();
    }
    let alert = Color::RGB(0xF8CBAD);
    let title = Format::new().set_bold().set_font_size(14);
    let year = year_label(period.fiscal_year);
    let table = form.table.as_ref();
    ws.write_string_with_format(
        0,
        0,
        format!("{} {} {}", plan.name, table.map(|t| t.title.as_str()).unwrap_or(&form.title), period.japanese()),
        &title,
    )?;
    if let Some(sub) = &opts.subtitle {
        ws.write_string(HEADER_ROW - 1, 0, sub)?;
    }
    let mut r = HEADER_ROW;
    let header_row = r;
    let mut widths: Vec<f64> = form.fields.iter().map(|f| f.width).collect();
    if opts.council {
        widths = crate::xlsx::fit_widths(&widths, true);
    }
    for (c, f) in form.fields.iter().enumerate() {
        ws.write_string_with_format(r, c as u16, f.heading(&year), &head)?;
        ws.set_column_width(c as u16, widths[c])?;
    }
    ws.set_row_height(r, 30.0)?;
    r += 1;
    let last_col = form.fields.len().saturating_sub(1) as u16;
    let mut footnotes: Vec<String> = Vec::new();
    let group_col = form.fields.iter().position(|f| f.kind == Kind::Node);
    let mut group_start: Option<(u32, String)> = None;
    let close_group = |ws: &mut Worksheet, start: &Option<(u32, String)>, end: u32| -> Result<()> {
        if let (Some((r1, text)), Some(c)) = (start, group_col)
            && end > *r1
        {
            ws.merge_range(*r1, c as u16, end, c as u16, "", &plan_f)?;
            put_text(ws, *r1, c as u16, text, &plan_f)?;
        }
        Ok(())
    };
    for (i, p) in items.iter().enumerate() {
        debug_assert_eq!(r, table_cell(i, 0).0);
        let group = p.node.as_deref().map(|n| group_title(plan, n)).unwrap_or_default();
        if group_start.as_ref().is_none_or(|(_, g)| *g != group) {
            close_group(ws, &group_start, r - 1)?;
            group_start = Some((r, group.clone()));
        }
        let mut height: f64 = 1.0;
        for (c, f) in form.fields.iter().enumerate() {
            let c = c as u16;
            let key = (p.code.clone(), f.key.clone());
            let text = if f.from == Source::Plan { plan_text(plan, form, p, f) } else { values(p, f) };
            let mut fmt = if f.from == Source::Plan { plan_f.clone() } else { input.clone() };
            if let Some(note) = opts.notes.get(&key)
                && opts.council
            {
                fmt = crate::xlsx::marked(&fmt);
                let n = footnotes.len() + 1;
                footnotes.push(crate::xlsx::footnote_text(n, &crate::finding::a1(r, c as u32), note));
            } else if let Some(note) = opts.notes.get(&key) {
                fmt = fmt.set_background_color(alert);
                let note: String = note.chars().take(2000).collect();
                ws.insert_note(r, c, &Note::new(note).set_author("kaito").add_author_prefix(false).set_width(360).set_height(160))?;
            }
            if f.kind == Kind::Node && Some(c as usize) == group_col && group_start.as_ref().is_some_and(|(s, _)| *s != r) {
                // Drawn once, merged over the group's rows when the group closes.
                ws.write_blank(r, c, &fmt)?;
            } else {
                put_text(ws, r, c, &text, &fmt)?;
            }
            height = height.max(crate::draw::lines(&text, widths[c as usize]));
            if opts.template
                && f.from == Source::Department
                && let Some(rule) = validation(plan, f)?
            {
                ws.add_data_validation(r, c, r, c, &rule)?;
            }
        }
        ws.set_row_height(r, (height * 14.0 + 4.0).min(409.0))?;
        r += 1;
    }
    close_group(ws, &group_start, r - 1)?;
    if !footnotes.is_empty() {
        crate::xlsx::footnotes(ws, r + 1, &widths, &footnotes)?;
        r += 1 + footnotes.len() as u32;
    }
    let last_row = r.saturating_sub(1).max(header_row);
    ws.set_freeze_panes(header_row + 1, 0)?;
    ws.set_repeat_rows(header_row, header_row)?;
    if opts.council {
        crate::xlsx::document_print(ws, &widths, true, (last_row, last_col))?;
        crate::xlsx::front_matter_footer(ws);
    } else {
        ws.set_paper_size(9);
        ws.set_landscape();
        ws.set_print_fit_to_pages(1, 0);
        ws.set_print_area(0, 0, last_row, last_col)?;
        ws.set_footer("&L&A&R&P / &N");
    }
    Ok(())
}

/// The data validation of a department cell: a dropdown of the vocabulary, or a length limit.
fn validation(plan: &Plan, f: &FieldDef) -> Result<Option<DataValidation>> {
    let label = &f.labels[0];
    if f.kind == Kind::Status
        && let Some(v) = &f.vocabulary
    {
        let words = plan.list(v);
        let list = words.join(" / ");
        return Ok(Some(
            DataValidation::new()
                .allow_list_strings(&words)?
                .set_input_title(label)?
                .set_input_message(format!("一覧から選んでください: {list}"))?
                .set_error_title(format!("{v}にない値です"))?
                .set_error_message(format!("{label}は {list} のいずれかです。一覧から選んでください。"))?,
        ));
    }
    if let Some(limit) = f.max_chars {
        return Ok(Some(
            DataValidation::new()
                .allow_text_length(DataValidationRule::LessThanOrEqualTo(limit))
                .set_input_title(label)?
                .set_input_message(format!("{label}を {limit} 文字以内で入力してください。"))?
                .set_error_title("文字数が多すぎます")?
                .set_error_message(format!("{label}は {limit} 文字以内です。"))?,
        ));
    }
    Ok(None)
}

fn mark(props: DocProperties, what: &str) -> DocProperties {
    props.set_custom_property(MADE_BY_PROPERTY, what)
}

/// `kaito template` for a table form: one workbook per answering department with its rows,
/// plus the dispatch list.
pub fn template(opts: &TemplateOptions, loaded: LoadedPlan, form: &FormDef) -> Result<TemplateResult> {
    let plan = &loaded.plan;
    let mut by_dept: BTreeMap<String, Vec<&Project>> = BTreeMap::new();
    for p in &plan.projects {
        by_dept.entry(p.responding_department().to_string()).or_default().push(p);
    }
    std::fs::create_dir_all(&opts.output)
        .map_err(|e| anyhow::anyhow!("出力先フォルダ {} を作れません({})", opts.output.display(), crate::fsutil::io_reason(&e)))?;
    // One workbook per department, drawn and saved on all cores; gathered in order.
    let by_dept: Vec<(&String, &Vec<&Project>)> = by_dept.iter().collect();
    let made: Vec<Result<Vec<Sent>>> = by_dept
        .par_iter()
        .map(|(dept, items)| -> Result<Vec<Sent>> {
            let mut sent = Vec::new();
            let who = if dept.is_empty() { "担当未設定" } else { dept.as_str() };
            let file = safe_file_name(&format!("{who}_{}_{}.xlsx", form.name, opts.period.code()));
            let mut wb = Workbook::new();
            wb.set_properties(&mark(
                DocProperties::new().set_title(format!("{} {} {}", plan.name, form.name, who)).set_subject(opts.period.japanese()),
                MADE_BY_TEMPLATE,
            ));
            let ws = wb.add_worksheet().set_name(table_sheet_name(form))?;
            let topts = TableOptions {
                template: true,
                shade_inputs: true,
                subtitle: Some(format!("担当: {who}(色の付いた欄に記入してください)")),
                ..Default::default()
            };
            draw_table(ws, plan, form, opts.period, items, &|_, _| String::new(), &topts)?;
            match &opts.password {
                Some(pw) => ws.protect_with_password(pw),
                None => ws.protect(),
            };
            write::save_atomic(&mut wb, &opts.output.join(&file))?;
            for p in items.iter() {
                sent.push(Sent {
                    department: who.to_string(),
                    code: p.code.clone(),
                    name: p.name.clone(),
                    path: PathBuf::from(&file),
                    carried: false,
                });
            }
            Ok(sent)
        })
        .collect();
    let mut sent = Vec::new();
    for m in made {
        sent.extend(m?);
    }
    let dispatch_list = opts.output.join("送付一覧.xlsx");
    crate::template::write_dispatch_list(&sent, plan, opts.period, &dispatch_list)?;
    Ok(TemplateResult { sent, plan_findings: loaded.findings, dispatch_list })
}

/// What a department wrote in each accepted row, by (item, field).
fn answer_text(run: &TableRun) -> impl Fn(&Project, &FieldDef) -> String + '_ {
    move |p: &Project, f: &FieldDef| run.answer(&p.code).map(|a| a.text(&f.key)).unwrap_or_default()
}

/// The key of the field at each cell of an accepted row, by (item, file, cell): where a
/// finding about that cell is drawn. Borrowed from the run, looked up by hash: the packet of
/// 10,000 tables holds some 300,000 of them.
type FieldAt<'a> = HashMap<(&'a str, &'a str, (u32, u32)), &'a str>;

fn finding_keys(run: &TableRun) -> FieldAt<'_> {
    let mut m = HashMap::with_capacity(run.answers.iter().map(|a| a.cells().len()).sum());
    for a in &run.answers {
        for (key, field) in a.cells() {
            m.insert((&*a.item, &*a.file, (field.row, field.col)), key.as_str());
        }
    }
    m
}

/// The (item, key) of the field a finding is about, when it sits on a cell of an accepted row.
fn finding_key<'a>(keys: &FieldAt<'a>, f: &'a Finding) -> Option<(&'a str, &'a str)> {
    let (p, file, cell) = (f.item()?, f.file.as_deref()?, f.cell_ref()?);
    keys.get(&(p, file, crate::grid::parse_a1(cell)?)).map(|key| (p, *key))
}

fn note_of(f: &Finding) -> String {
    crate::packet::note_text(f)
}

/// Notes for the findings of `severities` that sit on a cell of an accepted row.
fn notes(run: &TableRun, keys: &FieldAt, severities: &[Severity]) -> BTreeMap<(String, String), String> {
    let mut out: BTreeMap<(String, String), String> = BTreeMap::new();
    for f in run.findings.iter().filter(|f| f.marked_with(severities)) {
        if let Some((p, key)) = finding_key(keys, f) {
            let text = note_of(f);
            out.entry((p.to_string(), key.to_string())).and_modify(|n| *n = format!("{n}\n{text}")).or_insert(text);
        }
    }
    out
}

/// The council packet of a table form.
pub fn packet(run: &TableRun, links: &write::Links) -> Result<write::Books> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let (props, office_props) = write::run_properties(&run.plan.name, &run.period, "集計");
    wb.set_properties(&props);
    let table_name = table_sheet_name(&run.form);
    let f = &f;
    // Each sheet is a job of its own, drawn on whichever core is free. The packet's sheets keep
    // the order below (表紙, the table, 進捗状況); `split` puts the office sheets in theirs.
    let items: Vec<&Project> = run.plan.projects.iter().collect();
    let keys = finding_keys(run);
    let (keys, items) = (&keys, &items);
    let jobs: Vec<xlsx::SheetJob> = vec![
        Box::new(|wb: &mut Workbook| {
            let contents = vec![(run.form.name.clone(), String::new()), ("進捗状況の集計(進捗状況)".to_string(), String::new())];
            write::cover_sheet(wb, &run.plan.name, &run.form.name, &run.period, &contents)?;
            summary_sheet(wb, run, f)
        }),
        Box::new(|wb: &mut Workbook| {
            let ws = wb.add_worksheet().set_name(&table_name)?;
            let options = TableOptions { notes: notes(run, keys, &[Severity::Error]), council: true, ..Default::default() };
            draw_table(ws, &run.plan, &run.form, run.period, items, &answer_text(run), &options)
        }),
        Box::new(|wb: &mut Workbook| tally_sheet(wb, run, f)),
        // Each finding links to its cell of the table, found by the item's and the field's
        // place rather than by the drawn table, which is being drawn meanwhile.
        Box::new(|wb: &mut Workbook| {
            let link = |x: &Finding| {
                let (p, key) = finding_key(keys, x)?;
                // The table draws every item of the plan, in plan order.
                let (r, c) = table_cell(run.plan.position(p)?, run.form.fields.iter().position(|f| f.key == key)?);
                let target = a1(r, c as u32);
                Some((format!("internal:'{}'!{target}", table_name.replace('\'', "''")), format!("{p} {target}")))
            };
            write::findings_list(wb, &run.findings, f, links, &link)
        }),
        Box::new(|wb: &mut Workbook| missing_sheet(wb, run, f)),
        Box::new(|wb: &mut Workbook| detail_sheet(wb, run, f)),
        Box::new(|wb: &mut Workbook| write::ledger_sheet(wb.add_worksheet(), &run.files, f)),
    ];
    for ws in xlsx::draw_apart(jobs)? {
        wb.push_worksheet(ws);
    }
    Ok(write::split(wb, None, links, &office_props))
}

fn summary_sheet(wb: &mut Workbook, run: &TableRun, f: &Formats) -> Result<()> {
    let ws = wb.add_worksheet().set_name("概要")?;
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 50)?;
    ws.write_string_with_format(0, 0, format!("{} {} 集計", run.plan.name, run.form.name), &Format::new().set_bold().set_font_size(14))?;
    let count = |s: Severity| crate::finding::count(&run.findings, s) as f64;
    let rows: Vec<(&str, String)> = vec![
        ("計画", run.plan.name.clone()),
        ("様式", run.form.name.clone()),
        ("報告期間", run.period.japanese()),
        ("計画の項目数", run.plan.projects.len().to_string()),
        ("回答のあった項目", run.answers.len().to_string()),
        ("未提出の項目", run.missing.len().to_string()),
        ("エラー", count(Severity::Error).to_string()),
        ("警告", count(Severity::Warning).to_string()),
        ("ファイル数", run.files.len().to_string()),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        let r = i as u32 + 2;
        ws.write_string_with_format(r, 0, *k, &f.header)?;
        match v.parse::<f64>() {
            Ok(n) if *k != "計画" => ws.write_number_with_format(r, 1, n, &f.amount)?,
            _ => ws.write_string_with_format(r, 1, v, &f.text)?,
        };
    }
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}

/// The count columns of a tally: the vocabulary, then 未記入, 要確認, 未提出, 合計.
fn tally_columns(run: &TableRun) -> Vec<String> {
    let mut cols = run.status_field().and_then(|s| s.vocabulary.as_deref()).map(|v| run.plan.list(v)).unwrap_or_default();
    cols.extend([write::UNANSWERED.to_string(), write::UNREADABLE.to_string(), "未提出".to_string()]);
    cols
}

fn tally_values(run: &TableRun, t: &Tally) -> Vec<u64> {
    let mut v: Vec<u64> = run
        .status_field()
        .and_then(|s| s.vocabulary.as_deref())
        .map(|v| run.plan.list(v))
        .unwrap_or_default()
        .iter()
        .map(|w| t.words.get(w.as_str()).copied().unwrap_or(0))
        .collect();
    v.extend([t.unanswered, t.unreadable, t.missing]);
    v
}

/// 進捗状況: the status counts of every node of the plan, level by level under each parent,
/// and the whole plan; a chart of the top level.
fn tally_sheet(wb: &mut Workbook, run: &TableRun, f: &Formats) -> Result<()> {
    let ws = wb.add_worksheet().set_name("進捗状況")?;
    let cols = tally_columns(run);
    let mut headers = vec!["階層".to_string(), "番号".to_string(), "名称".to_string()];
    headers.extend(cols.iter().cloned());
    headers.push("合計".into());
    let hs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut widths = vec![10.0, 12.0, 30.0];
    widths.extend(std::iter::repeat_n(10.0, cols.len() + 1));
    let widths = crate::xlsx::packet_widths(&widths, true);
    write::header_row(ws, 0, &hs, &widths, f)?;
    let mut r = 1;
    let empty = Tally::default();
    // Depth-first, in plan order: a node, then its children.
    let mut order: Vec<&crate::plan::Node> = Vec::new();
    fn walk<'a>(plan: &'a Plan, parent: Option<&str>, out: &mut Vec<&'a crate::plan::Node>) {
        for n in plan.nodes.iter().filter(|n| n.parent.as_deref() == parent) {
            out.push(n);
            walk(plan, Some(&n.number), out);
        }
    }
    walk(&run.plan, None, &mut order);
    let mut top_rows = Vec::new();
    for n in order {
        let t = run.tallies.get(&n.number).unwrap_or(&empty);
        let level = run.plan.levels.get(n.level).cloned().unwrap_or_default();
        let fmt = if n.level == 0 { &f.total } else { &f.text };
        put_text(ws, r, 0, &level, fmt)?;
        put_text(ws, r, 1, &n.number, fmt)?;
        let name = format!("{}{}", "  ".repeat(n.level), n.name);
        put_text(ws, r, 2, &name, fmt)?;
        ws.set_row_height(r, (crate::draw::lines(&name, widths[2]) * 15.0 + 3.0).max(18.0))?;
        let vals = tally_values(run, t);
        for (j, v) in vals.iter().enumerate() {
            ws.write_number_with_format(r, 3 + j as u16, *v as f64, if n.level == 0 { &f.total_amount } else { &f.amount })?;
        }
        ws.write_number_with_format(r, 3 + vals.len() as u16, t.total() as f64, &f.total_amount)?;
        if n.level == 0 {
            top_rows.push(r);
        }
        r += 1;
    }
    let total = run.tallies.get("").unwrap_or(&empty);
    put_text(ws, r, 2, "合計", &f.total)?;
    let vals = tally_values(run, total);
    for (j, v) in vals.iter().enumerate() {
        ws.write_number_with_format(r, 3 + j as u16, *v as f64, &f.total_amount)?;
    }
    ws.write_number_with_format(r, 3 + vals.len() as u16, total.total() as f64, &f.total_amount)?;
    ws.write_string(
        r + 2,
        0,
        "項目の数を、すべての階層で数えています。「未記入」は進捗区分が空、「要確認」は区分にない語、「未提出」は回答のない項目です。",
    )?;
    let last_col = 3 + vals.len() as u16;
    // A chart of the top level, when there is more than a total to show.
    if !top_rows.is_empty() && total.total() > 0 {
        let mut chart = Chart::new(ChartType::BarStacked);
        let (first, last) = (top_rows[0], *top_rows.last().unwrap_or(&top_rows[0]));
        let contiguous = top_rows.len() as u32 == last - first + 1;
        let attention: Vec<String> = run.form.attention_lists().iter().flat_map(|l| run.plan.list(l)).collect();
        let words = cols.len().saturating_sub(3);
        let colors = crate::xlsx::status_colors(&cols[..words], &attention, 3);
        for j in 0..cols.len() as u16 {
            // A column no item has adds only a legend entry.
            if vals.get(j as usize).copied().unwrap_or(0) == 0 {
                continue;
            }
            let s = chart.add_series();
            s.set_format(
                rust_xlsxwriter::ChartFormat::new().set_solid_fill(rust_xlsxwriter::ChartSolidFill::new().set_color(colors[j as usize])),
            );
            if contiguous {
                s.set_categories(("進捗状況", first, 1, last, 1)).set_values(("進捗状況", first, 3 + j, last, 3 + j));
            } else {
                // Top-level rows are apart (children between): one point per top node.
                let cats: Vec<String> = top_rows.iter().map(|r| format!("'進捗状況'!$B${}", r + 1)).collect();
                let vals: Vec<String> =
                    top_rows.iter().map(|r| format!("'進捗状況'!${}${}", crate::finding::column_letters(3 + j as u32), r + 1)).collect();
                s.set_categories(format!("=({})", cats.join(",")).as_str()).set_values(format!("=({})", vals.join(",")).as_str());
            }
            s.set_name(("進捗状況", 0, 3 + j));
        }
        chart.title().set_name(&format!("{}別の進捗区分({})", run.plan.levels.first().cloned().unwrap_or_default(), run.period.japanese()));
        chart.y_axis().set_reverse();
        chart.legend().set_position(ChartLegendPosition::Bottom);
        crate::xlsx::chart_type_size(&mut chart);
        chart.set_width(760).set_height(340);
        crate::xlsx::insert_chart_below(ws, r + 4, 1, &chart)?;
        crate::xlsx::packet_print(ws, 0, true, (r + 4 + 18, last_col), &widths)?;
    } else {
        crate::xlsx::packet_print(ws, 0, true, (r + 2, last_col), &widths)?;
    }
    Ok(())
}

fn missing_sheet(wb: &mut Workbook, run: &TableRun, f: &Formats) -> Result<()> {
    let ws = wb.add_worksheet().set_name("未提出")?;
    write::header_row(ws, 0, &["担当部署", "項目", "名称", "グループ"], &[16.0, 14.0, 40.0, 30.0], f)?;
    let mut list: Vec<_> = run.missing.iter().collect();
    list.sort_by(|a, b| a.department.cmp(&b.department));
    for (i, m) in list.iter().enumerate() {
        let r = i as u32 + 1;
        let p = run.plan.project(&m.project);
        put_text(ws, r, 0, if m.department.is_empty() { "(未設定)" } else { &m.department }, &f.text)?;
        put_text(ws, r, 1, &m.project, &f.text)?;
        put_text(ws, r, 2, &m.name, &f.text)?;
        put_text(ws, r, 3, &p.and_then(|p| p.node.as_deref()).map(|n| group_title(&run.plan, n)).unwrap_or_default(), &f.text)?;
    }
    if list.is_empty() {
        ws.write_string(1, 0, "未提出の項目はありません")?;
    }
    write::table_print(ws, 0, false, ((list.len() as u32).max(1), 3))?;
    Ok(())
}

/// 明細: one row per item, every field as written, the status as read, and where it came from.
fn detail_sheet(wb: &mut Workbook, run: &TableRun, f: &Formats) -> Result<()> {
    let ws = wb.add_worksheet().set_name("明細")?;
    let mut headers: Vec<String> = vec!["項目".into()];
    for l in &run.plan.levels {
        headers.push(l.clone());
    }
    let dept_fields: Vec<&FieldDef> = run.form.fields.iter().filter(|x| x.from == Source::Department).collect();
    headers.extend(["名称".to_string(), "担当部署".to_string()]);
    headers.extend(dept_fields.iter().map(|x| x.labels[0].clone()));
    headers.extend(["読んだ進捗区分".to_string(), "ファイル".to_string(), "シート".to_string(), "行".to_string()]);
    let hs: Vec<&str> = headers.iter().map(String::as_str).collect();
    write::header_row(ws, 0, &hs, &vec![14.0; hs.len()], f)?;
    for (i, p) in run.plan.projects.iter().enumerate() {
        let r = i as u32 + 1;
        let mut c = 0u16;
        let mut put = |ws: &mut Worksheet, text: &str| -> Result<()> {
            put_text(ws, r, c, text, &f.text)?;
            c += 1;
            Ok(())
        };
        put(ws, &p.code)?;
        let path = p.node.as_deref().map(|n| run.plan.node_path(n)).unwrap_or_default();
        for level in 0..run.plan.levels.len() {
            put(ws, &path.iter().find(|n| n.level == level).map(|n| n.number.clone()).unwrap_or_default())?;
        }
        put(ws, &p.name)?;
        put(ws, &p.departments.join("、"))?;
        let a = run.answer(&p.code);
        for x in &dept_fields {
            put(ws, &a.map(|a| a.text(&x.key)).unwrap_or_default())?;
        }
        let status = a.and_then(|a| run.status_field().and_then(|s| a.statuses.get(s.key.as_str()))).map(|s| match s {
            StatusRead::Word(w) => w.to_string(),
            StatusRead::Unanswered => write::UNANSWERED.to_string(),
            StatusRead::Unreadable(_) => write::UNREADABLE.to_string(),
        });
        put(ws, &status.unwrap_or_else(|| "未提出".into()))?;
        put(ws, a.map(|a| &*a.file).unwrap_or(""))?;
        put(ws, a.map(|a| &*a.sheet).unwrap_or(""))?;
        if let Some(a) = a {
            ws.write_number(r, c, (a.row + 1) as f64)?;
        }
    }
    ws.autofilter(0, 0, run.plan.projects.len().max(1) as u32, hs.len() as u16 - 1)?;
    write::table_print(ws, 0, true, (run.plan.projects.len().max(1) as u32, hs.len() as u16 - 1))?;
    Ok(())
}

/// `kaito feedback` for a table form: per department with errors, the list of what to fix
/// and its own rows re-drawn with every problem cell marked. Returned as it is, the file
/// reads as that department's table.
pub fn feedback(run: &TableRun, output: &Path, letter: &crate::feedback::Letter) -> Result<Vec<(PathBuf, Vec<u8>, FeedbackSent)>> {
    let all_notes = notes(run, &finding_keys(run), &[Severity::Error, Severity::Warning]);
    crate::feedback::render_all(&run.plan, run.period, &run.findings, &run.missing, letter, output, &|wb, a| {
        let items: Vec<&Project> = run.plan.projects.iter().filter(|p| p.responding_department() == a.department).collect();
        let ws = wb.add_worksheet().set_name(table_sheet_name(&run.form))?;
        let topts = TableOptions {
            notes: all_notes.clone(),
            shade_inputs: true,
            subtitle: Some(format!("担当: {}(色の付いたセルを直してください)", a.department)),
            ..Default::default()
        };
        draw_table(ws, &run.plan, &run.form, run.period, &items, &answer_text(run), &topts)?;
        Ok(())
    })
}
