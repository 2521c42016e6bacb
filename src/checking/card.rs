//! Checking and consolidating cards defined by their fields: identity, period, the rules each
//! field carries (required, required when below target, amounts readable, targets 調整中,
//! earlier years changed since the previous report), one card per item, and the effect
//! targets against actuals at every level of the plan.

use super::CardSheet;
use crate::consolidate::Missing;
use crate::finding::{Finding, Severity};
use crate::form::{FieldDef, FormDef, Kind, PlanValues, Source};
use crate::intake::{FileRecord, ReadFile};
use crate::normalize::{self, Amount, fold, thousands};
use crate::period::{Period, era_year};
use crate::plan::{Plan, Project};
use anyhow::Result;
use std::collections::BTreeMap;

/// A plan target of one year: an amount, 調整中, or none (never zero).
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Amount(i64),
    Pending,
    Text(String),
    None,
}

/// The target a plan field gives an item for a year.
pub fn plan_target(p: &Project, f: &FieldDef, year: i32) -> Target {
    match f.plan_values {
        Some(PlanValues::EffectTargets) => match p.effect_targets.get(&year) {
            Some(v) => Target::Amount(*v),
            None if p.pending_targets.contains(&year) => Target::Pending,
            None => Target::None,
        },
        Some(PlanValues::IndicatorTargets) => match p.indicator.as_ref().and_then(|i| i.by_year.get(&year)) {
            Some(t) => match normalize::amount_from_text(t).amount {
                Amount::Value(v) => Target::Amount(v),
                _ => Target::Text(t.clone()),
            },
            None => Target::None,
        },
        Some(PlanValues::Implementing) | Some(PlanValues::Targets) | None => Target::None,
    }
}

/// The amount a card's cell says, if it reads as one.
pub fn amount(field: Option<&crate::read::Field>) -> Option<i64> {
    field.and_then(|f| f.value.amount().amount.value())
}

#[derive(Debug, Clone)]
pub struct CardAnswer {
    pub item: String,
    pub file: String,
    pub card: CardSheet,
}

#[derive(Debug, Clone)]
pub struct CardRun {
    pub plan: Plan,
    pub form: FormDef,
    pub plan_file: String,
    pub period: Period,
    pub period_note: String,
    pub files: Vec<FileRecord>,
    /// Accepted cards, in plan order.
    pub answers: Vec<CardAnswer>,
    pub findings: Vec<Finding>,
    pub missing: Vec<Missing>,
    answer_index: crate::consolidate::ByItem,
}

impl CardRun {
    pub fn errors(&self) -> usize {
        crate::finding::count(&self.findings, Severity::Error)
    }
    pub fn answer(&self, code: &str) -> Option<&CardAnswer> {
        self.answer_index.find(&self.answers, |a| a.item.as_str(), code)
    }
    /// The field a grid's actual answers against (the first with a `target`).
    pub fn actual_field(&self) -> Option<&FieldDef> {
        self.form.fields.iter().find(|f| f.target.is_some() && f.kind == Kind::Amount)
    }
    pub fn target_field(&self) -> Option<&FieldDef> {
        self.actual_field().and_then(|a| a.target.as_deref()).and_then(|t| self.form.field(t))
    }
}

fn has_answers(card: &CardSheet, form: &FormDef, period: Period) -> bool {
    form.fields.iter().filter(|f| f.from == Source::Department).any(|f| {
        card.once.get(&f.key).is_some_and(|x| !x.is_empty())
            || card.year(&f.key, period.fiscal_year).is_some_and(|x| !x.is_empty())
            || card
                .lines
                .get(&f.key)
                .is_some_and(|ls| ls.iter().any(|m| m.get(&period.fiscal_year).or(m.get(&0)).is_some_and(|x| !x.is_empty())))
    })
}

fn signature(card: &CardSheet, form: &FormDef) -> String {
    let mut s = String::new();
    for f in form.fields.iter().filter(|f| f.from == Source::Department) {
        s.push_str(&fold(&card.text(&f.key)));
        for v in card.by_year.get(&f.key).map(|m| m.values().collect::<Vec<_>>()).unwrap_or_default() {
            s.push('|');
            s.push_str(&fold(&v.text()));
        }
        for m in card.lines.get(&f.key).into_iter().flatten() {
            for v in m.values() {
                s.push('|');
                s.push_str(&fold(&v.text()));
            }
        }
        s.push('\u{1f}');
    }
    s
}

