//! kaito (回答): checks the forms departments return (response cards, progress tables…)
//! against the reform plan, and merges them into one workbook for the council.
//!
//! The folders are the layers, and a module uses only its own layer and those above it in
//! this list (`tests/kaito/architecture.rs` checks it):
//! `primitives/` (text, files, grids, Excel writing), `model/` (forms, plans), `reading/`
//! (files into cards and tables), `checking/` (rules and consolidation), `rendering/`
//! (console, JSON, workbooks), then `ops.rs` and `workspace.rs` (the commands and the working folder). Module paths stay flat
//! (`kaito::plan`, `kaito::table::check`).

#[path = "primitives/finding.rs"]
pub mod finding;
#[path = "primitives/fsutil.rs"]
pub mod fsutil;
#[path = "primitives/grid.rs"]
pub mod grid;
#[path = "primitives/normalize.rs"]
pub mod normalize;
#[path = "primitives/period.rs"]
pub mod period;
#[path = "primitives/xlsx.rs"]
pub mod xlsx;

#[path = "model/form.rs"]
pub mod form;
#[path = "model/layout.rs"]
pub mod layout;
#[path = "model/plan.rs"]
pub mod plan;

#[path = "reading/card.rs"]
pub mod card;
#[path = "reading/corrections.rs"]
pub mod corrections;
#[path = "reading/intake.rs"]
pub mod intake;
#[path = "reading/read.rs"]
pub mod read;
#[path = "reading/table.rs"]
pub mod table;

#[path = "checking/consolidate.rs"]
pub mod consolidate;
#[path = "checking/validate.rs"]
pub mod validate;

#[path = "rendering/draw.rs"]
pub mod draw;
#[path = "rendering/feedback.rs"]
pub mod feedback;
#[path = "rendering/packet.rs"]
pub mod packet;
#[path = "rendering/report.rs"]
pub mod report;
#[path = "rendering/template.rs"]
pub mod template;
#[path = "rendering/write.rs"]
pub mod write;

pub mod ops;
pub mod serve;
pub mod workspace;
