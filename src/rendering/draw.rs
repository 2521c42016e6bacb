//! Drawing a response sheet in the reference layout from the plan and (optionally) answers.
//!
//! One drawer serves every sheet kaito writes: the sample answers, the blank sheets sent out,
//! and the project sheets of the council packet, so they all read back with the same reader.

use crate::layout::Layout;
use crate::period::{Half, Period, year_header};
use crate::plan::{Activity, Outcome, Plan, Project};
use crate::xlsx::{self, put_text};
use anyhow::Result;
use rust_xlsxwriter::{Color, DataValidation, DataValidationRule, Format, FormatAlign, FormatBorder, Note, Worksheet};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A value typed into an input cell: text, or a number as Excel stores it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Input {
    Number(f64),
    Text(String),
}

impl Input {
    pub fn text(&self) -> String {
        match self {
            Input::Number(n) => crate::grid::Value::Number(*n).text(),
            Input::Text(t) => t.clone(),
        }
    }
}

/// What a department wrote (or what was read back from a sheet), to draw into the sheet.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Answers {
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub person: Option<String>,
    #[serde(default)]
    pub contact: Option<String>,
    /// Per activity, per half-year (`2021H1`): the status as typed.
    #[serde(default)]
    pub statuses: Vec<BTreeMap<String, Input>>,
    #[serde(default)]
    pub progress: Option<String>,
    #[serde(default)]
    pub results: Vec<Option<String>>,
    #[serde(default)]
    pub countermeasures: Option<String>,
    /// Per fiscal year (`2020`): the amount as typed, and what produced it.
    #[serde(default)]
    pub effect: BTreeMap<i32, Input>,
    #[serde(default)]
    pub basis: BTreeMap<i32, String>,
    /// The activities and outcomes as the sheet lists them. The drawer uses the plan's; these
    /// only fill in lines the plan lacks (a plan without a 活動 sheet, a row a department
    /// added), so that no status or result read is left undrawn.
    #[serde(default)]
    pub activities: Vec<Activity>,
    #[serde(default)]
    pub outcomes: Vec<Outcome>,
    /// Text found outside the form's fields: (its cell on the department's sheet, the text).
    #[serde(default)]
    pub extra: Vec<(String, String)>,
}

impl Answers {
    /// What a sheet says, as answers to draw again: statuses as their normalised code (the
    /// text as typed when it is not a code), amounts as numbers when they read as one, texts
    /// as written. `keep_half` and `keep_year` choose which statuses and effect years to take.
    pub fn from_sheet(
        s: &crate::read::ResponseSheet,
        ctx: &crate::validate::Context,
        keep_half: impl Fn(Period) -> bool,
        keep_year: impl Fn(i32) -> bool,
    ) -> Answers {
        use crate::normalize::{Amount, Status};
        use crate::validate::{amount_of, status_of};
        let text = |f: &Option<crate::read::Field>| f.as_ref().map(|f| f.text()).filter(|t| !t.is_empty());
        let mut a = Answers {
            department: text(&s.responding_department),
            person: text(&s.person),
            contact: text(&s.contact),
            progress: text(&s.progress),
            countermeasures: text(&s.countermeasures),
            ..Default::default()
        };
        for act in &s.activities {
            let mut m = BTreeMap::new();
            for (p, f) in act.status.iter().filter(|(p, f)| keep_half(**p) && !f.is_empty()) {
                let shown = match status_of(f, ctx) {
                    Status::Code { code, .. } => code,
                    _ => f.text(),
                };
                m.insert(p.code(), Input::Text(shown));
            }
            a.statuses.push(m);
        }
        a.results = s.outcomes.iter().map(|o| Some(o.result.text()).filter(|t| !t.is_empty())).collect();
        a.activities = s
            .activities
            .iter()
            .map(|act| Activity {
                name: act.name.text(),
                schedule: act
                    .schedule
                    .iter()
                    .map(|(y, f)| (*y, f.text()))
                    .filter(|(_, t)| !t.trim().is_empty())
                    .map(|(y, t)| (y, t.into()))
                    .collect(),
            })
            .collect();
        a.outcomes = s.outcomes.iter().map(|o| Outcome { target_year: o.target_year.text(), text: o.text.text() }).collect();
        a.extra = s.extra.iter().map(|f| (f.a1(), f.text())).collect();
        for (y, e) in s.effect.iter().filter(|(y, _)| keep_year(**y)) {
            match amount_of(&e.amount).amount {
                Amount::Value(v) => {
                    a.effect.insert(*y, Input::Number(v as f64));
                }
                Amount::Empty => {}
                _ => {
                    a.effect.insert(*y, Input::Text(e.amount.text()));
                }
            }
            if !e.basis.is_empty() {
                a.basis.insert(*y, e.basis.text());
            }
        }
        a
    }
}

