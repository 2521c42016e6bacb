//! The `table` shape: one item per row under a header row found by the form's labels.
//!
//! A header is the first row whose cells name the form's numbering fields and at least one
//! field a department fills; the header may sit on any row, columns may be moved, inserted
//! or hidden, unknown columns are ignored, and a table may continue on other worksheets.
//! A column marked `fill_down` (a group number merged down its rows) gives every row below
//! it the value above until the next one. Reading never fails: a sheet without a header is
//! simply not a table.

// The table's checks and drawing live in their layers' folders.
#[path = "../checking/table.rs"]
pub mod check;
#[path = "../rendering/table.rs"]
pub mod render;

use crate::finding::{Finding, a1};
use crate::form::{FieldDef, FormDef, Kind, Source};
use crate::grid::Grid;
use crate::normalize::{fold, tidy, tidy_code, tidy_owned};
use crate::period::parse_fiscal_year;
use crate::plan::{Node, Plan, Project};
use crate::read::Field;
use std::collections::BTreeMap;

/// One worksheet's table.
#[derive(Debug, Clone)]
pub struct TableSheet {
    pub sheet: String,
    pub header_row: u32,
    /// Column of each field found, by field key.
    pub columns: BTreeMap<String, u32>,
    /// The year the header names (`R 2 計画概要` → 2020) and the header cell saying it.
    pub year: Option<(i32, Field)>,
    /// Text above the header (the table's title), when there is one.
    pub title: Option<String>,
    pub rows: Vec<TableRow>,
    /// Fields of the form the header lacks.
    pub missing_labels: Vec<String>,
}

/// One data row: its cells by field key, and the item number read from them.
#[derive(Debug, Clone)]
pub struct TableRow {
    pub row: u32,
    pub cells: BTreeMap<String, Field>,
    /// `I 1 (1) ①`, when the row carries both parts of its number.
    pub number: Option<String>,
    /// The name without its leading marker.
    pub name: String,
    /// The group number (`I 1 (1)`) and the group's name as written beside it.
    pub group: String,
    pub group_name: String,
}

/// The tidied text of the cell of field `key` among a row's `cells` (empty when there is none).
pub fn cell_text(cells: &BTreeMap<String, Field>, key: &str) -> String {
    cells.get(key).map(|f| tidy_owned(f.text())).unwrap_or_default()
}

impl TableRow {
    pub fn text(&self, key: &str) -> String {
        cell_text(&self.cells, key)
    }
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.cells.get(key)
    }
}

/// The leading outline number of a text and the rest: `I 1 (1) 新たな財源 の確保` →
/// (`I 1 (1)`, `新たな財源 の確保`). Tokens are Roman numerals (`Ⅱ` reads as `II`), digit
/// runs and bracketed digits, with or without spaces between them (`I3(1)`).
pub fn outline_number(text: &str) -> (String, String) {
    let t = tidy_code(text);
    let chars: Vec<char> = t.chars().collect();
    let mut i = 0;
    let mut tokens: Vec<String> = Vec::new();
    loop {
        while i < chars.len() && chars[i] == ' ' {
            i += 1;
        }
        let start = i;
        if i < chars.len() && "IVX".contains(chars[i]) {
            while i < chars.len() && "IVX".contains(chars[i]) {
                i += 1;
            }
            // A Roman numeral stands alone: `ICT` is a word, not `I` then `CT`.
            if i < chars.len() && chars[i].is_alphabetic() {
                i = start;
                break;
            }
        } else if i < chars.len() && chars[i].is_ascii_digit() {
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
        } else if i < chars.len() && chars[i] == '(' {
            let mut j = i + 1;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            if j > i + 1 && j < chars.len() && chars[j] == ')' {
                i = j + 1;
            } else {
                break;
            }
        } else {
            break;
        }
        tokens.push(chars[start..i].iter().collect());
    }
    let rest: String = chars[i..].iter().collect();
    (tokens.join(" "), rest.trim().to_string())
}

/// The marker numbering an item within its group and the name after it: `① ふるさと納税`
/// → (`①`, `ふるさと納税`). Circled numbers, `(1)` and `1.` count as markers.
pub fn item_marker(text: &str) -> (Option<String>, String) {
    let t = text.trim();
    let mut chars = t.chars();
    if let Some(c) = chars.next()
        && ('\u{2460}'..='\u{2473}').contains(&c)
    {
        return (Some(c.to_string()), tidy(chars.as_str()));
    }
    let folded = tidy(t);
    if let Some(rest) = folded.strip_prefix('(')
        && let Some(close) = rest.find(')')
        && rest[..close].chars().all(|c| c.is_ascii_digit())
        && close > 0
    {
        return (Some(circled(rest[..close].parse().unwrap_or(0))), tidy(&rest[close + 1..]));
    }
    (None, folded)
}

