//! The council packet: every returned project re-drawn in the uniform layout from the values
//! read, with error cells highlighted, and the 一覧表 whose 該当ページ comes from the packet's
//! own page setup.

use crate::consolidate::{Accepted, Consolidation};
use crate::draw::{self, Answers, DrawOptions, Drawn};
use crate::finding::{Finding, Severity, a1};
use crate::layout::Layout;
use crate::plan::Project;
use crate::validate::Context;
use anyhow::Result;
use rust_xlsxwriter::Worksheet;
use std::collections::BTreeMap;

pub use crate::xlsx::{PRINTABLE_HEIGHT, PRINTABLE_WIDTH, column_points, pages, scale};

/// One project's sheet of the packet.
pub struct ProjectSheet {
    pub code: String,
    pub sheet_name: String,
    pub worksheet: Worksheet,
    pub drawn: Drawn,
    pub pages: u32,
    /// A cell of the department's sheet (A1) → the same logical cell on this sheet.
    pub cell_map: BTreeMap<String, (u32, u16)>,
}

/// The note on a highlighted cell: what is wrong and what to do.
pub fn note_text(f: &Finding) -> String {
    match &f.suggestion {
        Some(s) => format!("[{}] {}\n候補: {s}", f.rule, f.message),
        None => format!("[{}] {}", f.rule, f.message),
    }
}

/// Re-draws one accepted sheet; `severities` chooses which findings are marked on it.
pub fn redraw(
    c: &Consolidation,
    ctx: &Context,
    layout: &Layout,
    a: &Accepted,
    project: &Project,
    sheet_name: &str,
    marked: &[Severity],
    council: bool,
) -> Result<ProjectSheet> {
    let answers = Answers::from_sheet(&a.sheet, ctx, |p| p <= c.period, |_| true);
    let by_cell: BTreeMap<String, String> = a.sheet.keyed_cells().into_iter().map(|(k, cell)| (cell, k)).collect();
    let mut notes: BTreeMap<String, String> = BTreeMap::new();
    for f in c
        .findings
        .iter()
        .filter(|f| f.project.as_deref() == Some(&project.code) && f.file.as_deref() == Some(&a.file) && f.marked_with(marked))
    {
        if let Some(key) = f.cell.as_ref().and_then(|cell| by_cell.get(cell)) {
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
    Ok(ProjectSheet { code: project.code.clone(), sheet_name: sheet_name.to_string(), worksheet: ws, drawn, pages, cell_map })
}

/// Every accepted project's sheet, in plan order, named by its code.
pub fn project_sheets(c: &Consolidation, ctx: &Context, layout: &Layout, taken: &[String]) -> Result<Vec<ProjectSheet>> {
    let mut names = crate::xlsx::SheetNames::new(taken);
    let mut out = Vec::new();
    for a in &c.accepted {
        let Some(project) = c.plan.project(&a.project) else { continue };
        let name = names.claim(&project.code);
        out.push(redraw(c, ctx, layout, a, project, &name, &[Severity::Error], true)?);
    }
    // Number the project sheets from 1 in plan order, so that each footer prints the page the
    // 一覧表 gives (printing the workbook whole would otherwise continue from the front matter).
    let mut page = 1;
    for s in &mut out {
        s.worksheet.set_print_first_page_number(page as u16);
        page += s.pages;
    }
    Ok(out)
}

/// `internal:'0701-01'!F12`: where a finding's cell is on the packet (`sheets` by code).
pub fn link(sheets: &std::collections::HashMap<&str, &ProjectSheet>, f: &Finding) -> Option<(String, String)> {
    let code = f.project.as_deref()?;
    let s = sheets.get(code)?;
    let (r, c) = f.cell.as_ref().and_then(|cell| s.cell_map.get(cell)).copied().unwrap_or((0, 0));
    let target = a1(r, c as u32);
    Some((format!("internal:'{}'!{target}", s.sheet_name.replace('\'', "''")), target))
}
