//! The reference sheets (made to the layout by a different program; tests/fixtures/reference) read to the values
//! they show, and check clean against the samples' plan.

use crate::common::*;
use kaito::grid::Value;
use kaito::normalize::Amount;
use kaito::period::{Half, Period};
use kaito::validate::amount_of;

fn status(read: &kaito::intake::ReadFile, activity: usize, period: &str) -> (String, String) {
    let f = &read.sheets[0].activities[activity].status[&Period::parse(period).unwrap()];
    (f.text(), f.a1())
}

#[test]
fn typical_sheet_reads_to_its_values() {
    let plan = sample_plan();
    let (tuples, findings, read) = check_file(&reference("0701-01_民間活力活用事業.xlsx"), &plan, p2021h1());
    assert_eq!(read.sheets.len(), 1);
    let s = &read.sheets[0];
    assert_eq!(s.code.text(), "0701-01");
    assert_eq!(s.code.a1(), "B5");
    assert_eq!(s.period.as_ref().unwrap().0, Period::new(2021, Half::First));
    assert_eq!(s.name.as_deref(), Some("民間活力活用事業"));
    assert_eq!(s.plan_name.as_deref(), Some("平塚市行財政改革計画(2020-2023)"));
    assert_eq!(s.years, vec![2020, 2021, 2022, 2023]);
    assert_eq!(s.activities.len(), 2);
    assert_eq!(status(&read, 0, "2020H1"), ("概ね順調".into(), "D12".into()));
    assert_eq!(status(&read, 0, "2020H2"), ("概ね順調".into(), "E12".into()));
    assert_eq!(status(&read, 0, "2021H1"), ("概ね順調".into(), "F12".into()));
    assert_eq!(status(&read, 1, "2021H1"), ("概ね順調".into(), "F14".into()));
    assert_eq!(status(&read, 1, "2020H1"), ("".into(), "D14".into()));
    assert_eq!(s.activities[0].schedule[&2020].text(), "調整・導入");
    assert_eq!(s.activities[0].schedule[&2021].text(), "→");
    assert!(s.progress.as_ref().unwrap().text().starts_with("「民間活力の活用に係る具体的業務の取組方針について」"));
    assert_eq!(s.progress.as_ref().unwrap().a1(), "L9");
    assert_eq!(s.outcomes.len(), 1);
    assert_eq!(s.outcomes[0].result.text(), "-");
    assert_eq!(s.outcomes[0].target_year.text(), "令和5年度(2023年度)");
    let e = &s.effect[&2020];
    assert_eq!(e.amount.value, Value::Number(14235.0));
    assert_eq!(e.amount.a1(), "D20");
    assert_eq!(amount_of(&e.amount).amount, Amount::Value(14235));
    assert_eq!(e.basis.text(), "学校給食単独調理場業務委託(港小学校)");
    assert_eq!(s.responding_department.as_ref().unwrap().text(), "企画政策課");
    assert_eq!(s.person.as_ref().unwrap().text(), "担当 一郎");
    assert_eq!(s.contact.as_ref().unwrap().text(), "内線2000");
    assert!(problems(&findings).is_empty(), "{tuples:?}");
}

#[test]
fn delayed_sheet_has_countermeasures_and_explicit_none() {
    let plan = sample_plan();
    let (_, findings, read) = check_file(&reference("0701-07_龍城ヶ丘ゾーン公園整備事業.xlsx"), &plan, p2021h1());
    let s = &read.sheets[0];
    assert_eq!(status(&read, 0, "2021H1"), ("遅れ".into(), "F12".into()));
    assert_eq!(status(&read, 1, "2021H1"), ("未着手".into(), "F14".into()));
    let cm = s.countermeasures.as_ref().unwrap();
    assert_eq!(cm.a1(), "L16");
    assert_eq!(cm.text(), "設計協議に時間を要しているため、事業者との協議を重ね、早期の設計完了を目指します。");
    assert_eq!(amount_of(&s.effect[&2020].amount).amount, Amount::Nil);
    assert_eq!(s.outcomes.len(), 2);
    assert!(problems(&findings).is_empty(), "{findings:?}");
}

#[test]
fn long_sheet_reads_every_activity_and_outcome() {
    let plan = sample_plan();
    let (_, findings, read) = check_file(&reference("0704-01_債権徴収の推進事業.xlsx"), &plan, p2021h1());
    let s = &read.sheets[0];
    assert_eq!(s.activities.len(), 6);
    assert_eq!(s.outcomes.len(), 9);
    assert_eq!(s.outcomes[8].result.text(), "+0.16ポイント(達成)");
    assert_eq!(s.outcomes[8].result.a1(), "D33");
    assert_eq!(status(&read, 5, "2020H2"), ("済".into(), "E22".into()));
    assert_eq!(amount_of(&s.effect[&2020].amount).amount, Amount::Value(456350));
    assert!(s.progress.as_ref().unwrap().text().contains("pipitLINQ") || s.progress.as_ref().unwrap().text().contains("FamiPay"));
    assert!(problems(&findings).is_empty(), "{findings:?}");
}

#[test]
fn project_set_later_has_its_own_years_and_no_effect_due() {
    let plan = sample_plan();
    let (_, findings, read) = check_file(&reference("0706-04_財務会計システム電子決裁導入事業.xlsx"), &plan, p2021h1());
    let s = &read.sheets[0];
    assert_eq!(s.years, vec![2021, 2022, 2023, 2024]);
    assert_eq!(status(&read, 0, "2021H1"), ("概ね順調".into(), "D12".into()));
    assert_eq!(s.effect.keys().copied().collect::<Vec<_>>(), vec![2021, 2022, 2023, 2024]);
    assert!(problems(&findings).is_empty(), "{findings:?}");
}

#[test]
fn blank_sheet_reports_exactly_the_missing_fields() {
    let plan = sample_plan();
    let (_, findings, _) = check_file(&reference("blank_0702-03_公共施設総合的管理事業.xlsx"), &plan, p2021h1());
    assert_eq!(problems(&findings), blank_0702_03_findings());
}
