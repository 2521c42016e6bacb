//! The commands, as library functions: each one a thin sequence over the pipeline stages
//! (plan → intake/read → validate → consolidate → write/report). Every output is checked
//! against the inputs before any work is done, and written atomically.

use crate::card::{self, check::CardRun};
use crate::consolidate::{self, Consolidation, Keep};
use crate::corrections;
use crate::form::{FormDef, Shape};
use crate::fsutil;
use crate::grid::Limits;
use crate::intake::{self, Found};
use crate::layout::Layout;
use crate::packet::Volume;
use crate::period::Period;
use crate::plan::{self, LoadedPlan};
use crate::table::{self, check::TableRun};
use crate::write;
use anyhow::{Result, bail};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// The stack of every thread kaito starts itself (the cores' pool, the plan's and the files'
/// threads): the size a thread gets unless told otherwise. The command line gives the threads
/// libraries start on their own a smaller one (see `main.rs`), so this is said outright.
pub const WORK_STACK: usize = 2 << 20;

/// What `check`, `consolidate` and `feedback` share.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub plan: PathBuf,
    pub period: Option<Period>,
    pub inputs: Vec<PathBuf>,
    /// Where to write the JSON summary, if anywhere.
    pub json: Option<PathBuf>,
    /// Earlier returned sheets: values of earlier years that changed since are reported.
    pub previous: Vec<PathBuf>,
    pub layout: Option<PathBuf>,
    pub limits: Limits,
    /// The office's corrections workbook (訂正簿), applied to the values read before checking.
    pub corrections: Option<PathBuf>,
}

pub fn layout(path: Option<&PathBuf>) -> Result<Layout> {
    match path {
        Some(p) => Layout::load(p),
        None => Ok(Layout::bundled()),
    }
}

/// Refuses, before anything is read or written, an output that would replace an input: the
/// plan, a file found under the inputs, or another output of the same run. `outputs` pairs
/// the option's name (for the message) with the path it names.
pub fn guard_outputs(plan: &Path, inputs: &[PathBuf], found: &[Found], outputs: &[(&str, &Path)]) -> Result<()> {
    // Nothing to write, nothing to guard: resolving every input's real path is a system call
    // per folder of the path, for each of thousands of files.
    if outputs.is_empty() {
        return Ok(());
    }
    let plan_id = fsutil::identity(plan);
    let mut input_ids: HashSet<PathBuf> = found.iter().map(|f| fsutil::identity(&f.path)).collect();
    input_ids.extend(inputs.iter().filter(|p| p.is_file()).map(|p| fsutil::identity(p)));
    for (i, (flag, path)) in outputs.iter().enumerate() {
        let id = fsutil::identity(path);
        if id == plan_id {
            bail!("{flag} の出力先 {} は計画ファイルです。計画を上書きしないよう、別の名前を指定してください", path.display());
        }
        // kaito's own packet or dispatch list lying among the inputs is not an answer: a new
        // one may replace it. Anything else found there is somebody's file.
        let own = || crate::grid::made_by_of_file(path).is_some_and(|m| intake::own_output_reason(&m).is_some());
        if input_ids.contains(&id) && !own() {
            bail!(
                "{flag} の出力先 {} は読み込むファイルの1つです。各課のファイルを上書きしないよう、別の名前か回答フォルダの外を指定してください",
                path.display()
            );
        }
        if path.is_dir() {
            bail!("{flag} の出力先 {} はフォルダです。ファイル名まで指定してください(例: 集計.xlsx)", path.display());
        }
        for (other_flag, other) in &outputs[..i] {
            if fsutil::identity(other) == id {
                bail!("{other_flag} と {flag} に同じファイル {} が指定されています。別々の名前を指定してください", path.display());
            }
        }
    }
    Ok(())
}

/// The plan and the form it names. The plan is a plan workbook (or its TOML/JSON form), or
/// the office's own master table in a bundled table form's layout.
pub fn load_plan(path: &Path) -> Result<(LoadedPlan, FormDef)> {
    load_plan_for(path, plan::Texts::All)
}

/// [`load_plan`] keeping the item texts `texts` says (a plan workbook's; a master table's or
/// a TOML or JSON plan's are kept whole).
pub fn load_plan_for(path: &Path, texts: plan::Texts) -> Result<(LoadedPlan, FormDef)> {
    with_plan(path, texts, || Ok(()), |_, _, ()| Ok(())).map(|(loaded, form, (), ())| (loaded, form))
}

