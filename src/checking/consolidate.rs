//! Consolidation (集計): deciding which sheet answers for which project, then the counts,
//! totals, missing list and findings that the workbook, the console and the JSON all show.

use crate::finding::{Finding, Severity};
use crate::intake::{FileRecord, Outcome, ReadFile};
use crate::normalize::{Amount, Status, fold};
use crate::period::Period;
use crate::plan::{LoadedPlan, Plan};
use crate::read::ResponseSheet;
use crate::validate::{self, Context};
use anyhow::{Result, bail};
use std::collections::BTreeMap;

/// A sheet accepted as a project's answer for the period.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub project: String,
    pub file: String,
    /// The sheet as read: kept only for a run that re-draws or sends back sheets (see
    /// [`Keep`]); a run that only checks keeps what it counted.
    pub sheet: Option<Box<ResponseSheet>>,
}

impl Accepted {
    /// The sheet as read. Only a run made with [`Keep::Sheets`] has it: asking another is a
    /// mistake of the caller, said as such rather than drawing an empty sheet.
    pub fn read(&self) -> Result<&ResponseSheet> {
        self.sheet.as_deref().ok_or_else(|| anyhow::anyhow!("事業 {} の回答票を保持していない実行結果から描こうとしました", self.project))
    }
}

/// Whether a run keeps every accepted sheet as read (the packet and the feedback re-draw
/// them), or only what it counts and reports: at tens of thousands of files the sheets are
/// most of the memory a check would hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    Sheets,
    Counts,
}

/// A due status as counted: a code of the vocabulary, left empty, or unreadable.
#[derive(Debug, Clone, PartialEq)]
pub enum Counted {
    Code(String),
    Empty,
    Unknown,
}

/// One response sheet checked against the period, reduced to what choosing between sheets,
/// counting and reporting need. Made as each file is read when the period is known, so the
/// sheet itself need not be held (`full`, only with [`Keep::Sheets`]).
#[derive(Debug, Clone)]
pub struct CheckedSheet {
    pub name: String,
    /// The code as written.
    pub code: String,
    /// The plan's code of the project it names, when the plan has it.
    pub project: Option<String>,
    pub period: Option<Period>,
    /// Whether the department wrote anything for the run's period.
    pub has_answers: bool,
    /// A digest of what the department typed: two sheets with the same one say the same.
    pub signature: [u8; 32],
    pub findings: Vec<Finding>,
    /// The statuses due in the period, as counted.
    pub statuses: Vec<Counted>,
    /// Effect amounts by fiscal year, those that are numbers.
    pub effects: Vec<(i32, i64)>,
    /// Boxed: a response sheet is a couple of kilobytes even before its text, and a run
    /// that keeps only counts must not pay for room it leaves empty.
    pub full: Option<Box<ResponseSheet>>,
}

/// Checks one sheet against the period and reduces it (see [`CheckedSheet`]).
pub fn check_sheet(sheet: ResponseSheet, file: &str, ctx: &Context, keep: Keep) -> CheckedSheet {
    let findings = validate::check_sheet(&sheet, file, ctx);
    let project = ctx.plan.project(&fold(&sheet.code.text()));
    let period = ctx.period;
    let statuses = sheet
        .activities
        .iter()
        .enumerate()
        .filter(|(i, _)| validate::status_is_due(project, *i, &sheet, period))
        .map(|(_, act)| match act.status.get(&period).map(|field| validate::status_of(field, ctx)) {
            Some(Status::Code { code, .. }) => Counted::Code(code),
            Some(Status::Unknown { .. }) => Counted::Unknown,
            Some(Status::Empty) | None => Counted::Empty,
        })
        .collect();
    let effects = sheet
        .effect
        .iter()
        .filter_map(|(year, e)| match validate::amount_of(&e.amount).amount {
            Amount::Value(v) => Some((*year, v)),
            _ => None,
        })
        .collect();
    CheckedSheet {
        name: sheet.sheet.clone(),
        code: sheet.code.text(),
        project: project.map(|p| p.code.clone()),
        period: sheet.period.as_ref().map(|(p, _)| *p),
        has_answers: sheet.has_answers(period),
        signature: signature(&sheet),
        findings,
        statuses,
        effects,
        full: (keep == Keep::Sheets).then(|| Box::new(sheet)),
    }
}

