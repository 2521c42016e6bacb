//! The checks (要確認): every rule a returned sheet is held to, each with a stable id.
//!
//! Validation never fails: it turns what it sees into findings and goes on. The same
//! normalisation functions serve validation and consolidation, so what is checked is exactly
//! what is counted.

use crate::finding::{Finding, Severity};
use crate::grid::Value;
use crate::normalize::{self, Amount, ParsedAmount, Status, fold};
use crate::period::{Period, year_header};
use crate::plan::{Plan, PlanGap, Project};
use crate::read::{Field, ResponseSheet};

/// What every check needs to know besides the sheet.
pub struct Context<'a> {
    pub plan: &'a Plan,
    pub period: Period,
    pub hints: crate::layout::StatusWords,
}

/// The status typed in a cell, read against the plan's vocabulary.
pub fn status_of(field: &Field, ctx: &Context) -> Status {
    match &field.value {
        Value::Text(t) => normalize::status(t, &ctx.plan.vocabulary, &ctx.hints.pairs),
        Value::Empty => Status::Empty,
        other => Status::Unknown { text: other.text(), suggestion: None },
    }
}

/// The amount typed in a cell.
pub fn amount_of(field: &Field) -> ParsedAmount {
    field.value.amount()
}

/// The plan activity index each sheet activity answers: by order, as the sheet is drawn.
pub fn status_is_due(project: Option<&Project>, index: usize, sheet: &ResponseSheet, period: Period) -> bool {
    match project.and_then(|p| p.activities.get(index)) {
        Some(a) => a.is_scheduled(period.fiscal_year),
        // An activity the plan does not know: go by the plan text on the sheet itself.
        None => sheet.activities.get(index).and_then(|a| a.schedule.get(&period.fiscal_year)).is_some_and(|f| !f.is_empty()),
    }
}

struct Out<'a> {
    file: &'a str,
    sheet: &'a str,
    project: String,
    findings: Vec<Finding>,
}

impl Out<'_> {
    fn push(&mut self, severity: Severity, rule: &'static str, field: Option<&Field>, message: String, suggestion: Option<String>) {
        let mut f = Finding::new(severity, rule, message).file(self.file).sheet(self.sheet).suggest_opt(suggestion);
        if !self.project.is_empty() {
            f = f.project(self.project.clone());
        }
        if let Some(field) = field {
            f = f.cell(field.a1());
        }
        self.findings.push(f);
    }

    /// Checks common to every input cell: formulas, error values, joined cells.
    fn input(&mut self, field: &Field, what: &str) {
        if let Value::Error(e) = &field.value {
            self.push(Severity::Error, "cell-error", Some(field), format!("{what}がエラー値「{e}」です。値を直接入力してください"), None);
        } else if field.formula && field.value == Value::Empty {
            self.push(
                Severity::Error,
                "formula-no-value",
                Some(field),
                format!("{what}は数式ですが計算結果が保存されていません。Excelで開いて再計算・保存するか、値を直接入力してください"),
                None,
            );
        } else if field.formula {
            self.push(
                Severity::Info,
                "formula",
                Some(field),
                format!("{what}は数式です。保存されていた計算結果「{}」を使いました", field.text()),
                None,
            );
        }
        if let (Some(shown), Value::Number(n)) = (field.shown, &field.value) {
            self.push(
                Severity::Warning,
                "number-format",
                Some(field),
                format!(
                    "{what}は Excel では{}「{}」と表示されていますが、保存されている数値 {} として読みました",
                    shown.japanese(),
                    shown.display(*n),
                    field.text()
                ),
                Some("セルの表示形式を「標準」か「数値」にして、表示と値が同じか確かめてください".into()),
            );
        }
        let chars = field.value.excel_len();
        if chars > crate::xlsx::MAX_CELL_CHARS {
            self.push(
                Severity::Warning,
                "text-too-long",
                Some(field),
                format!(
                    "{what}が {chars} 文字あり、Excel の1セルの上限({} 文字)を超えています。集計ブックには先頭の {} 文字だけが入ります",
                    crate::xlsx::MAX_CELL_CHARS,
                    crate::xlsx::MAX_CELL_CHARS
                ),
                Some("文章を短くするか、別紙に分けてください".into()),
            );
        }
        if !field.joined_from.is_empty() {
            let cells: Vec<String> = field.joined_from.iter().map(|(r, c)| crate::finding::a1(*r, *c)).collect();
            self.push(
                Severity::Info,
                "normalized",
                Some(field),
                format!("{what}が複数のセルに分かれていたため、{} の文を改行でつなげて1つにしました", cells.join("、")),
                None,
            );
        }
    }
}