/// [`load_plan_for`], the plan workbook's items read on a thread of their own while
/// `meanwhile` runs here, given the form the plan names and a flag that stays set while the
/// plan is being read: the files can be read then (see [`intake::read_ahead`]), where they
/// would otherwise wait for the plan. A master table or a TOML or JSON plan is read first,
/// and `meanwhile` run after with the flag down. `find` (the run's files) runs on a thread of
/// its own while the plan workbook is opened, and what it gives goes to `meanwhile`; its
/// error is said before any about the plan, as when the files were found first.
fn with_plan<F: Send, R>(
    path: &Path,
    texts: plan::Texts,
    find: impl FnOnce() -> Result<F> + Send,
    meanwhile: impl FnOnce(&FormDef, &AtomicBool, &F) -> Result<R>,
) -> Result<(LoadedPlan, FormDef, F, R)> {
    let shown = path.display().to_string();
    let dir = path.parent().unwrap_or(Path::new("."));
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase();
    let bytes = if path.is_file() && !matches!(ext.as_str(), "toml" | "json") { Some(std::fs::read(path)) } else { None };
    // Finding 100,000 files and opening a plan of 300,000 items (its guard inflates every
    // sheet) took a third and a quarter of a second, one after the other on one core.
    let mut opened = None;
    let found = std::thread::scope(|s| {
        let finding = std::thread::Builder::new().stack_size(WORK_STACK).spawn_scoped(s, find).expect("start a thread");
        if let Some(Ok(b)) = &bytes {
            opened = Some(plan::open_book(b, &shown));
        }
        finding.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    });
    let found = found?;
    if let Some(Err(e)) = &bytes {
        bail!("計画ファイル {shown} を開けません({})", fsutil::io_reason(e));
    }
    let mut book = opened.transpose()?;
    // Either the plan is read whole first, or only the form it names is.
    enum First {
        Read(Box<(LoadedPlan, FormDef)>),
        Named(String),
    }
    let first = 'first: {
        let Some(book) = book.as_mut() else {
            let loaded = plan::load(path)?;
            let form = FormDef::resolve(&loaded.plan.form, dir)?;
            break 'first First::Read(Box::new((loaded, form)));
        };
        if !book.names().iter().any(|n| crate::normalize::fold(n) == "計画") {
            let sheets = plan::all_sheets(book, &shown)?;
            for (file, _) in crate::form::BUNDLED {
                let Some(form) = FormDef::bundled(file.trim_end_matches(".toml")).filter(|f| f.shape == Shape::Table) else { continue };
                if let Some((plan, mut findings)) = table::plan_from_master(sheets, &form, &shown) {
                    let plan = plan::finish(plan, &shown, &mut findings)?;
                    break 'first First::Read(Box::new((LoadedPlan { plan, findings }, form)));
                }
            }
        }
        // The form is named on the plan's first sheet: known before its items are read.
        match plan::form_of(book, &shown)? {
            Some(name) => First::Named(name),
            None => {
                // Reading the plan says what is wrong with the workbook.
                let loaded = plan::load_book_for(book, &shown, texts)?;
                let form = FormDef::resolve(&loaded.plan.form, dir)?;
                First::Read(Box::new((loaded, form)))
            }
        }
    };
    let name = match first {
        First::Read(read) => {
            let (loaded, form) = *read;
            let r = meanwhile(&form, &AtomicBool::new(false), &found)?;
            return Ok((loaded, form, found, r));
        }
        First::Named(name) => name,
    };
    let Some(mut book) = book else { unreachable!("only a plan workbook names its form first") };
    let form = FormDef::resolve(&name, dir)?;
    let reading = AtomicBool::new(true);
    let (loaded, r) = std::thread::scope(|s| {
        let plan_thread = std::thread::Builder::new()
            .stack_size(WORK_STACK)
            .spawn_scoped(s, || {
                let loaded = plan::load_book_for(&mut book, &shown, texts);
                reading.store(false, Ordering::Relaxed);
                loaded
            })
            .expect("start a thread");
        let r = meanwhile(&form, &reading, &found);
        (plan_thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)), r)
    });
    let mut loaded = loaded?;
    // The workbook (its bytes, and the texts it shares among cells) is let go before the
    // plan's values are made again, not held with both copies of them.
    drop(book);
    drop(bytes);
    loaded.plan.reallocate();
    debug_assert_eq!(loaded.plan.form, name, "the form read ahead is the plan's");
    Ok((loaded, form, found, r?))
}

