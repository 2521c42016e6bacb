//! `kaito feedback`: one workbook per department with errors — a plain list of what to fix
//! and which projects are still missing, then its returned sheets re-drawn with every problem
//! cell highlighted and noted. The file is itself a valid response: fixed and returned, it
//! reads like any other.

use crate::consolidate::Consolidation;
use crate::finding::Severity;
use crate::layout::Layout;
use crate::packet;
use crate::write::{self, Formats, put_text, safe_file_name};
use anyhow::Result;
use rust_xlsxwriter::{Format, Workbook};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One feedback workbook written.
#[derive(Debug, Clone)]
pub struct Sent {
    pub department: String,
    pub path: PathBuf,
    pub errors: usize,
    pub warnings: usize,
    pub missing: usize,
}

/// The department a finding goes back to: the 回答課 of its project.
fn department_of(c: &Consolidation, project: Option<&str>) -> Option<String> {
    project.and_then(|p| c.plan.project(p)).map(|p| p.responding_department().to_string())
}

/// The errors and warnings each answering department gets back: only departments with at
/// least one error get a file. Missing sheets are listed separately, not as findings.
pub fn by_department<'a>(
    findings: &'a [crate::finding::Finding],
    plan: &crate::plan::Plan,
) -> BTreeMap<String, Vec<&'a crate::finding::Finding>> {
    let mut out: BTreeMap<String, Vec<&crate::finding::Finding>> = BTreeMap::new();
    for f in findings.iter().filter(|f| matches!(f.severity, Severity::Error | Severity::Warning) && f.rule != "not-submitted") {
        if let Some(p) = f.project.as_deref().and_then(|p| plan.project(p)) {
            out.entry(p.responding_department().to_string()).or_default().push(f);
        }
    }
    out.retain(|d, fs| !d.is_empty() && fs.iter().any(|f| f.severity == Severity::Error));
    out
}

/// The feedback workbooks, rendered: (path under `output`, bytes, what was sent). Nothing is
/// written here; the caller writes them all at once.
pub fn render(c: &Consolidation, layout: &Layout, output: &Path) -> Result<Vec<(PathBuf, Vec<u8>, Sent)>> {
    let ctx = c.context(layout.hints());
    let by_department = by_department(&c.findings, &c.plan);
    let mut sent = Vec::new();
    for (department, findings) in &by_department {
        let missing: Vec<_> = c.missing.iter().filter(|m| &m.department == department).collect();
        let mut wb = Workbook::new();
        list_sheet(&mut wb, &c.plan, c.period, department, findings, &missing)?;
        let mut taken = vec!["差戻し一覧".to_string()];
        for a in c.accepted.iter().filter(|a| department_of(c, Some(&a.project)).as_deref() == Some(department)) {
            let Some(project) = c.plan.project(&a.project) else { continue };
            let name = write::safe_sheet_name(&project.code, &taken);
            taken.push(name.clone());
            let sheet = packet::redraw(c, &ctx, layout, a, project, &name, &[Severity::Error, Severity::Warning], false)?;
            wb.push_worksheet(sheet.worksheet);
        }
        let props = rust_xlsxwriter::DocProperties::new()
            .set_title(format!("{} 差戻し {}", c.period.japanese(), department))
            .set_subject(c.plan.name.clone())
            .set_comment("kaito feedback で作成")
            .set_custom_property(crate::grid::MADE_BY_PROPERTY, crate::intake::MADE_BY_FEEDBACK);
        wb.set_properties(&props);
        let path = output.join(safe_file_name(&format!("差戻し_{}_{}.xlsx", department, c.period.code())));
        let bytes = crate::xlsx::workbook_bytes(&mut wb)?;
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        let s = Sent {
            department: department.clone(),
            path: path.clone(),
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            missing: missing.len(),
        };
        sent.push((path, bytes, s));
    }
    Ok(sent)
}

/// 差戻し一覧: what the department must fix and what is still missing.
pub fn list_sheet(
    wb: &mut Workbook,
    plan: &crate::plan::Plan,
    period: crate::period::Period,
    department: &str,
    findings: &[&crate::finding::Finding],
    missing: &[&crate::consolidate::Missing],
) -> Result<()> {
    let f = Formats::new();
    let ws = wb.add_worksheet().set_name("差戻し一覧")?;
    let title = Format::new().set_bold().set_font_size(14);
    for (i, w) in [10.0, 30.0, 10.0, 70.0, 24.0].iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    ws.write_string_with_format(0, 0, format!("{} 様 {} 報告回答票の確認のお願い", department, period.japanese()), &title)?;
    ws.write_string(
        1,
        0,
        "色の付いたセルに問題があります(セルのメモに内容があります)。直したら、このファイルをそのまま返送してください。",
    )?;
    let mut r = 3;
    for (i, h) in ["重要度", "事業", "セル", "内容", "直し方の例"].iter().enumerate() {
        ws.write_string_with_format(r, i as u16, *h, &f.header)?;
    }
    r += 1;
    let mut sorted = findings.to_vec();
    sorted.sort_by(|a, b| a.project.cmp(&b.project).then(a.severity.cmp(&b.severity)));
    for x in sorted {
        let project = x.project.as_deref().and_then(|p| plan.project(p)).map(|p| format!("{} {}", p.code, p.name)).unwrap_or_default();
        put_text(ws, r, 0, x.severity.japanese(), &f.text)?;
        put_text(ws, r, 1, &project, &f.wrap)?;
        put_text(ws, r, 2, x.cell.as_deref().unwrap_or(""), &f.text)?;
        put_text(ws, r, 3, &x.message, &f.wrap)?;
        put_text(ws, r, 4, x.suggestion.as_deref().unwrap_or(""), &f.wrap)?;
        r += 1;
    }
    if !missing.is_empty() {
        r += 1;
        ws.write_string_with_format(r, 0, "まだ届いていない回答票", &f.header)?;
        ws.merge_range(r, 0, r, 4, "まだ届いていない回答票", &f.header)?;
        r += 1;
        for m in missing {
            put_text(ws, r, 1, &format!("{} {}", m.project, m.name), &f.wrap)?;
            put_text(ws, r, 3, "回答票を提出してください", &f.text)?;
            r += 1;
        }
    }
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_footer("&L&A&R&P / &N");
    Ok(())
}
