//! The plan (計画): themes, projects, activities, outcomes and vocabularies, read from the
//! plan workbook that the office keeps (or its TOML/JSON form), and checked for consistency.

use crate::finding::{Finding, a1};
use crate::grid::{self, Grid, Limits};
use crate::normalize::{Amount, fold, tidy, tidy_owned};
use crate::period::{Cadence, parse_fiscal_year};
use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Plan {
    pub name: String,
    pub start_year: i32,
    pub end_year: i32,
    /// 進捗区分: the status codes departments may use, in display order.
    pub vocabulary: Vec<String>,
    /// 要対応区分: statuses that require 課題と対応策.
    #[serde(default)]
    pub needs_countermeasure: Vec<String>,
    pub themes: Vec<Theme>,
    pub projects: Vec<Project>,
    /// 様式: the form departments fill (a bundled form's name or a path to a definition).
    #[serde(default = "default_form")]
    pub form: String,
    /// 報告単位: half-year or fiscal-year reporting.
    #[serde(default)]
    pub cadence: Cadence,
    /// 体系: the plan's hierarchy, level names in order (`["大項目", "中項目", "小項目"]`), and
    /// its nodes. A v1 plan's 視点 are one level; a table's group numbers make several.
    #[serde(default)]
    pub levels: Vec<String>,
    #[serde(default)]
    pub nodes: Vec<Node>,
    /// Indicators with targets (シート 指標).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indicators: Vec<Indicator>,
    /// Further vocabularies and lists of the 計画 sheet (判定区分, 要理由区分…), by name.
    #[serde(default)]
    pub lists: BTreeMap<String, Vec<String>>,
    /// Codes kaito gave a plan that had none: (code, project name, row of the 事業 sheet).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assigned_codes: Vec<(String, String, u32)>,
    /// Where the codes go in the plan workbook: the 事業 sheet's name and its 事業コード column.
    #[serde(skip)]
    pub code_column: Option<(String, u32)>,
    /// What the plan workbook did not say (a sheet or column missing): the checks that
    /// depend on it are not run, rather than blaming every department for the plan's gap.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<PlanGap>,
    /// Look-ups by folded code and number, built on first use (see [`Plan::project`]).
    #[serde(skip)]
    pub index: PlanIndex,
}

/// Projects by folded code and nodes by folded number, each built on its first look-up: a
/// scan that folds every code or number made checking quadratic in the size of the plan.
/// An entry is checked against what it names and a miss falls back to the scan, so a plan
/// changed after the index was built (projects added, codes assigned) still answers right.
#[derive(Debug, Clone, Default)]
pub struct PlanIndex {
    codes: std::sync::OnceLock<crate::normalize::FoldedIndex>,
    /// With the number of nodes indexed: nodes pushed later are found by the scan.
    nodes: std::sync::OnceLock<(usize, crate::normalize::FoldedIndex)>,
}

fn default_form() -> String {
    "報告回答票".into()
}

/// A node of the plan's hierarchy: `I 1 (1)` 新たな財源の確保 under `I 1`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Node {
    /// Its number as the plan writes it, unique in the plan (`I 1 (1)`, `1`, `3-1`).
    pub number: String,
    #[serde(default)]
    pub name: String,
    /// The level's index in `Plan::levels` (0 = top).
    pub level: usize,
    #[serde(default)]
    pub parent: Option<String>,
    /// The prefix of the codes kaito assigns to the node's projects (`0801`).
    #[serde(default)]
    pub code_prefix: Option<String>,
}

/// A part of the plan the workbook lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanGap {
    Themes,
    Names,
    Fiscal,
    Priority,
    Activities,
    Outcomes,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Theme {
    pub number: u32,
    pub name: String,
    #[serde(default)]
    pub code_prefix: Option<String>,
}

/// An item of the plan. What a progress table's plan gives every item (its code, name,
/// departments, place in the hierarchy, extra columns) is held here; the rest, which only a
/// card's plan fills (its page, texts, schedule, outcomes, targets), is in [`Details`], read
/// through `Deref` as the project's own fields (`project.activities`; changed through
/// [`Project::details_mut`]). The details are boxed and absent when all are empty: a plan of
/// 300,000 table items held 216 bytes of empty room in each.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "ProjectFields", into = "ProjectFields")]
pub struct Project {
    pub code: String,
    pub name: String,
    pub theme: u32,
    pub departments: Vec<String>,
    pub set_year: Option<i32>,
    pub priority: bool,
    pub fiscal: bool,
    /// The node of the hierarchy the project sits in (体系), when the plan has one.
    pub node: Option<String>,
    /// Further plan columns a form can show, by header (`内容、進め方`, `計画概要`). Shared
    /// texts: every project holds the same few headers, and a text the plan's workbook stores
    /// once (its shared strings) is held once, however many projects' cells show it.
    pub attrs: ListMap<std::sync::Arc<str>, std::sync::Arc<str>>,
    /// The project's indicator target by year (目標(指標)), when its target is not an amount.
    /// Boxed: few projects have one, and a plan of many projects pays for the room in each.
    pub indicator: Option<Box<Indicator>>,
    /// Set through [`Project::with_details`], which leaves empty details out.
    pub details: Option<Box<Details>>,
}

/// What a card's plan says of a project beyond a table's (see [`Project`]).
#[derive(Debug, Clone, Default)]
pub struct Details {
    pub page: Option<String>,
    pub purpose: String,
    pub overview: String,
    pub activities: Vec<Activity>,
    pub outcomes: Vec<Outcome>,
    /// 効果額目標 per fiscal year, 千円.
    pub effect_targets: BTreeMap<i32, i64>,
    /// 実施課: departments that carry the project out without answering for it.
    pub implementing: Vec<String>,
    /// Years whose 効果額目標 is 調整中 (being set): shown as such, never counted as zero.
    pub pending_targets: BTreeSet<i32>,
    /// Numbered targets judged in reports (シート 目標).
    pub targets: Vec<JudgedTarget>,
}

/// The details of a project that has none.
static NO_DETAILS: Details = Details {
    page: None,
    purpose: String::new(),
    overview: String::new(),
    activities: Vec::new(),
    outcomes: Vec::new(),
    effect_targets: BTreeMap::new(),
    implementing: Vec::new(),
    pending_targets: BTreeSet::new(),
    targets: Vec::new(),
};

impl Details {
    fn is_empty(&self) -> bool {
        self.page.is_none()
            && self.purpose.is_empty()
            && self.overview.is_empty()
            && self.activities.is_empty()
            && self.outcomes.is_empty()
            && self.effect_targets.is_empty()
            && self.implementing.is_empty()
            && self.pending_targets.is_empty()
            && self.targets.is_empty()
    }
}

impl Project {
    /// The project with these details (held only when there is something in them).
    pub fn with_details(mut self, details: Details) -> Project {
        self.details = (!details.is_empty()).then(|| Box::new(details));
        self
    }
    /// The text of the plan's extra column `header` for this project (see `attrs`).
    pub fn attr(&self, header: &str) -> Option<&str> {
        self.attrs.get(header).map(|v| &**v)
    }
    /// The project's details to change, made when it has none yet.
    pub fn details_mut(&mut self) -> &mut Details {
        self.details.get_or_insert_with(Default::default)
    }
}

impl std::ops::Deref for Project {
    type Target = Details;
    fn deref(&self) -> &Details {
        self.details.as_deref().unwrap_or(&NO_DETAILS)
    }
}

/// A project as a plan written in TOML or JSON spells it: every field at one level.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ProjectFields {
    code: String,
    name: String,
    theme: u32,
    departments: Vec<String>,
    #[serde(default)]
    set_year: Option<i32>,
    #[serde(default)]
    priority: bool,
    #[serde(default)]
    fiscal: bool,
    #[serde(default)]
    page: Option<String>,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    overview: String,
    #[serde(default)]
    activities: Vec<Activity>,
    #[serde(default)]
    outcomes: Vec<Outcome>,
    #[serde(default)]
    effect_targets: BTreeMap<i32, i64>,
    #[serde(default)]
    node: Option<String>,
    #[serde(default)]
    implementing: Vec<String>,
    #[serde(default)]
    attrs: ListMap<std::sync::Arc<str>, std::sync::Arc<str>>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pending_targets: BTreeSet<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    indicator: Option<Box<Indicator>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    targets: Vec<JudgedTarget>,
}

impl From<ProjectFields> for Project {
    fn from(f: ProjectFields) -> Project {
        Project {
            code: f.code,
            name: f.name,
            theme: f.theme,
            departments: f.departments,
            set_year: f.set_year,
            priority: f.priority,
            fiscal: f.fiscal,
            node: f.node,
            attrs: f.attrs,
            indicator: f.indicator,
            details: None,
        }
        .with_details(Details {
            page: f.page,
            purpose: f.purpose,
            overview: f.overview,
            activities: f.activities,
            outcomes: f.outcomes,
            effect_targets: f.effect_targets,
            implementing: f.implementing,
            pending_targets: f.pending_targets,
            targets: f.targets,
        })
    }
}

impl From<Project> for ProjectFields {
    fn from(p: Project) -> ProjectFields {
        let d = p.details.map(|d| *d).unwrap_or_default();
        ProjectFields {
            code: p.code,
            name: p.name,
            theme: p.theme,
            departments: p.departments,
            set_year: p.set_year,
            priority: p.priority,
            fiscal: p.fiscal,
            page: d.page,
            purpose: d.purpose,
            overview: d.overview,
            activities: d.activities,
            outcomes: d.outcomes,
            effect_targets: d.effect_targets,
            node: p.node,
            implementing: d.implementing,
            attrs: p.attrs,
            pending_targets: d.pending_targets,
            indicator: p.indicator,
            targets: d.targets,
        }
    }
}

/// A numbered target of a project, judged (達成 / 未達成) from its 判定年度 on.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct JudgedTarget {
    /// `1` for ①.
    pub number: String,
    pub text: String,
    /// Reports of this year or later judge it; `None`: every report.
    #[serde(default)]
    pub due_year: Option<i32>,
}

impl JudgedTarget {
    pub fn is_due(&self, year: i32) -> bool {
        self.due_year.is_none_or(|d| d <= year)
    }
}

/// An indicator with its target: of a node of the hierarchy or of one project (シート 指標).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Indicator {
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default)]
    pub project: Option<String>,
    /// 種類: 成果, 活動, 目標(指標)…
    #[serde(default)]
    pub kind: String,
    pub name: String,
    /// The target as written (`298,513千円`, `35`).
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub target_year: Option<i32>,
    /// Targets by year, when the sheet has year columns.
    #[serde(default)]
    pub by_year: BTreeMap<i32, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Activity {
    pub name: String,
    /// Plan text per fiscal year; a year present here (even `→`) means the activity runs then.
    #[serde(default)]
    pub schedule: Schedule,
}

