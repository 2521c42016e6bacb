//! The `kaito` command line: parses arguments, dispatches to the library (`kaito::ops`),
//! prints, and maps the outcome to an exit code in one place. Every message, argument errors
//! included, is in Japanese.

use clap::error::{ContextKind, ErrorKind};
use clap::{ArgAction, Args, Parser, Subcommand};
use kaito::grid::Limits;
use kaito::ops::{self, CheckOptions};
use kaito::period::Period;
use kaito::report::{self, Verbosity};
use kaito::workspace::Workspace;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const HELP_TEMPLATE: &str = "{about}\n\n使い方: {usage}\n\n{all-args}{after-help}";

#[derive(Parser)]
#[command(
    name = "kaito",
    version,
    about = "kaito (回答): 報告回答票の点検と集計",
    help_template = HELP_TEMPLATE,
    subcommand_help_heading = "コマンド",
    subcommand_value_name = "コマンド",
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    override_usage = "kaito [<コマンド>] [オプション]",
    after_help = "各コマンドの使い方: kaito <コマンド> --help\n\
kaito init で作った作業フォルダ(kaito.toml のあるフォルダ)の中では --plan などを省けます。\n\
コマンドなしの kaito は、作業フォルダで点検・集計ブック・差戻しをまとめて行います。"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    help: HelpFlags,
    /// バージョンを表示する
    #[arg(short = 'V', long, action = ArgAction::Version, help_heading = "オプション")]
    version: Option<bool>,
}

/// `-h/--help` with a Japanese description, on every command.
#[derive(Args)]
struct HelpFlags {
    /// 使い方を表示する
    #[arg(short = 'h', long = "help", action = ArgAction::Help, help_heading = "オプション", global = true)]
    help: Option<bool>,
}

#[derive(Subcommand)]
enum Command {
    /// 回答票を計画と照合し、要確認事項を表示する
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "オプション", override_usage = "kaito check [オプション] [--plan <ファイル>] [<回答票>...]")]
    Check {
        #[command(flatten)]
        common: Common,
    },
    /// 回答票を点検し、議会提出用の集計ブックを作る
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "オプション", override_usage = "kaito consolidate [オプション] [--plan <ファイル>] [--output <ファイル>] [<回答票>...]")]
    Consolidate {
        #[command(flatten)]
        common: Common,
        /// 議会提出用の集計ブックの出力先 (.xlsx)。作業フォルダでは省略すると 集計/集計_<期間>.xlsx
        #[arg(long, short, value_name = "ファイル")]
        output: Option<PathBuf>,
        /// 事務用ブック(要確認・未提出・事業一覧・明細・受付記録・訂正)の出力先。
        /// 省略すると集計ブックの隣に「<集計ブック名>_事務用.xlsx」。same で集計ブックの末尾に入れる
        #[arg(long, value_name = "ファイル|same")]
        office: Option<String>,
        /// 1冊の集計ブックに入れる事業シートの数。超えた分は「<集計ブック名>_分冊02.xlsx」… に分けて隣に作る (既定 500)
        #[arg(long, value_name = "数", default_value_t = kaito::write::Volumes::DEFAULT_PER_BOOK, hide_default_value = true)]
        sheets_per_book: usize,
    },
    /// エラーのある課ごとに、直す箇所に印を付けた差戻しファイルを作る
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "オプション", override_usage = "kaito feedback [オプション] [--plan <ファイル>] [--output <フォルダ>] [<回答票>...]")]
    Feedback {
        #[command(flatten)]
        common: Common,
        /// 差戻しファイルの出力先フォルダ。作業フォルダでは省略すると 差戻し/
        #[arg(long, short, value_name = "フォルダ")]
        output: Option<PathBuf>,
        /// 差出人(事務局名)。省略すると計画ファイルの「事務局」
        #[arg(long, value_name = "名前")]
        sender: Option<String>,
        /// 問合せ先(内線・メール)。省略すると計画ファイルの「連絡先」
        #[arg(long, value_name = "連絡先")]
        contact: Option<String>,
        /// 提出期限(例: 10月15日(金))。省略すると計画ファイルの「提出期限」
        #[arg(long, value_name = "期限")]
        deadline: Option<String>,
    },
    /// 計画を読み、kaito がどう読んだか(階層・事業・区分・要確認)を表示する
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "オプション", override_usage = "kaito plan [オプション] [--plan <ファイル>]")]
    Plan {
        /// 計画ファイル (.xlsx / .toml / .json、または進捗管理表の原本)
        #[arg(long, value_name = "ファイル")]
        plan: Option<PathBuf>,
        /// 自動で付けた事業コードを書き込んだ計画の写しの出力先 (.xlsx)
        #[arg(long, value_name = "ファイル")]
        write_codes: Option<PathBuf>,
    },
    /// 各課に送る回答票を、回答課ごとのフォルダに作る(送付一覧つき)
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "オプション", override_usage = "kaito template [オプション] [--plan <ファイル>] [--period <期間>] [--output <フォルダ>]")]
    Template {
        /// 計画ファイル (.xlsx / .toml / .json)
        #[arg(long, value_name = "ファイル")]
        plan: Option<PathBuf>,
        /// 報告期間: 2021H1, 令和3年度上半期, R3上期 など
        #[arg(long, value_parser = parse_period, value_name = "期間")]
        period: Option<Period>,
        /// 出力先フォルダ。作業フォルダでは省略すると 送付/
        #[arg(long, short, value_name = "フォルダ")]
        output: Option<PathBuf>,
        /// 前回の回答票(ファイル・フォルダ)または前回の集計ブック: 過去の実績を転記する
        #[arg(long, value_name = "ファイルまたはフォルダ")]
        previous: Vec<PathBuf>,
        /// シート保護のパスワード(省略時はパスワードなしで保護)
        #[arg(long, value_name = "パスワード")]
        password: Option<String>,
    },
    /// 作業フォルダの画面をブラウザで開く(提出状況・要確認・集計ブックなどを作るボタン)
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "オプション", override_usage = "kaito serve [--port <番号>] [--no-browser]")]
    Serve {
        /// 待ち受けるポート(127.0.0.1 のみ。省略すると空いている番号)
        #[arg(long, default_value_t = 0, value_name = "番号", hide_default_value = true)]
        port: u16,
        /// ブラウザを開かない(アドレスだけを表示する)
        #[arg(long)]
        no_browser: bool,
    },
    /// 作業フォルダ(計画・送付・回答・集計・差戻しと kaito.toml)を作る
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "オプション", override_usage = "kaito init [<フォルダ>] [--form <様式>]")]
    Init {
        /// 作るフォルダ(省略すると今いるフォルダ)
        #[arg(value_name = "フォルダ", help_heading = "入力")]
        dir: Option<PathBuf>,
        /// 見本の計画の様式: 報告回答票(既定)、進捗管理表、取組評価シート、取組実績票
        #[arg(long, value_name = "様式")]
        form: Option<String>,
    },
}

