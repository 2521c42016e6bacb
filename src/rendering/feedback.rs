//! `kaito feedback`: one workbook per department with errors or missing answers — a plain
//! list of what to fix and which items are still missing, with the deadline and whom to ask,
//! then its returned sheets re-drawn with every problem cell highlighted and noted — and a
//! covering text to paste into the e-mail. The workbook is itself a valid response: fixed and
//! returned, it reads like any other. Problems only the office can settle (copies, old files,
//! its own corrections) stay in the office workbook.

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
    /// The covering text for the e-mail, and where it is written.
    pub text: String,
    pub text_path: PathBuf,
}

/// Who sends the feedback, whom to ask, and by when: from the options, else the plan's
/// 計画 sheet (`事務局`, `連絡先`, `提出期限`).
#[derive(Debug, Clone, Default)]
pub struct Letter {
    pub sender: String,
    pub contact: String,
    pub deadline: String,
}

impl Letter {
    pub fn new(plan: &crate::plan::Plan, sender: Option<&str>, contact: Option<&str>, deadline: Option<&str>) -> Letter {
        let from_plan = |key: &str| plan.list(key).join("、");
        Letter {
            sender: sender.map(str::to_string).unwrap_or_else(|| from_plan("事務局")),
            contact: contact.map(str::to_string).unwrap_or_else(|| from_plan("連絡先")),
            deadline: deadline.map(str::to_string).unwrap_or_else(|| from_plan("提出期限")),
        }
    }
}

/// Rules about what only the office can settle: which of two copies counts, a file of another
/// period already set aside, a file open in Excel, the office's own corrections. A department
/// missing an answer because of them gets the reminder instead.
pub const OFFICE_SIDE: [&str; 7] = [
    "duplicate",
    "period-mismatch",
    "file-open-in-excel",
    "correction-applied",
    "correction-stale",
    "correction-unmatched",
    "correction-invalid",
];

/// The file a department gets: `差戻し_…` when something must be fixed, `提出依頼_…` when only
/// answers are missing.
pub fn file_stem(department: &str, period: crate::period::Period, fix: bool) -> String {
    safe_file_name(&format!("{}_{}_{}", if fix { "差戻し" } else { "提出依頼" }, department, period.code()))
}

/// One department's feedback: to whom, about what, signed by whom.
pub struct Addressee<'a> {
    pub plan: &'a crate::plan::Plan,
    pub period: crate::period::Period,
    pub department: &'a str,
    pub letter: &'a Letter,
    pub findings: &'a [&'a crate::finding::Finding],
    pub missing: &'a [&'a crate::consolidate::Missing],
}

impl Addressee<'_> {
    fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }
    /// Whether this item of the department's has something to fix (its sheet goes back).
    pub fn to_fix(&self, item: &str) -> bool {
        self.findings.iter().any(|f| f.item() == Some(item))
    }
}

