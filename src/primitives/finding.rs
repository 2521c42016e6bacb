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
/// tests rely on; the message and the suggestion are for people.
///
/// Its own texts (message, item, cell, suggestion) are held in one piece made to size, read
/// through [`message`](Self::message), [`item`](Self::item), [`cell_ref`](Self::cell_ref) and
/// [`suggestion`](Self::suggestion): a run with a finding on every row of 100,000 files holds
/// 300,000 of them, and four pieces each (and room for four) held 64 bytes more a finding.
///
/// A message many findings share the wording of (`項目 … の次年度の方針が空です`) can be kept
/// as that wording, held once for all of them, and the finding's own words only (see
/// [`composed`](Self::composed)); it is written out whole when read.
#[derive(Clone)]
pub struct Finding {
    pub severity: Severity,
    pub rule: &'static str,
    /// Shared by a file's findings (and a sheet's).
    pub file: Option<Arc<str>>,
    pub sheet: Option<Arc<str>>,
    /// The finding's own texts, one after another: the message, then the item's code, the
    /// cell and the suggestion, each of those three given or not.
    texts: Box<str>,
    /// Where the message, the item and the cell end in `texts`; the suggestion is the rest.
    ends: [u32; 3],
    /// Which of the item, the cell and the suggestion are given (bits 0, 1, 2).
    given: u8,
    /// The shared wording the message is written with (see [`Finding::composed`]), by its
    /// place in [`PATTERNS`] plus one; 0 when the message is held whole. It fits in room the
    /// finding has anyway.
    pattern: u16,
}

