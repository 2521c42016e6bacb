//! The council packet's project sheets: every returned project re-drawn in the uniform layout
//! from the values read (values with errors marked and explained in 注 lines), numbered so that
//! their footers print the 一覧表's 該当ページ; the same re-drawing, coloured and noted, for
//! feedback.

use crate::consolidate::{Accepted, Consolidation};
use crate::draw::{self, Answers, DrawOptions, Drawn};
use crate::finding::{Finding, Severity, a1};
use crate::layout::Layout;
use crate::plan::Project;
use crate::validate::Context;
use anyhow::Result;
use rust_xlsxwriter::Worksheet;
use std::collections::BTreeMap;

/// How many project sheets one workbook of the packet holds, and what further volumes are
/// called: `<stem>_分冊02.xlsx`… beside the packet. `link_dir` is what links from the office
/// workbook put before a volume's name (empty when both are in one folder).
#[derive(Debug, Clone)]
pub struct Volumes {
    pub per_book: usize,
    pub stem: String,
    pub link_dir: String,
}

impl Volumes {
    /// Project sheets per workbook unless told otherwise: a workbook of thousands of sheets
    /// takes minutes to open and cannot be printed whole.
    pub const DEFAULT_PER_BOOK: usize = 500;

    /// The file name of volume `n` (from 2; volume 1 is the packet itself).
    pub fn name(&self, n: usize) -> String {
        format!("{}_分冊{n:02}.xlsx", self.stem)
    }

    /// The volume the `i`-th project sheet (from 0) goes in; `None` for the packet itself.
    pub fn of(&self, i: usize) -> Option<String> {
        let per_book = self.per_book.max(1);
        (i >= per_book).then(|| self.name(i / per_book + 1))
    }
}

/// One project's sheet of the packet: what the summary and office sheets need of it (the
/// worksheet itself goes its own way, see [`project_sheets`]).
pub struct ProjectSheet {
    pub code: String,
    pub sheet_name: String,
    pub drawn: Drawn,
    pub pages: u32,
    /// A cell of the department's sheet (A1) → the same logical cell on this sheet.
    pub cell_map: BTreeMap<String, (u32, u16)>,
    /// The further volume of the packet this sheet goes in (its file name), if not the packet.
    pub volume: Option<String>,
}

/// The note on a highlighted cell: what is wrong and what to do.
pub fn note_text(f: &Finding) -> String {
    match f.suggestion() {
        Some(s) => format!("[{}] {}\n候補: {s}", f.rule, f.message()),
        None => format!("[{}] {}", f.rule, f.message()),
    }
}

/// The run's findings by (project, file), so that each sheet finds its own without a scan.
pub fn findings_by_sheet(c: &Consolidation) -> std::collections::HashMap<(&str, &str), Vec<&Finding>> {
    let mut m: std::collections::HashMap<(&str, &str), Vec<&Finding>> = std::collections::HashMap::new();
    for f in &c.findings {
        if let (Some(p), Some(file)) = (f.item(), f.file.as_deref()) {
            m.entry((p, file)).or_default().push(f);
        }
    }
    m
}

/// Re-draws one accepted sheet; `severities` chooses which of its `findings` are marked on it.
pub fn redraw(
    c: &Consolidation,
    ctx: &Context,
    layout: &Layout,
    a: &Accepted,
    project: &Project,
    sheet_name: &str,
    findings: &[&Finding],
    (marked, council): (&[Severity], bool),
) -> Result<(ProjectSheet, Worksheet)> {
    let sheet = a.read()?;
    let answers = Answers::from_sheet(sheet, ctx, |p| p <= c.period, |_| true);
    let by_cell: BTreeMap<String, String> = sheet.keyed_cells().into_iter().map(|(k, cell)| (cell, k)).collect();
    let mut notes: BTreeMap<String, String> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.marked_with(marked)) {
        if let Some(key) = f.cell_ref().and_then(|cell| by_cell.get(cell)) {
            let text = note_text(f);
            notes.entry(key.clone()).and_modify(|n| *n = format!("{n}\n{text}")).or_insert(text);
        }
    }
    let mut ws = Worksheet::new();
    ws.set_name(sheet_name)?;
    let drawn =
        draw::response_sheet(&mut ws, &c.plan, project, c.period, &answers, layout, &DrawOptions { notes, council, ..Default::default() })?;
    let pages = crate::xlsx::pages_at(drawn.scale, true, &drawn.row_heights);
    let cell_map = by_cell.iter().filter_map(|(cell, key)| drawn.places.get(key).map(|p| (cell.clone(), *p))).collect();
    Ok((ProjectSheet { code: project.code.clone(), sheet_name: sheet_name.to_string(), drawn, pages, cell_map, volume: None }, ws))
}

/// The bytes of one of a run's workbooks; `paged` for the packet and its volumes, whose sheets
/// number their pages ([`crate::xlsx::paged_workbook_bytes`]).
pub fn workbook_file(wb: &mut rust_xlsxwriter::Workbook, paged: bool) -> Result<Vec<u8>> {
    let made = if paged { crate::xlsx::paged_workbook_bytes(wb) } else { crate::xlsx::workbook_bytes(wb) };
    made.map_err(|e| anyhow::anyhow!("集計ブックを作れませんでした({e})"))
}

