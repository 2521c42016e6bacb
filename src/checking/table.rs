//! Checking and consolidating returned tables: each row matched to a plan item, held to the
//! rules its form's fields carry, one answer chosen per item, and the counts by every level
//! of the plan's hierarchy.

use super::{TableRow, TableSheet};
use crate::consolidate::{Keep, Missing};
use crate::finding::{Finding, Severity};
use crate::form::{FieldDef, FormDef, Kind, Source};
use crate::intake::{FileRecord, ReadFile};
use crate::normalize::{self, Status, fold};
use crate::period::Period;
use crate::plan::{ListMap, Plan, Project};
use crate::read::Field;
use anyhow::Result;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// What a status cell of an accepted row says.
#[derive(Debug, Clone, PartialEq)]
pub enum StatusRead {
    /// A word of the vocabulary, shared by every row that says it.
    Word(std::sync::Arc<str>),
    Unanswered,
    Unreadable(String),
}

/// The row accepted as an item's answer for the period.
#[derive(Debug, Clone)]
pub struct RowAnswer {
    /// The item's code as the plan writes it; without room to grow, so that an answer takes no
    /// more room than the row it is made from, and the answers are made in the rows' room.
    pub item: Box<str>,
    /// Shared by the answers from one file, and by one sheet's.
    pub file: std::sync::Arc<str>,
    pub sheet: std::sync::Arc<str>,
    pub row: u32,
    /// Its cells, by field key (see [`cells`](Self::cells)); none kept when the run lets them
    /// go (`Keep::Counts`), so boxed: 8 bytes in each of the run's answers, against 24.
    #[allow(clippy::box_collection)]
    cells: Option<Box<BTreeMap<String, Field>>>,
    /// Each status field's reading, by key.
    pub statuses: crate::plan::ListMap<std::sync::Arc<str>, StatusRead>,
    /// The item's place in the plan, which the answers are in the order of.
    place: u32,
}

/// The cells of an answer whose cells were let go.
static NO_CELLS: BTreeMap<String, Field> = BTreeMap::new();

impl RowAnswer {
    pub fn text(&self, key: &str) -> String {
        self.cells().get(key).map(|f| f.text()).unwrap_or_default()
    }
    /// The row's cells by field key; none when the run let them go (`Keep::Counts`).
    pub fn cells(&self) -> &BTreeMap<String, Field> {
        self.cells.as_deref().unwrap_or(&NO_CELLS)
    }
}

/// Counts of one status field per word, with 未記入 and 要確認 apart; by node number.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// In word order: a short list made to size, as a node's items say a few words (a tree
    /// would keep room for eleven for each of the plan's nodes); each word shared with the
    /// vocabulary's.
    pub words: crate::plan::ListMap<std::sync::Arc<str>, u64>,
    pub unanswered: u64,
    pub unreadable: u64,
    /// Items of the node with no answer at all.
    pub missing: u64,
}

impl Tally {
    /// Counts `n` more of the word `w`.
    fn add_word(&mut self, w: &std::sync::Arc<str>, n: u64) {
        match self.words.get_mut(&**w) {
            Some(m) => *m += n,
            None => self.words.insert(w.clone(), n),
        }
    }
    pub fn total(&self) -> u64 {
        self.words.values().sum::<u64>() + self.unanswered + self.unreadable + self.missing
    }
}

#[derive(Debug, Clone)]
pub struct TableRun {
    pub plan: Plan,
    pub form: FormDef,
    pub plan_file: String,
    pub period: Period,
    pub period_note: String,
    pub files: Vec<FileRecord>,
    /// Accepted rows, in plan order.
    pub answers: Vec<RowAnswer>,
    pub findings: Vec<Finding>,
    pub missing: Vec<Missing>,
    /// By node number (every level), and `""` for the whole plan.
    pub tallies: ListMap<String, Tally>,
    answer_index: crate::consolidate::ByItem,
}

impl TableRun {
    pub fn errors(&self) -> usize {
        crate::finding::count(&self.findings, Severity::Error)
    }
    pub fn answer(&self, code: &str) -> Option<&RowAnswer> {
        self.answer_index.find(&self.answers, |a| &*a.item, code)
    }
    /// The status field the counts are of.
    pub fn status_field(&self) -> Option<&FieldDef> {
        self.form.field_of(Kind::Status)
    }
}

/// What one file gives the run: its findings, its rows by item, why rows were not counted.
/// Made as the file is read when the period is known (see [`Checker`]), so only the rows that
/// may answer for an item are held, not the tables read.
#[derive(Default)]
pub struct FileChecked {
    findings: Vec<Finding>,
    /// By the item's place in the plan.
    candidates: Vec<(u32, Candidate)>,
    /// The file's name as shown, shared by its findings and answers.
    shown: std::sync::Arc<str>,
    reasons: Vec<String>,
    record: Option<FileRecord>,
}