/// One piece of a message made with [`Finding::composed`].
#[derive(Debug, Clone, Copy)]
pub enum Piece<'a> {
    /// Wording the same in many findings (a field's label, what to do): held once for all.
    Shared(&'a str),
    /// Words of this finding alone (an item's name), held with it.
    Own(&'a str),
    /// The code of the item the finding is about.
    Item,
}

/// A shared wording: its pieces, with the finding's own words and its item left out.
#[derive(Debug, PartialEq)]
enum Slot {
    Shared(&'static str),
    Own,
    Item,
}

/// Every shared wording made in the run, each once. They are few (one a rule and field, at
/// most a few dozen), and are kept for the run's life, as rule ids are.
static PATTERNS: std::sync::RwLock<Vec<&'static [Slot]>> = std::sync::RwLock::new(Vec::new());

/// Between a composed finding's own words, as it holds them: a control character that texts
/// typed into a sheet do not hold (XML does not allow it as it is); a word that holds one all
/// the same makes the finding hold its message whole.
const SEPARATOR: char = '\u{1f}';

/// The place (plus one) of the wording `pieces` are written with, found or added; `None` when
/// the table is full.
fn pattern_of(pieces: &[Piece]) -> Option<u16> {
    let same = |slots: &[Slot]| {
        slots.len() == pieces.len()
            && slots.iter().zip(pieces).all(|(s, p)| match (s, p) {
                (Slot::Shared(a), Piece::Shared(b)) => a == b,
                (Slot::Own, Piece::Own(_)) | (Slot::Item, Piece::Item) => true,
                _ => false,
            })
    };
    let find = |all: &[&'static [Slot]]| all.iter().position(|s| same(s)).map(|i| i as u16 + 1);
    if let Some(found) = find(&PATTERNS.read().unwrap_or_else(|e| e.into_inner())) {
        return Some(found);
    }
    let mut all = PATTERNS.write().unwrap_or_else(|e| e.into_inner());
    if let Some(found) = find(&all) {
        return Some(found);
    }
    let id = u16::try_from(all.len() + 1).ok()?;
    let slots: Vec<Slot> = pieces
        .iter()
        .map(|p| match p {
            Piece::Shared(text) => Slot::Shared(Box::leak(Box::from(*text))),
            Piece::Own(_) => Slot::Own,
            Piece::Item => Slot::Item,
        })
        .collect();
    all.push(Box::leak(slots.into_boxed_slice()));
    Some(id)
}

/// Where a text ends, as a finding keeps it.
fn end_of(text: &str) -> u32 {
    u32::try_from(text.len()).expect("a finding's texts are under 4 GB")
}

/// Rule id of an office correction applied (see `corrections`): always shown on the cell it
/// changed, wherever findings of the chosen severities are.
pub const CORRECTED: &str = "correction-applied";

impl PartialEq for Finding {
    fn eq(&self, other: &Finding) -> bool {
        (self.severity, self.rule, &self.file, &self.sheet) == (other.severity, other.rule, &other.file, &other.sheet)
            && (self.message(), self.item(), self.cell_ref(), self.suggestion())
                == (other.message(), other.item(), other.cell_ref(), other.suggestion())
    }
}

impl Finding {
    /// Text `i` (0 the message, or a composed one's own words … 3 the suggestion), when given.
    fn part(&self, i: usize) -> Option<&str> {
        if i > 0 && self.given & (1 << (i - 1)) == 0 {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        let end = if i < 3 { self.ends[i] as usize } else { self.texts.len() };
        Some(&self.texts[start..end])
    }

    /// Sets text `i` (0 the message … 3 the suggestion), in one new piece made to size.
    fn set(&mut self, i: usize, text: Option<&str>) {
        // A composed message says its item: it is written out whole before the item changes.
        if i == 1 && self.pattern != 0 {
            let message = self.message().into_owned();
            self.pattern = 0;
            self.set(0, Some(&message));
        }
        // Set in order (item, then cell, then suggestion), as a finding is made, the text
        // goes on the end of the piece, which can often grow where it is.
        if i > 0 && (i + 1..4).all(|j| self.part(j).is_none()) {
            let mut all = String::from(std::mem::take(&mut self.texts));
            all.truncate(self.ends[i - 1] as usize);
            all.push_str(text.unwrap_or(""));
            let end = end_of(&all);
            self.ends[i..].iter_mut().for_each(|e| *e = end);
            let bit = 1 << (i - 1);
            self.given = if text.is_some() { self.given | bit } else { self.given & !bit };
            self.texts = all.into_boxed_str();
            return;
        }
        let parts: [Option<&str>; 4] = std::array::from_fn(|j| if j == i { text } else { self.part(j) });
        let mut all = String::with_capacity(parts.iter().flatten().map(|p| p.len()).sum());
        let (mut ends, mut given) = ([0; 3], 0);
        for (j, p) in parts.iter().enumerate() {
            all.push_str(p.unwrap_or(""));
            if j > 0 && p.is_some() {
                given |= 1 << (j - 1);
            }
            if j < 3 {
                ends[j] = end_of(&all);
            }
        }
        (self.texts, self.ends, self.given) = (all.into_boxed_str(), ends, given);
    }

    /// Whether a sheet marking findings of `severities` marks this one.
    pub fn marked_with(&self, severities: &[Severity]) -> bool {
        severities.contains(&self.severity) || self.rule == CORRECTED
    }
    pub fn new(severity: Severity, rule: &'static str, message: impl Into<String>) -> Finding {
        let message: String = message.into();
        let end = end_of(&message);
        Finding { severity, rule, file: None, sheet: None, texts: message.into_boxed_str(), ends: [end; 3], given: 0, pattern: 0 }
    }
    /// A finding about `item` whose message is `pieces` one after another, its shared wording
    /// held once for every finding written with it: for the rules a run can find on every
    /// row of every file. Reads back as a finding made with [`new`](Self::new) and
    /// [`project`](Self::project).
    pub fn composed(severity: Severity, rule: &'static str, item: &str, pieces: &[Piece]) -> Finding {
        let own: Vec<&str> = pieces.iter().filter_map(|p| if let Piece::Own(t) = p { Some(*t) } else { None }).collect();
        match pattern_of(pieces).filter(|_| !own.iter().any(|t| t.contains(SEPARATOR))) {
            Some(pattern) => {
                let mut f = Finding::new(severity, rule, own.join(SEPARATOR.encode_utf8(&mut [0; 4]))).project(item);
                f.pattern = pattern;
                f
            }
            None => {
                let whole: String = pieces
                    .iter()
                    .map(|p| match p {
                        Piece::Shared(t) | Piece::Own(t) => *t,
                        Piece::Item => item,
                    })
                    .collect();
                Finding::new(severity, rule, whole).project(item)
            }
        }
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
    /// What the finding says: written out here when it is composed.
    pub fn message(&self) -> std::borrow::Cow<'_, str> {
        let held = self.part(0).unwrap_or("");
        if self.pattern == 0 {
            return std::borrow::Cow::Borrowed(held);
        }
        let slots: &'static [Slot] = PATTERNS.read().unwrap_or_else(|e| e.into_inner())[self.pattern as usize - 1];
        let mut own = held.split(SEPARATOR);
        let mut out = String::new();
        for slot in slots {
            out.push_str(match slot {
                Slot::Shared(t) => t,
                Slot::Own => own.next().unwrap_or(""),
                Slot::Item => self.item().unwrap_or(""),
            });
        }
        std::borrow::Cow::Owned(out)
    }
    /// The code of the plan item it is about.
    pub fn item(&self) -> Option<&str> {
        self.part(1)
    }
    /// The cell it is about (`F14`).
    pub fn cell_ref(&self) -> Option<&str> {
        self.part(2)
    }
    /// How to fix it.
    pub fn suggestion(&self) -> Option<&str> {
        self.part(3)
    }
    /// Sets the item it is about.
    pub fn set_item(&mut self, code: Option<&str>) {
        self.set(1, code);
    }
    /// Sets the cell it is about.
    pub fn set_cell(&mut self, cell: Option<&str>) {
        self.set(2, cell);
    }
    pub fn project(mut self, code: impl AsRef<str>) -> Finding {
        self.set_item(Some(code.as_ref()));
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
    pub fn cell(mut self, cell: impl AsRef<str>) -> Finding {
        self.set_cell(Some(cell.as_ref()));
        self
    }
    pub fn suggest(mut self, suggestion: impl AsRef<str>) -> Finding {
        self.set(3, Some(suggestion.as_ref()));
        self
    }
    pub fn suggest_opt(mut self, suggestion: Option<String>) -> Finding {
        self.set(3, suggestion.as_deref());
        self
    }
    /// The same finding, its texts in new room made by the calling thread (see
    /// `table::check::Gathered::push`); its file and sheet, which it shares with others, as
    /// `shared` gives them.
    pub fn reallocated(self, shared: &mut dyn FnMut(&Arc<str>) -> Arc<str>) -> Finding {
        Finding {
            file: self.file.as_ref().map(&mut *shared),
            sheet: self.sheet.as_ref().map(&mut *shared),
            texts: Box::from(&*self.texts),
            ..self
        }
    }
}

// Written as the fields the finding stands for, in this order, as scripts read them.
impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("Finding", 8)?;
        out.serialize_field("severity", &self.severity)?;
        out.serialize_field("rule", self.rule)?;
        out.serialize_field("project", &self.item())?;
        out.serialize_field("file", &self.file)?;
        out.serialize_field("sheet", &self.sheet)?;
        out.serialize_field("cell", &self.cell_ref())?;
        out.serialize_field("message", &*self.message())?;
        out.serialize_field("suggestion", &self.suggestion())?;
        out.end()
    }
}

impl std::fmt::Debug for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Finding")
            .field("severity", &self.severity)
            .field("rule", &self.rule)
            .field("project", &self.item())
            .field("file", &self.file)
            .field("sheet", &self.sheet)
            .field("cell", &self.cell_ref())
            .field("message", &self.message())
            .field("suggestion", &self.suggestion())
            .finish()
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
    use super::{Finding, Severity};

    #[test]
    fn a_findings_texts_read_back_as_given_in_any_order() {
        let f = Finding::error("status-code", "実績「順調」は進捗区分にありません").cell("F12").project("0701-03").suggest("概ね順調");
        assert_eq!(
            (&*f.message(), f.item(), f.cell_ref(), f.suggestion()),
            ("実績「順調」は進捗区分にありません", Some("0701-03"), Some("F12"), Some("概ね順調"))
        );
        // An empty text given is not one left out.
        let mut g = Finding::warning("duplicate", "").cell("");
        assert_eq!((&*g.message(), g.item(), g.cell_ref(), g.suggestion()), ("", None, Some(""), None));
        g.set_cell(None);
        g.set_item(Some("0706-02"));
        assert_eq!((g.item(), g.cell_ref()), (Some("0706-02"), None));
        // Written with the fields it stands for, as before.
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"severity": "error", "rule": "status-code", "project": "0701-03", "file": null, "sheet": null,
                "cell": "F12", "message": "実績「順調」は進捗区分にありません", "suggestion": "概ね順調"})
        );
        // What a run of 300,000 findings holds for each, beside its one piece of text.
        assert!(std::mem::size_of::<Finding>() <= 80, "{}", std::mem::size_of::<Finding>());
    }

    /// A composed finding reads, compares and is written as the same finding made whole.
    #[test]
    fn a_composed_finding_reads_as_one_made_whole() {
        use super::Piece::{Item, Own, Shared};
        let pieces = [Shared("項目 "), Item, Shared("「"), Own("事務の効率化"), Shared("」の次年度の方針が空です。記入してください")];
        let whole = "項目 I 1 (2) ③「事務の効率化」の次年度の方針が空です。記入してください";
        let made = |f: Finding| f.cell("J6").suggest("方針を記入してください");
        let composed = made(Finding::composed(Severity::Warning, "next-missing", "I 1 (2) ③", &pieces));
        let plain = made(Finding::warning("next-missing", whole).project("I 1 (2) ③"));
        assert_eq!(composed.message(), whole);
        assert_eq!(
            (composed.item(), composed.cell_ref(), composed.suggestion()),
            (Some("I 1 (2) ③"), Some("J6"), Some("方針を記入してください"))
        );
        assert_eq!(composed, plain);
        assert_eq!(serde_json::to_value(&composed).unwrap(), serde_json::to_value(&plain).unwrap());
        assert_eq!(format!("{composed:?}"), format!("{plain:?}"));
        // Its shared wording is held once: a second finding holds only its own words.
        let other =
            Finding::composed(Severity::Warning, "next-missing", "I 1 (2) ①", &[pieces[0], Item, pieces[2], Own("窓口の検討"), pieces[4]]);
        assert_eq!(other.pattern, composed.pattern);
        assert_eq!(other.texts.len(), "窓口の検討".len() + "I 1 (2) ①".len());
        assert_eq!(other.message(), "項目 I 1 (2) ①「窓口の検討」の次年度の方針が空です。記入してください");
        // A word holding the separator is kept whole, as written.
        let odd = Finding::composed(Severity::Error, "x", "A", &[Own("a\u{1f}b"), Shared("!")]);
        assert_eq!((odd.pattern, &*odd.message()), (0, "a\u{1f}b!"));
        // The item changed later: the message still says the one it was written about.
        let mut moved = composed.clone();
        moved.set_item(Some("I 1 (3) ①"));
        assert_eq!((&*moved.message(), moved.item(), moved.cell_ref()), (whole, Some("I 1 (3) ①"), Some("J6")));
    }

    #[test]
    fn a1_names() {
        assert_eq!(super::a1(0, 0), "A1");
        assert_eq!(super::a1(13, 5), "F14");
        assert_eq!(super::a1(1_048_575, 16_383), "XFD1048576");
        assert_eq!(super::column_letters(26), "AA");
    }
}
