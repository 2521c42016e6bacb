//! Rendering the results for people and scripts: the console summary and findings, and the
//! JSON summary (the stable scripting interface).

use crate::consolidate::Consolidation;
use crate::finding::{Finding, Severity};
use crate::intake::Outcome;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

pub use crate::normalize::thousands;

/// `ファイル › シート!セル: エラー[rule] message (候補: …)`
pub fn finding_line(f: &Finding) -> String {
    let mut s = String::new();
    if let Some(file) = &f.file {
        s.push_str(file);
        if let Some(sheet) = &f.sheet {
            let _ = write!(s, " › {sheet}");
            if let Some(cell) = f.cell_ref() {
                let _ = write!(s, "!{cell}");
            }
        }
        s.push_str(": ");
    }
    let _ = write!(s, "{}[{}] {}", f.severity.japanese(), f.rule, f.message());
    if let Some(sug) = f.suggestion() {
        let _ = write!(s, " (候補: {sug})");
    }
    s
}

/// A run that could not be done, in Japanese: the chain of contexts, with the technical
/// causes underneath (OS errors, TOML and JSON syntax) put in words a user can act on.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            crate::fsutil::io_reason(io)
        } else if let Some(t) = cause.downcast_ref::<toml::de::Error>() {
            match t.span() {
                Some(span) => format!("TOML の書式に誤りがあります(先頭から {} 文字目付近)", span.start + 1),
                None => "TOML の書式に誤りがあります".to_string(),
            }
        } else if let Some(j) = cause.downcast_ref::<serde_json::Error>() {
            format!("JSON の書式に誤りがあります({} 行目 {} 文字目)", j.line(), j.column())
        } else if let Some(x) = cause.downcast_ref::<rust_xlsxwriter::XlsxError>() {
            crate::write::xlsx_reason(x)
        } else {
            cause.to_string()
        };
        if !parts.contains(&text) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// How the console report is given: how much, and where the full list of findings is.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    pub verbosity: Verbosity,
    /// `「要確認」シート(集計_事務用.xlsx)に` — ends the line that counts what is not shown.
    pub rest: String,
}

/// `ファイル: 32 件(受付 28 / 重複 1 / 不受理 1 / 対象外 2)`
fn files_line(files: &[crate::intake::FileRecord]) -> String {
    let count = |o: Outcome| files.iter().filter(|f| f.outcome == o).count();
    format!(
        "ファイル: {} 件(受付 {} / 重複 {} / 不受理 {} / 対象外 {})",
        files.len(),
        count(Outcome::Accepted),
        count(Outcome::Duplicate),
        count(Outcome::Rejected),
        count(Outcome::Ignored)
    )
}

/// The console report: a one-screen summary, then findings grouped by file.
/// Quiet shows errors only; normal adds warnings; verbose adds info findings and the ledger.
pub fn console(c: &Consolidation, opts: &ConsoleOptions) -> String {
    let verbosity = opts.verbosity;
    let mut s = String::new();
    if verbosity != Verbosity::Quiet {
        let _ = writeln!(s, "計画: {}", c.plan.name);
        let _ = writeln!(s, "{}", c.period_note);
        let _ = writeln!(s, "{}", files_line(&c.files));
        let _ = writeln!(s, "事業: 計画 {} 件、提出 {} 件、未提出 {} 件", c.plan.projects.len(), c.accepted.len(), c.missing.len());
        if !c.plan.assigned_codes.is_empty() {
            let _ = writeln!(
                s,
                "事業コード: 計画にないため {} 件に付けました(kaito plan --write-codes で計画に書き込めます)",
                c.plan.assigned_codes.len()
            );
        }
        let mut statuses: Vec<String> =
            c.plan.vocabulary.iter().map(|v| format!("{v} {}", c.status_total.get(v).copied().unwrap_or(0))).collect();
        statuses.push(format!("{} {}", crate::write::UNANSWERED, c.status_unanswered.values().sum::<u64>()));
        statuses.push(format!("{} {}", crate::write::UNREADABLE, c.status_unreadable.values().sum::<u64>()));
        let _ = writeln!(s, "進捗区分({}): {}", c.period.japanese(), statuses.join(" / "));
        let y = c.period.effect_year();
        let _ = writeln!(
            s,
            "財政健全化効果額({}): {} 千円",
            crate::period::year_header(y),
            thousands(c.effect_total.get(&y).copied().unwrap_or(0))
        );
        counts_and_missing(&mut s, &c.findings, &c.missing);
    }
    findings_summary(&mut s, &c.findings, &c.files, &c.plan, opts);
    s
}