fn choose_period(given: Option<Period>, files: &[ReadFile<CardSheet>]) -> Result<(Period, String)> {
    let votes = files.iter().flat_map(|f| f.sheets.iter()).filter_map(|c| c.period.as_ref().map(|(p, _)| *p));
    crate::consolidate::vote_period(given, votes, "シート", "2022")
}

pub fn run(
    plan: Plan,
    form: FormDef,
    plan_file: &str,
    period: Option<Period>,
    files: Vec<ReadFile<CardSheet>>,
    previous: Vec<ReadFile<CardSheet>>,
    mut findings: Vec<Finding>,
) -> Result<CardRun> {
    let (period, period_note) = choose_period(period, &files)?;
    plan.check_period(period)?;
    let code_key = form.field_of(Kind::Code).map(|f| f.key.clone()).unwrap_or_default();
    // What was reported before, per item: the latest earlier card.
    let mut before: BTreeMap<String, (Period, CardSheet)> = BTreeMap::new();
    for c in previous.into_iter().flat_map(|f| f.sheets) {
        let (Some(p), Some((cp, _))) = (plan.project(&c.text(&code_key)), c.period.clone()) else { continue };
        if cp < period && before.get(&p.code).is_none_or(|(bp, _)| cp > *bp) {
            before.insert(p.code.clone(), (cp, c));
        }
    }
    let mut records = Vec::new();
    let mut candidates: BTreeMap<String, Vec<(usize, CardSheet, Vec<Finding>)>> = BTreeMap::new();
    let mut reasons: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (fi, f) in files.into_iter().enumerate() {
        findings.extend(f.findings);
        let shown = f.record.shown.clone();
        for card in f.sheets {
            let written = card.text(&code_key);
            let at = |key: &str| card.once.get(key).map(|x| x.a1());
            let mut cf = Vec::new();
            let project = plan.project(&written);
            let Some(p) = project else {
                let (rule, msg) = if written.trim().is_empty() {
                    ("code-missing", "取組番号が空です。送付したシートの番号を消さないでください".to_string())
                } else {
                    ("code-unknown", format!("番号「{written}」は計画にありません。このシートは集計しません"))
                };
                findings.push(
                    Finding::error(rule, msg)
                        .file(shown.clone())
                        .sheet(card.sheet.clone())
                        .cell(at(&code_key).unwrap_or_default())
                        .suggest_opt(normalize::closest(&fold(&written), plan.projects.iter().map(|p| p.code.as_str()))),
                );
                reasons.entry(fi).or_default().push(format!("シート「{}」: 番号「{written}」が計画にありません", card.sheet));
                continue;
            };
            match &card.period {
                Some((cp, field)) if *cp != period => {
                    findings.push(
                        Finding::error(
                            "period-mismatch",
                            format!("このシートは{}のものです。今回は{}を集計するため、数えません", cp.japanese(), period.japanese()),
                        )
                        .project(p.code.clone())
                        .file(shown.clone())
                        .sheet(card.sheet.clone())
                        .cell(field.a1()),
                    );
                    reasons.entry(fi).or_default().push(format!("シート「{}」: {}のシートです", card.sheet, cp.japanese()));
                    continue;
                }
                None => cf.push(
                    Finding::warning("period-missing", format!("報告期間の行が読めません。{}の回答として扱いました", period.japanese()))
                        .project(p.code.clone())
                        .file(shown.clone())
                        .sheet(card.sheet.clone()),
                ),
                _ => {}
            }
            cf.extend(check_card(&card, p, &plan, &form, period, before.get(&p.code).map(|(_, c)| c), &shown));
            candidates.entry(p.code.clone()).or_default().push((fi, card, cf));
        }
        records.push(f.record);
    }

    let mut answers = Vec::new();
    let mut used: BTreeMap<usize, Vec<Box<str>>> = BTreeMap::new();
    let mut unused: BTreeMap<usize, Vec<Box<str>>> = BTreeMap::new();
    for (code, mut list) in candidates {
        let rank = |(i, c, _): &(usize, CardSheet, Vec<Finding>)| {
            (
                std::cmp::Reverse(has_answers(c, &form, period)),
                std::cmp::Reverse(records[*i].saved),
                std::cmp::Reverse(records[*i].modified),
            )
        };
        list.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| records[a.0].shown.cmp(&records[b.0].shown)));
        let first_sig = signature(&list[0].1, &form);
        let tie = list[1..].iter().any(|o| rank(o) == rank(&list[0]) && signature(&o.1, &form) != first_sig);
        let differ = list[1..].iter().any(|o| signature(&o.1, &form) != first_sig);
        if list.len() > 1 {
            let names: Vec<String> = list.iter().map(|o| format!("「{}」", records[o.0].shown)).collect();
            let (sev, msg) = if tie {
                (
                    Severity::Error,
                    format!(
                        "取組 {code} のシートが {} にあり、内容が違うのにどれが新しいか判断できません。どれも集計していません",
                        names.join("と")
                    ),
                )
            } else if differ {
                (
                    Severity::Error,
                    format!(
                        "取組 {code} のシートが {} にあり、内容が違います。保存日時が新しい「{}」を使いました",
                        names.join("と"),
                        records[list[0].0].shown
                    ),
                )
            } else {
                (
                    Severity::Warning,
                    format!(
                        "取組 {code} の同じ内容のシートが {} にあります。「{}」を使いました",
                        names.join("と"),
                        records[list[0].0].shown
                    ),
                )
            };
            findings.push(
                Finding::new(sev, "duplicate", msg)
                    .project(code.clone())
                    .file(records[list[0].0].shown.clone())
                    .suggest("不要なファイルを回答フォルダから外してください"),
            );
        }
        let mut it = list.into_iter();
        let Some((wi, card, cf)) = it.next() else { continue };
        for (li, _, _) in it {
            unused.entry(li).or_default().push(code.as_str().into());
        }
        if tie {
            unused.entry(wi).or_default().push(code.as_str().into());
            continue;
        }
        findings.extend(cf);
        used.entry(wi).or_default().push(code.as_str().into());
        answers.push(CardAnswer { item: code, file: records[wi].shown.to_string(), card });
    }
    crate::consolidate::settle_ledger(
        &mut records,
        used,
        unused,
        &reasons,
        "同じ取組のほかのシートを使いました",
        "集計できるシートがありません",
    );
    let order: BTreeMap<&str, usize> = plan.projects.iter().enumerate().map(|(i, p)| (p.code.as_str(), i)).collect();
    answers.sort_by_key(|a| order.get(a.item.as_str()).copied().unwrap_or(usize::MAX));
    let mut missing = Vec::new();
    let answered: std::collections::HashSet<String> = answers.iter().map(|a| a.item.clone()).collect();
    for p in &plan.projects {
        // An item added in a later year has nothing to report before it.
        if answered.contains(&p.code) || p.set_year.is_some_and(|y| y > period.fiscal_year) {
            continue;
        }
        let department = p.responding_department().to_string();
        missing.push(Missing { project: p.code.clone(), name: p.name.clone(), department: department.clone(), note: None });
        findings.push(
            Finding::warning("not-submitted", format!("取組 {}「{}」のシートが提出されていません(所管課: {department})", p.code, p.name))
                .project(p.code.clone())
                .suggest(format!("{department}に提出を依頼してください")),
        );
    }
    Ok(CardRun {
        plan,
        form,
        plan_file: plan_file.to_string(),
        period,
        period_note,
        files: records,
        answers,
        findings,
        missing,
        answer_index: Default::default(),
    })
}