/// The result of a run, in the shape of the plan's form.
#[derive(Debug, Clone)]
pub enum Run {
    Card(Box<Consolidation>),
    Table(Box<TableRun>),
    /// A card defined by its fields' blocks (取組評価シート…).
    FieldCard(Box<CardRun>),
}

impl Run {
    pub fn errors(&self) -> usize {
        match self {
            Run::Card(c) => c.errors(),
            Run::Table(t) => t.errors(),
            Run::FieldCard(c) => c.errors(),
        }
    }
    pub fn plan(&self) -> &crate::plan::Plan {
        match self {
            Run::Card(c) => &c.plan,
            Run::Table(t) => &t.plan,
            Run::FieldCard(c) => &c.plan,
        }
    }
    /// Findings found outside the engines (corrections), added to the run's.
    pub fn add_findings(&mut self, more: Vec<crate::finding::Finding>) {
        let list = match self {
            Run::Card(c) => &mut c.findings,
            Run::Table(t) => &mut t.findings,
            Run::FieldCard(c) => &mut c.findings,
        };
        list.extend(more);
    }
    pub fn period_note(&self) -> &str {
        match self {
            Run::Card(c) => &c.period_note,
            Run::Table(t) => &t.period_note,
            Run::FieldCard(c) => &c.period_note,
        }
    }
    pub fn period(&self) -> Period {
        match self {
            Run::Card(c) => c.period,
            Run::Table(t) => t.period,
            Run::FieldCard(c) => c.period,
        }
    }
    pub fn findings(&self) -> &[crate::finding::Finding] {
        match self {
            Run::Card(c) => &c.findings,
            Run::Table(t) => &t.findings,
            Run::FieldCard(c) => &c.findings,
        }
    }
    /// The items nothing usable came back for.
    pub fn missing(&self) -> &[consolidate::Missing] {
        match self {
            Run::Card(c) => &c.missing,
            Run::Table(t) => &t.missing,
            Run::FieldCard(c) => &c.missing,
        }
    }
    /// Every file read, with what became of it.
    pub fn files(&self) -> &[intake::FileRecord] {
        match self {
            Run::Card(c) => &c.files,
            Run::Table(t) => &t.files,
            Run::FieldCard(c) => &c.files,
        }
    }
}

/// What a run read and found, and what became of the office's corrections.
pub struct Checked {
    pub run: Run,
    pub layout: Layout,
    pub corrections: Vec<corrections::Outcome>,
}

/// The files [`read_ahead`] read while the plan was, in the shape of the plan's form.
enum Ahead {
    /// The response card, read with its layout.
    Card(intake::ReadAhead<crate::read::ResponseSheet>, Box<Layout>),
    Table(intake::ReadAhead<table::TableSheet>),
    FieldCard(intake::ReadAhead<card::CardSheet>),
}

/// Reads files while `reading` says the plan still is (within [`intake::READ_AHEAD_BYTES`]),
/// in the shape of its `form`.
fn read_ahead(opts: &CheckOptions, form: &FormDef, files: &[Found], reading: &AtomicBool) -> Result<Ahead> {
    let budget = intake::READ_AHEAD_BYTES;
    Ok(match form.shape {
        Shape::Card if form.is_field_card() => {
            let ahead = intake::read_ahead(files, &opts.limits, &field_card_extract(form), &field_card_none_found(form), reading, budget);
            Ahead::FieldCard(ahead)
        }
        Shape::Card => {
            // A --layout file overrides the card's labels; else the form's own.
            let layout = match &opts.layout {
                Some(p) => Layout::load(p)?,
                None => Layout::from_form(form)?,
            };
            let extract = |g: &crate::grid::Grid| crate::read::response_sheet(g, &layout).into_iter().collect::<Vec<_>>();
            let ahead = intake::read_ahead(files, &opts.limits, &extract, &intake::card_none_found(&layout), reading, budget);
            Ahead::Card(ahead, Box::new(layout))
        }
        Shape::Table => {
            let budget = budget * intake::TABLE_READ_AHEAD_FACTOR;
            Ahead::Table(intake::read_ahead(files, &opts.limits, &table_extract(form), &table_none_found(form), reading, budget))
        }
    })
}

/// The sheets of a workbook in a field card's shape (取組評価シート…).
fn field_card_extract(form: &FormDef) -> impl Fn(&crate::grid::Grid) -> Vec<card::CardSheet> + Sync + '_ {
    move |g| card::read_sheet(g, form).into_iter().collect()
}