#[derive(Args)]
struct Common {
    /// 計画ファイル (.xlsx / .toml / .json)。作業フォルダでは省略できる
    #[arg(long, value_name = "ファイル")]
    plan: Option<PathBuf>,
    /// 報告期間: 2021H1, 令和3年度上半期, 2021年度上期, R3前期 など (省略時は kaito.toml、なければ回答票から判断)
    #[arg(long, value_parser = parse_period, value_name = "期間")]
    period: Option<Period>,
    /// 回答票のファイルまたはフォルダ (フォルダは中まで探す)。作業フォルダでは省略すると 回答/
    #[arg(value_name = "回答票", help_heading = "入力")]
    inputs: Vec<PathBuf>,
    /// 集計結果の JSON の出力先
    #[arg(long, value_name = "ファイル")]
    json: Option<PathBuf>,
    /// 前回の回答(ファイル・フォルダ): 過去の年度の値が前回から変わっていれば知らせる
    #[arg(long, value_name = "ファイルまたはフォルダ")]
    previous: Vec<PathBuf>,
    /// 事務局の訂正簿 (.xlsx): 明らかな誤記を課のファイルを変えずに直して点検・集計する
    #[arg(long, value_name = "ファイル")]
    corrections: Option<PathBuf>,
    /// エラーだけを表示する
    #[arg(long, short, conflicts_with = "verbose")]
    quiet: bool,
    /// 情報も含めてすべて表示する
    #[arg(long, short)]
    verbose: bool,
    /// 回答票のレイアウト定義 (省略時は templates/forms/card-halfyear.toml と同じ内容)
    #[arg(long, value_name = "ファイル")]
    layout: Option<PathBuf>,
    /// 読み込むファイルの大きさの上限 (MB、既定 64)
    #[arg(long, default_value_t = 64, value_name = "MB", hide_default_value = true)]
    max_file_mb: u64,
    /// ZIP を展開したときの大きさの上限 (MB、既定 256)
    #[arg(long, default_value_t = 256, value_name = "MB", hide_default_value = true)]
    max_inflated_mb: u64,
}

