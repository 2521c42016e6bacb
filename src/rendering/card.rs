//! Drawing cards defined by their fields (取組評価シート…): the sheets sent out, every item
//! re-drawn in the council packet with the effect targets against actuals at every level of
//! the plan, the indicator items, and the feedback files. One drawer serves them all, so
//! everything it draws reads back with `card::read_sheet`.

use super::CardSheet;
use super::check::{CardRun, Target, amount, difference, plan_target};
use crate::feedback::Sent as FeedbackSent;
use crate::finding::{Finding, Severity, a1};
use crate::form::{Block, FieldDef, FormDef, Kind, Source};
use crate::grid::MADE_BY_PROPERTY;
use crate::intake::MADE_BY_TEMPLATE;
use crate::normalize::thousands;
use crate::period::{Period, year_header};
use crate::plan::{LoadedPlan, Node, Plan, Project};
use crate::template::{Sent, TemplateOptions, TemplateResult};
use crate::xlsx::{self, AMOUNT_FORMAT, Formats, put_text, safe_file_name, safe_sheet_name};
use anyhow::Result;
use rayon::prelude::*;
use rust_xlsxwriter::{
    Chart, ChartLegendPosition, ChartType, Color, DocProperties, Format, FormatAlign, FormatBorder, Note, Workbook, Worksheet,
};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// What a department wrote, to draw again: once-fields by key, grid fields by key and year.
#[derive(Debug, Clone, Default)]
pub struct CardValues {
    pub once: BTreeMap<String, String>,
    pub by_year: BTreeMap<String, BTreeMap<i32, String>>,
    /// Per line of the plan (activity, target): by year, or 0 for a target's column.
    pub lines: BTreeMap<String, Vec<BTreeMap<i32, String>>>,
}

impl CardValues {
    /// A card's department values; `keep_year` chooses the grid years taken.
    pub fn from_card(card: &CardSheet, form: &FormDef, keep_year: impl Fn(i32) -> bool) -> CardValues {
        let mut v = CardValues::default();
        for f in form.fields.iter().filter(|f| f.from == Source::Department) {
            if let Some(x) = card.once.get(&f.key).filter(|x| !x.is_empty()) {
                v.once.insert(f.key.clone(), x.text());
            }
            for (y, x) in card.by_year.get(&f.key).into_iter().flatten().filter(|(y, x)| keep_year(**y) && !x.is_empty()) {
                v.by_year.entry(f.key.clone()).or_default().insert(*y, x.text());
            }
            if let Some(lines) = card.lines.get(&f.key) {
                let kept = lines
                    .iter()
                    .map(|m| m.iter().filter(|(y, x)| (**y == 0 || keep_year(**y)) && !x.is_empty()).map(|(y, x)| (*y, x.text())).collect())
                    .collect();
                v.lines.insert(f.key.clone(), kept);
            }
        }
        v
    }
}

#[derive(Default)]
pub struct CardOptions {
    pub template: bool,
    pub shade_inputs: bool,
    /// Notes by (field key, year or None).
    pub notes: BTreeMap<(String, Option<i32>), String>,
    /// The council's copy: notes as a neutral mark and a 注 line, not colour and a comment.
    pub council: bool,
}

/// Where each field landed: (key, year) → cell.
#[derive(Debug, Default)]
pub struct DrawnCard {
    pub places: BTreeMap<(String, Option<i32>), (u32, u16)>,
    pub last_row: u32,
    pub last_col: u16,
    /// The 注 lines under the card (council's copy).
    pub footnotes: Vec<String>,
    pub scale: u16,
}

/// The years a card's grid shows: every year of the plan.
fn plan_years(plan: &Plan) -> Vec<i32> {
    (plan.start_year..=plan.end_year).collect()
}

fn node_at(plan: &Plan, p: &Project, level: usize) -> String {
    p.node
        .as_deref()
        .map(|n| plan.node_path(n))
        .and_then(|path| path.iter().find(|n| n.level == level).map(|n| format!("{} {}", n.number, n.name)))
        .unwrap_or_default()
}

fn plan_text(plan: &Plan, p: &Project, f: &FieldDef) -> String {
    match f.kind {
        Kind::Node => node_at(plan, p, f.level.unwrap_or(0)),
        Kind::Code => p.code.clone(),
        Kind::Name => p.name.clone(),
        Kind::Department => p.departments.join("、"),
        _ if f.plan_values == Some(crate::form::PlanValues::Implementing) => p.implementing.join("、"),
        _ => f.plan_column.as_deref().and_then(|c| p.attr(c)).map(str::to_string).unwrap_or_default(),
    }
}

/// Whether an item shows a grid row: target and actual rows only when the item has targets of
/// that kind (an effect item, an indicator item); other rows always.
fn shows_row(p: &Project, form: &FormDef, f: &FieldDef) -> bool {
    let of = |key: &str| form.field(key).and_then(|x| x.plan_values);
    let kind = f.plan_values.or_else(|| f.target.as_deref().and_then(of)).or_else(|| {
        f.difference_of.as_ref().and_then(|[a, b]| form.field(a).and_then(|x| x.target.as_deref()).and_then(of).or_else(|| of(b)))
    });
    match kind {
        Some(crate::form::PlanValues::EffectTargets) => !p.effect_targets.is_empty() || !p.pending_targets.is_empty(),
        Some(crate::form::PlanValues::IndicatorTargets) => p.indicator.as_ref().is_some_and(|i| !i.by_year.is_empty()),
        Some(crate::form::PlanValues::Implementing) | Some(crate::form::PlanValues::Targets) | None => true,
    }
}

