//! `kaito serve`: the working folder's page in the browser, served from this executable on
//! 127.0.0.1 only. It shows the plan, who has returned and who has not (checked again when
//! files arrive in 回答/), the findings with filters, and buttons that write the packet, the
//! feedback files and the forms to send into the folder's own places.
//!
//! Only the working folder is read or written, and only through the commands; a request that
//! names another host, or comes from a page of another origin, is refused (a site open in
//! the same browser must not be able to drive kaito).

use crate::finding::Severity;
use crate::ops::{self, CheckOptions, OfficeOutput, Run};
use crate::workspace::Workspace;
use anyhow::{Context, Result};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const PAGE: &str = include_str!("serve.html");

/// A running page: the folder, the address it answers on, the last check and what it was of.
pub struct Server {
    ws: Workspace,
    listener: TcpListener,
    port: u16,
    cached: Option<(Fingerprint, Value)>,
}

/// Every file of 回答/, the plan and kaito.toml, with size and time: what a check depends on.
type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

impl Server {
    /// Listens on 127.0.0.1:`port` (0: any free port).
    pub fn bind(ws: Workspace, port: u16) -> Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .with_context(|| format!("127.0.0.1:{port} で待ち受けられません(ほかのプログラムが使っていれば --port で変えてください)"))?;
        let port = listener.local_addr()?.port();
        Ok(Server { ws, listener, port, cached: None })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Answers requests, one at a time, until the process is stopped.
    pub fn run(&mut self) -> Result<()> {
        loop {
            let (stream, _) = self.listener.accept()?;
            // One bad request never stops the page.
            let _ = self.answer(stream);
        }
    }

