//! `cargo bench`: how fast kaito reads, checks and consolidates a large intake.
//!
//! Copies the sample answers until there are N files (each copy a real workbook), then times
//! reading them all (in parallel) and the whole consolidation, and reports files per second.
//! Set KAITO_BENCH_FILES to change N (default 1,000).

use kaito::grid::Limits;
use kaito::layout::Layout;
use std::time::Instant;

fn main() {
    let n: usize = std::env::var("KAITO_BENCH_FILES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/報告回答票");
    let sources: Vec<_> = std::fs::read_dir(root.join("回答"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xlsx") && !p.file_name().unwrap().to_string_lossy().starts_with("~$"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        let src = &sources[i % sources.len()];
        let sub = dir.path().join(format!("課{:03}", i / sources.len()));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::copy(src, sub.join(src.file_name().unwrap())).unwrap();
    }
    let layout = Layout::bundled();
    let files = kaito::intake::discover(&[dir.path().to_path_buf()]).unwrap();
    let started = Instant::now();
    let read = kaito::intake::read_all(&files, &layout, &Limits::default());
    let read_time = started.elapsed();
    let plan = kaito::plan::load(&root.join("計画.xlsx")).unwrap();
    let started = Instant::now();
    let (period, note, read) = kaito::consolidate::check_files(
        kaito::period::Period::parse("2021H1"),
        read,
        &plan.plan,
        layout.hints(),
        kaito::consolidate::Keep::Sheets,
    )
    .unwrap();
    let c = kaito::consolidate::run(plan, "計画.xlsx", period, note, read).unwrap();
    let links = kaito::write::Links::Packet("集計.xlsx".into());
    let volumes =
        kaito::write::Volumes { per_book: kaito::write::Volumes::DEFAULT_PER_BOOK, stem: "集計".into(), link_dir: String::new() };
    let mut books = kaito::write::consolidated_workbook(&c, &layout, &links, &volumes).unwrap();
    kaito::write::save_atomic(&mut books.packet, &dir.path().join("集計.xlsx")).unwrap();
    if let Some(office) = books.office.as_mut() {
        kaito::write::save_atomic(office, &dir.path().join("集計_事務用.xlsx")).unwrap();
    }
    let rest = started.elapsed();
    println!(
        "{n} files on {} threads: read+parse {:.2} s ({:.0} files/s); check+consolidate+write {:.2} s; {} findings",
        rayon::current_num_threads(),
        read_time.as_secs_f64(),
        n as f64 / read_time.as_secs_f64(),
        rest.as_secs_f64(),
        c.findings.len()
    );
}
