//! The response-sheet layout, loaded from `templates/forms/card-halfyear.toml`: labels, marks,
//! drawing geometry and status hints. Reader and writer both take their words from here.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::path::Path;

/// The layout bundled with the tool.
pub const BUNDLED: &str = include_str!("../../templates/forms/card-halfyear.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Layout {
    pub labels: Labels,
    pub marks: Marks,
    pub geometry: Geometry,
    #[serde(default)]
    pub status_roles: StatusRoles,
    #[serde(default)]
    pub status_hints: std::collections::BTreeMap<String, String>,
    /// The card form's fields: how required each is, and the lists its rules name.
    #[serde(default)]
    pub fields: Vec<crate::form::FieldDef>,
}

/// Status words from the layout: suggestion hints (`順調` → `概ね順調`) and the codes that
/// mean "finished" and "after the end".
#[derive(Debug, Clone, Default)]
pub struct StatusWords {
    pub pairs: Vec<(String, String)>,
    pub done: Option<String>,
    pub ended: Option<String>,
    /// The card's labels, so that messages name fields as the form does.
    pub labels: Option<Labels>,
    /// The card form's fields (empty for a layout file without them).
    pub fields: Vec<crate::form::FieldDef>,
}

/// The meaning of two status codes, for the `status-dash` rule.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StatusRoles {
    #[serde(default)]
    pub done: Option<String>,
    #[serde(default)]
    pub ended: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Labels {
    pub title_suffix: String,
    pub direction: String,
    pub priority: String,
    pub fiscal: String,
    pub code: String,
    pub department: String,
    pub person: String,
    pub contact: String,
    pub purpose: String,
    pub overview: String,
    pub activities: String,
    pub progress_suffix: String,
    pub activity_name: String,
    pub schedule: String,
    pub status: String,
    pub first_half: String,
    pub second_half: String,
    pub outcomes: String,
    pub countermeasures: String,
    pub target_year: String,
    pub target_text: String,
    pub result: String,
    pub effect: String,
    pub effect_year: String,
    pub effect_amount: String,
    pub effect_basis: String,
    /// The row label under which the packet shows text found outside the form's fields.
    #[serde(default = "default_extra")]
    pub extra: String,
}

fn default_extra() -> String {
    "欄外の記入".into()
}

#[derive(Debug, Clone, Deserialize)]
pub struct Marks {
    pub yes: String,
    pub no: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Geometry {
    pub label_columns: u16,
    pub label_widths: Vec<f64>,
    pub half_width: f64,
    pub narrative_width: f64,
    pub max_rows: u32,
    pub max_columns: u32,
}

impl Labels {
    /// The progress field's own name: `取組状況等` of `…の取組状況等`.
    pub fn progress(&self) -> &str {
        self.progress_suffix.trim_start_matches('の')
    }
}

impl Layout {
    pub fn bundled() -> Layout {
        toml::from_str(BUNDLED).expect("templates/forms/card-halfyear.toml is valid")
    }

    /// The card layout of a card form (its labels, marks, geometry and hints).
    pub fn from_form(form: &crate::form::FormDef) -> Result<Layout> {
        toml::from_str(&form.text).with_context(|| format!("様式の定義 {} にカードの配置([labels] など)がありません", form.source))
    }

    pub fn load(path: &Path) -> Result<Layout> {
        let text = std::fs::read_to_string(path).with_context(|| format!("レイアウト定義 {} を読めません", path.display()))?;
        toml::from_str(&text).with_context(|| format!("レイアウト定義 {} の書式が正しくありません", path.display()))
    }

    /// What the checks need to know about status words beyond the plan's vocabulary.
    pub fn hints(&self) -> StatusWords {
        StatusWords {
            pairs: self.status_hints.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            done: self.status_roles.done.clone(),
            ended: self.status_roles.ended.clone(),
            labels: Some(self.labels.clone()),
            fields: self.fields.clone(),
        }
    }

    /// Every label of the form: a cell holding one of them is part of the form, not an answer.
    pub fn all_labels(&self) -> Vec<&str> {
        let l = &self.labels;
        vec![
            &l.direction,
            &l.priority,
            &l.fiscal,
            &l.code,
            &l.department,
            &l.person,
            &l.contact,
            &l.purpose,
            &l.overview,
            &l.activities,
            &l.activity_name,
            &l.schedule,
            &l.status,
            &l.first_half,
            &l.second_half,
            &l.outcomes,
            &l.countermeasures,
            &l.target_year,
            &l.target_text,
            &l.result,
            &l.effect,
            &l.effect_year,
            &l.effect_amount,
            &l.effect_basis,
            &l.extra,
        ]
        .into_iter()
        .map(String::as_str)
        .collect()
    }

    /// Labels that delimit input cells: a value search to the right stops at any of them.
    pub fn stop_labels(&self) -> Vec<&str> {
        let l = &self.labels;
        vec![&l.code, &l.department, &l.person, &l.contact, &l.priority, &l.fiscal, &l.direction, &l.schedule, &l.status]
            .into_iter()
            .map(String::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bundled_layout_loads() {
        let l = super::Layout::bundled();
        assert_eq!(l.labels.code, "事業コード");
        assert_eq!(l.geometry.label_widths.len(), l.geometry.label_columns as usize);
        assert!(l.hints().pairs.iter().any(|(w, c)| w == "順調" && c == "概ね順調"));
    }
}