/// How to draw: the reference layout merges cells; departments' copies sometimes lose the
/// merges or gain blank rows, and tests draw those variants with the same code.
#[derive(Debug, Clone)]
pub struct DrawOptions {
    pub merge: bool,
    /// Blank rows inserted before each block (as departments insert rows).
    pub spacer_rows: u32,
    /// A sheet to send out: only this half's input cells unlocked, with data validation
    /// (the caller protects the sheet); carried values and plan text locked.
    pub template: bool,
    /// Input cells to highlight, by key (`progress`, `status/0/2021H1`…), with the note to
    /// attach: the message and suggestion of a finding.
    pub notes: BTreeMap<String, String>,
    /// The council's copy: no input shading, columns fitted to print at readable size, and
    /// the notes as a neutral mark on the cell with a 注 line under the sheet instead of a
    /// coloured cell with a comment.
    pub council: bool,
}

impl Default for DrawOptions {
    fn default() -> Self {
        DrawOptions { merge: true, spacer_rows: 0, template: false, notes: BTreeMap::new(), council: false }
    }
}

/// Length limits of the text input cells of a sheet sent out (characters).
pub const NARRATIVE_LIMIT: u32 = 2000;
pub const RESULT_LIMIT: u32 = 1000;
pub const SHORT_LIMIT: u32 = 100;

struct Styles {
    title: Format,
    label: Format,
    label_center: Format,
    text: Format,
    input: Format,
    amount_input: Format,
    /// Carried values of earlier halves: shown, not typed.
    carried: Format,
    carried_amount: Format,
    /// A status cell not due this half.
    not_due: Format,
    /// Fill of a cell that has an error finding.
    alert: Color,
}

fn styles(template: bool, council: bool) -> Styles {
    let base = Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter).set_text_wrap();
    let label = base.clone().set_background_color(Color::RGB(0xE7E6E6));
    let mut input = if council { base.clone() } else { base.clone().set_background_color(Color::RGB(0xFFF9DB)) };
    if template {
        input = input.set_unlocked();
    }
    let carried = if template { base.clone() } else { input.clone() };
    Styles {
        title: Format::new().set_bold().set_font_size(13).set_align(FormatAlign::Center),
        label_center: label.clone().set_align(FormatAlign::Center),
        not_due: base.clone().set_background_color(Color::RGB(0xBFBFBF)),
        label,
        text: base.clone(),
        amount_input: input.clone().set_num_format(xlsx::AMOUNT_FORMAT).set_align(FormatAlign::Right),
        carried_amount: carried.clone().set_num_format(xlsx::AMOUNT_FORMAT).set_align(FormatAlign::Right),
        carried,
        input,
        alert: Color::RGB(0xF8CBAD),
    }
}

fn text_rule(what: &str, limit: u32) -> Result<DataValidation> {
    Ok(DataValidation::new()
        .allow_text_length(DataValidationRule::LessThanOrEqualTo(limit))
        .set_input_title(what)?
        .set_input_message(format!("{what}を {limit} 文字以内で入力してください。"))?
        .set_error_title("文字数が多すぎます")?
        .set_error_message(format!("{what}は {limit} 文字以内です。要点を絞るか、別紙にしてください。"))?)
}

fn status_rule(vocabulary: &[String]) -> Result<DataValidation> {
    let codes = vocabulary.join(" / ");
    Ok(DataValidation::new()
        .allow_list_strings(vocabulary)?
        .set_input_title("進捗区分")?
        .set_input_message(format!("この半期の進捗を一覧から選んでください: {codes}"))?
        .set_error_title("進捗区分にない値です")?
        .set_error_message(format!("進捗区分は {codes} のいずれかです。一覧から選んでください。"))?)
}

