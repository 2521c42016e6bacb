//! Writing the consolidated workbook (集計表) for the council, and saving any workbook safely.

use crate::consolidate::Consolidation;
use crate::finding::Severity;
use crate::normalize::{Amount, Status};
use crate::period::year_header;
use crate::validate::{self, Context};
use anyhow::Result;
use rust_xlsxwriter::{Chart, ChartLegendPosition, ChartType, DocProperties, Format, Workbook, Worksheet};
use std::collections::BTreeMap;

pub use crate::packet::Volumes;
pub use crate::xlsx::{
    AMOUNT_FORMAT, Formats, MAX_CELL_CHARS, header_row, put_text, safe_file_name, safe_sheet_name, save_atomic, table_print, xlsx_reason,
};

/// Amount cell contents as the department meant them: numbers as numbers, `-` and `/` as
/// written, unreadable text quoted as it was.
fn put_amount(ws: &mut Worksheet, row: u32, col: u16, amount: &Amount, raw: &str, f: &Formats) -> Result<()> {
    match amount {
        Amount::Value(v) => {
            ws.write_number_with_format(row, col, *v as f64, &f.amount)?;
        }
        Amount::Empty => {
            ws.write_blank(row, col, &f.text)?;
        }
        Amount::Nil => {
            ws.write_string_with_format(row, col, "-", &f.text)?;
        }
        Amount::NotApplicable => {
            ws.write_string_with_format(row, col, "/", &f.text)?;
        }
        Amount::Unreadable(_) => put_text(ws, row, col, raw, &f.text)?,
    }
    Ok(())
}

/// The sheets of the office workbook (事務用): the working lists the office checks and keeps,
/// never printed for the council. Every other sheet of a run belongs to the packet.
pub const OFFICE_SHEETS: [&str; 7] = ["概要", "要確認", "未提出", "事業一覧", "明細", "受付記録", "訂正"];

/// Where the office workbook's links to the packet point.
#[derive(Debug, Clone)]
pub enum Links {
    /// Both in one workbook.
    Same,
    /// The packet is the file at this path, relative to the office workbook when beside it.
    Packet(String),
}

impl Links {
    /// An `internal:'sheet'!A1` URL as seen from the office workbook.
    pub fn url(&self, internal: &str) -> String {
        match (self, internal.strip_prefix("internal:")) {
            (Links::Packet(path), Some(place)) => format!("file:///{path}#{place}"),
            _ => internal.to_string(),
        }
    }
}

/// The two workbooks of one run: the council's packet, and the office's working sheets
/// (`None` when they were kept in the packet's workbook, at its end).
pub struct Books {
    pub packet: Workbook,
    pub office: Option<Workbook>,
    /// Further volumes of project sheets (file name beside the packet, the volume), when there
    /// are more project sheets than one workbook should hold.
    pub volumes: Vec<(String, crate::packet::Volume)>,
}

/// The run's workbook with its project sheets, each in the packet (`None`) or in the volume
/// named beside it (given in order), split from the office sheets.
pub fn bind(
    mut wb: Workbook,
    office: Option<Workbook>,
    sheets: impl IntoIterator<Item = (Option<String>, Worksheet)>,
    props: &DocProperties,
    links: &Links,
    office_props: &DocProperties,
) -> Books {
    let mut more: Vec<(String, Workbook)> = Vec::new();
    for (volume, ws) in sheets {
        match volume {
            None => {
                wb.push_worksheet(ws);
            }
            Some(v) => {
                if more.last().is_none_or(|(name, _)| *name != v) {
                    let mut vb = Workbook::new();
                    vb.set_properties(props);
                    more.push((v.clone(), vb));
                }
                if let Some((_, vb)) = more.last_mut() {
                    vb.push_worksheet(ws);
                }
            }
        }
    }
    let mut books = split(wb, office, links, office_props);
    books.volumes = more.into_iter().map(|(name, vb)| (name, crate::packet::Volume::Drawn(Box::new(vb)))).collect();
    books
}

/// Splits a run's workbook: the office sheets ([`OFFICE_SHEETS`]) go to a workbook of their own
/// (`office`, the one [`workbooks`] made, or a new one), or, with [`Links::Same`], after the
/// packet's sheets in the same one.
pub fn split(mut wb: Workbook, office_book: Option<Workbook>, links: &Links, office_props: &DocProperties) -> Books {
    let sheets = std::mem::take(wb.worksheets_mut());
    let (mut office, mut order): (Vec<Worksheet>, Vec<Worksheet>) =
        sheets.into_iter().partition(|ws| OFFICE_SHEETS.contains(&crate::xlsx::list_name(&ws.name())));
    // Stable: a list's further sheets (`明細 (2)`…) stay after its first.
    office.sort_by_key(|ws| OFFICE_SHEETS.iter().position(|n| *n == crate::xlsx::list_name(&ws.name())));
    match links {
        Links::Same => {
            order.extend(office);
            *wb.worksheets_mut() = order;
            Books { packet: wb, office: None, volumes: Vec::new() }
        }
        Links::Packet(_) => {
            *wb.worksheets_mut() = order;
            let mut ob = office_book.unwrap_or_default();
            ob.set_properties(office_props);
            for ws in office {
                ob.push_worksheet(ws);
            }
            Books { packet: wb, office: Some(ob), volumes: Vec::new() }
        }
    }
}

/// The packet's workbook and, when the office sheets go apart ([`Links::Packet`]), the office's,
/// made before any sheet is drawn: a sheet written row by row ([`row_by_row`]) belongs to the
/// workbook that made it.
pub fn workbooks(links: &Links) -> (Workbook, Option<Workbook>) {
    (Workbook::new(), matches!(links, Links::Packet(_)).then(Workbook::new))
}

/// A sheet of `home` whose cells become the file's XML row by row as they are written, on the
/// core that draws it, held in a temporary file until the workbook is saved. A sheet of every
/// value of the run (明細) was otherwise turned into XML when the office workbook was saved, on
/// one core, after everything else was drawn: at 10,000 cards a second with the other core
/// idle. Its rows must be written in order. Where no temporary file can be made, an ordinary
/// sheet, held in memory.
pub fn row_by_row(home: &mut Workbook) -> Worksheet {
    home.new_worksheet_with_low_memory().unwrap_or_default()
}