/// An activity's plan text by fiscal year, in year order. The texts are shared: a plan's
/// schedules say the same few things (`→`, 実施, 検討) hundreds of thousands of times in a
/// large plan, and one copy of each is enough.
pub type Schedule = ListMap<i32, std::sync::Arc<str>>;

/// A small map kept as a sorted list. A plan of a hundred thousand projects holds a few
/// hundred thousand schedules (mostly of one to five years) and as many rows of extra columns
/// (two or three each), where a B-tree's node alone is several times the size of its entries;
/// written and read as a map. Held made to size, with no room to grow: a run's hundreds of
/// thousands of them are mostly made once and only read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    from = "BTreeMap<K, V>",
    into = "BTreeMap<K, V>",
    bound(serialize = "K: Ord + Clone + Serialize, V: Clone + Serialize", deserialize = "K: Ord + Deserialize<'de>, V: Deserialize<'de>")
)]
pub struct ListMap<K: Ord, V>(Box<[(K, V)]>);

impl<K: Ord, V> Default for ListMap<K, V> {
    fn default() -> Self {
        ListMap(Box::new([]))
    }
}

impl<K: Ord, V> ListMap<K, V> {
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.0.binary_search_by(|(k, _)| k.borrow().cmp(key)).ok().map(|i| &self.0[i].1)
    }

    pub fn get_mut<Q: Ord + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: std::borrow::Borrow<Q>,
    {
        self.0.binary_search_by(|(k, _)| k.borrow().cmp(key)).ok().map(|i| &mut self.0[i].1)
    }

    /// Puts `value` under `key`, in its place; a value already there is replaced.
    pub fn insert(&mut self, key: K, value: V) {
        match self.0.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => {
                let mut list = std::mem::take(&mut self.0).into_vec();
                list.insert(i, (key, value));
                self.0 = list.into_boxed_slice();
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.0.iter().map(|(k, _)| k)
    }

    /// A list already in key order, each key once, taken as it is (no second list made).
    pub fn from_sorted(list: Vec<(K, V)>) -> Self {
        debug_assert!(list.windows(2).all(|w| w[0].0 < w[1].0), "keys in order, each once");
        ListMap(list.into_boxed_slice())
    }
}

/// In key order; of two values for one key the later stands, as a map's insert would have it.
impl<K: Ord, V> FromIterator<(K, V)> for ListMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut list: Vec<(K, V)> = Vec::new();
        for (key, value) in iter {
            match list.binary_search_by(|(k, _)| k.cmp(&key)) {
                Ok(i) => list[i].1 = value,
                Err(i) => list.insert(i, (key, value)),
            }
        }
        ListMap(list.into_boxed_slice())
    }
}

impl<K: Ord, V> From<BTreeMap<K, V>> for ListMap<K, V> {
    fn from(map: BTreeMap<K, V>) -> Self {
        ListMap(map.into_iter().collect())
    }
}

impl<K: Ord, V> From<ListMap<K, V>> for BTreeMap<K, V> {
    fn from(s: ListMap<K, V>) -> Self {
        s.0.into_vec().into_iter().collect()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    pub target_year: String,
    pub text: String,
}

/// What a target cell says while the target is being set.
pub const PENDING: &str = "調整中";

/// Words that stand for "the related departments", never a department that answers.
pub const RELATED: &str = "関係課";

impl Project {
    /// 回答課: the first department in charge that is a real department.
    pub fn responding_department(&self) -> &str {
        self.departments.iter().find(|d| d.as_str() != RELATED).map(String::as_str).unwrap_or("")
    }

    /// The fiscal years the project's sheet shows: as many as the plan has, starting at the
    /// later of the plan's first year and the year the project was set.
    pub fn years(&self, plan: &Plan) -> Vec<i32> {
        let first = plan.start_year.max(self.set_year.unwrap_or(plan.start_year));
        (first..first + plan.year_count()).collect()
    }

    /// `民間活力活用事業(企画政策課、関係課)`, the project row of the sheet.
    pub fn title(&self) -> String {
        format!("{}({})", self.name, self.departments.join("、"))
    }
}

impl Activity {
    pub fn is_scheduled(&self, year: i32) -> bool {
        self.schedule.get(&year).is_some_and(|t| !t.trim().is_empty())
    }
}

impl Plan {
    /// Makes each item and node again in new room, one at a time, on the calling thread: a
    /// plan read on a thread of its own holds its values scattered among the pages of the
    /// cells that thread read and let go, and the run then holds those pages to its end.
    /// Copied where they are kept, the values fill few pages, and the reader's go back as
    /// they empty (at 300,000 items, 185 → 150 MB resident; one item at a time, so no more
    /// is held at once than an item).
    pub fn reallocate(&mut self) {
        self.projects.iter_mut().for_each(|p| *p = p.clone());
        self.nodes.iter_mut().for_each(|n| *n = n.clone());
    }

    /// A list of the plan by its name: 進捗区分 and 要対応区分 are the v1 fields, any other
    /// comes from the 計画 sheet.
    pub fn list(&self, name: &str) -> Vec<String> {
        match fold(name).as_str() {
            "進捗区分" => self.vocabulary.clone(),
            "要対応区分" => self.needs_countermeasure.clone(),
            other => self.lists.iter().find(|(k, _)| fold(k) == other).map(|(_, v)| v.clone()).unwrap_or_default(),
        }
    }

    /// The node a project names: numbers are unique within a level (目標1 and テーマ1 may both
    /// be `1`), and projects sit in the lowest level, so the deepest match wins.
    pub fn node(&self, number: &str) -> Option<&Node> {
        self.node_place(number).map(|i| &self.nodes[i])
    }

    /// A node by level and number.
    pub fn node_at(&self, level: usize, number: &str) -> Option<&Node> {
        self.node_place_at(level, number).map(|i| &self.nodes[i])
    }

    /// The place in `nodes` of [`node`](Self::node)'s answer.
    fn node_place(&self, number: &str) -> Option<usize> {
        let n = fold(number);
        // The deepest; of two at one level, the last.
        self.node_places_numbered(&n).into_iter().max_by_key(|&i| self.nodes[i].level)
    }

    /// The place in `nodes` of [`node_at`](Self::node_at)'s answer.
    fn node_place_at(&self, level: usize, number: &str) -> Option<usize> {
        let n = fold(number);
        self.node_places_numbered(&n).into_iter().find(|&i| self.nodes[i].level == level)
    }

    /// The places in `nodes`, in order, of the nodes whose folded number is `folded`, through
    /// the index (see [`PlanIndex`]).
    fn node_places_numbered(&self, folded: &str) -> Vec<usize> {
        let (indexed, index) = self
            .index
            .nodes
            .get_or_init(|| (self.nodes.len(), crate::normalize::FoldedIndex::new(self.nodes.iter().map(|x| x.number.as_str()))));
        let hits = index.find(folded, |i| self.nodes.get(i).map(|x| x.number.as_str()));
        if hits.is_empty() || self.nodes.len() != *indexed {
            return self.nodes.iter().enumerate().filter(|(_, x)| fold(&x.number) == folded).map(|(i, _)| i).collect();
        }
        hits
    }

    /// The node and its ancestors, top first.
    pub fn node_path(&self, number: &str) -> Vec<&Node> {
        self.node_path_places(number).into_iter().map(|i| &self.nodes[i]).collect()
    }

    /// [`node_path`](Self::node_path) as places in `nodes`.
    pub fn node_path_places(&self, number: &str) -> Vec<usize> {
        let mut path = Vec::new();
        let mut at = self.node_place(number);
        while let Some(i) = at {
            path.push(i);
            let n = &self.nodes[i];
            at = match (&n.parent, n.level) {
                (Some(p), l) if l > 0 => self.node_place_at(l - 1, p),
                _ => None,
            };
        }
        path.reverse();
        path
    }

    /// The themes grouped under the level above them (目標), in plan order; one group without a
    /// parent when the plan has a single level.
    pub fn theme_groups(&self) -> Vec<(Option<&Node>, Vec<&Theme>)> {
        let mut groups: Vec<(Option<&Node>, Vec<&Theme>)> = Vec::new();
        for t in &self.themes {
            let path = self.node_path(&t.number.to_string());
            let parent = if path.len() >= 2 { Some(path[path.len() - 2]) } else { None };
            match groups.last_mut() {
                Some((p, list)) if p.map(|x| &x.number) == parent.map(|x| &x.number) => list.push(t),
                _ => groups.push((parent, vec![t])),
            }
        }
        groups
    }

    /// `目標1 効率的・効果的な行政サービスの推進`: a node with its level's name.
    pub fn node_title(&self, n: &Node) -> String {
        let level = self.levels.get(n.level).map(String::as_str).unwrap_or("");
        // 目標1, but 大項目 I: a number that is not a digit reads better apart.
        let gap = if n.number.starts_with(|c: char| c.is_ascii_digit()) { "" } else { " " };
        format!("{level}{gap}{} {}", n.number, n.name).trim().to_string()
    }

    /// `目標1 効率的・効果的な行政サービスの推進 › (1) 行政サービスの向上`: the levels above a
    /// project's theme, then the theme as the card shows it.
    pub fn theme_path(&self, theme: u32) -> String {
        let title = self.theme_title(theme);
        let path = self.node_path(&theme.to_string());
        if path.len() < 2 {
            return title;
        }
        let mut parts: Vec<String> = path[..path.len() - 1].iter().map(|n| self.node_title(n)).collect();
        parts.push(title);
        parts.join(" › ")
    }

    pub fn knows(&self, part: PlanGap) -> bool {
        !self.gaps.contains(&part)
    }

    /// The fiscal years a report may be for: the plan's first year to the year after the last
    /// year any project's sheet shows (its 上半期 report gives that last year's effect).
    pub fn report_years(&self) -> (i32, i32) {
        let last = self.projects.iter().flat_map(|p| p.years(self)).max().unwrap_or(self.end_year).max(self.end_year);
        match self.cadence {
            Cadence::Half => (self.start_year, last + 1),
            Cadence::Year => (self.start_year, last),
        }
    }

    /// Refuses a period the plan has nothing to say about (a typo such as 令和99年度), or
    /// one of the wrong kind (a half-year for a plan reported by year, or the reverse).
    pub fn check_period(&self, period: crate::period::Period) -> Result<()> {
        if !self.cadence.fits(period) {
            match self.cadence {
                Cadence::Half => bail!(
                    "計画「{}」は半期ごとの報告です。報告期間は 2021H1 や 令和3年度上半期 のように半期まで指定してください",
                    self.name
                ),
                Cadence::Year => {
                    bail!("計画「{}」は年度ごとの報告です。報告期間は 2020、R2、令和2年度 のように年度で指定してください", self.name)
                }
            }
        }
        let (first, last) = self.report_years();
        if period.fiscal_year < first || period.fiscal_year > last {
            bail!(
                "報告期間 {} は計画「{}」の期間({}〜{})の外です。--period の年度を確認してください",
                period.japanese(),
                self.name,
                crate::period::era_year(first),
                crate::period::era_year(last)
            );
        }
        Ok(())
    }