/// Draws one item's card.
pub fn draw_card(
    ws: &mut Worksheet,
    plan: &Plan,
    form: &FormDef,
    period: Period,
    p: &Project,
    values: &CardValues,
    opts: &CardOptions,
) -> Result<DrawnCard> {
    let years = plan_years(plan);
    let cols = 2 + years.len() as u16; // label, years, total
    let last = cols - 1;
    let base = Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter).set_text_wrap();
    let label_f = base.clone().set_background_color(Color::RGB(0xE7E6E6));
    let head_f = label_f.clone().set_align(FormatAlign::Center);
    let mut input = base.clone();
    if opts.shade_inputs {
        input = input.set_background_color(Color::RGB(0xFFF9DB));
    }
    if opts.template {
        input = input.set_unlocked();
    }
    let amount_f = |f: &Format| f.clone().set_num_format(AMOUNT_FORMAT).set_align(FormatAlign::Right);
    let title = Format::new().set_bold().set_font_size(13).set_align(FormatAlign::Center);
    let widths = xlsx::fit_widths(&std::iter::once(18.0).chain(std::iter::repeat_n(13.0, cols as usize - 1)).collect::<Vec<_>>(), true);
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let mut drawn = DrawnCard { last_col: last, ..Default::default() };
    ws.merge_range(0, 0, 0, last, &format!("{} {}", plan.name, form.title), &title)?;
    ws.merge_range(1, 0, 1, last, &format!("< {} >", period.japanese()), &title)?;
    let mut r = 2u32;
    let put = |ws: &mut Worksheet,
               drawn: &mut DrawnCard,
               key: (String, Option<i32>),
               (row, c1, c2): (u32, u16, u16),
               text: &str,
               f: &Format,
               number: bool|
     -> Result<()> {
        let mut fmt = f.clone();
        if let Some(note) = opts.notes.get(&key)
            && opts.council
        {
            fmt = xlsx::marked(&fmt);
            let n = drawn.footnotes.len() + 1;
            drawn.footnotes.push(crate::xlsx::footnote_text(n, &crate::finding::a1(row, c1 as u32), note));
        } else if let Some(note) = opts.notes.get(&key) {
            fmt = fmt.set_background_color(Color::RGB(0xF8CBAD));
            let note: String = note.chars().take(2000).collect();
            ws.insert_note(row, c1, &Note::new(note).set_author("kaito").add_author_prefix(false).set_width(360).set_height(160))?;
        }
        if c2 > c1 {
            ws.merge_range(row, c1, row, c2, "", &fmt)?;
        }
        match (number, text.trim().parse::<f64>()) {
            (true, Ok(n)) => {
                ws.write_number_with_format(row, c1, n, &fmt)?;
            }
            _ if text.is_empty() => {
                ws.write_blank(row, c1, &fmt)?;
            }
            _ => put_text(ws, row, c1, text, &fmt)?,
        }
        drawn.places.insert(key, (row, c1));
        Ok(())
    };
    let value_of = |f: &FieldDef| -> String {
        match f.from {
            Source::Plan => plan_text(plan, p, f),
            _ => values.once.get(&f.key).cloned().unwrap_or_default(),
        }
    };
    for b in &form.blocks {
        match b {
            Block::Pairs { fields } => {
                let span = (cols / fields.len().max(1) as u16).max(2);
                let mut lines: f64 = 1.0;
                for (i, k) in fields.iter().enumerate() {
                    let Some(f) = form.field(k) else { continue };
                    let c = i as u16 * span;
                    let end = if i + 1 == fields.len() { last } else { c + span - 1 };
                    put_text(ws, r, c, &f.labels[0], &label_f)?;
                    let fmt = if f.from == Source::Department { &input } else { &base };
                    let text = value_of(f);
                    lines = lines.max(crate::draw::lines(&text, 13.0 * (end - c) as f64));
                    put(ws, &mut drawn, (k.clone(), None), (r, c + 1, end), &text, fmt, false)?;
                }
                ws.set_row_height(r, (lines * 14.0 + 6.0).max(22.0))?;
                r += 1;
            }
            Block::Wide { field } => {
                let Some(f) = form.field(field) else { continue };
                put_text(ws, r, 0, &f.labels[0], &label_f)?;
                let text = value_of(f);
                let fmt = if f.from == Source::Department { &input } else { &base };
                put(ws, &mut drawn, (field.clone(), None), (r, 1, last), &text, fmt, false)?;
                let lines = crate::draw::lines(&text, 13.0 * (cols - 1) as f64);
                ws.set_row_height(r, (lines * 14.0 + 4.0).clamp(30.0, 409.0))?;
                r += 1;
            }
            Block::Activities { header, plan_label, answer } => {
                let Some(af) = form.field(answer) else { continue };
                put_text(ws, r, 0, header, &head_f)?;
                ws.write_blank(r, 1, &head_f)?;
                for (j, y) in years.iter().enumerate() {
                    put_text(ws, r, 2 + j as u16, &year_header(*y), &head_f)?;
                }
                ws.set_row_height(r, 30.0)?;
                r += 1;
                let grey = base.clone().set_background_color(Color::RGB(0xBFBFBF));
                for (i, a) in p.activities.iter().enumerate() {
                    ws.merge_range(r, 0, r + 1, 0, "", &base)?;
                    put_text(ws, r, 0, &a.name, &base)?;
                    put_text(ws, r, 1, plan_label, &head_f)?;
                    put_text(ws, r + 1, 1, &af.labels[0], &head_f)?;
                    let mut plan_lines: f64 = 1.0;
                    let mut answer_lines: f64 = 1.0;
                    for (j, y) in years.iter().enumerate() {
                        let c = 2 + j as u16;
                        let text = a.schedule.get(y).cloned().unwrap_or_default();
                        plan_lines = plan_lines.max(crate::draw::lines(&text, 13.0));
                        put_text(ws, r, c, &text, &base)?;
                        let value = values.lines.get(answer).and_then(|ls| ls.get(i)).and_then(|m| m.get(y)).cloned().unwrap_or_default();
                        answer_lines = answer_lines.max(crate::draw::lines(&value, 13.0));
                        // The reported year is typed; years before the item existed are greyed.
                        let fmt = if p.set_year.is_some_and(|s| *y < s) {
                            &grey
                        } else if *y == period.fiscal_year {
                            &input
                        } else {
                            &base
                        };
                        put(ws, &mut drawn, (format!("{answer}/{i}"), Some(*y)), (r + 1, c, c), &value, fmt, false)?;
                    }
                    ws.set_row_height(r, (plan_lines * 14.0 + 4.0).clamp(20.0, 409.0))?;
                    ws.set_row_height(r + 1, (answer_lines * 14.0 + 4.0).clamp(30.0, 409.0))?;
                    r += 2;
                }
            }
            Block::Targets { columns } => {
                if p.targets.is_empty() {
                    continue;
                }
                let fields: Vec<&FieldDef> = columns.iter().filter_map(|k| form.field(k)).collect();
                // The first column (the target's text) and the last (the explanation) share the width.
                let mid = (last.saturating_sub(1) / 2).max(1);
                let spans: Vec<(u16, u16)> = (0..fields.len())
                    .map(|i| match i {
                        0 => (1, mid),
                        i if i + 1 == fields.len() => (mid + i as u16, last),
                        i => (mid + i as u16, mid + i as u16),
                    })
                    .collect();
                ws.write_blank(r, 0, &head_f)?;
                for (f, (c1, c2)) in fields.iter().zip(&spans) {
                    if c2 > c1 {
                        ws.merge_range(r, *c1, r, *c2, "", &head_f)?;
                    }
                    put_text(ws, r, *c1, &f.labels[0], &head_f)?;
                }
                r += 1;
                for (j, t) in p.targets.iter().enumerate() {
                    put_text(ws, r, 0, &crate::table::circled(t.number.parse().unwrap_or(j as u32 + 1)), &head_f)?;
                    let mut lines: f64 = 1.0;
                    for (f, (c1, c2)) in fields.iter().zip(&spans) {
                        let text = match f.from {
                            Source::Plan => t.text.clone(),
                            _ => values.lines.get(&f.key).and_then(|ls| ls.get(j)).and_then(|m| m.get(&0)).cloned().unwrap_or_default(),
                        };
                        lines = lines.max(crate::draw::lines(&text, 13.0 * (c2 - c1 + 1) as f64));
                        let fmt = if f.from == Source::Department && t.is_due(period.fiscal_year) { &input } else { &base };
                        put(ws, &mut drawn, (format!("{}/{j}", f.key), None), (r, *c1, *c2), &text, fmt, false)?;
                        if opts.template
                            && f.from == Source::Department
                            && let Some(v) = f.vocabulary.as_deref()
                        {
                            let words = plan.list(v);
                            if !words.is_empty() {
                                let rule = rust_xlsxwriter::DataValidation::new()
                                    .allow_list_strings(&words)?
                                    .set_input_title(&f.labels[0])?
                                    .set_input_message(format!("一覧から選んでください: {}", words.join(" / ")))?;
                                ws.add_data_validation(r, *c1, r, *c1, &rule)?;
                            }
                        }
                    }
                    ws.set_row_height(r, (lines * 14.0 + 6.0).clamp(30.0, 409.0))?;
                    r += 1;
                }
            }
            Block::YearGrid { header, total, rows } => {
                // An item with nothing to show by year (no targets of any kind) has no grid.
                if !rows.iter().filter_map(|k| form.field(k)).any(|f| shows_row(p, form, f)) {
                    continue;
                }
                put_text(ws, r, 0, header, &head_f)?;
                for (j, y) in years.iter().enumerate() {
                    put_text(ws, r, 1 + j as u16, &year_header(*y), &head_f)?;
                }
                put_text(ws, r, last, total.as_deref().unwrap_or(""), &head_f)?;
                ws.set_row_height(r, 30.0)?;
                r += 1;
                for k in rows {
                    let Some(f) = form.field(k) else { continue };
                    if !shows_row(p, form, f) {
                        continue;
                    }
                    put_text(ws, r, 0, &f.labels[0], &label_f)?;
                    let mut sum: Option<i64> = None;
                    for (j, y) in years.iter().enumerate() {
                        let c = 1 + j as u16;
                        let (text, fmt) = match f.from {
                            Source::Plan => match plan_target(p, f, *y) {
                                Target::Amount(v) => (v.to_string(), amount_f(&base)),
                                Target::Pending => (crate::plan::PENDING.to_string(), base.clone()),
                                Target::Text(t) => (t, base.clone()),
                                Target::None => (String::new(), base.clone()),
                            },
                            Source::Kaito => {
                                let card_values = |key: &str, year: i32| values.by_year.get(key).and_then(|m| m.get(&year)).cloned();
                                let computed = f.difference_of.as_ref().and_then(|[a, b]| {
                                    let val = |key: &str| -> Option<i64> {
                                        let fd = form.field(key)?;
                                        match fd.from {
                                            Source::Plan => match plan_target(p, fd, *y) {
                                                Target::Amount(v) => Some(v),
                                                _ => None,
                                            },
                                            _ => card_values(key, *y).and_then(|t| crate::normalize::amount_from_text(&t).amount.value()),
                                        }
                                    };
                                    Some(val(a)? - val(b)?)
                                });
                                (computed.map(|v| v.to_string()).unwrap_or_default(), amount_f(&base))
                            }
                            Source::Department => {
                                let text = values.by_year.get(k).and_then(|m| m.get(y)).cloned().unwrap_or_default();
                                // Only the reported year is typed; earlier years are carried, later ones not yet due.
                                let fmt = if *y == period.fiscal_year { input.clone() } else { base.clone() };
                                (text, if f.kind == Kind::Amount { amount_f(&fmt) } else { fmt })
                            }
                        };
                        if let Ok(v) = text.parse::<i64>() {
                            sum = Some(sum.unwrap_or(0) + v);
                        }
                        put(ws, &mut drawn, (k.clone(), Some(*y)), (r, c, c), &text, &fmt, f.kind == Kind::Amount)?;
                    }
                    match sum.filter(|_| f.kind == Kind::Amount) {
                        Some(v) => {
                            ws.write_number_with_format(r, last, v as f64, &amount_f(&label_f))?;
                        }
                        None => {
                            ws.write_blank(r, last, &label_f)?;
                        }
                    }
                    ws.set_row_height(r, 20.0)?;
                    r += 1;
                }
            }
        }
    }
    if !drawn.footnotes.is_empty() {
        let notes = drawn.footnotes.clone();
        xlsx::footnotes(ws, r + 1, &widths, &notes)?;
        r += 1 + notes.len() as u32;
    }
    drawn.last_row = r.saturating_sub(1);
    drawn.scale = xlsx::document_print(ws, &widths, true, (drawn.last_row, last))?;
    if opts.council {
        ws.set_footer(format!("&L{}&C&P", p.code));
    } else {
        ws.set_footer(format!("&L{}&R&P / &N", p.code));
    }
    Ok(drawn)
}