struct Candidate {
    /// The file's place in the run.
    file: u32,
    /// Shared by the sheet's rows and findings.
    sheet: std::sync::Arc<str>,
    /// The row's place (zero-based) and its cells (none when they are let go: `Keep::Counts`);
    /// the rest of the row (its number and names, read to match it to its item) is let go: the
    /// run held it for every row of every file.
    row: u32,
    // Boxed: 8 bytes in each row kept, against 24 for a map (empty) in place.
    #[allow(clippy::box_collection)]
    cells: Option<Box<BTreeMap<String, Field>>>,
    /// Made to size: most rows have one or none.
    findings: Box<[Finding]>,
    answered: bool,
    own: bool,
    /// The row is its item's answer (set when the run settles the rows).
    chosen: bool,
    /// Each status field's reading, by key (read once, where the row is checked).
    statuses: crate::plan::ListMap<std::sync::Arc<str>, StatusRead>,
    /// What the department typed in the row, as a digest, when the row's cells were let go
    /// (`Keep::Counts`): two rows with the same one say the same.
    signature: Option<Signature>,
}

/// Half a SHA-256 (128 bits): only rows for the same item are compared, a handful at most.
type Signature = [u8; 16];

/// A digest of what the department typed in a row: the fields it fills, folded.
fn signature(cells: &BTreeMap<String, Field>, form: &FormDef) -> Signature {
    use sha2::{Digest, Sha256};
    let mut s = Sha256::new();
    for f in form.fields.iter().filter(|f| f.from == Source::Department) {
        // Folded as is: folding takes away every space, so a tidied text folds the same.
        normalize::fold_each(&cells.get(&f.key).map(|x| x.text()).unwrap_or_default(), &mut |part| s.update(part.as_bytes()));
        s.update([0x1f]);
    }
    let digest: [u8; 32] = s.finalize().into();
    let mut half = [0; 16];
    half.copy_from_slice(&digest[..16]);
    half
}

impl Candidate {
    fn signature(&self, form: &FormDef) -> Signature {
        self.signature.unwrap_or_else(|| signature(self.cells.as_deref().unwrap_or(&BTreeMap::new()), form))
    }
}

fn has_answers(row: &TableRow, form: &FormDef) -> bool {
    form.fields.iter().filter(|f| f.from == Source::Department).any(|f| row.field(&f.key).is_some_and(|x| !x.is_empty()))
}

/// The period: given, or the year most table headers name.
fn choose_period(given: Option<Period>, files: &[ReadFile<TableSheet>]) -> Result<(Period, String)> {
    let votes = files.iter().flat_map(|f| f.sheets.iter()).filter_map(|t| t.year.as_ref().map(|(y, _)| Period::year(*y)));
    crate::consolidate::vote_period(given, votes, "表", "2020")
}

/// What every file of a table run is checked against: the plan's items by number and name,
/// the period, the form's vocabularies and hints. Built once the period is known.
pub struct Checker<'a> {
    plan: &'a Plan,
    form: &'a FormDef,
    period: Period,
    items: ItemIndex,
    hints: Vec<(String, String)>,
    keep: Keep,
    /// Each field's vocabulary from the plan (by field key), looked up once rather than for
    /// every row of every file.
    vocabularies: Vec<(String, Vec<String>)>,
    /// The status fields the department fills: each with its key and its vocabulary's words,
    /// one copy of each shared by every row's reading.
    statuses: Vec<StatusField<'a>>,
}

/// A status field a department fills, with its key and its vocabulary's words shared.
struct StatusField<'a> {
    field: &'a FieldDef,
    key: std::sync::Arc<str>,
    words: Vec<std::sync::Arc<str>>,
}