fn amount_rule() -> Result<DataValidation> {
    Ok(DataValidation::new()
        .allow_whole_number(DataValidationRule::Between(-999_999_999, 999_999_999))
        .set_input_title("効果額(千円)")?
        .set_input_message("千円単位の整数で入力してください。マイナスは -1200 と入力すると △1,200 と表示されます。効果がない場合は 0。")?
        .set_error_title("整数で入力してください")?
        .set_error_message("効果額は千円単位の整数です(例: 14235)。「千円」や桁区切りは不要です。")?)
}

/// Writes `text` over rows r1..=r2, columns c1..=c2: merged when asked (and when it is more
/// than one cell), else into the top-left cell with the others left blank but formatted. The
/// text goes in with the merge: written after it, every merged field of every packet sheet
/// looked its format up twice.
fn span(ws: &mut Worksheet, opts: &DrawOptions, (r1, c1, r2, c2): (u32, u16, u32, u16), text: &str, f: &Format) -> Result<()> {
    let text = crate::xlsx::cell_text(text);
    if opts.merge && (r1 != r2 || c1 != c2) {
        ws.merge_range(r1, c1, r2, c2, text, f)?;
        return Ok(());
    }
    for r in r1..=r2 {
        for c in c1..=c2 {
            if (r, c) != (r1, c1) || text.is_empty() {
                ws.write_blank(r, c, f)?;
            }
        }
    }
    if !text.is_empty() {
        ws.write_string_with_format(r1, c1, text, f)?;
    }
    Ok(())
}

/// Height in points of one line of 11-point text, and the padding of a cell.
const LINE: f64 = 14.0;
const PAD: f64 = 4.0;

/// Width of a text in Excel characters (full-width characters count two).
fn lines_units(text: &str) -> f64 {
    text.chars().map(|c| if c.is_ascii() { 1.0 } else { 2.0 }).sum()
}

/// Lines `text` takes in a cell `width` characters wide (full-width characters count two).
pub fn lines(text: &str, width: f64) -> f64 {
    crate::xlsx::text_lines(text, width)
}

/// Where things landed: every input cell by key, the key cells for defined names, and the
/// row heights and column widths (for page counting).
#[derive(Debug, Clone, Default)]
pub struct Drawn {
    pub last_row: u32,
    pub last_col: u16,
    /// (row, col) of the first cell of each block: code, progress, countermeasures…
    pub cells: BTreeMap<&'static str, (u32, u16)>,
    /// Every input cell by key: `department`, `person`, `contact`, `status/{i}/{2021H1}`,
    /// `progress`, `result/{i}`, `countermeasures`, `effect/{year}`, `basis/{year}`.
    pub places: BTreeMap<String, (u32, u16)>,
    pub row_heights: Vec<f64>,
    pub col_widths: Vec<f64>,
    /// The 注 lines written under the sheet (council's copy).
    pub footnotes: Vec<String>,
    /// The print scale set.
    pub scale: u16,
}

struct Pen<'a> {
    opts: &'a DrawOptions,
    drawn: Drawn,
}

impl Pen<'_> {
    fn height(&mut self, ws: &mut Worksheet, row: u32, points: f64) -> Result<()> {
        let h = &mut self.drawn.row_heights;
        if h.len() <= row as usize {
            h.resize(row as usize + 1, 15.0);
        }
        h[row as usize] = points;
        ws.set_row_height(row, points)?;
        Ok(())
    }

    fn heights(&self, from: u32, to: u32) -> f64 {
        (from..=to).map(|r| self.drawn.row_heights.get(r as usize).copied().unwrap_or(15.0)).sum()
    }

    /// Grows rows `rows` evenly until together they are at least `needed` points tall.
    fn grow(&mut self, ws: &mut Worksheet, rows: &[u32], needed: f64, from: u32, to: u32) -> Result<()> {
        let have = self.heights(from, to);
        if needed > have && !rows.is_empty() {
            let extra = (needed - have) / rows.len() as f64;
            for &r in rows {
                let h = self.drawn.row_heights.get(r as usize).copied().unwrap_or(15.0);
                self.height(ws, r, (h + extra).min(409.0))?;
            }
        }
        Ok(())
    }

    /// An input cell: recorded by key, highlighted with a note when a finding is about it.
    fn input(
        &mut self,
        ws: &mut Worksheet,
        key: String,
        area: (u32, u16, u32, u16),
        value: Option<&Input>,
        f: &Format,
        alert: Color,
    ) -> Result<()> {
        let note = self.opts.notes.get(&key);
        let f = match note {
            Some(_) if self.opts.council => crate::xlsx::marked(f),
            Some(_) => f.clone().set_background_color(alert),
            None => f.clone(),
        };
        match value {
            Some(Input::Number(n)) => {
                span(ws, self.opts, area, "", &f)?;
                ws.write_number_with_format(area.0, area.1, *n, &f)?;
            }
            Some(Input::Text(t)) => span(ws, self.opts, area, t, &f)?,
            None => span(ws, self.opts, area, "", &f)?,
        }
        if let Some(text) = note
            && self.opts.council
        {
            let n = self.drawn.footnotes.len() + 1;
            self.drawn.footnotes.push(crate::xlsx::footnote_text(n, &crate::finding::a1(area.0, area.1 as u32), text));
        } else if let Some(text) = note {
            let text: String = text.chars().take(2000).collect();
            ws.insert_note(area.0, area.1, &Note::new(text).set_author("kaito").add_author_prefix(false).set_width(360).set_height(160))?;
        }
        self.drawn.places.insert(key, (area.0, area.1));
        Ok(())
    }
}

