//! Form definitions (様式): what a city's form looks like and what holds on each field, as
//! data read from `templates/forms/*.toml`. The code knows two shapes, `card` (one item per
//! worksheet, blocks found by labels) and `table` (one item per row under a header row found
//! by its labels), and a closed set of field kinds and rules; every word is the form's.

use crate::finding::Severity;
use crate::normalize::fold;
use crate::period::Cadence;
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The forms bundled with kaito, by file: each names itself (`name`) as a plan's 様式 says it.
pub const BUNDLED: [(&str, &str); 4] = [
    ("card-halfyear.toml", include_str!("../../templates/forms/card-halfyear.toml")),
    ("progress-table.toml", include_str!("../../templates/forms/progress-table.toml")),
    ("evaluation-card.toml", include_str!("../../templates/forms/evaluation-card.toml")),
    ("results-card.toml", include_str!("../../templates/forms/results-card.toml")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    Card,
    Table,
}

/// Who writes a field: drawn from the plan (locked in templates), typed by the department,
/// or computed by kaito from other fields (a difference; a value typed there is not used).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Plan,
    #[default]
    Department,
    Kaito,
}

/// What a plan-drawn field of a card shows beyond the item's own columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanValues {
    /// 効果額目標 by year (with 調整中).
    EffectTargets,
    /// The item's indicator target by year.
    IndicatorTargets,
    /// The departments that carry the item out (実施課).
    Implementing,
    /// The text of each of the item's numbered targets (目標 ①…).
    Targets,
}

/// A block of a card defined by its fields (the cards other than the half-year response card,
/// whose blocks are read by its `[labels]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Block {
    /// label | value pairs across one row.
    Pairs { fields: Vec<String> },
    /// A label, then the value across the sheet.
    Wide { field: String },
    /// A header row (`年度`, then one column per plan year, then a total), and one row per
    /// field with a value per year.
    YearGrid {
        header: String,
        #[serde(default)]
        total: Option<String>,
        rows: Vec<String>,
    },
    /// The plan's activities by year: a header (`活動内容`, then the years), and per activity a
    /// row of the plan's text (`plan_label`, 計画) and a row the department answers (`answer`).
    Activities { header: String, plan_label: String, answer: String },
    /// The plan's numbered targets, one row each under a header row of the `columns`' labels
    /// (目標, 判定, 説明).
    Targets { columns: Vec<String> },
}

/// What a field holds; decides how a cell is read and which checks apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    #[default]
    Text,
    /// The item's place in the plan's hierarchy (`I 1 (1) 新たな財源の確保`): its leading
    /// outline number names the group.
    Node,
    /// The item's name; a leading marker (`①`) numbers it within its group.
    Name,
    Code,
    Department,
    /// A word of one of the plan's vocabularies (`vocabulary`).
    Status,
    Amount,
    Judgement,
}

/// How often a field is answered: once per form, or in a grid of one cell per fiscal year
/// or per half-year (the card's effect by year, statuses by half-year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Per {
    #[default]
    Once,
    Year,
    Half,
}