/// Document properties of a run's workbooks, marked as kaito's so that a later run that finds
/// them among the returned files sets them aside.
pub fn run_properties(plan: &str, period: &crate::period::Period, what: &str) -> (DocProperties, DocProperties) {
    let packet = DocProperties::new()
        .set_title(format!("{plan} {} {what}", period.japanese()))
        .set_subject(format!("{plan} {} {what}", period.japanese()))
        .set_comment("kaito consolidate で作成")
        .set_custom_property(crate::grid::MADE_BY_PROPERTY, crate::intake::MADE_BY_PACKET);
    let office = DocProperties::new()
        .set_title(format!("{plan} {} 事務用", period.japanese()))
        .set_comment("kaito consolidate で作成(事務用)")
        .set_custom_property(crate::grid::MADE_BY_PROPERTY, crate::intake::MADE_BY_PACKET);
    (packet, office)
}

/// 表紙: the first page of the packet: the plan, the period, the date, and what follows.
pub fn cover_sheet(
    wb: &mut Workbook,
    plan: &str,
    title: &str,
    period: &crate::period::Period,
    contents: &[(String, String)],
) -> Result<()> {
    let ws = wb.add_worksheet().set_name("表紙")?;
    ws.set_column_width(0, 4)?;
    ws.set_column_width(1, 40)?;
    ws.set_column_width(2, 16)?;
    let big = Format::new().set_bold().set_font_size(20).set_align(rust_xlsxwriter::FormatAlign::Center);
    let mid = Format::new().set_font_size(16).set_align(rust_xlsxwriter::FormatAlign::Center);
    let body = Format::new().set_font_size(12);
    ws.merge_range(8, 0, 8, 2, plan, &big)?;
    ws.set_row_height(8, 30)?;
    ws.merge_range(10, 0, 10, 2, title, &mid)?;
    ws.merge_range(12, 0, 12, 2, &period.japanese(), &mid)?;
    let today = chrono::Local::now().date_naive();
    let (y, m, d) = (chrono::Datelike::year(&today), chrono::Datelike::month(&today), chrono::Datelike::day(&today));
    let era = crate::period::era_year(y);
    let date = format!("{}年{m}月{d}日({y}年)", era.trim_end_matches("年度"));
    ws.merge_range(14, 0, 14, 2, &date, &mid)?;
    let mut r = 18;
    ws.write_string_with_format(r, 1, "目次", &Format::new().set_bold().set_font_size(12))?;
    r += 1;
    for (what, pages) in contents {
        ws.write_string_with_format(r, 1, what, &body)?;
        ws.write_string_with_format(r, 2, pages, &body)?;
        r += 1;
    }
    ws.set_paper_size(9);
    ws.set_portrait();
    ws.set_print_scale(100);
    ws.set_print_area(0, 0, r.max(30), 2)?;
    ws.set_print_center_horizontally(true);
    Ok(())
}

/// The consolidated workbooks. Written whatever the findings: the office needs to see them.
/// The packet's sheets before the project sheets, in order.
pub const SUMMARY_SHEETS: [&str; 4] = ["表紙", "一覧表", "進捗状況", "効果額"];

pub fn consolidated_workbook(c: &Consolidation, layout: &crate::layout::Layout, links: &Links, volumes: &Volumes) -> Result<Books> {
    let f = Formats::new();
    let ctx = c.context(layout.hints());
    let taken: Vec<String> = SUMMARY_SHEETS.iter().chain(OFFICE_SHEETS.iter()).map(|s| s.to_string()).collect();
    // The sheets that do not depend on the project sheets are drawn while those are: drawn
    // after them, on one core, they took a tenth of a card `consolidate` at 10,000 files.
    let (ctx, f) = (&ctx, &f);
    let (mut wb, mut office) = workbooks(links);
    let home = office.as_mut().unwrap_or(&mut wb);
    let apart: Vec<crate::xlsx::SheetJob> = vec![
        Box::new(|wb: &mut Workbook| status_sheet(wb, c, f)),
        Box::new(|wb: &mut Workbook| effect_sheet(wb, c, f)),
        Box::new(|wb: &mut Workbook| summary_sheet(wb, c, f)),
        Box::new(|wb: &mut Workbook| missing_sheet(wb, c, f)),
        // One after another, in one job: sheets written row by row number their formats and
        // strings in their workbook as they go, so drawn at once they would number them in
        // whatever order the cores happened to take, and the file would differ from run to run.
        Box::new(move |wb: &mut Workbook| {
            let mut list = row_by_row(home);
            project_list_sheet(&mut list, c, ctx, f)?;
            wb.push_worksheet(list);
            for ws in detail_sheets(|| row_by_row(home), c, ctx, f)? {
                wb.push_worksheet(ws);
            }
            let mut ledger = row_by_row(home);
            ledger_sheet(&mut ledger, &c.files, f)?;
            wb.push_worksheet(ledger);
            Ok(())
        }),
    ];
    let (props, office_props) = run_properties(&c.plan.name, &c.period, "集計");
    // Beyond one workbook's worth, the project sheets go on in volumes beside the packet.
    let (drawn, apart) =
        rayon::join(|| crate::packet::project_sheets(c, ctx, layout, &taken, volumes, &props), || crate::xlsx::draw_apart(apart));
    let (crate::packet::ProjectBooks { sheets: projects, front, volumes: made }, apart) = (drawn?, apart?);
    let per_book = volumes.per_book.max(1);
    wb.set_properties(&props);
    let mut contents = vec![
        ("実施計画事業一覧(一覧表)".to_string(), String::new()),
        ("進捗状況の集計(進捗状況)".to_string(), String::new()),
        ("財政健全化効果額の集計(効果額)".to_string(), String::new()),
    ];
    let mut page = 1;
    for (n, chunk) in projects.chunks(per_book).enumerate() {
        let pages: u32 = chunk.iter().map(|p| p.pages).sum();
        let what = match &chunk[0].volume {
            None => format!("各事業の進捗状況({} 事業)", chunk.len()),
            Some(v) => format!("各事業の進捗状況 分冊{:02}({} 事業、{v})", n + 1, chunk.len()),
        };
        contents.push((what, if pages > 0 { format!("{page}～{} ページ", page + pages - 1) } else { String::new() }));
        page += pages;
    }
    // The packet's own sheets in this order (表紙, 一覧表, 進捗状況, 効果額); `split` puts the
    // office sheets in theirs.
    cover_sheet(&mut wb, &c.plan.name, "実施計画事業の進捗状況", &c.period, &contents)?;
    list_sheet(&mut wb, c, &projects, f)?;
    for ws in apart {
        wb.push_worksheet(ws);
    }
    findings_sheet(&mut wb, c, f, links, &projects, &volumes.link_dir)?;
    for ws in front {
        wb.push_worksheet(ws);
    }
    let mut books = split(wb, office, links, &office_props);
    books.volumes = made;
    Ok(books)
}