/// The rules the form's fields carry, on one card.
fn check_card(
    card: &CardSheet,
    p: &Project,
    plan: &Plan,
    form: &FormDef,
    period: Period,
    before: Option<&CardSheet>,
    file: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let year = period.fiscal_year;
    let base = |sev: Severity, rule: String, msg: String| -> Finding {
        Finding::new(sev, crate::table::check::intern(rule), msg).project(p.code.clone()).file(file).sheet(card.sheet.clone())
    };
    for label in &card.missing_labels {
        out.push(base(
            Severity::Error,
            "layout-label-missing".into(),
            format!("ラベル「{label}」が見つかりません。送付したシートの様式のまま記入してください"),
        ));
    }
    for x in &card.extra {
        let text: String = x.text().chars().take(30).collect();
        out.push(
            base(
                Severity::Warning,
                "text-outside-form".into(),
                format!("セル {} の「{text}」はシートのどの欄にも当たらないため、集計には使いません", x.a1()),
            )
            .cell(x.a1()),
        );
    }
    let label = |f: &FieldDef| f.labels[0].clone();
    // Fields answered per line of the plan are checked line by line below.
    let line_keys: Vec<&String> = form
        .blocks
        .iter()
        .flat_map(|b| match b {
            crate::form::Block::Activities { answer, .. } => vec![answer],
            crate::form::Block::Targets { columns } => columns.iter().collect(),
            _ => vec![],
        })
        .collect();
    for f in form.fields.iter().filter(|f| !line_keys.contains(&&f.key)) {
        match f.from {
            Source::Plan => {
                let planned = match f.kind {
                    Kind::Name => Some(p.name.clone()),
                    Kind::Department => Some(p.departments.join("、")),
                    _ => f.plan_column.as_deref().and_then(|c| p.attr(c)).map(str::to_string),
                };
                let written = card.text(&f.key);
                if let Some(planned) = planned
                    && !written.is_empty()
                    && fold(&written) != fold(&planned)
                {
                    out.push(
                        base(
                            Severity::Warning,
                            "plan-text-changed".into(),
                            format!(
                                "「{}」が計画と違います(計画: 「{planned}」、記入: 「{written}」)。計画の記載のまま集計します",
                                label(f)
                            ),
                        )
                        .cell(card.once.get(&f.key).map(|x| x.a1()).unwrap_or_default()),
                    );
                }
            }
            Source::Kaito => {
                if let Some([a, b]) = &f.difference_of {
                    for (y, cell) in card.by_year.get(&f.key).into_iter().flatten() {
                        let computed = difference(card, p, form, a, b, *y);
                        if let (Some(typed), Some(c)) = (amount(Some(cell)), computed)
                            && typed != c
                        {
                            out.push(
                                base(
                                    Severity::Info,
                                    "computed-cell".into(),
                                    format!(
                                        "{}は kaito が計算します({}の記入 {} は使わず、{} としました)",
                                        label(f),
                                        era_year(*y),
                                        thousands(typed),
                                        thousands(c)
                                    ),
                                )
                                .cell(cell.a1()),
                            );
                        }
                    }
                }
            }
            Source::Department => {
                if f.per == crate::form::Per::Once {
                    let value = card.once.get(&f.key);
                    let empty = value.is_none_or(|x| x.is_empty());
                    let needed = match (&f.required, &f.required_when_below) {
                        (Some(sev), _) => Some((*sev, String::new())),
                        (None, Some(actual_key)) => below_target(card, p, form, actual_key, year).map(|(a, t)| {
                            (
                                Severity::Error,
                                format!("{}の実績 {} 千円が目標 {} 千円を下回っているため、", era_year(year), thousands(a), thousands(t)),
                            )
                        }),
                        _ => None,
                    };
                    if empty && let Some((sev, why)) = needed {
                        out.push(
                            base(sev, format!("{}-missing", f.stem()), format!("{why}{}が空です。記入してください", label(f)))
                                .cell(value.map(|x| x.a1()).unwrap_or_default()),
                        );
                    }
                    if let (Some(v), Some(limit)) = (value, f.max_chars)
                        && let chars = v.value.char_count()
                        && chars > limit as usize
                    {
                        out.push(
                            base(
                                Severity::Warning,
                                "text-too-long".into(),
                                format!("{}が {chars} 文字あり、上限の {limit} 文字を超えています", label(f)),
                            )
                            .cell(v.a1()),
                        );
                    }
                    continue;
                }
                // A grid row: the reported year is answered now; earlier years were reported before.
                let target = f.target.as_deref().and_then(|t| form.field(t)).map(|tf| plan_target(p, tf, year)).unwrap_or(Target::None);
                let cell = card.year(&f.key, year);
                let empty = cell.is_none_or(|x| x.is_empty());
                match (&target, empty) {
                    (Target::Amount(t), true) => out.push(
                        base(
                            Severity::Error,
                            format!("{}-missing", f.stem()),
                            format!(
                                "{}の{}が空です(目標 {} 千円)。実績を記入してください(効果がなければ 0)",
                                era_year(year),
                                label(f),
                                thousands(*t)
                            ),
                        )
                        .cell(cell.map(|x| x.a1()).unwrap_or_default()),
                    ),
                    (Target::Pending, false) => out.push(
                        base(
                            Severity::Info,
                            format!("{}-pending-target", f.stem()),
                            format!(
                                "{}の目標は調整中ですが、{}「{}」が記入されています。受け付けました(達成率の計算には使いません)",
                                era_year(year),
                                label(f),
                                cell.map(|x| x.text()).unwrap_or_default()
                            ),
                        )
                        .cell(cell.map(|x| x.a1()).unwrap_or_default()),
                    ),
                    _ => {}
                }
                if f.kind == Kind::Amount {
                    for (y, c) in card.by_year.get(&f.key).into_iter().flatten() {
                        if let Amount::Unreadable(raw) = c.value.amount().amount {
                            out.push(
                                base(Severity::Error, format!("{}-unreadable", f.stem()), format!("{}の{}「{raw}」を金額として読めません。千円単位の整数(例: 14235、マイナスは △1200)で入力してください", era_year(*y), label(f)))
                                    .cell(c.a1()),
                            );
                        }
                    }
                }
                // An earlier year's value that differs from what was reported before.
                if let Some(prev) = before {
                    for (y, c) in card.by_year.get(&f.key).into_iter().flatten().filter(|(y, _)| **y < year) {
                        let old = prev.year(&f.key, *y).map(|x| x.text()).unwrap_or_default();
                        let now = c.text();
                        let same = match (amount(Some(c)), amount(prev.year(&f.key, *y))) {
                            (Some(a), Some(b)) => a == b,
                            _ => fold(&old) == fold(&now),
                        };
                        if !same && !old.trim().is_empty() {
                            out.push(
                                base(
                                    Severity::Warning,
                                    format!("{}-changed", f.stem()),
                                    format!("{}の{}が前回の報告「{old}」から「{now}」に変わっています", era_year(*y), label(f)),
                                )
                                .cell(c.a1())
                                .suggest("修正した理由を確認してください"),
                            );
                        }
                    }
                }
            }
        }
    }
    out.extend(check_lines(card, p, plan, form, period, &base));
    out
}

