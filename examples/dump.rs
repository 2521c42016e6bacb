//! Prints what kaito reads from a response sheet: `cargo run --example dump -- FILE`.
fn main() {
    let path = std::env::args().nth(1).expect("usage: dump FILE");
    let bytes = std::fs::read(&path).expect("read");
    let book = kaito::grid::open(&bytes, &kaito::grid::Limits::default()).expect("open");
    let layout = kaito::layout::Layout::bundled();
    for g in &book.sheets {
        println!("{:#?}", kaito::read::response_sheet(g, &layout));
    }
}
