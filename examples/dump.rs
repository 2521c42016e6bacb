//! Prints what kaito reads from a returned file in a form's shape:
//! `cargo run --example dump -- FILE [FORM]` (FORM: a bundled form's name; the card by default).
fn main() {
    let path = std::env::args().nth(1).expect("usage: dump FILE [FORM]");
    let form = std::env::args().nth(2).unwrap_or_else(|| "報告回答票".into());
    let bytes = std::fs::read(&path).expect("read");
    let book = kaito::grid::open(&bytes, &kaito::grid::Limits::default()).expect("open");
    let form = kaito::form::FormDef::bundled(&form).expect("a bundled form");
    for g in &book.sheets {
        for (pos, cell) in g.cells() {
            println!("{} {:?}", kaito::finding::a1(pos.0, pos.1), cell.value);
        }
        if form.is_field_card() {
            println!("{:#?}", kaito::card::read_sheet(g, &form));
        } else if form.shape == kaito::form::Shape::Table {
            println!("{:#?}", kaito::table::read_sheet(g, &form));
        } else {
            let layout = kaito::layout::Layout::from_form(&form).expect("card layout");
            println!("{:#?}", kaito::read::response_sheet(g, &layout));
        }
    }
}
