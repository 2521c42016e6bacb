//! Regenerates `samples/` from `samples/source/`: the plan workbook and the returned sheets.
//!
//! `cargo run --example make_samples` (run it after changing the sources; the output is
//! committed so that the README's first command works on a fresh checkout).

use anyhow::{Context, Result};
use kaito::draw::{self, Answers, DrawOptions};
use kaito::layout::Layout;
use kaito::period::Period;
use kaito::plan;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct AnswerFile {
    period: String,
    answers: Vec<toml::Table>,
}

/// One returned file: where it goes, and what the department wrote (`Answers`).
struct Answer {
    code: String,
    file: String,
    sheet: Option<String>,
    period: Option<String>,
    answers: Answers,
}

impl Answer {
    // `Answers` is read from what is left once the file's own keys are taken out (serde's
    // flatten would lose the integer year keys).
    fn from_table(mut t: toml::Table) -> Result<Answer> {
        let mut take = |k: &str| t.remove(k).and_then(|v| v.as_str().map(str::to_string));
        let code = take("code").context("code")?;
        let file = take("file").context("file")?;
        let sheet = take("sheet");
        let period = take("period");
        let answers: Answers = toml::from_str(&toml::to_string(&t)?).with_context(|| format!("answers of {code}"))?;
        Ok(Answer { code, file, sheet, period, answers })
    }
}

fn main() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let loaded = plan::load(&root.join("source/plan.toml"))?;
    let plan = loaded.plan;
    plan::write_workbook(&plan, &root.join("計画.xlsx"))?;

    let text = std::fs::read_to_string(root.join("source/answers-2021H1.toml"))?;
    let file: AnswerFile = toml::from_str(&text).context("answers-2021H1.toml")?;
    let default_period = Period::parse(&file.period).context("period")?;
    let out = root.join("回答");
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    std::fs::create_dir_all(&out)?;
    let layout = Layout::bundled();
    let answers: Vec<Answer> = file.answers.into_iter().map(Answer::from_table).collect::<Result<_>>()?;
    for a in &answers {
        let project = plan.project(&a.code).with_context(|| format!("{} is not in the plan", a.code))?;
        let period = match &a.period {
            Some(p) => Period::parse(p).context("period")?,
            None => default_period,
        };
        let mut wb = Workbook::new();
        // The time the workbook records as saved, as Excel would have written it when the
        // department saved: a stale file from an earlier period was saved then. A copy made
        // in Explorer keeps the time of its original. Fixed times keep the samples identical
        // from one regeneration to the next.
        let saved = if period == default_period { "2021-10-08T09:00:00" } else { "2021-04-09T09:00:00" };
        wb.set_properties(&DocProperties::new().set_creation_datetime(&ExcelDateTime::parse_from_str(saved)?));
        let ws = wb.add_worksheet().set_name(a.sheet.as_deref().unwrap_or(&project.code))?;
        draw::response_sheet(ws, &plan, project, period, &a.answers, &layout, &DrawOptions::default())?;
        wb.save(out.join(&a.file))?;
    }
    // What else turns up in a shared folder: an Excel lock file and a note.
    let mut lock = vec![0u8; 165];
    lock[0] = 8;
    lock[1..9].copy_from_slice(b"kikaku01");
    std::fs::write(out.join("~$0701-01_民間活力活用事業.xlsx"), lock)?;
    std::fs::write(out.join("メモ.txt"), "回答受付メモ: 0701-06 は都市整備課に催促済み\n")?;
    println!("wrote {} answers and the plan to {}", answers.len(), root.display());
    Ok(())
}