    pub fn year_count(&self) -> i32 {
        (self.end_year - self.start_year + 1).max(1)
    }

    pub fn project(&self, code: &str) -> Option<&Project> {
        self.position(code).map(|i| &self.projects[i])
    }

    /// Where the project `code` names (codes compared folded) is in `projects`.
    pub fn position(&self, code: &str) -> Option<usize> {
        let code = fold(code);
        let index = self.index.codes.get_or_init(|| crate::normalize::FoldedIndex::new(self.projects.iter().map(|p| p.code.as_str())));
        if let Some(i) = index.first(&code, |i| self.projects.get(i).map(|p| p.code.as_str())) {
            return Some(i);
        }
        self.projects.iter().position(|p| fold(&p.code) == code)
    }

    pub fn theme(&self, number: u32) -> Option<&Theme> {
        self.themes.iter().find(|t| t.number == number)
    }

    /// `(1) 民間活力の活用`
    pub fn theme_title(&self, number: u32) -> String {
        match self.theme(number) {
            Some(t) if !t.name.is_empty() => format!("({}) {}", t.number, t.name),
            _ => format!("({number})"),
        }
    }

    /// Projects in plan order: theme, then code.
    pub fn ordered_projects(&self) -> Vec<&Project> {
        let mut v: Vec<&Project> = self.projects.iter().collect();
        v.sort_by(|a, b| a.theme.cmp(&b.theme).then_with(|| a.code.cmp(&b.code)));
        v
    }
}

/// A plan as loaded: the plan, and the problems found in it (errors do not stop the run
/// unless nothing sensible can be done, in which case loading fails).
#[derive(Debug, Clone)]
pub struct LoadedPlan {
    pub plan: Plan,
    pub findings: Vec<Finding>,
}

/// Loads the plan from `.xlsx`/`.xlsm`/`.xls`/`.ods`, `.toml` or `.json`.
pub fn load(path: &Path) -> Result<LoadedPlan> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_lowercase();
    let shown = path.display().to_string();
    if !path.exists() {
        let near = crate::fsutil::nearby_plan_files(path);
        if near.is_empty() {
            bail!("計画ファイル {shown} が見つかりません。--plan に計画ファイル(.xlsx)のパスを指定してください");
        }
        bail!("計画ファイル {shown} が見つかりません。近くにあるファイル: {}。--plan にどれかを指定してください", near.join("、"));
    }
    let (plan, mut findings) = match ext.as_str() {
        "toml" => {
            let text = std::fs::read_to_string(path).with_context(|| format!("計画ファイル {shown} を読めません"))?;
            (toml::from_str::<Plan>(&text).with_context(|| format!("計画ファイル {shown} の書式が正しくありません"))?, vec![])
        }
        "json" => {
            let text = std::fs::read_to_string(path).with_context(|| format!("計画ファイル {shown} を読めません"))?;
            (serde_json::from_str::<Plan>(&text).with_context(|| format!("計画ファイル {shown} の書式が正しくありません"))?, vec![])
        }
        _ => {
            let bytes = std::fs::read(path).with_context(|| format!("計画ファイル {shown} を開けません"))?;
            return load_book(&mut open_book(&bytes, &shown)?, &shown);
        }
    };
    let plan = finish(plan, &shown, &mut findings)?;
    Ok(LoadedPlan { plan, findings })
}

/// Opens a plan workbook's bytes whole: a plan is never read in part (a cut sheet would lose
/// items without a word), so it is read with Excel's own limits, not a response sheet's.
/// (Its sheets are read as the plan is made from them: see [`sheet`].)
pub fn open_book<'a>(bytes: &'a [u8], shown: &str) -> Result<grid::Sheets<'a>> {
    grid::open_sheets(bytes, &Limits::for_plan()).map_err(|reason| anyhow::anyhow!("計画ファイル {shown} を読めません: {reason}"))
}

/// Every sheet of an opened plan workbook (a master table is read whole), refused when one
/// is larger than Excel allows.
pub fn all_sheets<'s>(sheets: &'s mut grid::Sheets, shown: &str) -> Result<&'s [Grid]> {
    let all = sheets.read_all().map_err(|reason| anyhow::anyhow!("計画ファイル {shown} を読めません: {reason}"))?;
    if let Some(g) = all.iter().find(|g| g.outside > 0) {
        bail!("計画ファイル {shown} のシート「{}」が大きすぎて読み切れません({} 個のセルが範囲外)", g.name, g.outside);
    }
    Ok(all)
}

/// The plan of an opened plan workbook.
pub fn load_book(sheets: &mut grid::Sheets, shown: &str) -> Result<LoadedPlan> {
    load_book_for(sheets, shown, Texts::All)
}

/// Which of an item's texts a run keeps from the plan workbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Texts {
    /// Everything the workbook says of each item.
    All,
    /// All but the texts only a drawing of the item prints: its 目的, 概要 and 成果 (the
    /// 成果 sheet is still read, and its rows that name no item still reported). A check that
    /// writes no workbook never reads them, and in a plan of 100,000 items they are over half
    /// of the text it holds.
    ForChecking,
}

/// [`load_book`] keeping the item texts `texts` says.
pub fn load_book_for(sheets: &mut grid::Sheets, shown: &str, texts: Texts) -> Result<LoadedPlan> {
    let (plan, mut findings) = from_book(sheets, shown, texts)?;
    let plan = finish(plan, shown, &mut findings)?;
    Ok(LoadedPlan { plan, findings })
}

/// The form an opened plan workbook names (its 「計画」 sheet's 様式, else the default), read
/// before the rest of the plan so that its files can be read while the plan is; `None` when
/// the workbook has no 「計画」 sheet with 項目 and 値 (reading the plan says what is wrong).
/// The sheet stays in `sheets` for [`load_book_for`].
pub fn form_of(sheets: &mut grid::Sheets, file: &str) -> Result<Option<String>> {
    let Some(meta) = sheet(sheets, "計画", file)? else { return Ok(None) };
    let form = Table::find(&meta, "項目").map(|t| form_named(&meta_values(&t)));
    sheets.give_back(meta);
    Ok(form)
}

/// The 「計画」 sheet's values by folded 項目, with their rows: a 項目 written twice, the
/// later row stands.
fn meta_values(t: &Table) -> BTreeMap<String, (u32, String)> {
    let (kc, vc) = (t.col("項目"), t.col("値"));
    t.rows().map(|r| (fold(&t.text(r, kc)), (r, t.text(r, vc)))).collect()
}

/// The form the 「計画」 sheet's values name (様式), the default when it names none.
fn form_named(kv: &BTreeMap<String, (u32, String)>) -> String {
    kv.get(&fold("様式")).map(|(_, v)| v.clone()).filter(|v| !v.is_empty()).unwrap_or_else(default_form)
}

/// A plan finding the office should look at but that does not make the plan wrong.
fn plan_warning(rule: &'static str, file: &str, sheet: &str, cell: Option<String>, message: String) -> Finding {
    let mut f = plan_finding(rule, file, sheet, cell, message);
    f.severity = crate::finding::Severity::Warning;
    f
}

fn plan_finding(rule: &'static str, file: &str, sheet: &str, cell: Option<String>, message: String) -> Finding {
    let mut f = Finding::error(rule, message).file(file);
    if !sheet.is_empty() {
        f = f.sheet(sheet);
    }
    if let Some(c) = cell {
        f = f.cell(c);
    }
    f
}

/// Consistency checks shared by every plan format, and the vocabularies the plan's form
/// needs. Duplicate codes keep the first project.
pub fn finish(mut plan: Plan, file: &str, findings: &mut Vec<Finding>) -> Result<Plan> {
    if plan.projects.is_empty() {
        bail!("計画ファイル {file} に事業が1件もありません。シート「事業」に事業コードと事業名を入れてください");
    }
    // The vocabularies the plan's form draws from: the plan's own, else the form's defaults.
    let plan_dir = Path::new(file).parent().unwrap_or(Path::new("."));
    let form = crate::form::FormDef::resolve(&plan.form, plan_dir)?;
    let mut needed: Vec<&str> = form.fields.iter().filter_map(|f| f.vocabulary.as_deref()).collect();
    needed.extend(form.fields.iter().filter_map(|f| f.required_when.as_ref().map(|w| w.list.as_str())));
    for name in needed {
        if !plan.list(name).is_empty() {
            continue;
        }
        let Some(default) = form.vocabularies.get(name).filter(|v| !v.is_empty()) else {
            if name == "要対応区分" {
                continue; // an empty list: nothing requires a countermeasure
            }
            bail!(
                "計画ファイル {file} に{name}がありません。シート「計画」に「{name}」(例: {})を入れてください",
                if name == "進捗区分" { "済,概ね順調,遅れ,未着手,休止,-" } else { "語をカンマ区切りで" }
            );
        };
        match name {
            "進捗区分" => plan.vocabulary = default.clone(),
            "要対応区分" => plan.needs_countermeasure = default.clone(),
            _ => {
                plan.lists.insert(name.to_string(), default.clone());
            }
        }
    }
    if plan.end_year < plan.start_year {
        bail!("計画ファイル {file} の終了年度({})が開始年度({})より前です", plan.end_year, plan.start_year);
    }
    for code in plan.needs_countermeasure.clone() {
        if !plan.vocabulary.contains(&code) {
            findings.push(plan_finding(
                "plan-vocabulary",
                file,
                "計画",
                None,
                format!("要対応区分の「{code}」が進捗区分にありません。進捗区分に含まれる語を書いてください"),
            ));
        }
    }
    let mut seen = HashSet::new();
    // In place: a second list of a hundred thousand projects would double the plan's peak.
    plan.projects.retain(|p| {
        if !seen.insert(fold(&p.code)) {
            findings.push(
                plan_finding(
                    "plan-duplicate-code",
                    file,
                    "事業",
                    None,
                    format!(
                        "事業コード {} が重複しています(「{}」)。最初の行の事業だけを使います。事業ごとに別のコードを付けてください",
                        p.code, p.name
                    ),
                )
                .project(p.code.clone()),
            );
            return false;
        }
        true
    });
    plan.projects.shrink_to_fit();
    // Lists grown a row at a time keep room for more (four where one was pushed): a large
    // plan holds hundreds of thousands of them for the whole run.
    for p in &mut plan.projects {
        p.departments.shrink_to_fit();
        if let Some(d) = p.details.as_deref_mut() {
            d.implementing.shrink_to_fit();
            d.activities.shrink_to_fit();
            d.outcomes.shrink_to_fit();
            d.targets.shrink_to_fit();
        }
    }
    let theme_numbers: HashSet<u32> = plan.themes.iter().map(|t| t.number).collect();
    for p in &plan.projects {
        // A project placed in the hierarchy by 体系 (or a table's group) is where it says.
        let placed = p.node.as_deref().is_some_and(|n| plan.node(n).is_some());
        if !placed && !theme_numbers.contains(&p.theme) {
            let (what, number) = match &p.node {
                Some(n) if plan.levels.len() > 1 || plan.levels.first().is_some_and(|l| l != "視点") => ("体系", n.clone()),
                _ => ("視点", p.theme.to_string()),
            };
            findings.push(
                plan_finding(
                    "plan-theme-unknown",
                    file,
                    "事業",
                    None,
                    format!("事業 {}「{}」の{what} {number} がシート「{what}」にありません", p.code, p.name),
                )
                .project(p.code.clone()),
            );
        }
        if p.responding_department().is_empty() {
            let why = if p.departments.is_empty() {
                "推進担当課(担当部署)が空です。回答する課が決まらないため、未提出の一覧では「担当未設定」になります".to_string()
            } else {
                "推進担当課に実在の課がありません(「関係課」だけでは回答課が決まりません)".to_string()
            };
            findings.push(
                plan_finding("plan-departments", file, "事業", None, format!("事業 {}「{}」の{why}", p.code, p.name))
                    .project(p.code.clone()),
            );
        }
    }
    Ok(plan)
}

