//! Fiscal years and half-year reporting periods, in western and Japanese-era spellings.

use crate::normalize::fold;
use serde::Serialize;
use std::fmt;

/// The part of a fiscal year a report covers: one of the two halves (April–September,
/// October–March), or the whole year for plans reported once a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Half {
    First,
    Second,
    /// The whole fiscal year (報告単位 年度). Orders after both halves of its year.
    Year,
}

impl Half {
    /// 1, 2, or 0 for the whole year.
    pub fn number(self) -> u8 {
        match self {
            Half::First => 1,
            Half::Second => 2,
            Half::Year => 0,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Half::First => "上半期",
            Half::Second => "下半期",
            Half::Year => "",
        }
    }
}

/// How often a plan is reported on (報告単位).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cadence {
    /// 半期: periods 2021H1, 2021H2.
    #[default]
    Half,
    /// 年度: periods 2021, 2022.
    Year,
}

impl Cadence {
    /// `半期` / `年度` (also `half` / `year`, `半年`, `1年`).
    pub fn parse(text: &str) -> Option<Cadence> {
        match fold(text).as_str() {
            "半期" | "半年" | "half" | "上半期・下半期" => Some(Cadence::Half),
            "年度" | "年" | "1年" | "year" | "毎年度" => Some(Cadence::Year),
            _ => None,
        }
    }
    pub fn japanese(self) -> &'static str {
        match self {
            Cadence::Half => "半期",
            Cadence::Year => "年度",
        }
    }
    pub fn fits(self, period: Period) -> bool {
        (self == Cadence::Year) == (period.half == Half::Year)
    }
}

/// A reporting period: a fiscal year (western, April start) and a half.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub fiscal_year: i32,
    pub half: Half,
}

impl Period {
    pub fn new(fiscal_year: i32, half: Half) -> Self {
        Period { fiscal_year, half }
    }

    /// The whole fiscal year `year`, for plans reported once a year.
    pub fn year(fiscal_year: i32) -> Self {
        Period { fiscal_year, half: Half::Year }
    }

    /// The fiscal year whose effect amount this report answers: a 上半期 report gives the
    /// previous year's result (the year has just closed), a 下半期 report the current year's
    /// estimate, a yearly report its own year.
    pub fn effect_year(self) -> i32 {
        match self.half {
            Half::First => self.fiscal_year - 1,
            Half::Second | Half::Year => self.fiscal_year,
        }
    }

    /// The report before this one: the other half, or the year before.
    pub fn previous(self) -> Period {
        match self.half {
            Half::Second => Period::new(self.fiscal_year, Half::First),
            Half::First => Period::new(self.fiscal_year - 1, Half::Second),
            Half::Year => Period::year(self.fiscal_year - 1),
        }
    }

    /// All halves from the first half of `first_year` up to and including `self`.
    pub fn halves_since(self, first_year: i32) -> Vec<Period> {
        let mut out = Vec::new();
        for y in first_year..=self.fiscal_year {
            for h in [Half::First, Half::Second] {
                let p = Period::new(y, h);
                if p <= self {
                    out.push(p);
                }
            }
        }
        out
    }

    /// `令和3年度上半期`, `令和2年度`
    pub fn japanese(self) -> String {
        format!("{}{}", era_year(self.fiscal_year), self.half.label())
    }

    /// `2021H1`, or `2020` for a whole year: the stable machine spelling.
    pub fn code(self) -> String {
        match self.half {
            Half::Year => self.fiscal_year.to_string(),
            h => format!("{}H{}", self.fiscal_year, h.number()),
        }
    }

    /// Parses every spelling users type: `2021H1`, `2021-H1`, `2021上`, `令和3年度上半期`,
    /// `R3上半期`, `< 令和3年度[上半期] >` (the period row of a sheet).
    pub fn parse(text: &str) -> Option<Period> {
        let t = fold(text);
        let t = t.trim_matches(|c: char| "<>[]()【】「」".contains(c));
        let Some((year_part, half)) = split_half(t) else {
            // No half named: a whole fiscal year (`2020`, `R2`, `令和2年度`).
            return parse_fiscal_year(t).map(Period::year);
        };
        let year_part = year_part.trim_matches(|c: char| "<>[]()【】-_ ".contains(c));
        let fiscal_year = parse_fiscal_year(year_part)?;
        Some(Period::new(fiscal_year, half))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.japanese(), self.code())
    }
}

fn split_half(t: &str) -> Option<(&str, Half)> {
    // Longest markers first so `上半期` wins over `上`.
    const MARKERS: [(&str, Half); 14] = [
        ("上半期", Half::First),
        ("下半期", Half::Second),
        ("前半期", Half::First),
        ("後半期", Half::Second),
        ("上期", Half::First),
        ("下期", Half::Second),
        ("前期", Half::First),
        ("後期", Half::Second),
        ("H1", Half::First),
        ("H2", Half::Second),
        ("h1", Half::First),
        ("h2", Half::Second),
        ("上", Half::First),
        ("下", Half::Second),
    ];
    for (m, h) in MARKERS {
        if let Some(pos) = t.rfind(m) {
            let rest = &t[pos + m.len()..];
            if rest.chars().all(|c| "<>[]()【】 ".contains(c)) {
                return Some((&t[..pos], h));
            }
        }
    }
    None
}