/// `①` for 1 … `⑳` for 20; `(21)` beyond.
pub fn circled(n: u32) -> String {
    if (1..=20).contains(&n) { char::from_u32(0x2460 + n - 1).map(String::from).unwrap_or_default() } else { format!("({n})") }
}

/// Finds the form's table on a sheet, or `None` when the sheet has no header row.
pub fn read_sheet(grid: &Grid, form: &FormDef) -> Option<TableSheet> {
    let table = form.table.as_ref()?;
    let last = grid.last_row();
    let mut header = None;
    // Each label and each cell's text folded once, not once for every pair.
    let labels: Vec<Vec<String>> = form.fields.iter().map(FieldDef::folded_labels).collect();
    for r in 0..=last.min(200) {
        let mut columns: BTreeMap<String, u32> = BTreeMap::new();
        let mut year = None;
        for (c, cell) in grid.row(r) {
            let text = fold(&cell.value.text());
            for (f, labels) in form.fields.iter().zip(&labels) {
                if columns.contains_key(&f.key) {
                    continue;
                }
                if let Some(prefix) = f.matches_folded_header(&text, labels) {
                    columns.insert(f.key.clone(), c);
                    if f.year_prefix && year.is_none() {
                        year = parse_fiscal_year(&prefix).map(|y| (y, Field::at(grid, r, c)));
                    }
                    break;
                }
            }
        }
        let numbered = table.number_from.iter().all(|k| columns.contains_key(k));
        let answered = form.fields.iter().any(|f| f.from == Source::Department && columns.contains_key(&f.key));
        if numbered && answered {
            header = Some((r, columns, year));
            break;
        }
    }
    let (header_row, columns, mut year) = header?;
    // Without a year in the header, the title above it may say it (`… 令和2年度`).
    if year.is_none() {
        year = (0..header_row).flat_map(|r| grid.row(r).map(move |(c, cell)| (r, c, cell))).find_map(|(r, c, cell)| {
            let text = tidy_owned(cell.value.text());
            text.split_whitespace().rev().find_map(parse_fiscal_year).map(|y| (y, Field::at(grid, r, c)))
        });
    }
    let missing_labels = form.fields.iter().filter(|f| !columns.contains_key(&f.key)).map(|f| f.labels[0].clone()).collect();
    let title = (0..header_row).flat_map(|r| grid.row(r).map(|(_, c)| tidy(&c.value.text())).collect::<Vec<_>>()).find(|t| !t.is_empty());
    let header_texts: Vec<String> = grid.row(header_row).map(|(_, c)| fold(&c.value.text())).collect();
    let group_key = form.field_of(Kind::Node).map(|f| f.key.clone());
    let name_key = form.field_of(Kind::Name).map(|f| f.key.clone());
    let mut carried: BTreeMap<String, Field> = BTreeMap::new();
    let mut rows = Vec::new();
    for r in header_row + 1..=last {
        // A header repeated for printing is not data. Compared cell by cell, so that a data
        // row (most rows) is told apart by its first cell, not by folding all of them.
        if grid.row(r).count() == header_texts.len()
            && !header_texts.is_empty()
            && grid.row(r).zip(&header_texts).all(|((_, c), h)| fold(&c.value.text()) == *h)
        {
            continue;
        }
        let mut cells = BTreeMap::new();
        let mut own = 0;
        for f in &form.fields {
            let Some(&c) = columns.get(&f.key) else { continue };
            let field = Field::at(grid, r, c);
            if !field.is_empty() {
                if f.fill_down {
                    carried.insert(f.key.clone(), field.clone());
                } else {
                    own += 1;
                }
                cells.insert(f.key.clone(), field);
            } else if f.fill_down
                && let Some(above) = carried.get(&f.key)
            {
                cells.insert(f.key.clone(), above.clone());
            } else {
                cells.insert(f.key.clone(), field);
            }
        }
        // A row with nothing but the carried group is a blank or a section heading.
        if own == 0 {
            continue;
        }
        let group_text = group_key.as_ref().and_then(|k| cells.get(k)).map(|f| f.text()).unwrap_or_default();
        let (group, group_name) = outline_number(&group_text);
        let name_text = name_key.as_ref().and_then(|k| cells.get(k)).map(|f| f.text()).unwrap_or_default();
        let (marker, name) = item_marker(&name_text);
        // The number: each numbering field's part, joined (`I 1 (1)` + `①`, or a code as is).
        let mut parts: Vec<String> = Vec::new();
        for key in &table.number_from {
            let part = match form.field(key).map(|f| f.kind) {
                Some(Kind::Node) => Some(group.clone()).filter(|g| !g.is_empty()),
                Some(Kind::Name) => marker.clone(),
                _ => cells.get(key).map(|f| tidy_code(&f.text())).filter(|t| !t.is_empty()),
            };
            match part {
                Some(p) => parts.push(p),
                None => {
                    parts.clear();
                    break;
                }
            }
        }
        let number = (!parts.is_empty()).then(|| parts.join(" "));
        rows.push(TableRow { row: r, cells, number, name, group, group_name });
    }
    Some(TableSheet { sheet: grid.name.clone(), header_row, columns, year, title, rows, missing_labels })
}

