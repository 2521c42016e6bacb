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

/// A4 landscape with the default margins (0.7" left/right, 0.75" top/bottom), in points.
pub const PRINTABLE_WIDTH: f64 = 841.89 - 2.0 * 0.7 * 72.0;
pub const PRINTABLE_HEIGHT: f64 = 595.28 - 2.0 * 0.75 * 72.0;

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

/// Width of a column of `chars` Excel characters, in points, as wide as any spreadsheet
/// program draws it. Excel's Calibri 11 takes 7 px per character; LibreOffice without
/// Calibri's metrics measured close to 10 px here. A sheet scaled to fit at 10 px fits one page
/// wide in both, and at the same explicit scale both break pages in the same places.
pub fn column_points(chars: f64) -> f64 {
    ((chars * 10.0 + 5.0).trunc()) * 0.75
}

/// The whole-percent print scale at which the columns fit one page wide.
pub fn scale(col_widths: &[f64]) -> u16 {
    let width: f64 = col_widths.iter().map(|w| column_points(*w)).sum();
    if width > PRINTABLE_WIDTH { (PRINTABLE_WIDTH / width * 100.0).floor() as u16 } else { 100 }
}

/// Pages a sheet takes printed at `scale(col_widths)`: rows go to the next page when they no
/// longer fit (a row is never split).
pub fn pages(col_widths: &[f64], row_heights: &[f64]) -> u32 {
    let scale = scale(col_widths) as f64 / 100.0;
    let mut pages = 1;
    let mut used = 0.0;
    for h in row_heights {
        let h = h * scale;
        if used + h > PRINTABLE_HEIGHT && used > 0.0 {
            pages += 1;
            used = 0.0;
        }
        used += h;
    }
    pages
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
) -> Result<ProjectSheet> {
    let answers = Answers::from_sheet(&a.sheet, ctx, |p| p <= c.period, |_| true);
    let by_cell: BTreeMap<String, String> = a.sheet.keyed_cells().into_iter().map(|(k, cell)| (cell, k)).collect();
    let mut notes: BTreeMap<String, String> = BTreeMap::new();
    for f in c
        .findings
        .iter()
        .filter(|f| f.project.as_deref() == Some(&project.code) && f.file.as_deref() == Some(&a.file) && marked.contains(&f.severity))
    {
        if let Some(key) = f.cell.as_ref().and_then(|cell| by_cell.get(cell)) {
            let text = note_text(f);
            notes.entry(key.clone()).and_modify(|n| *n = format!("{n}\n{text}")).or_insert(text);
        }
    }
    let mut ws = Worksheet::new();
    ws.set_name(sheet_name)?;
    let drawn = draw::response_sheet(&mut ws, &c.plan, project, c.period, &answers, layout, &DrawOptions { notes, ..Default::default() })?;
    let pages = pages(&drawn.col_widths, &drawn.row_heights);
    let cell_map = by_cell.iter().filter_map(|(cell, key)| drawn.places.get(key).map(|p| (cell.clone(), *p))).collect();
    Ok(ProjectSheet { code: project.code.clone(), sheet_name: sheet_name.to_string(), worksheet: ws, drawn, pages, cell_map })
}

/// Every accepted project's sheet, in plan order, named by its code.
pub fn project_sheets(c: &Consolidation, ctx: &Context, layout: &Layout, taken: &[String]) -> Result<Vec<ProjectSheet>> {
    let mut names: Vec<String> = taken.to_vec();
    let mut out = Vec::new();
    for a in &c.accepted {
        let Some(project) = c.plan.project(&a.project) else { continue };
        let name = crate::write::safe_sheet_name(&project.code, &names);
        names.push(name.clone());
        out.push(redraw(c, ctx, layout, a, project, &name, &[Severity::Error])?);
    }
    Ok(out)
}

/// `internal:'0701-01'!F12`: where a finding's cell is on the packet.
pub fn link(sheets: &[ProjectSheet], f: &Finding) -> Option<(String, String)> {
    let code = f.project.as_deref()?;
    let s = sheets.iter().find(|s| s.code == code)?;
    let (r, c) = f.cell.as_ref().and_then(|cell| s.cell_map.get(cell)).copied().unwrap_or((0, 0));
    let target = a1(r, c as u32);
    Some((format!("internal:'{}'!{target}", s.sheet_name.replace('\'', "''")), target))
}
