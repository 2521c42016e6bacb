//! Cards defined by their fields' blocks (取組評価シート…): one item per worksheet, every
//! value found from its label, block by block, never by cell address.
//!
//! - `pairs` and `wide`: the value is the first non-empty cell right of the label before the
//!   next label of the row, else the cell just right of it.
//! - `year-grid`: the header label's row gives a column per fiscal year (and a total); each
//!   row field's label, below the header, gives its row.
//!
//! Checks and drawing are in `checking/card.rs` and `rendering/card.rs`.

#[path = "../checking/card.rs"]
pub mod check;
#[path = "../rendering/card.rs"]
pub mod render;

use crate::form::{Block, FormDef, Kind};
use crate::grid::{Grid, Value};
use crate::normalize::fold;
use crate::period::{Period, parse_fiscal_year};
use crate::read::Field;
use std::collections::{BTreeMap, HashSet};

/// What one card says: every field's value (per year for grids) with its cell.
#[derive(Debug, Clone)]
pub struct CardSheet {
    pub sheet: String,
    pub period: Option<(Period, Field)>,
    /// Values of fields answered once, by key.
    pub once: BTreeMap<String, Field>,
    /// Values of year-grid fields, by key and year.
    pub by_year: BTreeMap<String, BTreeMap<i32, Field>>,
    /// The years the grid shows.
    pub years: Vec<i32>,
    /// Lines of the plan answered on the card: the activities' answers by year (the
    /// `Activities` block's answer field), and the targets' values by column field (year 0).
    pub lines: BTreeMap<String, Vec<BTreeMap<i32, Field>>>,
    pub missing_labels: Vec<String>,
    /// Non-empty cells that belong to no field.
    pub extra: Vec<Field>,
}

impl CardSheet {
    pub fn text(&self, key: &str) -> String {
        self.once.get(key).map(|f| f.text()).unwrap_or_default()
    }
    pub fn year(&self, key: &str, year: i32) -> Option<&Field> {
        self.by_year.get(key).and_then(|m| m.get(&year))
    }
}

/// Label cells of a grid, by folded text.
fn index(grid: &Grid) -> BTreeMap<String, Vec<(u32, u32)>> {
    let mut m: BTreeMap<String, Vec<(u32, u32)>> = BTreeMap::new();
    for (&pos, cell) in grid.cells() {
        if let Value::Text(t) = &cell.value {
            m.entry(fold(t)).or_default().push(pos);
        }
    }
    m
}

