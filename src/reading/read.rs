//! Reading one worksheet as a response sheet (報告回答票) by its labels, never by position.
//!
//! Every block is found from the label cells of `templates/forms/card-halfyear.toml`, and values
//! are read relative to them, so inserted rows, unmerged cells and moved columns read the same.

use crate::finding::a1;
use crate::grid::{Grid, Shown, Value};
use crate::layout::Layout;
use crate::normalize::fold;
use crate::period::{Half, Period, parse_fiscal_year};
use std::collections::{BTreeMap, HashSet};

/// A value read from a sheet and where it is (or, when empty, the input cell it belongs in).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub row: u32,
    pub col: u32,
    pub value: Value,
    pub formula: bool,
    /// Further non-empty cells of the same block (an unmerged narrative typed over two
    /// cells); they are joined into `value`, and recorded so the join is not silent.
    pub joined_from: Vec<(u32, u32)>,
    /// Excel shows the stored number as a date or a percent (see `grid::Shown`).
    pub shown: Option<Shown>,
}

impl Field {
    pub fn at(grid: &Grid, row: u32, col: u32) -> Field {
        let (value, formula, shown) =
            grid.get(row, col).map(|c| (c.value.clone(), c.formula, c.shown)).unwrap_or((Value::Empty, false, None));
        Field { row, col, value, formula, joined_from: vec![], shown }
    }
    pub fn a1(&self) -> String {
        a1(self.row, self.col)
    }
    pub fn text(&self) -> String {
        self.value.text()
    }
    pub fn is_empty(&self) -> bool {
        self.value.is_empty() && !self.formula
    }
}

#[derive(Debug, Clone)]
pub struct ActivityResponse {
    pub name: Field,
    pub schedule: BTreeMap<i32, Field>,
    pub status: BTreeMap<Period, Field>,
}

#[derive(Debug, Clone)]
pub struct OutcomeResponse {
    pub target_year: Field,
    pub text: Field,
    pub result: Field,
}

#[derive(Debug, Clone)]
pub struct EffectResponse {
    pub amount: Field,
    pub basis: Field,
}

/// Everything a response sheet says, with cell positions.
#[derive(Debug, Clone)]
pub struct ResponseSheet {
    pub sheet: String,
    pub plan_name: Option<String>,
    pub period: Option<(Period, Field)>,
    pub theme: Option<Field>,
    /// `事業名(課、課)` as written, and the name part.
    pub title: Option<Field>,
    pub name: Option<String>,
    pub code: Field,
    pub priority: Option<Field>,
    pub fiscal: Option<Field>,
    pub responding_department: Option<Field>,
    pub person: Option<Field>,
    pub contact: Option<Field>,
    pub purpose: Option<Field>,
    pub overview: Option<Field>,
    pub years: Vec<i32>,
    pub activities: Vec<ActivityResponse>,
    pub progress: Option<Field>,
    pub outcomes: Vec<OutcomeResponse>,
    pub countermeasures: Option<Field>,
    pub effect: BTreeMap<i32, EffectResponse>,
    /// Labels the reader looked for and did not find.
    pub missing_labels: Vec<String>,
    /// Non-empty cells that belong to no block of the form (a note typed in an inserted
    /// row, text beside the sheet), in row-major order: reported, and shown in the packet,
    /// so that nothing a department wrote disappears without a word.
    pub extra: Vec<Field>,
}

/// Whether a cell's text is short enough to be a label once folded. Labels are a few words;
/// narratives run to hundreds of characters, and folding every one of them only to index it
/// was a large part of reading a sheet. (Generous: folding removes spaces and may merge a
/// character and its mark, so only text with over 200 characters besides spaces is skipped.)
fn could_be_label(text: &str) -> bool {
    text.len() <= 600 || text.chars().filter(|c| !c.is_whitespace()).count() <= 200
}

struct Labels<'a> {
    grid: &'a Grid,
    /// folded text → positions in row-major order
    index: BTreeMap<String, Vec<(u32, u32)>>,
    stops: Vec<String>,
}