/// `14`, `14, 15`, `14～16`: the pages a project's sheet takes, as the published list
/// writes them.
pub fn page_label(first: u32, pages: u32) -> String {
    match pages {
        0 | 1 => first.to_string(),
        2 => format!("{first}, {}", first + 1),
        n => format!("{first}～{}", first + n - 1),
    }
}

/// 一覧表: the published project list, grouped by theme, with the page each project's sheet
/// starts on in the printed packet (project sheets numbered from 1).
fn list_sheet(wb: &mut Workbook, c: &Consolidation, projects: &[crate::packet::ProjectSheet], f: &Formats) -> Result<()> {
    let ws = wb.add_worksheet().set_name("一覧表")?;
    let title = Format::new().set_bold().set_font_size(14);
    let theme_f = Format::new().set_bold().set_font_size(12);
    let widths = [40.0, 30.0, 10.0, 11.0, 6.0, 4.0, 10.0];
    for (i, w) in widths.iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    ws.write_string_with_format(0, 0, format!("{} 実施計画事業の進捗状況 {}", c.plan.name, c.period.japanese()), &title)?;
    ws.write_string(
        1,
        0,
        "区分: 「重点」は特に重点的に取り組む事業、「財」は財政健全化に資する事業。該当ページは事業シートの通しページです。",
    )?;
    let sheet_of: std::collections::HashMap<&str, (&str, Option<&str>)> =
        projects.iter().map(|s| (s.code.as_str(), (s.sheet_name.as_str(), s.volume.as_deref()))).collect();
    let mut start = BTreeMap::new();
    let mut page = 1;
    for p in projects {
        start.insert(p.code.clone(), (page, p.pages));
        page += p.pages;
    }
    let mut r = 3;
    let goal_f = Format::new().set_bold().set_font_size(13);
    let mut goal_shown: Option<String> = None;
    for (goal, t) in c.plan.theme_groups().into_iter().flat_map(|(g, ts)| ts.into_iter().map(move |t| (g, t))) {
        // A plan with goals above themes: each goal's title row above its themes.
        if let Some(g) = goal
            && goal_shown.as_deref() != Some(g.number.as_str())
        {
            ws.write_string_with_format(r, 0, c.plan.node_title(g), &goal_f)?;
            goal_shown = Some(g.number.clone());
            r += 1;
        }
        ws.write_string_with_format(r, 0, c.plan.theme_title(t.number), &theme_f)?;
        r += 1;
        for (i, h) in ["事業名", "推進担当課", "設定年度", "事業コード", "区分", "", "該当ページ"].iter().enumerate()
        {
            ws.write_string_with_format(r, i as u16, *h, &f.header)?;
        }
        ws.merge_range(r, 4, r, 5, "区分", &f.header)?;
        r += 1;
        for p in c.plan.ordered_projects().into_iter().filter(|p| p.theme == t.number) {
            put_text(ws, r, 0, &p.name, &f.wrap)?;
            put_text(ws, r, 1, &p.departments.join(" "), &f.wrap)?;
            put_text(ws, r, 2, &p.set_year.map(crate::period::short_era).unwrap_or_default(), &f.text)?;
            put_text(ws, r, 3, &p.code, &f.text)?;
            put_text(ws, r, 4, if p.priority { "重点" } else { "" }, &f.text)?;
            put_text(ws, r, 5, if p.fiscal { "財" } else { "" }, &f.text)?;
            match start.get(&p.code) {
                Some((first, n)) => {
                    let (sheet, volume) = sheet_of.get(p.code.as_str()).cloned().unwrap_or_default();
                    let place = format!("'{}'!A1", sheet.replace('\'', "''"));
                    let url = match volume {
                        None => rust_xlsxwriter::Url::new(format!("internal:{place}")).set_text(page_label(*first, *n)),
                        Some(v) => {
                            rust_xlsxwriter::Url::new(format!("file:///{v}#{place}")).set_text(format!("{}({})", page_label(*first, *n), v))
                        }
                    };
                    ws.write_url_with_format(r, 6, url, &f.text)?;
                }
                None => put_text(ws, r, 6, "未提出", &f.text)?,
            }
            r += 1;
        }
        r += 1;
    }
    crate::xlsx::packet_print(ws, 0, true, (r, 6), &widths)?;
    ws.set_repeat_rows(0, 0)?;
    Ok(())
}

fn summary_sheet(wb: &mut Workbook, c: &Consolidation, f: &Formats) -> Result<()> {
    let ws = wb.add_worksheet().set_name("概要")?;
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 50)?;
    let title = Format::new().set_bold().set_font_size(14);
    ws.write_string_with_format(0, 0, format!("{} 実施計画事業の進捗状況 集計", c.plan.name), &title)?;
    let count = |o: crate::intake::Outcome| c.files.iter().filter(|r| r.outcome == o).count() as f64;
    use crate::intake::Outcome::*;
    let rows: Vec<(&str, either::Cell)> = vec![
        ("計画", either::Cell::T(c.plan.name.clone())),
        ("報告期間", either::Cell::T(format!("{}({})", c.period.japanese(), c.period.code()))),
        ("効果額の対象年度", either::Cell::T(year_header(c.period.effect_year()))),
        ("計画事業数", either::Cell::N(c.plan.projects.len() as f64)),
        (
            "事業コード",
            either::Cell::T(if c.plan.assigned_codes.is_empty() {
                "計画のとおり".into()
            } else {
                format!("計画にないため、改革テーマのコード接頭辞と計画の順から付けました({} 件)", c.plan.assigned_codes.len())
            }),
        ),
        ("提出", either::Cell::N(c.accepted.len() as f64)),
        ("未提出", either::Cell::N(c.missing.len() as f64)),
        ("エラー", either::Cell::N(c.errors() as f64)),
        ("警告", either::Cell::N(c.warnings() as f64)),
        ("情報", either::Cell::N(crate::finding::count(&c.findings, Severity::Info) as f64)),
        ("ファイル数", either::Cell::N(c.files.len() as f64)),
        ("受付", either::Cell::N(count(Accepted))),
        ("重複", either::Cell::N(count(Duplicate))),
        ("不受理", either::Cell::N(count(Rejected))),
        ("対象外", either::Cell::N(count(Ignored))),
    ];
    let mut r = 2;
    for (k, v) in rows {
        ws.write_string_with_format(r, 0, k, &f.header)?;
        match v {
            either::Cell::T(t) => put_text(ws, r, 1, &t, &f.text)?,
            either::Cell::N(n) => {
                ws.write_number_with_format(r, 1, n, &f.amount)?;
            }
        }
        r += 1;
    }
    r += 1;
    ws.write_string_with_format(r, 0, format!("進捗区分({})", c.period.japanese()), &f.header)?;
    ws.write_string_with_format(r, 1, "件数", &f.header)?;
    r += 1;
    let gaps = [(UNANSWERED, c.status_unanswered.values().sum::<u64>()), (UNREADABLE, c.status_unreadable.values().sum::<u64>())];
    for (v, n) in c.plan.vocabulary.iter().map(|v| (v.as_str(), c.status_total.get(v).copied().unwrap_or(0))).chain(gaps) {
        ws.write_string_with_format(r, 0, v, &f.text)?;
        ws.write_number_with_format(r, 1, n as f64, &f.amount)?;
        r += 1;
    }
    ws.write_string_with_format(r, 0, "合計", &f.total)?;
    ws.write_number_with_format(r, 1, c.status_due() as f64, &f.total_amount)?;
    r += 2;
    ws.write_string_with_format(r, 0, "財政健全化効果額(千円)", &f.header)?;
    ws.write_string_with_format(r, 1, "金額", &f.header)?;
    r += 1;
    for (y, v) in &c.effect_total {
        ws.write_string_with_format(r, 0, year_header(*y), &f.text)?;
        ws.write_number_with_format(r, 1, *v as f64, &f.amount)?;
        r += 1;
    }
    ws.write_string_with_format(r, 0, "合計", &f.total)?;
    ws.write_number_with_format(r, 1, c.effect_total.values().sum::<i64>() as f64, &f.total_amount)?;
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.set_footer("&L&A&R&P / &N");
    Ok(())
}