impl<'a> Checker<'a> {
    /// With `Keep::Counts` a row's cells are let go once checked: the run then counts and
    /// reports, but lists no answer's values.
    pub fn new(plan: &'a Plan, form: &'a FormDef, period: Period, keep: Keep) -> Checker<'a> {
        let by_code = normalize::FoldedIndex::new(plan.projects.iter().map(|p| p.code.as_str()));
        let by_name = normalize::FoldedIndex::new(plan.projects.iter().map(|p| p.name.as_str()));
        let hints = form.hints.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let vocabularies = form.fields.iter().filter_map(|f| Some((f.key.clone(), plan.list(f.vocabulary.as_deref()?)))).collect();
        let vocabulary = |f: &FieldDef| f.vocabulary.as_deref().map(|v| plan.list(v)).unwrap_or_default();
        let statuses = form
            .fields
            .iter()
            .filter(|f| f.kind == Kind::Status && f.from == Source::Department)
            .map(|f| StatusField {
                field: f,
                key: f.key.as_str().into(),
                words: vocabulary(f).into_iter().map(std::sync::Arc::from).collect(),
            })
            .collect();
        Checker { plan, form, period, items: (by_code, by_name), hints, keep, vocabularies, statuses }
    }

    fn vocab_of(&self, f: &FieldDef) -> &[String] {
        self.vocabularies.iter().find(|(k, _)| *k == f.key).map(|(_, v)| v.as_slice()).unwrap_or(&[])
    }

    /// Matches one file's rows to items and holds each to the form's rules.
    pub fn check_file(&self, f: ReadFile<TableSheet>) -> FileChecked {
        let (plan, form, period, items) = (self.plan, self.form, self.period, &self.items);
        let vocab_of = |f: &FieldDef| self.vocab_of(f);
        let hints = &self.hints;
        let mut out = FileChecked { findings: f.findings, ..Default::default() };
        let findings = &mut out.findings;
        // One copy of the file's and each sheet's name, shared by all their findings.
        let shown = f.record.shown.clone();
        // Whose file this is: the department owning most of the rows it answers.
        // Each row's item and whether it is answered, found once for both passes.
        let matched: Vec<Vec<(Option<usize>, bool)>> =
            f.sheets.iter().map(|t| t.rows.iter().map(|r| (match_item(plan, items, r), has_answers(r, form))).collect()).collect();
        let mut owners: BTreeMap<&str, usize> = BTreeMap::new();
        for (item, _) in matched.iter().flatten().filter(|(_, answered)| *answered) {
            if let Some(p) = item.map(|i| &plan.projects[i]) {
                *owners.entry(p.responding_department()).or_default() += 1;
            }
        }
        let owner = owners.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(d, _)| d.to_string()).unwrap_or_default();
        for (t, matched) in f.sheets.into_iter().zip(matched) {
            let sheet: std::sync::Arc<str> = t.sheet.as_str().into();
            let at = |row: u32, key: &str| t.columns.get(key).map(|c| crate::finding::a1(row, *c));
            for label in &t.missing_labels {
                findings.push(
                    Finding::warning(
                        "layout-label-missing",
                        format!("表の見出しに「{label}」がありません。送付した表の見出しを消さずに記入してください"),
                    )
                    .file(shown.clone())
                    .sheet(sheet.clone())
                    .cell(crate::finding::a1(t.header_row, 0)),
                );
            }
            if let Some((y, field)) = &t.year
                && *y != period.fiscal_year
            {
                findings.push(
                    Finding::error(
                        "period-mismatch",
                        format!(
                            "この表の見出しは{}のものです。今回は{}を集計するため、この表は数えません",
                            Period::year(*y).japanese(),
                            period.japanese()
                        ),
                    )
                    .file(shown.clone())
                    .sheet(sheet.clone())
                    .cell(field.a1())
                    .suggest(format!("{}の表に記入してください", period.japanese())),
                );
                out.reasons.push(format!("シート「{}」: {}の表です", t.sheet, Period::year(*y).japanese()));
                continue;
            }
            for (row, (item, answered)) in t.rows.into_iter().zip(matched) {
                let Some(item) = item else {
                    if answered {
                        let written = row.number.clone().unwrap_or_else(|| row.name.clone());
                        findings.push(
                            Finding::error(
                                "code-unknown",
                                format!("{} 行目の項目「{written}」は計画にありません。この行は集計しません", row.row + 1),
                            )
                            .file(shown.clone())
                            .sheet(sheet.clone())
                            .cell(at(row.row, "name").unwrap_or_default())
                            .suggest_opt(normalize::closest(&fold(&written), plan.projects.iter().map(|p| p.code.as_str()))),
                        );
                    }
                    continue;
                };
                let project = &plan.projects[item];
                let code = &project.code;
                let department = project.responding_department().to_string();
                let own = department.is_empty() || department == owner;
                // Other departments' rows left blank in a whole table sent back are not answers.
                if !answered && !own {
                    continue;
                }
                let rf = check_row(&row, project, plan, form, &vocab_of, hints, &shown, &sheet, &at);
                // Said whichever row is used in the end: the office should know either way.
                if answered && !own {
                    findings.push(
                        Finding::warning(
                            "other-department-row",
                            format!("項目 {code}「{}」は{department}の担当ですが、{owner}のファイルに記入があります", project.name),
                        )
                        .project(code.clone())
                        .file(shown.clone())
                        .sheet(sheet.clone())
                        .cell(at(row.row, "name").unwrap_or_default())
                        .suggest(format!("{department}に確認してください")),
                    );
                }
                let statuses = self
                    .statuses
                    .iter()
                    .map(|s| (s.key.clone(), read_status(row.field(&s.field.key), vocab_of(s.field), hints, &s.words)))
                    .collect();
                let digest = (self.keep == Keep::Counts).then(|| signature(&row.cells, form));
                let cells = if digest.is_some() { None } else { Some(Box::new(row.cells)) };
                // The file's place in the run is set when the files are gathered.
                out.candidates.push((
                    item as u32,
                    Candidate {
                        file: 0,
                        sheet: sheet.clone(),
                        row: row.row,
                        cells,
                        findings: rf.into_boxed_slice(),
                        answered,
                        own,
                        chosen: false,
                        statuses,
                        signature: digest,
                    },
                ));
            }
        }
        // Held until the run is settled: no room for rows a file does not have.
        out.candidates.shrink_to_fit();
        out.findings.shrink_to_fit();
        out.record = Some(f.record);
        out.shown = shown;
        out
    }
}