/// One copy of each text: a plan's cells repeat texts (a large plan's extra columns and
/// schedules say the same few things for thousands of projects) that its workbook stores once.
#[derive(Default)]
struct Shared(std::collections::HashSet<std::sync::Arc<str>>);

impl Shared {
    fn get(&mut self, text: String) -> std::sync::Arc<str> {
        if let Some(t) = self.0.get(text.as_str()) {
            return t.clone();
        }
        let t: std::sync::Arc<str> = text.into();
        self.0.insert(t.clone());
        t
    }
}

/// A header row of a plan sheet: column index by folded header name.
struct Table<'a> {
    grid: &'a Grid,
    header_row: u32,
    columns: Vec<(u32, String)>,
}

impl<'a> Table<'a> {
    /// Finds the header row (within the first 20 rows) that contains `first`.
    fn find(grid: &'a Grid, first: &str) -> Option<Table<'a>> {
        let key = fold(first);
        for r in 0..20 {
            let cols = header_columns(grid.row(r));
            if cols.iter().any(|(_, t)| *t == key) {
                return Some(Table { grid, header_row: r, columns: cols });
            }
        }
        None
    }
    fn col(&self, name: &str) -> Option<u32> {
        let key = fold(name);
        self.columns.iter().find(|(_, t)| *t == key).map(|(c, _)| *c)
    }
    fn rows(&self) -> impl Iterator<Item = u32> + '_ {
        (self.header_row + 1..=self.grid.last_row()).filter(|r| self.grid.row(*r).next().is_some())
    }
    fn text(&self, row: u32, col: Option<u32>) -> String {
        col.map(|c| tidy_owned(self.grid.value(row, c).text())).unwrap_or_default()
    }
    /// Data rows with the index of the project their 事業コード names; a code the 事業 sheet
    /// does not have is reported once per row and the row passed over.
    /// A plan without codes names the project by 事業名 instead.
    fn project_rows(&self, plan: &Plan, file: &str, what: &str, findings: &mut Vec<Finding>) -> Vec<(u32, usize)> {
        let (cc, nc) = (self.col("事業コード"), self.col("事業名"));
        // Projects by folded code and name, the first of each: one look-up a row, not a scan.
        let mut by_code = std::collections::HashMap::new();
        let mut by_name = std::collections::HashMap::new();
        for (i, p) in plan.projects.iter().enumerate() {
            by_code.entry(fold(&p.code)).or_insert(i);
            if !p.name.is_empty() {
                by_name.entry(fold(&p.name)).or_insert(i);
            }
        }
        let mut out = Vec::new();
        for r in self.rows() {
            let code = cc.map(|c| crate::normalize::tidy_code(&self.grid.value(r, c).text())).unwrap_or_default();
            let name = self.text(r, nc);
            let found = if !code.is_empty() {
                by_code.get(&fold(&code)).copied()
            } else if name.is_empty() {
                None
            } else {
                by_name.get(&fold(&name)).copied()
            };
            match found {
                Some(i) => out.push((r, i)),
                None => findings.push(plan_finding(
                    "plan-unknown-project",
                    file,
                    &self.grid.name,
                    Some(a1(r, cc.or(nc).unwrap_or(0))),
                    if code.is_empty() {
                        format!("{what}の事業名「{name}」がシート「事業」にありません")
                    } else {
                        format!("{what}の事業コード「{code}」がシート「事業」にありません")
                    },
                )),
            }
        }
        out
    }

    /// Columns whose header is a fiscal year, with the year.
    fn year_columns(&self, file: &str, findings: &mut Vec<Finding>, known: &[&str]) -> Vec<(u32, i32)> {
        let known: Vec<String> = known.iter().map(|k| fold(k)).collect();
        let mut out = Vec::new();
        for (c, t) in &self.columns {
            if known.contains(t) {
                continue;
            }
            // A plan may print its years as the era's number alone (`3年度` for 令和3年度).
            let era_only =
                t.trim_end_matches("年度").parse::<i32>().ok().filter(|n| (1..=99).contains(n) && t.ends_with("年度")).map(|n| 2018 + n);
            match parse_fiscal_year(t).or(era_only) {
                Some(y) => out.push((*c, y)),
                None => findings.push(plan_finding(
                    "plan-year-header",
                    file,
                    &self.grid.name,
                    Some(a1(self.header_row, *c)),
                    format!("見出し「{t}」を年度として読めません。2020、2020年度、令和2年度、R2 のように書いてください"),
                )),
            }
        }
        out
    }
}

fn yes(text: &str) -> bool {
    let t = fold(text);
    matches!(t.as_str(), "●" | "○" | "◯" | "1" | "重点" | "財" | "TRUE" | "true" | "はい" | "Yes" | "yes")
}