/// A further volume of the packet: its file's bytes, or its workbook still to be made.
pub enum Volume {
    Made(Vec<u8>),
    Drawn(Box<rust_xlsxwriter::Workbook>),
}

/// The packet's project sheets: every one's [`ProjectSheet`], the worksheets of the packet's
/// own book, and the further volumes by file name, in order.
pub struct ProjectBooks {
    pub sheets: Vec<ProjectSheet>,
    pub front: Vec<Worksheet>,
    pub volumes: Vec<(String, Volume)>,
}

/// Every accepted project's sheet, in plan order, named by its code and numbered from page 1,
/// drawn a book (`volumes.per_book` sheets) at a time. Each further volume's file is made
/// while the next book is drawn, and its sheets let go: held to the end, the sheets of 10,000
/// cards took 1.3 GB, and the run grew by 130 KB a card. The last few volumes are left drawn,
/// to be made beside the packet and the office workbook, which cannot start before every
/// project sheet is drawn. `props` are the volumes' document properties.
pub fn project_sheets(
    c: &Consolidation,
    ctx: &Context,
    layout: &Layout,
    taken: &[String],
    volumes: &Volumes,
    props: &rust_xlsxwriter::DocProperties,
) -> Result<ProjectBooks> {
    use rayon::prelude::*;
    // Names first, in plan order (they depend on each other); then the sheets, in parallel.
    let mut names = crate::xlsx::SheetNames::new(taken);
    let jobs: Vec<(&Accepted, &Project, String)> =
        c.accepted.iter().filter_map(|a| c.plan.project(&a.project).map(|p| (a, p))).map(|(a, p)| (a, p, names.claim(&p.code))).collect();
    let by_sheet = findings_by_sheet(c);
    let none = Vec::new();
    let per_book = volumes.per_book.max(1);
    let mut out = ProjectBooks { sheets: Vec::with_capacity(jobs.len()), front: Vec::new(), volumes: Vec::new() };
    // A made volume's sheets are let go of on a thread of their own: freeing them cell by cell
    // on the run's cores made it slower by what holding them had saved. (Where no thread can
    // be started, the send fails and they are let go of here.)
    let (done, to_drop) = std::sync::mpsc::channel::<rust_xlsxwriter::Workbook>();
    let _ = std::thread::Builder::new().stack_size(2 << 20 /* as ops::WORK_STACK */).spawn(move || to_drop.into_iter().for_each(drop));
    let make = |book: Option<(String, rust_xlsxwriter::Workbook)>| {
        book.map(|(name, mut wb)| {
            let made = workbook_file(&mut wb, true)?;
            let _ = done.send(wb);
            Ok::<_, anyhow::Error>((name, Volume::Made(made)))
        })
        .transpose()
    };
    // The last volumes are left drawn, to be made beside the office workbook: that is one
    // long part (明細) compressed on one core, 0.85 s at 10,000 cards, in which the other core
    // makes the packet and about five volumes of 500 sheets. Left one, the other core went
    // idle (10,000 cards 6.10 → 5.96 s with five; the peak 578 → 727 MB).
    const LEFT_FOR_THE_END: usize = 5;
    let mut pending = std::collections::VecDeque::new();
    // Numbered from 1 in plan order, so that each footer prints the page the 一覧表 gives
    // (printing the workbook whole would otherwise continue from the front matter).
    let mut page: u32 = 1;
    for (n, chunk) in jobs.chunks(per_book).enumerate() {
        let draw = || {
            chunk
                .par_iter()
                .map(|(a, p, name)| {
                    let findings = by_sheet.get(&(p.code.as_str(), a.file.as_str())).unwrap_or(&none);
                    redraw(c, ctx, layout, a, p, name, findings, (&[Severity::Error], true))
                })
                .collect::<Result<Vec<_>>>()
        };
        let (made, drawn) = rayon::join(|| make(if pending.len() >= LEFT_FOR_THE_END { pending.pop_front() } else { None }), draw);
        out.volumes.extend(made?);
        let mut book = Vec::with_capacity(chunk.len());
        for (i, (mut s, mut ws)) in drawn?.into_iter().enumerate() {
            ws.set_print_first_page_number(page.min(u16::MAX as u32) as u16);
            page += s.pages;
            s.volume = volumes.of(n * per_book + i);
            out.sheets.push(s);
            book.push(ws);
        }
        if n == 0 {
            out.front = book;
        } else {
            let mut wb = rust_xlsxwriter::Workbook::new();
            wb.set_properties(props);
            for ws in book {
                wb.push_worksheet(ws);
            }
            pending.push_back((volumes.name(n + 1), wb));
        }
    }
    out.volumes.extend(pending.into_iter().map(|(name, wb)| (name, Volume::Drawn(Box::new(wb)))));
    Ok(out)
}

/// `internal:'0701-01'!F12`: where a finding's cell is on the packet (`sheets` by code).
pub fn link(sheets: &std::collections::HashMap<&str, &ProjectSheet>, f: &Finding) -> Option<(String, String)> {
    let code = f.item()?;
    let s = sheets.get(code)?;
    let (r, c) = f.cell_ref().and_then(|cell| s.cell_map.get(cell)).copied().unwrap_or((0, 0));
    let target = a1(r, c as u32);
    Some((format!("internal:'{}'!{target}", s.sheet_name.replace('\'', "''")), target))
}
