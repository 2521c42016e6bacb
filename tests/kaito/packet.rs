//! The council packet and the department feedback.

use crate::common::*;
use calamine::Reader;
use kaito::grid::Limits;
use kaito::layout::Layout;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn consolidated(dir: &Path) {
    let out = kaito(&["consolidate", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--output", "集計.xlsx"], dir);
    assert_eq!(out.status.code(), Some(1));
}

/// What a sheet says, normalised as the packet shows it: (key, value) of every filled cell.
fn values(s: &kaito::read::ResponseSheet, ctx: &kaito::validate::Context) -> BTreeSet<(String, String)> {
    let a = kaito::draw::Answers::from_sheet(s, ctx, |p| p <= ctx.period, |_| true);
    let mut v = BTreeSet::new();
    for (k, x) in [
        ("department", &a.department),
        ("person", &a.person),
        ("contact", &a.contact),
        ("progress", &a.progress),
        ("countermeasures", &a.countermeasures),
    ] {
        if let Some(x) = x {
            v.insert((k.to_string(), x.clone()));
        }
    }
    for (i, m) in a.statuses.iter().enumerate() {
        for (p, x) in m {
            v.insert((format!("status/{i}/{p}"), x.text()));
        }
    }
    for (i, r) in a.results.iter().enumerate() {
        if let Some(r) = r {
            v.insert((format!("result/{i}"), r.clone()));
        }
    }
    for (y, x) in &a.effect {
        v.insert((format!("effect/{y}"), x.text()));
    }
    for (y, x) in &a.basis {
        v.insert((format!("basis/{y}"), x.clone()));
    }
    v
}

#[test]
fn project_sheets_read_back_to_the_values_of_the_input_sheets() {
    let dir = samples();
    let d = dir.path();
    consolidated(d);
    let plan = sample_plan();
    let layout = Layout::bundled();
    let ctx = kaito::validate::Context { plan: &plan, period: p2021h1(), hints: layout.hints() };
    // Read below intake: as an input, kaito's own packet is ignored (see the intake tests).
    let book = kaito::grid::open(&std::fs::read(d.join("集計.xlsx")).unwrap(), &Limits::default()).unwrap();
    let sheets: Vec<_> = book.sheets.iter().filter_map(|g| kaito::read::response_sheet(g, &layout)).collect();
    assert_eq!(sheets.len(), 28, "every project sheet reads as a response sheet; summaries do not");
    let files = kaito::intake::discover(&[d.join("回答")]).unwrap();
    let inputs = kaito::intake::read_all(&files, &layout, &Limits::default());
    let mut compared = 0;
    for s in &sheets {
        assert_eq!(s.sheet, s.code.text(), "sheet named after its code");
        let original = inputs
            .iter()
            .filter(|f| !f.record.shown.contains("コピー") && !f.record.shown.contains("前回分"))
            .flat_map(|f| f.sheets.iter())
            .find(|x| x.code.text() == s.code.text())
            .unwrap();
        assert_eq!(values(s, &ctx), values(original, &ctx), "{}", s.sheet);
        compared += 1;
    }
    assert_eq!(compared, 28);
}

#[test]
fn list_pages_follow_the_packet_page_setup() {
    let dir = samples();
    let d = dir.path();
    consolidated(d);
    let mut wb = calamine::open_workbook_auto(d.join("集計.xlsx")).unwrap();
    let list = wb.worksheet_range("一覧表").unwrap();
    let row =
        |code: &str| (0..list.height() as u32).find(|r| list.get_value((*r, 3)).map(|v| v.to_string()) == Some(code.to_string())).unwrap();
    let page = |code: &str| list.get_value((row(code), 6)).unwrap().to_string();
    assert!(page("0701-01").starts_with("1"), "project sheets are numbered from 1");
    assert_eq!(page("0701-06"), "未提出");
    assert_eq!(list.get_value((row("0701-01"), 2)).unwrap().to_string(), "H28 (2016)");
    assert_eq!(list.get_value((row("0701-01"), 4)).unwrap().to_string(), "重点");
    assert_eq!(list.get_value((row("0701-01"), 5)).unwrap().to_string(), "財");
    // Pages run on without gaps, in plan order.
    let plan = sample_plan();
    let mut next = 1;
    for p in plan.ordered_projects() {
        let label = page(&p.code);
        if label == "未提出" {
            continue;
        }
        let first: u32 = label.split([',', '～']).next().unwrap().trim().parse().unwrap();
        assert_eq!(first, next, "{}: {label}", p.code);
        let count = if label.contains('～') {
            label.split('～').nth(1).unwrap().parse::<u32>().unwrap() - first + 1
        } else {
            label.split(',').count() as u32
        };
        next += count;
    }
    assert!(page("0704-01").contains([',', '～']), "the long 債権徴収 sheet takes more than a page, as in the published list");
    // Each project sheet's footer starts at the page the list gives it.
    let mut z = zip::ZipArchive::new(std::fs::File::open(d.join("集計.xlsx")).unwrap()).unwrap();
    let mut workbook = String::new();
    std::io::Read::read_to_string(&mut z.by_name("xl/workbook.xml").unwrap(), &mut workbook).unwrap();
    let names: Vec<&str> = workbook.split("<sheet name=\"").skip(1).map(|x| x.split('"').next().unwrap()).collect();
    for (i, name) in names.iter().enumerate() {
        let xml = part(&d.join("集計.xlsx"), &format!("xl/worksheets/sheet{}.xml", i + 1)).unwrap();
        if let Some(code) = plan.project(name).map(|p| p.code.clone()) {
            let first = page(&code).split([',', '～']).next().unwrap().trim().to_string();
            assert!(xml.contains(&format!("firstPageNumber=\"{first}\" useFirstPageNumber=\"1\"")), "{name}");
            assert!(xml.contains("&amp;C&amp;P</oddFooter>"), "{name}: the page number alone, not of the whole workbook");
        }
    }
}

fn soffice() -> Option<&'static str> {
    ["soffice", "libreoffice"].into_iter().find(|b| Command::new(b).arg("--version").output().is_ok_and(|o| o.status.success()))
}

fn pdf_pages(pdf: &Path) -> usize {
    // Count page objects; enough for the PDFs LibreOffice writes.
    let bytes = std::fs::read(pdf).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    text.matches("/Type /Page\n").count()
        + text.matches("/Type/Page/").count()
        + text.matches("/Type /Page ").count()
        + text.matches("/Type/Page ").count()
}

#[test]
fn libreoffice_prints_the_pages_kaito_counts() {
    let Some(office) = soffice() else {
        eprintln!("LibreOffice not installed: page count check skipped");
        return;
    };
    let dir = samples();
    let d = dir.path();
    consolidated(d);
    // A workbook of the project sheets alone, drawn by the same code as the packet.
    let plan = kaito::plan::load(&d.join("計画.xlsx")).unwrap();
    let layout = Layout::bundled();
    let files = kaito::intake::discover(&[d.join("回答")]).unwrap();
    let read = kaito::intake::read_all(&files, &layout, &Limits::default());
    let (period, note, read) =
        kaito::consolidate::check_files(Some(p2021h1()), read, &plan.plan, layout.hints(), kaito::consolidate::Keep::Sheets).unwrap();
    let c = kaito::consolidate::run(plan, "計画.xlsx", period, note, read).unwrap();
    let ctx = c.context(layout.hints());
    let volumes =
        kaito::packet::Volumes { per_book: kaito::packet::Volumes::DEFAULT_PER_BOOK, stem: "集計".into(), link_dir: String::new() };
    let drawn = kaito::packet::project_sheets(&c, &ctx, &layout, &[], &volumes, &rust_xlsxwriter::DocProperties::new()).unwrap();
    assert!(drawn.volumes.is_empty());
    let expected: u32 = drawn.sheets.iter().map(|s| s.pages).sum();
    let mut wb = rust_xlsxwriter::Workbook::new();
    for ws in drawn.front {
        wb.push_worksheet(ws);
    }
    wb.save(d.join("projects.xlsx")).unwrap();
    let status =
        Command::new(office).args(["--headless", "--convert-to", "pdf", "--outdir"]).arg(d).arg(d.join("projects.xlsx")).output().unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    assert_eq!(pdf_pages(&d.join("projects.pdf")) as u32, expected);
    // And the whole packet converts without complaint.
    let status =
        Command::new(office).args(["--headless", "--convert-to", "pdf", "--outdir"]).arg(d).arg(d.join("集計.xlsx")).output().unwrap();
    assert!(status.status.success());
    assert!(pdf_pages(&d.join("集計.pdf")) as u32 > expected);
}

#[test]
fn findings_link_from_the_office_workbook_and_the_packet_marks_values_as_written() {
    let dir = samples();
    let d = dir.path();
    consolidated(d);
    let book = d.join("集計.xlsx");
    let office = d.join("集計_事務用.xlsx");
    // 要確認 is the office workbook's 2nd sheet; its links open the packet's cell.
    let findings = part(&office, "xl/worksheets/sheet2.xml").unwrap();
    assert!(findings.contains("location=\"'0701-03'!F12\""), "status-code links to its cell");
    assert!(findings.contains("location=\"'0703-05'!L9\""), "progress-missing links to its cell");
    let rels = part(&office, "xl/worksheets/_rels/sheet2.xml.rels").unwrap();
    assert!(rels.contains("Target=\"集計.xlsx\" TargetMode=\"External\""), "{rels}");
    // The packet: no comments, no input shading, no error colour.
    let mut z = zip::ZipArchive::new(std::fs::File::open(&book).unwrap()).unwrap();
    assert!((0..z.len()).all(|i| !z.by_index(i).unwrap().name().unwrap().starts_with("xl/comments")));
    let styles = part(&book, "xl/styles.xml").unwrap();
    for fill in ["FFF9DB", "F8CBAD"] {
        assert!(!styles.contains(fill), "{fill} in the packet");
    }
    // The wrong word stays as the department wrote it, marked, with its 注 line below.
    let mut wb = calamine::open_workbook_auto(&book).unwrap();
    let sheet = wb.worksheet_range("0701-03").unwrap();
    assert_eq!(sheet.get_value((11, 5)), Some(&calamine::Data::String("順調".into())));
    let notes: Vec<String> = sheet.used_cells().map(|(_, _, v)| v.to_string()).filter(|v| v.starts_with("注")).collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("注1(F12): ") && notes[0].contains("「順調」") && notes[0].contains("回答のとおり掲載"), "{}", notes[0]);
    assert!(!notes[0].contains("status-code") && !notes[0].contains("候補"), "{}", notes[0]);
    let xml = part(&book, "xl/styles.xml").unwrap();
    assert!(xml.contains("<i/>") && xml.contains("<u/>"), "the neutral mark: italic, underlined");
    let props = part(&book, "docProps/core.xml").unwrap();
    assert!(props.contains("平塚市行財政改革計画(2020-2023)") && props.contains("令和3年度上半期"));
}