fn split_departments(text: &str) -> Vec<String> {
    text.split(|c: char| c == '、' || c == ',' || c == '，' || c == '､' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The plan sheet named `name`, read now (each is read once, and let go when done with, so
/// a large plan never holds all its sheets at once). A sheet larger than Excel allows stops
/// the run: a plan is never read in part.
fn sheet(sheets: &mut grid::Sheets, name: &str, file: &str) -> Result<Option<Grid>> {
    let g = sheets.take(name, |a, b| fold(a) == fold(b)).map_err(|reason| anyhow::anyhow!("計画ファイル {file} を読めません: {reason}"))?;
    if let Some(g) = g.as_ref().filter(|g| g.outside > 0) {
        bail!("計画ファイル {file} のシート「{}」が大きすぎて読み切れません({} 個のセルが範囲外)", g.name, g.outside);
    }
    Ok(g)
}

fn has_sheet(sheets: &grid::Sheets, name: &str) -> bool {
    sheets.names().iter().any(|n| fold(n) == fold(name))
}

/// Whether the plan's form is a card (the v1 default), which needs the card's columns and
/// sheets. A form that cannot be found is reported when the plan is finished.
fn plan_form_is_card(plan: &Plan, file: &str) -> bool {
    let dir = Path::new(file).parent().unwrap_or(Path::new("."));
    crate::form::FormDef::resolve(&plan.form, dir).map_or(true, |f| f.shape == crate::form::Shape::Card && !f.is_field_card())
}

/// The columns of the 事業 sheet, found in its header row.
struct ProjectColumns {
    header_row: u32,
    code: Option<u32>,
    name: Option<u32>,
    theme: Option<u32>,
    node: Option<u32>,
    department: Option<u32>,
    implementing: Option<u32>,
    set_year: Option<u32>,
    priority: Option<u32>,
    fiscal: Option<u32>,
    page: Option<u32>,
    purpose: Option<u32>,
    overview: Option<u32>,
    /// The city's own columns, kept per project under their headers: found once, not per row.
    extra: Vec<(u32, std::sync::Arc<str>)>,
}

/// The 事業 sheet read a row at a time (see [`grid::Sheets::stream_rows`]): each row becomes
/// a project as it comes, and what it says wrong a finding, in row order.
struct ProjectSheet<'a> {
    plan: &'a Plan,
    file: &'a str,
    sheet: &'a str,
    texts: Texts,
    card: bool,
    /// Found within the first 20 rows, or the sheet cannot be read.
    columns: Option<ProjectColumns>,
    projects: Vec<Project>,
    findings: Vec<Finding>,
    gaps: Vec<PlanGap>,
    assigned_codes: Vec<(String, String, u32)>,
    /// Rows without a code, held until a row with one comes: a draft plan may have no codes
    /// at all, and then each row is given one (below); in a plan with codes they are passed
    /// over. A plan's first item normally has its code, so nothing waits.
    waiting: Vec<grid::OwnedRow>,
    coded: bool,
    assigned: BTreeMap<String, u32>,
    first_row: std::collections::HashMap<String, u32>,
    shared: Shared,
    /// The rows the sheet says it has, for room made once the header is found.
    last_row: u32,
}

impl<'a> ProjectSheet<'a> {
    fn new(plan: &'a Plan, file: &'a str, sheet: &'a str, texts: Texts, card: bool) -> ProjectSheet<'a> {
        ProjectSheet {
            plan,
            file,
            sheet,
            texts,
            card,
            columns: None,
            projects: Vec::new(),
            findings: Vec::new(),
            gaps: Vec::new(),
            assigned_codes: Vec::new(),
            waiting: Vec::new(),
            coded: false,
            assigned: BTreeMap::new(),
            first_row: Default::default(),
            shared: Shared::default(),
            last_row: 0,
        }
    }

    /// Reads the header row: its columns, and the ones the form needs that it lacks.
    fn header(&mut self, row: grid::Row<'_>) {
        let headers = header_columns(row.filled());
        let c = |name: &str| {
            let key = fold(name);
            headers.iter().find(|(_, t)| *t == key).map(|(c, _)| *c)
        };
        // Columns beyond these are plan fields a form may show (内容、進め方, 計画概要…).
        let standard: Vec<String> = [
            "事業コード",
            "事業名",
            "視点",
            "体系",
            "推進担当課",
            "実施課",
            "設定年度",
            "重点",
            "財政健全化",
            "該当ページ",
            "目的・目標",
            "事業の概要",
        ]
        .iter()
        .map(|h| fold(h))
        .collect();
        // Columns the form needs: a missing one is the plan's fault, said once here, and the
        // checks that rest on it are not run (rather than failing every department).
        for (header, gap, consequence) in [
            ("事業名", Some(PlanGap::Names), "事業名の照合(name-mismatch)をしません"),
            ("視点", None, "すべての事業を視点なしとして集計します"),
            ("推進担当課", None, "回答課が分かりません"),
            ("財政健全化", Some(PlanGap::Fiscal), "財政健全化事業が分からないため、効果額の記入漏れと記入不要の点検をしません"),
            ("重点", Some(PlanGap::Priority), "重点事業の印を付けません"),
        ] {
            // Only the card reports effects and marks priorities; other forms need fewer columns.
            if !self.card && gap.is_some_and(|g| matches!(g, PlanGap::Fiscal | PlanGap::Priority)) {
                continue;
            }
            // A v2 plan names the hierarchy column 体系.
            let present = c(header).is_some() || (header == "視点" && c("体系").is_some());
            if !present {
                self.findings.push(plan_finding(
                    "plan-header-missing",
                    self.file,
                    self.sheet,
                    Some(a1(row.number, 0)),
                    format!("シート「事業」に見出し「{header}」がありません。{consequence}。見出しの名前を確認してください"),
                ));
                if let Some(gap) = gap {
                    self.gaps.push(gap);
                }
            }
        }
        // One allocation for all the projects rather than doubling through them (room not
        // used, when the sheet says more rows than it has, is given back at the end).
        self.projects.reserve_exact(self.last_row.saturating_sub(row.number) as usize);
        self.columns = Some(ProjectColumns {
            header_row: row.number,
            code: c("事業コード"),
            name: c("事業名"),
            theme: c("視点"),
            node: c("体系"),
            department: c("推進担当課"),
            implementing: c("実施課"),
            set_year: c("設定年度"),
            priority: c("重点"),
            fiscal: c("財政健全化"),
            page: c("該当ページ"),
            purpose: c("目的・目標"),
            overview: c("事業の概要"),
            extra: headers.iter().filter(|(_, h)| !standard.contains(h)).map(|(c, h)| (*c, std::sync::Arc::from(h.as_str()))).collect(),
        });
    }

    /// One row of the sheet below its header, as a project (or the finding that says why not).
    /// `no_codes`: the sheet has no codes at all, and this row is given one.
    fn project(&mut self, row: grid::Row<'_>, no_codes: bool) {
        let Some(cols) = &self.columns else { return };
        let (file, sheet, plan) = (self.file, self.sheet, self.plan);
        let text = |col: Option<u32>| col.map(|c| tidy_owned(row.value(c).text())).unwrap_or_default();
        let r = row.number;
        let mut code = crate::normalize::tidy_code(&cols.code.map(|c| row.value(c).text()).unwrap_or_default());
        if code.is_empty() && no_codes {
            let theme = text(cols.node.or(cols.theme));
            let n = self.assigned.entry(theme.clone()).or_default();
            *n += 1;
            let prefix = plan
                .nodes
                .iter()
                .filter(|x| fold(&x.number) == fold(&theme))
                .max_by_key(|x| x.level)
                .and_then(|x| x.code_prefix.clone())
                .or_else(|| plan.themes.iter().find(|x| x.number.to_string() == theme).and_then(|x| x.code_prefix.clone()));
            code = match prefix {
                Some(p) => format!("{p}-{:02}", n),
                None => format!("{}-{:02}", theme, n),
            };
            self.assigned_codes.push((code.clone(), text(cols.name), r));
        }
        if let Some(first) = self.first_row.get(&fold(&code)) {
            self.findings.push(
                plan_finding(
                    "plan-duplicate-code",
                    file,
                    sheet,
                    Some(a1(r, cols.code.unwrap_or(0))),
                    format!(
                        "事業コード {code} が {} 行目と {} 行目で重複しています(「{}」)。{} 行目の事業だけを使います。事業ごとに別のコードを付けるか、1行にまとめてください",
                        first + 1,
                        r + 1,
                        text(cols.name),
                        first + 1
                    ),
                )
                .project(code.clone()),
            );
            return;
        }
        if code.is_empty() {
            self.findings.push(plan_finding(
                "plan-project",
                file,
                sheet,
                Some(a1(r, cols.code.unwrap_or(0))),
                format!("{} 行目の事業に事業コードがありません。この行は使いません", r + 1),
            ));
            return;
        }
        self.first_row.insert(fold(&code), r);
        let node_text = text(cols.node);
        let theme_text = text(cols.theme);
        // A cell of the project's row that cannot be read as what its column holds.
        let findings = &mut self.findings;
        let mut unreadable = |rule: &'static str, col: Option<u32>, message: String| {
            findings.push(plan_finding(rule, file, sheet, Some(a1(r, col.unwrap_or(0))), message).project(code.clone()));
        };
        // A v2 plan places a project by 体系; its number need not be a number (`I 1 (1)`).
        let theme = if cols.theme.is_none() && cols.node.is_some() {
            fold(&node_text).parse::<u32>().unwrap_or(0)
        } else {
            fold(&theme_text).trim_matches(|c| c == '(' || c == ')').parse::<u32>().unwrap_or_else(|_| {
                unreadable("plan-theme-unknown", cols.theme, format!("事業 {code} の視点「{theme_text}」を番号として読めません"));
                0
            })
        };
        let set_text = text(cols.set_year);
        let set_year = if set_text.is_empty() {
            None
        } else {
            let y = parse_fiscal_year(&set_text);
            if y.is_none() {
                unreadable("plan-year-header", cols.set_year, format!("事業 {code} の設定年度「{set_text}」を年度として読めません"));
            }
            y
        };
        let all = self.texts == Texts::All;
        let shared = &mut self.shared;
        self.projects.push(
            Project {
                code,
                name: text(cols.name),
                theme,
                departments: split_departments(&text(cols.department)),
                set_year,
                priority: yes(&text(cols.priority)),
                fiscal: yes(&text(cols.fiscal)),
                node: Some(node_text).filter(|n| !n.is_empty()).or_else(|| Some(theme_text.clone()).filter(|n| !n.is_empty())),
                attrs: cols
                    .extra
                    .iter()
                    .map(|(col, h)| (h.clone(), text(Some(*col))))
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(h, v)| (h, shared.get(v)))
                    .collect(),
                ..Default::default()
            }
            .with_details(Details {
                page: Some(text(cols.page)).filter(|s| !s.is_empty()),
                purpose: if all { text(cols.purpose) } else { String::new() },
                overview: if all { text(cols.overview) } else { String::new() },
                implementing: split_departments(&text(cols.implementing)),
                ..Default::default()
            }),
        );
    }

    /// The projects read, with what was said of them, in the order said.
    fn finish(mut self) -> Result<ProjectsRead> {
        let Some(cols) = &self.columns else {
            bail!("計画ファイル {} のシート「事業」に見出し「事業コード」がありません", self.file)
        };
        let code_column = cols.code.map(|c| (self.sheet.to_string(), c));
        // No row had a code: the draft's rows are numbered, in plan order.
        for row in std::mem::take(&mut self.waiting) {
            self.project(row.row(), true);
        }
        self.projects.shrink_to_fit();
        if !self.assigned_codes.is_empty() {
            let list: Vec<String> = self.assigned_codes.iter().map(|(c, n, _)| format!("{c} {n}")).collect();
            self.findings.push(
                Finding::info(
                    "plan-codes-assigned",
                    format!(
                        "計画に事業コードがないため、改革テーマのコード接頭辞と計画の順から付けました({} 件): {}",
                        list.len(),
                        list.join("、")
                    ),
                )
                .file(self.file)
                .sheet(self.sheet)
                .suggest("kaito plan --write-codes で計画に書き込むと、以後コードが変わりません"),
            );
        }
        Ok(ProjectsRead {
            projects: self.projects,
            gaps: self.gaps,
            findings: self.findings,
            assigned_codes: self.assigned_codes,
            code_column,
        })
    }
}

/// What the 事業 sheet gives the plan.
struct ProjectsRead {
    projects: Vec<Project>,
    gaps: Vec<PlanGap>,
    findings: Vec<Finding>,
    assigned_codes: Vec<(String, String, u32)>,
    code_column: Option<(String, u32)>,
}

impl grid::RowSink for ProjectSheet<'_> {
    fn last_row(&mut self, row: u32) {
        self.last_row = row;
    }

    fn row(&mut self, row: grid::Row<'_>) {
        let Some(cols) = &self.columns else {
            // The header is looked for in the first 20 rows only.
            if row.number < 20 && header_columns(row.filled()).iter().any(|(_, t)| *t == fold("事業コード")) {
                self.header(row);
            }
            return;
        };
        if row.number <= cols.header_row {
            return;
        }
        // A draft plan may have no codes at all: kaito then numbers each theme's projects in
        // plan order from the theme's コード接頭辞 (0801-01, 0801-02…), says so, and `kaito
        // plan --write-codes` writes them into the plan so that they stay fixed.
        let has_code = cols.code.is_some_and(|c| !row.value(c).text().trim().is_empty());
        if !has_code && !self.coded {
            self.waiting.push(row.keep());
            return;
        }
        if has_code && !self.coded {
            self.coded = true;
            // The plan has codes: rows without one before this are passed over, said in turn.
            for waiting in std::mem::take(&mut self.waiting) {
                self.project(waiting.row(), false);
            }
        }
        self.project(row, false);
    }
}

/// A header row's columns: column index by folded header name.
fn header_columns<'c>(cells: impl Iterator<Item = (u32, &'c grid::Cell)>) -> Vec<(u32, String)> {
    cells.map(|(c, cell)| (c, fold(&cell.value.text()))).collect()
}