fn field_card_none_found(form: &FormDef) -> String {
    format!(
        "{}が見つかりません(「{}」のラベルがある表示中のシートがありません)。送付したシートに記入して送ってください",
        form.name,
        form.field_of(crate::form::Kind::Code).map(|f| f.labels[0].as_str()).unwrap_or("")
    )
}

/// The tables of a workbook in a table form's shape (進捗管理表…).
fn table_extract(form: &FormDef) -> impl Fn(&crate::grid::Grid) -> Vec<table::TableSheet> + Sync + '_ {
    move |g| table::read_sheet(g, form).into_iter().collect()
}

fn table_none_found(form: &FormDef) -> String {
    format!(
        "{}の表が見つかりません(「{}」などの見出しのある表示中のシートがありません)。送付した表に記入して送ってください",
        form.name,
        form.fields.iter().take(3).map(|f| f.labels[0].as_str()).collect::<Vec<_>>().join("」「")
    )
}

/// Reads the plan and every input, checks every sheet: the whole job but writing.
/// `outputs` are checked against the inputs first.
fn run_check(opts: &CheckOptions, outputs: &[(&str, &Path)], keep: Keep) -> Result<Checked> {
    // What only a drawing prints is not read for a run that draws nothing.
    let texts = if keep == Keep::Counts { plan::Texts::ForChecking } else { plan::Texts::All };
    // The files are found while the plan is opened, read while it is read, up to a bound, and
    // checked once it is read. No file is read before the outputs are known not to be inputs.
    let find = || {
        let files = intake::discover(&opts.inputs)?;
        guard_outputs(&opts.plan, &opts.inputs, &files, outputs)?;
        Ok(files)
    };
    let (mut loaded, form, files, ahead) =
        with_plan(&opts.plan, texts, find, |form, reading, files| read_ahead(opts, form, files, reading))?;
    let (list, mut extra) = match &opts.corrections {
        Some(p) => corrections::load(p)?,
        None => (Vec::new(), Vec::new()),
    };
    // Corrections change the values read, once, before any check sees them.
    let mut outcomes = Vec::new();
    let mut correct = |o: Vec<corrections::Outcome>, f: Vec<crate::finding::Finding>| {
        outcomes = o;
        extra.extend(f);
    };
    let (mut run, layout) = match ahead {
        Ahead::FieldCard(ahead) => {
            let (extract, none_found) = (field_card_extract(&form), field_card_none_found(&form));
            let mut read = intake::read_rest(&files, ahead, &opts.limits, &extract, &none_found);
            let (o, f) = corrections::apply(&mut read, &list, opts.period);
            correct(o, f);
            let previous = if opts.previous.is_empty() {
                vec![]
            } else {
                intake::read_all_as(&intake::discover(&opts.previous)?, &opts.limits, &extract, &none_found)
            };
            let c = card::check::run(
                loaded.plan,
                form.clone(),
                &opts.plan.display().to_string(),
                opts.period,
                read,
                previous,
                loaded.findings,
            )?;
            (Run::FieldCard(Box::new(c)), Layout::bundled())
        }
        Ahead::Card(ahead, layout) => {
            let layout = *layout;
            let extract = |g: &crate::grid::Grid| crate::read::response_sheet(g, &layout).into_iter().collect::<Vec<_>>();
            let none_found = intake::card_none_found(&layout);
            let (period, note, read) = match opts.period {
                // The period known, each file is corrected and checked as it is read, and
                // only what the run counts and reports is held (with `Keep::Counts`).
                Some(period) => {
                    loaded.plan.check_period(period)?;
                    let ctx = crate::validate::Context { plan: &loaded.plan, period, hints: layout.hints() };
                    let (mut read, mut fates) = (Vec::with_capacity(files.len()), Vec::with_capacity(files.len()));
                    let check = |mut f| {
                        let fates = corrections::apply_to(&mut f, &list, Some(period));
                        (consolidate::check_file(f, &ctx, keep), fates)
                    };
                    intake::read_rest_each(&files, ahead, &opts.limits, &extract, &none_found, &check, &mut |(checked, f)| {
                        read.push(checked);
                        fates.push(f);
                    });
                    let (o, f) = corrections::settle(&list, Some(period), fates);
                    correct(o, f);
                    let (period, note) = consolidate::vote_period(Some(period), [], "回答票", "2021H1")?;
                    (period, note, read)
                }
                // Else every sheet is read first, to learn the period from them.
                None => {
                    let mut read = intake::read_rest(&files, ahead, &opts.limits, &extract, &none_found);
                    let fates = read.iter_mut().map(|f| corrections::apply_to(f, &list, None)).collect();
                    let (period, note, read) = consolidate::check_files(None, read, &loaded.plan, layout.hints(), keep)?;
                    // A correction of another period than the one chosen is set aside, as
                    // when the period is given.
                    let (o, f) = corrections::settle(&list, Some(period), fates);
                    correct(o, f);
                    (period, note, read)
                }
            };
            // The ledger has every file now: the list found on disk can go before the run is
            // settled (at 100,000 files it is some 15 MB).
            drop(files);
            let c = consolidate::run(loaded, &opts.plan.display().to_string(), period, note, read)?;
            (Run::Card(Box::new(c)), layout)
        }
        Ahead::Table(ahead) => {
            let (extract, none_found) = (table_extract(&form), table_none_found(&form));
            // The JSON summary of a table lists each answer's values: a check writing it keeps
            // the rows' cells.
            let keep_rows = if opts.json.is_some() { Keep::Sheets } else { keep };
            let (period, note, gathered) = match opts.period {
                // As the response card's: each file corrected and checked as it is read.
                Some(period) => {
                    loaded.plan.check_period(period)?;
                    let checker = table::check::Checker::new(&loaded.plan, &form, period, keep_rows);
                    let mut fates = Vec::with_capacity(files.len());
                    // Each file's rows and findings go into the run's lists as it is checked.
                    let mut gathered = table::check::Gathered::new(std::mem::take(&mut loaded.findings), files.len(), &loaded.plan);
                    let check = |mut f| {
                        let fates = corrections::apply_to(&mut f, &list, Some(period));
                        (checker.check_file(f), fates)
                    };
                    intake::read_rest_each(&files, ahead, &opts.limits, &extract, &none_found, &check, &mut |(checked, f)| {
                        gathered.push(checked);
                        fates.push(f);
                    });
                    drop(checker);
                    let (o, f) = corrections::settle(&list, Some(period), fates);
                    correct(o, f);
                    let (period, note) = consolidate::vote_period(Some(period), [], "表", "2020")?;
                    (period, note, gathered)
                }
                None => {
                    let mut read = intake::read_rest(&files, ahead, &opts.limits, &extract, &none_found);
                    let fates = read.iter_mut().map(|f| corrections::apply_to(f, &list, None)).collect();
                    let (period, note, checked) = table::check::check_files(None, read, &loaded.plan, &form, keep_rows)?;
                    let mut gathered = table::check::Gathered::new(std::mem::take(&mut loaded.findings), files.len(), &loaded.plan);
                    checked.into_iter().for_each(|c| gathered.push(c));
                    let (o, f) = corrections::settle(&list, Some(period), fates);
                    correct(o, f);
                    (period, note, gathered)
                }
            };
            drop(files);
            let t = table::check::run(loaded.plan, form.clone(), &opts.plan.display().to_string(), period, note, gathered)?;
            (Run::Table(Box::new(t)), Layout::bundled())
        }
    };
    run.add_findings(extra);
    Ok(Checked { run, layout, corrections: outcomes })
}

