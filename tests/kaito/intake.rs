//! Intake that nothing can break: each hostile or broken input, built here, gets its outcome
//! and its message; every run is safe to repeat.

use crate::common::*;
use crate::fixtures;
use kaito::draw::{DrawOptions, Input};
use kaito::grid::Limits;
use kaito::intake::{self, Outcome};
use kaito::layout::Layout;
use std::path::{Path, PathBuf};

fn read(path: &Path) -> intake::ReadFile {
    intake::read_file(path, &path.display().to_string(), &Layout::bundled(), &Limits::default())
}

fn rejected_with(path: &Path, words: &str) {
    let r = read(path);
    assert_eq!(r.record.outcome, Outcome::Rejected, "{path:?}");
    let reason = r.record.reason.unwrap_or_default();
    assert!(reason.contains(words), "{path:?}: {reason}");
}

/// A clean 0701-01 sheet as .xlsx bytes, and its grid.
fn clean_sheet(dir: &Path) -> (PathBuf, Vec<u8>) {
    let plan = sample_plan();
    let a = good_answers(&plan, "0701-01");
    let p = draw_file(dir, "0701-01.xlsx", &plan, "0701-01", p2021h1(), &a, &DrawOptions::default(), "0701-01");
    let bytes = std::fs::read(&p).unwrap();
    (p, bytes)
}

#[test]
fn broken_and_foreign_files_are_rejected_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_, good) = clean_sheet(d);
    std::fs::write(d.join("empty.xlsx"), b"").unwrap();
    rejected_with(&d.join("empty.xlsx"), "ファイルが壊れています");
    std::fs::write(d.join("half.xlsx"), &good[..good.len() / 2]).unwrap();
    rejected_with(&d.join("half.xlsx"), "ファイルが壊れています");
    std::fs::write(d.join("list.xlsx"), "事業コード,取組状況\n0701-01,順調\n").unwrap();
    rejected_with(&d.join("list.xlsx"), ".xlsx 形式にして");
    std::fs::write(d.join("web.xls"), "<html><body><table><tr><td>0701-01</td></tr></table></body></html>").unwrap();
    rejected_with(&d.join("web.xls"), "Webページ");
    std::fs::write(
        d.join("locked.xlsx"),
        fixtures::cfb_with(&[("EncryptionInfo", b"\x04\x00\x04\x00"), ("EncryptedPackage", &[7u8; 600])]),
    )
    .unwrap();
    rejected_with(&d.join("locked.xlsx"), "パスワード");
}

#[test]
fn lock_files_and_non_excel_files_are_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    clean_sheet(d);
    std::fs::write(d.join("~$0701-01.xlsx"), [0u8; 165]).unwrap();
    std::fs::write(d.join("readme.txt"), "メモ").unwrap();
    let files = intake::discover(&[d.to_path_buf()]).unwrap();
    let all = intake::read_all(&files, &Layout::bundled(), &Limits::default());
    assert_eq!(all.len(), 3);
    let lock = all.iter().find(|r| r.record.shown.contains("~$")).unwrap();
    assert_eq!(lock.record.outcome, Outcome::Ignored);
    let warn = &lock.findings[0];
    assert_eq!(warn.rule, "file-open-in-excel");
    assert!(warn.message().contains("0701-01.xlsx") && warn.message().contains("保存されていない変更"));
    assert_eq!(all.iter().find(|r| r.record.shown.ends_with("readme.txt")).unwrap().record.outcome, Outcome::Ignored);
}

