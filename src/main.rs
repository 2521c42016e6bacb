//! The `kaito` command line: parses arguments, dispatches to the library (`kaito::ops`),
//! prints, and maps the outcome to an exit code in one place. Every message, argument errors
//! included, is in Japanese.

use clap::error::{ContextKind, ErrorKind};
use clap::{ArgAction, Args, Parser, Subcommand};
use kaito::grid::Limits;
use kaito::ops::{self, CheckOptions};
use kaito::period::Period;
use kaito::report::{self, Verbosity};
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
    override_usage = "kaito <コマンド> [オプション]",
    after_help = "各コマンドの使い方: kaito <コマンド> --help"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "オプション", override_usage = "kaito check [オプション] --plan <ファイル> <回答票>...")]
    Check {
        #[command(flatten)]
        common: Common,
    },
    /// 回答票を点検し、議会提出用の集計ブックを作る
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "オプション", override_usage = "kaito consolidate [オプション] --plan <ファイル> --output <ファイル> <回答票>...")]
    Consolidate {
        #[command(flatten)]
        common: Common,
        /// 議会提出用の集計ブックの出力先 (.xlsx)
        #[arg(long, short, value_name = "ファイル")]
        output: PathBuf,
        /// 事務用ブック(要確認・未提出・事業一覧・明細・受付記録・訂正)の出力先。
        /// 省略すると集計ブックの隣に「<集計ブック名>_事務用.xlsx」。same で集計ブックの末尾に入れる
        #[arg(long, value_name = "ファイル|same")]
        office: Option<String>,
        /// 1冊の集計ブックに入れる事業シートの数。超えた分は「<集計ブック名>_分冊02.xlsx」… に分けて隣に作る (既定 500)
        #[arg(long, value_name = "数", default_value_t = kaito::write::Volumes::DEFAULT_PER_BOOK, hide_default_value = true)]
        sheets_per_book: usize,
    },
    /// エラーのある課ごとに、直す箇所に印を付けた差戻しファイルを作る
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "オプション", override_usage = "kaito feedback [オプション] --plan <ファイル> --output <フォルダ> <回答票>...")]
    Feedback {
        #[command(flatten)]
        common: Common,
        /// 差戻しファイルの出力先フォルダ
        #[arg(long, short, value_name = "フォルダ")]
        output: PathBuf,
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
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "オプション", override_usage = "kaito plan [オプション] --plan <ファイル>")]
    Plan {
        /// 計画ファイル (.xlsx / .toml / .json、または進捗管理表の原本)
        #[arg(long, value_name = "ファイル")]
        plan: PathBuf,
        /// 自動で付けた事業コードを書き込んだ計画の写しの出力先 (.xlsx)
        #[arg(long, value_name = "ファイル")]
        write_codes: Option<PathBuf>,
    },
    /// 各課に送る回答票を、回答課ごとのフォルダに作る(送付一覧つき)
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "オプション", override_usage = "kaito template [オプション] --plan <ファイル> --period <期間> --output <フォルダ>")]
    Template {
        /// 計画ファイル (.xlsx / .toml / .json)
        #[arg(long, value_name = "ファイル")]
        plan: PathBuf,
        /// 報告期間: 2021H1, 令和3年度上半期, R3上期 など
        #[arg(long, value_parser = parse_period, value_name = "期間")]
        period: Period,
        /// 出力先フォルダ
        #[arg(long, short, value_name = "フォルダ")]
        output: PathBuf,
        /// 前回の回答票(ファイル・フォルダ)または前回の集計ブック: 過去の実績を転記する
        #[arg(long, value_name = "ファイルまたはフォルダ")]
        previous: Vec<PathBuf>,
        /// シート保護のパスワード(省略時はパスワードなしで保護)
        #[arg(long, value_name = "パスワード")]
        password: Option<String>,
    },
}

#[derive(Args)]
struct Common {
    /// 計画ファイル (.xlsx / .toml / .json)
    #[arg(long, value_name = "ファイル")]
    plan: PathBuf,
    /// 報告期間: 2021H1, 令和3年度上半期, 2021年度上期, R3前期 など (省略時は回答票から判断)
    #[arg(long, value_parser = parse_period, value_name = "期間")]
    period: Option<Period>,
    /// 回答票のファイルまたはフォルダ (フォルダは中まで探す)
    #[arg(required = true, value_name = "回答票", help_heading = "入力")]
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
    fn options(&self) -> CheckOptions {
        CheckOptions {
            plan: self.plan.clone(),
            period: self.period,
            inputs: self.inputs.clone(),
            json: self.json.clone(),
            previous: self.previous.clone(),
            layout: self.layout.clone(),
            corrections: self.corrections.clone(),
            limits: Limits {
                max_file_bytes: self.max_file_mb * 1024 * 1024,
                max_inflated_bytes: self.max_inflated_mb * 1024 * 1024,
                ..Limits::default()
            },
        }
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
                "「{}」というコマンドはありません。使えるコマンド: check, consolidate, feedback, template, plan",
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

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Plan { plan, write_codes } => {
            let (loaded, form, written) = ops::plan(plan, write_codes.as_deref())?;
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
            let opts = kaito::template::TemplateOptions {
                plan: plan.clone(),
                period: *period,
                output: output.clone(),
                previous: previous.clone(),
                password: password.clone(),
            };
            let r = ops::template(&opts)?;
            for f in &r.plan_findings {
                println!("{}", report::finding_line(f));
            }
            let carried = r.sent.iter().filter(|s| s.carried).count();
            println!("{} の回答票を {} 件作りました({})。", period.japanese(), r.sent.len(), output.display());
            if !previous.is_empty() {
                println!("前回の回答を転記した回答票: {carried} 件");
            }
            println!("送付一覧: {}", r.dispatch_list.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Feedback { common, output, sender, contact, deadline } => {
            let letter = ops::LetterOptions { sender: sender.clone(), contact: contact.clone(), deadline: deadline.clone() };
            let (c, sent) = with_progress(common.verbosity() == Verbosity::Quiet, || ops::feedback(&common.options(), output, &letter))?;
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
            let c = with_progress(common.verbosity() == Verbosity::Quiet, || ops::check(&common.options()))?;
            let rest = " --verbose で全件を表示できます(--json で書き出せます)".to_string();
            anstream::print!("{}", console(&c, &report::ConsoleOptions { verbosity: common.verbosity(), rest }));
            Ok(exit_for(&c))
        }
        Command::Consolidate { common, output, office, sheets_per_book } => {
            let office_output = ops::OfficeOutput::parse(office.as_deref());
            let (c, written) = with_progress(common.verbosity() == Verbosity::Quiet, || {
                ops::consolidate(&common.options(), output, &office_output, *sheets_per_book)
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
        std::thread::spawn(move || {
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
    let _ = watcher.join();
    out
}

fn exit_for(c: &ops::Run) -> ExitCode {
    if c.errors() > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn main() -> ExitCode {
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
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("エラー: {}", report::error_text(&e));
            ExitCode::from(2)
        }
    }
}