mod either {
    pub enum Cell {
        T(String),
        N(f64),
    }
}

fn status_text(field: Option<&crate::read::Field>, ctx: &Context) -> String {
    match field {
        None => String::new(),
        Some(fl) => match validate::status_of(fl, ctx) {
            Status::Code { code, .. } => code,
            Status::Empty => String::new(),
            Status::Unknown { .. } => fl.text(),
        },
    }
}

/// 事業一覧, drawn into `ws` row after row (so it may be made by [`row_by_row`]).
fn project_list_sheet(ws: &mut Worksheet, c: &Consolidation, ctx: &Context, f: &Formats) -> Result<()> {
    let by_project = c.findings_by_project();
    ws.set_name("事業一覧")?;
    // As many columns as the plan or any sheet has.
    let most = |in_plan: &dyn Fn(&crate::plan::Project) -> usize, on_sheet: &dyn Fn(&crate::read::ResponseSheet) -> usize| {
        c.plan.projects.iter().map(in_plan).chain(c.accepted.iter().filter_map(|a| a.sheet.as_deref()).map(on_sheet)).max().unwrap_or(0)
    };
    let max_acts = most(&|p| p.activities.len(), &|s| s.activities.len());
    let max_outcomes = most(&|p| p.outcomes.len(), &|s| s.outcomes.len());
    let years = effect_years(c);
    let mut headers: Vec<String> =
        ["事業コード", "視点", "事業名", "推進担当課", "重点", "財政健全化", "提出", "ファイル"].iter().map(|s| s.to_string()).collect();
    let mut widths = vec![11.0, 6.0, 36.0, 28.0, 6.0, 8.0, 8.0, 30.0];
    let mut push = |h: String, w: f64| {
        headers.push(h);
        widths.push(w);
    };
    for i in 0..max_acts {
        push(format!("活動{}({})", i + 1, c.period.half.label()), 11.0);
    }
    // Every value a department typed has a column here, so that nothing they wrote is lost
    // between their sheet and the council's workbook.
    for y in &years {
        push(format!("効果額(千円) {}", year_header(*y)), 14.0);
    }
    for y in &years {
        push(format!("主な取組内容 {}", year_header(*y)), 24.0);
    }
    push("取組状況等".into(), 50.0);
    push("課題と対応策".into(), 40.0);
    for i in 0..max_outcomes {
        push(format!("成果{}の実績", i + 1), 30.0);
    }
    for (h, w) in [("回答課(記入)", 16.0), ("担当者", 12.0), ("連絡先", 12.0), ("エラー", 7.0), ("警告", 7.0), ("要確認", 7.0)]
    {
        push(h.into(), w);
    }
    let hs: Vec<&str> = headers.iter().map(String::as_str).collect();
    header_row(ws, 0, &hs, &widths, f)?;
    let text_of = |fl: Option<&crate::read::Field>| fl.map(|x| x.text()).unwrap_or_default();
    let mut r = 1;
    for p in c.plan.ordered_projects() {
        let accepted = c.accepted_for(&p.code);
        let a = accepted.map(|a| a.read()).transpose()?;
        put_text(ws, r, 0, &p.code, &f.text)?;
        ws.write_number_with_format(r, 1, p.theme, &f.text)?;
        put_text(ws, r, 2, &p.name, &f.text)?;
        put_text(ws, r, 3, &p.departments.join("、"), &f.text)?;
        put_text(ws, r, 4, if p.priority { "●" } else { "" }, &f.text)?;
        put_text(ws, r, 5, if p.fiscal { "●" } else { "" }, &f.text)?;
        put_text(ws, r, 6, if a.is_some() { "提出" } else { "未提出" }, &f.text)?;
        put_text(ws, r, 7, accepted.map(|a| a.file.as_str()).unwrap_or(""), &f.text)?;
        let mut col = 8u16;
        for i in 0..max_acts {
            let st = a.and_then(|a| a.activities.get(i)).and_then(|act| act.status.get(&c.period));
            put_text(ws, r, col, &status_text(st, ctx), &f.text)?;
            col += 1;
        }
        for y in &years {
            match a.and_then(|a| a.effect.get(y)) {
                Some(e) => put_amount(ws, r, col, &validate::amount_of(&e.amount).amount, &e.amount.text(), f)?,
                None => {
                    ws.write_blank(r, col, &f.text)?;
                }
            }
            col += 1;
        }
        for y in &years {
            put_text(ws, r, col, &text_of(a.and_then(|a| a.effect.get(y)).map(|e| &e.basis)), &f.wrap)?;
            col += 1;
        }
        put_text(ws, r, col, &text_of(a.and_then(|a| a.progress.as_ref())), &f.wrap)?;
        put_text(ws, r, col + 1, &text_of(a.and_then(|a| a.countermeasures.as_ref())), &f.wrap)?;
        col += 2;
        for i in 0..max_outcomes {
            put_text(ws, r, col, &text_of(a.and_then(|a| a.outcomes.get(i)).map(|o| &o.result)), &f.wrap)?;
            col += 1;
        }
        put_text(ws, r, col, &text_of(a.and_then(|a| a.responding_department.as_ref())), &f.text)?;
        put_text(ws, r, col + 1, &text_of(a.and_then(|a| a.person.as_ref())), &f.text)?;
        put_text(ws, r, col + 2, &text_of(a.and_then(|a| a.contact.as_ref())), &f.text)?;
        let fs: &[&crate::finding::Finding] = by_project.get(p.code.as_str()).map(Vec::as_slice).unwrap_or(&[]);
        let n = |s: Severity| fs.iter().filter(|x| x.severity == s).count() as f64;
        ws.write_number_with_format(r, col + 3, n(Severity::Error), &f.amount)?;
        ws.write_number_with_format(r, col + 4, n(Severity::Warning), &f.amount)?;
        ws.write_number_with_format(r, col + 5, fs.len() as f64, &f.amount)?;
        r += 1;
    }
    ws.autofilter(0, 0, r.saturating_sub(1).max(1), hs.len() as u16 - 1)?;
    table_print(ws, 0, true, (r.saturating_sub(1).max(1), hs.len() as u16 - 1))?;
    Ok(())
}