/// Writes the run's JSON summary to `out` as it is made, never whole in memory.
fn write_json(run: &Run, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let summary = match run {
        Run::Card(c) => crate::report::json_summary(c),
        Run::Table(t) => crate::report::json_table(t),
        Run::FieldCard(c) => crate::report::json_card(c),
    };
    serde_json::to_writer_pretty(out, &summary).map_err(std::io::Error::from)
}

/// `kaito check`: findings only, and the JSON summary when asked for.
pub fn check(opts: &CheckOptions) -> Result<Run> {
    let json = opts.json.as_deref().map(|p| ("--json", p));
    let Checked { run, .. } = run_check(opts, json.as_slice(), Keep::Counts)?;
    if let Some(path) = &opts.json {
        let write = |out: &mut dyn std::io::Write| write_json(&run, out);
        fsutil::write_outputs_with(&[(path, fsutil::Content::Written(&write))])?;
    }
    Ok(run)
}

/// Where `consolidate` puts the office's working sheets: a workbook of their own (the
/// default, beside the packet) or the packet's own workbook.
#[derive(Debug, Clone)]
pub enum OfficeOutput {
    Beside,
    File(PathBuf),
    Same,
}

impl OfficeOutput {
    /// `same`, a path, or nothing.
    pub fn parse(text: Option<&str>) -> OfficeOutput {
        match text {
            None => OfficeOutput::Beside,
            Some(t) if t == "same" || t == "同じ" => OfficeOutput::Same,
            Some(t) => OfficeOutput::File(PathBuf::from(t)),
        }
    }

