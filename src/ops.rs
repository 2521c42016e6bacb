//! The commands, as library functions: each one a thin sequence over the pipeline stages
//! (plan → intake/read → validate → consolidate → write/report). Every output is checked
//! against the inputs before any work is done, and written atomically.

use crate::consolidate::{self, Consolidation};
use crate::fsutil;
use crate::grid::Limits;
use crate::intake::{self, Found};
use crate::layout::Layout;
use crate::period::Period;
use crate::plan;
use crate::write;
use anyhow::{Result, bail};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// What `check`, `consolidate` and `feedback` share.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub plan: PathBuf,
    pub period: Option<Period>,
    pub inputs: Vec<PathBuf>,
    /// Where to write the JSON summary, if anywhere.
    pub json: Option<PathBuf>,
    pub layout: Option<PathBuf>,
    pub limits: Limits,
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

/// Reads the plan and every input, checks every sheet: the whole job but writing.
/// `outputs` are checked against the inputs first.
fn run_check(opts: &CheckOptions, outputs: &[(&str, &Path)]) -> Result<(Consolidation, Layout)> {
    let layout = layout(opts.layout.as_ref())?;
    let files = intake::discover(&opts.inputs)?;
    guard_outputs(&opts.plan, &opts.inputs, &files, outputs)?;
    let loaded = plan::load(&opts.plan)?;
    let read = intake::read_all(&files, &layout, &opts.limits);
    let c = consolidate::run(loaded, &opts.plan.display().to_string(), opts.period, read, layout.hints())?;
    Ok((c, layout))
}

fn json_bytes(c: &Consolidation) -> Result<Vec<u8>> {
    Ok(serde_json::to_vec_pretty(&crate::report::json_summary(c))?)
}

/// `kaito check`: findings only, and the JSON summary when asked for.
pub fn check(opts: &CheckOptions) -> Result<Consolidation> {
    let json = opts.json.as_deref().map(|p| ("--json", p));
    let (c, _) = run_check(opts, json.as_slice())?;
    if let Some(path) = &opts.json {
        fsutil::write_outputs(&[(path, &json_bytes(&c)?)])?;
    }
    Ok(c)
}

/// `kaito consolidate`: `check`, then the consolidated workbook (written even when there are
/// errors) and the JSON summary, both or neither.
pub fn consolidate(opts: &CheckOptions, output: &Path) -> Result<Consolidation> {
    let mut outputs = vec![("--output", output)];
    if let Some(json) = &opts.json {
        outputs.push(("--json", json));
    }
    let (c, layout) = run_check(opts, &outputs)?;
    let mut wb = write::consolidated_workbook(&c, &layout)?;
    let book = wb.save_to_buffer().map_err(|e| anyhow::anyhow!("集計ブックを作れませんでした({})", write::xlsx_reason(&e)))?;
    match &opts.json {
        Some(json) => fsutil::write_outputs(&[(output, &book), (json, &json_bytes(&c)?)])?,
        None => fsutil::write_outputs(&[(output, &book)])?,
    }
    Ok(c)
}

/// `kaito feedback`: one file per department with errors, into `output` (a folder). A file
/// there that is also an input (a feedback file that came back) is never written over.
pub fn feedback(opts: &CheckOptions, output: &Path) -> Result<(Consolidation, Vec<crate::feedback::Sent>)> {
    if output.is_file() {
        bail!("--output の出力先 {} はファイルです。差戻しファイルを入れるフォルダを指定してください", output.display());
    }
    let json = opts.json.as_deref().map(|p| ("--json", p));
    let (c, layout) = run_check(opts, json.as_slice())?;
    let files = crate::feedback::render(&c, &layout, output)?;
    let found = intake::discover(&opts.inputs)?;
    let targets: Vec<(&str, &Path)> = files.iter().map(|(p, _, _)| ("--output", p.as_path())).collect();
    guard_outputs(&opts.plan, &opts.inputs, &found, &targets)?;
    let mut writes: Vec<(&Path, &[u8])> = files.iter().map(|(p, bytes, _)| (p.as_path(), bytes.as_slice())).collect();
    let json = match &opts.json {
        Some(path) => Some((path.as_path(), json_bytes(&c)?)),
        None => None,
    };
    if let Some((path, bytes)) = &json {
        writes.push((path, bytes));
    }
    fsutil::write_outputs(&writes)?;
    Ok((c, files.into_iter().map(|(_, _, sent)| sent).collect()))
}