/// The count of findings by severity, and the missing answers: each when there are a few,
/// else how many per department (the 未提出 sheet has them all).
fn counts_and_missing(s: &mut String, findings: &[Finding], missing: &[crate::consolidate::Missing]) {
    let n = |sev| crate::finding::count(findings, sev);
    let _ = writeln!(s, "要確認: エラー {} 件、警告 {} 件、情報 {} 件", n(Severity::Error), n(Severity::Warning), n(Severity::Info));
    if missing.is_empty() {
        return;
    }
    if missing.len() <= SHOWN {
        let _ =
            writeln!(s, "未提出: {}", missing.iter().map(|m| format!("{}({})", m.project, m.department)).collect::<Vec<_>>().join("、"));
        return;
    }
    let mut by_dept: BTreeMap<&str, usize> = BTreeMap::new();
    for m in missing {
        *by_dept.entry(if m.department.is_empty() { "担当未設定" } else { &m.department }).or_default() += 1;
    }
    let mut depts: Vec<_> = by_dept.into_iter().collect();
    depts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let more = depts.len().saturating_sub(SHOWN);
    let _ = writeln!(
        s,
        "未提出: {} 件({}{})",
        missing.len(),
        depts.iter().take(SHOWN).map(|(d, n)| format!("{d} {n}")).collect::<Vec<_>>().join("、"),
        if more > 0 { format!("、ほか {more} 課") } else { String::new() }
    );
}

/// How many findings the console shows before pointing to the full list.
pub const SHOWN: usize = 10;

