//! The integration tests: one binary. `reference` reads the shared reference sheets, `rules`
//! breaks each rule on a drawn sheet, `cli` runs the real executable on copies of samples/.

mod architecture;
mod cli;
mod common;
mod corrections;
mod evaluation;
mod fixtures;
mod intake;
mod nextplan;
mod packet;
mod print;
mod reference;
mod results;
mod rules;
mod safety;
mod serve;
mod table;
mod template;
mod workspace;