fn from_book(sheets: &mut grid::Sheets, file: &str, texts: Texts) -> Result<(Plan, Vec<Finding>)> {
    let mut findings = Vec::new();
    let meta = sheet(sheets, "計画", file)?.with_context(|| {
        format!("計画ファイル {file} にシート「計画」がありません(計画名・開始年度・終了年度・進捗区分を書くシートです)")
    })?;
    let t =
        Table::find(&meta, "項目").with_context(|| format!("計画ファイル {file} のシート「計画」に見出し「項目」「値」がありません"))?;
    let vc = t.col("値");
    let kv = meta_values(&t);
    let get = |k: &str| kv.get(&fold(k)).cloned();
    let year = |k: &str| -> Result<i32> {
        let (r, v) = get(k).with_context(|| format!("計画ファイル {file} のシート「計画」に「{k}」がありません"))?;
        parse_fiscal_year(&v)
            .with_context(|| format!("計画ファイル {file} のシート「計画」{} の「{k}」({v})を年度として読めません", a1(r, vc.unwrap_or(1))))
    };
    let split = |v: &str| -> Vec<String> { v.split([',', '、', '，']).map(tidy).filter(|s| !s.is_empty()).collect() };
    let list = |k: &str| -> Vec<String> { get(k).map(|(_, v)| split(&v)).unwrap_or_default() };
    let cadence = match get("報告単位") {
        None => Cadence::Half,
        Some((r, v)) => Cadence::parse(&v).with_context(|| {
            format!(
                "計画ファイル {file} のシート「計画」{} の報告単位「{v}」を読めません。「半期」か「年度」と書いてください",
                a1(r, vc.unwrap_or(1))
            )
        })?,
    };
    // Every other key is a list a form may use (判定区分, 要理由区分…).
    let known: Vec<String> =
        ["計画名", "開始年度", "終了年度", "進捗区分", "要対応区分", "様式", "報告単位"].iter().map(|k| fold(k)).collect();
    let lists = kv.iter().filter(|(k, _)| !known.contains(k)).map(|(k, (_, v))| (k.clone(), split(v))).collect();
    let mut plan = Plan {
        name: get("計画名").map(|(_, v)| v).unwrap_or_default(),
        start_year: year("開始年度")?,
        end_year: year("終了年度")?,
        vocabulary: list("進捗区分"),
        needs_countermeasure: list("要対応区分"),
        form: form_named(&kv),
        cadence,
        lists,
        ..Default::default()
    };

    // 体系: any number of levels, named as the city names them, ordered by first appearance.
    if let Some(g) = sheet(sheets, "体系", file)?
        && let Some(t) = Table::find(&g, "番号")
    {
        let (lc, nc, namec, pc, cpc) = (t.col("階層"), t.col("番号"), t.col("名称"), t.col("上位"), t.col("コード接頭辞"));
        for r in t.rows() {
            let level_name = t.text(r, lc);
            let level = match plan.levels.iter().position(|l| *l == level_name) {
                Some(i) => i,
                None => {
                    plan.levels.push(level_name.clone());
                    plan.levels.len() - 1
                }
            };
            let parent = Some(t.text(r, pc)).filter(|p| !p.is_empty());
            let code_prefix = Some(t.text(r, cpc)).filter(|p| !p.is_empty());
            plan.nodes.push(Node { number: t.text(r, nc), name: t.text(r, namec), level, parent, code_prefix });
        }
    }

    // A 体系 without a 視点 sheet: its lowest level numbered 1, 2… is what the card calls a
    // theme (改革テーマ), with the level above shown before it.
    if !has_sheet(sheets, "視点") && plan.levels.len() > 1 {
        let lowest = plan.levels.len() - 1;
        for n in plan.nodes.iter().filter(|n| n.level == lowest) {
            if let Ok(number) = fold(&n.number).trim_matches(|c| c == '(' || c == ')').parse::<u32>() {
                plan.themes.push(Theme { number, name: n.name.clone(), code_prefix: n.code_prefix.clone() });
            }
        }
    }
    if let Some(g) = sheet(sheets, "視点", file)? {
        if let Some(t) = Table::find(&g, "番号") {
            let (nc, namec, pc) = (t.col("番号"), t.col("名称"), t.col("コード接頭辞"));
            for r in t.rows() {
                let n = t.text(r, nc);
                match fold(&n).trim_matches(|c| c == '(' || c == ')').parse::<u32>() {
                    Ok(number) => plan.themes.push(Theme {
                        number,
                        name: t.text(r, namec),
                        code_prefix: Some(t.text(r, pc)).filter(|s| !s.is_empty()),
                    }),
                    Err(_) => findings.push(plan_finding(
                        "plan-theme",
                        file,
                        &g.name,
                        Some(a1(r, nc.unwrap_or(0))),
                        format!("視点の番号「{n}」が数字ではありません"),
                    )),
                }
            }
        }
    } else if plan.nodes.is_empty() && plan.themes.is_empty() {
        findings.push(plan_finding(
            "plan-sheet-missing",
            file,
            "視点",
            None,
            "シート「視点」がありません。視点の名前が分からないため、集計は事業の「視点」列の番号だけで分けます".into(),
        ));
        plan.gaps.push(PlanGap::Themes);
    }

    // The 事業 sheet a row at a time: a plan of a hundred thousand items is never held whole.
    let name = sheets.names().into_iter().find(|n| fold(n) == fold("事業"));
    let missing = || anyhow::anyhow!("計画ファイル {file} にシート「事業」がありません");
    let name = name.ok_or_else(missing)?;
    let card = plan_form_is_card(&plan, file);
    let same = |a: &str, b: &str| fold(a) == fold(b);
    let reading = loop {
        let mut reading = ProjectSheet::new(&plan, file, &name, texts, card);
        let streamed = sheets
            .stream_rows(&name, same, &mut reading)
            .map_err(|reason| anyhow::anyhow!("計画ファイル {file} を読めません: {reason}"))?;
        match streamed {
            grid::Streamed::Missing => return Err(missing()),
            grid::Streamed::Read { name, outside } if outside > 0 => {
                bail!("計画ファイル {file} のシート「{name}」が大きすぎて読み切れません({outside} 個のセルが範囲外)")
            }
            grid::Streamed::Read { .. } => break reading,
            // Rows out of order in the sheet's XML: the sheet read whole puts them in order,
            // and its rows are then given again from it, to a fresh reading.
            grid::Streamed::Disordered => {
                let g = sheet(sheets, &name, file)?.ok_or_else(missing)?;
                sheets.give_back(g);
            }
        }
    };
    let read = reading.finish()?;
    plan.projects = read.projects;
    plan.gaps.extend(read.gaps);
    findings.extend(read.findings);
    plan.assigned_codes = read.assigned_codes;
    plan.code_column = read.code_column;
    if plan.themes.is_empty() {
        // Without the 視点 sheet the themes are the numbers the projects name, unnamed.
        let mut numbers: Vec<u32> = plan.projects.iter().map(|p| p.theme).collect();
        numbers.sort();
        numbers.dedup();
        plan.themes = numbers.into_iter().map(|number| Theme { number, name: String::new(), code_prefix: None }).collect();
    }
    if plan.nodes.is_empty() {
        // A v1 plan: its 視点 are the one level of the hierarchy.
        plan.levels = vec!["視点".into()];
        plan.nodes = plan
            .themes
            .iter()
            .map(|t| Node {
                number: t.number.to_string(),
                name: t.name.clone(),
                level: 0,
                parent: None,
                code_prefix: t.code_prefix.clone(),
            })
            .collect();
    }

    // 活動 and 成果, one sheet at a time. A missing one is said before what either sheet's
    // rows say, as the plan's own gaps come first.
    let mut row_findings = Vec::new();
    let card = plan_form_is_card(&plan, file);
    for (name, gap, consequence) in [
        ("活動", PlanGap::Activities, "活動ごとの予定が分からないため、実績の要否は回答票に書かれた予定で判断し、活動数の点検をしません"),
        ("成果", PlanGap::Outcomes, "成果の目標は回答票に書かれたものを使います"),
    ] {
        let g = sheet(sheets, name, file)?;
        let t = g.as_ref().and_then(|g| Table::find(g, "事業コード").or_else(|| Table::find(g, "事業名")));
        let Some(t) = t else {
            if card {
                findings.push(plan_finding(
                    "plan-sheet-missing",
                    file,
                    name,
                    None,
                    format!("シート「{name}」(見出し「事業コード」のある表)がありません。{consequence}"),
                ));
                plan.gaps.push(gap);
            }
            continue;
        };
        if gap == PlanGap::Activities {
            let ac = t.col("活動内容");
            let years = t.year_columns(file, &mut row_findings, &["事業コード", "事業名", "活動内容"]);
            // Each schedule text once, shared by every activity that says it.
            let mut said = Shared::default();
            for (r, i) in t.project_rows(&plan, file, "活動", &mut row_findings) {
                let schedule = years
                    .iter()
                    .map(|(c, y)| (*y, t.text(r, Some(*c))))
                    .filter(|(_, s)| !s.is_empty())
                    .map(|(y, s)| (y, said.get(s)))
                    .collect();
                plan.projects[i].details_mut().activities.push(Activity { name: t.text(r, ac), schedule });
            }
        } else {
            let (yc, tc) = (t.col("目標年度"), t.col("達成すべき事項"));
            for (r, i) in t.project_rows(&plan, file, "成果", &mut row_findings) {
                if texts == Texts::All {
                    plan.projects[i].details_mut().outcomes.push(Outcome { target_year: t.text(r, yc), text: t.text(r, tc) });
                }
            }
        }
    }
    findings.append(&mut row_findings);
    if let Some(g) = sheet(sheets, "効果額目標", file)?
        && let Some(t) = Table::find(&g, "事業コード").or_else(|| Table::find(&g, "事業名"))
    {
        // A total column (`5年計`, `計`) states what the years should add up to.
        let total_col = t.columns.iter().find(|(_, h)| h.ends_with('計') && parse_fiscal_year(h).is_none()).map(|(c, _)| *c);
        let total_header: Vec<String> =
            total_col.and_then(|c| t.columns.iter().find(|(x, _)| *x == c)).map(|(_, h)| vec![h.clone()]).unwrap_or_default();
        let mut known = vec!["事業コード", "事業名", "取組内容", "取組名"];
        known.extend(total_header.iter().map(String::as_str));
        let years = t.year_columns(file, &mut findings, &known);
        let pending_word = fold(PENDING);
        for (r, i) in t.project_rows(&plan, file, "効果額目標", &mut findings) {
            let mut pending_here = false;
            for (c, y) in &years {
                let value = g.value(r, *c);
                if fold(&value.text()) == pending_word {
                    plan.projects[i].details_mut().pending_targets.insert(*y);
                    pending_here = true;
                    continue;
                }
                match value.amount().amount {
                    Amount::Value(n) => {
                        plan.projects[i].details_mut().effect_targets.insert(*y, n);
                    }
                    Amount::Empty | Amount::Nil | Amount::NotApplicable => {}
                    Amount::Unreadable(raw) => findings.push(plan_finding(
                        "plan-effect-target",
                        file,
                        &g.name,
                        Some(a1(r, *c)),
                        format!("効果額目標「{raw}」を金額(千円)として読めません"),
                    )),
                }
            }
            // 調整中 merged over the row reads as one cell holding it: every year of the row.
            if pending_here && plan.projects[i].effect_targets.is_empty() {
                plan.projects[i].details_mut().pending_targets.extend(years.iter().map(|(_, y)| *y));
            }
            if let Some(c) = total_col
                && let Amount::Value(stated) = g.value(r, c).amount().amount
            {
                let sum: i64 = plan.projects[i].effect_targets.values().sum();
                if stated != sum {
                    findings.push(plan_warning(
                        "plan-target-total",
                        file,
                        &g.name,
                        Some(a1(r, c)),
                        format!(
                            "事業 {} の効果額目標の計 {} 千円が、年度の合計 {} 千円と違います。集計は年度の合計を使います",
                            plan.projects[i].code,
                            crate::normalize::thousands(stated),
                            crate::normalize::thousands(sum)
                        ),
                    ));
                }
            }
        }
    }
    // 目標: numbered targets judged from their 判定年度 on.
    if let Some(g) = sheet(sheets, "目標", file)?
        && let Some(t) = Table::find(&g, "事業コード").or_else(|| Table::find(&g, "事業名"))
    {
        let (nc, tc, yc) = (t.col("番号"), t.col("目標"), t.col("判定年度"));
        for (r, i) in t.project_rows(&plan, file, "目標", &mut findings) {
            let due = t.text(r, yc);
            let due_year = if due.is_empty() { None } else { parse_fiscal_year(&due) };
            if !due.is_empty() && due_year.is_none() {
                findings.push(plan_finding(
                    "plan-year-header",
                    file,
                    &g.name,
                    Some(a1(r, yc.unwrap_or(0))),
                    format!("判定年度「{due}」を年度として読めません"),
                ));
            }
            let number = Some(t.text(r, nc)).filter(|n| !n.is_empty()).unwrap_or_else(|| (plan.projects[i].targets.len() + 1).to_string());
            plan.projects[i].details_mut().targets.push(JudgedTarget { number, text: t.text(r, tc), due_year });
        }
    }
    // 指標: indicators of a node or a project. A node's target in 千円 is what its projects'
    // effect targets should add up to; a difference is the plan's to settle, and said.
    if let Some(g) = sheet(sheets, "指標", file)?
        && let Some(t) = Table::find(&g, "指標")
    {
        let (nc, pc, kc, ic, tc, yc) = (t.col("体系"), t.col("事業コード"), t.col("種類"), t.col("指標"), t.col("目標"), t.col("目標年度"));
        let years = t.year_columns(file, &mut findings, &["体系", "事業コード", "種類", "指標", "目標", "目標年度", "説明"]);
        for r in t.rows() {
            let project = Some(t.text(r, pc)).filter(|x| !x.is_empty());
            let ind = Indicator {
                node: Some(t.text(r, nc)).filter(|x| !x.is_empty()),
                project: project.clone(),
                kind: t.text(r, kc),
                name: t.text(r, ic),
                target: t.text(r, tc),
                target_year: parse_fiscal_year(&t.text(r, yc)),
                by_year: years.iter().map(|(c, y)| (*y, t.text(r, Some(*c)))).filter(|(_, v)| !v.is_empty()).collect(),
            };
            if let Some(code) = &project
                && let Some(p) = plan.projects.iter_mut().find(|p| fold(&p.code) == fold(code))
            {
                p.indicator = Some(Box::new(ind.clone()));
            }
            plan.indicators.push(ind);
        }
    }
    for ind in &plan.indicators {
        let (Some(node), None) = (&ind.node, &ind.project) else { continue };
        let Some(stated) = ind
            .target
            .trim()
            .strip_suffix("千円")
            .and_then(|x| x.parse::<f64>().ok().or_else(|| crate::normalize::amount_from_text(x).amount.value().map(|v| v as f64)))
        else {
            continue;
        };
        let stated = stated as i64;
        let sum: i64 = plan
            .projects
            .iter()
            .filter(|p| p.node.as_deref().is_some_and(|n| plan.node_path(n).iter().any(|x| fold(&x.number) == fold(node))))
            .flat_map(|p| p.effect_targets.values())
            .sum();
        if stated != sum {
            findings.push(plan_warning(
                "plan-target-total",
                file,
                "指標",
                None,
                format!(
                    "体系 {node} の指標「{}」の目標 {} 千円は、その下の取組の効果額目標の合計 {} 千円と違います。集計は取組の合計を使います。計画の目標額か取組の目標額を確認してください",
                    ind.name,
                    crate::normalize::thousands(stated),
                    crate::normalize::thousands(sum)
                ),
            ));
        }
    }
    Ok((plan, findings))
}