/// The office's master table read as the plan: one project per row, its number from the
/// group and marker, the hierarchy from the group numbers (`I` › `I 1` › `I 1 (1)`), plan
/// fields from the form's plan columns. The vocabularies come from the form.
pub fn plan_from_master(sheets: &[Grid], form: &FormDef, file: &str) -> Option<(Plan, Vec<Finding>)> {
    let tables: Vec<TableSheet> = sheets.iter().filter_map(|g| read_sheet(g, form)).collect();
    let first = tables.first()?;
    let year = first.year.as_ref().map(|(y, _)| *y)?;
    let mut findings = Vec::new();
    let mut plan = Plan {
        name: first
            .title
            .clone()
            .unwrap_or_else(|| std::path::Path::new(file).file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default()),
        start_year: year,
        end_year: year,
        form: form.name.clone(),
        cadence: form.cadence,
        ..Default::default()
    };
    let dept_key = form.field_of(Kind::Department).map(|f| f.key.clone());
    let mut per_group: BTreeMap<String, u32> = BTreeMap::new();
    for t in &tables {
        for row in &t.rows {
            if row.group.is_empty() {
                findings.push(
                    Finding::error(
                        "plan-project",
                        format!("{} 行目に項目番号(グループの番号)がありません。この行は使いません", row.row + 1),
                    )
                    .file(file)
                    .sheet(t.sheet.clone())
                    .cell(a1(row.row, t.columns.values().copied().min().unwrap_or(0))),
                );
                continue;
            }
            let n = per_group.entry(row.group.clone()).or_default();
            *n += 1;
            let code = row.number.clone().unwrap_or_else(|| format!("{} {}", row.group, circled(*n)));
            add_nodes(&mut plan, &row.group, &row.group_name);
            let attrs = form
                .fields
                .iter()
                .filter(|f| f.from == Source::Plan)
                .filter_map(|f| Some((f.plan_column.as_deref()?, row.text(&f.key))))
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.into(), v.into()))
                .collect();
            plan.projects.push(Project {
                code,
                name: row.name.clone(),
                departments: split_departments(&dept_key.as_ref().map(|k| row.text(k)).unwrap_or_default()),
                node: Some(row.group.clone()),
                attrs,
                ..Default::default()
            });
        }
    }
    let depth = plan.nodes.iter().map(|n| n.level + 1).max().unwrap_or(0);
    plan.levels = (0..depth).map(|i| format!("階層{}", i + 1)).collect();
    Some((plan, findings))
}

/// Adds `I 1 (1)` and its ancestors `I`, `I 1` to the plan's nodes (once each).
pub fn add_nodes(plan: &mut Plan, number: &str, name: &str) {
    let tokens: Vec<&str> = number.split(' ').collect();
    for depth in 1..=tokens.len() {
        let n = tokens[..depth].join(" ");
        let parent = (depth > 1).then(|| tokens[..depth - 1].join(" "));
        match plan.nodes.iter_mut().find(|x| x.number == n) {
            Some(existing) => {
                if existing.name.is_empty() && depth == tokens.len() {
                    existing.name = name.to_string();
                }
            }
            None => plan.nodes.push(Node {
                number: n.clone(),
                name: if depth == tokens.len() { name.to_string() } else { String::new() },
                level: depth - 1,
                parent,
                code_prefix: None,
            }),
        }
    }
}

fn split_departments(text: &str) -> Vec<String> {
    text.split(|c: char| c == '、' || c == ',' || c == '，' || c == '・' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outline_numbers_as_printed() {
        assert_eq!(outline_number("I 1 (1) 新たな財源 の確保"), ("I 1 (1)".into(), "新たな財源 の確保".into()));
        assert_eq!(outline_number("Ⅱ1(3)窓口改善の取組み"), ("II 1 (3)".into(), "窓口改善の取組み".into()));
        assert_eq!(outline_number("I3(1)"), ("I 3 (1)".into(), "".into()));
        assert_eq!(outline_number("ICTの活用"), ("".into(), "ICTの活用".into()));
        assert_eq!(outline_number("III 2 (2) 事務の効率化"), ("III 2 (2)".into(), "事務の効率化".into()));
    }

    #[test]
    fn item_markers() {
        assert_eq!(item_marker("① ふるさと納税の推進"), (Some("①".into()), "ふるさと納税の推進".into()));
        assert_eq!(item_marker("(2) 電子申告"), (Some("②".into()), "電子申告".into()));
        assert_eq!(item_marker("電子申告"), (None, "電子申告".into()));
        assert_eq!(circled(3), "③");
    }
}