/// Checks every sheet of a file read (see [`check_sheet`]).
pub fn check_file(f: ReadFile, ctx: &Context, keep: Keep) -> ReadFile<CheckedSheet> {
    let ReadFile { record, sheets, findings } = f;
    // A new list, not the sheets' own collected in place: that would keep the room of the
    // (much larger) sheets for every file of the run.
    let mut checked = Vec::with_capacity(sheets.len());
    checked.extend(sheets.into_iter().map(|s| check_sheet(s, &record.shown, ctx, keep)));
    ReadFile { record, sheets: checked, findings }
}

#[derive(Debug, Clone)]
pub struct Missing {
    pub project: String,
    pub name: String,
    pub department: String,
    /// Why a project that did send sheets counts as missing (several, none chosen).
    pub note: Option<String>,
}

/// A run's answers by item code, built on the first look-up: the packet asks once per item
/// and field, and a scan of all answers each time was quadratic.
#[derive(Debug, Clone, Default)]
pub struct ByItem(std::sync::OnceLock<std::collections::HashMap<String, usize>>);

impl ByItem {
    /// The first of `answers` whose item (`item_of`) is `code`.
    pub fn find<'a, T>(&self, answers: &'a [T], item_of: impl Fn(&T) -> &str, code: &str) -> Option<&'a T> {
        let index = self.0.get_or_init(|| {
            let mut m = std::collections::HashMap::new();
            for (i, a) in answers.iter().enumerate() {
                m.entry(item_of(a).to_string()).or_insert(i);
            }
            m
        });
        index.get(code).map(|&i| &answers[i])
    }
}

/// Counts keyed by theme number, then by key (status code or fiscal year).
pub type ByTheme<K, V> = BTreeMap<u32, BTreeMap<K, V>>;

#[derive(Debug, Clone)]
pub struct Consolidation {
    pub plan: Plan,
    pub plan_file: String,
    pub period: Period,
    /// How the period was chosen, for the console (`--period`, or read from the sheets).
    pub period_note: String,
    pub files: Vec<FileRecord>,
    /// Accepted sheets in plan order.
    pub accepted: Vec<Accepted>,
    pub findings: Vec<Finding>,
    pub missing: Vec<Missing>,
    pub status_total: BTreeMap<String, u64>,
    pub status_by_theme: ByTheme<String, u64>,
    /// Due statuses left empty (未記入) and typed as something not in the vocabulary
    /// (要確認), by theme: counted apart so that the totals add up to every due status.
    pub status_unanswered: BTreeMap<u32, u64>,
    pub status_unreadable: BTreeMap<u32, u64>,
    pub effect_total: BTreeMap<i32, i64>,
    pub effect_by_theme: ByTheme<i32, i64>,
    /// `accepted` by project code (see [`Consolidation::accepted_for`]), built by `run`, which
    /// alone fills `accepted`.
    pub accepted_index: std::collections::HashMap<String, usize>,
}

impl Consolidation {
    pub fn errors(&self) -> usize {
        crate::finding::count(&self.findings, Severity::Error)
    }
    pub fn warnings(&self) -> usize {
        crate::finding::count(&self.findings, Severity::Warning)
    }
    /// Every due status of the period: those with a code, 未記入 and 要確認.
    pub fn status_due(&self) -> u64 {
        self.status_total.values().sum::<u64>()
            + self.status_unanswered.values().sum::<u64>()
            + self.status_unreadable.values().sum::<u64>()
    }

    pub fn accepted_for(&self, code: &str) -> Option<&Accepted> {
        self.accepted_index.get(code).and_then(|&i| self.accepted.get(i)).filter(|a| a.project == code)
    }
    pub fn context(&self, hints: crate::layout::StatusWords) -> Context<'_> {
        Context { plan: &self.plan, period: self.period, hints }
    }
    /// Findings about each project's accepted sheet, by project code (one pass over them all,
    /// not one per project).
    pub fn findings_by_project(&self) -> std::collections::HashMap<&str, Vec<&Finding>> {
        let mut m: std::collections::HashMap<&str, Vec<&Finding>> = std::collections::HashMap::new();
        for f in self.findings.iter().filter(|f| f.rule != "not-submitted") {
            if let Some(p) = f.item() {
                m.entry(p).or_default().push(f);
            }
        }
        m
    }
}

/// The period of the run: the one given, or the one most sheets say.
pub fn choose_period(given: Option<Period>, files: &[ReadFile]) -> Result<(Period, String)> {
    let votes = files.iter().flat_map(|f| f.sheets.iter()).filter_map(|s| s.period.as_ref().map(|(p, _)| *p));
    vote_period(given, votes, "回答票", "2021H1")
}

