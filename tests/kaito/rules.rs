//! Each rule fires on a sheet drawn to break it, at the right cell, and not on a clean one;
//! the reader reads altered copies (unmerged, inserted rows, text numbers) the same.

use crate::common::*;
use kaito::draw::{Answers, DrawOptions, Input};
use kaito::finding::Severity;
use kaito::normalize::Amount;
use kaito::period::Period;
use kaito::plan::Plan;
use kaito::validate::amount_of;

fn run(
    plan: &Plan,
    code: &str,
    answers: &Answers,
    opts: &DrawOptions,
    period: Period,
) -> (Vec<(String, String)>, Vec<kaito::finding::Finding>, kaito::intake::ReadFile) {
    let dir = tempfile::tempdir().unwrap();
    let path = draw_file(dir.path(), "x.xlsx", plan, code, period, answers, opts, code);
    let (_, findings, read) = check_file(&path, plan, p2021h1());
    (problems(&findings), findings, read)
}

fn one(rule: &str, cell: &str) -> Vec<(String, String)> {
    vec![(rule.to_string(), cell.to_string())]
}

#[test]
fn clean_sheets_raise_nothing() {
    let plan = sample_plan();
    for p in &plan.projects {
        let (probs, _, read) = run(&plan, &p.code, &good_answers(&plan, &p.code), &DrawOptions::default(), p2021h1());
        assert!(probs.is_empty(), "{}: {probs:?}", p.code);
        assert_eq!(read.sheets.len(), 1);
    }
}

#[test]
fn status_outside_the_vocabulary_suggests_the_closest_code() {
    let plan = sample_plan();
    for (typed, suggestion) in [("順調", "概ね順調"), ("遅延", "遅れ"), ("完了", "済")] {
        let mut a = good_answers(&plan, "0701-01");
        a.statuses[0].insert("2021H1".into(), t(typed));
        let (probs, findings, _) = run(&plan, "0701-01", &a, &DrawOptions::default(), p2021h1());
        assert_eq!(probs, one("status-code", "F12"), "{typed}");
        let f = findings.iter().find(|f| f.rule == "status-code").unwrap();
        assert_eq!(f.suggestion(), Some(suggestion));
        assert!(f.message().contains(typed));
    }
}

#[test]
fn due_status_left_empty() {
    let plan = sample_plan();
    let mut a = good_answers(&plan, "0701-01");
    a.statuses[1].remove("2021H1");
    let (probs, _, _) = run(&plan, "0701-01", &a, &DrawOptions::default(), p2021h1());
    assert_eq!(probs, one("status-missing", "F14"));
}

#[test]
fn status_not_due_may_stay_empty() {
    // 0701-02's first activity has no plan text in 2021: nothing is due there.
    let plan = sample_plan();
    let a = good_answers(&plan, "0701-02");
    assert!(!a.statuses[0].contains_key("2021H1"));
    let (probs, _, _) = run(&plan, "0701-02", &a, &DrawOptions::default(), p2021h1());
    assert!(probs.is_empty(), "{probs:?}");
}

#[test]
fn dash_without_earlier_done_is_a_warning() {
    let plan = sample_plan();
    let mut a = good_answers(&plan, "0701-01");
    a.statuses[0].insert("2021H1".into(), t("-"));
    let (probs, findings, _) = run(&plan, "0701-01", &a, &DrawOptions::default(), p2021h1());
    assert_eq!(probs, one("status-dash", "F12"));
    assert_eq!(findings.iter().find(|f| f.rule == "status-dash").unwrap().severity, Severity::Warning);
    // After a 済 it is fine.
    a.statuses[0].insert("2020H2".into(), t("済"));
    let (probs, _, _) = run(&plan, "0701-01", &a, &DrawOptions::default(), p2021h1());
    assert!(probs.is_empty(), "{probs:?}");
}

#[test]
fn progress_and_countermeasures() {
    let plan = sample_plan();
    let mut a = good_answers(&plan, "0701-01");
    a.progress = None;
    let (probs, _, _) = run(&plan, "0701-01", &a, &DrawOptions::default(), p2021h1());
    assert_eq!(probs, one("progress-missing", "L9"));

    let mut a = good_answers(&plan, "0701-07");
    a.statuses[0].insert("2021H1".into(), t("遅れ"));
    let (probs, _, _) = run(&plan, "0701-07", &a, &DrawOptions::default(), p2021h1());
    assert_eq!(probs, one("countermeasures-missing", "L16"));
    a.countermeasures = Some("協議を重ねます".into());
    let (probs, _, _) = run(&plan, "0701-07", &a, &DrawOptions::default(), p2021h1());
    assert!(probs.is_empty(), "{probs:?}");
}