/// A theme × key table with row and column totals: status counts, effect amounts.
/// `value(Some(theme), j)` is one cell, `value(None, j)` the column total.
fn theme_table(
    wb: &mut Workbook,
    name: &str,
    c: &Consolidation,
    f: &Formats,
    keys: &[String],
    width: f64,
    value: &dyn Fn(Option<u32>, usize) -> f64,
    note: &str,
) -> Result<ThemeRows> {
    let ws = wb.add_worksheet().set_name(name)?;
    let mut theme_rows = Vec::new();
    let theme_level = c.plan.levels.last().cloned().filter(|l| !l.is_empty()).unwrap_or_else(|| "視点".into());
    let mut headers = vec!["番号".to_string(), theme_level];
    headers.extend(keys.iter().cloned());
    headers.push("合計".into());
    let mut widths = vec![6.0, 36.0];
    widths.extend(std::iter::repeat_n(width, keys.len() + 1));
    let widths = crate::xlsx::packet_widths(&widths, true);
    let hs: Vec<&str> = headers.iter().map(String::as_str).collect();
    header_row(ws, 0, &hs, &widths, f)?;
    let total_col = 2 + keys.len() as u16;
    let mut r = 1;
    // With goals above themes, each goal's themes are followed by its subtotal.
    for (goal, themes) in c.plan.theme_groups() {
        for t in &themes {
            theme_rows.push(r);
            ws.write_number_with_format(r, 0, t.number, &f.text)?;
            put_text(ws, r, 1, &t.name, &f.text)?;
            let mut sum = 0.0;
            for j in 0..keys.len() {
                let v = value(Some(t.number), j);
                sum += v;
                ws.write_number_with_format(r, 2 + j as u16, v, &f.amount)?;
            }
            ws.write_number_with_format(r, total_col, sum, &f.total_amount)?;
            r += 1;
        }
        if let Some(goal) = goal {
            ws.write_string_with_format(r, 0, "", &f.total)?;
            put_text(ws, r, 1, &format!("{} 小計", c.plan.node_title(goal)), &f.total)?;
            let mut sum = 0.0;
            for j in 0..keys.len() {
                let v: f64 = themes.iter().map(|t| value(Some(t.number), j)).sum();
                sum += v;
                ws.write_number_with_format(r, 2 + j as u16, v, &f.total_amount)?;
            }
            ws.write_number_with_format(r, total_col, sum, &f.total_amount)?;
            r += 1;
        }
    }
    ws.write_string_with_format(r, 0, "", &f.total)?;
    ws.write_string_with_format(r, 1, "合計", &f.total)?;
    let mut sum = 0.0;
    for j in 0..keys.len() {
        let v = value(None, j);
        sum += v;
        ws.write_number_with_format(r, 2 + j as u16, v, &f.total_amount)?;
    }
    ws.write_number_with_format(r, total_col, sum, &f.total_amount)?;
    let note_f = Format::new().set_text_wrap().set_align(rust_xlsxwriter::FormatAlign::Top);
    ws.merge_range(r + 2, 0, r + 2, total_col, "", &note_f)?;
    ws.write_string_with_format(r + 2, 0, note, &note_f)?;
    ws.set_row_height(r + 2, crate::xlsx::text_lines(note, crate::xlsx::packet_widths(&widths, true).iter().sum()) * 15.0 + 3.0)?;
    crate::xlsx::packet_print(ws, 0, true, (r + 2, total_col), &widths)?;
    Ok(ThemeRows { rows: theme_rows, total: r })
}

/// Where a theme table put its themes (with goal subtotals between them) and its total.
pub struct ThemeRows {
    pub rows: Vec<u32>,
    pub total: u32,
}

impl ThemeRows {
    /// A chart range over column `col` of the theme rows: a plain range when they are
    /// contiguous, else a union of cells (subtotal rows left out).
    pub fn range(&self, sheet: &str, col: u16) -> rust_xlsxwriter::ChartRange {
        let contiguous = self.rows.windows(2).all(|w| w[1] == w[0] + 1);
        match (self.rows.first(), self.rows.last()) {
            (Some(a), Some(b)) if contiguous => rust_xlsxwriter::ChartRange::new_from_range(sheet, *a, col, *b, col),
            _ => {
                let cell = |r: &u32| format!("'{sheet}'!${}${}", crate::finding::column_letters(col as u32), r + 1);
                rust_xlsxwriter::ChartRange::new_from_string(&format!("=({})", self.rows.iter().map(cell).collect::<Vec<_>>().join(",")))
            }
        }
    }
}

/// Column headers of the two status columns that are not codes: due statuses left empty,
/// and typed as something the vocabulary does not have.
pub const UNANSWERED: &str = "未記入";
pub const UNREADABLE: &str = "要確認";