fn parse_period(s: &str) -> Result<Period, String> {
    Period::parse(s)
        .ok_or_else(|| format!("報告期間「{s}」を読めません。2021H1、令和3年度上半期、2021年度上期、R3後期 のように指定してください"))
}

impl Common {
    /// The options of a run: what the flags say, and what they leave out from the working
    /// folder's `kaito.toml`.
    fn options(&self) -> anyhow::Result<CheckOptions> {
        let ws = working_folder()?;
        let plan = plan_path(self.plan.as_ref(), ws.as_ref())?;
        let inputs = match (&self.inputs[..], &ws) {
            ([], Some(w)) => vec![w.answers.clone()],
            ([], None) => anyhow::bail!("回答票のファイルかフォルダを指定してください(例: kaito check --plan 計画.xlsx 回答)"),
            (given, _) => given.to_vec(),
        };
        Ok(CheckOptions {
            plan,
            period: self.period.or(ws.as_ref().and_then(|w| w.period)),
            inputs,
            json: self.json.clone(),
            previous: self.previous.clone(),
            layout: self.layout.clone(),
            corrections: self.corrections.clone(),
            limits: Limits {
                max_file_bytes: self.max_file_mb * 1024 * 1024,
                max_inflated_bytes: self.max_inflated_mb * 1024 * 1024,
                ..Limits::default()
            },
        })
    }
    fn verbosity(&self) -> Verbosity {
        if self.quiet {
            Verbosity::Quiet
        } else if self.verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        }
    }
}

/// clap's error, said in Japanese: what was wrong, and where to look.
fn argument_error(e: &clap::Error) -> String {
    let ctx = |k: ContextKind| e.get(k).map(|v| v.to_string()).unwrap_or_default();
    let arg = ctx(ContextKind::InvalidArg);
    let value = ctx(ContextKind::InvalidValue);
    let mut msg = match e.kind() {
        ErrorKind::UnknownArgument => format!("「{arg}」という指定はありません"),
        ErrorKind::InvalidSubcommand => {
            format!(
                "「{}」というコマンドはありません。使えるコマンド: check, consolidate, feedback, template, plan, init, serve",
                ctx(ContextKind::InvalidSubcommand)
            )
        }
        ErrorKind::MissingRequiredArgument => format!("必要な指定がありません: {}", arg.replace(", ", "、")),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "コマンドを指定してください(check, consolidate, feedback, template, plan)".to_string()
        }
        ErrorKind::ValueValidation => match std::error::Error::source(e) {
            Some(reason) => format!("{arg}: {reason}"),
            None => format!("{arg} の値「{value}」を読めません"),
        },
        ErrorKind::InvalidValue => {
            if value.is_empty() {
                format!("{arg} の値がありません。{arg} のあとに値を書いてください")
            } else {
                format!("{arg} の値「{value}」を読めません")
            }
        }
        ErrorKind::ArgumentConflict => format!("{arg} と {} は同時に指定できません", ctx(ContextKind::PriorArg)),
        ErrorKind::TooManyValues => format!("{arg} の指定が多すぎます"),
        ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => format!("{arg} の値の数が違います"),
        ErrorKind::InvalidUtf8 => "指定に読めない文字が含まれています".to_string(),
        _ => "コマンドの指定が正しくありません".to_string(),
    };
    let suggested = [ctx(ContextKind::SuggestedArg), ctx(ContextKind::SuggestedSubcommand)];
    if let Some(s) = suggested.iter().find(|s| !s.is_empty()) {
        msg.push_str(&format!("(もしかして: {s})"));
    }
    format!("エラー: {msg}\n使い方は kaito --help、各コマンドは kaito check --help のように確認できます。")
}

/// Where to look for the working folder: the current folder, or the files dropped on kaito.
static START: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The working folder around the current folder (or the dropped files), if any.
fn working_folder() -> anyhow::Result<Option<Workspace>> {
    let start = match START.get() {
        Some(p) => p.clone(),
        None => std::env::current_dir()?,
    };
    Workspace::locate(&start)
}