/// The period of a run and how it was chosen, with every file checked against it; for a run
/// whose period is known, [`Checker::check_file`] checks each file as it is read instead.
pub fn check_files(
    given: Option<Period>,
    files: Vec<ReadFile<TableSheet>>,
    plan: &Plan,
    form: &FormDef,
    keep: Keep,
) -> Result<(Period, String, Vec<FileChecked>)> {
    let (period, note) = choose_period(given, &files)?;
    plan.check_period(period)?;
    let checker = Checker::new(plan, form, period, keep);
    // Each file on its own, in parallel (matching rows to items and checking them is most of
    // the work past reading); gathered in file order, so the output is the same every run.
    let checked = files.into_par_iter().map(|f| checker.check_file(f)).collect();
    Ok((period, note, checked))
}

/// What the files of a run gave, gathered in file order as each is checked: its findings,
/// its rows and its ledger entry moved into the run's lists, so that no file's own lists
/// are held once it is checked.
pub struct Gathered {
    findings: Vec<Finding>,
    /// Each row by the item's place in the plan (the checker matched each row to its item),
    /// with its place in the run, so an in-place sort keeps the files' order; in one list: a
    /// list per item would keep room for several rows for each of them, when most have one
    /// (at 300,000 items that room was some 200 MB).
    candidates: Vec<(u32, u32, Candidate)>,
    records: Vec<FileRecord>,
    /// Each file's name as shown, one copy shared by its answers.
    file_names: Vec<std::sync::Arc<str>>,
    file_reasons: BTreeMap<usize, Vec<String>>,
    /// How many findings the rows hold, for the room the chosen rows' findings take.
    row_findings: usize,
}

impl Gathered {
    /// `findings`: the run's findings so far (the plan's), which come first. Room is made for
    /// `files` files and a row for each of the plan's items, as most runs have about one row
    /// an item: lists grown as they fill hold the old and the new room at once while their
    /// values are moved (at 300,000 rows, 27 MB and 54 MB).
    pub fn new(findings: Vec<Finding>, files: usize, plan: &Plan) -> Gathered {
        Gathered {
            findings,
            candidates: Vec::with_capacity(plan.projects.len()),
            records: Vec::with_capacity(files),
            file_names: Vec::with_capacity(files),
            file_reasons: BTreeMap::new(),
            row_findings: 0,
        }
    }

    /// The next file of the run, in file order. What the run keeps of it is made again here,
    /// on the run's own thread: made by a reading thread among the cells it read and let go,
    /// it would hold that thread's pages to the end of the run (at 100,000 tables, some 30 MB
    /// of resident memory).
    pub fn push(&mut self, out: FileChecked) {
        use std::sync::Arc;
        let fi = self.file_names.len();
        // One new copy of each name the file's findings and rows share.
        let mut names: Vec<(Arc<str>, Arc<str>)> = Vec::new();
        let mut shared = |a: &Arc<str>| match names.iter().find(|(old, _)| Arc::ptr_eq(old, a)) {
            Some((_, new)) => new.clone(),
            None => {
                let new: Arc<str> = Arc::from(&**a);
                names.push((a.clone(), new.clone()));
                new
            }
        };
        let shown = shared(&out.shown);
        self.findings.extend(out.findings.into_iter().map(|f| f.reallocated(&mut shared)));
        for (item, mut c) in out.candidates {
            c.file = fi as u32;
            self.row_findings += c.findings.len();
            c.findings = c.findings.into_vec().into_iter().map(|f| f.reallocated(&mut shared)).collect();
            c.sheet = shared(&c.sheet);
            c.statuses = c.statuses.clone();
            self.candidates.push((item, self.candidates.len() as u32, c));
        }
        self.file_names.push(shown);
        if !out.reasons.is_empty() {
            self.file_reasons.entry(fi).or_default().extend(out.reasons);
        }
        // A copy, made here (see above); the one read goes with `out`. Its name is the one
        // the file's findings and answers share.
        self.records.extend(out.record.as_ref().map(|r| FileRecord { shown: shared(&r.shown), ..r.clone() }));
    }
}