/// Writes the plan as the plan workbook users edit (sheets 計画, 視点, 事業, 活動, 成果, 効果額目標).
pub fn write_workbook(plan: &Plan, path: &Path) -> Result<()> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let head = Format::new().set_bold().set_background_color("#DDEBF7");
    let wrap = Format::new().set_text_wrap();
    let years: Vec<i32> = {
        let mut ys: Vec<i32> = plan.projects.iter().flat_map(|p| p.years(plan)).collect();
        ys.sort();
        ys.dedup();
        ys
    };
    let ws = wb.add_worksheet().set_name("計画")?;
    ws.write_row_with_format(0, 0, ["項目", "値"], &head)?;
    let rows = [
        ("計画名", plan.name.clone()),
        ("開始年度", plan.start_year.to_string()),
        ("終了年度", plan.end_year.to_string()),
        ("進捗区分", plan.vocabulary.join(",")),
        ("要対応区分", plan.needs_countermeasure.join(",")),
    ];
    // A v2 plan: a hierarchy other than one level of 視点, another form, yearly reports.
    let v2 = plan.levels.len() > 1 || plan.levels.first().is_some_and(|l| l != "視点");
    let mut rows: Vec<(String, String)> = rows.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    if plan.form != default_form() {
        rows.push(("様式".into(), plan.form.clone()));
    }
    if plan.cadence != Cadence::Half {
        rows.push(("報告単位".into(), plan.cadence.japanese().into()));
    }
    rows.extend(plan.lists.iter().map(|(k, v)| (k.clone(), v.join(","))));
    for (i, (k, v)) in rows.iter().enumerate() {
        ws.write_string(i as u32 + 1, 0, k)?;
        ws.write_string(i as u32 + 1, 1, v)?;
    }
    ws.set_column_width(0, 14)?;
    ws.set_column_width(1, 50)?;

    if v2 {
        let ws = wb.add_worksheet().set_name("体系")?;
        ws.write_row_with_format(0, 0, ["階層", "番号", "名称", "上位", "コード接頭辞"], &head)?;
        for (i, n) in plan.nodes.iter().enumerate() {
            let r = i as u32 + 1;
            ws.write_string(r, 0, plan.levels.get(n.level).map(String::as_str).unwrap_or(""))?;
            ws.write_string(r, 1, &n.number)?;
            ws.write_string(r, 2, &n.name)?;
            ws.write_string(r, 3, n.parent.as_deref().unwrap_or(""))?;
            ws.write_string(r, 4, n.code_prefix.as_deref().unwrap_or(""))?;
        }
        ws.set_column_width(1, 12)?;
        ws.set_column_width(2, 40)?;
        let ws = wb.add_worksheet().set_name("事業")?;
        let mut extra: Vec<std::sync::Arc<str>> = Vec::new();
        for p in &plan.projects {
            for k in p.attrs.keys() {
                if !extra.contains(k) {
                    extra.push(k.clone());
                }
            }
        }
        // The card's own columns when the plan's form is the card.
        let card = plan.form == default_form();
        let mut headers: Vec<String> = ["事業コード", "事業名", "体系", "推進担当課", "実施課"].iter().map(|s| s.to_string()).collect();
        if card {
            headers.extend(["設定年度", "重点", "財政健全化", "該当ページ", "目的・目標", "事業の概要"].iter().map(|s| s.to_string()));
        }
        let first_extra = headers.len() as u16;
        headers.extend(extra.iter().map(|k| k.to_string()));
        ws.write_row_with_format(0, 0, &headers, &head)?;
        for (i, p) in plan.projects.iter().enumerate() {
            let r = i as u32 + 1;
            ws.write_string(r, 0, &p.code)?;
            ws.write_string(r, 1, &p.name)?;
            ws.write_string(r, 2, p.node.as_deref().unwrap_or(""))?;
            ws.write_string(r, 3, p.departments.join("、"))?;
            ws.write_string(r, 4, p.implementing.join("、"))?;
            if card {
                if let Some(y) = p.set_year {
                    ws.write_number(r, 5, y)?;
                }
                ws.write_string(r, 6, if p.priority { "●" } else { "" })?;
                ws.write_string(r, 7, if p.fiscal { "●" } else { "" })?;
                ws.write_string(r, 8, p.page.as_deref().unwrap_or(""))?;
                ws.write_string_with_format(r, 9, &p.purpose, &wrap)?;
                ws.write_string_with_format(r, 10, &p.overview, &wrap)?;
            }
            for (j, k) in extra.iter().enumerate() {
                ws.write_string_with_format(r, first_extra + j as u16, p.attr(k).unwrap_or(""), &wrap)?;
            }
        }
        for (c, w) in [14.0, 36.0, 8.0, 20.0, 14.0].iter().enumerate() {
            ws.set_column_width(c as u16, *w)?;
        }
        for j in 5..headers.len() as u16 {
            ws.set_column_width(j, 24)?;
        }
        if !card {
            wb.save(path).with_context(|| format!("計画ファイル {} を書けません", path.display()))?;
            return Ok(());
        }
    } else {
        write_v1_projects(&mut wb, plan, &head, &wrap)?;
    }
    write_lines(&mut wb, plan, &years, &head)?;
    wb.save(path).with_context(|| format!("計画ファイル {} を書けません", path.display()))?;
    Ok(())
}

/// The v1 視点 and 事業 sheets.
fn write_v1_projects(
    wb: &mut rust_xlsxwriter::Workbook,
    plan: &Plan,
    head: &rust_xlsxwriter::Format,
    wrap: &rust_xlsxwriter::Format,
) -> Result<()> {
    let ws = wb.add_worksheet().set_name("視点")?;
    ws.write_row_with_format(0, 0, ["番号", "名称", "コード接頭辞"], head)?;
    for (i, t) in plan.themes.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_number(r, 0, t.number)?;
        ws.write_string(r, 1, &t.name)?;
        ws.write_string(r, 2, t.code_prefix.as_deref().unwrap_or(""))?;
    }
    ws.set_column_width(1, 40)?;

    let ws = wb.add_worksheet().set_name("事業")?;
    ws.write_row_with_format(
        0,
        0,
        ["事業コード", "事業名", "視点", "推進担当課", "設定年度", "重点", "財政健全化", "該当ページ", "目的・目標", "事業の概要"],
        head,
    )?;
    for (i, p) in plan.projects.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, &p.code)?;
        ws.write_string(r, 1, &p.name)?;
        ws.write_number(r, 2, p.theme)?;
        ws.write_string(r, 3, p.departments.join("、"))?;
        if let Some(y) = p.set_year {
            ws.write_number(r, 4, y)?;
        }
        ws.write_string(r, 5, if p.priority { "●" } else { "" })?;
        ws.write_string(r, 6, if p.fiscal { "●" } else { "" })?;
        ws.write_string(r, 7, p.page.as_deref().unwrap_or(""))?;
        ws.write_string_with_format(r, 8, &p.purpose, wrap)?;
        ws.write_string_with_format(r, 9, &p.overview, wrap)?;
    }
    for (c, w) in [12.0, 36.0, 6.0, 30.0, 9.0, 6.0, 10.0, 10.0, 50.0, 50.0].iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }

    Ok(())
}

