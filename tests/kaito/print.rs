//! The council's packet prints as a document: no type under 9 pt on A4, computed from each
//! sheet's page setup (scale, orientation, column widths, fonts) and, where LibreOffice is
//! installed, measured on the PDF it prints.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn attr(tag: &str, name: &str) -> Option<String> {
    tag.split(&format!(" {name}=\"")).nth(1).and_then(|x| x.split('"').next()).map(str::to_string)
}

/// The attributes of every `<name` tag, each with a leading space (for [`attr`]).
fn tags(xml: &str, name: &str) -> Vec<String> {
    xml.split(&format!("<{name}")).skip(1).map(|x| format!(" {}", x.split('>').next().unwrap())).collect()
}

/// Column letters → 1-based index.
fn col_index(letters: &str) -> u32 {
    letters.chars().filter(|c| c.is_ascii_alphabetic()).fold(0, |n, c| n * 26 + (c as u32 - 'A' as u32 + 1))
}

/// What one sheet prints at: (name, scale %, landscape, printed width in points, fit-to-page).
struct Printed {
    name: String,
    /// The sheet repeats its first columns on every page (it runs on to a second page wide).
    repeats_columns: bool,
    /// Column widths in characters, by 1-based column.
    widths: BTreeMap<u32, f64>,
    /// Merged ranges: (first row, first col, last row, last col), 1-based.
    merges: Vec<(u32, u32, u32, u32)>,
    columns: u32,
    scale: f64,
    landscape: bool,
    width: f64,
    fit: bool,
}

fn printed_sheets(book: &Path) -> Vec<Printed> {
    let workbook = part(book, "xl/workbook.xml").unwrap();
    let names: Vec<String> = tags(&workbook, "sheet ").iter().map(|t| attr(t, "name").unwrap()).collect();
    // Print areas by sheet index.
    let mut areas: BTreeMap<usize, u32> = BTreeMap::new();
    let mut titles: BTreeMap<usize, String> = BTreeMap::new();
    for chunk in workbook.split("<definedName ").skip(1) {
        let (head, body) = chunk.split_once('>').unwrap();
        if attr(&format!(" {head}"), "name").as_deref() == Some("_xlnm.Print_Titles") {
            let i: usize = attr(&format!(" {head}"), "localSheetId").unwrap().parse().unwrap();
            titles.insert(i, body.split('<').next().unwrap().to_string());
        }
        if attr(&format!(" {head}"), "name").as_deref() == Some("_xlnm.Print_Area") {
            let i: usize = attr(&format!(" {head}"), "localSheetId").unwrap().parse().unwrap();
            let range = body.split('<').next().unwrap();
            let last = range.rsplit('!').next().unwrap().rsplit(':').next().unwrap().replace('$', "");
            let letters: String = last.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
            areas.insert(i, col_index(&letters));
        }
    }
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let xml = part(book, &format!("xl/worksheets/sheet{}.xml", i + 1)).unwrap();
        let setup = tags(&xml, "pageSetup").first().cloned().unwrap_or_default();
        let scale: f64 = attr(&setup, "scale").map(|s| s.parse().unwrap()).unwrap_or(100.0);
        let landscape = attr(&setup, "orientation").as_deref() == Some("landscape");
        let fit = xml.contains("fitToPage=\"1\"");
        let mut widths: BTreeMap<u32, f64> = BTreeMap::new();
        for c in tags(&xml, "col ") {
            let (min, max): (u32, u32) = (attr(&c, "min").unwrap().parse().unwrap(), attr(&c, "max").unwrap().parse().unwrap());
            // Stored widths include Excel's 5 px of padding at 7 px a character.
            let stored: f64 = attr(&c, "width").unwrap().parse().unwrap();
            let w = ((stored * 7.0).round() - 5.0) / 7.0;
            for k in min..=max {
                widths.insert(k, w);
            }
        }
        let last = areas.get(&i).copied().unwrap_or(1);
        // The widest any program draws a column: 10 px a character (see xlsx::column_points).
        let width: f64 = (1..=last).map(|k| (widths.get(&k).copied().unwrap_or(8.43) * 10.0 + 5.0).trunc() * 0.75).sum();
        let repeats_columns = titles.get(&i).is_some_and(|t| t.contains("!$A:$"));
        let cell = |a1: &str| {
            let letters: String = a1.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
            (a1[letters.len()..].parse::<u32>().unwrap(), col_index(&letters))
        };
        let merges = tags(&xml, "mergeCell ")
            .iter()
            .map(|t| {
                let r = attr(t, "ref").unwrap();
                let (a, b) = r.split_once(':').unwrap();
                let ((r1, c1), (r2, c2)) = (cell(a), cell(b));
                (r1, c1, r2, c2)
            })
            .collect();
        out.push(Printed {
            name: name.clone(),
            repeats_columns,
            merges,
            widths: widths.clone(),
            columns: last,
            scale,
            landscape,
            width: width * scale / 100.0,
            fit,
        });
    }
    out
}

