//! Office corrections (訂正): the workbook the office keeps of the obvious slips it fixes
//! itself rather than sending a sheet back (item, cell, period, the value as written, the
//! corrected value, reason, who, when). They are applied to the values read, before any
//! check, so every check and total sees the corrected value once; the department's file is
//! never touched, every correction leaves a finding, and a correction whose original value
//! has changed since (the department sent a new file) is reported and not applied.

use crate::finding::{Finding, Severity};
use crate::grid::{self, Limits, Value};
use crate::intake::ReadFile;
use crate::normalize::fold;
use crate::period::Period;
use crate::read::{Field, ResponseSheet};
use anyhow::{Context, Result, bail};
use std::path::Path;

/// Rule ids of the findings corrections leave.
pub const APPLIED: &str = crate::finding::CORRECTED;
pub const STALE: &str = "correction-stale";
pub const UNMATCHED: &str = "correction-unmatched";
pub const INVALID: &str = "correction-invalid";

/// The columns of a corrections workbook, in the order kaito writes them.
pub const COLUMNS: [&str; 8] = ["事業コード", "セル", "期間", "元の値", "訂正後の値", "理由", "訂正者", "日付"];

/// One row of the corrections workbook.
#[derive(Debug, Clone)]
pub struct Correction {
    /// Row of the corrections workbook (1-based, as Excel shows it).
    pub row: u32,
    pub item: String,
    pub cell: String,
    pub period: Option<Period>,
    pub original: String,
    pub corrected: String,
    pub reason: String,
    pub who: String,
    pub when: String,
}

/// What became of a correction in this run.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    Applied {
        file: String,
        sheet: String,
    },
    /// The cell now holds something else than the value the correction was made against.
    Stale {
        file: String,
        sheet: String,
        found: String,
    },
    /// No sheet of this run has the item's cell.
    Unmatched,
    /// For another period than this run's.
    OtherPeriod,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub correction: Correction,
    pub fate: Fate,
}

/// Reads a corrections workbook: the first sheet with the 事業コード, セル, 元の値 and 訂正後の値
/// headings. Rows without an item or a cell come back as findings.
pub fn load(path: &Path) -> Result<(Vec<Correction>, Vec<Finding>)> {
    let bytes = std::fs::read(path).with_context(|| format!("訂正簿 {} を読めません", path.display()))?;
    let book = grid::open(&bytes, &Limits::default()).map_err(|e| anyhow::anyhow!("訂正簿 {} を開けません({e})", path.display()))?;
    let shown = path.display().to_string();
    for g in &book.sheets {
        // The header row: the first row carrying the required headings.
        let Some(header) = (0..=g.last_row().min(20)).find(|&r| {
            let texts: Vec<String> = g.row(r).map(|(_, c)| fold(&c.value.text())).collect();
            ["事業コード", "セル", "元の値", "訂正後の値"].iter().all(|h| texts.contains(&fold(h)))
        }) else {
            continue;
        };
        let col = |name: &str| g.row(header).find(|(_, c)| fold(&c.value.text()) == fold(name)).map(|(c, _)| c);
        let cols: Vec<Option<u32>> = COLUMNS.iter().map(|h| col(h)).collect();
        let mut out = Vec::new();
        let mut findings = Vec::new();
        for r in header + 1..=g.last_row() {
            let get = |i: usize| cols[i].map(|c| g.value(r, c).text().trim().to_string()).unwrap_or_default();
            let row: Vec<String> = (0..COLUMNS.len()).map(get).collect();
            if row.iter().all(|v| v.is_empty()) {
                continue;
            }
            let at = |i: usize| crate::finding::a1(r, cols[i].unwrap_or(0));
            let problem = if row[0].is_empty() {
                Some((0, "事業コードが空です"))
            } else if row[1].is_empty() || !is_a1(&row[1]) {
                Some((1, "セルは回答票のセル番地(F12 など)で書いてください"))
            } else {
                None
            };
            let period = if row[2].is_empty() { None } else { Period::parse(&row[2]) };
            let problem =
                problem.or((!row[2].is_empty() && period.is_none()).then_some((2, "期間が読めません(2021H1、令和3年度上半期 など)")));
            if let Some((i, what)) = problem {
                let mut f = Finding::error(INVALID, format!("訂正簿の {} 行目: {what}。この行は適用していません", r + 1));
                f.file = Some(shown.as_str().into());
                f.sheet = Some(g.name.as_str().into());
                f.set_cell(Some(&at(i)));
                findings.push(f);
                continue;
            }
            out.push(Correction {
                row: r + 1,
                item: row[0].clone(),
                cell: row[1].to_uppercase(),
                period,
                original: row[3].clone(),
                corrected: row[4].clone(),
                reason: row[5].clone(),
                who: row[6].clone(),
                when: row[7].clone(),
            });
        }
        return Ok((out, findings));
    }
    bail!(
        "訂正簿 {} に「{}」の見出しのある表がありません。事務用ブックの「訂正」シートと同じ見出しで作ってください",
        path.display(),
        COLUMNS.join("」「")
    )
}