fn mark(props: DocProperties, what: &str) -> DocProperties {
    props.set_custom_property(MADE_BY_PROPERTY, what)
}

/// `kaito template` for a card defined by its fields: one workbook per item in a folder per
/// answering department, earlier years' values carried from `previous`.
pub fn template(
    opts: &TemplateOptions,
    loaded: LoadedPlan,
    form: &FormDef,
    previous: &BTreeMap<String, CardValues>,
) -> Result<TemplateResult> {
    let plan = &loaded.plan;
    std::fs::create_dir_all(&opts.output)
        .map_err(|e| anyhow::anyhow!("出力先フォルダ {} を作れません({})", opts.output.display(), crate::fsutil::io_reason(&e)))?;
    // One workbook per item, drawn and saved on all cores; gathered in plan order.
    let made: Vec<Result<Sent>> = plan
        .projects
        .par_iter()
        .map(|p| -> Result<Sent> {
            let department = p.responding_department().to_string();
            let folder = safe_file_name(if department.is_empty() { "回答課未設定" } else { &department });
            let rel = Path::new(&folder).join(safe_file_name(&format!("{}_{}.xlsx", p.code, p.name)));
            let carried = previous.get(&p.code);
            let mut wb = Workbook::new();
            wb.set_properties(&mark(
                DocProperties::new().set_title(format!("{} {} {}", p.code, p.name, form.name)).set_subject(opts.period.japanese()),
                MADE_BY_TEMPLATE,
            ));
            let ws = wb.add_worksheet().set_name(safe_sheet_name(&p.code, &[]))?;
            draw_card(
                ws,
                plan,
                form,
                opts.period,
                p,
                carried.unwrap_or(&CardValues::default()),
                &CardOptions { template: true, shade_inputs: true, ..Default::default() },
            )?;
            match &opts.password {
                Some(pw) => ws.protect_with_password(pw),
                None => ws.protect(),
            };
            xlsx::save_atomic(&mut wb, &opts.output.join(&rel))?;
            Ok(Sent { department, code: p.code.clone(), name: p.name.clone(), path: rel, carried: carried.is_some() })
        })
        .collect();
    let sent = made.into_iter().collect::<Result<Vec<Sent>>>()?;
    let dispatch_list = opts.output.join("送付一覧.xlsx");
    crate::template::write_dispatch_list(&sent, plan, opts.period, &dispatch_list)?;
    Ok(TemplateResult { sent, plan_findings: loaded.findings, dispatch_list })
}

