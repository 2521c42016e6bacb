//! The commands, as library functions: each one a thin sequence over the pipeline stages
//! (plan → intake/read → validate → consolidate → write/report).

use crate::consolidate::{self, Consolidation};
use crate::grid::Limits;
use crate::intake;
use crate::layout::Layout;
use crate::period::Period;
use crate::plan;
use crate::write;
use anyhow::Result;
use std::path::PathBuf;

/// What `check` and `consolidate` share.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub plan: PathBuf,
    pub period: Option<Period>,
    pub inputs: Vec<PathBuf>,
    pub layout: Option<PathBuf>,
    pub limits: Limits,
}

pub fn layout(path: Option<&PathBuf>) -> Result<Layout> {
    match path {
        Some(p) => Layout::load(p),
        None => Ok(Layout::bundled()),
    }
}

/// Reads the plan and every input, checks every sheet: the whole job but writing.
pub fn check(opts: &CheckOptions) -> Result<Consolidation> {
    let layout = layout(opts.layout.as_ref())?;
    let loaded = plan::load(&opts.plan)?;
    let files = intake::discover(&opts.inputs)?;
    let read = intake::read_all(&files, &layout, &opts.limits);
    consolidate::run(loaded, &opts.plan.display().to_string(), opts.period, read, layout.hints())
}

/// `check`, then the consolidated workbook (written even when there are errors).
pub fn consolidate(opts: &CheckOptions, output: &std::path::Path) -> Result<Consolidation> {
    let c = check(opts)?;
    let layout = layout(opts.layout.as_ref())?;
    let mut wb = write::consolidated_workbook(&c, &layout)?;
    write::save_atomic(&mut wb, output)?;
    Ok(c)
}

/// Writes the JSON summary.
pub fn write_json(c: &Consolidation, path: &std::path::Path) -> Result<()> {
    let text = serde_json::to_string_pretty(&crate::report::json_summary(c))?;
    std::fs::write(path, text).map_err(|e| anyhow::anyhow!("JSON ファイル {} に書き込めません({e})", path.display()))
}