    fn answer(&mut self, mut stream: TcpStream) -> Result<()> {
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or("").to_string(), parts.next().unwrap_or("").to_string());
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        if length > 0 {
            let mut body = vec![0u8; length.min(64 * 1024)];
            reader.read_exact(&mut body)?;
        }
        let (status, kind, body) = self.respond(&method, &target, &headers);
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nContent-Security-Policy: default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(&body)?;
        stream.flush()?;
        Ok(())
    }

    /// The answer to one request: status line, content type, body.
    fn respond(&mut self, method: &str, target: &str, headers: &BTreeMap<String, String>) -> (&'static str, &'static str, Vec<u8>) {
        const JSON: &str = "application/json; charset=utf-8";
        if let Some(why) = self.refused(method, headers) {
            return ("403 Forbidden", "text/plain; charset=utf-8", why.into_bytes());
        }
        let path = target.split('?').next().unwrap_or("");
        match (method, path) {
            ("GET", "/") => ("200 OK", "text/html; charset=utf-8", PAGE.as_bytes().to_vec()),
            ("GET", "/api/state") => ("200 OK", JSON, self.state().to_string().into_bytes()),
            ("POST", "/api/packet" | "/api/feedback" | "/api/templates") => {
                let outcome = self.act(&path["/api/".len()..]);
                // What was written changes what the page shows (the folders' contents).
                self.cached = None;
                let body = match outcome {
                    Ok(message) => json!({ "ok": true, "message": message }),
                    Err(e) => json!({ "ok": false, "message": format!("できませんでした: {}", crate::report::error_text(&e)) }),
                };
                ("200 OK", JSON, body.to_string().into_bytes())
            }
            ("GET" | "POST", _) => ("404 Not Found", "text/plain; charset=utf-8", "ありません".as_bytes().to_vec()),
            _ => ("405 Method Not Allowed", "text/plain; charset=utf-8", "使えない要求です".as_bytes().to_vec()),
        }
    }

    /// Why a request is refused: it names another host (a rebinding attack reaches 127.0.0.1
    /// under another name), or comes from a page of another origin.
    fn refused(&self, method: &str, headers: &BTreeMap<String, String>) -> Option<String> {
        let ours = [format!("127.0.0.1:{}", self.port), format!("localhost:{}", self.port)];
        let host = headers.get("host").map(String::as_str).unwrap_or("");
        if !ours.iter().any(|o| o == host) {
            return Some(format!("この画面は {} でだけ開けます", self.url()));
        }
        let origin = headers.get("origin");
        let same = |o: &str| ours.iter().any(|h| o == format!("http://{h}"));
        match origin {
            Some(o) if !same(o) => return Some("ほかのページからの要求は受け付けません".into()),
            // A button press is a POST from this page, which browsers send with its origin.
            None if method == "POST" => return Some("この画面のボタンからだけ実行できます".into()),
            _ => {}
        }
        if headers.get("sec-fetch-site").is_some_and(|s| s != "same-origin" && s != "none") {
            return Some("ほかのページからの要求は受け付けません".into());
        }
        None
    }

    fn options(&self) -> CheckOptions {
        self.ws.check_options(None)
    }

    /// What a button does, said in a sentence.
    fn act(&self, what: &str) -> Result<String> {
        let ws = &self.ws;
        let shown = |p: &Path| p.strip_prefix(&ws.root).unwrap_or(p).display().to_string();
        match what {
            "packet" => {
                std::fs::create_dir_all(&ws.packet)?;
                let output = ws.packet_file(ws.period);
                let (run, written) =
                    ops::consolidate(&self.options(), &output, &OfficeOutput::Beside, crate::write::Volumes::DEFAULT_PER_BOOK)?;
                let mut s = format!("集計ブックを作りました: {}", shown(&output));
                if let Some(o) = &written.office {
                    s.push_str(&format!("(事務用ブック: {})", shown(o)));
                }
                if run.errors() > 0 {
                    s.push_str(&format!("。エラーが {} 件あります(集計ブックには記入のとおり載せています)", run.errors()));
                }
                Ok(s)
            }
            "feedback" => {
                let (_, sent) = ops::feedback(&self.options(), &ws.feedback, &ws.letter())?;
                Ok(if sent.is_empty() {
                    "直すところや未提出のある課はありません。差戻しファイルは作りませんでした".to_string()
                } else {
                    format!(
                        "差戻し・提出依頼を {} 課に作りました({}): {}",
                        sent.len(),
                        shown(&ws.feedback),
                        sent.iter().map(|s| s.department.as_str()).collect::<Vec<_>>().join("、")
                    )
                })
            }
            "templates" => {
                let period = ws.period.context("kaito.toml の period(報告期間)を書いてください")?;
                let opts = crate::template::TemplateOptions {
                    plan: ws.plan.clone(),
                    period,
                    output: ws.send.clone(),
                    previous: vec![],
                    password: None,
                };
                let r = ops::template(&opts)?;
                Ok(format!("{} の回答票を {} 件作りました({})", period.japanese(), r.sent.len(), shown(&ws.send)))
            }
            _ => anyhow::bail!("知らない操作です"),
        }
    }

    /// The page's data, checked again only when the files in 回答/, the plan or kaito.toml
    /// changed since the last look.
    fn state(&mut self) -> Value {
        let seen = self.fingerprint();
        if let Some((before, value)) = &self.cached
            && *before == seen
        {
            return value.clone();
        }
        let value = match ops::check(&self.options()) {
            Ok(run) => describe(&self.ws, &run),
            Err(e) => json!({ "folder": self.ws.root.display().to_string(), "error": crate::report::error_text(&e) }),
        };
        self.cached = Some((seen, value.clone()));
        value
    }

    fn fingerprint(&self) -> Fingerprint {
        let mut out = Vec::new();
        let mut stack = vec![self.ws.answers.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for e in entries.flatten() {
                let p = e.path();
                match e.metadata() {
                    Ok(m) if m.is_dir() => stack.push(p),
                    Ok(m) => out.push((p, m.len(), m.modified().ok())),
                    Err(_) => {}
                }
            }
        }
        for f in [self.ws.plan.clone(), self.ws.root.join(crate::workspace::FILE)] {
            let m = std::fs::metadata(&f).ok();
            out.push((f, m.as_ref().map(|m| m.len()).unwrap_or(0), m.and_then(|m| m.modified().ok())));
        }
        out.sort();
        out
    }
}