/// `エラー` in red, `警告` in yellow, `情報` in cyan (ANSI); the printer drops the colour where
/// the terminal has none, output is not a terminal, or `NO_COLOR` is set.
fn paint(severity: Severity, text: &str) -> String {
    let code = match severity {
        Severity::Error => "31;1",
        Severity::Warning => "33",
        Severity::Info => "36",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// One finding for the console: the severity in colour, then the place and the message.
fn console_line(f: &Finding) -> String {
    let line = finding_line(f);
    let word = format!("{}[{}]", f.severity.japanese(), f.rule);
    match line.find(&word) {
        Some(at) => format!("{}{}{}", &line[..at], paint(f.severity, &word), &line[at + word.len()..]),
        None => line,
    }
}

/// The findings: a one-screen summary whatever their number (counts by rule and by
/// department, the first [`SHOWN`], and where the rest are), or every one when verbose.
fn findings_summary(
    s: &mut String,
    findings: &[Finding],
    files: &[crate::intake::FileRecord],
    plan: &crate::plan::Plan,
    opts: &ConsoleOptions,
) {
    if opts.verbosity == Verbosity::Verbose {
        findings_by_file(s, findings, files);
        return;
    }
    let shown = |f: &&Finding| {
        f.rule != "not-submitted"
            && match opts.verbosity {
                Verbosity::Quiet => f.severity == Severity::Error,
                _ => f.severity != Severity::Info,
            }
    };
    let mut list: Vec<&Finding> = findings.iter().filter(shown).collect();
    list.sort_by_key(|f| f.severity);
    if list.is_empty() {
        return;
    }
    if opts.verbosity == Verbosity::Normal {
        let mut by_rule: BTreeMap<&str, (Severity, usize)> = BTreeMap::new();
        let mut by_dept: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for f in &list {
            by_rule.entry(f.rule).or_insert((f.severity, 0)).1 += 1;
            let dept = f
                .item()
                .and_then(|p| plan.project(p))
                .map(|p| p.responding_department().to_string())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "(課の決まらないもの)".into());
            let e = by_dept.entry(dept).or_default();
            if f.severity == Severity::Error {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
        let mut rules: Vec<_> = by_rule.into_iter().collect();
        rules.sort_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.cmp(&a.1.1)).then(a.0.cmp(b.0)));
        let _ = writeln!(
            s,
            "\nルール別: {}",
            rules.iter().map(|(r, (sev, n))| format!("{} {n}", paint(*sev, r))).collect::<Vec<_>>().join("、")
        );
        let mut depts: Vec<_> = by_dept.into_iter().collect();
        depts.sort_by(|a, b| (b.1.0, b.1.1).cmp(&(a.1.0, a.1.1)).then(a.0.cmp(&b.0)));
        let more = depts.len().saturating_sub(SHOWN);
        let _ = writeln!(
            s,
            "課別: {}{}",
            depts.iter().take(SHOWN).map(|(d, (e, w))| format!("{d} エラー {e}・警告 {w}")).collect::<Vec<_>>().join("、"),
            if more > 0 { format!("、ほか {more} 課") } else { String::new() }
        );
    }
    let _ = writeln!(s, "\n{}:", if list.len() > SHOWN { format!("最初の {SHOWN} 件") } else { "一覧".to_string() });
    for f in list.iter().take(SHOWN) {
        let _ = writeln!(s, "  {}", console_line(f));
    }
    if list.len() > SHOWN {
        let _ = writeln!(s, "  …ほか {} 件は{}", list.len() - SHOWN, opts.rest);
    }
    let not_taken: Vec<_> = files.iter().filter(|f| matches!(f.outcome, Outcome::Rejected | Outcome::Duplicate)).collect();
    if !not_taken.is_empty() {
        let _ = writeln!(s, "\n集計しなかったファイル: {} 件", not_taken.len());
        for f in not_taken.iter().take(5) {
            let _ = writeln!(s, "  {} {}: {}", f.outcome.japanese(), f.shown, f.reason.as_deref().unwrap_or(""));
        }
        if not_taken.len() > 5 {
            let _ = writeln!(s, "  …ほか {} 件は受付記録に", not_taken.len() - 5);
        }
    }
}

/// Every finding grouped by file (the file named once), then the whole ledger.
fn findings_by_file(s: &mut String, findings: &[Finding], files: &[crate::intake::FileRecord]) {
    let mut by_file: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.rule != "not-submitted") {
        by_file.entry(f.file.as_deref().unwrap_or_default().to_string()).or_default().push(f);
    }
    for (file, list) in by_file {
        let _ = writeln!(s, "\n{}", if file.is_empty() { "(ファイルなし)" } else { &file });
        for f in list {
            // The file is the heading: the line gives the sheet and cell only.
            let mut g = (*f).clone();
            g.file = None;
            let place = match (&f.sheet, f.cell_ref()) {
                (Some(sh), Some(c)) => format!("{sh}!{c}: "),
                (Some(sh), None) => format!("{sh}: "),
                _ => String::new(),
            };
            let _ = writeln!(s, "  {place}{}", console_line(&g));
        }
    }
    let _ = writeln!(s, "\n受付記録:");
    for f in files {
        let _ = writeln!(s, "  {} {} {}", f.outcome.japanese(), f.shown, f.reason.as_deref().unwrap_or(""));
    }
}

fn by_theme_count(m: &BTreeMap<u32, u64>) -> serde_json::Map<String, Value> {
    m.iter().map(|(t, n)| (t.to_string(), json!(n))).collect()
}