/// Notes for the findings of `severities`, by the (key, year) of the cell they are about.
fn notes(run: &CardRun, a: &super::check::CardAnswer, severities: &[Severity]) -> BTreeMap<(String, Option<i32>), String> {
    let mut cells: BTreeMap<String, (String, Option<i32>)> = BTreeMap::new();
    for (k, f) in &a.card.once {
        cells.insert(f.a1(), (k.clone(), None));
    }
    for (k, m) in &a.card.by_year {
        for (y, f) in m {
            cells.insert(f.a1(), (k.clone(), Some(*y)));
        }
    }
    for (k, lines) in &a.card.lines {
        for (i, m) in lines.iter().enumerate() {
            for (y, f) in m {
                cells.insert(f.a1(), (format!("{k}/{i}"), (*y != 0).then_some(*y)));
            }
        }
    }
    let mut out: BTreeMap<(String, Option<i32>), String> = BTreeMap::new();
    for f in run.findings.iter().filter(|f| f.marked_with(severities) && f.item() == Some(&a.item) && f.file.as_deref() == Some(&a.file)) {
        if let Some(key) = f.cell_ref().and_then(|c| cells.get(c)) {
            let text = crate::packet::note_text(f);
            out.entry(key.clone()).and_modify(|n| *n = format!("{n}\n{text}")).or_insert(text);
        }
    }
    out
}

/// One row of the effect table: target and actual per year for an item or a level.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EffectRow {
    pub level: Option<usize>,
    pub number: String,
    pub name: String,
    pub target: BTreeMap<i32, i64>,
    pub actual: BTreeMap<i32, i64>,
    /// Years with a 調整中 target (kept out of the rates).
    pub pending: Vec<i32>,
    /// Items below with a 調整中 target in the reported year (for levels), and their actual:
    /// shown in the note, kept out of the level's actual so that rates compare like with like.
    pub pending_items: usize,
    pub pending_actual: i64,
}

impl EffectRow {
    pub fn target_total(&self) -> i64 {
        self.target.values().sum()
    }
    pub fn actual_total(&self) -> i64 {
        self.actual.values().sum()
    }
}

/// The effect table: every item with effect targets, then each node's subtotal (deepest
/// first within its parent), and the total; actuals from the accepted cards.
pub fn effect_rows(run: &CardRun) -> (Vec<EffectRow>, Vec<EffectRow>, EffectRow) {
    let (Some(af), Some(_)) = (run.actual_field(), run.target_field()) else {
        return (vec![], vec![], EffectRow::default());
    };
    let tf = run.target_field().cloned().unwrap_or_else(|| af.clone());
    let years = plan_years(&run.plan);
    let items: Vec<(&Project, EffectRow)> = run
        .plan
        .projects
        .iter()
        .filter(|p| !p.effect_targets.is_empty() || !p.pending_targets.is_empty())
        .map(|p| {
            let mut row = EffectRow { level: None, number: p.code.clone(), name: p.name.clone(), ..Default::default() };
            for y in &years {
                if let Target::Amount(v) = plan_target(p, &tf, *y) {
                    row.target.insert(*y, v);
                }
                if p.pending_targets.contains(y) {
                    row.pending.push(*y);
                }
                if let Some(v) = run.answer(&p.code).and_then(|a| amount(a.card.year(&af.key, *y))) {
                    row.actual.insert(*y, v);
                }
            }
            row.pending_items = usize::from(row.pending.contains(&run.period.fiscal_year));
            if row.pending_items > 0 {
                row.pending_actual = row.actual.get(&run.period.fiscal_year).copied().unwrap_or(0);
            }
            (p, row)
        })
        .collect();
    let under = |p: &Project, n: &Node| {
        p.node.as_deref().is_some_and(|x| run.plan.node_path(x).iter().any(|a| a.level == n.level && a.number == n.number))
    };
    let sum = |rows: &mut dyn Iterator<Item = &EffectRow>, into: &mut EffectRow| {
        for r in rows {
            for (y, v) in &r.target {
                *into.target.entry(*y).or_default() += v;
            }
            // An actual against a 調整中 target has nothing to be measured against.
            for (y, v) in r.actual.iter().filter(|(y, _)| !r.pending.contains(y)) {
                *into.actual.entry(*y).or_default() += v;
            }
            into.pending_items += r.pending_items;
            into.pending_actual += r.pending_actual;
        }
    };
    let mut levels = Vec::new();
    for n in &run.plan.nodes {
        let mut row = EffectRow { level: Some(n.level), number: n.number.clone(), name: n.name.clone(), ..Default::default() };
        sum(&mut items.iter().filter(|(p, _)| under(p, n)).map(|(_, r)| r), &mut row);
        if items.iter().any(|(p, _)| under(p, n)) {
            levels.push(row);
        }
    }
    let mut total = EffectRow { name: "合計".into(), ..Default::default() };
    sum(&mut items.iter().map(|(_, r)| r), &mut total);
    (items.into_iter().map(|(_, r)| r).collect(), levels, total)
}

/// Achievement: actual ÷ target, when the target is an amount above zero.
pub fn rate(actual: Option<i64>, target: Option<i64>) -> Option<f64> {
    match (actual, target) {
        (Some(a), Some(t)) if t > 0 => Some(a as f64 / t as f64),
        _ => None,
    }
}