#[test]
fn xls_and_ods_read_like_xlsx_and_excel95_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (xlsx, bytes) = clean_sheet(d);
    let grid = kaito::grid::open(&bytes, &Limits::default()).unwrap().sheets.remove(0);
    std::fs::write(d.join("a.ods"), fixtures::ods(&grid)).unwrap();
    std::fs::write(d.join("a.xls"), fixtures::xls(&grid)).unwrap();
    std::fs::write(d.join("old.xls"), fixtures::xls_with_stream(&grid, "Book", 0x0500)).unwrap();
    let plan = sample_plan();
    let (_, base, base_read) = check_file(&xlsx, &plan, p2021h1());
    assert!(problems(&base).is_empty());
    for name in ["a.ods", "a.xls"] {
        let (_, findings, r) = check_file(&d.join(name), &plan, p2021h1());
        assert_eq!(r.sheets.len(), 1, "{name}: {:?}", r.record.reason);
        assert!(problems(&findings).is_empty(), "{name}: {findings:?}");
        let (x, y) = (&base_read.sheets[0], &r.sheets[0]);
        assert_eq!(x.code.text(), y.code.text());
        assert_eq!(x.progress.as_ref().unwrap().text(), y.progress.as_ref().unwrap().text());
        assert_eq!(x.effect[&2020].amount.value, y.effect[&2020].amount.value);
        let sx: Vec<_> = x.activities.iter().flat_map(|a| a.status.iter().map(|(p, f)| (*p, f.text(), f.a1()))).collect();
        let sy: Vec<_> = y.activities.iter().flat_map(|a| a.status.iter().map(|(p, f)| (*p, f.text(), f.a1()))).collect();
        assert_eq!(sx, sy, "{name}");
    }
    rejected_with(&d.join("old.xls"), "Excel 95");
}

#[test]
fn macros_are_noted_never_run() {
    let dir = tempfile::tempdir().unwrap();
    let (_, bytes) = clean_sheet(dir.path());
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        for i in 0..src.len() {
            z.raw_copy_file(src.by_index_raw(i).unwrap()).unwrap();
        }
        z.start_file("xl/vbaProject.bin", zip::write::SimpleFileOptions::default()).unwrap();
        std::io::Write::write_all(&mut z, b"Attribute VB_Name = \"Module1\"").unwrap();
        z.finish().unwrap();
    }
    let p = dir.path().join("0701-01.xlsm");
    std::fs::write(&p, out.into_inner()).unwrap();
    let r = read(&p);
    assert_eq!(r.sheets.len(), 1);
    assert!(r.findings.iter().any(|f| f.rule == "macros"));
}

#[test]
fn zip_bombs_doctype_and_absurd_string_counts_are_refused_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_, bytes) = clean_sheet(d);
    // A sheet that inflates past the limit (the limit is an option; here 1 MiB).
    let bomb = fixtures::patch_zip(&bytes, "xl/worksheets/sheet1.xml", |x| {
        x.replacen("<sheetData>", &format!("<sheetData>{}", " ".repeat(2 << 20)), 1)
    });
    std::fs::write(d.join("bomb.xlsx"), &bomb).unwrap();
    assert!(bomb.len() < 200_000);
    let limits = Limits { max_inflated_bytes: 1 << 20, ..Limits::default() };
    let r = intake::read_file(&d.join("bomb.xlsx"), "bomb.xlsx", &Layout::bundled(), &limits);
    assert_eq!(r.record.outcome, Outcome::Rejected);
    assert!(r.record.reason.as_deref().unwrap().contains("上限 1048576"), "{:?}", r.record.reason);

    let dtd = fixtures::patch_zip(&bytes, "xl/worksheets/sheet1.xml", |x| {
        x.replacen("?>", "?><!DOCTYPE lol [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]>", 1)
    });
    std::fs::write(d.join("dtd.xlsx"), dtd).unwrap();
    rejected_with(&d.join("dtd.xlsx"), "DOCTYPE");
    // The same in the parts the parser reads besides the sheets.
    for part in ["xl/workbook.xml", "xl/sharedStrings.xml", "xl/styles.xml", "xl/theme/theme1.xml"] {
        let dtd = fixtures::patch_zip(&bytes, part, |x| x.replacen("?>", "?><!DOCTYPE lol [<!ENTITY a \"aaaaaaaaaa\">]>", 1));
        std::fs::write(d.join("dtd2.xlsx"), dtd).unwrap();
        // The theme holds only colours, which kaito never reads: a response sheet's is left
        // out of what calamine parses. A workbook too large to keep inflated (a plan) has it
        // parsed, and refused.
        if part.contains("theme") {
            let r = intake::read_file(&d.join("dtd2.xlsx"), "dtd2.xlsx", &Layout::bundled(), &Limits::default());
            assert_ne!(r.record.outcome, Outcome::Rejected, "{:?}", r.record.reason);
        } else {
            rejected_with(&d.join("dtd2.xlsx"), "DOCTYPE");
        }
        let streamed = Limits { max_kept_inflated_bytes: 0, ..Limits::default() };
        let r = intake::read_file(&d.join("dtd2.xlsx"), "dtd2.xlsx", &Layout::bundled(), &streamed);
        assert_eq!(r.record.outcome, Outcome::Rejected, "{part}");
        assert!(r.record.reason.as_deref().unwrap().contains("DOCTYPE"), "{part}: {:?}", r.record.reason);
    }

    let sst = fixtures::patch_zip(&bytes, "xl/sharedStrings.xml", |x| {
        let start = x.find("count=\"").unwrap();
        let end = x[start..].find('>').unwrap() + start;
        format!("{}count=\"4000000000\" uniqueCount=\"4000000000\"{}", &x[..start], &x[end..])
    });
    std::fs::write(d.join("sst.xlsx"), sst).unwrap();
    rejected_with(&d.join("sst.xlsx"), "共有文字列");

    // Many cells sharing few strings is what a large plan looks like: only the number of
    // distinct strings is held against the part's size.
    let shared = fixtures::patch_zip(&bytes, "xl/sharedStrings.xml", |x| {
        let start = x.find("count=\"").unwrap();
        let end = x[start..].find(" uniqueCount").unwrap() + start;
        format!("{}count=\"4000000000\"{}", &x[..start], &x[end..])
    });
    std::fs::write(d.join("shared.xlsx"), shared).unwrap();
    let r = intake::read_file(&d.join("shared.xlsx"), "shared.xlsx", &Layout::bundled(), &Limits::default());
    assert_ne!(r.record.outcome, Outcome::Rejected, "{:?}", r.record.reason);
}