/// The plan as kaito reads it: name, years, form, levels and lists, every node with its
/// projects (code, name, departments), and every plan finding.
pub fn plan_outline(loaded: &crate::plan::LoadedPlan, form: &crate::form::FormDef) -> String {
    let plan = &loaded.plan;
    let mut s = String::new();
    let _ = writeln!(s, "計画: {}", plan.name);
    let _ = writeln!(
        s,
        "期間: {}〜{}(報告単位: {})",
        crate::period::era_year(plan.start_year),
        crate::period::era_year(plan.end_year),
        plan.cadence.japanese()
    );
    let _ = writeln!(s, "様式: {}({})", form.name, form.title);
    if !plan.levels.is_empty() {
        let _ = writeln!(s, "階層: {}", plan.levels.join(" › "));
    }
    let mut lists: Vec<(String, Vec<String>)> =
        vec![("進捗区分".into(), plan.vocabulary.clone()), ("要対応区分".into(), plan.needs_countermeasure.clone())];
    lists.extend(plan.lists.iter().map(|(k, v)| (k.clone(), v.clone())));
    for (name, words) in lists.iter().filter(|(_, w)| !w.is_empty()) {
        let _ = writeln!(s, "{name}: {}", words.join(" / "));
    }
    let _ = writeln!(s, "事業: {} 件", plan.projects.len());
    if !plan.assigned_codes.is_empty() {
        let _ = writeln!(s, "事業コード: 計画にないため、コード接頭辞と計画の順から付けました(--write-codes で計画の写しに書き込めます)");
    }
    // The hierarchy, depth first, each project under the node it names. Children, projects and
    // counts are gathered in one pass each, so a plan of many thousand items prints at once.
    type Key<'a> = (usize, &'a str);
    struct Outline<'a> {
        children: HashMap<Option<Key<'a>>, Vec<&'a crate::plan::Node>>,
        projects: HashMap<Key<'a>, Vec<&'a crate::plan::Project>>,
        below: HashMap<Key<'a>, usize>,
    }
    let mut o = Outline { children: HashMap::new(), projects: HashMap::new(), below: HashMap::new() };
    for n in &plan.nodes {
        let parent = match (&n.parent, n.level) {
            (Some(p), l) if l > 0 => Some((l - 1, p.as_str())),
            (_, 0) => None,
            // A node below the top without a parent is shown nowhere, as before.
            _ => continue,
        };
        o.children.entry(parent).or_default().push(n);
    }
    for p in &plan.projects {
        let path = p.node.as_deref().map(|x| plan.node_path(x)).unwrap_or_default();
        if let Some(last) = path.last() {
            o.projects.entry((last.level, last.number.as_str())).or_default().push(p);
        }
        for a in path {
            *o.below.entry((a.level, a.number.as_str())).or_default() += 1;
        }
    }
    fn walk(s: &mut String, plan: &crate::plan::Plan, o: &Outline, parent: Option<Key>, depth: usize) {
        for n in o.children.get(&parent).into_iter().flatten() {
            let key = (n.level, n.number.as_str());
            let count = o.below.get(&key).copied().unwrap_or(0);
            let _ = writeln!(s, "{}{}({} 件)", "  ".repeat(depth), plan.node_title(n), count);
            for p in o.projects.get(&key).into_iter().flatten() {
                let old = p.attrs.get(crate::template::OLD_CODE).map(|o| format!(" [旧 {o}]")).unwrap_or_default();
                let _ = writeln!(s, "{}{} {}  {}{old}", "  ".repeat(depth + 1), p.code, p.name, p.departments.join("、"));
            }
            walk(s, plan, o, Some(key), depth + 1);
        }
    }
    let _ = writeln!(s);
    walk(&mut s, plan, &o, None, 0);
    let unplaced: Vec<&crate::plan::Project> =
        plan.projects.iter().filter(|p| p.node.as_deref().and_then(|x| plan.node(x)).is_none()).collect();
    if !unplaced.is_empty() {
        let _ = writeln!(s, "(体系のない事業)");
        for p in unplaced {
            let _ = writeln!(s, "  {} {}  {}", p.code, p.name, p.departments.join("、"));
        }
    }
    let f = &loaded.findings;
    let _ = writeln!(
        s,
        "\n計画の要確認: エラー {} 件、警告 {} 件、情報 {} 件",
        crate::finding::count(f, Severity::Error),
        crate::finding::count(f, Severity::Warning),
        crate::finding::count(f, Severity::Info)
    );
    for x in f {
        let _ = writeln!(s, "  {}", finding_line(x));
    }
    s
}