/// Checks one response sheet. The caller has already matched it to a plan project (or not:
/// `code-unknown` is reported here and the remaining checks still run on what the sheet says).
pub fn check_sheet(sheet: &ResponseSheet, file: &str, ctx: &Context) -> Vec<Finding> {
    let bundled;
    let l = match &ctx.hints.labels {
        Some(l) => l,
        None => {
            bundled = crate::layout::Layout::bundled().labels;
            &bundled
        }
    };
    let code = fold(&sheet.code.text());
    let project = ctx.plan.project(&code);
    let mut out = Out { file, sheet: &sheet.sheet, project: project.map(|p| p.code.clone()).unwrap_or(code.clone()), findings: vec![] };
    let period = ctx.period;

    for label in &sheet.missing_labels {
        out.push(
            Severity::Error,
            "layout-label-missing",
            None,
            format!("ラベル「{label}」が見つかりません。送付した回答票の様式のまま、ラベルを消さずに記入してください"),
            None,
        );
    }
    for f in &sheet.extra {
        let text = f.text();
        let short: String = text.chars().take(30).collect();
        let more = if text.chars().count() > 30 { "…" } else { "" };
        out.push(
            Severity::Warning,
            "text-outside-form",
            Some(f),
            format!(
                "セル {} の「{short}{more}」は回答票のどの欄にも当たらないため、集計には使いません(集計ブックの事業シートには「欄外の記入」として載せます)",
                f.a1()
            ),
            Some(format!("回答票の該当する欄({}・{}など)に書いてください", l.progress(), l.countermeasures)),
        );
    }
    if code.is_empty() {
        out.push(
            Severity::Error,
            "code-missing",
            Some(&sheet.code),
            format!("{0}が空です。送付した回答票の{0}を消さないでください", l.code),
            None,
        );
    } else if project.is_none() {
        out.push(
            Severity::Error,
            "code-unknown",
            Some(&sheet.code),
            format!(
                "{0}「{1}」は計画にありません。この回答票は集計しません。送付した回答票の{0}を確認してください",
                l.code,
                sheet.code.text()
            ),
            normalize::closest(&code, ctx.plan.projects.iter().map(|p| p.code.as_str())),
        );
    } else if sheet.code.text() != code {
        out.push(
            Severity::Info,
            "normalized",
            Some(&sheet.code),
            format!("{}「{}」を「{code}」として読みました", l.code, sheet.code.text()),
            None,
        );
    }
    if let (Some(p), Some(name)) = (project, &sheet.name)
        && ctx.plan.knows(PlanGap::Names)
        && fold(name) != fold(&p.name)
    {
        out.push(
            Severity::Warning,
            "name-mismatch",
            sheet.title.as_ref(),
            format!("事業名「{name}」が計画の事業名「{}」と違います。事業コード {} の回答として読みました", p.name, p.code),
            Some(p.name.clone()),
        );
    }
    match &sheet.period {
        Some((p, field)) if *p != period => out.push(
            Severity::Error,
            "period-mismatch",
            Some(field),
            format!("この回答票は{}のものです。今回は{}の回答を集計するため、この回答票は数えません", p.japanese(), period.japanese()),
            Some(format!("{}の回答票に記入してください", period.japanese())),
        ),
        Some(_) => {}
        None => out.push(
            Severity::Warning,
            "period-missing",
            None,
            format!(
                "報告期間の行(例: < {}[{}] >)が読めません。{}の回答として扱いました",
                crate::period::era_year(period.fiscal_year),
                period.half.label(),
                period.japanese()
            ),
            None,
        ),
    }

    // How required each field is comes from the card form's fields; a layout file without
    // them (an older --layout) keeps the severities the card always had.
    let fields = &ctx.hints.fields;
    let required = |key: &str, default: Severity| -> Option<Severity> {
        if fields.is_empty() { Some(default) } else { fields.iter().find(|f| f.key == key).and_then(|f| f.required) }
    };

    // Responder.
    for (key, field, what) in [
        ("department", &sheet.responding_department, &l.department),
        ("person", &sheet.person, &l.person),
        ("contact", &sheet.contact, &l.contact),
    ] {
        match (field, required(key, Severity::Warning)) {
            (Some(f), Some(severity)) if f.is_empty() => {
                out.push(severity, "responder-missing", Some(f), format!("{what}が空です。問い合わせ先が分かるよう記入してください"), None)
            }
            (Some(f), _) if !f.is_empty() => out.input(f, what),
            _ => {}
        }
    }
    let status_required = required("status", Severity::Error);

    // Activities and statuses.
    if let Some(p) = project
        && ctx.plan.knows(PlanGap::Activities)
        && p.activities.len() != sheet.activities.len()
    {
        out.push(
            Severity::Warning,
            "activity-count",
            sheet.activities.first().map(|a| &a.name),
            format!(
                "活動の数が計画({}件)と回答票({}件)で違います。行を削除・追加していないか確認してください",
                p.activities.len(),
                sheet.activities.len()
            ),
            None,
        );
    }
    let mut reported_statuses = Vec::new();
    for (i, activity) in sheet.activities.iter().enumerate() {
        let name = activity.name.text();
        let due = status_is_due(project, i, sheet, period);
        if let Some(severity) = status_required.filter(|_| due && !activity.status.contains_key(&period)) {
            out.push(
                severity,
                "status-missing",
                Some(&activity.name),
                format!("活動「{name}」に{}の実績欄がありません", period.japanese()),
                None,
            );
        }
        let mut done_before = false;
        for (half, field) in &activity.status {
            if *half > period {
                if !field.is_empty() {
                    out.push(
                        Severity::Warning,
                        "status-future",
                        Some(field),
                        format!("活動「{name}」の{}はまだ報告期間ではありませんが「{}」が入っています", half.japanese(), field.text()),
                        None,
                    );
                }
                continue;
            }
            out.input(field, &format!("活動「{name}」の{}の実績", half.japanese()));
            match status_of(field, ctx) {
                Status::Empty => {
                    if let Some(severity) = status_required.filter(|_| *half == period && due) {
                        out.push(
                            severity,
                            "status-missing",
                            Some(field),
                            format!("活動「{name}」の{}の実績(進捗区分)が空です", half.japanese()),
                            Some(format!("{} のいずれかを入力", ctx.plan.vocabulary.join(" / "))),
                        );
                    }
                }
                Status::Code { code, changed } => {
                    if changed {
                        out.push(
                            Severity::Info,
                            "normalized",
                            Some(field),
                            format!("実績「{}」を「{code}」として読みました(全角・空白の整理)", field.text()),
                            None,
                        );
                    }
                    if *half == period {
                        if let (Some(done), Some(ended)) = (&ctx.hints.done, &ctx.hints.ended)
                            && &code == ended
                            && !done_before
                            && ctx.plan.vocabulary.contains(done)
                        {
                            out.push(
                                Severity::Warning,
                                "status-dash",
                                Some(field),
                                format!("活動「{name}」は「{done}」になる前に「{ended}」(活動終了後)になっています"),
                                Some(done.clone()),
                            );
                        }
                        reported_statuses.push(code.clone());
                    }
                    if ctx.hints.done.as_deref() == Some(code.as_str()) {
                        done_before = true;
                    }
                }
                Status::Unknown { .. } if matches!(field.value, Value::Error(_)) => {} // reported as cell-error
                Status::Unknown { text, suggestion } => out.push(
                    Severity::Error,
                    "status-code",
                    Some(field),
                    format!(
                        "活動「{name}」の{}の実績「{text}」は進捗区分にありません。{} から選んでください",
                        half.japanese(),
                        ctx.plan.vocabulary.join(" / ")
                    ),
                    suggestion,
                ),
            }
        }
    }

    // Progress and countermeasures.
    match (&sheet.progress, required("progress", Severity::Error)) {
        (Some(f), Some(severity)) if f.is_empty() => out.push(
            severity,
            "progress-missing",
            Some(f),
            format!("{}の{}が空です。この半期の取組内容を記入してください", period.japanese(), l.progress()),
            None,
        ),
        (Some(f), _) if !f.is_empty() => out.input(f, l.progress()),
        _ => {}
    }
    for o in &sheet.outcomes {
        if !o.result.is_empty() {
            out.input(&o.result, "成果の実績");
        }
    }
    // The statuses that require 課題と対応策: the plan list the form names (要対応区分).
    let needs_list = fields
        .iter()
        .find(|f| f.key == "countermeasures")
        .and_then(|f| f.required_when.as_ref())
        .map(|w| ctx.plan.list(&w.list))
        .unwrap_or_else(|| ctx.plan.needs_countermeasure.clone());
    let needs: Vec<&String> = reported_statuses.iter().filter(|s| needs_list.contains(s)).collect();
    match &sheet.countermeasures {
        Some(f) if f.is_empty() && !needs.is_empty() => {
            let mut ss: Vec<&str> = needs.iter().map(|s| s.as_str()).collect();
            ss.dedup();
            out.push(
                Severity::Error,
                "countermeasures-missing",
                Some(f),
                format!("実績に「{}」があるのに{}が空です。遅れ等の理由と今後の対応を記入してください", ss.join("」「"), l.countermeasures),
                None,
            );
        }
        Some(f) if !f.is_empty() => out.input(f, &l.countermeasures),
        _ => {}
    }

    // Fiscal effect.
    let effect_year = period.effect_year();
    // Without a 財政健全化 column the plan does not say who reports an effect: neither a
    // missing nor an unexpected amount is then held against the department.
    let fiscal_known = ctx.plan.knows(PlanGap::Fiscal);
    let fiscal = project.map(|p| p.fiscal).unwrap_or(false);
    let due_year = fiscal_known && project.is_some_and(|p| p.fiscal && p.years(ctx.plan).contains(&effect_year));
    if due_year && !sheet.effect.contains_key(&effect_year) {
        out.push(Severity::Error, "effect-missing", None, format!("{}に{}の欄がありません", l.effect, year_header(effect_year)), None);
    }
    for (year, e) in &sheet.effect {
        let what = format!("{}の効果額", year_header(*year));
        out.input(&e.amount, &what);
        let parsed = amount_of(&e.amount);
        if let Some(note) = &parsed.note {
            out.push(
                Severity::Info,
                "normalized",
                Some(&e.amount),
                format!(
                    "{what}「{}」を {} として読みました({note})",
                    e.amount.text(),
                    parsed.amount.value().map(crate::normalize::thousands).unwrap_or_default()
                ),
                None,
            );
        }
        match &parsed.amount {
            // A formula without a saved result is already an error of its own.
            Amount::Empty if due_year && *year == effect_year && !e.amount.formula => out.push(
                Severity::Error,
                "effect-missing",
                Some(&e.amount),
                format!("{what}(千円)が空です。財政健全化事業は金額を、効果がない場合は 0 または「-」を入力してください"),
                None,
            ),
            Amount::Unreadable(raw) if !matches!(e.amount.value, Value::Error(_)) => out.push(
                Severity::Error,
                "effect-unreadable",
                Some(&e.amount),
                format!("{what}「{raw}」を金額として読めません。千円単位の整数(例: 14235、マイナスは △1200)で入力してください"),
                None,
            ),
            Amount::Value(v) if !fiscal && fiscal_known && project.is_some() => out.push(
                Severity::Warning,
                "effect-not-fiscal",
                Some(&e.amount),
                format!("財政健全化事業ではないのに{what}「{}」が入っています", crate::normalize::thousands(*v)),
                Some("空欄または「/」".into()),
            ),
            Amount::Value(v) if *v != 0 && e.basis.is_empty() => out.push(
                Severity::Error,
                "effect-basis-missing",
                Some(&e.basis),
                format!(
                    "{what}が {} 千円ですが、{}が空です。効果を生んだ取組を記入してください",
                    crate::normalize::thousands(*v),
                    l.effect_basis
                ),
                None,
            ),
            _ => {}
        }
        if !e.basis.is_empty() {
            out.input(&e.basis, &l.effect_basis);
        }
    }
    out.findings
}