#[test]
fn a_value_in_xfd1048576_costs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "事業コード").unwrap();
    ws.write_string(0, 1, "0701-01").unwrap();
    ws.write_string(2, 0, "活動内容").unwrap();
    ws.write_string(1_048_575, 16_383, "x").unwrap();
    let p = dir.path().join("far.xlsx");
    wb.save(&p).unwrap();
    assert!(std::fs::metadata(&p).unwrap().len() < 10_000);
    let r = read(&p);
    let f = r.findings.iter().find(|f| f.rule == "cells-outside-layout").expect("reported");
    assert_eq!(f.cell_ref(), Some("XFD1048576"));
    assert_eq!(r.sheets.len(), 1);
}

#[test]
fn formulas_and_error_values_in_input_cells() {
    let dir = tempfile::tempdir().unwrap();
    let plan = sample_plan();
    let project = plan.project("0701-01").unwrap();
    let draw = |name: &str, patch: &dyn Fn(String) -> String| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet().set_name("0701-01").unwrap();
        let mut a = good_answers(&plan, "0701-01");
        a.effect.clear();
        kaito::draw::response_sheet(ws, &plan, project, p2021h1(), &a, &Layout::bundled(), &DrawOptions::default()).unwrap();
        ws.write_formula(19, 3, rust_xlsxwriter::Formula::new("=14000+235").set_result("14235")).unwrap();
        let bytes = wb.save_to_buffer().unwrap();
        let bytes = fixtures::patch_zip(&bytes, "xl/worksheets/sheet1.xml", patch);
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        check_file(&p, &plan, p2021h1())
    };
    let (_, findings, r) = draw("cached.xlsx", &|x| x);
    assert!(problems(&findings).is_empty(), "{findings:?}");
    assert!(findings.iter().any(|f| f.rule == "formula" && f.cell_ref() == Some("D20")));
    assert_eq!(kaito::validate::amount_of(&r.sheets[0].effect[&2020].amount).amount, kaito::normalize::Amount::Value(14235));

    let (_, findings, _) = draw("nocache.xlsx", &|x| x.replace("<v>14235</v>", ""));
    assert_eq!(problems(&findings), vec![("formula-no-value".to_string(), "D20".to_string())]);

    let (_, findings, _) = draw("error.xlsx", &|x| {
        let i = x.find("<f>14000+235</f>").unwrap();
        let c = x[..i].rfind("<c ").unwrap();
        format!("{}<c r=\"D20\" t=\"e\"><f>14000+235</f><v>#N/A</v></c>{}", &x[..c], &x[x[i..].find("</c>").unwrap() + i + 4..])
    });
    assert_eq!(problems(&findings), vec![("cell-error".to_string(), "D20".to_string())]);
    assert!(findings.iter().any(|f| f.rule == "cell-error" && f.message().contains("#N/A")));
}