/// The plan: as given, or the working folder's.
fn plan_path(given: Option<&PathBuf>, ws: Option<&Workspace>) -> anyhow::Result<PathBuf> {
    match (given, ws) {
        (Some(p), _) => Ok(p.clone()),
        (None, Some(w)) => Ok(w.plan.clone()),
        (None, None) => anyhow::bail!(
            "計画ファイルが指定されていません。--plan で指定するか、kaito init で作った作業フォルダ(kaito.toml のあるフォルダ)の中で実行してください"
        ),
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let Some(command) = &cli.command else {
        return match working_folder()? {
            Some(ws) => whole_job(&ws, None),
            // Double-clicked where there is no working folder yet: offer to make one here.
            None if keep_window_open() => {
                let here = std::env::current_dir()?;
                println!("このフォルダには kaito の作業フォルダ(kaito.toml)がありません: {}", here.display());
                if ask("ここに作業フォルダを作りますか? Enter で作る / n で作らない: ") {
                    init_here(&here, None)
                } else {
                    println!("{}", NO_FOLDER);
                    Ok(ExitCode::from(2))
                }
            }
            None => {
                println!("{}", NO_FOLDER);
                Ok(ExitCode::from(2))
            }
        };
    };
    match command {
        Command::Serve { port, no_browser } => {
            let Some(ws) = working_folder()? else {
                println!("{NO_FOLDER}");
                return Ok(ExitCode::from(2));
            };
            let mut server = kaito::serve::Server::bind(ws, *port)?;
            let url = server.url();
            println!("kaito の画面: {url}");
            println!("(このパソコンの中だけで開けます。終わるときはこの画面で Ctrl+C)");
            use std::io::Write;
            let _ = std::io::stdout().flush();
            if !no_browser {
                kaito::serve::open_browser(&url);
            }
            server.run()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Init { dir, form } => {
            let dir = match dir {
                Some(d) => d.clone(),
                None => std::env::current_dir()?,
            };
            init_here(&dir, form.as_deref())
        }
        Command::Plan { plan, write_codes } => {
            let plan = plan_path(plan.as_ref(), working_folder()?.as_ref())?;
            let (loaded, form, written) = ops::plan(&plan, write_codes.as_deref())?;
            print!("{}", report::plan_outline(&loaded, &form));
            match (write_codes, written) {
                (Some(_), Some(out)) => println!("\n事業コードを書き込んだ計画の写しを作りました: {}", out.display()),
                (Some(_), None) => println!("\n事業コードはすべて計画にあります。書き込むものはありません。"),
                _ => {}
            }
            let errors = kaito::finding::count(&loaded.findings, kaito::finding::Severity::Error);
            Ok(if errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Template { plan, period, output, previous, password } => {
            let ws = working_folder()?;
            let Some(period) = period.or(ws.as_ref().and_then(|w| w.period)) else {
                anyhow::bail!("報告期間が指定されていません。--period 2021H1 のように指定するか、kaito.toml の period に書いてください");
            };
            let output = match (output, &ws) {
                (Some(o), _) => o.clone(),
                (None, Some(w)) => w.send.clone(),
                (None, None) => anyhow::bail!("出力先フォルダを --output で指定してください"),
            };
            let period = &period;
            let output = &output;
            let opts = kaito::template::TemplateOptions {
                plan: plan_path(plan.as_ref(), ws.as_ref())?,
                period: *period,
                output: output.clone(),
                previous: previous.clone(),
                password: password.clone(),
            };
            make_templates(&opts)
        }
        Command::Feedback { common, output, sender, contact, deadline } => {
            let ws = working_folder()?;
            let output = &match (output, &ws) {
                (Some(o), _) => o.clone(),
                (None, Some(w)) => w.feedback.clone(),
                (None, None) => anyhow::bail!("差戻しファイルの出力先フォルダを --output で指定してください"),
            };
            let from_folder =
                |given: &Option<String>, f: fn(&Workspace) -> Option<String>| given.clone().or_else(|| ws.as_ref().and_then(f));
            let letter = ops::LetterOptions {
                sender: from_folder(sender, |w| w.sender.clone()),
                contact: from_folder(contact, |w| w.contact.clone()),
                deadline: from_folder(deadline, |w| w.deadline.clone()),
            };
            let opts = common.options()?;
            let (c, sent) = with_progress(common.verbosity() == Verbosity::Quiet, || ops::feedback(&opts, output, &letter))?;
            if common.verbosity() != Verbosity::Quiet {
                println!("{}", c.period_note());
            }
            if sent.is_empty() {
                println!("直すところや未提出のある課はありません。差戻しファイルは作りませんでした。");
            } else {
                println!("差戻し・提出依頼のファイルを {} 課に作りました({}):", sent.len(), output.display());
                for s in &sent {
                    let name = s.path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                    println!("  {}: エラー {} 件、警告 {} 件、未提出 {} 件 → {name}", s.department, s.errors, s.warnings, s.missing);
                }
                println!("メールの本文は、それぞれの .txt にあります。");
            }
            Ok(exit_for(&c))
        }
        Command::Check { common } => {
            let opts = common.options()?;
            let c = with_progress(common.verbosity() == Verbosity::Quiet, || ops::check(&opts))?;
            let rest = " --verbose で全件を表示できます(--json で書き出せます)".to_string();
            anstream::print!("{}", console(&c, &report::ConsoleOptions { verbosity: common.verbosity(), rest }));
            Ok(exit_for(&c))
        }
        Command::Consolidate { common, output, office, sheets_per_book } => {
            let opts = common.options()?;
            let output = &match (output, working_folder()?) {
                (Some(o), _) => o.clone(),
                (None, Some(w)) => {
                    std::fs::create_dir_all(&w.packet)?;
                    w.packet_file(opts.period)
                }
                (None, None) => anyhow::bail!("集計ブックの出力先を --output で指定してください(例: --output 集計.xlsx)"),
            };
            let office_output = ops::OfficeOutput::parse(office.as_deref());
            let (c, written) = with_progress(common.verbosity() == Verbosity::Quiet, || {
                ops::consolidate(&opts, output, &office_output, *sheets_per_book)
            })?;
            let book = written.office.as_deref().unwrap_or(output.as_path());
            let rest = format!("「要確認」シート({})にあります(--verbose で全件を表示)", book.display());
            anstream::print!("{}", console(&c, &report::ConsoleOptions { verbosity: common.verbosity(), rest }));
            if common.verbosity() != Verbosity::Quiet {
                println!("\n集計ブック(議会提出用)を書きました: {}", output.display());
                if let (Some(first), Some(last)) = (written.volumes.first(), written.volumes.last()) {
                    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                    println!(
                        "事業ごとのシートが多いため、続きを分冊 {} 冊に分けました: {}{}(同じフォルダ)",
                        written.volumes.len(),
                        name(first),
                        if written.volumes.len() > 1 { format!(" ～ {}", name(last)) } else { String::new() }
                    );
                }
                if let Some(o) = &written.office {
                    println!("事務用ブックを書きました: {}", o.display());
                }
            }
            Ok(exit_for(&c))
        }
    }
}

/// Makes the forms to send out and says where they are.
fn make_templates(opts: &kaito::template::TemplateOptions) -> anyhow::Result<ExitCode> {
    let r = ops::template(opts)?;
    for f in &r.plan_findings {
        println!("{}", report::finding_line(f));
    }
    let carried = r.sent.iter().filter(|s| s.carried).count();
    println!("{} の回答票を {} 件作りました({})。", opts.period.japanese(), r.sent.len(), opts.output.display());
    if !opts.previous.is_empty() {
        println!("前回の回答を転記した回答票: {carried} 件");
    }
    println!("送付一覧: {}", r.dispatch_list.display());
    Ok(ExitCode::SUCCESS)
}

/// `kaito init` in `dir`, and what to do next.
fn init_here(dir: &Path, form: Option<&str>) -> anyhow::Result<ExitCode> {
    let made = kaito::workspace::init(dir, form)?;
    let w = &made.workspace;
    println!("作業フォルダを作りました: {}", w.root.display());
    println!("  {}  設定(計画・報告期間・フォルダ)", kaito::workspace::FILE);
    if made.plan_written {
        println!(
            "  計画/計画.xlsx  計画ブックの見本({}、様式 {})。自分の市の計画に書き換えてください",
            made.example.what, made.example.form
        );
    } else {
        println!("  計画/計画.xlsx  すでにあったので、そのまま使います");
    }
    println!("  送付/  回答/  集計/  差戻し/");
    println!();
    println!("次にすること:");
    println!("  1. 計画/計画.xlsx を自分の市の計画にし、kaito.toml の period(報告期間)を確かめる");
    println!("  2. kaito を実行する(ダブルクリック) … 回答/ が空なら、各課に送る回答票を 送付/ に作ります");
    println!("  3. 返ってきた回答票を 回答/ に入れて、もう一度 kaito … 点検して、集計ブックを 集計/ に、差戻しを 差戻し/ に作ります");
    Ok(ExitCode::SUCCESS)
}

/// Asks a yes/no question on the console; Enter (or y) is yes.
fn ask(question: &str) -> bool {
    use std::io::Write;
    print!("{question}");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).unwrap_or(0) == 0 {
        return false;
    }
    let a = line.trim().to_lowercase();
    a.is_empty() || a == "y" || a == "yes" || a == "はい"
}

const NO_FOLDER: &str = "kaito.toml のある作業フォルダが見つかりません。\n\
作業フォルダは kaito init で作れます(例: kaito init 行革報告_R3上期)。その中で kaito を実行すると、\n\
点検・集計ブック・差戻しをまとめて行います。コマンドの一覧は kaito --help で確認できます。";

/// The whole job of a period in the working folder: check the returned sheets (`inputs`, or
/// the folder's 回答/), write the packet into 集計/ and the feedback into 差戻し/, and say on
/// one screen what happened and what to do next.
fn whole_job(ws: &Workspace, dropped: Option<Vec<PathBuf>>) -> anyhow::Result<ExitCode> {
    let with_feedback = dropped.is_none();
    let inputs = dropped.unwrap_or_else(|| vec![ws.answers.clone()]);
    let found = kaito::intake::discover(&inputs)?;
    if found.is_empty() {
        println!("作業フォルダ: {}", ws.root.display());
        println!("回答票がありません({})。", inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join("、"));
        // Nothing sent out yet either: the first step of the period is making the forms.
        let sent_out = kaito::intake::discover(std::slice::from_ref(&ws.send)).map(|f| !f.is_empty()).unwrap_or(false);
        match ws.period {
            Some(period) if with_feedback && !sent_out => {
                println!("まず、各課に送る回答票を 送付/ に作ります。");
                let opts = kaito::template::TemplateOptions {
                    plan: ws.plan.clone(),
                    period,
                    output: ws.send.clone(),
                    previous: vec![],
                    password: None,
                };
                make_templates(&opts)?;
                println!("送付/ の回答票を各課に送り、返ってきたものを 回答/ に入れてから、もう一度 kaito を実行してください。");
            }
            _ => {
                println!("各課から返ってきた回答票を 回答/ に入れてから、もう一度 kaito を実行してください。");
                println!("各課に送る回答票は kaito template で 送付/ に作れます。");
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let opts = ws.check_options(Some(inputs));
    std::fs::create_dir_all(&ws.packet)?;
    let packet = ws.packet_file(ws.period);
    let letter = ws.letter();
    let feedback_dir = with_feedback.then_some(ws.feedback.as_path());
    let job = with_progress(false, || ops::job(&opts, &packet, feedback_dir, &letter))?;
    println!("作業フォルダ: {}", ws.root.display());
    if let Some(note) = ws.form_mismatch(&job.run.plan().form) {
        println!("{note}");
    }
    let office = job.written.office.as_deref().unwrap_or(packet.as_path());
    let rest = format!("「要確認」シート({})にあります", office.display());
    anstream::print!("{}", console(&job.run, &report::ConsoleOptions { verbosity: Verbosity::Normal, rest }));
    let shown = |p: &Path| p.strip_prefix(&ws.root).unwrap_or(p).display().to_string();
    println!();
    println!("作ったもの:");
    println!("  集計ブック(議会提出用): {}", shown(&job.packet));
    for v in &job.written.volumes {
        println!("  集計ブックの分冊: {}", shown(v));
    }
    if let Some(o) = &job.written.office {
        println!("  事務用ブック(要確認・未提出・受付記録): {}", shown(o));
    }
    if !with_feedback {
        println!("  差戻し: 作っていません(ドロップしたファイルだけを点検したため。全体は kaito で)");
    } else if job.sent.is_empty() {
        println!("  差戻し: なし(直すところや未提出のある課はありません)");
    } else {
        println!("  差戻し・提出依頼: {} 課({})", job.sent.len(), shown(&ws.feedback));
        for s in &job.sent {
            println!("    {}: エラー {} 件、警告 {} 件、未提出 {} 件", s.department, s.errors, s.warnings, s.missing);
        }
        println!("  メールの本文は 差戻し/ のそれぞれの .txt にあります。");
    }
    Ok(exit_for(&job.run))
}

/// The console report of a run, whatever its form.
fn console(run: &ops::Run, verbosity: &report::ConsoleOptions) -> String {
    match run {
        ops::Run::Card(c) => report::console(c, verbosity),
        ops::Run::Table(t) => report::console_table(t, verbosity),
        ops::Run::FieldCard(c) => report::console_card(c, verbosity),
    }
}

/// Runs `job`, showing a progress bar of the files read on the terminal once it has taken more
/// than a second (never with `--quiet` or when the error output is not a terminal).
fn with_progress<T>(quiet: bool, job: impl FnOnce() -> T) -> T {
    use std::io::IsTerminal;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    if quiet || !std::io::stderr().is_terminal() {
        return job();
    }
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let watcher = {
        let done = done.clone();
        std::thread::Builder::new().stack_size(ops::WORK_STACK).spawn(move || {
            let start = Instant::now();
            let mut bar: Option<indicatif::ProgressBar> = None;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                let (read, total) = kaito::intake::progress();
                if bar.is_none() && start.elapsed() >= Duration::from_secs(1) && total > 0 {
                    let b = indicatif::ProgressBar::new(total as u64);
                    if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} ファイル {elapsed}") {
                        b.set_style(style);
                    }
                    bar = Some(b);
                }
                if let Some(b) = &bar {
                    b.set_length(total as u64);
                    b.set_position(read as u64);
                }
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
        })
    };
    let out = job();
    done.store(true, Ordering::Relaxed);
    if let Ok(watcher) = watcher {
        let _ = watcher.join();
    }
    out
}

fn exit_for(c: &ops::Run) -> ExitCode {
    if c.errors() > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn main() -> ExitCode {
    small_stacks_for_library_threads();
    // `kaito plan | more` closed early: stop quietly, as other command-line tools do, rather
    // than report a panic (print! panics when the reader of the pipe has gone).
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or("");
        if text.contains("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info)
    }));
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let code = match dropped(&args) {
        Some(paths) => drop_run(paths),
        None => parse_and_run(),
    };
    if keep_window_open() {
        use std::io::Write;
        println!("\nEnter キーを押すと、このウィンドウを閉じます。");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    }
    code
}

/// The workbook writer turns each sheet into XML on a thread of its own, started and ended
/// for that sheet: 10,000 threads for the packet of 10,000 cards. With the default stack of
/// 2 MiB the system keeps only some twenty stacks for reuse and maps and unmaps the others,
/// each time halting the other cores to forget the old mapping: with 256 KiB stacks, reused,
/// that `consolidate` took 5.8 instead of 6.0 s (1,000 cards: 0.60 instead of 0.64 s), and
/// the threads need a few KiB. kaito's own
/// threads keep the usual size ([`ops::WORK_STACK`]). A `RUST_MIN_STACK` set in the
/// environment still decides.
fn small_stacks_for_library_threads() {
    if std::env::var_os("RUST_MIN_STACK").is_none() {
        // SAFETY: the first thing the program does, before any other thread is started.
        unsafe { std::env::set_var("RUST_MIN_STACK", (256 << 10).to_string()) };
    }
}

/// Starts the pool of threads that work on all cores, with kaito's stack size. Called once
/// the allocator's options are set, which must be before any thread runs.
fn start_the_cores() {
    let _ = rayon::ThreadPoolBuilder::new().stack_size(ops::WORK_STACK).build_global();
}

fn parse_and_run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("{}", argument_error(&e));
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Some(Command::Check { .. }) | Some(Command::Plan { .. }) => give_freed_memory_back_after(0),
        Some(Command::Consolidate { .. }) | Some(Command::Feedback { .. }) | Some(Command::Template { .. }) | None => {
            give_freed_memory_back_after(-1)
        }
        _ => {}
    }
    start_the_cores();
    finish(run(cli))
}

fn finish(outcome: anyhow::Result<ExitCode>) -> ExitCode {
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("エラー: {}", report::error_text(&e));
            ExitCode::from(2)
        }
    }
}