fn is_a1(text: &str) -> bool {
    let letters = text.chars().take_while(|c| c.is_ascii_alphabetic()).count();
    letters > 0 && letters < text.len() && text[letters..].chars().all(|c| c.is_ascii_digit())
}

/// A sheet read by one of the engines, whose fields a correction can reach.
pub trait Corrigible {
    fn sheet_name(&self) -> &str;
    /// The period the sheet says it is for.
    fn period(&self) -> Option<Period>;
    /// Every field with the names of the item it belongs to (code, number or name as written).
    fn fields_mut(&mut self) -> Vec<(Vec<String>, &mut Field)>;
}

/// Applies the corrections to the values read, in place. Returns what became of each and a
/// finding for each (applied: information; stale or unmatched: a warning).
pub fn apply<S: Corrigible>(files: &mut [ReadFile<S>], list: &[Correction], run_period: Option<Period>) -> (Vec<Outcome>, Vec<Finding>) {
    let fates = files.iter_mut().map(|f| apply_to(f, list, run_period)).collect();
    settle(list, run_period, fates)
}

/// Applies the corrections to one file's values, in place (a run that checks each file as it
/// is read corrects it there): what each correction did here, as (its index in `list`, fate).
/// [`settle`] turns every file's fates into outcomes.
pub fn apply_to<S: Corrigible>(f: &mut ReadFile<S>, list: &[Correction], run_period: Option<Period>) -> Vec<(usize, Fate)> {
    let mut fates = Vec::new();
    for (i, c) in list.iter().enumerate() {
        if other_period(c, run_period) {
            continue;
        }
        for s in f.sheets.iter_mut() {
            if let (Some(p), Some(sp)) = (c.period, s.period())
                && p != sp
            {
                continue;
            }
            let sheet = s.sheet_name().to_string();
            for (items, field) in s.fields_mut() {
                if field.a1() != c.cell || !items.iter().any(|it| fold(it) == fold(&c.item)) {
                    continue;
                }
                let found = field.text();
                let file = f.record.shown.to_string();
                if found.trim() == c.original.trim() {
                    field.value = value_of(&c.corrected);
                    field.shown = None;
                    fates.push((i, Fate::Applied { file, sheet: sheet.clone() }));
                } else {
                    fates.push((i, Fate::Stale { file, sheet: sheet.clone(), found }));
                }
            }
        }
    }
    fates
}

fn other_period(c: &Correction, run_period: Option<Period>) -> bool {
    matches!((c.period, run_period), (Some(p), Some(run)) if p != run)
}

/// What became of each correction, from the fates [`apply_to`] gave for every file (in the
/// files' order), with a finding for each: a correction no file matched is unmatched.
pub fn settle(list: &[Correction], run_period: Option<Period>, files: Vec<Vec<(usize, Fate)>>) -> (Vec<Outcome>, Vec<Finding>) {
    let mut by_correction: Vec<Vec<Fate>> = vec![Vec::new(); list.len()];
    for (i, fate) in files.into_iter().flatten() {
        by_correction[i].push(fate);
    }
    let mut outcomes = Vec::new();
    let mut findings = Vec::new();
    for (c, mut fates) in list.iter().zip(by_correction) {
        if other_period(c, run_period) {
            outcomes.push(Outcome { correction: c.clone(), fate: Fate::OtherPeriod });
            continue;
        }
        if fates.is_empty() {
            fates.push(Fate::Unmatched);
        }
        for fate in fates {
            findings.push(finding(c, &fate));
            outcomes.push(Outcome { correction: c.clone(), fate });
        }
    }
    (outcomes, findings)
}

/// The corrected text as a cell value: numbers as numbers (amounts are checked as numbers).
fn value_of(text: &str) -> Value {
    let t = text.trim();
    if t.is_empty() {
        return Value::Empty;
    }
    match t.replace(',', "").parse::<f64>() {
        Ok(n) if !t.starts_with('+') => Value::Number(n),
        _ => Value::Text(t.to_string()),
    }
}