/// The smallest type the packet's cells use, in points.
fn smallest_font(book: &Path) -> f64 {
    let styles = part(book, "xl/styles.xml").unwrap();
    tags(&styles, "sz ").iter().map(|t| attr(t, "val").unwrap().parse::<f64>().unwrap()).fold(f64::MAX, f64::min)
}

/// Chart text sizes, in points (a chart without its own sizes would print at 10 pt × scale).
fn chart_sizes(book: &Path) -> Vec<(String, Vec<f64>)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(book).unwrap()).unwrap();
    let names: Vec<String> =
        (0..z.len()).map(|i| z.by_index(i).unwrap().name().unwrap().to_string()).filter(|n| n.starts_with("xl/charts/chart")).collect();
    names
        .into_iter()
        .map(|n| {
            let xml = part(book, &n).unwrap();
            let sizes = xml.split(" sz=\"").skip(1).map(|x| x.split('"').next().unwrap().parse::<f64>().unwrap() / 100.0).collect();
            (n, sizes)
        })
        .collect()
}

fn consolidate(sample: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = sample_copy(sample);
    let out = kaito(&["consolidate", "--plan", "計画.xlsx", "回答", "--output", "集計.xlsx"], dir.path());
    assert!(matches!(out.status.code(), Some(0 | 1)), "{sample}: {}", String::from_utf8_lossy(&out.stderr));
    let book = dir.path().join("集計.xlsx");
    (dir, book)
}

const SAMPLES: [&str; 4] = ["報告回答票", "進捗管理表", "取組評価シート", "取組実績票"];

