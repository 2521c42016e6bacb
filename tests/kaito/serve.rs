//! `kaito serve`: the page on 127.0.0.1, its data, the refusals of other hosts and origins,
//! and the page driven in headless Chromium through chromedriver (skipped, with a message,
//! where Debian's chromium and chromium-driver are not installed).

use crate::common::*;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A working folder with the response card sample's returned sheets in 回答/.
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = kaito(&["init", "作業"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    copy_tree(&root().join("samples/報告回答票/回答"), &dir.path().join("作業/回答"));
    dir
}

/// `kaito serve` running in `dir`, and the address it printed.
struct Served {
    child: Child,
    url: String,
    // Kept open: kaito goes on printing, and a closed pipe would end it.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path) -> Served {
    let mut child =
        Command::new(env!("CARGO_BIN_EXE_kaito")).args(["serve", "--no-browser"]).current_dir(dir).stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let url = line.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")).unwrap_or_else(|| panic!("{line}")).to_string();
    Served { child, url, _stdout: stdout }
}

/// One HTTP/1.1 request with these extra headers: status code and body.
fn request(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&Value>) -> (u16, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut head = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head.push_str(&format!("Host: {host}\r\n"));
    }
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body.as_bytes()).unwrap();
    // Read the head, then as much body as it announces: a server may keep the connection
    // open whatever the request asked.
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let lower = head.to_ascii_lowercase();
    let length = lower.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse::<usize>().ok());
    let body = if lower.contains("transfer-encoding: chunked") {
        let mut out = Vec::new();
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).unwrap();
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            let mut chunk = vec![0u8; n + 2];
            reader.read_exact(&mut chunk).unwrap();
            out.extend_from_slice(&chunk[..n]);
        }
        out
    } else if let Some(n) = length {
        let mut buf = vec![0u8; n];
        reader.read_exact(&mut buf).unwrap();
        buf
    } else {
        let mut buf = Vec::new();
        reader.read_to_end(&mut buf).unwrap();
        buf
    };
    (status, String::from_utf8_lossy(&body).to_string())
}

