//! Helpers shared by the integration tests.

use kaito::draw::{self, Answers, DrawOptions, Input};
use kaito::finding::Finding;
use kaito::grid::Limits;
use kaito::intake;
use kaito::layout::Layout;
use kaito::period::Period;
use kaito::plan::{self, Plan};
use kaito::validate::{self, Context};
use rust_xlsxwriter::Workbook;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn reference(name: &str) -> PathBuf {
    root().join("tests/fixtures/reference").join(name)
}

pub fn sample_plan() -> Plan {
    plan::load(&root().join("samples/報告回答票/計画.xlsx")).expect("samples plan").plan
}

pub fn p2021h1() -> Period {
    Period::parse("2021H1").unwrap()
}

/// Reads every response sheet of a file and checks it; returns (rule, project, cell) tuples
/// of all findings, and the findings themselves.
pub fn check_file(path: &Path, plan: &Plan, period: Period) -> (Vec<(String, String, String)>, Vec<Finding>, intake::ReadFile) {
    let layout = Layout::bundled();
    let read = intake::read_file(path, &path.display().to_string(), &layout, &Limits::default());
    let ctx = Context { plan, period, hints: layout.hints() };
    let mut findings = read.findings.clone();
    for s in &read.sheets {
        findings.extend(validate::check_sheet(s, "f", &ctx));
    }
    let tuples = findings
        .iter()
        .map(|f| (f.rule.to_string(), f.item().unwrap_or_default().to_string(), f.cell_ref().unwrap_or_default().to_string()))
        .collect();
    (tuples, findings, read)
}

/// Non-info findings as (rule, cell), sorted.
pub fn problems(findings: &[Finding]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = findings
        .iter()
        .filter(|f| f.severity != kaito::finding::Severity::Info)
        .map(|f| (f.rule.to_string(), f.cell_ref().unwrap_or_default().to_string()))
        .collect();
    v.sort();
    v
}

pub fn t(s: &str) -> Input {
    Input::Text(s.to_string())
}

/// A complete, correct answer for a project of the samples' plan in 2021H1: every due status
/// 概ね順調, narrative, responder, and the effect when the project is 財政健全化.
pub fn good_answers(plan: &Plan, code: &str) -> Answers {
    let p = plan.project(code).unwrap();
    let period = p2021h1();
    let statuses = p
        .activities
        .iter()
        .map(|a| {
            period
                .halves_since(plan.start_year)
                .into_iter()
                .filter(|h| a.is_scheduled(h.fiscal_year))
                .map(|h| (h.code(), t("概ね順調")))
                .collect::<BTreeMap<_, _>>()
        })
        .collect();
    let mut a = Answers {
        department: Some(p.responding_department().to_string()),
        person: Some("担当 一郎".into()),
        contact: Some("内線2000".into()),
        statuses,
        progress: Some("計画どおり取組を進めました。".into()),
        results: p.outcomes.iter().map(|_| Some("-".to_string())).collect(),
        ..Default::default()
    };
    if p.fiscal && p.years(plan).contains(&period.effect_year()) {
        a.effect.insert(period.effect_year(), Input::Number(1000.0));
        a.basis.insert(period.effect_year(), "委託化".into());
    }
    a
}

/// Draws one sheet into `dir/name`.
pub fn draw_file(
    dir: &Path,
    name: &str,
    plan: &Plan,
    code: &str,
    period: Period,
    answers: &Answers,
    opts: &DrawOptions,
    sheet: &str,
) -> PathBuf {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name(sheet).unwrap();
    draw::response_sheet(ws, plan, plan.project(code).unwrap(), period, answers, &Layout::bundled(), opts).unwrap();
    let path = dir.join(name);
    wb.save(&path).unwrap();
    path
}

/// Copies a folder tree (files keep their bytes; modification times are set from the source).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Runs the real executable in `dir`, with the colour settings of the environment cleared
/// (output is a pipe: plain text).
pub fn kaito(args: &[&str], dir: &Path) -> std::process::Output {
    kaito_env(args, dir, &[])
}

/// Runs the real executable in `dir` with these environment variables.
pub fn kaito_env(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_kaito"));
    c.args(args).current_dir(dir).env_remove("CLICOLOR_FORCE").env_remove("NO_COLOR").env_remove("CLICOLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run kaito")
}

/// A fresh copy of samples/.
pub fn samples() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root().join("samples/報告回答票"), dir.path());
    dir
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The first finding of a rule in a JSON summary.
pub fn json_finding<'a>(json: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    json["findings"].as_array().unwrap().iter().find(|f| f["rule"] == rule).unwrap_or_else(|| panic!("no {rule} finding"))
}

/// What a blank 0702-03 sheet for 2021H1 must report, whoever drew it: the three due
/// statuses, the narrative, the 令和2年度 effect and the responder fields.
pub fn blank_0702_03_findings() -> Vec<(String, String)> {
    [
        ("effect-missing", "D24"),
        ("progress-missing", "L9"),
        ("responder-missing", "E5"),
        ("responder-missing", "H5"),
        ("responder-missing", "K5"),
        ("status-missing", "F12"),
        ("status-missing", "F14"),
        ("status-missing", "F16"),
    ]
    .iter()
    .map(|(r, c)| (r.to_string(), c.to_string()))
    .collect()
}

/// Types values into input cells of a generated workbook: each `(A1, value)` replaces the
/// formatted blank the template left there (numbers as numbers, the rest as text).
pub fn type_into(path: &Path, values: &BTreeMap<String, String>) {
    let bytes = std::fs::read(path).unwrap();
    let patched = crate::fixtures::patch_zip(&bytes, "xl/worksheets/sheet1.xml", |mut xml| {
        for (cell, value) in values {
            let open = format!("<c r=\"{cell}\" ");
            let start = xml.find(&open).unwrap_or_else(|| panic!("no input cell {cell}"));
            let end = start + xml[start..].find("/>").unwrap();
            let attrs = &xml[start + open.len()..end];
            let s = attrs.split_whitespace().find(|a| a.starts_with("s=")).unwrap_or("");
            let element = match value.parse::<i64>() {
                Ok(n) => format!("<c r=\"{cell}\" {s}><v>{n}</v></c>"),
                Err(_) => {
                    format!("<c r=\"{cell}\" {s} t=\"inlineStr\"><is><t>{}</t></is></c>", value.replace('&', "&amp;").replace('<', "&lt;"))
                }
            };
            xml.replace_range(start..end + 2, &element);
        }
        xml
    });
    std::fs::write(path, patched).unwrap();
}

/// Runs kaito with `--json s.json` added and returns (exit code, the JSON, everything printed).
pub fn run_json(d: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--json", "s.json"]);
    let out = kaito(&all, d);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(d.join("s.json").is_file(), "{text}");
    (out.status.code(), read_json(&d.join("s.json")), text)
}

/// A fresh copy of one of samples/'s folders.
pub fn sample_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root().join("samples").join(name), dir.path());
    dir
}

/// One part of a workbook's package (`xl/worksheets/sheet1.xml`), as text; `None` when absent.
pub fn part(path: &Path, name: &str) -> Option<String> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut z.by_name(name).ok()?, &mut s).unwrap();
    Some(s)
}