#[test]
fn no_printed_type_under_nine_points_on_a4() {
    for sample in SAMPLES {
        let (_dir, book) = consolidate(sample);
        let font = smallest_font(&book);
        let sheets = printed_sheets(&book);
        assert!(sheets.len() > 2, "{sample}");
        for s in &sheets {
            assert!(!s.fit, "{sample} {}: an explicit scale, not fit-to-page (whose size no one controls)", s.name);
            let smallest = font * s.scale / 100.0;
            assert!(smallest >= 9.0, "{sample} {}: {font} pt at {} % prints at {smallest:.2} pt", s.name, s.scale);
            let page = if s.landscape { 841.89 - 100.8 } else { 595.28 - 100.8 };
            // Widths are stored to the pixel: allow one pixel a column.
            let slack = s.columns as f64 * 0.75 * s.scale / 100.0;
            // Wider than a page only when the columns that name the rows repeat on each page.
            assert!(s.width <= page + slack || s.repeats_columns, "{sample} {}: {:.0} pt wide on a {page:.0} pt page", s.name, s.width);
        }
        // Every figure has room: a column narrower than its number prints `###`.
        let mut wb = calamine::open_workbook_auto(&book).unwrap();
        for s in &sheets {
            let range = calamine::Reader::worksheet_range(&mut wb, &s.name).unwrap();
            for (r, c, v) in range.used_cells() {
                if let calamine::Data::Float(x) = v {
                    let digits = format!("{}", x.abs().round() as i64).len();
                    // Digits, separators and the sign (△ is wide), in the wider metrics of a
                    // program without Calibri (about 10 px a character against Excel's 7).
                    let chars = digits as f64 + ((digits - 1) / 3) as f64 + if *x < 0.0 { 2.0 } else { 0.0 };
                    let needed = chars * 1.3;
                    let (row, col) = (r as u32 + 1, c as u32 + 1);
                    let (from, to) = s
                        .merges
                        .iter()
                        .find(|m| m.0 <= row && row <= m.2 && m.1 <= col && col <= m.3)
                        .map(|m| (m.1, m.3))
                        .unwrap_or((col, col));
                    let width: f64 = (from..=to).map(|k| s.widths.get(&k).copied().unwrap_or(8.43)).sum();
                    assert!(width >= needed.min(11.0), "{sample} {} row {} col {}: {x} in a column {width:.1} wide", s.name, r + 1, c + 1);
                }
            }
        }
        for (chart, sizes) in chart_sizes(&book) {
            assert!(sizes.len() >= 4, "{sample} {chart}: title, axes and legend carry their size");
            let min_scale = sheets.iter().map(|s| s.scale).fold(f64::MAX, f64::min);
            assert!(sizes.iter().all(|sz| sz * min_scale / 100.0 >= 9.0), "{sample} {chart}: {sizes:?}");
        }
    }
}

#[test]
fn the_packet_holds_only_what_the_council_reads() {
    for sample in SAMPLES {
        let (dir, book) = consolidate(sample);
        let sheets = printed_sheets(&book);
        assert_eq!(sheets[0].name, "表紙", "{sample}");
        for office in ["概要", "要確認", "未提出", "事業一覧", "明細", "受付記録", "訂正"] {
            assert!(sheets.iter().all(|s| s.name != office), "{sample}: {office} is the office's");
        }
        assert!(dir.path().join("集計_事務用.xlsx").is_file(), "{sample}");
    }
}