/// Draws one project's response sheet for `period`.
pub fn response_sheet(
    ws: &mut Worksheet,
    plan: &Plan,
    project: &Project,
    period: Period,
    answers: &Answers,
    layout: &Layout,
    opts: &DrawOptions,
) -> Result<Drawn> {
    let l = &layout.labels;
    let g = &layout.geometry;
    let s = styles(opts.template, opts.council);
    let validate = |ws: &mut Worksheet, (r1, c1, r2, c2): (u32, u16, u32, u16), rule: Result<DataValidation>| -> Result<()> {
        if opts.template {
            ws.add_data_validation(r1, c1, r2, c2, &rule?)?;
        }
        Ok(())
    };
    let years = project.years(plan);
    let lc = g.label_columns; // label columns (A..C)
    let first_year_col = lc;
    let narrative = lc + 2 * years.len() as u16; // L
    let last = narrative;
    let mut pen = Pen { opts, drawn: Drawn { last_col: last, ..Default::default() } };

    let mut widths: Vec<f64> = g.label_widths.clone();
    widths.extend(std::iter::repeat_n(g.half_width, 2 * years.len()));
    widths.push(g.narrative_width);
    if opts.council {
        // Status columns keep room for the longest status word: a word cut at the cell edge
        // would print as something the department did not write. The text columns give way.
        let word = plan.vocabulary.iter().map(|w| lines_units(w)).fold(0.0, f64::max) + 1.0;
        let mut floors: Vec<f64> = vec![8.0, 8.0, 4.0];
        floors.resize(lc as usize, 4.0);
        floors.extend(std::iter::repeat_n(word, 2 * years.len()));
        floors.push(20.0);
        let fitted = crate::xlsx::fit_widths_above(&widths, &floors, true);
        // A plan of many years: the whole card narrows (page counting assumes one page wide).
        widths = if crate::xlsx::scale_for(&fitted, true) >= crate::xlsx::MIN_PRINT_SCALE {
            fitted
        } else {
            crate::xlsx::fit_widths(&widths, true)
        };
    }
    let half_width = widths[lc as usize];
    for (i, w) in widths.iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    let width_of = |from: u16, to: u16| -> f64 { widths[from as usize..=to as usize].iter().sum() };

    let mut r = 0u32;
    span(ws, opts, (r, 0, r, last), &format!("{} {}", plan.name, l.title_suffix), &s.title)?;
    pen.height(ws, r, 20.0)?;
    r += 1;
    span(ws, opts, (r, 0, r, last), &format!("< {}[{}] >", crate::period::era_year(period.fiscal_year), period.half.label()), &s.title)?;
    pen.height(ws, r, 18.0)?;
    r += 1;
    let right = last.saturating_sub(3);
    span(ws, opts, (r, 0, r, right - 1), &plan.theme_path(project.theme), &s.text)?;
    span(ws, opts, (r, right, r, last), &l.direction, &s.label_center)?;
    pen.height(ws, r, 18.0)?;
    r += 1;
    span(ws, opts, (r, 0, r, right - 1), &project.title(), &s.text)?;
    pen.drawn.places.insert("title".into(), (r, 0));
    let mark = |b: bool| if b { layout.marks.yes.as_str() } else { layout.marks.no.as_str() };
    put_text(ws, r, right, &l.priority, &s.label_center)?;
    put_text(ws, r, right + 1, mark(project.priority), &s.label_center)?;
    put_text(ws, r, right + 2, &l.fiscal, &s.label_center)?;
    put_text(ws, r, right + 3, mark(project.fiscal), &s.label_center)?;
    pen.height(ws, r, (lines(&project.title(), width_of(0, right - 1)) * LINE + PAD).max(20.0))?;
    r += 1;

    // Identity row: code, then the three contact fields the department fills.
    put_text(ws, r, 0, &l.code, &s.label)?;
    span(ws, opts, (r, 1, r, 2), &project.code, &s.text)?;
    pen.drawn.cells.insert("code", (r, 1));
    pen.drawn.places.insert("code".into(), (r, 1));
    let id_fields: [(&str, &Option<String>, &'static str); 3] = [
        (&l.department, &answers.department, "department"),
        (&l.person, &answers.person, "person"),
        (&l.contact, &answers.contact, "contact"),
    ];
    let mut c = 3u16;
    for (i, (label, value, key)) in id_fields.iter().enumerate() {
        put_text(ws, r, c, label, &s.label)?;
        let end = if i == 2 { last.max(c + 2) } else { c + 2 };
        pen.input(ws, key.to_string(), (r, c + 1, r, end), value.as_ref().map(|v| Input::Text(v.clone())).as_ref(), &s.input, s.alert)?;
        validate(ws, (r, c + 1, r, c + 1), text_rule(label, SHORT_LIMIT))?;
        pen.drawn.cells.insert(key, (r, c + 1));
        c += 3;
    }
    pen.height(ws, r, 20.0)?;
    r += 1;
    for (label, text) in [(&l.purpose, &project.purpose), (&l.overview, &project.overview)] {
        put_text(ws, r, 0, label, &s.label)?;
        span(ws, opts, (r, 1, r, last), text, &s.text)?;
        pen.height(ws, r, (lines(text, width_of(1, last)) * LINE + PAD).max(30.0))?;
        r += 1;
    }
    r += opts.spacer_rows;

    // Activities.
    span(ws, opts, (r, 0, r, narrative - 1), &l.activities, &s.label)?;
    put_text(ws, r, narrative, &format!("{}{}", period.japanese(), l.progress_suffix), &s.label_center)?;
    r += 1;
    let head = r;
    span(ws, opts, (r, 0, r + 1, lc - 1), &l.activity_name, &s.label_center)?;
    for (i, y) in years.iter().enumerate() {
        let c = first_year_col + 2 * i as u16;
        span(ws, opts, (r, c, r, c + 1), &year_header(*y), &s.label_center)?;
        put_text(ws, r + 1, c, &l.first_half, &s.label_center)?;
        put_text(ws, r + 1, c + 1, &l.second_half, &s.label_center)?;
    }
    pen.height(ws, r, 30.0)?;
    pen.height(ws, r + 1, 18.0)?;
    r += 2;
    let mut activity_rows = Vec::new();
    let activities: Vec<Activity> =
        project.activities.iter().chain(answers.activities.iter().skip(project.activities.len())).cloned().collect();
    for (i, a) in activities.iter().enumerate() {
        r += if i > 0 { opts.spacer_rows } else { 0 };
        span(ws, opts, (r, 0, r + 1, lc - 2), &a.name, &s.text)?;
        put_text(ws, r, lc - 1, &l.schedule, &s.label_center)?;
        put_text(ws, r + 1, lc - 1, &l.status, &s.label_center)?;
        let mut plan_lines: f64 = 1.0;
        let mut status_lines: f64 = 1.0;
        for (j, y) in years.iter().enumerate() {
            let c = first_year_col + 2 * j as u16;
            let text = a.schedule.get(y).map(|s| &**s).unwrap_or("");
            plan_lines = plan_lines.max(lines(text, 2.0 * half_width));
            span(ws, opts, (r, c, r, c + 1), text, &s.text)?;
            for (k, half) in [Half::First, Half::Second].into_iter().enumerate() {
                let p = Period::new(*y, half);
                let value = answers.statuses.get(i).and_then(|m| m.get(&p.code()));
                if let Some(Input::Text(t)) = value {
                    status_lines = status_lines.max(lines(t, half_width));
                }
                let due = a.is_scheduled(*y);
                let f = if p == period {
                    if due { &s.input } else { &s.not_due }
                } else if p < period {
                    &s.carried
                } else {
                    &s.text
                };
                let at = (r + 1, c + k as u16, r + 1, c + k as u16);
                pen.input(ws, format!("status/{i}/{}", p.code()), at, value, f, s.alert)?;
                if p == period && due {
                    validate(ws, at, status_rule(&plan.vocabulary))?;
                    pen.drawn.cells.entry("status").or_insert((r + 1, c + k as u16));
                }
            }
        }
        pen.height(ws, r, (plan_lines * LINE + PAD).max(27.0))?;
        pen.height(ws, r + 1, (status_lines * LINE + PAD).max(18.0))?;
        pen.grow(ws, &[r], lines(&a.name, width_of(0, lc - 2)) * LINE + PAD, r, r + 1)?;
        activity_rows.extend([r, r + 1]);
        r += 2;
    }
    let progress_end = (r - 1).max(head + 1);
    pen.input(
        ws,
        "progress".into(),
        (head, narrative, progress_end, narrative),
        answers.progress.as_ref().map(|t| Input::Text(t.clone())).as_ref(),
        &s.input,
        s.alert,
    )?;
    let progress_rows = if activity_rows.is_empty() { vec![head, head + 1] } else { activity_rows.clone() };
    pen.grow(
        ws,
        &progress_rows,
        lines(answers.progress.as_deref().unwrap_or(""), widths[narrative as usize]) * LINE + PAD,
        head,
        progress_end,
    )?;
    validate(ws, (head, narrative, head, narrative), text_rule(l.progress(), NARRATIVE_LIMIT))?;
    pen.drawn.cells.insert("progress", (head, narrative));
    r += opts.spacer_rows;

    // Outcomes.
    span(ws, opts, (r, 0, r, narrative - 1), &l.outcomes, &s.label)?;
    put_text(ws, r, narrative, &l.countermeasures, &s.label_center)?;
    r += 1;
    let ohead = r;
    put_text(ws, r, 0, &l.target_year, &s.label_center)?;
    span(ws, opts, (r, 1, r, lc - 1), &l.target_text, &s.label_center)?;
    span(ws, opts, (r, first_year_col, r, narrative - 1), &l.result, &s.label_center)?;
    r += 1;
    let mut outcome_rows = Vec::new();
    let outcomes: Vec<Outcome> = project.outcomes.iter().chain(answers.outcomes.iter().skip(project.outcomes.len())).cloned().collect();
    for (i, o) in outcomes.iter().enumerate() {
        put_text(ws, r, 0, &o.target_year, &s.text)?;
        span(ws, opts, (r, 1, r, lc - 1), &o.text, &s.text)?;
        let result = answers.results.get(i).cloned().flatten();
        pen.input(
            ws,
            format!("result/{i}"),
            (r, first_year_col, r, narrative - 1),
            result.clone().map(Input::Text).as_ref(),
            &s.input,
            s.alert,
        )?;
        validate(ws, (r, first_year_col, r, first_year_col), text_rule(&format!("{}の{}", l.outcomes, l.result), RESULT_LIMIT))?;
        if i == 0 {
            pen.drawn.cells.insert("result", (r, first_year_col));
        }
        let need = lines(&o.text, width_of(1, lc - 1))
            .max(lines(&o.target_year, width_of(0, 0)))
            .max(lines(result.as_deref().unwrap_or(""), width_of(first_year_col, narrative - 1)));
        pen.height(ws, r, (need * LINE + PAD).max(30.0))?;
        outcome_rows.push(r);
        r += 1;
    }
    let cm_end = (r - 1).max(ohead);
    pen.input(
        ws,
        "countermeasures".into(),
        (ohead, narrative, cm_end, narrative),
        answers.countermeasures.as_ref().map(|t| Input::Text(t.clone())).as_ref(),
        &s.input,
        s.alert,
    )?;
    let cm_rows = if outcome_rows.is_empty() { vec![ohead] } else { outcome_rows };
    pen.grow(
        ws,
        &cm_rows,
        lines(answers.countermeasures.as_deref().unwrap_or(""), widths[narrative as usize]) * LINE + PAD,
        ohead,
        cm_end,
    )?;
    validate(ws, (ohead, narrative, ohead, narrative), text_rule(&l.countermeasures, NARRATIVE_LIMIT))?;
    pen.drawn.cells.insert("countermeasures", (ohead, narrative));
    r += opts.spacer_rows;

    // Fiscal effect.
    span(ws, opts, (r, 0, r, last), &l.effect, &s.label)?;
    r += 1;
    span(ws, opts, (r, 0, r, lc - 1), &l.effect_year, &s.label_center)?;
    for (i, y) in years.iter().enumerate() {
        let c = first_year_col + 2 * i as u16;
        span(ws, opts, (r, c, r, c + 1), &year_header(*y), &s.label_center)?;
    }
    pen.height(ws, r, 30.0)?;
    r += 1;
    span(ws, opts, (r, 0, r, lc - 2), &l.effect_amount, &s.label)?;
    put_text(ws, r, lc - 1, &l.result, &s.label_center)?;
    for (i, y) in years.iter().enumerate() {
        let c = first_year_col + 2 * i as u16;
        let current = *y == period.effect_year();
        pen.input(
            ws,
            format!("effect/{y}"),
            (r, c, r, c + 1),
            answers.effect.get(y),
            if current { &s.amount_input } else { &s.carried_amount },
            s.alert,
        )?;
        if current {
            validate(ws, (r, c, r, c), amount_rule())?;
            pen.drawn.cells.insert("effect", (r, c));
        }
    }
    pen.height(ws, r, 20.0)?;
    r += 1;
    span(ws, opts, (r, 0, r, lc - 2), &l.effect_basis, &s.label)?;
    put_text(ws, r, lc - 1, &l.result, &s.label_center)?;
    let mut basis_lines: f64 = 1.0;
    for (i, y) in years.iter().enumerate() {
        let c = first_year_col + 2 * i as u16;
        let current = *y == period.effect_year();
        let f = if current { &s.input } else { &s.carried };
        let text = answers.basis.get(y);
        basis_lines = basis_lines.max(lines(text.map(String::as_str).unwrap_or(""), 2.0 * half_width));
        pen.input(ws, format!("basis/{y}"), (r, c, r, c + 1), text.map(|t| Input::Text(t.clone())).as_ref(), f, s.alert)?;
        if current {
            validate(ws, (r, c, r, c), text_rule(&l.effect_basis, RESULT_LIMIT))?;
        }
    }
    pen.height(ws, r, (basis_lines * LINE + PAD).max(30.0))?;
    // What the department wrote outside the fields, kept where the council can see it.
    for (i, (cell, text)) in answers.extra.iter().enumerate() {
        r += 1;
        put_text(ws, r, 0, &format!("{}({cell})", l.extra), &s.label)?;
        pen.input(ws, format!("extra/{i}"), (r, 1, r, last), Some(&Input::Text(text.clone())), &s.text, s.alert)?;
        pen.height(ws, r, (lines(text, width_of(1, last)) * LINE + PAD).max(20.0))?;
    }
    if !pen.drawn.footnotes.is_empty() {
        let notes = pen.drawn.footnotes.clone();
        pen.drawn.row_heights.resize(r as usize + 1, 15.0);
        let heights = crate::xlsx::footnotes(ws, r + 1, &widths, &notes)?;
        pen.drawn.row_heights.extend(heights);
        r += notes.len() as u32;
    }
    pen.drawn.last_row = r;
    pen.drawn.col_widths = widths.clone();

    // An explicit scale that fits the width, rather than "fit to width": Excel and
    // LibreOffice would each pick their own scale and break pages in different places.
    pen.drawn.scale = crate::xlsx::document_print(ws, &widths, true, (r, last))?;
    if opts.council {
        // The packet numbers the project sheets itself (the 一覧表's 該当ページ).
        ws.set_footer(format!("&L{}&C&P", project.code));
    } else {
        ws.set_footer(format!("&L{}&R&P / &N", project.code));
    }
    Ok(pen.drawn)
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_count_full_width_as_two() {
        assert_eq!(super::lines("あいうえお", 11.0), 1.0);
        assert_eq!(super::lines("あいうえおか", 11.0), 2.0);
        assert_eq!(super::lines("abc\ndef", 44.0), 2.0);
    }
}