/// The console report of a table form: the summary, then findings grouped by file.
pub fn console_table(t: &crate::table::check::TableRun, opts: &ConsoleOptions) -> String {
    let verbosity = opts.verbosity;
    let mut s = String::new();
    if verbosity != Verbosity::Quiet {
        let _ = writeln!(s, "計画: {}(様式: {})", t.plan.name, t.form.name);
        let _ = writeln!(s, "{}", t.period_note);
        let _ = writeln!(s, "{}", files_line(&t.files));
        let _ = writeln!(s, "項目: 計画 {} 件、回答 {} 件、未提出 {} 件", t.plan.projects.len(), t.answers.len(), t.missing.len());
        if let Some(total) = t.tallies.get("") {
            let vocab = t.status_field().and_then(|f| f.vocabulary.as_deref()).map(|v| t.plan.list(v)).unwrap_or_default();
            let mut parts: Vec<String> =
                vocab.iter().map(|w| format!("{w} {}", total.words.get(w.as_str()).copied().unwrap_or(0))).collect();
            parts.push(format!("{} {}", crate::write::UNANSWERED, total.unanswered));
            parts.push(format!("{} {}", crate::write::UNREADABLE, total.unreadable));
            let _ = writeln!(s, "進捗区分({}): {}", t.period.japanese(), parts.join(" / "));
        }
        counts_and_missing(&mut s, &t.findings, &t.missing);
    }
    findings_summary(&mut s, &t.findings, &t.files, &t.plan, opts);
    s
}

/// A JSON summary: its small values built as one `Value`, its long lists (one entry a file, a
/// finding, an answer) made an item at a time as they are written. Written whole, the summary
/// of 100,000 tables (a 557 MB file) held 3.4 GB while it was built.
pub struct JsonSummary<'a> {
    head: serde_json::Map<String, Value>,
    lists: Vec<(&'static str, List<'a>)>,
}

/// A list of `len` items, the `i`th made by `item(i)` when it is written.
struct List<'a> {
    len: usize,
    item: Box<dyn Fn(usize) -> Value + 'a>,
}

impl<'a> JsonSummary<'a> {
    /// `head`: a JSON object.
    fn new(head: Value) -> JsonSummary<'a> {
        let head = match head {
            Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
        JsonSummary { head, lists: Vec::new() }
    }

    fn list(mut self, key: &'static str, len: usize, item: impl Fn(usize) -> Value + 'a) -> JsonSummary<'a> {
        self.lists.push((key, List { len, item: Box::new(item) }));
        self
    }
}

impl serde::Serialize for List<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.len))?;
        for i in 0..self.len {
            seq.serialize_element(&(self.item)(i))?;
        }
        seq.end()
    }
}

/// Keys in the order a `Value`'s map writes them (byte order), lists among the rest.
impl serde::Serialize for JsonSummary<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut keys: Vec<(&str, Option<&Value>, Option<&List>)> = self.head.iter().map(|(k, v)| (k.as_str(), Some(v), None)).collect();
        keys.extend(self.lists.iter().map(|(k, l)| (*k, None, Some(l))));
        keys.sort_by(|a, b| a.0.cmp(b.0));
        let mut map = s.serialize_map(Some(keys.len()))?;
        for (k, v, l) in keys {
            match (v, l) {
                (Some(v), _) => map.serialize_entry(k, v)?,
                (_, Some(l)) => map.serialize_entry(k, l)?,
                _ => {}
            }
        }
        map.end()
    }
}

fn missing_json(m: &crate::consolidate::Missing) -> Value {
    json!({"project": m.project, "name": m.name, "department": m.department})
}

/// A file's ledger entry.
fn file_json(f: &crate::intake::FileRecord) -> Value {
    json!({"path": f.shown, "outcome": f.outcome, "projects": f.projects, "reason": f.reason, "size": f.size, "sha256": f.sha256_hex()})
}

fn finding_json(f: &Finding) -> Value {
    serde_json::to_value(f).unwrap_or(Value::Null)
}

fn tally_json(t: &crate::table::check::Tally) -> Value {
    json!({"words": t.words, "unanswered": t.unanswered, "unreadable": t.unreadable, "missing": t.missing, "total": t.total()})
}