/// Reads a grid as the form's card; `None` when the sheet does not carry the item's number
/// label (a cover sheet, a list).
pub fn read_sheet(grid: &Grid, form: &FormDef) -> Option<CardSheet> {
    let idx = index(grid);
    let find = |labels: &[String]| labels.iter().find_map(|l| idx.get(&fold(l)).and_then(|v| v.first().copied()));
    let code_field = form.field_of(Kind::Code)?;
    let code_pos = find(&code_field.labels)?;
    // Every label of the form: a value search stops at the next one.
    let all_labels: HashSet<String> = form.fields.iter().flat_map(|f| f.labels.iter().map(|l| fold(l))).collect();
    let is_label = |v: &Value| matches!(v, Value::Text(t) if all_labels.contains(&fold(t)));
    let value_right = |(r, c): (u32, u32)| -> Field {
        match grid.row(r).find(|(col, _)| *col > c) {
            Some((col, cell)) if !is_label(&cell.value) => Field::at(grid, r, col),
            _ => Field::at(grid, r, c + 1),
        }
    };
    let mut card = CardSheet {
        sheet: grid.name.clone(),
        period: None,
        once: BTreeMap::new(),
        by_year: BTreeMap::new(),
        years: vec![],
        lines: BTreeMap::new(),
        missing_labels: vec![],
        extra: vec![],
    };
    let mut claimed: HashSet<(u32, u32)> = HashSet::new();
    // The labels of the fields of other blocks end a block of lines.
    let block_keys = |b: &Block| -> Vec<String> {
        match b {
            Block::Pairs { fields } => fields.clone(),
            Block::Wide { field } => vec![field.clone()],
            Block::YearGrid { rows, .. } => rows.clone(),
            Block::Activities { answer, .. } => vec![answer.clone()],
            Block::Targets { columns } => columns.clone(),
        }
    };
    let stops_for = |b: &Block| -> HashSet<String> {
        let own = block_keys(b);
        form.fields.iter().filter(|f| !own.contains(&f.key)).flat_map(|f| f.labels.iter().map(|l| fold(l))).collect()
    };
    let last_row = grid.last_row();
    for b in &form.blocks {
        match b {
            Block::Activities { header, plan_label, answer } => {
                let Some((hr, hc)) = idx.get(&fold(header)).and_then(|v| v.iter().copied().find(|p| p.0 > code_pos.0)) else {
                    card.missing_labels.push(header.clone());
                    continue;
                };
                claimed.insert((hr, hc));
                let year_cols: Vec<(u32, i32)> = grid
                    .row(hr)
                    .filter(|(c, _)| *c > hc)
                    .filter_map(|(c, cell)| parse_fiscal_year(&cell.value.text()).map(|y| (c, y)))
                    .collect();
                for (c, _) in &year_cols {
                    claimed.insert((hr, *c));
                }
                let first_year = year_cols.first().map(|p| p.0).unwrap_or(hc + 1);
                let stops = stops_for(b);
                let answer_labels: Vec<String> = form.field(answer).map(|f| f.labels.iter().map(|l| fold(l)).collect()).unwrap_or_default();
                let mut answers = Vec::new();
                for r in hr + 1..=last_row {
                    let cells: Vec<(u32, String)> = grid.row(r).map(|(c, cell)| (c, fold(&cell.value.text()))).collect();
                    if cells.iter().any(|(_, t)| stops.contains(t) && !answer_labels.contains(t) && *t != fold(plan_label)) {
                        break;
                    }
                    // Activity names and row labels left of the years; the plan row whole.
                    for (c, _) in cells.iter().filter(|(c, _)| *c < first_year) {
                        claimed.insert((r, *c));
                    }
                    if cells.iter().any(|(c, t)| *c < first_year && *t == fold(plan_label)) {
                        for (c, _) in &cells {
                            claimed.insert((r, *c));
                        }
                    } else if cells.iter().any(|(c, t)| *c < first_year && answer_labels.contains(t)) {
                        let mut m = BTreeMap::new();
                        for (c, y) in &year_cols {
                            claimed.insert((r, *c));
                            m.insert(*y, Field::at(grid, r, *c));
                        }
                        answers.push(m);
                    }
                }
                card.lines.insert(answer.clone(), answers);
            }
            Block::Targets { columns } => {
                // The header row holds every column's label.
                let first = columns.first().and_then(|k| form.field(k));
                let Some(first) = first else { continue };
                let header =
                    first.labels.iter().filter_map(|l| idx.get(&fold(l))).flatten().copied().filter(|p| p.0 > code_pos.0).find(|(r, _)| {
                        columns.iter().all(|k| {
                            form.field(k)
                                .is_some_and(|f| grid.row(*r).any(|(_, cell)| f.labels.iter().any(|l| fold(l) == fold(&cell.value.text()))))
                        })
                    });
                let Some((hr, _)) = header else {
                    // Items without targets have no block.
                    continue;
                };
                let mut cols: Vec<(String, u32)> = Vec::new();
                for k in columns {
                    let Some(f) = form.field(k) else { continue };
                    if let Some((c, _)) = grid.row(hr).find(|(_, cell)| f.labels.iter().any(|l| fold(l) == fold(&cell.value.text()))) {
                        claimed.insert((hr, c));
                        cols.push((k.clone(), c));
                    }
                }
                let stops = stops_for(b);
                let mut rows: Vec<u32> = Vec::new();
                for r in hr + 1..=last_row {
                    let texts: Vec<String> = grid.row(r).map(|(_, cell)| fold(&cell.value.text())).collect();
                    if texts.is_empty() {
                        continue;
                    }
                    if texts.iter().any(|t| stops.contains(t)) {
                        break;
                    }
                    rows.push(r);
                }
                for (k, c) in &cols {
                    let values: Vec<BTreeMap<i32, Field>> = rows.iter().map(|r| BTreeMap::from([(0, Field::at(grid, *r, *c))])).collect();
                    card.lines.insert(k.clone(), values);
                }
                // The target's number left of the columns.
                for r in &rows {
                    for (c, _) in grid.row(*r) {
                        claimed.insert((*r, c));
                    }
                }
            }
            Block::Pairs { fields } => {
                for k in fields {
                    let Some(f) = form.field(k) else { continue };
                    match find(&f.labels) {
                        Some(pos) => {
                            claimed.insert(pos);
                            let v = value_right(pos);
                            claimed.insert((v.row, v.col));
                            card.once.insert(k.clone(), v);
                        }
                        None => card.missing_labels.push(f.labels[0].clone()),
                    }
                }
            }
            Block::Wide { field } => {
                let Some(f) = form.field(field) else { continue };
                match find(&f.labels) {
                    Some(pos) => {
                        claimed.insert(pos);
                        let v = value_right(pos);
                        claimed.insert((v.row, v.col));
                        card.once.insert(field.clone(), v);
                    }
                    None => card.missing_labels.push(f.labels[0].clone()),
                }
            }
            Block::YearGrid { header, total, rows } => {
                // Items with no targets have no grid: a missing grid is not a missing label
                // (a value it should hold is reported by the rule that needs it).
                let Some((hr, hc)) = idx.get(&fold(header)).and_then(|v| v.iter().copied().find(|p| p.0 > code_pos.0)) else {
                    continue;
                };
                claimed.insert((hr, hc));
                let mut year_cols: Vec<(u32, i32)> = Vec::new();
                for (c, cell) in grid.row(hr).filter(|(c, _)| *c > hc) {
                    if let Some(y) = parse_fiscal_year(&cell.value.text()) {
                        year_cols.push((c, y));
                        claimed.insert((hr, c));
                    } else if total.as_ref().is_some_and(|t| fold(t) == fold(&cell.value.text())) {
                        claimed.insert((hr, c));
                    }
                }
                card.years = year_cols.iter().map(|(_, y)| *y).collect();
                let total_col =
                    total.as_ref().and_then(|t| grid.row(hr).find(|(_, cell)| fold(&cell.value.text()) == fold(t)).map(|(c, _)| c));
                for k in rows {
                    let Some(f) = form.field(k) else { continue };
                    let pos = f.labels.iter().find_map(|l| idx.get(&fold(l)).and_then(|v| v.iter().copied().find(|p| p.0 > hr)));
                    let Some((r, c)) = pos else {
                        // Indicator rows appear only on the items that have an indicator.
                        continue;
                    };
                    claimed.insert((r, c));
                    let mut m = BTreeMap::new();
                    for (yc, y) in &year_cols {
                        let v = Field::at(grid, r, *yc);
                        claimed.insert((r, *yc));
                        m.insert(*y, v);
                    }
                    if let Some(tc) = total_col {
                        // The total is kaito's to compute: a typed one is read, never used.
                        claimed.insert((r, tc));
                    }
                    card.by_year.insert(k.clone(), m);
                }
            }
        }
    }
    // The title and the period row above the first block.
    for ((r, c), cell) in grid.cells().filter(|((r, _), _)| *r < code_pos.0) {
        if let Value::Text(t) = &cell.value {
            if card.period.is_none()
                && let Some(p) = Period::parse(t)
            {
                card.period = Some((p, Field::at(grid, *r, *c)));
                claimed.insert((*r, *c));
            } else if fold(t).ends_with(&fold(&form.title)) {
                claimed.insert((*r, *c));
            }
        }
    }
    card.extra = grid
        .cells()
        .filter(|(pos, cell)| (!cell.value.is_empty() || cell.formula) && !claimed.contains(pos) && !is_label(&cell.value))
        .map(|(&(r, c), _)| Field::at(grid, r, c))
        .collect();
    Some(card)
}