/// A digest of what the department typed: two sheets with the same signature say the same.
fn signature(sheet: &ResponseSheet) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut s = Sha256::new();
    let mut add = |v: String| {
        s.update(v.as_bytes());
        s.update([0x1f]);
    };
    for f in [&sheet.responding_department, &sheet.person, &sheet.contact, &sheet.progress, &sheet.countermeasures].into_iter().flatten() {
        add(f.text());
    }
    for a in &sheet.activities {
        for f in a.status.values() {
            add(f.text());
        }
    }
    for o in &sheet.outcomes {
        add(o.result.text());
    }
    for e in sheet.effect.values() {
        add(e.amount.text());
        add(e.basis.text());
    }
    s.finalize().into()
}

/// The period most sheets name (`votes`), or the one given, with a note of how it was chosen;
/// `what` names what was read (`回答票`, `表`, `シート`).
pub fn vote_period(given: Option<Period>, votes: impl IntoIterator<Item = Period>, what: &str, example: &str) -> Result<(Period, String)> {
    if let Some(p) = given {
        return Ok((p, format!("報告期間 {}(--period または kaito.toml で指定)", p.japanese())));
    }
    let mut counted: BTreeMap<Period, usize> = BTreeMap::new();
    for p in votes {
        *counted.entry(p).or_default() += 1;
    }
    let Some((p, n)) = counted.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))).map(|(p, n)| (*p, *n)) else {
        bail!("報告期間が分かりません({what}の期間の記載が読めませんでした)。--period {example} のように指定してください");
    };
    let total: usize = counted.values().sum();
    Ok((
        p,
        format!(
            "報告期間 {}({what} {total} 枚のうち {n} 枚の記載から判断。違う場合は --period か kaito.toml の period で指定)",
            p.japanese()
        ),
    ))
}

/// Settles the ledger once answers are chosen: files that gave an answer are accepted, files
/// whose answers lost to another are duplicates (`lost` says why), and files with nothing
/// usable are rejected with their reasons. Ignored and already rejected files stay as they are.
pub fn settle_ledger(
    records: &mut [FileRecord],
    // Taken, not borrowed: each file's codes move into its record rather than being copied
    // there (a code an item, 300,000 of them for a large plan).
    mut used: BTreeMap<usize, Vec<Box<str>>>,
    mut unused: BTreeMap<usize, Vec<Box<str>>>,
    reasons: &BTreeMap<usize, Vec<String>>,
    lost: &str,
    nothing: &str,
) {
    for (i, r) in records.iter_mut().enumerate() {
        if matches!(r.outcome, Outcome::Ignored | Outcome::Rejected) {
            continue;
        }
        if let Some(codes) = used.remove(&i) {
            r.outcome = Outcome::Accepted;
            r.projects = codes.into_boxed_slice();
            if let Some(extra) = unused.remove(&i) {
                r.reason = Some(format!("一部はほかのファイルを使いました({})", extra.join("、")).into());
            }
        } else if let Some(codes) = unused.remove(&i) {
            r.outcome = Outcome::Duplicate;
            r.reason = Some(format!("{lost}({})", codes.join("、")).into());
            r.projects = codes.into_boxed_slice();
        } else {
            r.outcome = Outcome::Rejected;
            r.reason = Some(reasons.get(&i).map(|v| v.join("。")).unwrap_or_else(|| nothing.to_string()).into());
        }
    }
}

/// `2021-10-05 10:30:00` in local time, or `記録なし`.
fn local_time(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| "記録なし".into())
}

/// The period of a run and how it was chosen, with every file checked against it: as each
/// file is read when the period is given (nothing but the reduced sheets is ever held), or
/// after all are read when the sheets must say it.
pub fn check_files(
    given: Option<Period>,
    files: Vec<ReadFile>,
    plan: &Plan,
    hints: crate::layout::StatusWords,
    keep: Keep,
) -> Result<(Period, String, Vec<ReadFile<CheckedSheet>>)> {
    use rayon::prelude::*;
    let (period, note) = choose_period(given, &files)?;
    plan.check_period(period)?;
    let ctx = Context { plan, period, hints };
    let checked = files.into_par_iter().map(|f| check_file(f, &ctx, keep)).collect();
    Ok((period, note, checked))
}