fn hash_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    v.sort();
    v
}

fn all_cells(path: &Path) -> Vec<(String, String)> {
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(path).unwrap();
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        for (r, c, v) in range.used_cells() {
            out.push((format!("{name}!{r},{c}"), v.to_string()));
        }
    }
    out
}

/// Consolidates, in `d`, one 0701-01 sheet whose 取組状況 is `long` (put into the file
/// directly: the writer would refuse a text over Excel's limit), the answers otherwise good
/// and changed by `more`; gives the JSON summary.
fn consolidated_with_progress(d: &Path, long: &str, more: impl FnOnce(&mut kaito::draw::Answers)) -> serde_json::Value {
    let plan = sample_plan();
    let mut a = good_answers(&plan, "0701-01");
    a.progress = Some("LONGTEXT".into());
    more(&mut a);
    std::fs::create_dir(d.join("回答")).unwrap();
    let p = draw_file(&d.join("回答"), "x.xlsx", &plan, "0701-01", p2021h1(), &a, &DrawOptions::default(), "0701-01");
    let bytes = fixtures::patch_zip(&std::fs::read(&p).unwrap(), "xl/sharedStrings.xml", |x| x.replace("LONGTEXT", long));
    std::fs::write(&p, bytes).unwrap();
    std::fs::copy(root().join("samples/報告回答票/計画.xlsx"), d.join("計画.xlsx")).unwrap();
    let out = kaito(&["consolidate", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--output", "o.xlsx", "--json", "s.json"], d);
    assert!(out.status.code() == Some(0) || out.status.code() == Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    read_json(&d.join("s.json"))
}

#[test]
fn long_texts_and_formula_like_texts_reach_the_output_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let json = consolidated_with_progress(d, &"あ".repeat(40_000), |a| {
        a.countermeasures = Some("=SUM(A1:A3)".into());
        a.results = vec![Some("+0.47ポイント".into())];
        a.contact = Some("@内線2000".into());
    });
    assert!(json["findings"].as_array().unwrap().iter().any(|f| f["rule"] == "text-too-long" && f["cell"] == "L9"));
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(d.join("o_事務用.xlsx")).unwrap();
    let list = wb.worksheet_range("事業一覧").unwrap();
    let formulas = wb.worksheet_formula("事業一覧").unwrap();
    let row = (0..list.height() as u32).find(|r| list.get_value((*r, 0)) == Some(&calamine::Data::String("0701-01".into()))).unwrap();
    let cells: Vec<String> =
        (0..list.width() as u32).map(|c| list.get_value((row, c)).map(|v| v.to_string()).unwrap_or_default()).collect();
    assert!(cells.iter().any(|c| c.chars().count() == 32_767 && c.starts_with("あああ")));
    assert!(cells.iter().any(|c| c == "=SUM(A1:A3)"));
    assert!(cells.iter().any(|c| c == "+0.47ポイント"));
    assert!(cells.iter().any(|c| c == "@内線2000"));
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formula written");
}

/// Excel counts a cell's characters in UTF-16 units (an emoji counts two): a text over the
/// limit only by that count is reported and cut where Excel would cut it, and the run still
/// writes its workbooks.
#[test]
fn a_text_over_the_cell_limit_by_excels_count_is_cut_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 32,766 characters and an emoji: 32,767 characters, 32,768 UTF-16 units.
    let json = consolidated_with_progress(d, &format!("{}😀", "あ".repeat(32_766)), |_| {});
    let found = json["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "text-too-long" && f["cell"] == "L9");
    assert!(found.is_some_and(|f| f["message"].as_str().unwrap().contains("32768 文字")), "{found:?}");
    use calamine::Reader;
    let mut wb = calamine::open_workbook_auto(d.join("o_事務用.xlsx")).unwrap();
    let list = wb.worksheet_range("事業一覧").unwrap();
    assert!(list.used_cells().any(|(_, _, v)| *v == calamine::Data::String("あ".repeat(32_766))));
}

#[test]
fn running_twice_gives_the_same_workbook_and_leaves_inputs_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_tree(&root().join("samples/報告回答票"), d);
    let before = hash_tree(&d.join("回答"));
    let args = ["consolidate", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--output", "集計.xlsx"];
    kaito(&args, d);
    let read = || [all_cells(&d.join("集計.xlsx")), all_cells(&d.join("集計_事務用.xlsx"))].concat();
    let first = read();
    kaito(&args, d);
    let second = read();
    assert_eq!(first, second);
    assert!(first.len() > 500);
    assert_eq!(before, hash_tree(&d.join("回答")));
    assert!(std::fs::read_dir(d).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".tmp")), "no temporary file left");
}