const COMMANDS: [&str; 8] = ["check", "consolidate", "feedback", "plan", "template", "init", "serve", "help"];

/// Files or folders dropped on kaito.exe arrive as its arguments: paths that exist, and no
/// command or option among them.
fn dropped(args: &[std::ffi::OsString]) -> Option<Vec<PathBuf>> {
    let rest = args.get(1..).unwrap_or_default();
    let first = rest.first()?.to_string_lossy().to_string();
    if first.starts_with('-') || COMMANDS.contains(&first.as_str()) {
        return None;
    }
    let paths: Vec<PathBuf> = rest.iter().map(PathBuf::from).collect();
    paths.iter().all(|p| p.exists()).then_some(paths)
}

/// Checks and consolidates dropped files with the working folder beside or above them.
fn drop_run(paths: Vec<PathBuf>) -> ExitCode {
    give_freed_memory_back_after(-1);
    start_the_cores();
    let _ = START.set(paths[0].clone());
    finish((|| match working_folder()? {
        Some(ws) => whole_job(&ws, Some(paths.clone())),
        None => {
            let at = paths[0].parent().unwrap_or(Path::new(".")).display().to_string();
            println!("ドロップしたファイルの場所({at})にも、その上のフォルダにも kaito.toml がありません。");
            println!("{NO_FOLDER}");
            Ok(ExitCode::from(2))
        }
    })())
}