    /// The office workbook's path for a packet written to `output`.
    pub fn path(&self, output: &Path) -> Option<PathBuf> {
        match self {
            OfficeOutput::Same => None,
            OfficeOutput::File(p) => Some(p.clone()),
            OfficeOutput::Beside => {
                let stem = output.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "集計".into());
                Some(output.with_file_name(format!("{stem}_事務用.xlsx")))
            }
        }
    }
}

/// How the office workbook at `office` reaches the packet at `output`: by file name when both
/// are in one folder (the pair can be moved together), else by the packet's full path.
fn links(output: &Path, office: Option<&Path>) -> write::Links {
    match office {
        None => write::Links::Same,
        Some(o) => {
            let same_dir = |p: &Path| p.parent().map(|d| d.canonicalize().unwrap_or_else(|_| d.to_path_buf()));
            let name = output.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            if same_dir(o) == same_dir(output) {
                write::Links::Packet(name)
            } else {
                let full = std::path::absolute(output).unwrap_or_else(|_| output.to_path_buf());
                write::Links::Packet(full.display().to_string())
            }
        }
    }
}

/// What `consolidate` wrote besides the packet.
pub struct Written {
    pub office: Option<PathBuf>,
    /// Further volumes of the packet (`集計_分冊02.xlsx` …), in order.
    pub volumes: Vec<PathBuf>,
}

/// `kaito consolidate`: `check`, then the council's packet and the office workbook (written
/// even when there are errors) and the JSON summary, all or none.
pub fn consolidate(opts: &CheckOptions, output: &Path, office: &OfficeOutput, per_book: usize) -> Result<(Run, Written)> {
    let office_path = packet_outputs(output, office)?;
    let mut outputs = vec![("--output", output)];
    if let Some(o) = &office_path {
        outputs.push(("--office", o));
    }
    if let Some(json) = &opts.json {
        outputs.push(("--json", json));
    }
    let checked = run_check(opts, &outputs, Keep::Sheets)?;
    let written = write_packet(opts, &checked, output, office_path, per_book, true)?;
    Ok((checked.run, written))
}

/// Where the office workbook goes for a packet written to `output`, refused when it is the
/// packet itself.
fn packet_outputs(output: &Path, office: &OfficeOutput) -> Result<Option<PathBuf>> {
    let office_path = office.path(output);
    if office_path.as_deref() == Some(output) {
        bail!("--office の出力先が --output と同じです({})。別のファイル名にするか、--office same を指定してください", output.display());
    }
    Ok(office_path)
}

