//! The working folder: `kaito init`, every command without flags inside it (or below it),
//! `kaito` alone for the whole job, files dropped on the executable, and the window kept open.

use crate::common::*;
use calamine::Reader;
use std::path::Path;

/// A working folder made by `kaito init` in a fresh temporary folder, with the sample's
/// returned sheets copied into its 回答/.
fn folder_with_answers(form: Option<&str>, sample: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["init", "作業"];
    if let Some(f) = form {
        args.extend(["--form", f]);
    }
    let out = kaito(&args, dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    copy_tree(&root().join("samples").join(sample).join("回答"), &dir.path().join("作業/回答"));
    dir
}

fn text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The run could not be done (exit 2), and said so with `words`.
fn refused(out: &std::process::Output, words: &str) {
    assert_eq!(out.status.code(), Some(2), "{}", text(out));
    assert!(text(out).contains(words), "{}", text(out));
}

/// Every cell of a sheet, as text, row by row.
fn cells(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut wb = calamine::open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

#[test]
fn init_makes_the_folders_and_a_settings_file_in_japanese() {
    let dir = tempfile::tempdir().unwrap();
    let out = kaito(&["init", "R3上期"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let w = dir.path().join("R3上期");
    for sub in ["計画", "送付", "回答", "集計", "差戻し"] {
        assert!(w.join(sub).is_dir(), "{sub}");
    }
    // The plan to fill in is the bundled example, byte for byte.
    assert_eq!(std::fs::read(w.join("計画/計画.xlsx")).unwrap(), std::fs::read(root().join("samples/報告回答票/計画.xlsx")).unwrap());
    let settings = std::fs::read_to_string(w.join("kaito.toml")).unwrap();
    for words in ["plan = \"計画/計画.xlsx\"", "period = \"2021H1\"", "form = \"報告回答票\"", "# 報告期間", "answers = \"回答\""]
    {
        assert!(settings.contains(words), "{words}\n{settings}");
    }
    // A second init in the same place is refused, and changes nothing.
    let again = kaito(&["init", "R3上期"], dir.path());
    refused(&again, "すでに作業フォルダです");
    assert_eq!(std::fs::read_to_string(w.join("kaito.toml")).unwrap(), settings);
    // An unknown form names the ones there are.
    let wrong = kaito(&["init", "x", "--form", "様式Z"], dir.path());
    refused(&wrong, "進捗管理表");
}

#[test]
fn in_the_folder_every_command_works_without_flags_and_as_with_them() {
    let dir = folder_with_answers(None, "報告回答票");
    let w = dir.path().join("作業");
    // check: the same report as with every flag written out.
    let bare = kaito(&["check"], &w);
    let flagged = kaito(&["check", "--plan", "計画/計画.xlsx", "--period", "2021H1", "回答"], &w);
    assert_eq!(bare.status.code(), Some(1), "{}", text(&bare));
    assert_eq!(text(&bare), text(&flagged));
    assert!(text(&bare).contains("事業: 計画 29 件、提出 28 件、未提出 1 件"), "{}", text(&bare));
    // consolidate: the packet goes to 集計/, named by the period, and holds what the flagged
    // run's packet holds.
    let out = kaito(&["consolidate"], &w);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let packet = w.join("集計/集計_2021H1.xlsx");
    assert!(packet.is_file() && w.join("集計/集計_2021H1_事務用.xlsx").is_file(), "{}", text(&out));
    let out = kaito(&["consolidate", "--plan", "計画/計画.xlsx", "--period", "2021H1", "回答", "--output", "比較.xlsx"], &w);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(cells(&packet, "一覧表"), cells(&w.join("比較.xlsx"), "一覧表"));
    assert_eq!(cells(&packet, "進捗状況"), cells(&w.join("比較.xlsx"), "進捗状況"));
    // feedback: into 差戻し/.
    let out = kaito(&["feedback"], &w);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    for f in ["差戻し_職員課_2021H1.xlsx", "差戻し_職員課_2021H1.txt", "提出依頼_都市整備課_2021H1.xlsx"] {
        assert!(w.join("差戻し").join(f).is_file(), "{f}: {}", text(&out));
    }
    // template: the period's sheets into 送付/, one per project, and the dispatch list.
    let out = kaito(&["template"], &w);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(w.join("送付/送付一覧.xlsx").is_file());
    let sent = walk(&w.join("送付")).into_iter().filter(|p| p.file_name().unwrap() != "送付一覧.xlsx").count();
    assert_eq!(sent, 29);
    // plan
    let out = kaito(&["plan"], &w);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("事業: 29 件"), "{}", text(&out));
}

#[test]
fn the_folder_is_found_from_any_folder_below_it() {
    let dir = folder_with_answers(None, "報告回答票");
    let w = dir.path().join("作業");
    let deep = w.join("回答/さらに下");
    std::fs::create_dir_all(&deep).unwrap();
    let from_top = kaito(&["check"], &w);
    let from_below = kaito(&["check"], &deep);
    assert_eq!(from_below.status.code(), Some(1));
    assert_eq!(text(&from_top), text(&from_below));
    // Outside any working folder, the flags are asked for, in Japanese.
    let outside = tempfile::tempdir().unwrap();
    let out = kaito(&["check"], outside.path());
    refused(&out, "kaito init");
}

#[test]
fn kaito_alone_does_the_whole_job_and_says_what_it_made() {
    let dir = folder_with_answers(None, "報告回答票");
    let w = dir.path().join("作業");
    let out = kaito(&[], &w.join("回答"));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(w.join("集計/集計_2021H1.xlsx").is_file() && w.join("集計/集計_2021H1_事務用.xlsx").is_file(), "{said}");
    let feedback: Vec<String> = walk(&w.join("差戻し"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".xlsx"))
        .collect();
    assert_eq!(feedback.len(), 4, "{feedback:?}");
    for words in [
        "作ったもの",
        "集計/集計_2021H1.xlsx",
        "差戻し・提出依頼: 4 課",
        "都市整備課: エラー 0 件、警告 0 件、未提出 1 件",
        "未提出: 0701-06",
    ] {
        assert!(said.contains(words), "{words}\n{said}");
    }
    // The packet is the one consolidate makes.
    let out = kaito(&["consolidate", "--output", "比較.xlsx"], &w);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(cells(&w.join("集計/集計_2021H1.xlsx"), "一覧表"), cells(&w.join("比較.xlsx"), "一覧表"));
}

#[test]
fn kaito_alone_in_an_empty_folder_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = kaito(&[], dir.path());
    refused(&out, "kaito init");
    // A new working folder, nothing sent out or returned yet: the period's first step is
    // making the forms to send, so that is what kaito alone does.
    let out = kaito(&["init", "w"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let w = dir.path().join("w");
    let out = kaito(&[], &w);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("回答票がありません") && text(&out).contains("回答票を 29 件作りました"), "{}", text(&out));
    assert_eq!(walk(&w.join("送付")).len(), 30);
    assert!(walk(&w.join("集計")).is_empty());
    // Once they are out, it says where the returned ones go, and makes nothing again.
    let out = kaito(&[], &w);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("回答/ に入れてから") && !text(&out).contains("作りました"), "{}", text(&out));
    assert_eq!(walk(&w.join("送付")).len(), 30);
}

#[test]
fn files_dropped_on_kaito_are_checked_and_consolidated_with_the_folder_above_them() {
    let dir = folder_with_answers(None, "報告回答票");
    let w = dir.path().join("作業");
    let one = w.join("回答/0701-01_民間活力活用事業.xlsx");
    let two = w.join("回答/0703-05_定員適正化事業.xlsx");
    // Dropped from Explorer: the paths are the arguments, and the current folder is elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = kaito(&[one.to_str().unwrap(), two.to_str().unwrap()], elsewhere.path());
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("ファイル: 2 件(受付 2"), "{said}");
    assert!(said.contains("progress-missing"), "{said}");
    let packet = w.join("集計/集計_2021H1.xlsx");
    assert!(packet.is_file(), "{said}");
    let wb = calamine::open_workbook_auto(&packet).unwrap();
    let sheets = wb.sheet_names().to_vec();
    assert!(sheets.contains(&"0701-01".to_string()) && sheets.contains(&"0703-05".to_string()), "{sheets:?}");
    assert!(!sheets.contains(&"0701-02".to_string()), "{sheets:?}");
    // A few files are not the whole return: no department is sent anything.
    assert!(walk(&w.join("差戻し")).is_empty());
    assert!(said.contains("差戻し: 作っていません"), "{said}");
    // A file dropped from outside any working folder: said so, nothing written.
    let loose = elsewhere.path().join("x.xlsx");
    std::fs::copy(&one, &loose).unwrap();
    let out = kaito(&[loose.to_str().unwrap()], elsewhere.path());
    refused(&out, "kaito.toml がありません");
}

/// kaito as a double-click starts it (its own window: KAITO_KEEP_OPEN=1), typing `typed`.
fn double_clicked(dir: &Path, typed: &str) -> String {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_kaito"));
    c.current_dir(dir).env("KAITO_KEEP_OPEN", "1").stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = c.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), typed.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn started_without_a_terminal_it_waits_for_a_key_before_closing() {
    let dir = tempfile::tempdir().unwrap();
    // Where there is no working folder it offers one; declined, it says how, and waits.
    let said = double_clicked(dir.path(), "n\n\n");
    assert!(said.contains("作業フォルダを作りますか") && said.contains("kaito init"), "{said}");
    assert!(said.trim_end().ends_with("Enter キーを押すと、このウィンドウを閉じます。"), "{said}");
    assert!(!dir.path().join("kaito.toml").exists());
    // Accepted with Enter: the folder is made where kaito was started.
    let said = double_clicked(dir.path(), "\n\n");
    assert!(said.contains("作業フォルダを作りました"), "{said}");
    assert!(dir.path().join("kaito.toml").is_file() && dir.path().join("回答").is_dir());
    assert!(said.trim_end().ends_with("Enter キーを押すと、このウィンドウを閉じます。"), "{said}");
    // Run from a terminal or a script, it never waits.
    let out = kaito(&[], dir.path());
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Enter キー"));
}

#[test]
fn a_table_forms_folder_works_the_same_way() {
    let dir = folder_with_answers(Some("進捗管理表"), "進捗管理表");
    let w = dir.path().join("作業");
    let out = kaito(&[], &w);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("令和2年度") && said.contains("計画どおり 43"), "{said}");
    assert!(w.join("集計/集計_2020.xlsx").is_file(), "{said}");
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