fn status_sheet(wb: &mut Workbook, c: &Consolidation, f: &Formats) -> Result<()> {
    let vocab = &c.plan.vocabulary;
    let mut keys = vocab.clone();
    keys.extend([UNANSWERED.to_string(), UNREADABLE.to_string()]);
    let value = |theme: Option<u32>, j: usize| {
        let gap = |m: &BTreeMap<u32, u64>| match theme {
            Some(t) => m.get(&t).copied().unwrap_or(0),
            None => m.values().sum(),
        };
        let n = if j == vocab.len() {
            gap(&c.status_unanswered)
        } else if j == vocab.len() + 1 {
            gap(&c.status_unreadable)
        } else {
            let counts = match theme {
                Some(t) => c.status_by_theme.get(&t),
                None => Some(&c.status_total),
            };
            counts.and_then(|m| m.get(&vocab[j])).copied().unwrap_or(0)
        };
        n as f64
    };
    let note = format!(
        "{}の実績のうち、その年度に予定のある活動(報告が必要なもの)を数えています。「{UNANSWERED}」は実績が空のもの、「{UNREADABLE}」は進捗区分にない語が書かれたもの(要確認シート参照)です。",
        c.period.japanese()
    );
    let rows = theme_table(wb, "進捗状況", c, f, &keys, 10.0, &value, &note)?;
    let n = rows.total;
    // A chart needs at least one theme and one status to show; otherwise the table says it all.
    if rows.rows.is_empty() || c.status_due() == 0 {
        return Ok(());
    }
    let mut chart = Chart::new(ChartType::BarStacked);
    let colors = crate::xlsx::status_colors(vocab, &c.plan.needs_countermeasure, 2);
    for (j, color) in colors.iter().enumerate().take(keys.len()) {
        // A status no one reported adds only a legend entry: left out.
        if value(None, j) == 0.0 {
            continue;
        }
        let j16 = j as u16;
        chart
            .add_series()
            .set_categories(&rows.range("進捗状況", 1))
            .set_values(&rows.range("進捗状況", 2 + j16))
            .set_name(("進捗状況", 0, 2 + j16))
            .set_format(rust_xlsxwriter::ChartFormat::new().set_solid_fill(rust_xlsxwriter::ChartSolidFill::new().set_color(*color)));
    }
    let level = c.plan.levels.last().cloned().filter(|l| !l.is_empty()).unwrap_or_else(|| "視点".into());
    chart.title().set_name(&format!("{level}別の進捗区分({})", c.period.japanese()));
    chart.x_axis().set_name("件数");
    chart.y_axis().set_reverse();
    chart.legend().set_position(ChartLegendPosition::Bottom);
    crate::xlsx::chart_type_size(&mut chart);
    chart.set_width(760).set_height(380);
    let ws = wb.worksheet_from_name("進捗状況")?;
    crate::xlsx::insert_chart_below(ws, n + 5, 1, &chart)?;
    // The print area takes in the chart (380 px, about 20 rows of 20 px).
    ws.set_print_area(0, 0, n + 5 + 20, 2 + keys.len() as u16)?;
    Ok(())
}

/// Fiscal years shown on the effect sheet: every year of every project's sheet.
pub fn effect_years(c: &Consolidation) -> Vec<i32> {
    let mut ys: Vec<i32> = c.plan.projects.iter().flat_map(|p| p.years(&c.plan)).chain(c.effect_total.keys().copied()).collect();
    ys.sort();
    ys.dedup();
    ys
}

fn effect_sheet(wb: &mut Workbook, c: &Consolidation, f: &Formats) -> Result<()> {
    let years = effect_years(c);
    let keys: Vec<String> = years.iter().map(|y| year_header(*y)).collect();
    let value = |theme: Option<u32>, j: usize| {
        let amounts = match theme {
            Some(t) => c.effect_by_theme.get(&t),
            None => Some(&c.effect_total),
        };
        amounts.and_then(|m| m.get(&years[j])).copied().unwrap_or(0) as f64
    };
    let rows = theme_table(wb, "効果額", c, f, &keys, 14.0, &value, "単位: 千円。受け付けた回答票の、金額として読めた効果額の合計です。")?;
    let n = c.plan.themes.len() as u32;
    let below = rows.total;
    let ws = wb.worksheet_from_name("効果額")?;
    // Targets, when the plan has them, in a table of their own below the results.
    let has_targets = c.plan.projects.iter().any(|p| !p.effect_targets.is_empty());
    let target_row = below + 4;
    if has_targets {
        ws.write_string_with_format(target_row, 1, "効果額目標(千円)", &f.header)?;
        for (j, y) in years.iter().enumerate() {
            ws.write_string_with_format(target_row, 2 + j as u16, format!("目標 {}", year_header(*y)), &f.header)?;
        }
        for (i, t) in c.plan.themes.iter().enumerate() {
            let r = target_row + 1 + i as u32;
            put_text(ws, r, 1, &t.name, &f.text)?;
            for (j, y) in years.iter().enumerate() {
                let v: i64 = c.plan.projects.iter().filter(|p| p.theme == t.number).filter_map(|p| p.effect_targets.get(y)).sum();
                ws.write_number_with_format(r, 2 + j as u16, v as f64, &f.amount)?;
            }
        }
    }
    // Years with neither a result nor a target would be empty bars and legend entries.
    let target_sum = |y: &i32| c.plan.projects.iter().filter_map(|p| p.effect_targets.get(y)).sum::<i64>();
    let shown: Vec<usize> = (0..years.len()).filter(|&j| value(None, j) != 0.0 || target_sum(&years[j]) != 0).collect();
    if n == 0 || shown.is_empty() {
        return Ok(());
    }
    // Horizontal bars: the theme names read level, however long.
    let mut chart = Chart::new(ChartType::Bar);
    for &j in &shown {
        let j16 = j as u16;
        chart.add_series().set_categories(&rows.range("効果額", 1)).set_values(&rows.range("効果額", 2 + j16)).set_name((
            "効果額",
            0,
            2 + j16,
        ));
        // The year's target beside its result, as an outlined bar.
        if has_targets && target_sum(&years[j]) != 0 {
            chart
                .add_series()
                .set_categories(("効果額", target_row + 1, 1, target_row + n, 1))
                .set_values(("効果額", target_row + 1, 2 + j16, target_row + n, 2 + j16))
                .set_name(("効果額", target_row, 2 + j16))
                .set_format(
                    rust_xlsxwriter::ChartFormat::new()
                        .set_no_fill()
                        .set_border(rust_xlsxwriter::ChartLine::new().set_color(rust_xlsxwriter::Color::RGB(0x595959)).set_width(1.25)),
                );
        }
    }
    let level = c.plan.levels.last().cloned().filter(|l| !l.is_empty()).unwrap_or_else(|| "視点".into());
    chart.title().set_name(&format!("{level}別・年度別の財政健全化効果額(千円)"));
    chart.x_axis().set_num_format(AMOUNT_FORMAT);
    chart.y_axis().set_reverse();
    chart.legend().set_position(ChartLegendPosition::Bottom);
    crate::xlsx::chart_type_size(&mut chart);
    chart.set_width(760).set_height((160 + 40 * n).min(900));
    let chart_row = if has_targets { target_row + n + 3 } else { target_row };
    crate::xlsx::insert_chart_below(ws, chart_row, 1, &chart)?;
    ws.set_print_area(0, 0, chart_row + (160 + 40 * n).min(900) / 20 + 1, 2 + years.len() as u16)?;
    Ok(())
}