/// The packet, its volumes, the office workbook and (with `with_json`) the JSON summary of a
/// checked run, written all or none.
fn write_packet(
    opts: &CheckOptions,
    checked: &Checked,
    output: &Path,
    office_path: Option<PathBuf>,
    per_book: usize,
    with_json: bool,
) -> Result<Written> {
    let Checked { run, layout, corrections } = checked;
    let links = links(output, office_path.as_deref());
    // Volumes go beside the packet; the office workbook reaches them as it reaches the packet.
    let volumes = write::Volumes {
        per_book,
        stem: output.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "集計".into()),
        link_dir: match &links {
            write::Links::Packet(p) if Path::new(p).is_absolute() => {
                Path::new(p).parent().map(|d| format!("{}{}", d.display(), std::path::MAIN_SEPARATOR)).unwrap_or_default()
            }
            _ => String::new(),
        },
    };
    let mut books = match run {
        Run::Card(c) => write::consolidated_workbook(c, layout, &links, &volumes)?,
        Run::Table(t) => table::render::packet(t, &links)?,
        Run::FieldCard(c) => card::render::packet(c, &links, &volumes)?,
    };
    // 訂正: the office's record of its corrections, with the office sheets.
    write::corrections_sheet(books.office.as_mut().unwrap_or(&mut books.packet), corrections)?;
    // Each workbook still drawn is compressed on a core of its own: made one after another,
    // the packet, its volumes and the office workbook took about half of `consolidate` on
    // 1,000 cards. (Most volumes of a card packet were made as their sheets were drawn.)
    // The office workbook first: it lists every project's values in a few long sheets, one
    // workbook compressed on one core (a quarter of this phase at 10,000 cards). Taken last,
    // it kept one core busy long after the other had finished every volume.
    let has_office = books.office.is_some();
    let mut jobs: Vec<(&mut rust_xlsxwriter::Workbook, bool)> = books.office.as_mut().map(|wb| (wb, false)).into_iter().collect();
    jobs.push((&mut books.packet, true));
    jobs.extend(books.volumes.iter_mut().filter_map(|(_, v)| match v {
        Volume::Drawn(wb) => Some((&mut **wb, true)),
        Volume::Made(_) => None,
    }));
    let made = {
        use rayon::prelude::*;
        jobs.into_par_iter().with_max_len(1).map(|(wb, paged)| crate::packet::workbook_file(wb, paged)).collect::<Result<Vec<Vec<u8>>>>()?
    };
    // The volumes made as they were drawn are taken out; the others' bytes follow the packet's.
    let volume_files: Vec<(String, Option<Vec<u8>>)> = (books.volumes.iter_mut())
        .map(|(name, v)| match v {
            Volume::Made(bytes) => (name.clone(), Some(std::mem::take(bytes))),
            Volume::Drawn(_) => (name.clone(), None),
        })
        .collect();
    // The drawn workbooks are done with: letting go of every sheet, cell by cell, took a
    // twelfth of `consolidate`, on one core after everything else. It is done on a thread of
    // its own while the files are written and the run reported (a process ending first
    // leaves it to the system).
    let _ = std::thread::Builder::new().stack_size(WORK_STACK).spawn(move || drop(books));
    let mut made = made.into_iter();
    let office_bytes = if has_office { made.next() } else { None };
    let packet = made.next().unwrap_or_default();
    let volume_files: Vec<(PathBuf, Vec<u8>)> = volume_files
        .into_iter()
        .map(|(name, bytes)| (output.with_file_name(name.as_str()), bytes.unwrap_or_else(|| made.next().unwrap_or_default())))
        .collect();
    let write = |out: &mut dyn std::io::Write| write_json(run, out);
    let json = opts.json.as_deref().filter(|_| with_json);
    if !volume_files.is_empty() {
        let found = intake::discover(&opts.inputs)?;
        let targets: Vec<(&str, &Path)> = volume_files.iter().map(|(p, _)| ("--output", p.as_path())).collect();
        guard_outputs(&opts.plan, &opts.inputs, &found, &targets)?;
    }
    let mut writes: Vec<(&Path, fsutil::Content)> = vec![(output, fsutil::Content::Bytes(&packet))];
    writes.extend(volume_files.iter().map(|(p, b)| (p.as_path(), fsutil::Content::Bytes(b))));
    if let (Some(p), Some(b)) = (&office_path, &office_bytes) {
        writes.push((p.as_path(), fsutil::Content::Bytes(b)));
    }
    if let Some(p) = json {
        writes.push((p, fsutil::Content::Written(&write)));
    }
    fsutil::write_outputs_with(&writes)?;
    Ok(Written { office: office_path, volumes: volume_files.into_iter().map(|(p, _)| p).collect() })
}

/// Who signs the feedback (options; what is not given comes from the plan).
#[derive(Debug, Clone, Default)]
pub struct LetterOptions {
    pub sender: Option<String>,
    pub contact: Option<String>,
    pub deadline: Option<String>,
}

/// `kaito feedback`: one workbook and one covering text per department with errors or
/// missing answers, into `output` (a folder). A file there that is also an input (a feedback
/// file that came back) is never written over.
pub fn feedback(opts: &CheckOptions, output: &Path, letter: &LetterOptions) -> Result<(Run, Vec<crate::feedback::Sent>)> {
    if output.is_file() {
        bail!("--output の出力先 {} はファイルです。差戻しファイルを入れるフォルダを指定してください", output.display());
    }
    let json = opts.json.as_deref().map(|p| ("--json", p));
    let Checked { run, layout, .. } = run_check(opts, json.as_slice(), Keep::Sheets)?;
    let sent = write_feedback(opts, &run, &layout, output, letter, true)?;
    Ok((run, sent))
}

