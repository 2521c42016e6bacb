//! Findings (要確認): what the office must look at, as data with a stable rule id.

use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn japanese(self) -> &'static str {
        match self {
            Severity::Error => "エラー",
            Severity::Warning => "警告",
            Severity::Info => "情報",
        }
    }
}

/// One finding. `rule` is a stable id (`status-code`, `progress-missing`…) that scripts and
/// tests rely on; `message` and `suggestion` are for people.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub rule: &'static str,
    pub project: Option<Box<str>>,
    pub file: Option<Arc<str>>,
    pub sheet: Option<Arc<str>>,
    pub cell: Option<Box<str>>,
    /// Texts without room to grow (a `String` keeps 8 bytes more, and often room): a run with
    /// a finding on every row of 100,000 files holds them all.
    pub message: Box<str>,
    pub suggestion: Option<Box<str>>,
}

/// Rule id of an office correction applied (see `corrections`): always shown on the cell it
/// changed, wherever findings of the chosen severities are.
pub const CORRECTED: &str = "correction-applied";

impl Finding {
    /// Whether a sheet marking findings of `severities` marks this one.
    pub fn marked_with(&self, severities: &[Severity]) -> bool {
        severities.contains(&self.severity) || self.rule == CORRECTED
    }
    pub fn new(severity: Severity, rule: &'static str, message: impl Into<String>) -> Finding {
        let message = message.into().into_boxed_str();
        Finding { severity, rule, project: None, file: None, sheet: None, cell: None, message, suggestion: None }
    }
    pub fn error(rule: &'static str, message: impl Into<String>) -> Finding {
        Finding::new(Severity::Error, rule, message)
    }
    pub fn warning(rule: &'static str, message: impl Into<String>) -> Finding {
        Finding::new(Severity::Warning, rule, message)
    }
    pub fn info(rule: &'static str, message: impl Into<String>) -> Finding {
        Finding::new(Severity::Info, rule, message)
    }
    pub fn project(mut self, code: impl Into<String>) -> Finding {
        self.project = Some(code.into().into_boxed_str());
        self
    }
    pub fn file(mut self, file: impl Into<Arc<str>>) -> Finding {
        self.file = Some(file.into());
        self
    }
    pub fn sheet(mut self, sheet: impl Into<Arc<str>>) -> Finding {
        self.sheet = Some(sheet.into());
        self
    }
    pub fn cell(mut self, cell: impl Into<String>) -> Finding {
        self.cell = Some(cell.into().into_boxed_str());
        self
    }
    pub fn suggest(mut self, suggestion: impl Into<String>) -> Finding {
        self.suggestion = Some(suggestion.into().into_boxed_str());
        self
    }
    /// The same finding, its texts in new room made by the calling thread (see
    /// `table::check::Gathered::push`); its file and sheet, which it shares with others, as
    /// `shared` gives them.
    pub fn reallocated(self, shared: &mut dyn FnMut(&Arc<str>) -> Arc<str>) -> Finding {
        let again = |s: Box<str>| Box::<str>::from(&*s);
        Finding {
            project: self.project.map(again),
            file: self.file.as_ref().map(&mut *shared),
            sheet: self.sheet.as_ref().map(&mut *shared),
            cell: self.cell.map(again),
            message: again(self.message),
            suggestion: self.suggestion.map(again),
            ..self
        }
    }
    pub fn suggest_opt(mut self, suggestion: Option<String>) -> Finding {
        self.suggestion = suggestion.map(String::into_boxed_str);
        self
    }
}

/// Counts by severity.
pub fn count(findings: &[Finding], severity: Severity) -> usize {
    findings.iter().filter(|f| f.severity == severity).count()
}

/// `F14` for zero-based (row, column).
pub fn a1(row: u32, col: u32) -> String {
    format!("{}{}", column_letters(col), row + 1)
}

pub fn column_letters(col: u32) -> String {
    let mut n = col + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = ((n - 1) % 26) as u8;
        s.push(b'A' + r);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a1_names() {
        assert_eq!(super::a1(0, 0), "A1");
        assert_eq!(super::a1(13, 5), "F14");
        assert_eq!(super::a1(1_048_575, 16_383), "XFD1048576");
        assert_eq!(super::column_letters(26), "AA");
    }
}