impl<'a> Labels<'a> {
    fn new(grid: &'a Grid, layout: &Layout) -> Labels<'a> {
        let mut index: BTreeMap<String, Vec<(u32, u32)>> = BTreeMap::new();
        for (&pos, cell) in grid.cells() {
            if let Value::Text(t) = &cell.value
                && could_be_label(t)
            {
                index.entry(fold(t)).or_default().push(pos);
            }
        }
        Labels { grid, index, stops: layout.stop_labels().iter().map(|s| fold(s)).collect() }
    }

    fn all(&self, label: &str) -> &[(u32, u32)] {
        self.index.get(&fold(label)).map(Vec::as_slice).unwrap_or(&[])
    }

    fn first(&self, label: &str) -> Option<(u32, u32)> {
        self.all(label).first().copied()
    }

    fn first_from(&self, label: &str, min_row: u32) -> Option<(u32, u32)> {
        self.all(label).iter().copied().find(|p| p.0 >= min_row)
    }

    fn is_stop(&self, cell: &Value) -> bool {
        matches!(cell, Value::Text(t) if self.stops.contains(&fold(t)))
    }

    /// The value right of a label: the first non-empty cell before the next label of the
    /// row; when there is none, the input cell just right of the label.
    fn value_right(&self, (r, c): (u32, u32)) -> Field {
        match self.grid.row(r).find(|(col, _)| *col > c) {
            Some((col, cell)) if !self.is_stop(&cell.value) => Field::at(self.grid, r, col),
            _ => Field::at(self.grid, r, c + 1),
        }
    }

    /// The narrative in column `col` between two rows (exclusive): first non-empty cell, and
    /// any further ones joined to it with a line break.
    fn column_text(&self, col: u32, from: u32, to: u32) -> Field {
        let mut cells = (from..to).filter(|r| self.grid.get(*r, col).is_some_and(|c| !c.value.is_empty() || c.formula));
        let Some(first) = cells.next() else {
            return Field::at(self.grid, from, col);
        };
        let mut field = Field::at(self.grid, first, col);
        for r in cells {
            let more = self.grid.value(r, col).text();
            field.value = Value::Text(format!("{}\n{}", field.value.text(), more));
            field.joined_from.push((r, col));
        }
        field
    }

    fn row_has(&self, row: u32, label: &str) -> Option<u32> {
        let key = fold(label);
        self.grid.row(row).find(|(_, c)| matches!(&c.value, Value::Text(t) if fold(t) == key)).map(|(col, _)| col)
    }
}

impl ResponseSheet {
    /// Whether the department wrote anything for `period`: a status of the period, the
    /// narratives, or the effect of the year the period answers for. A sheet sent out and
    /// returned untouched has none (earlier halves carried forward do not count).
    pub fn has_answers(&self, period: Period) -> bool {
        let filled = |f: &Option<Field>| f.as_ref().is_some_and(|f| !f.is_empty());
        filled(&self.progress)
            || filled(&self.countermeasures)
            || self.activities.iter().any(|a| a.status.get(&period).is_some_and(|f| !f.is_empty()))
            || self.effect.get(&period.effect_year()).is_some_and(|e| !e.amount.is_empty() || !e.basis.is_empty())
    }