/// Chooses one row per item among the files checked, settles the ledger, and counts.
pub fn run(plan: Plan, form: FormDef, plan_file: &str, period: Period, period_note: String, gathered: Gathered) -> Result<TableRun> {
    plan.check_period(period)?;
    let Gathered { mut findings, mut candidates, mut records, file_names, file_reasons, row_findings } = gathered;
    // Room for the chosen rows' findings at once: grown as they came, the list (300,000
    // findings at 100,000 tables) held its old and new room together while moved.
    findings.reserve(row_findings);

    // One row per item: answered over blank, the department's own file over another's, then
    // the time the workbook records as saved, then the file time. Different answers that
    // still tie are an error and neither is used.
    let mut used: BTreeMap<usize, Vec<Box<str>>> = BTreeMap::new();
    let mut unused: BTreeMap<usize, Vec<Box<str>>> = BTreeMap::new();
    // In the order of the items' codes, each item's rows in the order of the files.
    candidates.sort_unstable_by(|a, b| plan.projects[a.0 as usize].code.cmp(&plan.projects[b.0 as usize].code).then(a.1.cmp(&b.1)));
    // Each item's rows chosen among where they lie; the answers are then made from the rows
    // chosen in the same list's room rather than in a second list beside it.
    for group in candidates.chunk_by_mut(|a, b| a.0 == b.0) {
        let code = &plan.projects[group[0].0 as usize].code;
        let rank = |c: &Candidate| {
            (
                std::cmp::Reverse(c.answered),
                std::cmp::Reverse(c.own),
                std::cmp::Reverse(records[c.file as usize].saved),
                std::cmp::Reverse(records[c.file as usize].modified),
            )
        };
        group.sort_by(|(_, _, a), (_, _, b)| {
            rank(a).cmp(&rank(b)).then_with(|| records[a.file as usize].shown.cmp(&records[b.file as usize].shown))
        });
        let first = &group[0].2;
        // Most items have one row; their signature is never needed.
        let first_sig = if group.len() > 1 { first.signature(&form) } else { [0; 16] };
        let differing: Vec<&Candidate> =
            group[1..].iter().map(|(_, _, c)| c).filter(|c| c.answered && c.signature(&form) != first_sig).collect();
        let tie = differing.iter().any(|c| rank(c) == rank(first));
        if !differing.is_empty() {
            let names: Vec<String> = std::iter::once(first)
                .chain(differing.iter().copied())
                .map(|c| format!("「{}」", records[c.file as usize].shown))
                .collect();
            let (message, suggestion) = if tie {
                (
                    format!("項目 {code} の記入が {} で違い、どれを使うか判断できません。どれも集計していません", names.join("と")),
                    "正しい記入を1つに決め、ほかのファイルの行を消すか外してから、もう一度実行してください".to_string(),
                )
            } else {
                (
                    format!(
                        "項目 {code} の記入が {} で違います。「{}」の行を使いました",
                        names.join("と"),
                        records[first.file as usize].shown
                    ),
                    "どちらが正しいか担当課に確認してください".to_string(),
                )
            };
            findings.push(
                Finding::error("duplicate", message)
                    .project(code.clone())
                    .file(records[first.file as usize].shown.clone())
                    .sheet(first.sheet.clone())
                    .suggest(suggestion),
            );
        }
        for (_, _, other) in &group[1..] {
            unused.entry(other.file as usize).or_default().push(code.as_str().into());
        }
        let first = &mut group[0].2;
        if tie {
            unused.entry(first.file as usize).or_default().push(code.as_str().into());
            continue;
        }
        findings.extend(std::mem::take(&mut first.findings));
        used.entry(first.file as usize).or_default().push(code.as_str().into());
        first.chosen = true;
    }
    let mut answers: Vec<RowAnswer> = candidates
        .into_iter()
        .filter(|(_, _, c)| c.chosen)
        .map(|(item, _, c)| RowAnswer {
            item: plan.projects[item as usize].code.as_str().into(),
            file: file_names[c.file as usize].clone(),
            sheet: c.sheet,
            row: c.row,
            cells: c.cells,
            statuses: c.statuses,
            place: item,
        })
        .collect();
    crate::consolidate::settle_ledger(
        &mut records,
        used,
        unused,
        &file_reasons,
        "同じ項目のほかの行を使いました",
        "集計できる行がありません(記入のある行がないか、計画にない項目です)",
    );
    // Each item once: the quicker sort puts them as the stable one would.
    answers.sort_unstable_by_key(|a| a.place);
    let mut missing = Vec::new();
    // Let go before the counts are made, which is when the run holds the most.
    let answered: std::collections::HashSet<&str> = answers.iter().map(|a| &*a.item).collect();
    findings.reserve(plan.projects.len().saturating_sub(answered.len()));
    for p in &plan.projects {
        if answered.contains(p.code.as_str()) {
            continue;
        }
        let department = p.responding_department().to_string();
        missing.push(Missing { project: p.code.clone(), name: p.name.clone(), department: department.clone(), note: None });
        findings.push(
            Finding::warning(
                "not-submitted",
                format!(
                    "項目 {}「{}」の回答がありません(担当: {})",
                    p.code,
                    p.name,
                    if department.is_empty() { "未設定" } else { &department }
                ),
            )
            .project(p.code.clone())
            .suggest(if department.is_empty() {
                "計画の担当部署を確認してください".to_string()
            } else {
                format!("{department}に提出を依頼してください")
            }),
        );
    }
    drop(answered);
    let tallies = tally(&plan, &form, &answers);
    Ok(TableRun {
        plan,
        form,
        plan_file: plan_file.to_string(),
        period,
        period_note,
        files: records,
        answers,
        findings,
        missing,
        tallies,
        answer_index: Default::default(),
    })
}