/// The packet's sheets are drawn and its workbooks made on every core at once: what comes out
/// must not depend on how the work fell. One core and all of them write the same parts (the
/// creation time in docProps/core.xml aside), for the card with volumes and for the table.
#[test]
fn one_core_or_all_write_the_same_workbooks_part_for_part() {
    let runs: [(&str, &[&str]); 2] =
        [("samples/報告回答票", &["--period", "2021H1", "--sheets-per-book", "3"]), ("samples/進捗管理表", &[])];
    for (sample, extra) in runs {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        copy_tree(&root().join(sample), d);
        let mut args = vec!["consolidate", "--plan", "計画.xlsx", "回答", "--output", "集計.xlsx"];
        args.extend(extra);
        let written = |threads: &str| {
            let out = kaito_env(&args, d, &[("RAYON_NUM_THREADS", threads)]);
            assert!(out.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&out.stderr));
            let mut books: Vec<(String, Vec<(String, Vec<u8>)>)> = std::fs::read_dir(d)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("集計"))
                .map(|p| {
                    let parts = fixtures::unzip_all(&std::fs::read(&p).unwrap(), &["docProps/core.xml"]);
                    (p.file_name().unwrap().to_string_lossy().to_string(), parts)
                })
                .collect();
            books.sort();
            books
        };
        let one = written("1");
        let all = written("4");
        assert!(one.len() >= 2, "{sample}: {:?}", one.iter().map(|(n, _)| n).collect::<Vec<_>>());
        assert_eq!(one.iter().map(|(n, _)| n).collect::<Vec<_>>(), all.iter().map(|(n, _)| n).collect::<Vec<_>>());
        for ((name, a), (_, b)) in one.iter().zip(&all) {
            assert_eq!(a.iter().map(|(p, _)| p).collect::<Vec<_>>(), b.iter().map(|(p, _)| p).collect::<Vec<_>>(), "{name}");
            for ((part, x), (_, y)) in a.iter().zip(b) {
                assert!(x == y, "{sample} {name} {part} differs between one core and four");
            }
        }
    }
}

