//! `cargo bench --bench scale`: kaito at the scale of many different projects.
//!
//! Makes a plan of N projects and N returned response sheets, one per project (each a sample
//! answer with its code changed, so the 28 real sheets give the variety), cached under
//! `target/bench-cache/` between runs; then runs the real executable — `check`,
//! `consolidate` and `template` — and prints seconds, files per second and the peak memory of each run.
//! KAITO_BENCH_SCALE sets the sizes (default `30,1000`; for example `30,1000,10000`);
//! KAITO_BENCH_RUNS how many runs each time is the median of (default 3).
//!
//! Beside each it times two floors on the same files, in this process: the *floor* (calamine
//! reads every file's first sheet, in parallel, one summary per file — the least any checker
//! must do) and the *packet floor* (the floor, then every file's cells written back, one sheet
//! per file, into one workbook — the least a packet that re-draws every sheet must do), and
//! prints kaito's time as a multiple of the floor.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn main() {
    let sizes: Vec<usize> =
        std::env::var("KAITO_BENCH_SCALE").unwrap_or_else(|_| "30,1000".into()).split(',').filter_map(|s| s.trim().parse().ok()).collect();
    let runs: usize = std::env::var("KAITO_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    println!("medians of {runs} runs");
    println!("{:>7} {:>12} {:>9} {:>11} {:>10} {:>9}", "files", "command", "seconds", "files/s", "peak MiB", "× floor");
    for n in sizes {
        let dir = root.join(format!("target/bench-cache/scale-{n}"));
        if !dir.join("done").is_file() {
            make(root, &dir, n);
        }
        let mut cells = 0;
        let floor_secs = median(runs, || {
            let started = Instant::now();
            cells = floor(&dir.join("回答"), false);
            started.elapsed().as_secs_f64()
        });
        println!("{n:>7} {:>12} {floor_secs:>9.2} {:>11.0} {:>10} {:>9}", "floor", n as f64 / floor_secs, "", "");
        let packet_floor_secs = median(runs, || {
            let started = Instant::now();
            floor(&dir.join("回答"), true);
            started.elapsed().as_secs_f64()
        });
        println!("{n:>7} {:>12} {packet_floor_secs:>9.2} {:>11.0} {:>10} {:>9}", "packet floor", n as f64 / packet_floor_secs, "", "");
        assert!(cells > 0);
        for (what, args, base) in [
            ("check", vec!["check", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--quiet"], floor_secs),
            (
                "consolidate",
                vec!["consolidate", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--output", "集計.xlsx", "--quiet"],
                packet_floor_secs,
            ),
            // The sheets to send out for the next half: one workbook per item, like the packet.
            ("template", vec!["template", "--plan", "計画.xlsx", "--period", "2021H2", "--output", "送付"], packet_floor_secs),
        ] {
            let mut peak = 0;
            let secs = median(runs, || {
                let _ = std::fs::remove_dir_all(dir.join("送付"));
                let (secs, p) = run(&dir, &args);
                peak = peak.max(p);
                secs
            });
            println!("{n:>7} {what:>12} {secs:>9.2} {:>11.0} {:>10.1} {:>9.1}", n as f64 / secs, peak as f64 / 1024.0, secs / base);
        }
    }
}

/// The median of `runs` timings (the machine's other work makes single runs vary widely).
fn median(runs: usize, mut time: impl FnMut() -> f64) -> f64 {
    let mut t: Vec<f64> = (0..runs.max(1)).map(|_| time()).collect();
    t.sort_by(|a, b| a.total_cmp(b));
    t[t.len() / 2]
}

/// The plan and the answers for `n` projects.
fn make(root: &Path, dir: &Path, n: usize) {
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
    let originals = plan.projects.clone();
    plan.projects.clear();
    plan.code_index = Default::default();
    for i in 0..n {
        let (src, code) = &sources[i % sources.len()];
        let mut p = originals.iter().find(|p| &p.code == code).unwrap().clone();
        let new = format!("{}-{:05}", &code[..4], i);
        p.code = new.clone();
        plan.projects.push(p);
        let bytes = std::fs::read(src).unwrap();
        let patched = kaito::xlsx::rewrite_parts(&bytes, &|name, xml| {
            (name == "xl/sharedStrings.xml").then(|| xml.replace(&format!("<t>{code}</t>"), &format!("<t>{new}</t>")))
        })
        .unwrap();
        let sub = dir.join("回答").join(format!("課{:03}", i / 100));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("{new}.xlsx")), patched).unwrap();
    }
    kaito::plan::write_workbook(&plan, &dir.join("計画.xlsx")).unwrap();
    std::fs::write(dir.join("done"), b"").unwrap();
}

/// The floor: every file's first sheet read with calamine in parallel, its non-empty cells
/// counted; with `packet`, every file's cells are also written back, one sheet per file.
fn floor(dir: &Path, packet: bool) -> usize {
    use calamine::Reader;
    use rayon::prelude::*;
    let mut files: Vec<PathBuf> = Vec::new();
    for sub in std::fs::read_dir(dir).unwrap() {
        for f in std::fs::read_dir(sub.unwrap().path()).unwrap() {
            files.push(f.unwrap().path());
        }
    }
    files.sort();
    let read: Vec<Vec<(u32, u32, String)>> = files
        .par_iter()
        .map(|p| {
            let mut wb = calamine::open_workbook_auto(p).unwrap();
            let name = wb.sheet_names()[0].clone();
            let range = wb.worksheet_range(&name).unwrap();
            range.used_cells().map(|(r, c, v)| (r as u32, c as u32, v.to_string())).collect()
        })
        .collect();
    let cells = read.iter().map(Vec::len).sum();
    if packet {
        let mut wb = rust_xlsxwriter::Workbook::new();
        for (i, sheet) in read.iter().enumerate() {
            let ws = wb.add_worksheet().set_name(format!("s{i}")).unwrap();
            for (r, c, v) in sheet {
                ws.write_string(*r, *c as u16, v).unwrap();
            }
        }
        let bytes = wb.save_to_buffer().unwrap();
        std::fs::write(dir.parent().unwrap().join("floor.xlsx"), bytes).unwrap();
    }
    cells
}

/// Runs kaito in `dir`: seconds taken and peak resident memory (KiB), read from /proc while it
/// runs.
fn run(dir: &Path, args: &[&str]) -> (f64, u64) {
    let started = Instant::now();
    let mut child =
        Command::new(env!("CARGO_BIN_EXE_kaito")).args(args).current_dir(dir).stdout(std::process::Stdio::null()).spawn().unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(kb) = text.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        {
            peak = kb;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (started.elapsed().as_secs_f64(), peak)
}
