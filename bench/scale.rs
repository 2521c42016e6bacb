//! `cargo bench --bench scale` (or `bench/run.sh`, which also installs the comparison scripts):
//! kaito at the scale of many returned sheets, against the floors and the scripts offices write.
//!
//! For each size N (`KAITO_BENCH_SCALE`, default `30,1000`) and each form (`KAITO_BENCH_FORMS`,
//! default `card,table`) it makes, once, a plan and N filled response sheets under
//! `target/bench-cache/<form>-<N>/`:
//! - card: N items, one 報告回答票 each, the real sample answers with their codes changed
//!   (so the 28 answers give the variety: every status, long and empty narratives, findings);
//! - table: N departments of three items each, every department's 進捗管理表 drawn by kaito's
//!   own template writer and filled with the published table's answers in turn (some with no
//!   status or no narrative, as there).
//!
//! Then it runs, as separate processes, each the median of `KAITO_BENCH_RUNS` runs (default 3):
//! the floor and the packet floor (`bench/floor.rs`), `kaito check`, `consolidate` and
//! `template`, and where `target/bench-venv` exists (bench/run.sh makes it) the python-calamine
//! check script and the openpyxl merge script (`bench/scripts/`; the openpyxl one once, and only
//! up to `KAITO_BENCH_OPENPYXL_MAX` files, default 10,000, since it takes minutes there).
//! It prints one table (seconds, files/s, peak resident memory, and each ratio) and then the
//! targets, each met or not. `KAITO_BENCH_COMMANDS` picks the commands (comma-separated names as
//! the table prints them; default all).

use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// One timed command.
struct Row {
    form: &'static str,
    files: usize,
    what: &'static str,
    secs: f64,
    peak_kib: u64,
}