/// Whether to wait for a key before ending: when kaito was started by a double-click (or by
/// dropping files on it) the window it got closes with it, taking the report along.
/// `KAITO_KEEP_OPEN=1` or `0` says so explicitly.
fn keep_window_open() -> bool {
    match std::env::var("KAITO_KEEP_OPEN").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => own_console(),
    }
}

/// On Windows, a program started from Explorer gets a console of its own: it is the only
/// process attached to it. Started from cmd or PowerShell, the shell is attached too.
#[cfg(windows)]
fn own_console() -> bool {
    let mut pids = [0u32; 4];
    // SAFETY: the buffer holds as many ids as the length passed.
    let attached = unsafe { windows_sys::Win32::System::Console::GetConsoleProcessList(pids.as_mut_ptr(), pids.len() as u32) };
    attached == 1
}

#[cfg(not(windows))]
fn own_console() -> bool {
    false
}

// mimalloc returns freed memory to the system and keeps little per thread: with the system
// allocator, reading 10,000 sheets on all cores held 2.5 times the live heap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

unsafe extern "C" {
    /// mimalloc's own setter (`mimalloc.h`), linked in with the allocator.
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
}

/// `mi_option_purge_delay`: its place in mimalloc.h's `mi_option_e` (the same in the v2 and v3
/// sources the allocator crate builds).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// mimalloc gives pages that fell empty back to the system after a delay (10 ms), by which
/// time the next sheet's reading has often taken them again, scattered: reading the plan and
/// then every file, `check` held a fifth more than with the pages given back at once
/// (10,000 cards 76 → 56 MB, 100,000 cards 419 → 400 MB, in the same time), so the commands
/// that write no workbook give them back at once (`0`). The commands that write workbooks
/// free and take large blocks again and again, and every page given back is cleared again
/// by the kernel when taken, each giving back halting the other cores: given back at once,
/// they cost `consolidate` a fifth of its time, and after 10 ms still 2 % at 10,000 cards
/// (5.96 → 5.85 s, a fifth less system time; peak 1.29 → 1.34 GB). They keep them for the
/// run (`-1`). `kaito serve`, which runs for hours, keeps mimalloc's own delay. A
/// `MIMALLOC_PURGE_DELAY` set in the environment still decides.
fn give_freed_memory_back_after(ms: std::ffi::c_long) {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: a plain setter of an integer option, called before any thread is started.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, ms) };
    }
}

#[cfg(test)]
mod tests {
    /// The option's number is mimalloc's, not ours: a test process started with
    /// `MIMALLOC_PURGE_DELAY` set must read that value back under the number.
    #[test]
    fn the_purge_delay_option_is_the_one_mimalloc_reads() {
        if std::env::var_os("KAITO_PURGE_CHILD").is_some() {
            // SAFETY: a plain getter of an integer option.
            assert_eq!(unsafe { super::mi_option_get(super::MI_OPTION_PURGE_DELAY) }, 123);
            return;
        }
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "tests::the_purge_delay_option_is_the_one_mimalloc_reads", "--quiet"])
            .env("KAITO_PURGE_CHILD", "1")
            .env("MIMALLOC_PURGE_DELAY", "123")
            .status()
            .unwrap();
        assert!(status.success(), "mimalloc does not read MIMALLOC_PURGE_DELAY under option {}", super::MI_OPTION_PURGE_DELAY);
    }
}