/// The council packet of a card defined by its fields.
pub fn packet(run: &CardRun, links: &crate::write::Links, volumes: &crate::write::Volumes) -> Result<crate::write::Books> {
    let f = Formats::new();
    let mut wb = Workbook::new();
    let (props, office_props) = crate::write::run_properties(&run.plan.name, &run.period, "集計");
    wb.set_properties(&props);
    // Beyond one workbook's worth, the cards go on in volumes beside the packet, as the
    // response card's sheets do: a workbook of thousands of sheets is not usable.
    let per_book = volumes.per_book.max(1);
    let drawn_count = run.answers.iter().filter(|a| run.plan.project(&a.item).is_some()).count();
    let mut contents: Vec<(String, String)> = vec![(format!("{}({} 件)", run.form.name, drawn_count), String::new())];
    if drawn_count > per_book {
        contents = (0..drawn_count.div_ceil(per_book))
            .map(|n| {
                let count = per_book.min(drawn_count - n * per_book);
                let what = match volumes.of(n * per_book) {
                    None => format!("{}({count} 件)", run.form.name),
                    Some(v) => format!("{} 分冊{:02}({count} 件、{v})", run.form.name, n + 1),
                };
                (what, String::new())
            })
            .collect();
    }
    crate::write::cover_sheet(&mut wb, &run.plan.name, &run.form.name, &run.period, &contents)?;
    // The document the council reads first: the targets not reached, with their reasons.
    let has_targets = target_fields(&run.form).is_some();
    if has_targets {
        judgement_sheets(&mut wb, run, &f)?;
    }
    summary_sheet(&mut wb, run, &f)?;
    if run.actual_field().is_some() {
        effect_sheet(&mut wb, run, &f)?;
        indicator_sheet(&mut wb, run, &f)?;
    }
    let mut names =
        xlsx::SheetNames::new(wb.worksheets().iter().map(|w| w.name()).chain(crate::write::OFFICE_SHEETS.iter().map(|s| s.to_string())));
    let mut sheets = Vec::new();
    let mut places: BTreeMap<(String, String), (String, (u32, u16))> = BTreeMap::new();
    let mut volume_by_sheet: HashMap<String, String> = HashMap::new();
    for a in &run.answers {
        let Some(p) = run.plan.project(&a.item) else { continue };
        let name = names.claim(&p.code);
        let volume = volumes.of(sheets.len());
        if let Some(v) = &volume {
            volume_by_sheet.insert(name.clone(), v.clone());
        }
        let mut ws = Worksheet::new();
        ws.set_name(&name)?;
        let values = CardValues::from_card(&a.card, &run.form, |y| y <= run.period.fiscal_year);
        let drawn = draw_card(
            &mut ws,
            &run.plan,
            &run.form,
            run.period,
            p,
            &values,
            &CardOptions { notes: notes(run, a, &[Severity::Error]), council: true, ..Default::default() },
        )?;
        for (k, m) in &a.card.by_year {
            for (y, fl) in m {
                if let Some(at) = drawn.places.get(&(k.clone(), Some(*y))) {
                    places.insert((a.item.clone(), fl.a1()), (name.clone(), *at));
                }
            }
        }
        for (k, fl) in &a.card.once {
            if let Some(at) = drawn.places.get(&(k.clone(), None)) {
                places.insert((a.item.clone(), fl.a1()), (name.clone(), *at));
            }
        }
        for (k, lines) in &a.card.lines {
            for (i, m) in lines.iter().enumerate() {
                for (y, fl) in m {
                    if let Some(at) = drawn.places.get(&(format!("{k}/{i}"), (*y != 0).then_some(*y))) {
                        places.insert((a.item.clone(), fl.a1()), (name.clone(), *at));
                    }
                }
            }
        }
        sheets.push((volume, ws));
    }
    let link = |x: &Finding| {
        let (sheet, (r, c)) = places.get(&(x.item()?.to_string(), x.cell_ref()?.to_string()))?;
        let target = a1(*r, *c as u32);
        let within = format!("'{}'!{target}", sheet.replace('\'', "''"));
        let url = match volume_by_sheet.get(sheet) {
            Some(v) => format!("file:///{}{v}#{within}", volumes.link_dir),
            None => format!("internal:{within}"),
        };
        Some((url, format!("{sheet}!{target}")))
    };
    crate::write::findings_list(&mut wb, &run.findings, &f, links, &link)?;
    missing_sheet(&mut wb, run, &f)?;
    crate::write::ledger_sheet(wb.add_worksheet(), &run.files, &f)?;
    Ok(crate::write::bind(wb, None, sheets, &props, links, &office_props))
}

fn summary_sheet(wb: &mut Workbook, run: &CardRun, f: &Formats) -> Result<()> {
    let ws = wb.add_worksheet().set_name("概要")?;
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 60)?;
    ws.write_string_with_format(0, 0, format!("{} {} 集計", run.plan.name, run.form.name), &Format::new().set_bold().set_font_size(14))?;
    let (_, _, total) = effect_rows(run);
    let y = run.period.fiscal_year;
    let rows: Vec<(&str, String)> = vec![
        ("計画", run.plan.name.clone()),
        ("様式", run.form.name.clone()),
        ("報告期間", run.period.japanese()),
        ("計画の取組数", run.plan.projects.len().to_string()),
        ("提出", run.answers.len().to_string()),
        ("未提出", run.missing.len().to_string()),
        ("エラー", crate::finding::count(&run.findings, Severity::Error).to_string()),
        ("警告", crate::finding::count(&run.findings, Severity::Warning).to_string()),
        (
            "効果額(千円)",
            format!(
                "{}: 目標 {}、実績 {}{}",
                crate::period::era_year(y),
                thousands(total.target.get(&y).copied().unwrap_or(0)),
                thousands(total.actual.get(&y).copied().unwrap_or(0)),
                rate(total.actual.get(&y).copied(), total.target.get(&y).copied())
                    .map(|r| format!("、達成率 {:.1}%", r * 100.0))
                    .unwrap_or_default()
            ),
        ),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        ws.write_string_with_format(i as u32 + 2, 0, *k, &f.header)?;
        put_text(ws, i as u32 + 2, 1, v, &f.text)?;
    }
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}