#[test]
fn effect_rules() {
    let plan = sample_plan();
    let mut a = good_answers(&plan, "0701-01");
    a.effect.clear();
    let (probs, _, _) = run(&plan, "0701-01", &a, &DrawOptions::default(), p2021h1());
    assert_eq!(probs, one("effect-missing", "D20"));

    a.effect.insert(2020, t("約1万"));
    let (probs, findings, _) = run(&plan, "0701-01", &a, &DrawOptions::default(), p2021h1());
    assert_eq!(probs, one("effect-unreadable", "D20"));
    assert!(findings.iter().any(|f| f.rule == "effect-unreadable" && f.message().contains("約1万")));

    a.effect.insert(2020, Input::Number(500.0));
    a.basis.clear();
    let (probs, _, _) = run(&plan, "0701-01", &a, &DrawOptions::default(), p2021h1());
    assert_eq!(probs, one("effect-basis-missing", "D21"));

    // `-` is an answer: explicitly none, no basis needed.
    a.effect.insert(2020, t("-"));
    let (probs, _, _) = run(&plan, "0701-01", &a, &DrawOptions::default(), p2021h1());
    assert!(probs.is_empty(), "{probs:?}");

    // A value on a project without 財政健全化.
    let mut a = good_answers(&plan, "0703-02");
    a.effect.insert(2020, Input::Number(300.0));
    a.basis.insert(2020, "x".into());
    let (probs, _, _) = run(&plan, "0703-02", &a, &DrawOptions::default(), p2021h1());
    assert_eq!(probs, one("effect-not-fiscal", "D21")); // two outcome rows push the block down
}

#[test]
fn amounts_typed_as_text_are_read_and_recorded() {
    let plan = sample_plan();
    for (typed, want) in [("１４，２３５", 14235), ("14,235千円", 14235), (" 14235 ", 14235), ("△1,200", -1200), ("▲1,200", -1200)]
    {
        let mut a = good_answers(&plan, "0701-01");
        a.effect.insert(2020, t(typed));
        let (probs, findings, read) = run(&plan, "0701-01", &a, &DrawOptions::default(), p2021h1());
        assert!(probs.is_empty(), "{typed}: {probs:?}");
        assert_eq!(amount_of(&read.sheets[0].effect[&2020].amount).amount, Amount::Value(want));
        let info = findings.iter().find(|f| f.rule == "normalized").expect("normalisation recorded");
        assert_eq!(info.cell_ref(), Some("D20"));
        assert!(info.message().contains(typed.trim()) || info.message().contains(typed));
    }
}

#[test]
fn statuses_with_spaces_are_read_and_recorded() {
    let plan = sample_plan();
    let mut a = good_answers(&plan, "0701-01");
    a.statuses[0].insert("2021H1".into(), t("概ね 順調"));
    a.statuses[1].insert("2021H1".into(), t("概ね順調　"));
    let (probs, findings, _) = run(&plan, "0701-01", &a, &DrawOptions::default(), p2021h1());
    assert!(probs.is_empty(), "{probs:?}");
    let cells: Vec<_> = findings.iter().filter(|f| f.rule == "normalized").map(|f| f.cell_ref().unwrap()).collect();
    assert_eq!(cells, vec!["F12", "F14"]);
}

#[test]
fn responder_name_period_and_code() {
    let plan = sample_plan();
    let mut a = good_answers(&plan, "0701-01");
    a.person = None;
    let (probs, _, _) = run(&plan, "0701-01", &a, &DrawOptions::default(), p2021h1());
    assert_eq!(probs, one("responder-missing", "H5"));

    // A sheet for another half-year.
    let a = good_answers(&plan, "0701-01");
    let (probs, _, _) = run(&plan, "0701-01", &a, &DrawOptions::default(), Period::parse("2020H2").unwrap());
    assert!(probs.contains(&("period-mismatch".to_string(), "A2".to_string())), "{probs:?}");

    // The project renamed on the sheet, and a code the plan does not know.
    let mut other = plan.clone();
    other.projects.iter_mut().find(|p| p.code == "0701-01").unwrap().name = "民間活力事業".into();
    let dir = tempfile::tempdir().unwrap();
    let path = draw_file(dir.path(), "n.xlsx", &other, "0701-01", p2021h1(), &a, &DrawOptions::default(), "0701-01");
    let (_, findings, _) = check_file(&path, &plan, p2021h1());
    assert_eq!(problems(&findings), one("name-mismatch", "A4"));
    other.projects.iter_mut().find(|p| p.code == "0701-01").unwrap().code = "0799-01".into();
    let path = draw_file(dir.path(), "c.xlsx", &other, "0799-01", p2021h1(), &a, &DrawOptions::default(), "0799-01");
    let (_, findings, _) = check_file(&path, &plan, p2021h1());
    assert!(problems(&findings).contains(&("code-unknown".to_string(), "B5".to_string())));
}