/// `令和3年度`, for FY2021. Years before Reiwa use Heisei.
pub fn era_year(year: i32) -> String {
    if year >= 2019 {
        let n = year - 2018;
        if n == 1 { "令和元年度".to_string() } else { format!("令和{n}年度") }
    } else {
        let n = year - 1988;
        if n == 1 { "平成元年度".to_string() } else { format!("平成{n}年度") }
    }
}

/// `令和3年度(2021年度)`, the year header of the sheets.
pub fn year_header(year: i32) -> String {
    format!("{}({}年度)", era_year(year), year)
}

/// `R3 (2021)` / `H28 (2016)`, as the published project list writes 設定年度.
pub fn short_era(year: i32) -> String {
    if year >= 2019 { format!("R{} ({year})", year - 2018) } else { format!("H{} ({year})", year - 1988) }
}

/// Reads a fiscal year from `2020`, `2020年度`, `令和2年度`, `令和元年度`, `R2`, `H28`,
/// `平成28年度` or `令和2年度(2020年度)` (the western year in brackets wins when present).
pub fn parse_fiscal_year(text: &str) -> Option<i32> {
    // Every spelling of a year is short (`令和3年度(2021年度)` is 13 characters) and has a digit
    // or 元 (令和元年度); the reader asks of every cell, and folding each was a twentieth of
    // `check`.
    if text.len() > 120 || !text.chars().any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c) || c == '元') {
        return None;
    }
    let t = fold(text);
    // A bracketed western year is the most reliable part.
    if let Some(open) = t.find('(') {
        let inner = &t[open + 1..];
        let inner = inner.trim_end_matches(')');
        if let Some(y) = parse_fiscal_year(inner)
            && (1900..=2200).contains(&y)
        {
            return Some(y);
        }
        return parse_fiscal_year(&t[..open]);
    }
    let t = t.trim_end_matches("年度").trim_end_matches('年').trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(y) = t.parse::<i32>() {
        return (1900..=2200).contains(&y).then_some(y);
    }
    let eras: [(&str, i32); 6] = [("令和", 2018), ("平成", 1988), ("R", 2018), ("r", 2018), ("H", 1988), ("h", 1988)];
    for (prefix, base) in eras {
        if let Some(rest) = t.strip_prefix(prefix) {
            let rest = rest.trim();
            let n = if rest == "元" { Some(1) } else { rest.parse::<i32>().ok() };
            return n.filter(|n| (1..=99).contains(n)).map(|n| base + n);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling_of_a_period() {
        let want = Period::new(2021, Half::First);
        for s in [
            "2021H1",
            "2021-H1",
            "2021上",
            "令和3年度上半期",
            "R3上半期",
            "< 令和3年度[上半期] >",
            "< 令和3年度【上半期】 >",
            "< 令和3年度(上半期) >",
            "2021年度上期",
            "R3前期",
            "令和3年度前期",
            "2021上期",
            "令和3年度 上期",
        ] {
            assert_eq!(Period::parse(s), Some(want), "{s}");
        }
        assert_eq!(Period::parse("2021H2"), Some(Period::new(2021, Half::Second)));
        assert_eq!(Period::parse("令和元年度下半期"), Some(Period::new(2019, Half::Second)));
        for s in ["令和3年度後期", "2021年度下期", "R3後期", "2021下期"] {
            assert_eq!(Period::parse(s), Some(Period::new(2021, Half::Second)), "{s}");
        }
        assert_eq!(Period::parse("上半期"), None);
        for s in ["2020", "R2", "令和2年度", "2020年度", "< 令和2年度 >"] {
            assert_eq!(Period::parse(s), Some(Period::year(2020)), "{s}");
        }
        assert_eq!(Period::year(2020).code(), "2020");
        assert_eq!(Period::year(2020).japanese(), "令和2年度");
        assert_eq!(Period::year(2021).previous(), Period::year(2020));
    }

    #[test]
    fn parses_fiscal_years() {
        assert_eq!(parse_fiscal_year("令和2年度(2020年度)"), Some(2020));
        assert_eq!(parse_fiscal_year("令和2年度 (2020年度)"), Some(2020));
        assert_eq!(parse_fiscal_year("R2"), Some(2020));
        assert_eq!(parse_fiscal_year("H28"), Some(2016));
        assert_eq!(parse_fiscal_year("2020年度"), Some(2020));
        assert_eq!(parse_fiscal_year("平成28年度"), Some(2016));
        assert_eq!(parse_fiscal_year("令和元年度"), Some(2019));
        assert_eq!(parse_fiscal_year("活動内容"), None);
        assert_eq!(year_header(2021), "令和3年度(2021年度)");
        assert_eq!(short_era(2016), "H28 (2016)");
    }

    #[test]
    fn effect_year_follows_the_half() {
        assert_eq!(Period::new(2021, Half::First).effect_year(), 2020);
        assert_eq!(Period::new(2021, Half::Second).effect_year(), 2021);
        assert_eq!(Period::new(2021, Half::First).halves_since(2020).len(), 3);
    }
}