/// 効果額: target, actual, difference and achievement per item, per node at every level and in
/// total, for the reported year and for the plan's years together; 調整中 shown as such and
/// kept out of rates; a chart of target against actual by the level above the items.
fn effect_sheet(wb: &mut Workbook, run: &CardRun, f: &Formats) -> Result<()> {
    let ws = wb.add_worksheet().set_name("効果額")?;
    let (items, levels, total) = effect_rows(run);
    let y = run.period.fiscal_year;
    let years = plan_years(&run.plan);
    let span = format!("{}〜{}", crate::period::era_year(run.plan.start_year), crate::period::era_year(run.plan.end_year));
    let mut headers: Vec<String> = vec!["区分".into(), "番号".into(), "名称".into()];
    for yy in &years {
        headers.push(format!("目標 {}", year_header(*yy)));
    }
    headers.extend([
        format!("目標 {}", crate::period::era_year(y)),
        format!("実績 {}", crate::period::era_year(y)),
        format!("差 {}", crate::period::era_year(y)),
        format!("達成率 {}", crate::period::era_year(y)),
        format!("目標 計({span})"),
        format!("実績 計(〜{})", crate::period::era_year(y)),
        "備考".into(),
    ]);
    let hs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut widths = vec![6.0, 8.0, 36.0];
    widths.extend(std::iter::repeat_n(12.0, hs.len() - 4));
    widths.push(24.0);
    let widths = xlsx::packet_widths(&widths, true);
    crate::write::header_row(ws, 0, &hs, &widths, f)?;
    let pct = f.text.clone().set_num_format("0.0%");
    let mut r = 1u32;
    let write_row = |ws: &mut Worksheet, r: u32, row: &EffectRow, kind: &str, bold: bool| -> Result<()> {
        let (tf, af) = if bold { (&f.total, &f.total_amount) } else { (&f.text, &f.amount) };
        put_text(ws, r, 0, kind, tf)?;
        put_text(ws, r, 1, &row.number, tf)?;
        put_text(ws, r, 2, &row.name, tf)?;
        // The name wraps in its narrowed column; the row grows to show all of it.
        ws.set_row_height(r, (crate::draw::lines(&row.name, widths[2]) * 15.0 + 3.0).max(18.0))?;
        let mut c = 3u16;
        for yy in &years {
            match row.target.get(yy) {
                Some(v) => ws.write_number_with_format(r, c, *v as f64, af)?,
                None if row.pending.contains(yy) => ws.write_string_with_format(r, c, crate::plan::PENDING, tf)?,
                None => ws.write_blank(r, c, tf)?,
            };
            c += 1;
        }
        let t = row.target.get(&y).copied();
        let a = row.actual.get(&y).copied();
        match t {
            Some(v) => ws.write_number_with_format(r, c, v as f64, af)?,
            None if row.pending.contains(&y) => ws.write_string_with_format(r, c, crate::plan::PENDING, tf)?,
            None => ws.write_blank(r, c, tf)?,
        };
        match a {
            Some(v) => ws.write_number_with_format(r, c + 1, v as f64, af)?,
            None => ws.write_blank(r, c + 1, tf)?,
        };
        match (a, t) {
            (Some(a), Some(t)) => ws.write_number_with_format(r, c + 2, (a - t) as f64, af)?,
            _ => ws.write_blank(r, c + 2, tf)?,
        };
        match rate(a, t) {
            Some(x) => ws.write_number_with_format(r, c + 3, x, &pct)?,
            None => ws.write_blank(r, c + 3, tf)?,
        };
        ws.write_number_with_format(r, c + 4, row.target_total() as f64, af)?;
        let actual_to_date: i64 = row.actual.iter().filter(|(yy, _)| **yy <= y).map(|(_, v)| v).sum();
        ws.write_number_with_format(r, c + 5, actual_to_date as f64, af)?;
        let note = if row.level.is_none() && row.pending.contains(&y) {
            "目標が調整中のため達成率を出していません".to_string()
        } else if row.pending_items > 0 {
            format!(
                "目標が調整中の取組 {} 件(実績 {} 千円)は実績・達成率に含めていません",
                row.pending_items,
                thousands(row.pending_actual)
            )
        } else {
            String::new()
        };
        put_text(ws, r, c + 6, &note, tf)?;
        Ok(())
    };
    for row in &items {
        write_row(ws, r, row, "取組", false)?;
        r += 1;
    }
    let level_name = |l: usize| run.plan.levels.get(l).cloned().unwrap_or_default();
    let mut chart_rows = Vec::new();
    let chart_level = run.plan.levels.len().saturating_sub(1);
    for row in &levels {
        let l = row.level.unwrap_or(0);
        if l == chart_level {
            chart_rows.push(r);
        }
        write_row(ws, r, row, &level_name(l), true)?;
        r += 1;
    }
    write_row(ws, r, &total, "合計", true)?;
    let total_row = r;
    r += 1;
    ws.write_string(r + 1, 0, format!("単位: 千円(マイナスは △)。「{}」の目標は空欄と区別し、達成率・差の計算に入れていません。差・達成率は kaito が計算したものです。", crate::plan::PENDING))?;
    let last_col = hs.len() as u16 - 1;
    if !chart_rows.is_empty() && total.target.contains_key(&y) {
        let mut chart = Chart::new(ChartType::Column);
        let tcol = 3 + years.len() as u16;
        for (c, name_row) in [(tcol, 0u32), (tcol + 1, 0)] {
            let cats: Vec<String> = chart_rows.iter().map(|r| format!("'効果額'!$C${}", r + 1)).collect();
            let vals: Vec<String> =
                chart_rows.iter().map(|r| format!("'効果額'!${}${}", crate::finding::column_letters(c as u32), r + 1)).collect();
            chart
                .add_series()
                .set_categories(&rust_xlsxwriter::ChartRange::new_from_string(&format!("=({})", cats.join(","))))
                .set_values(&rust_xlsxwriter::ChartRange::new_from_string(&format!("=({})", vals.join(","))))
                .set_name(("効果額", name_row, c));
        }
        chart.title().set_name(&format!("{}別の効果額 目標と実績({}、千円)", level_name(chart_level), crate::period::era_year(y)));
        chart.y_axis().set_num_format(AMOUNT_FORMAT);
        chart.legend().set_position(ChartLegendPosition::Bottom);
        xlsx::chart_type_size(&mut chart);
        chart.set_width(760).set_height(360);
        crate::xlsx::insert_chart_below(ws, total_row + 4, 2, &chart)?;
        crate::xlsx::packet_print(ws, 0, true, (total_row + 4 + 19, last_col), &widths)?;
    } else {
        crate::xlsx::packet_print(ws, 0, true, (total_row + 2, last_col), &widths)?;
    }
    ws.set_freeze_panes(1, 3)?;
    Ok(())
}

/// 指標: the items whose target is an indicator: target and actual of the reported year, and
/// whether it was reached (when both read as numbers).
fn indicator_sheet(wb: &mut Workbook, run: &CardRun, f: &Formats) -> Result<()> {
    let ws = wb.add_worksheet().set_name("指標")?;
    let y = run.period.fiscal_year;
    let widths = xlsx::packet_widths(&[10.0, 36.0, 24.0, 12.0, 12.0, 10.0], true);
    crate::write::header_row(ws, 0, &["番号", "取組内容", "指標", "目標", "実績", "達成"], &widths, f)?;
    let actual_key = run
        .form
        .fields
        .iter()
        .find(|x| {
            x.target
                .as_deref()
                .and_then(|t| run.form.field(t))
                .is_some_and(|t| t.plan_values == Some(crate::form::PlanValues::IndicatorTargets))
        })
        .map(|x| x.key.clone());
    let mut r = 1;
    for p in run.plan.projects.iter().filter(|p| p.indicator.is_some()) {
        let ind = p.indicator.as_ref().expect("filtered");
        let target = ind.by_year.get(&y).cloned().unwrap_or_else(|| ind.target.clone());
        let actual =
            actual_key.as_ref().and_then(|k| run.answer(&p.code).and_then(|a| a.card.year(k, y))).map(|x| x.text()).unwrap_or_default();
        put_text(ws, r, 0, &p.code, &f.text)?;
        put_text(ws, r, 1, &p.name, &f.wrap)?;
        put_text(ws, r, 2, &ind.name, &f.wrap)?;
        put_text(ws, r, 3, &target, &f.text)?;
        put_text(ws, r, 4, &actual, &f.text)?;
        let num = |t: &str| crate::normalize::amount_from_text(t).amount.value();
        let reached = match (num(&actual), num(&target)) {
            (Some(a), Some(t)) => {
                if a >= t {
                    "達成"
                } else {
                    "未達成"
                }
            }
            _ if actual.trim().is_empty() => "未報告",
            _ => "判定できません",
        };
        put_text(ws, r, 5, reached, &f.text)?;
        r += 1;
    }
    if r == 1 {
        ws.write_string(1, 0, "指標を目標とする取組はありません")?;
    }
    crate::xlsx::packet_print(ws, 0, true, (r.max(2), 5), &widths)?;
    Ok(())
}

fn missing_sheet(wb: &mut Workbook, run: &CardRun, f: &Formats) -> Result<()> {
    let ws = wb.add_worksheet().set_name("未提出")?;
    crate::write::header_row(ws, 0, &["所管課", "番号", "取組内容"], &[18.0, 12.0, 50.0], f)?;
    let mut list: Vec<_> = run.missing.iter().collect();
    list.sort_by(|a, b| a.department.cmp(&b.department));
    for (i, m) in list.iter().enumerate() {
        put_text(ws, i as u32 + 1, 0, &m.department, &f.text)?;
        put_text(ws, i as u32 + 1, 1, &m.project, &f.text)?;
        put_text(ws, i as u32 + 1, 2, &m.name, &f.text)?;
    }
    if list.is_empty() {
        ws.write_string(1, 0, "未提出の取組はありません")?;
    }
    crate::write::table_print(ws, 0, false, ((list.len() as u32).max(1), 2))?;
    Ok(())
}

