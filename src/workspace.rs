//! The office's working folder: `kaito init` makes it (計画/, 送付/, 回答/, 集計/, 差戻し/ and a
//! `kaito.toml`), and a command run in it, or in any folder below it, takes the plan, the
//! period and the folders from that file instead of from flags.

use crate::period::Period;
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The name of the working folder's settings file.
pub const FILE: &str = "kaito.toml";

/// A working folder, its paths made absolute from the folder of its `kaito.toml`.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The folder holding `kaito.toml`.
    pub root: PathBuf,
    pub plan: PathBuf,
    /// `None` when left empty: the period the returned sheets name is used.
    pub period: Option<Period>,
    /// The form the plan is expected to use (its 様式), when named.
    pub form: Option<String>,
    pub send: PathBuf,
    pub answers: PathBuf,
    pub packet: PathBuf,
    pub feedback: PathBuf,
    pub sender: Option<String>,
    pub contact: Option<String>,
    pub deadline: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    plan: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    form: String,
    #[serde(default)]
    folders: Folders,
    #[serde(default)]
    letter: Letter,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Folders {
    send: String,
    answers: String,
    packet: String,
    feedback: String,
}

impl Default for Folders {
    fn default() -> Self {
        Folders { send: "送付".into(), answers: "回答".into(), packet: "集計".into(), feedback: "差戻し".into() }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct Letter {
    sender: String,
    contact: String,
    deadline: String,
}

impl Workspace {
    /// The `kaito.toml` in `start` or the nearest folder above it.
    pub fn find(start: &Path) -> Option<PathBuf> {
        let start = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
        let mut at = if start.is_file() { start.parent().map(Path::to_path_buf) } else { Some(start) };
        while let Some(dir) = at {
            let file = dir.join(FILE);
            if file.is_file() {
                return Some(file);
            }
            at = dir.parent().map(Path::to_path_buf);
        }
        None
    }

    /// The working folder around `start`, if there is one.
    pub fn locate(start: &Path) -> Result<Option<Workspace>> {
        Workspace::find(start).map(|f| Workspace::load(&f)).transpose()
    }

    pub fn load(file: &Path) -> Result<Workspace> {
        let bytes = std::fs::read(file).with_context(|| format!("{} を読めません", file.display()))?;
        // Notepad may save with a byte-order mark, or in the ANSI code page (Shift_JIS).
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
        let text = std::str::from_utf8(bytes).map_err(|_| {
            anyhow::anyhow!(
                "{} の文字コードが UTF-8 ではありません。メモ帳で開き、「名前を付けて保存」で文字コードを UTF-8 にして保存し直してください",
                file.display()
            )
        })?;
        let raw: Raw = toml::from_str(text).map_err(|e| {
            // A Windows path in double quotes: its backslashes read as escapes.
            let hint =
                if text.contains('\\') { "。パスの \\ は / に書き換えるか、'…' で囲んでください" } else { "" };
            anyhow::anyhow!("{} の書き方が正しくありません: {}{hint}", file.display(), e.message().trim_end_matches('.'))
        })?;
        let root = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let period = match raw.period.trim() {
            "" => None,
            text => Some(Period::parse(text).with_context(|| {
                format!(
                    "{} の period「{text}」を読めません。2021H1(令和3年度上半期)、2022(令和4年度)のように書いてください",
                    file.display()
                )
            })?),
        };
        if raw.plan.trim().is_empty() {
            bail!("{} に plan(計画ブック)が書かれていません", file.display());
        }
        let at = |p: &str| root.join(p.trim());
        let text_of = |s: String| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        Ok(Workspace {
            plan: at(&raw.plan),
            period,
            form: text_of(raw.form),
            send: at(&raw.folders.send),
            answers: at(&raw.folders.answers),
            packet: at(&raw.folders.packet),
            feedback: at(&raw.folders.feedback),
            sender: text_of(raw.letter.sender),
            contact: text_of(raw.letter.contact),
            deadline: text_of(raw.letter.deadline),
            root,
        })
    }

    /// What a run in this folder reads: its plan, its period, the returned sheets in 回答/
    /// (or `inputs`), with the default limits.
    pub fn check_options(&self, inputs: Option<Vec<PathBuf>>) -> crate::ops::CheckOptions {
        crate::ops::CheckOptions {
            plan: self.plan.clone(),
            period: self.period,
            inputs: inputs.unwrap_or_else(|| vec![self.answers.clone()]),
            json: None,
            previous: vec![],
            layout: None,
            corrections: None,
            limits: crate::grid::Limits::default(),
        }
    }

    /// The covering letter's sender, contact and deadline as the folder's settings give them.
    pub fn letter(&self) -> crate::ops::LetterOptions {
        crate::ops::LetterOptions { sender: self.sender.clone(), contact: self.contact.clone(), deadline: self.deadline.clone() }
    }

    /// The packet of a run: `集計/集計_2021H1.xlsx` (the period's code keeps each half's packet).
    pub fn packet_file(&self, period: Option<Period>) -> PathBuf {
        match period {
            Some(p) => self.packet.join(format!("集計_{}.xlsx", p.code())),
            None => self.packet.join("集計.xlsx"),
        }
    }

    /// A word for the user when the plan's form is not the one `kaito.toml` names.
    pub fn form_mismatch(&self, plan_form: &str) -> Option<String> {
        let named = self.form.as_deref()?;
        (crate::normalize::fold(named) != crate::normalize::fold(plan_form)).then(|| {
            format!(
                "注意: {} の form は「{named}」ですが、計画ブックの様式は「{plan_form}」です。計画ブックの様式で読みました。kaito.toml の form を直してください",
                FILE
            )
        })
    }
}

/// A plan to start from: the bundled examples, one per form.
pub struct Example {
    pub form: &'static str,
    pub plan: &'static [u8],
    pub period: &'static str,
    pub what: &'static str,
}

pub const EXAMPLES: [Example; 4] = [
    Example {
        form: "報告回答票",
        plan: include_bytes!("../samples/報告回答票/計画.xlsx"),
        period: "2021H1",
        what: "事業ごとの報告回答票(半期ごと)",
    },
    Example {
        form: "進捗管理表",
        plan: include_bytes!("../samples/進捗管理表/計画.xlsx"),
        period: "2020",
        what: "1行1項目の進捗管理表(年度ごと)",
    },
    Example {
        form: "取組評価シート",
        plan: include_bytes!("../samples/取組評価シート/計画.xlsx"),
        period: "2022",
        what: "効果額の目標と実績の取組評価シート(年度ごと)",
    },
    Example {
        form: "取組実績票", plan: include_bytes!("../samples/取組実績票/計画.xlsx"), period: "2023", what: "取組実績票(年度ごと)"
    },
];

/// What `kaito init` made.
pub struct Made {
    pub workspace: Workspace,
    pub example: &'static Example,
    /// Whether the plan workbook was written (an existing one is never replaced).
    pub plan_written: bool,
}

/// Makes a working folder in `dir` (created if needed) for the example of `form` (the
/// response card when `None`). Refuses a folder that already has a `kaito.toml`; never
/// replaces a file that is there.
pub fn init(dir: &Path, form: Option<&str>) -> Result<Made> {
    let example = match form {
        None => &EXAMPLES[0],
        Some(name) => EXAMPLES.iter().find(|e| crate::normalize::fold(e.form) == crate::normalize::fold(name)).with_context(|| {
            format!("様式「{name}」の見本はありません。使える様式: {}", EXAMPLES.iter().map(|e| e.form).collect::<Vec<_>>().join("、"))
        })?,
    };
    let file = dir.join(FILE);
    if file.exists() {
        bail!("{} はすでに作業フォルダです({} があります)。そのまま kaito を実行してください", dir.display(), FILE);
    }
    let folders = Folders::default();
    for sub in ["計画", &folders.send, &folders.answers, &folders.packet, &folders.feedback] {
        std::fs::create_dir_all(dir.join(sub)).with_context(|| format!("フォルダ {} を作れません", dir.join(sub).display()))?;
    }
    let plan = dir.join("計画").join("計画.xlsx");
    let plan_written = !plan.exists();
    if plan_written {
        crate::fsutil::write_outputs(&[(&plan, example.plan)])?;
    }
    let text = settings_text(example);
    crate::fsutil::write_outputs(&[(&file, text.as_bytes())])?;
    Ok(Made { workspace: Workspace::load(&file)?, example, plan_written })
}

/// The `kaito.toml` of a new working folder, every setting explained in Japanese.
fn settings_text(example: &Example) -> String {
    format!(
        r#"# kaito の作業フォルダの設定(kaito init が作りました)。
# このフォルダ、またはその下のフォルダで kaito を実行すると、ここに書いた計画・報告期間・
# フォルダを使います(--plan などを毎回書かずにすみます)。パスはこのファイルからの相対パスです。

# 計画ブック。最初に入っているのは見本({what})です。
# 自分の市の計画に書き換えるか、同じ名前のファイルに差し替えてください。
plan = "計画/計画.xlsx"

# 報告期間。2021H1 = 令和3年度上半期、2021H2 = 下半期、2022 = 令和4年度(年度ごとの様式)。
# 空("")にすると、返ってきた回答票に書かれた期間を使います(回答票を作るときは必要です)。
period = "{period}"

# 様式(計画ブックの「様式」と同じもの)。違っていると kaito が知らせます。
form = "{form}"

[folders]
# 各課に送る回答票を作るフォルダ(kaito template)
send = "送付"
# 返ってきた回答票を入れるフォルダ(kaito check / consolidate / feedback はここを読みます)
answers = "回答"
# 議会提出用の集計ブックと事務用ブックを作るフォルダ(kaito consolidate)
packet = "集計"
# 各課への差戻しファイルと提出依頼を作るフォルダ(kaito feedback)
feedback = "差戻し"

[letter]
# 差戻しの送り状に書く差出人・問合せ先・提出期限。空なら計画ブックの「事務局」「連絡先」「提出期限」。
sender = ""
contact = ""
deadline = ""
"#,
        what = example.what,
        period = example.period,
        form = example.form,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_a_new_folder_gets_read_back_as_written() {
        for e in &EXAMPLES {
            let dir = std::env::temp_dir().join(format!("kaito-ws-{}-{}", std::process::id(), e.period));
            let _ = std::fs::remove_dir_all(&dir);
            let made = init(&dir, Some(e.form)).unwrap();
            let w = &made.workspace;
            assert_eq!(w.period, Period::parse(e.period));
            assert_eq!(w.form.as_deref(), Some(e.form));
            assert_eq!(w.plan, dir.join("計画/計画.xlsx"));
            assert_eq!(std::fs::read(&w.plan).unwrap(), e.plan);
            for d in [&w.send, &w.answers, &w.packet, &w.feedback] {
                assert!(d.is_dir(), "{}", d.display());
            }
            // Found from a folder below, and not made twice.
            assert_eq!(Workspace::find(&w.answers).as_deref(), Some(dir.join(FILE).as_path()));
            assert!(init(&dir, None).is_err());
            // Saved again by Notepad with a byte-order mark: the same settings.
            let text = std::fs::read(dir.join(FILE)).unwrap();
            std::fs::write(dir.join(FILE), [b"\xef\xbb\xbf".as_slice(), &text].concat()).unwrap();
            assert_eq!(Workspace::load(&dir.join(FILE)).unwrap().period, w.period);
            // Saved in Shift_JIS: said in words, not read wrong.
            std::fs::write(dir.join(FILE), b"period = \"\x95\xbd\x90\xac\"\n").unwrap();
            let e = Workspace::load(&dir.join(FILE)).unwrap_err().to_string();
            assert!(e.contains("UTF-8"), "{e}");
            // A Windows path typed in double quotes.
            std::fs::write(dir.join(FILE), "plan = \"C:\\Users\\行革\\計画.xlsx\"\n").unwrap();
            let e = Workspace::load(&dir.join(FILE)).unwrap_err().to_string();
            assert!(e.contains("/ に書き換える"), "{e}");
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }
}