/// What the page shows of a run: the plan, each department's returns, every finding with
/// the department it concerns, and what lies in the output folders.
fn describe(ws: &Workspace, run: &Run) -> Value {
    let plan = run.plan();
    let missing: BTreeMap<&str, &crate::consolidate::Missing> = run.missing().iter().map(|m| (m.project.as_str(), m)).collect();
    let department_of =
        |item: Option<&str>| item.and_then(|c| plan.project(c)).map(|p| p.responding_department().to_string()).unwrap_or_default();
    let mut departments: BTreeMap<String, (usize, Vec<Value>, usize, usize)> = BTreeMap::new();
    for p in &plan.projects {
        let d = departments.entry(p.responding_department().to_string()).or_default();
        d.0 += 1;
        if let Some(m) = missing.get(p.code.as_str()) {
            d.1.push(json!({ "item": m.project, "name": m.name, "note": m.note }));
        }
    }
    let findings: Vec<Value> = run
        .findings()
        .iter()
        .map(|f| {
            let department = department_of(f.item());
            if let Some(d) = departments.get_mut(&department) {
                match f.severity {
                    Severity::Error => d.2 += 1,
                    Severity::Warning => d.3 += 1,
                    Severity::Info => {}
                }
            }
            json!({
                "severity": match f.severity { Severity::Error => "error", Severity::Warning => "warning", Severity::Info => "info" },
                "severity_jp": f.severity.japanese(),
                "rule": f.rule,
                "department": department,
                "item": f.item(),
                "file": f.file,
                "sheet": f.sheet,
                "cell": f.cell_ref(),
                "message": f.message(),
                "suggestion": f.suggestion(),
            })
        })
        .collect();
    let count = |o: crate::intake::Outcome| run.files().iter().filter(|f| f.outcome == o).count();
    let files_in = |dir: &Path| crate::intake::discover(&[dir.to_path_buf()]).map(|f| f.len()).unwrap_or(0);
    json!({
        "folder": ws.root.display().to_string(),
        "plan": {
            "name": plan.name,
            "form": plan.form,
            "period": run.period().japanese(),
            "period_note": run.period_note(),
            "items": plan.projects.len(),
            "levels": plan.levels,
        },
        "returned": plan.projects.len() - run.missing().len(),
        "missing": run.missing().len(),
        "departments": departments.into_iter().map(|(name, (planned, missing, errors, warnings))| json!({
            "name": if name.is_empty() { "(回答課なし)".to_string() } else { name },
            "planned": planned,
            "returned": planned - missing.len(),
            "missing": missing,
            "errors": errors,
            "warnings": warnings,
        })).collect::<Vec<_>>(),
        "findings": findings,
        "files": {
            "accepted": count(crate::intake::Outcome::Accepted),
            "duplicate": count(crate::intake::Outcome::Duplicate),
            "rejected": count(crate::intake::Outcome::Rejected),
            "ignored": count(crate::intake::Outcome::Ignored),
        },
        "outputs": {
            "packet": files_in(&ws.packet),
            "feedback": files_in(&ws.feedback),
            "send": files_in(&ws.send),
        },
    })
}

/// Opens the page in the user's browser (best effort: the address is printed as well).
pub fn open_browser(url: &str) {
    let mut c = if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", "", url]);
        c
    } else if cfg!(target_os = "macos") {
        let mut c = std::process::Command::new("open");
        c.arg(url);
        c
    } else {
        let mut c = std::process::Command::new("xdg-open");
        c.arg(url);
        c
    };
    // The small stack kaito gives library threads (main.rs) is not the browser's business.
    let _ = c.env_remove("RUST_MIN_STACK").stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn();
}