#[test]
fn the_office_sheets_can_stay_in_one_workbook_or_go_where_asked() {
    let dir = sample_copy("報告回答票");
    let d = dir.path();
    let out = kaito(&["consolidate", "--plan", "計画.xlsx", "回答", "--output", "集計.xlsx", "--office", "same"], d);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!d.join("集計_事務用.xlsx").exists());
    let names: Vec<String> = printed_sheets(&d.join("集計.xlsx")).into_iter().map(|s| s.name).collect();
    assert_eq!(names[..4], ["表紙", "一覧表", "進捗状況", "効果額"]);
    assert_eq!(names[names.len() - 7..], ["概要", "要確認", "未提出", "事業一覧", "明細", "受付記録", "訂正"]);
    // Links stay inside the workbook.
    let i = names.iter().position(|n| n == "要確認").unwrap();
    let xml = part(&d.join("集計.xlsx"), &format!("xl/worksheets/sheet{}.xml", i + 1)).unwrap();
    assert!(xml.contains("location=\"'0701-03'!F12\"") && !xml.contains("r:id="), "internal links");

    std::fs::create_dir(d.join("事務")).unwrap();
    let out = kaito(&["consolidate", "--plan", "計画.xlsx", "回答", "--output", "議会.xlsx", "--office", "事務/確認用.xlsx"], d);
    assert_eq!(out.status.code(), Some(1));
    assert!(d.join("事務/確認用.xlsx").is_file());
    let rels = part(&d.join("事務/確認用.xlsx"), "xl/worksheets/_rels/sheet2.xml.rels").unwrap();
    assert!(rels.contains("議会.xlsx") && rels.contains("TargetMode=\"External\""), "{rels}");
    // The same name for both is refused before anything is written.
    let out = kaito(&["consolidate", "--plan", "計画.xlsx", "回答", "--output", "x.xlsx", "--office", "x.xlsx"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(!d.join("x.xlsx").exists());
}

/// Height, text and top of the words of each PDF page, in points, from `pdftotext -bbox`.
fn word_heights(pdf: &Path) -> Vec<Vec<(f64, String, f64)>> {
    let out = Command::new("pdftotext").arg("-bbox").arg(pdf).arg("-").output().unwrap();
    let html = String::from_utf8_lossy(&out.stdout).to_string();
    html.split("<page ")
        .skip(1)
        .map(|p| {
            p.split("<word ")
                .skip(1)
                .map(|w| {
                    let tag = format!(" {}", w.split('>').next().unwrap());
                    let y = |k: &str| attr(&tag, k).unwrap().parse::<f64>().unwrap();
                    let text = w.split_once('>').unwrap().1.split('<').next().unwrap().to_string();
                    (y("yMax") - y("yMin"), text, y("yMin"))
                })
                .collect()
        })
        .collect()
}

#[test]
fn libreoffice_prints_no_type_under_nine_points() {
    let office =
        ["soffice", "libreoffice"].into_iter().find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()));
    let pdftotext = Command::new("pdftotext").arg("-v").output().is_ok();
    let (Some(office), true) = (office, pdftotext) else {
        eprintln!("LibreOffice or pdftotext not installed: the printed check is skipped (the page-setup check still runs)");
        return;
    };
    let (dir, book) = consolidate("報告回答票");
    let status = Command::new(office).args(["--headless", "--convert-to", "pdf", "--outdir"]).arg(dir.path()).arg(&book).output().unwrap();
    assert!(status.status.success());
    let pages = word_heights(&dir.path().join("集計.pdf"));
    // A word's box is taller than its type by the font's ascent and descent: measure that on
    // the cover, whose contents are 12 pt at 100 %.
    let cover = &pages[0];
    let twelve = cover.iter().find(|(_, t, _)| t.starts_with("各事業の進捗状況")).expect("the cover lists the project sheets").0;
    let ratio = twelve / 12.0;
    let mut smallest = (f64::MAX, 0, String::new());
    for (i, page) in pages.iter().enumerate() {
        for (h, t, _) in page {
            if *h / ratio < smallest.0 {
                smallest = (*h / ratio, i + 1, t.clone());
            }
        }
    }
    assert!(smallest.0 >= 9.0 - 0.05, "page {}: {:?} prints at {:.2} pt", smallest.1, smallest.2, smallest.0);

    // The footers print the pages the 一覧表 gives: the first page of each project sheet.
    let mut wb = calamine::open_workbook_auto(&book).unwrap();
    use calamine::Reader;
    let list = wb.worksheet_range("一覧表").unwrap();
    let listed: BTreeMap<String, String> = (0..list.height() as u32)
        .filter_map(|r| {
            let code = list.get_value((r, 3))?.to_string();
            let page = list.get_value((r, 6))?.to_string();
            page.chars().next().filter(|c| c.is_ascii_digit())?;
            Some((code, page.split([',', '～']).next().unwrap().trim().to_string()))
        })
        .collect();
    let mut printed: BTreeMap<String, String> = BTreeMap::new();
    for page in &pages {
        let bottom: Vec<&(f64, String, f64)> = page.iter().filter(|(_, _, y)| *y > 540.0).collect();
        let code = bottom.iter().find(|(_, t, _)| listed.contains_key(t));
        let number = bottom.iter().find(|(_, t, _)| t.chars().all(|c| c.is_ascii_digit()));
        if let (Some(c), Some(n)) = (code, number) {
            printed.entry(c.1.clone()).or_insert(n.1.clone());
        }
    }
    assert_eq!(printed.len(), listed.len(), "every project sheet's footer was found");
    assert_eq!(printed, listed);
}