#[test]
fn the_page_shows_the_folder_and_refuses_other_hosts_and_origins() {
    let dir = folder();
    let w = dir.path().join("作業");
    let s = serve(&w);
    let (status, page) = request("GET", &s.url, &[], None);
    assert_eq!(status, 200);
    assert!(page.contains("lang=\"ja\"") && page.contains("集計ブックを作る"), "{page}");
    let (status, body) = request("GET", &format!("{}api/state", s.url), &[], None);
    assert_eq!(status, 200);
    let state: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(state["plan"]["items"], 29);
    assert_eq!((state["returned"].as_u64(), state["missing"].as_u64()), (Some(28), Some(1)));
    let city = state["departments"].as_array().unwrap().iter().find(|d| d["name"] == "都市整備課").unwrap();
    assert_eq!(city["missing"][0]["item"], "0701-06");
    // Every finding carries its department, file, sheet, cell and how to fix it.
    let f = state["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "status-code").unwrap();
    assert_eq!((f["department"].as_str(), f["cell"].as_str(), f["sheet"].as_str()), (Some("収集業務課"), Some("F12"), Some("0701-03")));
    assert!(f["suggestion"].as_str().unwrap().contains("概ね順調"));
    // Refused: another host name (DNS rebinding), a page of another origin, a POST without
    // an origin. Nothing is written.
    let port = s.url.trim_end_matches('/').rsplit(':').next().unwrap().to_string();
    let evil_host = format!("evil.example:{port}");
    for (method, path, headers) in [
        ("GET", "", vec![("Host", evil_host.as_str())]),
        ("GET", "api/state", vec![("Origin", "http://evil.example")]),
        ("POST", "api/packet", vec![("Origin", "http://evil.example")]),
        ("POST", "api/packet", vec![]),
        ("POST", "api/packet", vec![("Origin", s.url.trim_end_matches('/')), ("Sec-Fetch-Site", "cross-site")]),
    ] {
        let (status, _) = request(method, &format!("{}{path}", s.url), &headers, None);
        assert_eq!(status, 403, "{method} {path} {headers:?}");
    }
    assert!(std::fs::read_dir(w.join("集計")).unwrap().next().is_none());
    // From the page itself, the button's request is done.
    let (status, body) = request("POST", &format!("{}api/packet", s.url), &[("Origin", s.url.trim_end_matches('/'))], None);
    assert_eq!(status, 200);
    assert!(body.contains("集計ブックを作りました"), "{body}");
    assert!(w.join("集計/集計_2021H1.xlsx").is_file());
}

#[test]
fn files_arriving_in_the_answers_folder_show_on_the_page() {
    let dir = folder();
    let w = dir.path().join("作業");
    let missing = w.join("回答/0705-05_職員研修事業.xlsx");
    let kept = dir.path().join("kept.xlsx");
    std::fs::rename(&missing, &kept).unwrap();
    let s = serve(&w);
    let state = |s: &Served| -> Value { serde_json::from_str(&request("GET", &format!("{}api/state", s.url), &[], None).1).unwrap() };
    assert_eq!(state(&s)["missing"], 2);
    std::fs::rename(&kept, &missing).unwrap();
    assert_eq!(state(&s)["missing"], 1);
}

/// chromedriver on a free port, and the WebDriver session it drives.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = request("DELETE", &format!("{}/session/{}", self.base, self.session), &[], None);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    fn start() -> Option<Browser> {
        let (chromium, driver) = (Path::new("/usr/bin/chromium"), Path::new("/usr/bin/chromedriver"));
        if !chromium.is_file() || !driver.is_file() {
            eprintln!("skipped: headless Chromium is not installed (Debian packages chromium and chromium-driver)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = Command::new(driver).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1366,768",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain(std::iter::once(format!("--user-data-dir={}", profile.path().display())))
        .collect::<Vec<_>>();
        let caps = json!({ "capabilities": { "alwaysMatch": { "goog:chromeOptions": { "binary": chromium, "args": args } } } });
        let (status, body) = request("POST", &format!("{base}/session"), &[], Some(&caps));
        assert_eq!(status, 200, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        let session = v["value"]["sessionId"].as_str().unwrap().to_string();
        Some(Browser { driver, base, session, _profile: profile })
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, text) = request(method, &format!("{}/session/{}/{path}", self.base, self.session), &[], body.as_ref());
        assert_eq!(status, 200, "{path}: {text}");
        serde_json::from_str::<Value>(&text).unwrap()["value"].clone()
    }

    fn script(&self, js: &str) -> Value {
        self.call("POST", "execute/sync", Some(json!({ "script": js, "args": [] })))
    }

    /// Waits until `js` returns a truthy value (the page fetches its data after loading).
    fn until(&self, js: &str) -> Value {
        let started = Instant::now();
        loop {
            let v = self.script(js);
            if !(v.is_null() || v == json!(false) || v == json!("") || v == json!(0)) {
                return v;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "never true: {js}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn click(&self, css: &str) {
        let found = self.call("POST", "element", Some(json!({ "using": "css selector", "value": css })));
        let id = found.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).unwrap().to_string();
        self.call("POST", &format!("element/{id}/click"), Some(json!({})));
    }
}

#[test]
fn the_page_in_a_browser_lists_who_is_missing_filters_findings_and_writes_the_packet() {
    let dir = folder();
    let w = dir.path().join("作業");
    let s = serve(&w);
    let Some(b) = Browser::start() else { return };
    b.call("POST", "url", Some(json!({ "url": s.url })));
    // Load: the department with a sheet missing is listed first, with the item.
    let first = b.until("const r = document.querySelector('#depts tr'); return r && r.dataset.missing ? r.textContent : ''");
    assert!(first.as_str().unwrap().contains("都市整備課") && first.as_str().unwrap().contains("0701-06"), "{first}");
    let total = b.script("return document.querySelectorAll('#findings tr').length").as_u64().unwrap();
    assert!(total >= 8, "{total}");
    // Filter by department: only that department's findings remain.
    b.click("#filter-dept option[value='職員課']");
    let shown = b.until("const r = [...document.querySelectorAll('#findings tr')]; return r.length && r.every(x => x.dataset.department === '職員課') ? r.length : 0");
    assert!(shown.as_u64().unwrap() < total);
    // And by severity on top of it.
    b.click("#filter-sev option[value='error']");
    let errors = b.until("const r = [...document.querySelectorAll('#findings tr')]; return r.length && r.every(x => x.firstChild.textContent === 'エラー') ? r.length : 0");
    assert!(errors.as_u64().unwrap() <= shown.as_u64().unwrap());
    // The buttons are real buttons, reachable from the keyboard.
    let focusable = b.script("const e = document.querySelector('#make-packet'); e.focus(); return document.activeElement === e");
    assert_eq!(focusable, json!(true));
    // Press 集計ブックを作る: the packet is on disk, and the page says where.
    b.click("#make-packet");
    let said = b.until("const t = document.querySelector('#status').textContent; return t.includes('作りました') ? t : ''");
    assert!(said.as_str().unwrap().contains("集計/集計_2021H1.xlsx"), "{said}");
    let packet = w.join("集計/集計_2021H1.xlsx");
    let wb = calamine::open_workbook_auto(&packet).unwrap();
    assert!(calamine::Reader::sheet_names(&wb).contains(&"一覧表".to_string()));
    // Fits a 1366×768 screen without sideways scrolling.
    let wide = b.script("return document.documentElement.scrollWidth <= window.innerWidth");
    assert_eq!(wide, json!(true));
    if let Ok(path) = std::env::var("KAITO_SCREENSHOT") {
        b.click("#filter-sev option[value='']");
        b.click("#filter-dept option[value='']");
        b.script("document.activeElement.blur(); window.scrollTo(0, 0); return true");
        let png = b.call("GET", "screenshot", None);
        std::fs::write(path, base64_decode(png.as_str().unwrap())).unwrap();
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()).map(value).collect();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, v)| acc | (u32::from(*v) << (18 - 6 * i)));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}