/// Chooses one answer per project among the checked sheets, settles the ledger, and counts.
pub fn run(
    loaded: LoadedPlan,
    plan_file: &str,
    period: Period,
    period_note: String,
    files: Vec<ReadFile<CheckedSheet>>,
) -> Result<Consolidation> {
    let plan = loaded.plan;
    plan.check_period(period)?;
    let mut findings = loaded.findings;
    // Candidates as (project, file index, sheet), in one list made once: a list per project
    // would give each its own room for several sheets, when nearly every project has one
    // (at 100,000 files that room was some 80 MB of the run's peak).
    let mut candidates: Vec<(String, usize, CheckedSheet)> = Vec::with_capacity(files.iter().map(|f| f.sheets.len()).sum());
    let mut rejected_reasons: BTreeMap<usize, Vec<String>> = BTreeMap::new();

    // Room for every finding at once, rather than the list doubling (and copying) as it grows.
    findings.reserve(files.iter().map(|f| f.findings.len() + f.sheets.iter().map(|s| s.findings.len()).sum::<usize>()).sum());
    let mut files = files;
    for (i, f) in files.iter_mut().enumerate() {
        findings.append(&mut f.findings);
        for mut sheet in std::mem::take(&mut f.sheets) {
            let known = sheet.project.clone();
            let right_period = sheet.period.is_none_or(|p| p == period);
            match known {
                Some(code) if right_period => candidates.push((code, i, sheet)),
                _ => {
                    let reason = if known.is_none() {
                        format!("シート「{}」: 事業コード「{}」が計画にありません", sheet.name, sheet.code)
                    } else {
                        format!("シート「{}」: {}の回答票です", sheet.name, sheet.period.map(|p| p.japanese()).unwrap_or_default())
                    };
                    rejected_reasons.entry(i).or_default().push(reason);
                    findings.extend(std::mem::take(&mut sheet.findings).into_iter().filter(|f| {
                        f.severity == Severity::Error && matches!(f.rule, "code-unknown" | "code-missing" | "period-mismatch")
                    }));
                }
            }
        }
    }
    // The ledger in the files' own room (what else each held has gone to the lists above).
    let mut records: Vec<FileRecord> = files.into_iter().map(|f| f.record).collect();

    // One answer per project. A sheet with answers beats one without (a blank sheet sent
    // out, lying in the same folder); then the time the workbook records as last saved; then
    // the file's time, which copying and mailing reset. Whatever is left is a tie: the same
    // content is harmless, different content is an error and neither is used.
    let mut accepted = Vec::with_capacity(candidates.len());
    // Which projects each file answers for, as (file, project): one pair per project, where
    // a map of lists would keep room for several codes for every file.
    let mut winners: Vec<(usize, String)> = Vec::with_capacity(candidates.len());
    // Counts and totals over accepted sheets only, made as each is accepted (sums: the order
    // does not matter), so that what was counted need not be kept.
    let mut status_total = BTreeMap::new();
    let mut status_by_theme: ByTheme<String, u64> = BTreeMap::new();
    let mut status_unanswered: BTreeMap<u32, u64> = BTreeMap::new();
    let mut status_unreadable: BTreeMap<u32, u64> = BTreeMap::new();
    let mut effect_total = BTreeMap::new();
    let mut effect_by_theme: ByTheme<i32, i64> = BTreeMap::new();
    let mut losers: BTreeMap<usize, (Vec<String>, String)> = BTreeMap::new();
    let mut undecided: BTreeMap<String, String> = BTreeMap::new();
    // Projects in code order, each one's sheets in file order (the file index makes every
    // key distinct, so an in-place sort gives what a stable one would).
    candidates.sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let mut candidates = candidates.into_iter().peekable();
    while let Some((code, first_file, first_sheet)) = candidates.next() {
        let mut list = vec![(first_file, first_sheet)];
        while let Some((_, i, sheet)) = candidates.next_if(|c| c.0 == code) {
            list.push((i, sheet));
        }
        let rank = |(i, sheet): &(usize, CheckedSheet)| {
            (std::cmp::Reverse(sheet.has_answers), std::cmp::Reverse(records[*i].saved), std::cmp::Reverse(records[*i].modified))
        };
        // Copies with the same content are set aside first (the one with the plainest
        // name stays): which of them is "newer" changes nothing, so no time decides it.
        list.sort_by(|a, b| {
            let (na, nb) = (&records[a.0].shown, &records[b.0].shown);
            na.chars().count().cmp(&nb.chars().count()).then(na.cmp(nb))
        });
        let mut kept: Vec<(usize, CheckedSheet)> = Vec::new();
        let mut kept_sigs: Vec<[u8; 32]> = Vec::new();
        for cand in list {
            let sig = cand.1.signature;
            match kept_sigs.iter().position(|k| *k == sig) {
                Some(at) => {
                    let (wshown, lshown) = (records[kept[at].0].shown.clone(), records[cand.0].shown.clone());
                    findings.push(
                        Finding::warning(
                            "duplicate",
                            format!(
                                "事業 {code} の回答票が複数あります(内容は同じです)。「{wshown}」を使い、「{lshown}」は使いません。内容が同じなので、どちらを使っても集計は変わりません"
                            ),
                        )
                        .project(code.clone())
                        .file(lshown.clone())
                        .sheet(cand.1.name.clone())
                        .suggest(format!("不要な「{lshown}」を回答フォルダから外してください")),
                    );
                    let e = losers.entry(cand.0).or_insert_with(|| (vec![], String::new()));
                    e.0.push(code.clone());
                    e.1 = format!("内容が同じ回答票「{wshown}」を使いました");
                }
                None => {
                    kept_sigs.push(sig);
                    kept.push(cand);
                }
            }
        }
        let mut list = kept;
        list.sort_by_key(|a| rank(a));
        let first = &list[0];
        let first_sig = first.1.signature;
        let tied_differently = list[1..].iter().any(|other| rank(other) == rank(first) && other.1.signature != first_sig);
        if tied_differently {
            let tied: Vec<&(usize, CheckedSheet)> = list.iter().filter(|o| rank(o) == rank(first)).collect();
            let names: Vec<String> = tied.iter().map(|o| format!("「{}」", records[o.0].shown)).collect();
            let why = format!(
                "事業 {code} の回答票 {} は内容が違いますが、どれが新しいか判断できません(ブックの保存日時もファイルの更新日時も同じです)。どれも集計していません",
                names.join("と")
            );
            findings.push(
                Finding::error("duplicate", why.clone())
                    .project(code.clone())
                    .file(records[first.0].shown.clone())
                    .sheet(first.1.name.clone())
                    .suggest("正しい1つを残し、ほかを回答フォルダから外してから、もう一度実行してください"),
            );
            for (i, _) in &list {
                let e = losers.entry(*i).or_insert_with(|| (vec![], String::new()));
                e.0.push(code.clone());
                e.1 = "同じ事業の回答票が複数あり、どれが新しいか判断できません".into();
            }
            undecided.insert(code.clone(), names.join("、"));
            continue;
        }
        let mut it = list.into_iter();
        let Some((wi, mut wsheet)) = it.next() else {
            continue;
        };
        let wsig = wsheet.signature;
        let wshown = records[wi].shown.clone();
        for (li, lsheet) in it {
            let lshown = records[li].shown.clone();
            let same = lsheet.signature == wsig;
            let how = if same { "内容は同じです" } else { "内容が異なります" };
            let (severity, because) = if !lsheet.has_answers && wsheet.has_answers {
                (Severity::Warning, format!("「{lshown}」には今期の記入がありません(送付したままの様式です)"))
            } else if records[li].saved != records[wi].saved {
                (
                    if same { Severity::Warning } else { Severity::Error },
                    format!(
                        "ブックに記録された保存日時は「{wshown}」が {}、「{lshown}」が {} です",
                        local_time(records[wi].saved),
                        local_time(records[li].saved)
                    ),
                )
            } else if records[li].modified != records[wi].modified {
                (
                    if same { Severity::Warning } else { Severity::Error },
                    format!(
                        "ブックの保存日時{}のため、ファイルの更新日時で選びました(「{wshown}」が新しい)。コピーやメールの保存で変わることがあるので確認してください",
                        if records[wi].saved.is_some() { "が同じ" } else { "の記録がない" }
                    ),
                )
            } else {
                (Severity::Warning, "保存日時も更新日時も同じで、内容も同じなので、どちらを使っても集計は変わりません".to_string())
            };
            findings.push(
                Finding::new(
                    severity,
                    "duplicate",
                    format!("事業 {code} の回答票が複数あります({how})。「{wshown}」を使い、「{lshown}」は使いません。{because}"),
                )
                .project(code.clone())
                .file(lshown.clone())
                .sheet(lsheet.name.clone())
                .suggest(format!("正しい方を確認し、不要な「{lshown}」を回答フォルダから外してください")),
            );
            let e = losers.entry(li).or_insert_with(|| (vec![], String::new()));
            e.0.push(code.clone());
            e.1 = format!("同じ事業の回答票「{wshown}」を使いました");
        }
        findings.append(&mut wsheet.findings);
        if let Some(project) = plan.project(&code) {
            for status in &wsheet.statuses {
                match status {
                    Counted::Code(word) => {
                        *status_total.entry(word.clone()).or_default() += 1;
                        *status_by_theme.entry(project.theme).or_default().entry(word.clone()).or_default() += 1;
                    }
                    Counted::Unknown => *status_unreadable.entry(project.theme).or_default() += 1,
                    Counted::Empty => *status_unanswered.entry(project.theme).or_default() += 1,
                }
            }
            for &(year, v) in &wsheet.effects {
                *effect_total.entry(year).or_default() += v;
                *effect_by_theme.entry(project.theme).or_default().entry(year).or_default() += v;
            }
        }
        winners.push((wi, code.clone()));
        accepted.push(Accepted { project: code, file: wshown.to_string(), sheet: wsheet.full.take() });
    }
    // The list's room goes now, before the ledger and the missing list are made.
    drop(candidates);
    winners.sort_unstable();
    let won = |i: usize| {
        let from = winners.partition_point(|(f, _)| *f < i);
        let to = winners.partition_point(|(f, _)| *f <= i);
        &winners[from..to]
    };
    for (i, r) in records.iter_mut().enumerate() {
        if matches!(r.outcome, Outcome::Ignored | Outcome::Rejected) {
            continue;
        }
        let codes = won(i);
        if !codes.is_empty() {
            r.outcome = Outcome::Accepted;
            r.projects = codes.iter().map(|(_, code)| code.as_str().into()).collect();
        } else if let Some((codes, why)) = losers.get(&i) {
            r.outcome = Outcome::Duplicate;
            r.projects = codes.iter().map(|c| c.as_str().into()).collect();
            r.reason = Some(format!("{why}({})", codes.join("、")).into());
        } else {
            r.outcome = Outcome::Rejected;
            r.reason = Some(rejected_reasons.get(&i).map(|v| v.join("。")).unwrap_or_else(|| "集計できる回答票がありません".into()).into());
        }
        if let Some((extra, _)) = losers.get(&i).filter(|_| !codes.is_empty()) {
            r.reason = Some(format!("一部の事業はほかの回答票を使いました({})", extra.join("、")).into());
        }
    }

    let order: std::collections::HashMap<String, usize> =
        plan.ordered_projects().iter().enumerate().map(|(i, p)| (p.code.clone(), i)).collect();
    accepted.sort_by_key(|a| order.get(&a.project).copied());

    let mut missing = Vec::new();
    let answered: std::collections::HashSet<&str> = accepted.iter().map(|a| a.project.as_str()).collect();
    // Room for the not-submitted findings at once: the list is as long as the run's findings,
    // and growing it by one would double it.
    findings.reserve(plan.projects.iter().filter(|p| !answered.contains(p.code.as_str())).count());
    for p in plan.ordered_projects() {
        if !answered.contains(p.code.as_str()) {
            let note = undecided.get(&p.code).map(|names| format!("回答票が複数あり未決定: {names}"));
            missing.push(Missing {
                project: p.code.clone(),
                name: p.name.clone(),
                department: p.responding_department().to_string(),
                note: note.clone(),
            });
            if note.is_some() {
                continue; // the duplicate error says what to do
            }
            findings.push(
                Finding::warning(
                    "not-submitted",
                    format!("事業 {}「{}」の回答票が提出されていません(回答課: {})", p.code, p.name, p.responding_department()),
                )
                .project(p.code.clone())
                .suggest(format!("{}に提出を依頼してください", p.responding_department())),
            );
        }
    }

    let accepted_index = accepted.iter().enumerate().map(|(i, a)| (a.project.clone(), i)).collect();
    Ok(Consolidation {
        accepted_index,
        plan,
        plan_file: plan_file.to_string(),
        period,
        period_note,
        files: records,
        accepted,
        findings,
        missing,
        status_total,
        status_by_theme,
        status_unanswered,
        status_unreadable,
        effect_total,
        effect_by_theme,
    })
}