fn finding(c: &Correction, fate: &Fate) -> Finding {
    let who = [c.who.as_str(), c.when.as_str()].iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(" ");
    let why = if c.reason.is_empty() { String::new() } else { format!("理由: {}", c.reason) };
    let note = [why, who].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join("、");
    let (severity, rule, message, file, sheet) = match fate {
        Fate::Applied { file, sheet } => (
            Severity::Info,
            APPLIED,
            format!(
                "事務局が「{}」を「{}」に訂正しました{}",
                c.original,
                c.corrected,
                if note.is_empty() { String::new() } else { format!("({note})") }
            ),
            Some(file.clone()),
            Some(sheet.clone()),
        ),
        Fate::Stale { file, sheet, found } => (
            Severity::Warning,
            STALE,
            format!(
                "訂正簿 {} 行目の訂正は適用していません: このセルは今「{found}」で、訂正簿の元の値「{}」と違います(課が直して出し直した可能性があります)。確かめて、訂正簿の行を直すか消してください",
                c.row, c.original
            ),
            Some(file.clone()),
            Some(sheet.clone()),
        ),
        _ => (
            Severity::Warning,
            UNMATCHED,
            format!(
                "訂正簿 {} 行目の訂正は適用していません: 事業「{}」のセル {} が、今回の回答票にありません。事業コードとセル番地を確かめてください",
                c.row, c.item, c.cell
            ),
            None,
            None,
        ),
    };
    let mut f = Finding::new(severity, rule, message);
    f.set_item(Some(&c.item));
    f.file = file.map(Into::into);
    f.sheet = sheet.map(Into::into);
    f.set_cell(Some(&c.cell));
    f
}

fn opt(f: &mut Option<Field>) -> Option<&mut Field> {
    f.as_mut()
}

impl Corrigible for ResponseSheet {
    fn sheet_name(&self) -> &str {
        &self.sheet
    }
    fn period(&self) -> Option<Period> {
        self.period.as_ref().map(|(p, _)| *p)
    }
    fn fields_mut(&mut self) -> Vec<(Vec<String>, &mut Field)> {
        let items = vec![self.code.text()];
        let mut out: Vec<&mut Field> = Vec::new();
        for f in [
            &mut self.responding_department,
            &mut self.person,
            &mut self.contact,
            &mut self.progress,
            &mut self.countermeasures,
            &mut self.priority,
            &mut self.fiscal,
        ] {
            out.extend(opt(f));
        }
        for a in &mut self.activities {
            out.extend(a.status.values_mut());
            out.extend(a.schedule.values_mut());
        }
        for o in &mut self.outcomes {
            out.push(&mut o.result);
        }
        for e in self.effect.values_mut() {
            out.push(&mut e.amount);
            out.push(&mut e.basis);
        }
        out.into_iter().map(|f| (items.clone(), f)).collect()
    }
}

impl Corrigible for crate::card::CardSheet {
    fn sheet_name(&self) -> &str {
        &self.sheet
    }
    fn period(&self) -> Option<Period> {
        self.period.as_ref().map(|(p, _)| *p)
    }
    fn fields_mut(&mut self) -> Vec<(Vec<String>, &mut Field)> {
        // The item is named by whichever field holds the item number; offer every value
        // answered once (a cell address names one field anyway).
        let items: Vec<String> = self.once.values().map(|f| f.text()).filter(|t| !t.is_empty()).collect();
        let mut out: Vec<&mut Field> = self.once.values_mut().collect();
        for m in self.by_year.values_mut() {
            out.extend(m.values_mut());
        }
        for lines in self.lines.values_mut() {
            for m in lines {
                out.extend(m.values_mut());
            }
        }
        out.into_iter().map(|f| (items.clone(), f)).collect()
    }
}

impl Corrigible for crate::table::TableSheet {
    fn sheet_name(&self) -> &str {
        &self.sheet
    }
    fn period(&self) -> Option<Period> {
        self.year.as_ref().map(|(y, _)| Period::year(*y))
    }
    fn fields_mut(&mut self) -> Vec<(Vec<String>, &mut Field)> {
        let mut out = Vec::new();
        for r in &mut self.rows {
            let items: Vec<String> = r.number.iter().cloned().chain(std::iter::once(r.name.clone())).collect();
            for f in r.cells.values_mut() {
                out.push((items.clone(), f));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_are_a1_addresses() {
        assert!(super::is_a1("F12"));
        assert!(super::is_a1("AB3"));
        assert!(!super::is_a1("12"));
        assert!(!super::is_a1("F"));
        assert!(!super::is_a1("進捗"));
    }

    #[test]
    fn corrected_numbers_are_numbers() {
        assert_eq!(super::value_of("1,200"), crate::grid::Value::Number(1200.0));
        assert_eq!(super::value_of("概ね順調"), crate::grid::Value::Text("概ね順調".into()));
        assert_eq!(super::value_of("+0.47"), crate::grid::Value::Text("+0.47".into()));
    }
}