/// The JSON summary of a table form: the same top-level keys as the card's where they mean
/// the same (`plan`, `period`, `planned`, `submitted`, `missing`, `files`, `findings`), and
/// the status counts by node of the plan's hierarchy.
pub fn json_table(t: &crate::table::check::TableRun) -> JsonSummary<'_> {
    JsonSummary::new(json!({
        "plan": t.plan.name,
        "form": t.form.name,
        "period": {"fiscal_year": t.period.fiscal_year, "half": t.period.half.number()},
        "planned": t.plan.projects.len(),
        "submitted": t.answers.len(),
        "status_counts": {
            "total": t.tallies.get("").map(tally_json),
            "by_node": t.tallies.iter().filter(|(k, _)| !k.is_empty()).map(|(k, v)| (k.clone(), tally_json(v))).collect::<serde_json::Map<_, _>>(),
        },
    }))
    .list("missing", t.missing.len(), |i| missing_json(&t.missing[i]))
    .list("files", t.files.len(), |i| file_json(&t.files[i]))
    .list("findings", t.findings.len(), |i| finding_json(&t.findings[i]))
    .list("answers", t.answers.len(), |i| {
        let a = &t.answers[i];
        json!({
            "project": a.item,
            "file": a.file,
            "sheet": a.sheet,
            "row": a.row + 1,
            "values": a.cells().iter().map(|(k, v)| (k.clone(), v.text())).collect::<BTreeMap<_, _>>(),
        })
    })
}

/// The JSON summary: keys and meanings are a stable interface for scripts.
pub fn json_summary(c: &Consolidation) -> JsonSummary<'_> {
    let by_theme_status: serde_json::Map<String, Value> = c.status_by_theme.iter().map(|(t, m)| (t.to_string(), json!(m))).collect();
    let by_theme_effect: serde_json::Map<String, Value> = c
        .effect_by_theme
        .iter()
        .map(|(t, m)| (t.to_string(), json!(m.iter().map(|(y, v)| (y.to_string(), *v)).collect::<BTreeMap<_, _>>())))
        .collect();
    JsonSummary::new(json!({
        "plan": c.plan.name,
        "period": {"fiscal_year": c.period.fiscal_year, "half": c.period.half.number()},
        "planned": c.plan.projects.len(),
        "submitted": c.accepted.len(),
        "status_counts": {
            "total": c.status_total,
            "by_theme": by_theme_status,
            "unanswered": {"total": c.status_unanswered.values().sum::<u64>(), "by_theme": by_theme_count(&c.status_unanswered)},
            "unreadable": {"total": c.status_unreadable.values().sum::<u64>(), "by_theme": by_theme_count(&c.status_unreadable)},
            "due": c.status_due(),
        },
        "effect_totals": {
            "total": c.effect_total.iter().map(|(y, v)| (y.to_string(), *v)).collect::<BTreeMap<_, _>>(),
            "by_theme": by_theme_effect,
        },
    }))
    .list("missing", c.missing.len(), |i| missing_json(&c.missing[i]))
    .list("files", c.files.len(), |i| {
        // The response card's ledger also names each file's first item, as it always has.
        let f = &c.files[i];
        let mut entry = file_json(f);
        entry["project"] = json!(f.projects.first());
        entry
    })
    .list("findings", c.findings.len(), |i| finding_json(&c.findings[i]))
}

/// The console report of a card defined by its fields: the summary with the reported year's
/// effect against its target, then findings grouped by file.
pub fn console_card(c: &crate::card::check::CardRun, opts: &ConsoleOptions) -> String {
    let verbosity = opts.verbosity;
    let mut s = String::new();
    if verbosity != Verbosity::Quiet {
        let _ = writeln!(s, "計画: {}(様式: {})", c.plan.name, c.form.name);
        let _ = writeln!(s, "{}", c.period_note);
        let _ = writeln!(s, "{}", files_line(&c.files));
        let _ = writeln!(s, "取組: 計画 {} 件、提出 {} 件、未提出 {} 件", c.plan.projects.len(), c.answers.len(), c.missing.len());
        let (_, _, total) = crate::card::render::effect_rows(c);
        let y = c.period.fiscal_year;
        if let Some(t) = total.target.get(&y) {
            let a = total.actual.get(&y).copied().unwrap_or(0);
            let rate = crate::card::render::rate(Some(a), Some(*t)).map(|r| format!("(達成率 {:.1}%)", r * 100.0)).unwrap_or_default();
            let _ = writeln!(s, "効果額({}): 目標 {} 千円、実績 {} 千円{rate}", crate::period::era_year(y), thousands(*t), thousands(a));
        }
        counts_and_missing(&mut s, &c.findings, &c.missing);
    }
    findings_summary(&mut s, &c.findings, &c.files, &c.plan, opts);
    s
}