#[test]
fn output_that_cannot_be_written_exits_two_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_tree(&root().join("samples/報告回答票"), d);
    std::fs::create_dir(d.join("集計.xlsx")).unwrap(); // a folder where the file should go
    let out = kaito(&["consolidate", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--output", "集計.xlsx"], d);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("集計.xlsx"));
}

#[test]
fn every_value_of_every_accepted_sheet_reaches_the_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_tree(&root().join("samples/報告回答票"), d);
    kaito(&["consolidate", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--output", "集計.xlsx"], d);
    let cells: std::collections::HashSet<String> = all_cells(&d.join("集計_事務用.xlsx"))
        .into_iter()
        .filter(|(k, _)| k.starts_with("明細!") || k.starts_with("事業一覧!"))
        .map(|(_, v)| v)
        .collect();
    let plan = sample_plan();
    let ctx = kaito::validate::Context { plan: &plan, period: p2021h1(), hints: Layout::bundled().hints() };
    let files = intake::discover(&[d.join("回答")]).unwrap();
    let mut checked = 0;
    for f in intake::read_all(&files, &Layout::bundled(), &Limits::default()) {
        for s in &f.sheets {
            if s.period.as_ref().map(|p| p.0) != Some(p2021h1())
                || f.record.shown.contains("コピー")
                || (f.record.shown.ends_with("調達事業.xlsx"))
            {
                continue;
            }
            let mut values: Vec<String> = vec![];
            for a in &s.activities {
                for field in a.status.values().filter(|x| !x.is_empty()) {
                    values.push(match kaito::validate::status_of(field, &ctx) {
                        kaito::normalize::Status::Code { code, .. } => code,
                        _ => field.text(),
                    });
                }
            }
            for field in [&s.progress, &s.countermeasures, &s.responding_department, &s.person, &s.contact].into_iter().flatten() {
                if !field.is_empty() {
                    values.push(field.text());
                }
            }
            for o in &s.outcomes {
                if !o.result.is_empty() {
                    values.push(o.result.text());
                }
            }
            for e in s.effect.values() {
                match kaito::validate::amount_of(&e.amount).amount {
                    kaito::normalize::Amount::Value(v) => values.push(v.to_string()),
                    kaito::normalize::Amount::Empty => {}
                    _ => values.push(e.amount.text()),
                }
                if !e.basis.is_empty() {
                    values.push(e.basis.text());
                }
            }
            for v in values {
                assert!(cells.contains(&v), "{}: {v:?} is not in the workbook", f.record.shown);
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
    let _ = Input::Text(String::new());
}

#[test]
fn killing_the_process_while_it_writes_never_damages_the_previous_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    copy_tree(&root().join("samples/報告回答票"), d);
    let args = ["consolidate", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--output", "集計.xlsx", "--json", "s.json"];
    kaito(&args, d);
    let previous = std::fs::read(d.join("集計.xlsx")).unwrap();
    // Kill runs at many moments, early to late; the output is always the old workbook or a
    // complete new one, never a torn file.
    for delay_ms in (0..400).step_by(25) {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kaito"))
            .args(args)
            .current_dir(d)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let now = std::fs::read(d.join("集計.xlsx")).unwrap();
        // The JSON is written the same way, never left empty or cut.
        let json = std::fs::read(d.join("s.json")).unwrap();
        assert!(serde_json::from_slice::<serde_json::Value>(&json).is_ok(), "after {delay_ms} ms");
        if now != previous {
            use calamine::Reader;
            let wb = calamine::open_workbook_auto(d.join("集計.xlsx")).expect("a complete workbook");
            assert!(wb.sheet_names().len() > 9, "after {delay_ms} ms");
        }
    }
}

/// Every input the fuzzer (`fuzz/`, `cargo fuzz run read_sheet`) found crashing the reader is
/// kept under tests/fixtures/fuzz and must now be read or refused calmly — without relying on
/// the catch_unwind backstop.
#[test]
fn fuzz_regressions_are_refused_without_panicking() {
    let dir = root().join("tests/fixtures/fuzz");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        let result = std::panic::catch_unwind(|| {
            if let Ok(book) = kaito::grid::open(&bytes, &Limits::default()) {
                for g in &book.sheets {
                    let _ = kaito::read::response_sheet(g, &Layout::bundled());
                }
            }
        });
        assert!(result.is_ok(), "panicked");
        n += 1;
    }
    assert!(n >= 1);
}

#[test]
fn reading_counts_the_files_for_the_progress_bar() {
    let dir = samples();
    let files = kaito::intake::discover(&[dir.path().join("回答")]).unwrap();
    let before = kaito::intake::progress();
    kaito::intake::read_all(&files, &kaito::layout::Layout::bundled(), &kaito::grid::Limits::default());
    let after = kaito::intake::progress();
    // Other tests read in parallel in this process: at least these files were added.
    assert!(after.0 >= before.0 + files.len() && after.1 >= before.1 + files.len(), "{before:?} → {after:?}");
}

/// What a file read ahead of its plan becomes is what it becomes read after: which files are
/// read ahead depends on how long the plan takes, and must change nothing but when.
#[test]
fn files_read_ahead_of_the_plan_come_out_as_files_read_after_it_within_the_bound() {
    use std::sync::atomic::AtomicBool;
    let dir = samples();
    let files = kaito::intake::discover(&[dir.path().join("回答")]).unwrap();
    let (limits, layout) = (kaito::grid::Limits::default(), Layout::bundled());
    let extract = |g: &kaito::grid::Grid| kaito::read::response_sheet(g, &layout).into_iter().collect::<Vec<_>>();
    let none_found = kaito::intake::card_none_found(&layout);
    let seen = |r: &kaito::intake::ReadFile| {
        let sheets: Vec<_> = r.sheets.iter().map(|s| format!("{s:?}")).collect();
        let findings: Vec<_> = r.findings.iter().map(|f| (f.rule, f.cell_ref().map(str::to_string), f.message().to_string())).collect();
        (r.record.shown.clone(), r.record.outcome, r.record.sha256, sheets, findings)
    };
    let all = kaito::intake::read_all(&files, &layout, &limits);
    assert!(all.len() >= 20, "{}", all.len());
    let sizes: Vec<u64> = files.iter().map(|f| std::fs::metadata(&f.path).map(|m| m.len()).unwrap_or(0)).collect();
    let total: u64 = sizes.iter().sum();
    // No bound, half the bytes, none; and the plan already read: nothing ahead.
    for (budget, waiting) in [(u64::MAX, true), (total / 2, true), (0, true), (u64::MAX, false)] {
        let ahead = kaito::intake::read_ahead(&files, &limits, &extract, &none_found, &AtomicBool::new(waiting), budget);
        let places = ahead.places();
        assert!(places.windows(2).all(|w| w[0] < w[1]), "{places:?}");
        let held: u64 = places.iter().map(|i| sizes[*i]).sum();
        let count = places.len();
        assert!(held <= budget, "{held} bytes read ahead beyond {budget}");
        match (budget, waiting) {
            (u64::MAX, true) => assert_eq!(count, files.len()),
            (_, false) => assert_eq!(count, 0),
            (0, _) => assert_eq!(count, files.iter().zip(&sizes).filter(|(_, s)| **s == 0).count()),
            _ => assert!(count > 0 && count < files.len(), "{count} of {}", files.len()),
        }
        let mut rest = Vec::new();
        kaito::intake::read_rest_each(&files, ahead, &limits, &extract, &none_found, &|r| seen(&r), &mut |r| rest.push(r));
        assert_eq!(rest, all.iter().map(seen).collect::<Vec<_>>(), "budget {budget}, waiting {waiting}");
    }
}

#[test]
fn the_ledger_gives_each_file_its_sha256_and_none_to_a_file_never_read() {
    use sha2::{Digest, Sha256};
    let dir = samples();
    let d = dir.path();
    // Excel's lock file: in the ledger, never read.
    std::fs::write(d.join("回答/~$0701-01.xlsx"), b"lock").unwrap();
    let (_, json, text) = run_json(d, &["check", "--plan", "計画.xlsx", "--period", "2021H1", "回答"]);
    let files = json["files"].as_array().unwrap();
    assert!(files.len() > 5, "{text}");
    for f in files {
        let path = f["path"].as_str().unwrap();
        let expected = if f["outcome"] == "ignored" {
            String::new()
        } else {
            Sha256::digest(std::fs::read(d.join(path)).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
        };
        assert_eq!(f["sha256"], expected.as_str(), "{path}");
    }
    assert!(files.iter().any(|f| f["outcome"] == "ignored" && f["sha256"] == ""), "{text}");
}