/// `kaito feedback` for cards defined by their fields.
pub fn feedback(run: &CardRun, output: &Path, letter: &crate::feedback::Letter) -> Result<Vec<(PathBuf, Vec<u8>, FeedbackSent)>> {
    crate::feedback::render_all(&run.plan, run.period, &run.findings, &run.missing, letter, output, &|wb, fb| {
        let mut taken = vec!["差戻し一覧".to_string()];
        for a in run.answers.iter().filter(|a| run.plan.project(&a.item).is_some_and(|p| p.responding_department() == fb.department)) {
            let Some(p) = run.plan.project(&a.item).filter(|p| fb.to_fix(&p.code)) else { continue };
            let name = safe_sheet_name(&p.code, &taken);
            taken.push(name.clone());
            let ws = wb.add_worksheet().set_name(&name)?;
            let values = CardValues::from_card(&a.card, &run.form, |y| y <= run.period.fiscal_year);
            draw_card(
                ws,
                &run.plan,
                &run.form,
                run.period,
                p,
                &values,
                &CardOptions { shade_inputs: true, notes: notes(run, a, &[Severity::Error, Severity::Warning]), ..Default::default() },
            )?;
        }
        Ok(())
    })
}

/// Values carried into the sheets sent out: earlier years of the grid rows from the latest
/// earlier card of each item.
pub fn previous_values(
    cards: Vec<crate::intake::ReadFile<CardSheet>>,
    plan: &Plan,
    form: &FormDef,
    period: Period,
) -> BTreeMap<String, CardValues> {
    let code_key = form.field_of(Kind::Code).map(|f| f.key.clone()).unwrap_or_default();
    let mut best: BTreeMap<String, (Period, CardSheet)> = BTreeMap::new();
    for c in cards.into_iter().flat_map(|f| f.sheets) {
        let (Some(p), Some((cp, _))) = (plan.project(&c.text(&code_key)), c.period.clone()) else { continue };
        if cp < period && best.get(&p.code).is_none_or(|(bp, _)| cp > *bp) {
            best.insert(p.code.clone(), (cp, c));
        }
    }
    best.into_iter()
        .map(|(code, (_, c))| {
            let mut v = CardValues::from_card(&c, form, |y| y < period.fiscal_year);
            // Narratives and judgements are this report's to write; earlier years' values carry.
            v.once.clear();
            for lines in v.lines.values_mut() {
                for m in lines.iter_mut() {
                    m.remove(&0);
                }
            }
            (code, v)
        })
        .collect()
}

/// The difference a card shows for a year (for callers outside the drawer).
pub fn card_difference(card: &CardSheet, p: &Project, form: &FormDef, f: &FieldDef, year: i32) -> Option<i64> {
    let [a, b] = f.difference_of.as_ref()?;
    difference(card, p, form, a, b, year)
}

/// One numbered target as judged: its item, its state (a word of the judgement vocabulary,
/// 未判定 when due and not judged, 判定前 when not yet due), and its explanation.
#[derive(Debug, Clone)]
pub struct Judged {
    pub item: String,
    pub item_name: String,
    pub number: String,
    pub text: String,
    pub state: String,
    pub explanation: String,
}

pub const NOT_JUDGED: &str = "未判定";
pub const NOT_DUE: &str = "判定前";

/// The judgement field and the explanation field of the form's targets block.
fn target_fields(form: &FormDef) -> Option<(&FieldDef, Option<&FieldDef>)> {
    let columns = form.blocks.iter().find_map(|b| match b {
        Block::Targets { columns } => Some(columns),
        _ => None,
    })?;
    let fields: Vec<&FieldDef> = columns.iter().filter_map(|k| form.field(k)).collect();
    let judgement = *fields.iter().find(|f| matches!(f.kind, Kind::Judgement | Kind::Status))?;
    let explanation = fields.iter().copied().find(|f| f.from == Source::Department && f.key != judgement.key);
    Some((judgement, explanation))
}

/// Every numbered target of the plan's items that exist in the reported year, as judged.
pub fn judgements(run: &CardRun) -> Vec<Judged> {
    let Some((jf, ef)) = target_fields(&run.form) else { return vec![] };
    let words = jf.vocabulary.as_deref().map(|v| run.plan.list(v)).unwrap_or_default();
    let hints: Vec<(String, String)> = run.form.hints.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let y = run.period.fiscal_year;
    let mut out = Vec::new();
    for p in run.plan.projects.iter().filter(|p| p.set_year.is_none_or(|s| s <= y)) {
        let card = run.answer(&p.code).map(|a| &a.card);
        for (j, t) in p.targets.iter().enumerate() {
            let value = |key: &str| {
                card.and_then(|c| c.lines.get(key)).and_then(|ls| ls.get(j)).and_then(|m| m.get(&0)).map(|f| f.text()).unwrap_or_default()
            };
            let written = value(&jf.key);
            let state = match crate::normalize::status(&written, &words, &hints) {
                crate::normalize::Status::Code { code, .. } => code,
                _ if !t.is_due(y) => NOT_DUE.to_string(),
                _ => NOT_JUDGED.to_string(),
            };
            out.push(Judged {
                item: p.code.clone(),
                item_name: p.name.clone(),
                number: crate::table::circled(t.number.parse().unwrap_or(j as u32 + 1)),
                text: t.text.clone(),
                state,
                explanation: ef.map(|f| value(&f.key)).unwrap_or_default(),
            });
        }
    }
    out
}

/// The columns of a judgement tally: the vocabulary, then 未判定 and 判定前.
pub fn judgement_columns(run: &CardRun) -> Vec<String> {
    let mut cols = target_fields(&run.form).and_then(|(jf, _)| jf.vocabulary.as_deref()).map(|v| run.plan.list(v)).unwrap_or_default();
    cols.extend([NOT_JUDGED.to_string(), NOT_DUE.to_string()]);
    cols
}

/// Counts of judged states per group key.
pub fn tally_by(judged: &[Judged], key: &dyn Fn(&Judged) -> Vec<String>) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut out: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for j in judged {
        for k in key(j) {
            *out.entry(k).or_default().entry(j.state.clone()).or_default() += 1;
        }
    }
    out
}

/// The top-level node of an item.
pub fn top_node(plan: &Plan, code: &str) -> Option<String> {
    plan.project(code).and_then(|p| p.node.as_deref()).map(|n| plan.node_path(n)).and_then(|path| path.first().map(|n| n.number.clone()))
}