/// The covering text of one department's e-mail: what the attachment is, how many things to
/// fix, which items are missing, the deadline, and whom to ask. Windows line ends, so that it
/// pastes the same into any mail program.
pub fn covering_text(a: &Addressee, attachment: &str) -> String {
    let (errors, warnings) = (a.count(Severity::Error), a.count(Severity::Warning));
    let letter = a.letter;
    let mut t = Vec::new();
    t.push(format!("{} 御中", a.department));
    t.push(String::new());
    t.push(format!("{}の{}の報告について、ご確認をお願いします。", a.plan.name, a.period.japanese()));
    if errors + warnings > 0 {
        t.push(format!(
            "ご提出いただいた回答票に、直していただきたい箇所が {errors} 件{}あります。",
            if warnings > 0 { format!("(ほかに確認をお願いしたい箇所が {warnings} 件)") } else { String::new() }
        ));
        t.push(format!(
            "添付の「{attachment}」の「差戻し一覧」シートと、色の付いたセルのメモをご覧のうえ、直したファイルをそのままご返送ください。"
        ));
    }
    if !a.missing.is_empty() {
        t.push(format!("次の {} 件の回答票がまだ届いていません。ご提出をお願いします。", a.missing.len()));
        for m in a.missing {
            t.push(format!("  ・{} {}", m.project, m.name));
        }
        if errors + warnings == 0 {
            t.push(format!("添付の「{attachment}」に一覧があります。"));
        }
    }
    if !letter.deadline.is_empty() {
        t.push(format!("提出期限: {}", letter.deadline));
    }
    t.push(String::new());
    let who = [letter.sender.as_str(), letter.contact.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ");
    if !who.is_empty() {
        t.push(format!("問合せ先: {who}"));
    }
    let mut text = t.join("\r\n");
    text.push_str("\r\n");
    text
}

/// What each answering department gets back: its errors and warnings (not what only the
/// office can settle, see [`OFFICE_SIDE`]). A department gets a file when it has an error or
/// when an answer of its is missing (`missing` names those departments).
pub fn by_department<'a>(
    findings: &'a [crate::finding::Finding],
    plan: &crate::plan::Plan,
    missing: &[&str],
) -> BTreeMap<String, Vec<&'a crate::finding::Finding>> {
    let mut out: BTreeMap<String, Vec<&crate::finding::Finding>> = BTreeMap::new();
    for f in findings.iter().filter(|f| {
        matches!(f.severity, Severity::Error | Severity::Warning) && f.rule != "not-submitted" && !OFFICE_SIDE.contains(&f.rule)
    }) {
        if let Some(p) = f.item().and_then(|p| plan.project(p)) {
            out.entry(p.responding_department().to_string()).or_default().push(f);
        }
    }
    for d in missing {
        out.entry(d.to_string()).or_default();
    }
    out.retain(|d, fs| !d.is_empty() && (fs.iter().any(|f| f.severity == Severity::Error) || missing.contains(&d.as_str())));
    out
}

/// The run's feedback, whatever its form: for each department that gets one, a workbook
/// with the 差戻し一覧 and the sheets `add_sheets` draws for it, and the covering text —
/// rendered as (path under `output`, bytes, what was sent). Nothing is written here; the
/// caller writes them all at once.
pub fn render_all(
    plan: &crate::plan::Plan,
    period: crate::period::Period,
    findings: &[crate::finding::Finding],
    missing: &[crate::consolidate::Missing],
    letter: &Letter,
    output: &Path,
    add_sheets: &dyn Fn(&mut Workbook, &Addressee) -> Result<()>,
) -> Result<Vec<(PathBuf, Vec<u8>, Sent)>> {
    let missing_departments: Vec<&str> = missing.iter().map(|m| m.department.as_str()).collect();
    let mut out = Vec::new();
    for (department, list) in &by_department(findings, plan, &missing_departments) {
        let own: Vec<_> = missing.iter().filter(|m| &m.department == department).collect();
        let a = Addressee { plan, period, department, letter, findings: list, missing: &own };
        let mut wb = Workbook::new();
        wb.set_properties(
            &rust_xlsxwriter::DocProperties::new()
                .set_title(format!("{} 差戻し {}", period.japanese(), department))
                .set_subject(plan.name.clone())
                .set_comment("kaito feedback で作成")
                .set_custom_property(crate::grid::MADE_BY_PROPERTY, crate::intake::MADE_BY_FEEDBACK),
        );
        list_sheet(&mut wb, &a)?;
        add_sheets(&mut wb, &a)?;
        let stem = file_stem(department, period, a.count(Severity::Error) + a.count(Severity::Warning) > 0);
        let path = output.join(format!("{stem}.xlsx"));
        let sent = Sent {
            department: department.clone(),
            path: path.clone(),
            errors: a.count(Severity::Error),
            warnings: a.count(Severity::Warning),
            missing: own.len(),
            text: covering_text(&a, &format!("{stem}.xlsx")),
            text_path: output.join(format!("{stem}.txt")),
        };
        out.push((path, crate::xlsx::workbook_bytes(&mut wb)?, sent));
    }
    Ok(out)
}