/// The feedback files of a checked run (and with `with_json` the JSON summary), all or none.
fn write_feedback(
    opts: &CheckOptions,
    run: &Run,
    layout: &Layout,
    output: &Path,
    letter: &LetterOptions,
    with_json: bool,
) -> Result<Vec<crate::feedback::Sent>> {
    let letter = crate::feedback::Letter::new(run.plan(), letter.sender.as_deref(), letter.contact.as_deref(), letter.deadline.as_deref());
    let files = match run {
        Run::Card(c) => crate::feedback::render(c, layout, output, &letter)?,
        Run::Table(t) => table::render::feedback(t, output, &letter)?,
        Run::FieldCard(c) => card::render::feedback(c, output, &letter)?,
    };
    let found = intake::discover(&opts.inputs)?;
    let mut targets: Vec<(&str, &Path)> = files.iter().map(|(p, _, _)| ("--output", p.as_path())).collect();
    targets.extend(files.iter().map(|(_, _, s)| ("--output", s.text_path.as_path())));
    guard_outputs(&opts.plan, &opts.inputs, &found, &targets)?;
    let mut writes: Vec<(&Path, fsutil::Content)> =
        files.iter().map(|(p, bytes, _)| (p.as_path(), fsutil::Content::Bytes(bytes))).collect();
    writes.extend(files.iter().map(|(_, _, s)| (s.text_path.as_path(), fsutil::Content::Bytes(s.text.as_bytes()))));
    let write = |out: &mut dyn std::io::Write| write_json(run, out);
    if let Some(path) = opts.json.as_deref().filter(|_| with_json) {
        writes.push((path, fsutil::Content::Written(&write)));
    }
    fsutil::write_outputs_with(&writes)?;
    Ok(files.into_iter().map(|(_, _, sent)| sent).collect())
}

/// What the whole job of a period wrote: the run, the packet's companions, the feedback.
pub struct Job {
    pub run: Run,
    pub packet: PathBuf,
    pub written: Written,
    pub sent: Vec<crate::feedback::Sent>,
}

/// The half-year's whole job in one reading of the files: the check, the packet (and the
/// office workbook beside it) at `packet`, and the feedback files in `feedback_dir` (none when
/// `None`: a few files dropped on kaito are not the whole return, and every other department
/// would be asked for its sheet).
pub fn job(opts: &CheckOptions, packet: &Path, feedback_dir: Option<&Path>, letter: &LetterOptions) -> Result<Job> {
    if let Some(dir) = feedback_dir
        && dir.is_file()
    {
        bail!("差戻しファイルの出力先 {} はファイルです。フォルダを指定してください", dir.display());
    }
    let office_path = packet_outputs(packet, &OfficeOutput::Beside)?;
    let mut outputs = vec![("集計ブック", packet)];
    if let Some(o) = &office_path {
        outputs.push(("事務用ブック", o));
    }
    let checked = run_check(opts, &outputs, Keep::Sheets)?;
    let written = write_packet(opts, &checked, packet, office_path, write::Volumes::DEFAULT_PER_BOOK, false)?;
    let sent = match feedback_dir {
        Some(dir) => write_feedback(opts, &checked.run, &checked.layout, dir, letter, false)?,
        None => Vec::new(),
    };
    Ok(Job { run: checked.run, packet: packet.to_path_buf(), written, sent })
}

/// `kaito template`: the forms to send out, in the plan's form.
pub fn template(opts: &crate::template::TemplateOptions) -> Result<crate::template::TemplateResult> {
    let (loaded, form) = load_plan(&opts.plan)?;
    loaded.plan.check_period(opts.period)?;
    match form.shape {
        Shape::Card if form.is_field_card() => {
            let previous = if opts.previous.is_empty() {
                Default::default()
            } else {
                let extract = |g: &crate::grid::Grid| card::read_sheet(g, &form).into_iter().collect::<Vec<_>>();
                let read = intake::read_all_as(&intake::discover(&opts.previous)?, &Limits::default(), &extract, "");
                card::render::previous_values(read, &loaded.plan, &form, opts.period)
            };
            card::render::template(opts, loaded, &form, &previous)
        }
        Shape::Card => crate::template::run(opts, loaded, &Layout::from_form(&form)?),
        Shape::Table => table::render::template(opts, loaded, &form),
    }
}

/// `kaito plan`: the plan as kaito reads it, and with `write_codes` a copy of the plan workbook
/// with the codes kaito assigned written in. The copy never replaces the plan itself.
pub fn plan(path: &Path, write_codes: Option<&Path>) -> Result<(LoadedPlan, FormDef, Option<PathBuf>)> {
    let (loaded, form) = load_plan(path)?;
    let Some(out) = write_codes else {
        return Ok((loaded, form, None));
    };
    if fsutil::identity(out) == fsutil::identity(path) {
        bail!(
            "--write-codes の出力先 {} は計画ファイルそのものです。別の名前を指定してください(確かめてから差し替えてください)",
            out.display()
        );
    }
    if loaded.plan.assigned_codes.is_empty() {
        return Ok((loaded, form, None));
    }
    plan::write_codes(path, out, &loaded.plan)?;
    Ok((loaded, form, Some(out.to_path_buf())))
}