/// The reasons list (the targets judged with a word that needs a reason), then the tallies by
/// 方針, by the card's short plan columns (区分) and by department (推進課 and 実施課 both count).
fn judgement_sheets(wb: &mut Workbook, run: &CardRun, f: &Formats) -> Result<()> {
    let judged = judgements(run);
    let reason_words = target_fields(&run.form)
        .and_then(|(_, ef)| ef)
        .and_then(|ef| ef.required_when.as_ref())
        .map(|w| run.plan.list(&w.list))
        .unwrap_or_default();
    let ws = wb.add_worksheet().set_name(format!("{}の目標", reason_words.first().cloned().unwrap_or_else(|| "未達成".into())))?;
    let widths = xlsx::packet_widths(&[6.0, 30.0, 40.0, 9.0, 60.0], true);
    crate::write::header_row(ws, 0, &["№", "取組内容", "目標", "判定", "理由・説明"], &widths, f)?;
    let mut r = 1;
    for j in judged.iter().filter(|j| reason_words.contains(&j.state)) {
        put_text(ws, r, 0, &j.item, &f.text)?;
        put_text(ws, r, 1, &j.item_name, &f.wrap)?;
        put_text(ws, r, 2, &format!("{} {}", j.number, j.text), &f.wrap)?;
        put_text(ws, r, 3, &j.state, &f.text)?;
        put_text(ws, r, 4, if j.explanation.is_empty() { "(理由が書かれていません)" } else { &j.explanation }, &f.wrap)?;
        ws.set_row_height(
            r,
            (crate::draw::lines(&j.explanation, widths[4]).max(crate::draw::lines(&j.text, widths[2])) * 14.0 + 4.0).clamp(20.0, 409.0),
        )?;
        r += 1;
    }
    if r == 1 {
        ws.write_string(1, 0, "該当する目標はありません")?;
    }
    xlsx::packet_print(ws, 0, true, (r.max(2), 4), &widths)?;

    let ws = wb.add_worksheet().set_name("判定状況")?;
    let cols = judgement_columns(run);
    let mut headers: Vec<String> = vec!["集計の単位".into(), "名称".into()];
    headers.extend(cols.iter().cloned());
    headers.push("目標数".into());
    let hs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut widths = vec![14.0, 30.0];
    widths.extend(std::iter::repeat_n(9.0, cols.len() + 1));
    let widths = xlsx::packet_widths(&widths, true);
    crate::write::header_row(ws, 0, &hs, &widths, f)?;
    let row = std::cell::Cell::new(1u32);
    let write = |ws: &mut Worksheet, unit: &str, name: &str, counts: &BTreeMap<String, u64>, bold: bool| -> Result<u32> {
        let r = row.get();
        let (tf, af) = if bold { (&f.total, &f.total_amount) } else { (&f.text, &f.amount) };
        put_text(ws, r, 0, unit, tf)?;
        put_text(ws, r, 1, name, tf)?;
        for (i, c) in cols.iter().enumerate() {
            ws.write_number_with_format(r, 2 + i as u16, counts.get(c).copied().unwrap_or(0) as f64, af)?;
        }
        ws.write_number_with_format(r, 2 + cols.len() as u16, counts.values().sum::<u64>() as f64, af)?;
        row.set(r + 1);
        Ok(r)
    };
    let level0 = run.plan.levels.first().cloned().unwrap_or_default();
    let by_node = tally_by(&judged, &|j| top_node(&run.plan, &j.item).into_iter().collect());
    let mut node_rows = Vec::new();
    for n in run.plan.nodes.iter().filter(|n| n.level == 0) {
        node_rows.push(write(ws, &format!("{level0}{}", n.number), &n.name, by_node.get(&n.number).unwrap_or(&BTreeMap::new()), false)?);
    }
    let all = tally_by(&judged, &|_| vec![String::new()]);
    write(ws, "合計", "", all.get("").unwrap_or(&BTreeMap::new()), true)?;
    row.set(row.get() + 1);
    // The card's short plan columns (区分): each a grouping of its own.
    for col in run.form.fields.iter().filter(|x| {
        x.from == Source::Plan
            && x.plan_column.is_some()
            && run.form.blocks.iter().any(|b| matches!(b, Block::Pairs { fields } if fields.contains(&x.key)))
    }) {
        let name = col.plan_column.clone().unwrap_or_default();
        let groups =
            tally_by(&judged, &|j| run.plan.project(&j.item).and_then(|p| p.attr(&name)).map(str::to_string).into_iter().collect());
        for (g, counts) in &groups {
            write(ws, &col.labels[0], g, counts, false)?;
        }
        row.set(row.get() + 1);
    }
    // Departments: every 推進課 and every 実施課 of an item counts the item's targets.
    let lead = tally_by(&judged, &|j| {
        run.plan
            .project(&j.item)
            .map(|p| p.departments.iter().filter(|d| d.as_str() != crate::plan::RELATED).cloned().collect())
            .unwrap_or_default()
    });
    let implementing = tally_by(&judged, &|j| run.plan.project(&j.item).map(|p| p.implementing.clone()).unwrap_or_default());
    for (d, counts) in &lead {
        write(ws, "推進課", d, counts, false)?;
    }
    for (d, counts) in &implementing {
        write(ws, "実施課", d, counts, false)?;
    }
    let r = row.get();
    ws.write_string(
        r + 1,
        0,
        "課別は、取組の推進課・実施課のそれぞれに、その取組の目標を数えています(推進課が2つある取組は、両方の課に数えます)。そのため課別の合計は目標数より多くなります。",
    )?;
    let last_col = 2 + cols.len() as u16;
    if !node_rows.is_empty() && !judged.is_empty() {
        let mut chart = Chart::new(ChartType::BarStacked);
        let attention: Vec<String> = run.form.attention_lists().iter().flat_map(|l| run.plan.list(l)).collect();
        let colors = xlsx::status_colors(&cols[..cols.len() - 2], &attention, 2);
        for (i, word) in cols.iter().enumerate() {
            // A state no target is in adds only a legend entry.
            if !judged.iter().any(|j| &j.state == word) {
                continue;
            }
            let c = 2 + i as u16;
            let cats: Vec<String> = node_rows.iter().map(|r| format!("'判定状況'!$B${}", r + 1)).collect();
            let vals: Vec<String> =
                node_rows.iter().map(|r| format!("'判定状況'!${}${}", crate::finding::column_letters(c as u32), r + 1)).collect();
            chart
                .add_series()
                .set_categories(&rust_xlsxwriter::ChartRange::new_from_string(&format!("=({})", cats.join(","))))
                .set_values(&rust_xlsxwriter::ChartRange::new_from_string(&format!("=({})", vals.join(","))))
                .set_name(("判定状況", 0, c))
                .set_format(
                    rust_xlsxwriter::ChartFormat::new().set_solid_fill(rust_xlsxwriter::ChartSolidFill::new().set_color(colors[i])),
                );
        }
        xlsx::chart_type_size(&mut chart);
        chart.title().set_name(&format!("{level0}別の目標の達成({})", run.period.japanese()));
        chart.y_axis().set_reverse();
        chart.legend().set_position(ChartLegendPosition::Bottom);
        chart.set_width(720).set_height(300);
        crate::xlsx::insert_chart_below(ws, r + 3, 1, &chart)?;
        crate::xlsx::packet_print(ws, 0, true, (r + 3 + 16, last_col), &widths)?;
    } else {
        crate::xlsx::packet_print(ws, 0, true, (r + 1, last_col), &widths)?;
    }
    Ok(())
}