/// Plan items by folded code and by folded name (positions in `plan.projects`).
type ItemIndex = (normalize::FoldedIndex, normalize::FoldedIndex);

/// The plan item a row answers, by its place in the plan: by its number, else by its name
/// (within its group first).
fn match_item(plan: &Plan, (by_code, by_name): &ItemIndex, row: &TableRow) -> Option<usize> {
    let project = |i: usize| plan.projects.get(i);
    // The last item of a code the plan repeats, as a map of codes kept it.
    if let Some(n) = &row.number
        && let Some(i) = by_code.last(&fold(n), |i| project(i).map(|p| p.code.as_str()))
    {
        return Some(i);
    }
    if row.name.is_empty() {
        return None;
    }
    match by_name.find(&fold(&row.name), |i| project(i).map(|p| p.name.as_str())).as_slice() {
        [one] => Some(*one),
        many => many.iter().copied().find(|&i| plan.projects[i].node.as_deref().is_some_and(|n| fold(n) == fold(&row.group))),
    }
}

/// `words`: the vocabulary's words, shared.
fn read_status(field: Option<&Field>, vocabulary: &[String], hints: &[(String, String)], words: &[std::sync::Arc<str>]) -> StatusRead {
    match field.map(|f| normalize::status(&f.text(), vocabulary, hints)) {
        None | Some(Status::Empty) => StatusRead::Unanswered,
        Some(Status::Code { code, .. }) => StatusRead::Word(words.iter().find(|w| ***w == *code).cloned().unwrap_or_else(|| code.into())),
        Some(Status::Unknown { text, .. }) => StatusRead::Unreadable(text),
    }
}