#[test]
fn altered_copies_read_the_same_values() {
    let plan = sample_plan();
    let a = {
        let mut a = good_answers(&plan, "0704-01");
        a.effect.insert(2020, t("456,350"));
        a.countermeasures = Some("対応策".into());
        a
    };
    let (_, _, plain) = run(&plan, "0704-01", &a, &DrawOptions::default(), p2021h1());
    for opts in [
        DrawOptions { merge: false, spacer_rows: 0, ..Default::default() },
        DrawOptions { merge: true, spacer_rows: 2, ..Default::default() },
        DrawOptions { merge: false, spacer_rows: 1, ..Default::default() },
    ] {
        let (probs, _, read) = run(&plan, "0704-01", &a, &opts, p2021h1());
        assert!(probs.is_empty(), "{opts:?}: {probs:?}");
        let (x, y) = (&plain.sheets[0], &read.sheets[0]);
        assert_eq!(x.activities.len(), y.activities.len());
        for (ax, ay) in x.activities.iter().zip(&y.activities) {
            let vx: Vec<_> = ax.status.iter().map(|(p, f)| (*p, f.text())).collect();
            let vy: Vec<_> = ay.status.iter().map(|(p, f)| (*p, f.text())).collect();
            assert_eq!(vx, vy);
        }
        assert_eq!(x.outcomes.len(), y.outcomes.len());
        assert_eq!(x.progress.as_ref().unwrap().text(), y.progress.as_ref().unwrap().text());
        assert_eq!(x.countermeasures.as_ref().unwrap().text(), y.countermeasures.as_ref().unwrap().text());
        assert_eq!(amount_of(&y.effect[&2020].amount).amount, Amount::Value(456350));
    }
}

#[test]
fn renamed_xlsm_on_another_worksheet_is_read() {
    let plan = sample_plan();
    let dir = tempfile::tempdir().unwrap();
    let a = good_answers(&plan, "0701-05");
    let path = draw_file(dir.path(), "図書館.xlsm", &plan, "0701-05", p2021h1(), &a, &DrawOptions::default(), "回答");
    let (_, findings, read) = check_file(&path, &plan, p2021h1());
    assert_eq!(read.sheets.len(), 1);
    assert_eq!(read.sheets[0].sheet, "回答");
    assert_eq!(read.sheets[0].code.text(), "0701-05");
    assert!(problems(&findings).is_empty(), "{findings:?}");
}

/// The card's rules follow its form definition: a city that only wants a warning for an empty
/// 取組状況等 says so in its copy of the form, and a field it does not require is not required.
#[test]
fn the_card_holds_each_field_to_what_its_definition_says() {
    let dir = samples();
    let d = dir.path();
    let card = std::fs::read_to_string(root().join("templates/forms/card-halfyear.toml")).unwrap();
    let softer = card
        .replace(
            "key = \"progress\"\nlabels = [\"取組状況等\"]\nrequired = \"error\"",
            "key = \"progress\"\nlabels = [\"取組状況等\"]\nrequired = \"warning\"",
        )
        .replace("key = \"contact\"\nlabels = [\"連絡先\"]\nrequired = \"warning\"", "key = \"contact\"\nlabels = [\"連絡先\"]");
    assert_ne!(softer, card);
    std::fs::write(d.join("my-card.toml"), softer).unwrap();
    let blank = reference("blank_0702-03_公共施設総合的管理事業.xlsx");
    std::fs::copy(&blank, d.join("blank.xlsx")).unwrap();
    for (layout, progress, contacts) in [(None, "error", 3), (Some("my-card.toml"), "warning", 2)] {
        let mut args = vec!["check", "--plan", "計画.xlsx", "--period", "2021H1", "blank.xlsx", "--json", "s.json"];
        if let Some(l) = layout {
            args.extend(["--layout", l]);
        }
        kaito(&args, d);
        let json = read_json(&d.join("s.json"));
        let of = |rule: &str| -> Vec<serde_json::Value> {
            json["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == rule).cloned().collect()
        };
        assert_eq!(of("progress-missing")[0]["severity"], progress, "{layout:?}");
        assert_eq!(of("responder-missing").len(), contacts, "{layout:?}");
    }
}
