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

/// One project's sheet of the packet.
pub struct ProjectSheet {
    pub code: String,
    pub sheet_name: String,
    pub worksheet: Worksheet,
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
) -> Result<ProjectSheet> {
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
    Ok(ProjectSheet { code: project.code.clone(), sheet_name: sheet_name.to_string(), worksheet: ws, drawn, pages, cell_map, volume: None })
}

/// Every accepted project's sheet, in plan order, named by its code.
pub fn project_sheets(c: &Consolidation, ctx: &Context, layout: &Layout, taken: &[String]) -> Result<Vec<ProjectSheet>> {
    use rayon::prelude::*;
    // Names first, in plan order (they depend on each other); then the sheets, in parallel.
    let mut names = crate::xlsx::SheetNames::new(taken);
    let jobs: Vec<(&Accepted, &Project, String)> =
        c.accepted.iter().filter_map(|a| c.plan.project(&a.project).map(|p| (a, p))).map(|(a, p)| (a, p, names.claim(&p.code))).collect();
    let by_sheet = findings_by_sheet(c);
    let none = Vec::new();
    let mut out = jobs
        .par_iter()
        .map(|(a, p, name)| {
            let findings = by_sheet.get(&(p.code.as_str(), a.file.as_str())).unwrap_or(&none);
            redraw(c, ctx, layout, a, p, name, findings, (&[Severity::Error], true))
        })
        .collect::<Result<Vec<_>>>()?;
    // Number the project sheets from 1 in plan order, so that each footer prints the page the
    // 一覧表 gives (printing the workbook whole would otherwise continue from the front matter).
    let mut page: u32 = 1;
    for s in &mut out {
        s.worksheet.set_print_first_page_number(page.min(u16::MAX as u32) as u16);
        page += s.pages;
    }
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