#[test]
fn chart_colours_carry_meaning_and_empty_series_are_left_out() {
    let (_dir, book) = consolidate("報告回答票");
    let mut wb = calamine::open_workbook_auto(&book).unwrap();
    use calamine::Reader;
    let status = wb.worksheet_range("進捗状況").unwrap();
    let header = |col: u32| status.get_value((0, col)).map(|v| v.to_string()).unwrap_or_default();
    let xml = part(&book, "xl/charts/chart1.xml").unwrap();
    let mut colours: BTreeMap<String, String> = BTreeMap::new();
    for ser in xml.split("<c:ser>").skip(1) {
        let name_ref = ser.split("<c:f>").nth(1).unwrap().split('<').next().unwrap();
        let letters: String = name_ref.rsplit('!').next().unwrap().chars().filter(|c| c.is_ascii_alphabetic()).collect();
        let colour = ser.split("srgbClr val=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        colours.insert(header(col_index(&letters) - 1), colour);
    }
    let warm = |c: &str| u32::from_str_radix(&c[0..2], 16).unwrap() > u32::from_str_radix(&c[4..6], 16).unwrap();
    let grey = |c: &str| c[0..2] == c[2..4] && c[2..4] == c[4..6];
    // The plan's 要対応区分 (遅れ, 未着手) warm; the rest cool; a word not in the list grey.
    for word in ["遅れ", "未着手"] {
        assert!(warm(&colours[word]), "{word}: {}", colours[word]);
    }
    for word in ["済", "概ね順調", "休止"] {
        assert!(!warm(&colours[word]) && !grey(&colours[word]), "{word}: {}", colours[word]);
    }
    assert!(grey(&colours["要確認"]));
    // Nothing was left blank: no 未記入 series, no legend entry for it.
    assert!(!colours.contains_key("未記入"), "{colours:?}");
}

#[test]
fn many_project_sheets_go_on_in_volumes_beside_the_packet() {
    let dir = sample_copy("報告回答票");
    let d = dir.path();
    let out =
        kaito(&["consolidate", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--output", "集計.xlsx", "--sheets-per-book", "10"], d);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let names = |p: &str| printed_sheets(&d.join(p)).into_iter().map(|s| s.name).collect::<Vec<_>>();
    let packet = names("集計.xlsx");
    assert_eq!(packet.len(), 4 + 10, "{packet:?}");
    let (two, three) = (names("集計_分冊02.xlsx"), names("集計_分冊03.xlsx"));
    assert_eq!((two.len(), three.len()), (10, 8));
    assert!(!d.join("集計_分冊04.xlsx").exists());
    // The 一覧表 sends a project of volume 2 to that file, and its footer starts there.
    let mut wb = calamine::open_workbook_auto(d.join("集計.xlsx")).unwrap();
    use calamine::Reader;
    let list = wb.worksheet_range("一覧表").unwrap();
    let row = (0..list.height() as u32).find(|r| list.get_value((*r, 3)).map(|v| v.to_string()) == Some(two[0].clone())).unwrap();
    let label = list.get_value((row, 6)).unwrap().to_string();
    assert!(label.ends_with("(集計_分冊02.xlsx)"), "{label}");
    let first = label.split([',', '～', '(']).next().unwrap().trim().to_string();
    let xml = part(&d.join("集計_分冊02.xlsx"), "xl/worksheets/sheet1.xml").unwrap();
    assert!(xml.contains(&format!("firstPageNumber=\"{first}\"")), "{first}");
    let rels = part(&d.join("集計.xlsx"), "xl/worksheets/_rels/sheet2.xml.rels").unwrap();
    assert!(rels.contains("Target=\"集計_分冊02.xlsx\"") && rels.contains("Target=\"集計_分冊03.xlsx\""), "{rels}");
    // The office workbook's findings reach a sheet in a volume in that volume.
    let volume_of = |code: &str| {
        ["集計.xlsx", "集計_分冊02.xlsx", "集計_分冊03.xlsx"]
            [[&packet, &two, &three].iter().position(|v| v.contains(&code.to_string())).unwrap()]
    };
    let findings = part(&d.join("集計_事務用.xlsx"), "xl/worksheets/_rels/sheet2.xml.rels").unwrap();
    assert!(findings.contains(&format!("Target=\"{}\"", volume_of("0706-03"))), "{findings}");
}