/// A field that becomes required when another holds one of a plan list's words
/// (課題と対応策 when 遅れ/未着手, 問題・課題 when 計画未満).
#[derive(Debug, Clone, Deserialize)]
pub struct When {
    pub field: String,
    /// The name of the plan list (`要対応区分`).
    #[serde(rename = "in")]
    pub list: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FieldDef {
    /// Stable key: part of cell keys, JSON and templates.
    pub key: String,
    /// The words on the sheet: the first is drawn, any of them is accepted when reading.
    pub labels: Vec<String>,
    #[serde(default)]
    pub kind: Kind,
    #[serde(default)]
    pub from: Source,
    #[serde(default)]
    pub per: Per,
    /// The header carries the reported year before the label (`R 2 計画概要`).
    #[serde(default)]
    pub year_prefix: bool,
    /// The plan column this field shows (for `from = "plan"` fields beyond name and department).
    #[serde(default)]
    pub plan_column: Option<String>,
    /// The level of the plan's hierarchy a `node` field shows (0 = top).
    #[serde(default)]
    pub level: Option<usize>,
    /// What a plan field of a card shows when it is not one of the item's columns.
    #[serde(default)]
    pub plan_values: Option<PlanValues>,
    /// The field holding this one's target (効果額実績 → 効果額目標): the reported year's value
    /// is required where there is a target, and accepted with a note where it is 調整中.
    #[serde(default)]
    pub target: Option<String>,
    /// Required when the named field is below its target in the reported year (差の要因).
    #[serde(default)]
    pub required_when_below: Option<String>,
    /// For `from = "kaito"`: the difference of these two fields (`["actual", "target"]`).
    #[serde(default)]
    pub difference_of: Option<[String; 2]>,
    /// The plan vocabulary a status or judgement field draws from (`進捗区分`).
    #[serde(default)]
    pub vocabulary: Option<String>,
    /// Empty is a finding of this severity.
    #[serde(default)]
    pub required: Option<Severity>,
    #[serde(default)]
    pub required_when: Option<When>,
    /// The stem of this field's rule ids (`progress` → `progress-missing`); the key when absent.
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub max_chars: Option<u32>,
    /// Column width in the drawn table (Excel characters).
    #[serde(default = "default_width")]
    pub width: f64,
    /// A merged cell in this column counts for every row it covers (a group number merged
    /// down its rows): an empty cell takes the value above it.
    #[serde(default)]
    pub fill_down: bool,
}

fn default_width() -> f64 {
    16.0
}

impl FieldDef {
    pub fn stem(&self) -> &str {
        self.rule.as_deref().unwrap_or(&self.key)
    }
    /// The label as drawn for `year` (`R2 計画概要`) or as is.
    pub fn heading(&self, year_label: &str) -> String {
        if self.year_prefix { format!("{year_label} {}", self.labels[0]) } else { self.labels[0].clone() }
    }
    /// Whether a header cell names this field: any label, after NFKC with spaces removed,
    /// and with a year in front when the field carries one. Returns the year text found.
    pub fn matches_header(&self, text: &str) -> Option<String> {
        self.matches_folded_header(&fold(text), &self.folded_labels())
    }

    /// The field's labels folded, for [`matches_folded_header`](Self::matches_folded_header).
    pub fn folded_labels(&self) -> Vec<String> {
        self.labels.iter().map(|l| fold(l)).collect()
    }

    /// [`matches_header`](Self::matches_header) for a header text already folded, against
    /// the field's `labels` already folded: a sheet's header row is matched against every
    /// field, and folding each text once is what reading a small table costs most.
    pub fn matches_folded_header(&self, t: &str, labels: &[String]) -> Option<String> {
        for l in labels {
            if self.year_prefix {
                if let Some(prefix) = t.strip_suffix(l.as_str()) {
                    return Some(prefix.to_string());
                }
            } else if t == l {
                return Some(String::new());
            }
        }
        None
    }
}

/// The table shape's own settings.
#[derive(Debug, Clone, Deserialize)]
pub struct TableDef {
    /// Fields whose leading numbers, joined, number an item (`["node", "name"]`: `I 1 (1) ①`).
    pub number_from: Vec<String>,
    /// The sheet title drawn above the table (`<計画名> <title> <年度>`).
    #[serde(default)]
    pub title: String,
}

/// A form definition.
#[derive(Debug, Clone, Deserialize)]
pub struct FormDef {
    /// What plans call it in 様式 (`報告回答票`, `進捗管理表`).
    pub name: String,
    pub title: String,
    pub shape: Shape,
    #[serde(default)]
    pub cadence: Cadence,
    #[serde(default)]
    pub fields: Vec<FieldDef>,
    /// Vocabularies to use when the plan does not carry them (a master table used as the plan).
    #[serde(default)]
    pub vocabularies: BTreeMap<String, Vec<String>>,
    /// Words departments write instead of a vocabulary word, and the word to suggest.
    #[serde(default)]
    pub hints: BTreeMap<String, String>,
    #[serde(default)]
    pub table: Option<TableDef>,
    /// The blocks of a card defined by its fields, top to bottom.
    #[serde(default)]
    pub blocks: Vec<Block>,
    /// The file it was read from (for messages), or the bundled file name.
    #[serde(skip)]
    pub source: String,
    /// The text it was read from: a card form is also read as its card layout.
    #[serde(skip)]
    pub text: String,
}

impl FormDef {
    /// Names of the plan lists that make a field required (`要対応区分`): the words that mean
    /// "behind", drawn in warm colours on every chart.
    pub fn attention_lists(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.fields.iter().filter_map(|f| f.required_when.as_ref()).map(|w| w.list.as_str()).collect();
        out.sort();
        out.dedup();
        out
    }

    pub fn parse(text: &str, source: &str) -> Result<FormDef> {
        let mut f: FormDef = toml::from_str(text).with_context(|| format!("様式の定義 {source} の書式が正しくありません"))?;
        f.source = source.to_string();
        f.text = text.to_string();
        f.validate()?;
        Ok(f)
    }