fn effect_json(r: &crate::card::render::EffectRow, year: i32) -> Value {
    let by_year = |m: &BTreeMap<i32, i64>| m.iter().map(|(y, v)| (y.to_string(), json!(v))).collect::<serde_json::Map<_, _>>();
    let t = r.target.get(&year).copied();
    let a = r.actual.get(&year).copied();
    json!({
        "number": r.number,
        "name": r.name,
        "target": by_year(&r.target),
        "actual": by_year(&r.actual),
        "pending": r.pending,
        "target_total": r.target_total(),
        "actual_total": r.actual_total(),
        "year": {"target": t, "actual": a, "difference": a.zip(t).map(|(a, t)| a - t), "rate": crate::card::render::rate(a, t)},
    })
}

/// The JSON summary of a card defined by its fields: the common keys, and the effect targets
/// against actuals by item, by node of every level, and in total.
pub fn json_card(c: &crate::card::check::CardRun) -> JsonSummary<'_> {
    let (items, levels, total) = crate::card::render::effect_rows(c);
    let y = c.period.fiscal_year;
    JsonSummary::new(json!({
        "plan": c.plan.name,
        "form": c.form.name,
        "period": {"fiscal_year": y, "half": c.period.half.number()},
        "planned": c.plan.projects.len(),
        "submitted": c.answers.len(),
        "effect": {
            "by_item": items.iter().map(|r| (r.number.clone(), effect_json(r, y))).collect::<serde_json::Map<_, _>>(),
            "by_node": levels.iter().map(|r| (r.number.clone(), effect_json(r, y))).collect::<serde_json::Map<_, _>>(),
            "total": effect_json(&total, y),
        },
        "items_by_node": items_by_node(c),
        "judgements": judgements_json(c),
    }))
    .list("missing", c.missing.len(), |i| missing_json(&c.missing[i]))
    .list("files", c.files.len(), |i| file_json(&c.files[i]))
    .list("findings", c.findings.len(), |i| finding_json(&c.findings[i]))
}

/// How many items of the plan sit under each top-level node.
fn items_by_node(c: &crate::card::check::CardRun) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for p in &c.plan.projects {
        if let Some(n) = crate::card::render::top_node(&c.plan, &p.code) {
            *m.entry(n).or_default() += 1;
        }
    }
    m
}

/// The numbered targets as judged: counts in total and by top-level node, and every target
/// with its state and explanation.
fn judgements_json(c: &crate::card::check::CardRun) -> Value {
    let judged = crate::card::render::judgements(c);
    let total = crate::card::render::tally_by(&judged, &|_| vec![String::new()]).remove("").unwrap_or_default();
    let by_node = crate::card::render::tally_by(&judged, &|j| crate::card::render::top_node(&c.plan, &j.item).into_iter().collect());
    json!({
        "count": judged.len(),
        "total": total,
        "by_node": by_node,
        "targets": judged.iter().map(|j| json!({"project": j.item, "number": j.number, "target": j.text, "state": j.state, "explanation": j.explanation})).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::{JsonSummary, Value, json};

    /// Written a list item at a time, a summary reads the same as the one value it was built
    /// as before: its keys in a map's order, each list whole and in order.
    #[test]
    fn a_summary_written_as_it_is_made_is_the_value_it_stands_for() {
        let items = ["一", "二", "三"];
        let summary = JsonSummary::new(json!({"plan": "計画", "period": {"half": 1}, "zeta": 0}))
            .list("answers", items.len(), |i| json!({"n": i, "text": items[i]}))
            .list("files", 0, |_| Value::Null)
            .list("q", 2, |i| json!(i));
        let expected = json!({
            "answers": [{"n": 0, "text": "一"}, {"n": 1, "text": "二"}, {"n": 2, "text": "三"}],
            "files": [],
            "period": {"half": 1},
            "plan": "計画",
            "q": [0, 1],
            "zeta": 0,
        });
        assert_eq!(serde_json::to_string_pretty(&summary).unwrap(), serde_json::to_string_pretty(&expected).unwrap());
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(super::thousands(827080), "827,080");
        assert_eq!(super::thousands(-1200), "△1,200");
        assert_eq!(super::thousands(0), "0");
        assert_eq!(super::thousands(100), "100");
    }
}