/// The plan's lines on a card: each activity's answer for the reported year (once the item
/// exists), and each numbered target's judgement once it is due, with its explanation.
fn check_lines(
    card: &CardSheet,
    p: &Project,
    plan: &Plan,
    form: &FormDef,
    period: Period,
    base: &dyn Fn(Severity, String, String) -> Finding,
) -> Vec<Finding> {
    use crate::form::Block;
    let mut out = Vec::new();
    let year = period.fiscal_year;
    for b in &form.blocks {
        match b {
            Block::Activities { answer, .. } => {
                let Some(f) = form.field(answer) else { continue };
                let lines = card.lines.get(answer).cloned().unwrap_or_default();
                if lines.len() != p.activities.len() {
                    out.push(base(
                        Severity::Warning,
                        "activity-count".into(),
                        format!(
                            "活動の数が計画({}件)とシート({}件)で違います。行を削除・追加していないか確認してください",
                            p.activities.len(),
                            lines.len()
                        ),
                    ));
                }
                if p.set_year.is_some_and(|y| y > year) || f.required.is_none() {
                    continue;
                }
                for (i, a) in p.activities.iter().enumerate() {
                    let cell = lines.get(i).and_then(|m| m.get(&year));
                    if cell.is_none_or(|x| x.is_empty()) {
                        let mut finding = base(
                            f.required.unwrap_or(Severity::Error),
                            format!("{}-missing", f.stem()),
                            format!("活動「{}」の{}の{}が空です。記入してください", a.name, crate::period::era_year(year), f.labels[0]),
                        );
                        if let Some(c) = cell {
                            finding = finding.cell(c.a1());
                        }
                        out.push(finding);
                    }
                }
            }
            Block::Targets { columns } => {
                let fields: Vec<&FieldDef> = columns.iter().filter_map(|k| form.field(k)).collect();
                let Some(judgement) = fields.iter().find(|f| matches!(f.kind, Kind::Judgement | Kind::Status)) else { continue };
                let words = judgement.vocabulary.as_deref().map(|v| plan.list(v)).unwrap_or_default();
                let hints: Vec<(String, String)> = form.hints.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                for (j, t) in p.targets.iter().enumerate() {
                    let value = |key: &str| card.lines.get(key).and_then(|ls| ls.get(j)).and_then(|m| m.get(&0)).cloned();
                    let jv = value(&judgement.key);
                    let written = jv.as_ref().map(|x| x.text()).unwrap_or_default();
                    let at = |f: &Option<crate::read::Field>, mut finding: Finding| {
                        if let Some(c) = f {
                            finding = finding.cell(c.a1());
                        }
                        finding
                    };
                    let label = format!("目標{}", crate::table::circled(t.number.parse().unwrap_or(j as u32 + 1)));
                    if written.trim().is_empty() {
                        if t.is_due(year) {
                            out.push(at(
                                &jv,
                                base(
                                    Severity::Error,
                                    format!("{}-missing", judgement.stem()),
                                    format!("{label}「{}」の{}が空です", short(&t.text), judgement.labels[0]),
                                ),
                            ));
                        }
                        continue;
                    }
                    if !t.is_due(year) {
                        out.push(at(
                            &jv,
                            base(
                                Severity::Info,
                                format!("{}-early", judgement.stem()),
                                format!(
                                    "{label}は{}の判定ですが、{}に「{written}」と判定されています。受け付けました",
                                    t.due_year.map(crate::period::era_year).unwrap_or_default(),
                                    crate::period::era_year(year)
                                ),
                            ),
                        ));
                    }
                    let code = match normalize::status(&written, &words, &hints) {
                        normalize::Status::Code { code, .. } => Some(code),
                        normalize::Status::Unknown { text, suggestion } => {
                            out.push(
                                at(
                                    &jv,
                                    base(
                                        Severity::Error,
                                        format!("{}-code", judgement.stem()),
                                        format!(
                                            "{label}の{}「{text}」は{}にありません。{} から選んでください",
                                            judgement.labels[0],
                                            judgement.vocabulary.clone().unwrap_or_default(),
                                            words.join(" / ")
                                        ),
                                    ),
                                )
                                .suggest_opt(suggestion),
                            );
                            None
                        }
                        normalize::Status::Empty => None,
                    };
                    for f in fields.iter().filter(|f| f.from == Source::Department && f.key != judgement.key) {
                        let v = value(&f.key);
                        if v.as_ref().is_some_and(|x| !x.is_empty()) {
                            continue;
                        }
                        let needs_reason =
                            f.required_when.as_ref().is_some_and(|w| code.as_ref().is_some_and(|c| plan.list(&w.list).contains(c)));
                        if needs_reason {
                            out.push(at(
                                &v,
                                base(
                                    Severity::Error,
                                    format!("{}-missing", f.stem()),
                                    format!("{label}が「{}」のときは{}(理由)が必要です", code.clone().unwrap_or_default(), f.labels[0]),
                                ),
                            ));
                        } else if let (Some(sev), Some(c)) = (f.required, &code) {
                            out.push(at(
                                &v,
                                base(
                                    sev,
                                    format!("{}-missing", f.stem()),
                                    format!("{label}は「{c}」ですが、{}(達成した数値など)が空です", f.labels[0]),
                                ),
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn short(t: &str) -> String {
    let s: String = t.chars().take(30).collect();
    if t.chars().count() > 30 { format!("{s}…") } else { s }
}

/// (actual, target) of the reported year when the actual is below an amount target.
fn below_target(card: &CardSheet, p: &Project, form: &FormDef, actual_key: &str, year: i32) -> Option<(i64, i64)> {
    let af = form.field(actual_key)?;
    let tf = form.field(af.target.as_deref()?)?;
    let Target::Amount(t) = plan_target(p, tf, year) else { return None };
    let a = amount(card.year(actual_key, year))?;
    (a < t).then_some((a, t))
}

/// `a − b` for a year, where `a` is a card value and `b` a plan target (or another value).
pub fn difference(card: &CardSheet, p: &Project, form: &FormDef, a: &str, b: &str, year: i32) -> Option<i64> {
    let value = |key: &str| -> Option<i64> {
        let f = form.field(key)?;
        match f.from {
            Source::Plan => match plan_target(p, f, year) {
                Target::Amount(v) => Some(v),
                _ => None,
            },
            _ => amount(card.year(key, year)),
        }
    };
    Some(value(a)? - value(b)?)
}