    /// A bundled form by its name (`報告回答票`) or file name (`progress-table`).
    pub fn bundled(name: &str) -> Option<FormDef> {
        let wanted = fold(name);
        BUNDLED.iter().find_map(|(file, text)| {
            let f = FormDef::parse(text, file).expect("bundled forms are valid");
            (fold(&f.name) == wanted || fold(file.trim_end_matches(".toml")) == wanted).then_some(f)
        })
    }

    /// The form a plan names: a bundled form's name, or a path (relative to the plan file).
    pub fn resolve(name: &str, plan_dir: &Path) -> Result<FormDef> {
        if let Some(f) = FormDef::bundled(name) {
            return Ok(f);
        }
        let path = plan_dir.join(name);
        if path.is_file() {
            return FormDef::load(&path);
        }
        let known: Vec<String> = BUNDLED.iter().map(|(_, t)| FormDef::parse(t, "").map(|f| f.name).unwrap_or_default()).collect();
        bail!("様式「{name}」が見つかりません。同梱の様式({})か、様式の定義ファイルのパスを書いてください", known.join("、"))
    }

    pub fn load(path: &Path) -> Result<FormDef> {
        let text = std::fs::read_to_string(path).with_context(|| format!("様式の定義 {} を読めません", path.display()))?;
        FormDef::parse(&text, &path.display().to_string())
    }

    pub fn field(&self, key: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The first field of a kind.
    pub fn field_of(&self, kind: Kind) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.kind == kind)
    }

    /// A card read by its fields' blocks (not the half-year card's `[labels]` layout).
    pub fn is_field_card(&self) -> bool {
        self.shape == Shape::Card && !self.blocks.is_empty()
    }

    /// Checks that the definition holds together: keys unique, every field named by a rule or
    /// by the table's numbering exists.
    fn validate(&self) -> Result<()> {
        let src = &self.source;
        for (i, f) in self.fields.iter().enumerate() {
            if f.labels.is_empty() {
                bail!("様式の定義 {src}: 項目「{}」にラベル(labels)がありません", f.key);
            }
            if self.fields[..i].iter().any(|g| g.key == f.key) {
                bail!("様式の定義 {src}: 項目のキー「{}」が重複しています", f.key);
            }
            if let Some(w) = &f.required_when
                && self.field(&w.field).is_none()
            {
                bail!("様式の定義 {src}: 項目「{}」の required_when が、ない項目「{}」を指しています", f.key, w.field);
            }
            if matches!(f.kind, Kind::Status | Kind::Judgement) && f.vocabulary.is_none() {
                bail!("様式の定義 {src}: 項目「{}」に vocabulary(計画のどの区分から選ぶか)がありません", f.key);
            }
        }
        for b in &self.blocks {
            let keys: Vec<&String> = match b {
                Block::Pairs { fields } => fields.iter().collect(),
                Block::Wide { field } => vec![field],
                Block::YearGrid { rows, .. } => rows.iter().collect(),
                Block::Activities { answer, .. } => vec![answer],
                Block::Targets { columns } => columns.iter().collect(),
            };
            for k in keys {
                if self.field(k).is_none() {
                    bail!("様式の定義 {src}: ブロックにある項目「{k}」が [[fields]] にありません");
                }
            }
        }
        if self.shape == Shape::Table {
            let Some(t) = &self.table else {
                bail!("様式の定義 {src}: 表の様式には [table] の設定が必要です");
            };
            for k in &t.number_from {
                if self.field(k).is_none() {
                    bail!("様式の定義 {src}: [table] number_from の「{k}」という項目がありません");
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_forms_load_by_name_and_file() {
        let card = FormDef::bundled("報告回答票").unwrap();
        assert_eq!(card.shape, Shape::Card);
        assert_eq!(card.cadence, Cadence::Half);
        let table = FormDef::bundled("進捗管理表").unwrap();
        assert_eq!(table.shape, Shape::Table);
        assert_eq!(table.cadence, Cadence::Year);
        assert!(FormDef::bundled("progress-table").is_some());
        let plan = table.field("plan").unwrap();
        assert_eq!(plan.matches_header("R 2 計画概要").as_deref(), Some("R2"));
        assert_eq!(table.field("status").unwrap().matches_header("進捗区分").as_deref(), Some(""));
    }

    #[test]
    fn broken_definitions_are_refused_with_the_reason() {
        let text = "name = \"x\"\ntitle = \"x\"\nshape = \"table\"\n[[fields]]\nkey = \"a\"\nlabels = [\"A\"]\nrequired_when = { field = \"b\", in = \"要対応区分\" }\n";
        let e = FormDef::parse(text, "x.toml").unwrap_err().to_string();
        assert!(e.contains("「b」"), "{e}");
    }
}