fn missing_sheet(wb: &mut Workbook, c: &Consolidation, f: &Formats) -> Result<()> {
    let ws = wb.add_worksheet().set_name("未提出")?;
    header_row(ws, 0, &["回答課", "事業コード", "事業名", "視点", "推進担当課"], &[18.0, 11.0, 40.0, 30.0, 30.0], f)?;
    let mut list: Vec<_> = c.missing.iter().collect();
    list.sort_by(|a, b| a.department.cmp(&b.department).then(a.project.cmp(&b.project)));
    let mut r = 1;
    for m in &list {
        let p = c.plan.project(&m.project);
        put_text(ws, r, 0, &m.department, &f.text)?;
        put_text(ws, r, 1, &m.project, &f.text)?;
        put_text(ws, r, 2, &m.name, &f.text)?;
        put_text(ws, r, 3, &p.map(|p| c.plan.theme_title(p.theme)).unwrap_or_default(), &f.text)?;
        put_text(ws, r, 4, &p.map(|p| p.departments.join("、")).unwrap_or_default(), &f.text)?;
        r += 1;
    }
    if list.is_empty() {
        ws.write_string(1, 0, "未提出の事業はありません")?;
    }
    ws.autofilter(0, 0, r.saturating_sub(1).max(1), 4)?;
    table_print(ws, 0, false, (r.saturating_sub(1).max(1), 4))?;
    Ok(())
}

fn findings_sheet(
    wb: &mut Workbook,
    c: &Consolidation,
    f: &Formats,
    links: &Links,
    projects: &[crate::packet::ProjectSheet],
    volume_dir: &str,
) -> Result<()> {
    let by_code: std::collections::HashMap<&str, &crate::packet::ProjectSheet> = projects.iter().map(|p| (p.code.as_str(), p)).collect();
    // Only findings about an accepted sheet have a place in the packet to jump to; a sheet
    // in a further volume is reached in that file.
    let link = |x: &crate::finding::Finding| {
        let accepted_file = x.item().and_then(|p| c.accepted_for(p)).is_some_and(|a| x.file.as_deref() == Some(&a.file));
        let volume = x.item().and_then(|p| by_code.get(p)).and_then(|s| s.volume.as_deref());
        crate::packet::link(&by_code, x).filter(|_| accepted_file).map(|(url, target)| {
            let url = match volume {
                Some(v) => url.replacen("internal:", &format!("file:///{volume_dir}{v}#"), 1),
                None => url,
            };
            (url, format!("{}!{target}", x.item().unwrap_or("")))
        })
    };
    findings_list(wb, &c.findings, f, links, &link)
}

/// 要確認: every finding, errors first, with a link to its place in the packet when it has one
/// (`link` gives an `internal:` URL and the text to show; `links` says where the packet is
/// from this sheet's workbook). Past one sheet's rows it goes on in `要確認 (2)`…
pub fn findings_list(
    wb: &mut Workbook,
    findings: &[crate::finding::Finding],
    f: &Formats,
    links: &Links,
    link: &dyn Fn(&crate::finding::Finding) -> Option<(String, String)>,
) -> Result<()> {
    // Printed at readable size: long paths and messages wrap in their columns, rows grow.
    let widths = crate::xlsx::packet_widths(&[8.0, 22.0, 11.0, 34.0, 12.0, 8.0, 70.0, 20.0, 14.0], true);
    let mut list = crate::xlsx::LongList::new(
        "要確認",
        crate::xlsx::SHEET_ROWS,
        Worksheet::new,
        |ws| {
            header_row(ws, 0, &["重要度", "ルール", "事業コード", "ファイル", "シート", "セル", "内容", "候補", "集計ブック内"], &widths, f)
        },
        |ws, last| {
            ws.autofilter(0, 0, last.max(1), 8)?;
            crate::xlsx::packet_print(ws, 0, true, (last.max(1), 8), &widths)?;
            Ok(())
        },
    )?;
    let mut sorted: Vec<_> = findings.iter().collect();
    sorted.sort_by_key(|x| x.severity);
    for x in sorted {
        let (ws, r) = list.row()?;
        put_text(ws, r, 0, x.severity.japanese(), &f.text)?;
        put_text(ws, r, 1, x.rule, &f.text)?;
        put_text(ws, r, 2, x.item().unwrap_or(""), &f.text)?;
        put_text(ws, r, 3, x.file.as_deref().unwrap_or(""), &f.text)?;
        put_text(ws, r, 4, x.sheet.as_deref().unwrap_or(""), &f.text)?;
        put_text(ws, r, 5, x.cell_ref().unwrap_or(""), &f.text)?;
        let message = x.message();
        put_text(ws, r, 6, &message, &f.wrap)?;
        put_text(ws, r, 7, x.suggestion().unwrap_or(""), &f.wrap)?;
        let lines = [(x.file.as_deref().unwrap_or(""), 3), (&*message, 6), (x.suggestion().unwrap_or(""), 7), (x.rule, 1)]
            .iter()
            .map(|(t, c)| crate::xlsx::text_lines(t, widths[*c]))
            .fold(1.0, f64::max);
        ws.set_row_height(r, (lines * 15.0 + 3.0).min(409.0))?;
        match link(x) {
            Some((url, text)) => {
                let url = links.url(&url);
                ws.write_url_with_format(r, 8, rust_xlsxwriter::Url::new(url).set_text(text), &f.text)?;
            }
            None => {
                ws.write_blank(r, 8, &f.text)?;
            }
        }
    }
    for ws in list.finish()? {
        wb.push_worksheet(ws);
    }
    Ok(())
}

