//! Test fixtures made by code: the same sheet saved as .ods and as .xls (BIFF8), and the
//! broken or hostile files intake must survive.

use kaito::grid::{Grid, Value};
use std::io::Write;

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An OpenDocument spreadsheet holding `grid`'s values (text and numbers).
pub fn ods(grid: &Grid) -> Vec<u8> {
    let mut content = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>"#,
    );
    content.push_str(&format!(r#"<table:table table:name="{}">"#, xml_escape(&grid.name)));
    let last_row = grid.last_row();
    for r in 0..=last_row {
        content.push_str("<table:table-row>");
        let cells: Vec<(u32, &Value)> = grid.row(r).map(|(c, cell)| (c, &cell.value)).collect();
        let mut col = 0;
        for (c, v) in cells {
            if c > col {
                content.push_str(&format!(r#"<table:table-cell table:number-columns-repeated="{}"/>"#, c - col));
            }
            match v {
                Value::Number(n) => content.push_str(&format!(
                    r#"<table:table-cell office:value-type="float" office:value="{n}"><text:p>{n}</text:p></table:table-cell>"#
                )),
                other => {
                    content.push_str(r#"<table:table-cell office:value-type="string">"#);
                    for line in other.text().split('\n') {
                        content.push_str(&format!("<text:p>{}</text:p>", xml_escape(line)));
                    }
                    content.push_str("</table:table-cell>");
                }
            }
            col = c + 1;
        }
        content.push_str("</table:table-row>");
    }
    content.push_str("</table:table></office:spreadsheet></office:body></office:document-content>");
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        z.start_file("mimetype", stored).unwrap();
        z.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
        z.start_file("META-INF/manifest.xml", stored).unwrap();
        z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
        z.start_file("content.xml", stored).unwrap();
        z.write_all(content.as_bytes()).unwrap();
        z.finish().unwrap();
    }
    buf.into_inner()
}

fn record(out: &mut Vec<u8>, typ: u16, data: &[u8]) {
    out.extend_from_slice(&typ.to_le_bytes());
    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
    out.extend_from_slice(data);
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

/// A BIFF8 `.xls` workbook (Excel 97-2003) holding `grid`'s values, in a CFB container.
pub fn xls(grid: &Grid) -> Vec<u8> {
    xls_with_stream(grid, "Workbook", 0x0600)
}

/// The same with another stream name and BIFF version (`Book`, 0x0500 is Excel 5.0/95).
pub fn xls_with_stream(grid: &Grid, stream: &str, version: u16) -> Vec<u8> {
    let bof = |dt: u16| {
        let mut d = Vec::new();
        d.extend_from_slice(&version.to_le_bytes());
        d.extend_from_slice(&dt.to_le_bytes());
        d.extend_from_slice(&[0u8; 12]);
        d
    };
    let name16 = utf16(&grid.name);
    let mut globals = Vec::new();
    record(&mut globals, 0x0809, &bof(0x0005));
    record(&mut globals, 0x0042, &1200u16.to_le_bytes());
    let boundsheet_len = 4 + 8 + name16.len();
    let sheet_pos = globals.len() + boundsheet_len + 4; // + EOF record
    let mut bs = Vec::new();
    bs.extend_from_slice(&(sheet_pos as u32).to_le_bytes());
    bs.extend_from_slice(&[0, 0]);
    bs.push(grid.name.encode_utf16().count() as u8);
    bs.push(1);
    bs.extend_from_slice(&name16);
    record(&mut globals, 0x0085, &bs);
    record(&mut globals, 0x000A, &[]);
    assert_eq!(globals.len(), sheet_pos);
    let mut sheet = Vec::new();
    record(&mut sheet, 0x0809, &bof(0x0010));
    for (&(r, c), cell) in grid.cells() {
        let mut d = Vec::new();
        d.extend_from_slice(&(r as u16).to_le_bytes());
        d.extend_from_slice(&(c as u16).to_le_bytes());
        d.extend_from_slice(&0u16.to_le_bytes());
        match &cell.value {
            Value::Number(n) => {
                d.extend_from_slice(&n.to_le_bytes());
                record(&mut sheet, 0x0203, &d);
            }
            other => {
                // Long texts would need CONTINUE records; the fixtures stay under the limit.
                let text: String = other.text().chars().take(3000).collect();
                d.extend_from_slice(&(text.encode_utf16().count() as u16).to_le_bytes());
                d.push(1);
                d.extend_from_slice(&utf16(&text));
                record(&mut sheet, 0x0204, &d);
            }
        }
    }
    record(&mut sheet, 0x000A, &[]);
    globals.extend_from_slice(&sheet);
    cfb_with(&[(stream, &globals)])
}

/// A compound-file container with the given streams.
pub fn cfb_with(streams: &[(&str, &[u8])]) -> Vec<u8> {
    let mut comp = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    for (name, data) in streams {
        let mut s = comp.create_stream(format!("/{name}")).unwrap();
        s.write_all(data).unwrap();
    }
    comp.flush().unwrap();
    comp.into_inner().into_inner()
}

/// Rewrites one entry of a zip (an .xlsx) with `f`.
pub fn patch_zip(bytes: &[u8], entry: &str, f: impl Fn(String) -> String) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        for i in 0..src.len() {
            let mut e = src.by_index(i).unwrap();
            let name = e.name().map(|n| n.to_string()).unwrap_or_default();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).unwrap();
            if name == entry {
                data = f(String::from_utf8(data).unwrap()).into_bytes();
            }
            z.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all(&data).unwrap();
        }
        z.finish().unwrap();
    }
    out.into_inner()
}

/// The bytes of one entry of a zip (an .xlsx).
pub fn unzip_entry(bytes: &[u8], entry: &str) -> Vec<u8> {
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut e = src.by_name(entry).unwrap_or_else(|_| panic!("no {entry}"));
    let mut data = Vec::new();
    std::io::Read::read_to_end(&mut e, &mut data).unwrap();
    data
}

/// Every entry of a zip (an .xlsx) but those `skip` names, as (name, bytes), in package order.
pub fn unzip_all(bytes: &[u8], skip: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = Vec::new();
    for i in 0..src.len() {
        let mut e = src.by_index(i).unwrap();
        let name = e.name().unwrap().to_string();
        if skip.contains(&name.as_str()) {
            continue;
        }
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        out.push((name, data));
    }
    out
}