#[test]
fn feedback_goes_to_departments_with_errors_and_comes_back_as_a_response() {
    let dir = samples();
    let d = dir.path();
    let out = kaito(
        &[
            "feedback",
            "--plan",
            "計画.xlsx",
            "--period",
            "2021H1",
            "回答",
            "--output",
            "差戻し",
            "--deadline",
            "10月15日(金)",
            "--sender",
            "行政総務課 行政改革担当",
            "--contact",
            "内線2000",
        ],
        d,
    );
    assert_eq!(out.status.code(), Some(1), "errors found: the exit code says so, as check's does");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let got: BTreeSet<String> =
        std::fs::read_dir(d.join("差戻し")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    let mut want: BTreeSet<String> = BTreeSet::new();
    for dept in ["デジタル推進課", "収集業務課", "職員課"] {
        want.insert(format!("差戻し_{dept}_2021H1.xlsx"));
        want.insert(format!("差戻し_{dept}_2021H1.txt"));
    }
    // 都市整備課 sent nothing: a reminder. 行政総務課's only problem is an old file the office
    // has set aside (its current file came too): nothing to send.
    want.insert("提出依頼_都市整備課_2021H1.xlsx".into());
    want.insert("提出依頼_都市整備課_2021H1.txt".into());
    assert_eq!(got, want);
    for dept in ["デジタル推進課", "収集業務課", "職員課", "都市整備課"] {
        assert!(stdout.contains(dept));
    }
    assert!(!stdout.contains("行政総務課:"), "{stdout}");
    // The covering texts: what to do, what is missing, the deadline, whom to ask.
    let text = std::fs::read_to_string(d.join("差戻し/提出依頼_都市整備課_2021H1.txt")).unwrap();
    assert!(text.starts_with("都市整備課 御中\r\n"), "{text}");
    assert!(text.contains("0701-06 見附台周辺地区整備") && text.contains("提出期限: 10月15日(金)"), "{text}");
    assert!(text.contains("問合せ先: 行政総務課 行政改革担当 内線2000"), "{text}");
    let text = std::fs::read_to_string(d.join("差戻し/差戻し_職員課_2021H1.txt")).unwrap();
    assert!(text.contains("直していただきたい箇所が 1 件(ほかに確認をお願いしたい箇所が 1 件)"), "{text}");
    // The reminder workbook lists the missing item with the deadline.
    let mut wb = calamine::open_workbook_auto(d.join("差戻し/提出依頼_都市整備課_2021H1.xlsx")).unwrap();
    let list = wb.worksheet_range("差戻し一覧").unwrap();
    let cells: Vec<String> = list.used_cells().map(|(_, _, v)| v.to_string()).collect();
    assert!(cells.iter().any(|c| c.contains("0701-06")) && cells.contains(&"10月15日(金)".to_string()), "{cells:?}");
    // The collection department fixes the marked cell and sends the file back.
    let plan = sample_plan();
    let path = d.join("差戻し/差戻し_収集業務課_2021H1.xlsx");
    let (_, findings, read) = check_file(&path, &plan, p2021h1());
    assert_eq!(read.sheets.len(), 1, "the list sheet is not taken for a response");
    assert_eq!(problems(&findings), vec![("status-code".to_string(), "F12".to_string())]);
    let fixed =
        crate::fixtures::patch_zip(&std::fs::read(&path).unwrap(), "xl/sharedStrings.xml", |x| x.replace("<t>順調</t>", "<t>概ね順調</t>"));
    std::fs::write(&path, fixed).unwrap();
    let (_, findings, _) = check_file(&path, &plan, p2021h1());
    assert!(problems(&findings).is_empty(), "{findings:?}");
    // The list names the problem in plain words.
    let mut wb = calamine::open_workbook_auto(d.join("差戻し/差戻し_職員課_2021H1.xlsx")).unwrap();
    let list = wb.worksheet_range("差戻し一覧").unwrap();
    let text: String = list.used_cells().map(|(_, _, v)| v.to_string()).collect::<Vec<_>>().join("\n");
    assert!(text.contains("取組状況等が空です") && text.contains("0703-05"), "{text}");
}

#[test]
fn effect_targets_of_the_plan_appear_beside_the_results() {
    // The Hadano plan writes targets per item and year (千円), △ for negatives.
    let dir = samples();
    let d = dir.path();
    let mut plan = kaito::plan::load(&d.join("計画.xlsx")).unwrap().plan;
    let p = plan.projects.iter_mut().find(|p| p.code == "0701-01").unwrap();
    p.details_mut().effect_targets.insert(2020, 45000);
    p.details_mut().effect_targets.insert(2021, -2413);
    kaito::plan::write_workbook(&plan, &d.join("計画2.xlsx")).unwrap();
    let reread = kaito::plan::load(&d.join("計画2.xlsx")).unwrap().plan;
    assert_eq!(reread.project("0701-01").unwrap().effect_targets.get(&2021), Some(&-2413));
    kaito(&["consolidate", "--plan", "計画2.xlsx", "--period", "2021H1", "回答", "--output", "集計.xlsx"], d);
    let mut wb = calamine::open_workbook_auto(d.join("集計.xlsx")).unwrap();
    let effect = wb.worksheet_range("効果額").unwrap();
    let cell = |r: u32, c: u32| effect.get_value((r, c)).map(|v| v.to_string()).unwrap_or_default();
    let head = (0..effect.height() as u32).find(|r| cell(*r, 1) == "効果額目標(千円)").expect("target table");
    assert_eq!(cell(head, 2), "目標 令和2年度(2020年度)");
    assert_eq!(cell(head + 1, 1), "民間活力の活用");
    assert_eq!(cell(head + 1, 2), "45000");
    assert_eq!(cell(head + 1, 3), "-2413");
    let xml = part(&d.join("集計.xlsx"), "xl/charts/chart2.xml").unwrap();
    assert!(xml.contains("<c:barDir val=\"bar\"/>"), "horizontal bars: theme names read level");
    // 2020: result and target; 2021: its target only has a figure but the year shows both;
    // the years with neither are left out of the chart.
    assert_eq!(xml.matches("<c:ser>").count(), 4, "{xml}");
    assert!(xml.matches("<a:noFill/>").count() >= 2, "targets as outlined bars");
}

#[test]
fn the_letter_comes_from_the_plan_unless_given() {
    let mut plan = sample_plan();
    plan.lists.insert("提出期限".into(), vec!["11月1日(月)".into()]);
    plan.lists.insert("事務局".into(), vec!["行政総務課".into()]);
    let l = kaito::feedback::Letter::new(&plan, None, Some("内線2000"), None);
    assert_eq!((l.sender.as_str(), l.contact.as_str(), l.deadline.as_str()), ("行政総務課", "内線2000", "11月1日(月)"));
    let l = kaito::feedback::Letter::new(&plan, Some("財政課"), None, Some("明日"));
    assert_eq!((l.sender.as_str(), l.contact.as_str(), l.deadline.as_str()), ("財政課", "", "明日"));
}

/// The office sheets written row by row as they are drawn (事業一覧, 明細, 受付記録) hold the
/// same cells when no temporary file can be made for them and they are held in memory instead.
#[test]
fn office_sheets_are_the_same_without_a_temporary_folder() {
    let dir = samples();
    let run = |out: &str, env: &[(&str, &str)]| {
        let o = kaito_env(&["consolidate", "--plan", "計画.xlsx", "--period", "2021H1", "回答", "--output", out], dir.path(), env);
        assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let missing = dir.path().join("no-such-folder");
    let missing = missing.to_str().unwrap();
    run("a.xlsx", &[]);
    run("b.xlsx", &[("TMPDIR", missing), ("TMP", missing), ("TEMP", missing)]);
    assert!(!Path::new(missing).exists());
    let mut a = calamine::open_workbook_auto(dir.path().join("a_事務用.xlsx")).unwrap();
    let mut b = calamine::open_workbook_auto(dir.path().join("b_事務用.xlsx")).unwrap();
    for name in ["事業一覧", "明細", "受付記録"] {
        let (x, y) = (a.worksheet_range(name).unwrap(), b.worksheet_range(name).unwrap());
        assert!(x.height() > 20, "{name}: {} rows", x.height());
        assert_eq!(x, y, "{name}");
    }
}