/// The rules the form's fields carry, on one row.
#[allow(clippy::too_many_arguments)]
fn check_row<'c>(
    row: &TableRow,
    project: &Project,
    plan: &Plan,
    form: &FormDef,
    vocab_of: &dyn Fn(&FieldDef) -> &'c [String],
    hints: &[(String, String)],
    file: &std::sync::Arc<str>,
    sheet: &std::sync::Arc<str>,
    at: &dyn Fn(u32, &str) -> Option<String>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    // `f` made with its item: the cell, then the suggestion, go on the end of its texts.
    let add = |out: &mut Vec<Finding>, key: &str, mut f: Finding, suggestion: Option<String>| {
        if let Some(cell) = row.field(key).map(|x| x.a1()).or_else(|| at(row.row, key)) {
            f = f.cell(cell);
        }
        out.push(f.file(file.clone()).sheet(sheet.clone()).suggest_opt(suggestion));
    };
    let push = |out: &mut Vec<Finding>, sev: Severity, rule: String, key: &str, message: String, suggestion: Option<String>| {
        add(out, key, Finding::new(sev, intern(rule), message).project(&project.code), suggestion)
    };
    if row.number.is_none() {
        push(
            &mut out,
            Severity::Info,
            "item-matched-by-name".into(),
            "name",
            format!("{} 行目は項目番号が読めないため、名前「{}」で項目 {} として読みました", row.row + 1, row.name, project.code),
            None,
        );
    }
    let label = |f: &FieldDef| f.labels[0].clone();
    for f in &form.fields {
        let field = row.field(&f.key);
        // Tidied only for the fields that compare it (plan text, a status word): a row's long
        // narratives are not copied for nothing.
        let tidied = || field.map(|x| normalize::tidy_owned(x.text())).unwrap_or_default();
        if f.from == Source::Plan {
            // Plan text a department changed is shown, never taken.
            let planned = match f.kind {
                Kind::Name => Some(project.name.clone()),
                Kind::Department => Some(project.departments.join("、")),
                Kind::Node => None,
                _ => f.plan_column.as_deref().and_then(|c| project.attr(c)).map(str::to_string),
            };
            let written = if f.kind == Kind::Name { row.name.clone() } else { tidied() };
            if let Some(planned) = planned
                && !written.is_empty()
                && !normalize::same_folded(&written, &planned)
                && !(f.kind == Kind::Department && same_departments(&written, &project.departments))
            {
                push(
                    &mut out,
                    Severity::Warning,
                    "plan-text-changed".into(),
                    &f.key,
                    format!(
                        "「{}」が計画と違います(計画: 「{}」、記入: 「{}」)。計画の記載のまま集計します",
                        label(f),
                        short(&planned),
                        short(&written)
                    ),
                    Some("計画の欄は書き換えず、変更が必要なら行政改革担当課に相談してください".into()),
                );
            }
            continue;
        }
        let empty = field.is_none_or(|x| x.is_empty());
        if let Some(x) = field
            && let Some(limit) = f.max_chars
            && let chars = x.value.char_count()
            && chars > limit as usize
        {
            push(
                &mut out,
                Severity::Warning,
                "text-too-long".into(),
                &f.key,
                format!("{}が {chars} 文字あり、上限の {limit} 文字を超えています", label(f)),
                Some("要点を絞るか、別紙にしてください".into()),
            );
        }
        if f.kind == Kind::Amount
            && let Some(x) = field.filter(|x| !x.is_empty())
        {
            let parsed = x.value.amount();
            match &parsed.amount {
                normalize::Amount::Unreadable(raw) => push(
                    &mut out,
                    Severity::Error,
                    format!("{}-unreadable", f.stem()),
                    &f.key,
                    format!("{}「{raw}」を金額として読めません。千円単位の整数(例: 14235、マイナスは △1200)で入力してください", label(f)),
                    None,
                ),
                _ => {
                    if let Some(note) = &parsed.note {
                        push(
                            &mut out,
                            Severity::Info,
                            "normalized".into(),
                            &f.key,
                            format!("{}「{}」を読み替えました({note})", label(f), x.text()),
                            None,
                        );
                    }
                }
            }
        }
        if f.kind == Kind::Status && !empty {
            let vocab = vocab_of(f);
            let text = tidied();
            match normalize::status(&text, vocab, hints) {
                Status::Unknown { text, suggestion } => push(
                    &mut out,
                    Severity::Error,
                    format!("{}-code", f.stem()),
                    &f.key,
                    format!(
                        "{}「{text}」は{}にありません。{} から選んでください",
                        label(f),
                        f.vocabulary.clone().unwrap_or_default(),
                        vocab.join(" / ")
                    ),
                    suggestion,
                ),
                Status::Code { code, changed: true } => push(
                    &mut out,
                    Severity::Info,
                    "normalized".into(),
                    &f.key,
                    format!("{}「{text}」を「{code}」として読みました(全角・空白の整理)", label(f)),
                    None,
                ),
                _ => {}
            }
        }
        if empty {
            let needed = match (&f.required, &f.required_when) {
                (Some(sev), _) => Some((*sev, String::new())),
                (None, Some(w)) => {
                    let other = form.field(&w.field);
                    let value = row.field(&w.field).map(|x| x.text()).unwrap_or_default();
                    let word = other.map(|o| normalize::status(&value, vocab_of(o), hints));
                    match word {
                        Some(Status::Code { code, .. }) if plan.list(&w.list).contains(&code) => {
                            Some((Severity::Error, format!("{}が「{code}」のときは", other.map(label).unwrap_or_default())))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some((sev, when)) = needed {
                // Found on every row that leaves the field empty: its wording is held once.
                use crate::finding::Piece::{Item, Own, Shared};
                let rest = format!("」の{}が空です。{when}記入してください", label(f));
                let pieces = [Shared("項目 "), Item, Shared("「"), Own(&project.name), Shared(&rest)];
                add(&mut out, &f.key, Finding::composed(sev, intern(format!("{}-missing", f.stem())), &project.code, &pieces), None);
            }
        }
    }
    // Held until the run is settled, for every row: no room for findings the row does not
    // have (a list grown by pushing keeps room for four).
    out.shrink_to_fit();
    out
}

/// Rule ids are `&'static str`: the few composed ones (`progress-missing` from a form's stem)
/// are interned once each.
pub fn intern(id: String) -> &'static str {
    use std::sync::{Mutex, OnceLock};
    static IDS: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
    let ids = IDS.get_or_init(|| Mutex::new(Vec::new()));
    let mut ids = ids.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = ids.iter().find(|x| **x == id) {
        return found;
    }
    let s: &'static str = Box::leak(id.into_boxed_str());
    ids.push(s);
    s
}

fn same_departments(written: &str, planned: &[String]) -> bool {
    let w: Vec<String> = super::split_departments(written).iter().map(|d| fold(d)).collect();
    let p: Vec<String> = planned.iter().map(|d| fold(d)).collect();
    w == p
}

fn short(t: &str) -> String {
    let s: String = t.chars().take(40).collect();
    if t.chars().count() > 40 { format!("{s}…") } else { s }
}

/// Counts of the (first) status field per node at every level, and for the whole plan.
fn tally(plan: &Plan, form: &FormDef, answers: &[RowAnswer]) -> ListMap<String, Tally> {
    // Counted by the node's place in the plan (the whole plan after the last), then made into
    // one list by number, in number order: at the end of the run, when it holds the most, a
    // map grown a node at a time held twice the counts' room, and a map made at once from a
    // map of counts held both for a moment (101,000 nodes).
    let whole = plan.nodes.len();
    let mut counts: Vec<Tally> = std::iter::repeat_with(Tally::default).take(whole + 1).collect();
    let key = form.fields.iter().find(|f| f.kind == Kind::Status && f.from == Source::Department).map(|f| f.key.clone());
    // The answers are in plan order, one an item: walked beside the items, not looked up.
    let mut answers = answers.iter().peekable();
    // A node's items are mostly one after another: its path is found once for them, not
    // made again for each (a list an item, let go among the counts being made).
    let mut path: (Option<&str>, Vec<usize>) = (None, Vec::new());
    for (i, p) in plan.projects.iter().enumerate() {
        if path.0 != p.node.as_deref() {
            path = (p.node.as_deref(), p.node.as_deref().map(|n| plan.node_path_places(n)).unwrap_or_default());
        }
        let read = answers
            .next_if(|a| a.place as usize == i)
            .map(|a| key.as_ref().and_then(|k| a.statuses.get(k.as_str())).cloned().unwrap_or(StatusRead::Unanswered));
        for &place in path.1.iter().chain([&whole]) {
            let t = &mut counts[place];
            match &read {
                None => t.missing += 1,
                Some(StatusRead::Word(w)) => t.add_word(w, 1),
                Some(StatusRead::Unanswered) => t.unanswered += 1,
                Some(StatusRead::Unreadable(_)) => t.unreadable += 1,
            }
        }
    }
    // Only the nodes some item sits under (each item counts once in each of its nodes).
    let mut list: Vec<(String, Tally)> = counts
        .into_iter()
        .enumerate()
        .filter(|(_, t)| t.total() > 0)
        .map(|(i, t)| (plan.nodes.get(i).map_or("", |n| n.number.as_str()).to_string(), t))
        .collect();
    list.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    // Nodes of different levels that share a number are counted under it together.
    list.dedup_by(|later, kept| {
        if later.0 != kept.0 {
            return false;
        }
        let t = std::mem::take(&mut later.1);
        t.words.iter().for_each(|(w, n)| kept.1.add_word(w, *n));
        kept.1.unanswered += t.unanswered;
        kept.1.unreadable += t.unreadable;
        kept.1.missing += t.missing;
        true
    });
    ListMap::from_sorted(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Node;

    /// The counts by node as the plan shows them: each item once in each node above it, nodes
    /// of different levels that share a number under that number together, nodes no item sits
    /// under left out.
    #[test]
    fn items_count_in_every_node_above_them_by_number() {
        let form = FormDef::bundled("進捗管理表").unwrap();
        let key: std::sync::Arc<str> = form.field_of(Kind::Status).unwrap().key.as_str().into();
        let node = |number: &str, level, parent: Option<&str>| Node {
            number: number.into(),
            name: String::new(),
            level,
            parent: parent.map(str::to_string),
            code_prefix: None,
        };
        let plan = Plan {
            levels: vec!["目標".into(), "施策".into()],
            // A 施策 numbered as its 目標 is, another, and a 目標 with no items.
            nodes: vec![node("1", 0, None), node("1", 1, Some("1")), node("2", 1, Some("1")), node("9", 0, None)],
            projects: ["1", "2", "2"]
                .iter()
                .enumerate()
                .map(|(i, n)| Project { code: format!("P{i}"), node: Some(n.to_string()), ..Default::default() })
                .collect(),
            ..Default::default()
        };
        let answer = |place: u32, status: StatusRead| RowAnswer {
            item: format!("P{place}").into(),
            file: "a.xlsx".into(),
            sheet: "表".into(),
            row: place,
            cells: None,
            statuses: [(key.clone(), status)].into_iter().collect(),
            place,
        };
        // P0 順調, P1 not answered at all, P2 a word not in the vocabulary.
        let answers = [answer(0, StatusRead::Word("順調".into())), answer(2, StatusRead::Unreadable("じゅんちょう".into()))];
        let tallies = tally(&plan, &form, &answers);
        let seen: Vec<(&str, u64, u64, u64, u64)> = tallies
            .iter()
            .map(|(k, t)| (k.as_str(), t.words.get("順調").copied().unwrap_or(0), t.unanswered, t.unreadable, t.missing))
            .collect();
        assert_eq!(
            seen,
            [
                ("", 1, 0, 1, 1),
                // P0 under both nodes numbered 1; P1 and P2 under the 目標 1.
                ("1", 2, 0, 1, 1),
                ("2", 0, 0, 1, 1),
            ]
        );
    }
}
