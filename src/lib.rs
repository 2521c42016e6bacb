//! kaito (回答): checks the response sheets (報告回答票) departments return against the
//! reform plan, and merges them into one workbook for the council.

pub mod consolidate;
pub mod draw;
pub mod feedback;
pub mod finding;
pub mod form;
pub mod fsutil;
pub mod grid;
pub mod intake;
pub mod layout;
pub mod normalize;
pub mod ops;
pub mod packet;
pub mod period;
pub mod plan;
pub mod read;
pub mod report;
pub mod table;
pub mod template;
pub mod validate;
pub mod write;
pub mod xlsx;