/// 明細: every value of every accepted card, one row each, in sheets from `new_sheet` (so they
/// may be made by [`row_by_row`]); past one sheet's rows it goes on in `明細 (2)`…
fn detail_sheets<'a>(
    new_sheet: impl FnMut() -> Worksheet + 'a,
    c: &Consolidation,
    ctx: &Context,
    f: &'a Formats,
) -> Result<Vec<Worksheet>> {
    const HEADERS: [&str; 13] = [
        "事業コード",
        "視点",
        "事業名",
        "活動番号",
        "活動内容",
        "年度",
        "半期",
        "予定あり",
        "入力値",
        "進捗区分",
        "ファイル",
        "シート",
        "セル",
    ];
    let last_col = HEADERS.len() as u16 - 1;
    let mut list = crate::xlsx::LongList::new(
        "明細",
        crate::xlsx::SHEET_ROWS,
        new_sheet,
        move |ws| header_row(ws, 0, &HEADERS, &[11.0, 6.0, 30.0, 8.0, 40.0, 8.0, 6.0, 8.0, 12.0, 10.0, 30.0, 10.0, 8.0], f),
        move |ws, last| {
            ws.autofilter(0, 0, last.max(1), last_col)?;
            table_print(ws, 0, true, (last.max(1), last_col))
        },
    )?;
    for a in &c.accepted {
        let Some(p) = c.plan.project(&a.project) else {
            continue;
        };
        let sheet = a.read()?;
        for (i, act) in sheet.activities.iter().enumerate() {
            for (half, field) in &act.status {
                let due = c
                    .plan
                    .project(&a.project)
                    .and_then(|p| p.activities.get(i))
                    .map(|pa| pa.is_scheduled(half.fiscal_year))
                    .unwrap_or_else(|| act.schedule.get(&half.fiscal_year).is_some_and(|s| !s.is_empty()));
                let (ws, r) = list.row()?;
                ws.write_string(r, 0, &p.code)?;
                ws.write_number(r, 1, p.theme)?;
                ws.write_string(r, 2, &p.name)?;
                ws.write_number(r, 3, (i + 1) as f64)?;
                ws.write_string(r, 4, act.name.text())?;
                ws.write_number(r, 5, half.fiscal_year)?;
                ws.write_number(r, 6, half.half.number())?;
                ws.write_boolean(r, 7, due)?;
                if !field.value.is_empty() {
                    ws.write_string(r, 8, field.text())?;
                }
                let st = status_text(Some(field), ctx);
                if !st.is_empty() {
                    ws.write_string(r, 9, st)?;
                }
                ws.write_string(r, 10, &a.file)?;
                ws.write_string(r, 11, &sheet.sheet)?;
                ws.write_string(r, 12, field.a1())?;
            }
        }
    }
    list.finish()
}

/// 受付記録: every file found under the inputs and what became of it, drawn into `ws` row
/// after row (so it may be made by [`row_by_row`]).
pub fn ledger_sheet(ws: &mut Worksheet, files: &[crate::intake::FileRecord], f: &Formats) -> Result<()> {
    ws.set_name("受付記録")?;
    let headers = ["パス", "サイズ(バイト)", "SHA-256", "更新日時", "結果", "理由", "事業コード"];
    header_row(ws, 0, &headers, &[40.0, 12.0, 30.0, 20.0, 8.0, 60.0, 16.0], f)?;
    for (i, rec) in files.iter().enumerate() {
        let r = i as u32 + 1;
        put_text(ws, r, 0, &rec.shown, &f.text)?;
        ws.write_number_with_format(r, 1, rec.size as f64, &f.amount)?;
        put_text(ws, r, 2, &rec.sha256_hex(), &f.text)?;
        let when =
            rec.modified.map(|t| chrono::DateTime::<chrono::Local>::from(t).format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default();
        put_text(ws, r, 3, &when, &f.text)?;
        put_text(ws, r, 4, rec.outcome.japanese(), &f.text)?;
        put_text(ws, r, 5, rec.reason.as_deref().unwrap_or(""), &f.wrap)?;
        put_text(ws, r, 6, &rec.projects.join("、"), &f.text)?;
    }
    ws.autofilter(0, 0, (files.len() as u32).max(1), headers.len() as u16 - 1)?;
    table_print(ws, 0, true, ((files.len() as u32).max(1), headers.len() as u16 - 1))?;
    Ok(())
}

/// 訂正: every correction of the office's corrections workbook and what became of it, in the
/// corrections workbook's own columns, so that the sheet doubles as the form to start one.
pub fn corrections_sheet(wb: &mut Workbook, outcomes: &[crate::corrections::Outcome]) -> Result<()> {
    use crate::corrections::{COLUMNS, Fate};
    let f = Formats::new();
    let ws = wb.add_worksheet().set_name("訂正")?;
    let mut headers: Vec<&str> = COLUMNS.to_vec();
    headers.extend(["結果", "ファイル"]);
    header_row(ws, 0, &headers, &[11.0, 8.0, 10.0, 24.0, 24.0, 30.0, 12.0, 12.0, 28.0, 36.0], &f)?;
    for (i, o) in outcomes.iter().enumerate() {
        let r = i as u32 + 1;
        let c = &o.correction;
        let period = c.period.map(|p| p.code()).unwrap_or_default();
        for (j, v) in [&c.item, &c.cell, &period, &c.original, &c.corrected, &c.reason, &c.who, &c.when].iter().enumerate() {
            put_text(ws, r, j as u16, v, &f.wrap)?;
        }
        let (result, file) = match &o.fate {
            Fate::Applied { file, sheet } => ("適用しました".to_string(), format!("{file} ({sheet})")),
            Fate::Stale { file, sheet, found } => (format!("適用していません: 今の値は「{found}」"), format!("{file} ({sheet})")),
            Fate::Unmatched => ("適用していません: 該当するセルがありません".to_string(), String::new()),
            Fate::OtherPeriod => ("対象外(別の期間)".to_string(), String::new()),
        };
        put_text(ws, r, 8, &result, &f.wrap)?;
        put_text(ws, r, 9, &file, &f.wrap)?;
    }
    let last = (outcomes.len() as u32).max(1);
    if outcomes.is_empty() {
        ws.write_string(
            2,
            0,
            "訂正はありません。事務局で明らかな誤記を直すときは、この見出しの表を別のブック(訂正簿)に作り、--corrections で指定してください。課のファイルは変更されません。",
        )?;
    }
    ws.autofilter(0, 0, last, headers.len() as u16 - 1)?;
    table_print(ws, 0, true, (last.max(2), headers.len() as u16 - 1))?;
    Ok(())
}