    /// Every cell a department fills, by the key the drawer uses for it (`progress`,
    /// `status/0/2021H1`…), with its address on this sheet. Lets a finding about a cell of
    /// the department's file be shown on the same logical cell of a re-drawn sheet.
    pub fn keyed_cells(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        for (key, f) in [
            ("department", &self.responding_department),
            ("person", &self.person),
            ("contact", &self.contact),
            ("progress", &self.progress),
            ("countermeasures", &self.countermeasures),
            ("title", &self.title),
        ] {
            if let Some(f) = f {
                v.push((key.to_string(), f.a1()));
            }
        }
        v.push(("code".into(), self.code.a1()));
        for (i, a) in self.activities.iter().enumerate() {
            for (p, f) in &a.status {
                v.push((format!("status/{i}/{}", p.code()), f.a1()));
            }
        }
        for (i, o) in self.outcomes.iter().enumerate() {
            v.push((format!("result/{i}"), o.result.a1()));
        }
        for (y, e) in &self.effect {
            v.push((format!("effect/{y}"), e.amount.a1()));
            v.push((format!("basis/{y}"), e.basis.a1()));
        }
        for (i, f) in self.extra.iter().enumerate() {
            v.push((format!("extra/{i}"), f.a1()));
        }
        v
    }
}

/// Reads a grid as a response sheet. `None` when the sheet does not carry the code label
/// (a cover sheet, a list): such sheets are passed over.
pub fn response_sheet(grid: &Grid, layout: &Layout) -> Option<ResponseSheet> {
    let l = &layout.labels;
    let labels = Labels::new(grid, layout);
    // The sheets kaito sends out name their key cells; a label a department overwrote is
    // then still found through the name. Sheets without names are read by labels alone.
    let named_code = grid.names.get("kaito_code").map(|&(r, c)| (r, c.saturating_sub(1)));
    let code_pos = labels.first(&l.code).or(named_code)?;
    // A list with a 事業コード column (the dispatch list, a department's own index) is not a
    // response sheet: one needs at least one of the blocks below the identity row too.
    let has_block =
        [&l.activity_name, &l.outcomes, &l.effect, &l.countermeasures].iter().any(|b| labels.first_from(b, code_pos.0 + 1).is_some());
    if !has_block {
        return None;
    }
    let mut missing = Vec::new();
    let mut need = |label: &str, found: Option<(u32, u32)>| {
        if found.is_none() {
            missing.push(label.to_string());
        }
        found
    };

    let title_suffix = fold(&l.title_suffix);
    let plan_name = grid.cells().filter(|((r, _), _)| *r < code_pos.0).find_map(|(_, c)| match &c.value {
        Value::Text(t) if fold(t).ends_with(&title_suffix) => {
            let f = fold(t);
            Some(f[..f.len() - title_suffix.len()].to_string())
        }
        _ => None,
    });
    let period = grid.cells().filter(|((r, _), _)| *r < code_pos.0).find_map(|(&(r, c), cell)| match &cell.value {
        Value::Text(t) if fold(t).contains(&fold(&l.first_half)) || fold(t).contains(&fold(&l.second_half)) => {
            Period::parse(t).map(|p| (p, Field::at(grid, r, c)))
        }
        _ => None,
    });
    let theme = grid.cells().filter(|((r, _), _)| *r < code_pos.0).find_map(|(&(r, c), cell)| match &cell.value {
        Value::Text(t) if theme_number(t).is_some() => Some(Field::at(grid, r, c)),
        _ => None,
    });

    let priority_pos = labels.all(&l.priority).iter().copied().find(|p| p.0 < code_pos.0 + 1);
    let fiscal_pos = labels.all(&l.fiscal).iter().copied().find(|p| p.0 < code_pos.0 + 1);
    let title = priority_pos.or(fiscal_pos).and_then(|(r, c)| {
        grid.row(r).find(|(col, cell)| *col < c && !labels.is_stop(&cell.value)).map(|(col, _)| Field::at(grid, r, col))
    });
    let name = title.as_ref().map(|t| split_title(&t.text()).0);

    let field = |label: &str| labels.first(label).map(|p| labels.value_right(p));
    let code = match grid.names.get("kaito_code") {
        Some(&(r, c)) => Field::at(grid, r, c),
        None => labels.value_right(code_pos),
    };

    // Activities block.
    let name_pos = need(&l.activity_name, labels.first_from(&l.activity_name, code_pos.0));
    let outcomes_pos = need(&l.outcomes, labels.first_from(&l.outcomes, name_pos.map(|p| p.0).unwrap_or(code_pos.0)));
    let effect_pos = need(&l.effect, labels.first_from(&l.effect, outcomes_pos.map(|p| p.0).unwrap_or(code_pos.0)));
    let progress_suffix = fold(&l.progress_suffix);
    let progress_head = grid.cells().find_map(|(&(r, c), cell)| match &cell.value {
        Value::Text(t) if r >= code_pos.0 && fold(t).ends_with(&progress_suffix) => Some((r, c)),
        _ => None,
    });
    need(&l.progress_suffix, progress_head);

    let mut years = Vec::new();
    let mut halves: Vec<(u32, Period)> = Vec::new();
    let mut activities = Vec::new();
    let end_of_activities = outcomes_pos.map(|p| p.0).unwrap_or(grid.last_row() + 1);
    if let Some((nr, nc)) = name_pos {
        let year_cols: Vec<(u32, i32)> = grid
            .row(nr)
            .filter(|(c, _)| *c > nc && Some(*c) != progress_head.map(|p| p.1))
            .filter_map(|(c, cell)| parse_fiscal_year(&cell.value.text()).map(|y| (c, y)))
            .collect();
        years = year_cols.iter().map(|(_, y)| *y).collect();
        // The half-year row sits under the year row; read it where it is.
        let half_row = (nr + 1..nr + 4).find(|r| labels.row_has(*r, &l.first_half).is_some());
        if let Some(hr) = half_row {
            for (c, cell) in grid.row(hr) {
                let f = fold(&cell.value.text());
                let half = if f == fold(&l.first_half) {
                    Half::First
                } else if f == fold(&l.second_half) {
                    Half::Second
                } else {
                    continue;
                };
                if let Some((_, y)) = year_cols.iter().rev().find(|(yc, _)| *yc <= c) {
                    halves.push((c, Period::new(*y, half)));
                }
            }
        } else {
            for (c, y) in &year_cols {
                halves.push((*c, Period::new(*y, Half::First)));
                halves.push((*c + 1, Period::new(*y, Half::Second)));
            }
        }
        let first_year_col = year_cols.first().map(|p| p.0).unwrap_or(nc + 1);
        let schedule_rows: Vec<(u32, u32)> =
            labels.all(&l.schedule).iter().copied().filter(|(r, c)| *r > nr && *r < end_of_activities && *c < first_year_col).collect();
        for (i, &(sr, sc)) in schedule_rows.iter().enumerate() {
            let next = schedule_rows.get(i + 1).map(|p| p.0).unwrap_or(end_of_activities);
            let name = grid.row(sr).find(|(c, _)| *c < sc).map(|(c, _)| Field::at(grid, sr, c)).unwrap_or_else(|| Field::at(grid, sr, nc));
            let schedule = year_cols.iter().map(|(c, y)| (*y, Field::at(grid, sr, *c))).collect();
            let status_row = (sr + 1..next).find(|r| labels.row_has(*r, &l.status).is_some_and(|c| c < first_year_col));
            let status = match status_row {
                Some(str_) => halves.iter().map(|(c, p)| (*p, Field::at(grid, str_, *c))).collect(),
                None => BTreeMap::new(),
            };
            activities.push(ActivityResponse { name, schedule, status });
        }
    }
    let progress = progress_head.map(|(r, c)| labels.column_text(c, r + 1, end_of_activities));

    // Outcomes block.
    let mut outcomes = Vec::new();
    let end_of_outcomes = effect_pos.map(|p| p.0).unwrap_or(grid.last_row() + 1);
    let cm_pos = outcomes_pos.and_then(|(orow, _)| labels.first_from(&l.countermeasures, orow));
    need(&l.countermeasures, cm_pos);
    if let Some((orow, _)) = outcomes_pos {
        let head = labels.first_from(&l.target_year, orow).filter(|p| p.0 < end_of_outcomes);
        need(&l.target_year, head);
        if let Some((hr, yc)) = head {
            let tc = labels.row_has(hr, &l.target_text).unwrap_or(yc + 1);
            let rc =
                grid.row(hr).find(|(c, cell)| *c > tc && fold(&cell.value.text()) == fold(&l.result)).map(|(c, _)| c).unwrap_or(tc + 2);
            let limit = cm_pos.map(|p| p.1).unwrap_or(u32::MAX);
            for r in hr + 1..end_of_outcomes {
                let used = grid.row(r).any(|(c, _)| c < limit);
                if !used {
                    continue;
                }
                let result = grid
                    .row(r)
                    .find(|(c, _)| *c >= rc && *c < limit)
                    .map(|(c, _)| Field::at(grid, r, c))
                    .unwrap_or_else(|| Field::at(grid, r, rc));
                outcomes.push(OutcomeResponse { target_year: Field::at(grid, r, yc), text: Field::at(grid, r, tc), result });
            }
        }
    }
    let countermeasures = cm_pos.map(|(r, c)| labels.column_text(c, r + 1, end_of_outcomes));

    // Effect block.
    let mut effect = BTreeMap::new();
    let mut effect_year_row = None;
    if let Some((er, _)) = effect_pos {
        let year_row = labels.first_from(&l.effect_year, er);
        effect_year_row = year_row.map(|p| p.0);
        need(&l.effect_year, year_row);
        let amount_row = labels.first_from(&l.effect_amount, er);
        need(&l.effect_amount, amount_row);
        let basis_row = labels.first_from(&l.effect_basis, er);
        if let (Some((yr, yc)), Some((ar, _))) = (year_row, amount_row) {
            for (c, cell) in grid.row(yr).filter(|(c, _)| *c > yc) {
                if let Some(y) = parse_fiscal_year(&cell.value.text()) {
                    let basis = match basis_row {
                        Some((br, _)) => Field::at(grid, br, c),
                        None => Field::at(grid, ar + 1, c),
                    };
                    effect.insert(y, EffectResponse { amount: Field::at(grid, ar, c), basis });
                }
            }
        }
    }

    let priority = priority_pos.map(|p| labels.value_right(p));
    let fiscal = fiscal_pos.map(|p| labels.value_right(p));
    let responding_department = field(&l.department);
    let person = field(&l.person);
    let contact = field(&l.contact);
    let purpose = field(&l.purpose);
    let overview = field(&l.overview);

    // Every cell the reader used, as a label or a value; what is left is text outside the form.
    let mut claimed: HashSet<(u32, u32)> = HashSet::new();
    let words: HashSet<String> = layout.all_labels().iter().map(|w| fold(w)).collect();
    for (key, positions) in &labels.index {
        if words.contains(key) || key.ends_with(&progress_suffix) || key.ends_with(&title_suffix) || key.starts_with(&fold(&l.extra)) {
            claimed.extend(positions.iter().copied());
        }
    }
    let mut claim = |f: &Field| {
        claimed.insert((f.row, f.col));
        claimed.extend(f.joined_from.iter().copied());
    };
    for f in
        [&title, &theme, &priority, &fiscal, &responding_department, &person, &contact, &purpose, &overview, &progress, &countermeasures]
            .into_iter()
            .flatten()
    {
        claim(f);
    }
    if let Some((_, f)) = &period {
        claim(f);
    }
    claim(&code);
    for a in &activities {
        claim(&a.name);
        a.schedule.values().for_each(&mut claim);
        a.status.values().for_each(&mut claim);
    }
    for o in &outcomes {
        claim(&o.target_year);
        claim(&o.text);
        claim(&o.result);
    }
    for e in effect.values() {
        claim(&e.amount);
        claim(&e.basis);
    }
    // Year headers of the activity and effect blocks.
    for ((r, c), cell) in grid.cells() {
        if (Some(*r) == name_pos.map(|p| p.0) || effect_year_row == Some(*r)) && parse_fiscal_year(&cell.value.text()).is_some() {
            claimed.insert((*r, *c));
        }
    }
    let extra = grid
        .cells()
        .filter(|(pos, cell)| (!cell.value.is_empty() || cell.formula) && !claimed.contains(pos))
        .map(|(&(r, c), _)| Field::at(grid, r, c))
        .collect();

    Some(ResponseSheet {
        sheet: grid.name.clone(),
        plan_name,
        period,
        theme,
        title,
        name,
        code,
        priority,
        fiscal,
        responding_department,
        person,
        contact,
        purpose,
        overview,
        years,
        activities,
        progress,
        outcomes,
        countermeasures,
        effect,
        missing_labels: missing,
        extra,
    })
}

/// `(1) 民間活力の活用` → 1
pub fn theme_number(text: &str) -> Option<u32> {
    // A plan with goals above themes shows the path: `目標1 … › (1) 行政サービスの向上`.
    let last = text.rsplit('›').next().unwrap_or(text);
    let f = fold(last);
    let rest = f.strip_prefix('(')?;
    let close = rest.find(')')?;
    let n = rest[..close].parse().ok()?;
    (close + 1 < rest.len()).then_some(n)
}

/// `民間活力活用事業(企画政策課、関係課)` → (name, departments). A name that itself ends in
/// brackets, like `見附台周辺地区整備(平塚文化芸術ホール等)事業(都市整備課、関係課)`, keeps them.
pub fn split_title(text: &str) -> (String, Vec<String>) {
    let t = text.trim();
    let t_norm = t.replace('（', "(").replace('）', ")");
    if t_norm.ends_with(')')
        && let Some(open) = t_norm.rfind('(')
    {
        let name = t_norm[..open].trim().to_string();
        let deps =
            t_norm[open + 1..t_norm.len() - 1].split(['、', ',', '，']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        return (name, deps);
    }
    (t_norm, vec![])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_themes() {
        assert_eq!(split_title("民間活力活用事業(企画政策課、関係課)").0, "民間活力活用事業");
        assert_eq!(
            split_title("見附台周辺地区整備(平塚文化芸術ホール等)事業(都市整備課、関係課)"),
            ("見附台周辺地区整備(平塚文化芸術ホール等)事業".to_string(), vec!["都市整備課".to_string(), "関係課".to_string()])
        );
        assert_eq!(theme_number("(1) 民間活力の活用"), Some(1));
        assert_eq!(theme_number("(6)ICTの活用推進"), Some(6));
        assert_eq!(theme_number("(1)"), None);
        assert_eq!(theme_number("目標1 効率的・効果的な行政サービスの推進 › (2) 行政サービスの最適化"), Some(2));
    }
}