fn main() {
    let sizes: Vec<usize> = env_list("KAITO_BENCH_SCALE", "30,1000").iter().filter_map(|s| s.parse().ok()).collect();
    let forms: Vec<String> = env_list("KAITO_BENCH_FORMS", "card,table");
    let runs: usize = std::env::var("KAITO_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    // Which commands to time (default all): at 100,000 cards the packet floor holds every sheet
    // until written (some 8.5 GB) and `consolidate` 3.8 GB, so the huge run may leave them out.
    let only: Vec<String> = env_list("KAITO_BENCH_COMMANDS", "floor,packet floor,check,consolidate,template,python-calamine,openpyxl");
    let openpyxl_max: usize = std::env::var("KAITO_BENCH_OPENPYXL_MAX").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let floor_exe = build_floor(root);
    let python = std::env::var_os("KAITO_BENCH_PYTHON").map(PathBuf::from).unwrap_or_else(|| root.join("target/bench-venv/bin/python"));
    let python = python.is_file().then_some(python);
    if python.is_none() {
        println!("(no target/bench-venv: the script comparisons are left out; bench/run.sh makes it)");
    }
    println!("medians of {runs} runs");
    let mut rows: Vec<Row> = Vec::new();
    for &n in &sizes {
        for form in &forms {
            let (form, period, next) = match form.as_str() {
                "card" => ("card", "2021H1", "2021H2"),
                "table" => ("table", "2020", "2021"),
                other => panic!("KAITO_BENCH_FORMS: unknown form {other} (card, table)"),
            };
            let dir = root.join(format!("target/bench-cache/{form}-{n}"));
            if !dir.join("done").is_file() {
                let started = Instant::now();
                if form == "card" {
                    make_card(root, &dir, n)
                } else {
                    make_table(root, &dir, n)
                }
                eprintln!("made {n} {form} files in {:.1} s", started.elapsed().as_secs_f64());
            }
            // The commands of one size and form, each run `runs` times (openpyxl once). They
            // take turns, a round of every command at a time, so that the machine's other work,
            // which comes and goes over minutes, falls on a command and its floor alike.
            let kaito = Path::new(env!("CARGO_BIN_EXE_kaito"));
            let mut jobs: Vec<(&'static str, PathBuf, Vec<String>, usize)> = Vec::new();
            let mut add = |what: &'static str, program: &Path, args: &[&str], runs: usize| {
                if only.iter().any(|o| o == what) {
                    jobs.push((what, program.to_path_buf(), args.iter().map(|a| a.to_string()).collect(), runs));
                }
            };
            add("floor", &floor_exe, &["回答"], runs);
            add("packet floor", &floor_exe, &["--packet", "floor.xlsx", "回答"], runs);
            add("check", kaito, &["check", "--plan", "計画.xlsx", "--period", period, "回答", "--quiet"], runs);
            add(
                "consolidate",
                kaito,
                &["consolidate", "--plan", "計画.xlsx", "--period", period, "回答", "--output", "集計.xlsx", "--quiet"],
                runs,
            );
            // The sheets to send out for the next period: one workbook per item or department.
            add("template", kaito, &["template", "--plan", "計画.xlsx", "--period", next, "--output", "送付"], runs);
            if let Some(py) = &python {
                let script = |name: &str| root.join("bench/scripts").join(name).display().to_string();
                add("python-calamine", py, &[&script("check_calamine.py"), form, "回答"], runs);
                if n <= openpyxl_max {
                    add("openpyxl", py, &[&script("consolidate_openpyxl.py"), form, "回答", "openpyxl.xlsx"], 1);
                }
            }
            let mut timings: Vec<(Vec<f64>, u64)> = vec![(Vec::new(), 0); jobs.len()];
            for round in 0..runs.max(1) {
                for ((_, program, args, job_runs), (secs, peak)) in jobs.iter().zip(&mut timings) {
                    if round < (*job_runs).max(1) {
                        let _ = std::fs::remove_dir_all(dir.join("送付"));
                        let args: Vec<&str> = args.iter().map(String::as_str).collect();
                        let (s, p) = run(&dir, program, &args);
                        secs.push(s);
                        *peak = (*peak).max(p);
                    }
                }
            }
            for ((what, ..), (secs, peak)) in jobs.iter().zip(timings) {
                let row = Row { form, files: n, what, secs: median(secs), peak_kib: peak };
                print_row(&row, None);
                rows.push(row);
            }
        }
    }
    report(&rows);
}

fn env_list(name: &str, default: &str) -> Vec<String> {
    std::env::var(name).unwrap_or_else(|_| default.into()).split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// Builds `bench/floor.rs` (an example of this package) and returns its path.
fn build_floor(root: &Path) -> PathBuf {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--example", "floor"])
        .current_dir(root)
        .status()
        .expect("cargo build --example floor");
    assert!(status.success(), "building the floor failed");
    // This benchmark runs from <target>/release/deps/; the example lies in <target>/release/examples/.
    let exe = std::env::current_exe().unwrap();
    let release = exe.parent().and_then(Path::parent).unwrap();
    let floor = release.join("examples").join(if cfg!(windows) { "floor.exe" } else { "floor" });
    assert!(floor.is_file(), "no floor at {}", floor.display());
    floor
}

/// The median of a command's timings (the machine's other work makes single runs vary widely).
fn median(mut t: Vec<f64>) -> f64 {
    t.sort_by(|a, b| a.total_cmp(b));
    t[t.len() / 2]
}

fn print_row(r: &Row, ratio: Option<String>) {
    let peak = if r.peak_kib > 0 { format!("{:.1}", r.peak_kib as f64 / 1024.0) } else { String::new() };
    println!(
        "{:>6} {:>8} {:>16} {:>9.2} {:>9.0} {:>9} {:>22}",
        r.form,
        r.files,
        r.what,
        r.secs,
        r.files as f64 / r.secs,
        peak,
        ratio.unwrap_or_default()
    );
}

/// The table of every run with its ratios, then the targets.
fn report(rows: &[Row]) {
    let find = |form: &str, n: usize, what: &str| rows.iter().find(|r| r.form == form && r.files == n && r.what == what);
    println!();
    println!("{:>6} {:>8} {:>16} {:>9} {:>9} {:>9} {:>22}", "form", "files", "command", "seconds", "files/s", "peak MiB", "ratio");
    for r in rows {
        let against = |other: &str, label: &str, inverse: bool| {
            find(r.form, r.files, other).map(|o| {
                let x = if inverse { o.secs / r.secs } else { r.secs / o.secs };
                format!("{x:.1} × {label}")
            })
        };
        let ratio = match r.what {
            "check" => against("floor", "floor", false),
            "consolidate" | "template" => against("packet floor", "packet floor", false),
            "python-calamine" => against("check", "check's time", false),
            "openpyxl" => against("consolidate", "consolidate's", false),
            _ => None,
        };
        print_row(r, ratio);
    }
    println!();
    println!("targets:");
    let mut seen: BTreeMap<(&str, usize), ()> = BTreeMap::new();
    for r in rows {
        seen.insert((r.form, r.files), ());
    }
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    for &(form, n) in seen.keys() {
        let t = |what: &str| find(form, n, what).map(|r| r.secs);
        if let (Some(c), Some(f)) = (t("check"), t("floor")) {
            println!("  {form} {n:>7}: check ≤ 1.5 × floor: {:.2} — {}", c / f, verdict(c / f <= 1.5));
        }
        if let (Some(c), Some(f)) = (t("consolidate"), t("packet floor")) {
            println!("  {form} {n:>7}: consolidate ≤ 2 × packet floor: {:.2} — {}", c / f, verdict(c / f <= 2.0));
        }
        if let (Some(c), Some(p)) = (t("check"), t("python-calamine")) {
            println!("  {form} {n:>7}: check ≥ 5 × faster than python-calamine: {:.1} — {}", p / c, verdict(p / c >= 5.0));
        }
        if let (Some(c), Some(p)) = (t("consolidate"), t("openpyxl")) {
            println!("  {form} {n:>7}: consolidate ≥ 40 × faster than openpyxl: {:.1} — {}", p / c, verdict(p / c >= 40.0));
        }
        if n == 100_000
            && let Some(r) = find(form, n, "check")
        {
            let mb = r.peak_kib as f64 * 1024.0 / 1e6;
            println!("  {form} {n:>7}: check peak RSS < 300 MB: {mb:.0} MB — {}", verdict(mb < 300.0));
        }
        if n == 100_000
            && let (Some(big), Some(small)) = (find(form, n, "check"), find(form, 10_000, "check"))
        {
            let ratio = big.secs / small.secs;
            println!("  {form} 10,000 → 100,000: check time × {ratio:.1} (≤ 11) — {}", verdict(ratio <= 11.0));
        }
    }
}

/// The card's plan and answers for `n` items.
fn make_card(root: &Path, dir: &Path, n: usize) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("回答")).unwrap();
    let sample = root.join("samples/報告回答票");
    let mut plan = kaito::plan::load(&sample.join("計画.xlsx")).unwrap().plan;
    let mut sources: Vec<(PathBuf, String)> = std::fs::read_dir(sample.join("回答"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().to_string();
            // The real answers only: no lock file, copy, old file or unnamed file.
            let code = name.get(..7)?.to_string();
            (name.ends_with(".xlsx") && !name.contains("コピー") && !name.contains("前回") && plan.project(&code).is_some())
                .then_some((p, code))
        })
        .collect();
    sources.sort();
    let bytes: Vec<Vec<u8>> = sources.iter().map(|(p, _)| std::fs::read(p).unwrap()).collect();
    let originals = plan.projects.clone();
    plan.projects.clear();
    plan.index = Default::default();
    for i in 0..n {
        let code = &sources[i % sources.len()].1;
        let mut p = originals.iter().find(|p| &p.code == code).unwrap().clone();
        p.code = format!("{}-{:06}", &code[..4], i);
        plan.projects.push(p);
    }
    (0..n).into_par_iter().for_each(|i| {
        let code = &sources[i % sources.len()].1;
        let new = &plan.projects[i].code;
        let patched = kaito::xlsx::rewrite_parts(&bytes[i % sources.len()], &|name, xml| {
            (name == "xl/sharedStrings.xml").then(|| xml.replace(&format!("<t>{code}</t>"), &format!("<t>{new}</t>")))
        })
        .unwrap();
        let sub = dir.join("回答").join(format!("課{:04}", i / 100));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("{new}.xlsx")), patched).unwrap();
    });
    kaito::plan::write_workbook(&plan, &dir.join("計画.xlsx")).unwrap();
    std::fs::write(dir.join("done"), b"").unwrap();
}

