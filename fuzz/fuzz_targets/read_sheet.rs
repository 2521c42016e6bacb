//! Arbitrary bytes into the whole sheet reader: sniffing, opening, streaming cells, reading
//! by labels and checking. Nothing may panic, hang or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let layout = kaito::layout::Layout::bundled();
    let limits = kaito::grid::Limits { max_file_bytes: 1 << 20, max_inflated_bytes: 8 << 20, ..Default::default() };
    if let Ok(book) = kaito::grid::open(data, &limits) {
        for g in &book.sheets {
            let _ = kaito::read::response_sheet(g, &layout);
        }
    }
});