/// The 活動, 成果 and 効果額目標 sheets. A plan without codes names projects by 事業名 there.
fn write_lines(wb: &mut rust_xlsxwriter::Workbook, plan: &Plan, years: &[i32], head: &rust_xlsxwriter::Format) -> Result<()> {
    // Without codes, the project is named by 事業名.
    let by_name = plan.projects.iter().any(|p| p.code.is_empty());
    let (key_header, key): (&str, fn(&Project) -> &str) =
        if by_name { ("事業名", |p| &p.name) } else { ("事業コード", |p| &p.code) };
    let ws = wb.add_worksheet().set_name("活動")?;
    ws.write_string_with_format(0, 0, key_header, head)?;
    ws.write_string_with_format(0, 1, "活動内容", head)?;
    for (j, y) in years.iter().enumerate() {
        ws.write_string_with_format(0, 2 + j as u16, y.to_string(), head)?;
    }
    let mut r = 1;
    for p in &plan.projects {
        for a in &p.activities {
            ws.write_string(r, 0, key(p))?;
            ws.write_string(r, 1, &a.name)?;
            for (j, y) in years.iter().enumerate() {
                if let Some(s) = a.schedule.get(y) {
                    ws.write_string(r, 2 + j as u16, &**s)?;
                }
            }
            r += 1;
        }
    }
    ws.set_column_width(1, 50)?;

    let ws = wb.add_worksheet().set_name("成果")?;
    ws.write_row_with_format(0, 0, [key_header, "目標年度", "達成すべき事項"], head)?;
    let mut r = 1;
    for p in &plan.projects {
        for o in &p.outcomes {
            ws.write_string(r, 0, key(p))?;
            ws.write_string(r, 1, &o.target_year)?;
            ws.write_string(r, 2, &o.text)?;
            r += 1;
        }
    }
    ws.set_column_width(1, 24)?;
    ws.set_column_width(2, 70)?;

    if plan.projects.iter().any(|p| !p.effect_targets.is_empty()) {
        let ws = wb.add_worksheet().set_name("効果額目標")?;
        ws.write_string_with_format(0, 0, key_header, head)?;
        for (j, y) in years.iter().enumerate() {
            ws.write_string_with_format(0, 1 + j as u16, y.to_string(), head)?;
        }
        for (r, p) in (1u32..).zip(plan.projects.iter().filter(|p| !p.effect_targets.is_empty())) {
            ws.write_string(r, 0, key(p))?;
            for (j, y) in years.iter().enumerate() {
                if let Some(v) = p.effect_targets.get(y) {
                    ws.write_number(r, 1 + j as u16, *v as f64)?;
                }
            }
        }
    }
    Ok(())
}

/// Writes a copy of the plan workbook `src` to `out` with the codes kaito assigned filled in
/// the 事業 sheet's 事業コード column, everything else as the office left it, so that the
/// codes stay fixed from then on.
pub fn write_codes(src: &Path, out: &Path, plan: &Plan) -> Result<()> {
    use std::io::Read;
    let Some((sheet, col)) = &plan.code_column else {
        bail!("計画ファイル {} に事業コードの列がありません。シート「事業」に見出し「事業コード」の列を作ってください", src.display());
    };
    let bytes = std::fs::read(src).with_context(|| format!("計画ファイル {} を読めません", src.display()))?;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes[..])).map_err(|_| {
        anyhow::anyhow!("計画ファイル {} は .xlsx ではないため、コードを書き込めません。Excel で .xlsx に保存してください", src.display())
    })?;
    let mut text = |name: &str| -> Result<String> {
        let mut e = zip.by_name(name).map_err(|_| anyhow::anyhow!("計画ファイルの部品 {name} がありません"))?;
        let mut s = String::new();
        e.read_to_string(&mut s)?;
        Ok(s)
    };
    let workbook = text("xl/workbook.xml")?;
    let rels = text("xl/_rels/workbook.xml.rels")?;
    let escaped = sheet.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;");
    let at = workbook.find(&format!("name=\"{escaped}\"")).context("シート「事業」が見つかりません")?;
    let tag_end = at + workbook[at..].find("/>").context("workbook.xml")?;
    let tag = &workbook[at..tag_end];
    let rid = tag.split("r:id=\"").nth(1).and_then(|x| x.split('"').next()).context("シートの関係 ID がありません")?;
    let rel_at = rels.find(&format!("Id=\"{rid}\"")).context("シートの関係がありません")?;
    let rel_start = rels[..rel_at].rfind('<').unwrap_or(0);
    let rel_end = rel_at + rels[rel_at..].find('>').unwrap_or(0);
    let target =
        rels[rel_start..rel_end].split("Target=\"").nth(1).and_then(|x| x.split('"').next()).context("シートの場所がありません")?;
    let part = if let Some(abs) = target.strip_prefix('/') { abs.to_string() } else { format!("xl/{target}") };
    let mut xml = text(&part)?;
    for (code, _, row) in &plan.assigned_codes {
        xml = set_inline_cell(&xml, *row, *col, code).with_context(|| format!("{} 行目に書き込めません", row + 1))?;
    }
    let out_buf = crate::xlsx::rewrite_parts(&bytes, &|name, _| (name == part).then(|| xml.clone()))?;
    crate::fsutil::write_outputs(&[(out, &out_buf)])
}

/// Puts `text` as an inline string into cell (row, col) of a worksheet's XML, keeping the
/// cell's style; the row must exist (a project's row always has its name).
fn set_inline_cell(xml: &str, row: u32, col: u32, text: &str) -> Result<String> {
    let reference = a1(row, col);
    let value = text.replace('&', "&amp;").replace('<', "&lt;");
    let row_open = format!("<row r=\"{}\"", row + 1);
    let start = xml.find(&row_open).context("行がありません")?;
    let open_end = start + xml[start..].find('>').context("行の書式")?;
    if xml[..open_end].ends_with('/') {
        // An empty row: give it the cell.
        let head = &xml[start..open_end - 1];
        return Ok(format!(
            "{}{head}><c r=\"{reference}\" t=\"inlineStr\"><is><t>{value}</t></is></c></row>{}",
            &xml[..start],
            &xml[open_end + 1..]
        ));
    }
    let end = open_end + xml[open_end..].find("</row>").context("行の終わり")?;
    let body = &xml[open_end + 1..end];
    let mut cells: Vec<(u32, usize, usize)> = Vec::new();
    let mut i = 0;
    while let Some(p) = body[i..].find("<c ") {
        let s0 = i + p;
        let close = body[s0..].find('>').map(|x| s0 + x).context("セルの書式")?;
        let e0 = if body[..close].ends_with('/') {
            close + 1
        } else {
            body[s0..].find("</c>").map(|x| s0 + x + 4).context("セルの終わり")?
        };
        let r_attr = body[s0..close].split("r=\"").nth(1).and_then(|x| x.split('"').next()).unwrap_or("");
        let c = crate::grid::parse_a1(r_attr).map(|(_, c)| c).context("セル番地のないセル")?;
        cells.push((c, s0, e0));
        i = e0;
    }
    let new_cell = |style: &str| format!("<c r=\"{reference}\"{style} t=\"inlineStr\"><is><t>{value}</t></is></c>");
    let new_body = match cells.iter().find(|(c, _, _)| *c >= col) {
        Some((c, s0, e0)) if *c == col => {
            let old = &body[*s0..*e0];
            let style = old.split(" s=\"").nth(1).and_then(|x| x.split('"').next()).map(|s| format!(" s=\"{s}\"")).unwrap_or_default();
            format!("{}{}{}", &body[..*s0], new_cell(&style), &body[*e0..])
        }
        Some((_, s0, _)) => format!("{}{}{}", &body[..*s0], new_cell(""), &body[*s0..]),
        None => format!("{body}{}", new_cell("")),
    };
    Ok(format!("{}{}{}", &xml[..open_end + 1], new_body, &xml[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_is_in_year_order_and_the_later_text_for_a_year_stands() {
        let s: Schedule = [(2023, "実施".into()), (2021, "検討".into()), (2023, "→".into())].into_iter().collect();
        assert_eq!(s.iter().map(|(y, t)| (*y, &**t)).collect::<Vec<_>>(), [(2021, "検討"), (2023, "→")]);
        assert_eq!(s.get(&2023).map(|t| &**t), Some("→"));
        assert_eq!(s.get(&2022), None);
        // Written and read as a map from year to text, as before.
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"2021":"検討","2023":"→"}"#);
        assert_eq!(serde_json::from_str::<Schedule>(&json).unwrap(), s);
    }

    #[test]
    fn extra_columns_are_found_by_their_header() {
        let attrs: ListMap<String, String> =
            [("計画概要".to_string(), "検討".to_string()), ("内容、進め方".to_string(), "委託".to_string())].into_iter().collect();
        assert_eq!(attrs.get("計画概要").map(String::as_str), Some("検討"));
        assert_eq!(attrs.get(&"内容、進め方".to_string()).map(String::as_str), Some("委託"));
        assert_eq!(attrs.get("実施課"), None);
        assert_eq!(attrs.keys().map(String::as_str).collect::<Vec<_>>(), ["内容、進め方", "計画概要"]);
    }

    #[test]
    fn cells_are_put_into_sheet_xml_in_column_order() {
        let xml = r#"<sheetData><row r="2"><c r="B2" t="s"><v>0</v></c></row><row r="3"><c r="A3" s="4"/><c r="B3"><v>1</v></c></row><row r="4"/></sheetData>"#;
        let x = set_inline_cell(xml, 1, 0, "0801-01").unwrap();
        assert!(x.contains(r#"<row r="2"><c r="A2" t="inlineStr"><is><t>0801-01</t></is></c><c r="B2""#), "{x}");
        let x = set_inline_cell(&x, 2, 0, "0801-02").unwrap();
        assert!(x.contains(r#"<c r="A3" s="4" t="inlineStr"><is><t>0801-02</t></is></c><c r="B3">"#), "{x}");
        let x = set_inline_cell(&x, 3, 0, "A&B").unwrap();
        assert!(x.contains(r#"<row r="4"><c r="A4" t="inlineStr"><is><t>A&amp;B</t></is></c></row>"#), "{x}");
    }

    #[test]
    fn departments_and_flags() {
        assert_eq!(split_departments("企画政策課 関係課"), vec!["企画政策課", "関係課"]);
        assert_eq!(split_departments("保育課、教育総務課"), vec!["保育課", "教育総務課"]);
        assert!(yes("●") && yes("財") && yes("TRUE") && !yes("") && !yes("-"));
    }
}

#[cfg(test)]
mod sample_plan {
    #[test]
    fn the_samples_plan_loads() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/報告回答票/source/plan.toml");
        let loaded = super::load(&path).unwrap();
        assert!(loaded.findings.is_empty(), "{:?}", loaded.findings);
        let plan = loaded.plan;
        assert_eq!(plan.projects.len(), 29);
        assert_eq!(plan.themes.len(), 6);
        let p = plan.project("0706-04").unwrap();
        assert_eq!(p.years(&plan), vec![2021, 2022, 2023, 2024]);
        assert!(p.activities[0].is_scheduled(2021));
        assert_eq!(plan.project("0701-01").unwrap().responding_department(), "企画政策課");
    }
}