/// The progress table's plan and answers for `n` departments of three items each.
fn make_table(root: &Path, dir: &Path, n: usize) {
    use kaito::plan::{Node, Plan, Project};
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("回答")).unwrap();
    let source: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("samples/進捗管理表/source/items.json")).unwrap()).unwrap();
    let items = source["items"].as_array().unwrap();
    let text = |i: usize, key: &str| items[i % items.len()][key].as_str().unwrap_or("").to_string();
    let form = kaito::form::FormDef::bundled("進捗管理表").unwrap();
    let mut plan = Plan {
        name: "行政改革取組項目".into(),
        start_year: 2020,
        end_year: 2021,
        vocabulary: form.vocabularies["進捗区分"].clone(),
        needs_countermeasure: form.vocabularies["要対応区分"].clone(),
        form: form.name.clone(),
        cadence: kaito::period::Cadence::Year,
        levels: ["大項目", "中項目", "小項目"].iter().map(|s| s.to_string()).collect(),
        nodes: vec![Node { number: "I".into(), name: "行政改革の推進".into(), level: 0, parent: None, code_prefix: None }],
        ..Default::default()
    };
    // Hundred departments to a 中項目, one 小項目 (three items) to a department.
    for d in 0..n {
        let middle = format!("I {}", d / 100 + 1);
        if d % 100 == 0 {
            plan.nodes.push(Node {
                number: middle.clone(),
                name: text(d, "group_name"),
                level: 1,
                parent: Some("I".into()),
                code_prefix: None,
            });
        }
        let group = format!("{middle} ({})", d % 100 + 1);
        plan.nodes.push(Node { number: group.clone(), name: text(d * 3, "group_name"), level: 2, parent: Some(middle), code_prefix: None });
        for (k, marker) in ["①", "②", "③"].iter().enumerate() {
            let i = d * 3 + k;
            let mut attrs = BTreeMap::<std::sync::Arc<str>, std::sync::Arc<str>>::new();
            attrs.insert("内容、進め方".into(), text(i, "content").into());
            attrs.insert("計画概要".into(), text(i, "plan").into());
            plan.projects.push(Project {
                code: format!("{group} {marker}"),
                name: text(i, "name"),
                departments: vec![format!("課{d:06}")],
                node: Some(group.clone()),
                attrs: attrs.into(),
                ..Default::default()
            });
        }
    }
    kaito::plan::write_workbook(&plan, &dir.join("計画.xlsx")).unwrap();
    let period = kaito::period::Period::year(2020);
    (0..n).into_par_iter().for_each(|d| {
        let mine: Vec<&Project> = plan.projects[d * 3..d * 3 + 3].iter().collect();
        // The filler: what the department typed into the template's open columns.
        let values = |p: &Project, f: &kaito::form::FieldDef| -> String {
            let k = plan.projects[d * 3..].iter().position(|q| q.code == p.code).unwrap_or(0);
            match f.key.as_str() {
                "done" | "problems" | "next" | "status" => text(d * 3 + k, &f.key),
                _ => String::new(),
            }
        };
        let opts = kaito::table::render::TableOptions { template: true, shade_inputs: true, ..Default::default() };
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet().set_name(&form.name).unwrap();
        kaito::table::render::draw_table(ws, &plan, &form, period, &mine, &values, &opts).unwrap();
        let sub = dir.join("回答").join(format!("部{:04}", d / 100));
        std::fs::create_dir_all(&sub).unwrap();
        wb.save(sub.join(format!("進捗管理表_R2_課{d:06}.xlsx"))).unwrap();
    });
    std::fs::write(dir.join("done"), b"").unwrap();
}

/// Runs `program` in `dir`: seconds taken and peak resident memory (KiB), read from /proc while
/// it runs.
fn run(dir: &Path, program: &Path, args: &[&str]) -> (f64, u64) {
    let started = Instant::now();
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(kb) = text.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        {
            peak = kb;
        }
        if let Some(exit) = child.try_wait().unwrap() {
            // check exits 1 when it finds errors (the sample answers have some); worse is a failure.
            assert!(exit.code().is_some_and(|c| c <= 1), "{} {args:?} in {}: {exit}", program.display(), dir.display());
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    (started.elapsed().as_secs_f64(), peak)
}
