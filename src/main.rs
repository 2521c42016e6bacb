//! The `kaito` command line: parses arguments and dispatches to the library (`kaito::ops`).

use clap::{Args, Parser, Subcommand};
use kaito::grid::Limits;
use kaito::ops::{self, CheckOptions};
use kaito::period::Period;
use kaito::report::{self, Verbosity};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "kaito", version, about = "報告回答票の点検と集計 (check and consolidate reform-plan response sheets)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 回答票を計画と照合し、要確認事項を表示する
    Check {
        #[command(flatten)]
        common: Common,
    },
    /// 回答票を点検し、議会提出用の集計ブックを作る
    Consolidate {
        #[command(flatten)]
        common: Common,
        /// 集計ブックの出力先 (.xlsx)
        #[arg(long, short)]
        output: PathBuf,
    },
    /// エラーのある課ごとに、直す箇所に印を付けた差戻しファイルを作る
    Feedback {
        #[command(flatten)]
        common: Common,
        /// 差戻しファイルの出力先フォルダ
        #[arg(long, short)]
        output: PathBuf,
    },
    /// 各課に送る回答票を、回答課ごとのフォルダに作る(送付一覧つき)
    Template {
        /// 計画ファイル (.xlsx / .toml / .json)
        #[arg(long)]
        plan: PathBuf,
        /// 報告期間: 2021H1, 令和3年度上半期 など
        #[arg(long, value_parser = parse_period)]
        period: Period,
        /// 出力先フォルダ
        #[arg(long, short)]
        output: PathBuf,
        /// 前回の回答票(ファイル・フォルダ)または前回の集計ブック: 過去の実績を転記する
        #[arg(long)]
        previous: Vec<PathBuf>,
        /// シート保護のパスワード(省略時はパスワードなしで保護)
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Args)]
struct Common {
    /// 計画ファイル (.xlsx / .toml / .json)
    #[arg(long)]
    plan: PathBuf,
    /// 報告期間: 2021H1, 2021-H1, 2021上, 令和3年度上半期, R3上半期 (省略時は回答票から判断)
    #[arg(long, value_parser = parse_period)]
    period: Option<Period>,
    /// 回答票のファイルまたはフォルダ (フォルダは中まで探す)
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// 集計結果の JSON の出力先
    #[arg(long)]
    json: Option<PathBuf>,
    /// エラーだけを表示する
    #[arg(long, short, conflicts_with = "verbose")]
    quiet: bool,
    /// 情報も含めてすべて表示する
    #[arg(long, short)]
    verbose: bool,
    /// 回答票のレイアウト定義 (省略時は templates/response-sheet.toml と同じ内容)
    #[arg(long)]
    layout: Option<PathBuf>,
    /// 読み込むファイルの大きさの上限 (MB)
    #[arg(long, default_value_t = 64)]
    max_file_mb: u64,
    /// ZIP を展開したときの大きさの上限 (MB)
    #[arg(long, default_value_t = 256)]
    max_inflated_mb: u64,
}

fn parse_period(s: &str) -> Result<Period, String> {
    Period::parse(s).ok_or_else(|| format!("報告期間「{s}」を読めません。2021H1 や 令和3年度上半期 のように指定してください"))
}

impl Common {
    fn options(&self) -> CheckOptions {
        CheckOptions {
            plan: self.plan.clone(),
            period: self.period,
            inputs: self.inputs.clone(),
            layout: self.layout.clone(),
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Template { plan, period, output, previous, password } = &cli.command {
        let opts = kaito::template::TemplateOptions {
            plan: plan.clone(),
            period: *period,
            output: output.clone(),
            previous: previous.clone(),
            password: password.clone(),
        };
        return match kaito::template::run(&opts) {
            Ok(r) => {
                for f in &r.plan_findings {
                    println!("{}", report::finding_line(f));
                }
                let carried = r.sent.iter().filter(|s| s.carried).count();
                println!("{} の回答票を {} 件作りました({})。", period.japanese(), r.sent.len(), output.display());
                if !previous.is_empty() {
                    println!("前回の回答を転記した回答票: {carried} 件");
                }
                println!("送付一覧: {}", r.dispatch_list.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("エラー: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    if let Command::Feedback { common, output } = &cli.command {
        return match kaito::feedback::run(&common.options(), output) {
            Ok((c, sent)) => {
                if common.verbosity() != Verbosity::Quiet {
                    println!("{}", c.period_note);
                }
                if sent.is_empty() {
                    println!("エラーのある課はありません。差戻しファイルは作りませんでした。");
                } else {
                    println!("差戻しファイルを {} 課に作りました({}):", sent.len(), output.display());
                    for s in &sent {
                        let name = s.path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                        println!("  {}: エラー {} 件、警告 {} 件、未提出 {} 件 → {name}", s.department, s.errors, s.warnings, s.missing);
                    }
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("エラー: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    let result = match &cli.command {
        Command::Check { common } => ops::check(&common.options()).map(|c| (c, common, None)),
        Command::Consolidate { common, output } => ops::consolidate(&common.options(), output).map(|c| (c, common, Some(output))),
        Command::Template { .. } | Command::Feedback { .. } => unreachable!("handled above"),
    };
    match result {
        Ok((c, common, output)) => {
            print!("{}", report::console(&c, common.verbosity()));
            if let Some(json) = &common.json
                && let Err(e) = ops::write_json(&c, json)
            {
                eprintln!("エラー: {e:#}");
                return ExitCode::from(2);
            }
            if let Some(out) = output
                && common.verbosity() != Verbosity::Quiet
            {
                println!("\n集計ブックを書きました: {}", out.display());
            }
            if c.errors() > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Err(e) => {
            eprintln!("エラー: {e:#}");
            ExitCode::from(2)
        }
    }
}