/// The response card's feedback: the department's sheets with something to fix, re-drawn.
pub fn render(c: &Consolidation, layout: &Layout, output: &Path, letter: &Letter) -> Result<Vec<(PathBuf, Vec<u8>, Sent)>> {
    let ctx = c.context(layout.hints());
    let by_sheet = packet::findings_by_sheet(c);
    let none = Vec::new();
    render_all(&c.plan, c.period, &c.findings, &c.missing, letter, output, &|wb, a| {
        let mut taken = vec!["差戻し一覧".to_string()];
        for acc in c.accepted.iter().filter(|x| c.plan.project(&x.project).map(|p| p.responding_department()) == Some(a.department)) {
            let Some(project) = c.plan.project(&acc.project).filter(|p| a.to_fix(&p.code)) else { continue };
            let name = write::safe_sheet_name(&project.code, &taken);
            taken.push(name.clone());
            let findings = by_sheet.get(&(project.code.as_str(), acc.file.as_str())).unwrap_or(&none);
            let (_, ws) = packet::redraw(c, &ctx, layout, acc, project, &name, findings, (&[Severity::Error, Severity::Warning], false))?;
            wb.push_worksheet(ws);
        }
        Ok(())
    })
}

/// 差戻し一覧: what the department must fix and what is still missing.
pub fn list_sheet(wb: &mut Workbook, a: &Addressee) -> Result<()> {
    let (plan, period, department, letter, findings, missing) = (a.plan, a.period, a.department, a.letter, a.findings, a.missing);
    let f = Formats::new();
    let ws = wb.add_worksheet().set_name("差戻し一覧")?;
    let title = Format::new().set_bold().set_font_size(14);
    for (i, w) in [10.0, 30.0, 10.0, 70.0, 24.0].iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    ws.write_string_with_format(0, 0, format!("{} 様 {} {}の報告の確認のお願い", department, plan.name, period.japanese()), &title)?;
    let mut r = 1;
    if !findings.is_empty() {
        ws.write_string(
            r,
            0,
            "色の付いたセルに問題があります(セルのメモに内容があります)。直したら、このファイルをそのまま返送してください。",
        )?;
        r += 1;
    }
    if !missing.is_empty() {
        ws.write_string(r, 0, "下の「まだ届いていない回答票」を提出してください。")?;
        r += 1;
    }
    for (k, v) in [("提出期限", &letter.deadline), ("事務局", &letter.sender), ("連絡先", &letter.contact)] {
        if !v.is_empty() {
            ws.write_string_with_format(r, 0, k, &f.header)?;
            ws.merge_range(r, 1, r, 3, "", &f.text)?;
            put_text(ws, r, 1, v, &f.text)?;
            r += 1;
        }
    }
    r += 1;
    if !findings.is_empty() {
        for (i, h) in ["重要度", "事業", "セル", "内容", "直し方の例"].iter().enumerate() {
            ws.write_string_with_format(r, i as u16, *h, &f.header)?;
        }
        r += 1;
    }
    let mut sorted = findings.to_vec();
    sorted.sort_by(|a, b| a.item().cmp(&b.item()).then(a.severity.cmp(&b.severity)));
    for x in sorted {
        let project = x.item().and_then(|p| plan.project(p)).map(|p| format!("{} {}", p.code, p.name)).unwrap_or_default();
        put_text(ws, r, 0, x.severity.japanese(), &f.text)?;
        put_text(ws, r, 1, &project, &f.wrap)?;
        put_text(ws, r, 2, x.cell_ref().unwrap_or(""), &f.text)?;
        put_text(ws, r, 3, &x.message(), &f.wrap)?;
        put_text(ws, r, 4, x.suggestion().unwrap_or(""), &f.wrap)?;
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
