//! Visible normalisation of what departments type: width, spaces, dashes, amounts, status codes.
//!
//! Every function here reports whether it changed the text, so that the caller can record an
//! info finding: nothing is ever altered silently.

use unicode_normalization::UnicodeNormalization;

/// NFKC, then every kind of white space removed. Used to compare labels and codes.
pub fn fold(text: &str) -> String {
    if already_nfkc(text) {
        // Most labels and codes have no space at all: copied whole, not char by char.
        if !text.chars().any(char::is_whitespace) {
            return text.to_owned();
        }
        return text.chars().filter(|c| !c.is_whitespace()).collect();
    }
    text.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// [`fold`] given to `each` in pieces that make it up in order, without making it whole
/// (a text hashed as folded, as every answer's is, needs no copy of its own).
pub fn fold_each(text: &str, each: &mut dyn FnMut(&str)) {
    if already_nfkc(text) {
        text.split(char::is_whitespace).filter(|s| !s.is_empty()).for_each(each);
    } else {
        each(&fold(text));
    }
}

/// Whether `a` and `b` [`fold`] alike: texts compared for "changed" (a plan's text as a
/// department left it), which are mostly the very same and then not folded at all.
pub fn same_folded(a: &str, b: &str) -> bool {
    a == b || fold(a) == fold(b)
}

/// Whether NFKC would leave `text` as it is, by the quick check (no decomposition): most cell
/// texts (kana, kanji, ASCII) are, and normalising every label and cell was a large part of
/// reading time.
fn already_nfkc(text: &str) -> bool {
    text.is_ascii()
        || text.chars().all(stable_common)
        || unicode_normalization::is_nfkc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes
}

/// Characters NFKC never changes and that make up most Japanese cell text: ASCII, the
/// hiragana and katakana letters, 、。・ー々 and the brackets 「」『』, and the unified CJK
/// ideographs. Checked by range before the table look-up of the quick check, which was a
/// fifth of the time `check` took on a large intake. (Not the ideographic space, the
/// full-width or half-width forms, or the spacing sound marks ゛゜: NFKC changes those.)
fn stable_common(c: char) -> bool {
    matches!(c,
        '\u{20}'..='\u{7e}'
        | '\n' | '\r' | '\t'
        | '\u{3001}'..='\u{3002}'
        | '\u{3005}'
        | '\u{300c}'..='\u{300f}'
        | '\u{3041}'..='\u{3096}'
        | '\u{30a1}'..='\u{30fc}'
        | '\u{4e00}'..='\u{9fff}')
}

/// NFKC and trimmed, inner spaces kept. Used for free text shown back to users.
pub fn tidy(text: &str) -> String {
    if already_nfkc(text) {
        return text.trim().to_string();
    }
    text.nfkc().collect::<String>().trim().to_string()
}

/// [`tidy`] of a text already owned: most cell text needs no change and is kept as it is,
/// without a second copy (a plan of 100,000 items reads a million cells this way).
pub fn tidy_owned(text: String) -> String {
    if already_nfkc(&text) && text.trim().len() == text.len() {
        return text;
    }
    tidy(&text)
}

/// A code or number as shown to people: NFKC (full-width digits, `Ⅱ` → `II`) except circled
/// numbers, which NFKC would turn into plain digits (`①` stays `①`); spaces collapsed to one.
pub fn tidy_code(text: &str) -> String {
    let circled = |c: char| ('\u{2460}'..='\u{2473}').contains(&c);
    // Codes are mostly ASCII, kana and kanji already as shown: only the spaces to collapse.
    // (A plan of 10,000 items spent a tenth of its reading here, a String per character.)
    if text.chars().all(|c| stable_common(c) || circled(c)) {
        return text.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if circled(c) {
            out.push(c);
        } else {
            out.extend(std::iter::once(c).nfkc());
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `14,235`, negatives as `△1,200` the way Japanese reports print them.
pub fn thousands(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0 { format!("△{out}") } else { out }
}

/// Characters departments use for "none": hyphen, dashes, the long-vowel mark.
pub const DASHES: [char; 7] = ['-', '―', '－', 'ー', '‐', '—', '−'];
const SLASHES: [char; 2] = ['/', '／'];

pub fn is_dash(text: &str) -> bool {
    let t = fold(text);
    let mut chars = t.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if DASHES.contains(&c))
}

/// A fiscal-effect cell read as what it means.
#[derive(Debug, Clone, PartialEq)]
pub enum Amount {
    /// Nothing typed.
    Empty,
    /// A whole number of thousands of yen (0 means "none" too).
    Value(i64),
    /// `-`, `―`…: explicitly none.
    Nil,
    /// `/`: not applicable (projects without 財政健全化).
    NotApplicable,
    /// Anything else; the raw text is kept to quote it.
    Unreadable(String),
}

impl Amount {
    pub fn value(&self) -> Option<i64> {
        match self {
            Amount::Value(v) => Some(*v),
            _ => None,
        }
    }
    pub fn is_answered(&self) -> bool {
        !matches!(self, Amount::Empty)
    }
}

/// Result of reading an amount: the meaning and, when the text had to be rewritten to get
/// there, a short note of what was done (for the info finding).
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedAmount {
    pub amount: Amount,
    pub note: Option<String>,
}

/// Reads an amount typed as a number.
pub fn amount_from_number(v: f64) -> ParsedAmount {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        ParsedAmount { amount: Amount::Value(v as i64), note: None }
    } else {
        ParsedAmount { amount: Amount::Unreadable(v.to_string()), note: None }
    }
}

/// Reads an amount typed as text: `14,235`, `１４，２３５`, `14,235千円`, ` 14235 `,
/// `△1,200`, `▲1,200`, `-1,200`, `-`, `/`.
pub fn amount_from_text(raw: &str) -> ParsedAmount {
    let mut notes: Vec<&str> = Vec::new();
    if raw.trim().is_empty() {
        return ParsedAmount { amount: Amount::Empty, note: None };
    }
    let nfkc: String = raw.nfkc().collect();
    if nfkc != raw {
        notes.push("全角を半角に");
    }
    let mut t: String = nfkc.chars().filter(|c| !c.is_whitespace()).collect();
    if t.len() != nfkc.len() {
        notes.push("空白を除去");
    }
    if t.chars().count() == 1 {
        let c = t.chars().next().unwrap_or(' ');
        if DASHES.contains(&c) {
            return ParsedAmount { amount: Amount::Nil, note: None };
        }
        if SLASHES.contains(&c) {
            return ParsedAmount { amount: Amount::NotApplicable, note: None };
        }
    }
    for unit in ["千円", "円"] {
        if let Some(s) = t.strip_suffix(unit) {
            if unit == "円" {
                // A bare 円 would mean yen, not thousands: never guess a factor of 1,000.
                return ParsedAmount { amount: Amount::Unreadable(raw.to_string()), note: None };
            }
            t = s.to_string();
            notes.push("「千円」を除去");
            break;
        }
    }
    let mut negative = false;
    if let Some(first) = t.chars().next()
        && (first == '△' || first == '▲' || DASHES.contains(&first))
    {
        negative = true;
        t = t[first.len_utf8()..].to_string();
        if first != '-' {
            notes.push("△をマイナスに");
        }
    }
    let digits: String = t.chars().filter(|&c| c != ',').collect();
    if digits.len() != t.len() {
        notes.push("桁区切りを除去");
    }
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) || digits.len() > 15 {
        return ParsedAmount { amount: Amount::Unreadable(raw.to_string()), note: None };
    }
    let Ok(mut v) = digits.parse::<i64>() else {
        return ParsedAmount { amount: Amount::Unreadable(raw.to_string()), note: None };
    };
    if negative {
        v = -v;
    }
    notes.insert(0, "文字列の数値を数値に");
    ParsedAmount { amount: Amount::Value(v), note: Some(notes.join("、")) }
}

/// A status cell read against the plan's vocabulary.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Empty,
    /// A code of the vocabulary; `changed` says the typed text differed (spaces, width, dash).
    Code {
        code: String,
        changed: bool,
    },
    /// Not in the vocabulary: the folded text and the closest code, if any is close.
    Unknown {
        text: String,
        suggestion: Option<String>,
    },
}

/// Normalises a status (NFKC, trim, inner spaces removed, dash variants to `-` when the
/// vocabulary has `-`) and looks it up. `hints` maps frequent wrong words to codes
/// (`順調` → `概ね順調`), from templates/.
pub fn status(raw: &str, vocabulary: &[String], hints: &[(String, String)]) -> Status {
    if raw.trim().is_empty() {
        return Status::Empty;
    }
    let mut folded = fold(raw);
    if vocabulary.iter().any(|v| v == "-") && is_dash(&folded) {
        folded = "-".to_string();
    }
    if let Some(code) = vocabulary.iter().find(|v| fold(v) == folded) {
        return Status::Code { code: code.clone(), changed: code != raw };
    }
    let hinted = hints.iter().find(|(word, _)| fold(word) == folded).map(|(_, code)| code.clone()).filter(|code| vocabulary.contains(code));
    let suggestion = hinted.or_else(|| closest(&folded, vocabulary.iter().map(String::as_str)));
    Status::Unknown { text: folded, suggestion }
}

/// The vocabulary entry sharing the most characters with `text` (Dice coefficient over
/// characters), when it shares at least a third of them.
/// The vocabulary is walked, not copied: for an unknown code it is every code of the plan.
pub fn closest<'a>(text: &str, vocabulary: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let a: Vec<char> = text.chars().collect();
    let mut best: Option<(f64, &str)> = None;
    for v in vocabulary {
        let b: Vec<char> = fold(v).chars().collect();
        if b.is_empty() || a.is_empty() {
            continue;
        }
        let mut pool = b.clone();
        let mut shared = 0usize;
        for c in &a {
            if let Some(i) = pool.iter().position(|x| x == c) {
                pool.remove(i);
                shared += 1;
            }
        }
        let score = 2.0 * shared as f64 / (a.len() + b.len()) as f64;
        if score >= 1.0 / 3.0 && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, v));
        }
    }
    best.map(|(_, v)| v.to_string())
}

/// Places in a list found by a folded key (see [`fold`]) that each item gives: only the places
/// are held (4 bytes each), the keys being made again from the items when compared. A tree of
/// folded keys held a copy of every plan code and name, some 60 bytes an item.
#[derive(Debug, Clone, Default)]
pub struct FoldedIndex {
    table: hashbrown::HashTable<u32>,
}

/// A fixed hasher: the same places come back in the same order in every run.
type Hasher = std::hash::BuildHasherDefault<std::collections::hash_map::DefaultHasher>;

fn hash_of(folded: &str) -> u64 {
    use std::hash::BuildHasher;
    Hasher::default().hash_one(folded)
}

/// Whether the item's key folds to `folded`: compared as it is first, as most keys (codes,
/// names the plan's reader tidied) are folded already.
fn folds_to(key: &str, folded: &str) -> bool {
    key == folded || fold(key) == folded
}

impl FoldedIndex {
    /// The index of `keys`, by their places in that order.
    pub fn new<'a>(keys: impl IntoIterator<Item = &'a str>) -> FoldedIndex {
        let keys = keys.into_iter();
        let mut table = hashbrown::HashTable::with_capacity(keys.size_hint().0);
        let mut hashes = Vec::with_capacity(keys.size_hint().0);
        for (i, key) in keys.enumerate() {
            hashes.push(hash_of(&fold(key)));
            table.insert_unique(hashes[i], i as u32, |&j| hashes[j as usize]);
        }
        FoldedIndex { table }
    }

    /// The places whose key folds to `folded` (already folded), in list order; `key_of` gives
    /// the key at a place, from the same list the index was made of.
    pub fn find<'a>(&self, folded: &str, key_of: impl Fn(usize) -> Option<&'a str>) -> Vec<usize> {
        let mut hits: Vec<usize> = self.places(folded, key_of).collect();
        hits.sort_unstable();
        hits
    }

    /// The first place whose key folds to `folded`.
    pub fn first<'a>(&self, folded: &str, key_of: impl Fn(usize) -> Option<&'a str>) -> Option<usize> {
        self.places(folded, key_of).min()
    }

    /// The last place whose key folds to `folded` (as a map of the keys would keep); no list
    /// is made, as for every row of every file.
    pub fn last<'a>(&self, folded: &str, key_of: impl Fn(usize) -> Option<&'a str>) -> Option<usize> {
        self.places(folded, key_of).max()
    }

    /// The places whose key folds to `folded`, in the table's order.
    fn places<'a>(&self, folded: &str, key_of: impl Fn(usize) -> Option<&'a str>) -> impl Iterator<Item = usize> {
        self.table.iter_hash(hash_of(folded)).map(|&i| i as usize).filter(move |&i| key_of(i).is_some_and(|k| folds_to(k, folded)))
    }

    /// How many places it holds.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_folded_index_finds_every_place_whose_key_folds_alike_in_list_order() {
        let keys = ["Ｉ １ (1) ①", "事業Ａ", "I 1 (2) ①", "事業A", "事業 Ａ", "別の事業"];
        let index = super::FoldedIndex::new(keys);
        let key_of = |i: usize| keys.get(i).copied();
        assert_eq!(index.len(), 6);
        assert_eq!(index.find(&super::fold("事業A"), key_of), vec![1, 3, 4]);
        assert_eq!(index.first(&super::fold("事業A"), key_of), Some(1));
        assert_eq!(index.first(&super::fold("I 1 (1) ①"), key_of), Some(0));
        assert_eq!(index.first(&super::fold("I1(2)①"), key_of), Some(2));
        assert_eq!(index.first("事業B", key_of), None);
        assert!(index.find("", key_of).is_empty());
        // A place past the list the index was made of is not given back.
        assert_eq!(index.first(&super::fold("別の事業"), |i| keys[..5].get(i).copied()), None);
    }

    #[test]
    fn an_owned_text_is_tidied_as_a_borrowed_one() {
        for text in ["民間活力の導入", "  前後に空白 ", "ＡＢＣ１２３", "ｶﾀｶﾅ", "", "　全角空白　"] {
            assert_eq!(super::tidy_owned(text.to_string()), super::tidy(text), "{text:?}");
        }
        assert_eq!(super::tidy_owned(" ＡＢＣ ".to_string()), "ABC");
    }

    #[test]
    fn folded_in_pieces_and_compared_as_folded_alike() {
        for t in ["", " ", "A-1 事業", "ＡＢＣ　１２３", "①改善\n 計画", "か\u{3099}", " 前 後 "] {
            let mut pieces = String::new();
            super::fold_each(t, &mut |p| pieces.push_str(p));
            assert_eq!(pieces, super::fold(t), "{t:?}");
            for u in ["", "ABC123", "A-1事業", "①改善計画", "が", "前後"] {
                assert_eq!(super::same_folded(t, u), super::fold(t) == super::fold(u), "{t:?} {u:?}");
            }
        }
    }

    #[test]
    fn every_character_taken_as_stable_is_left_alone_by_nfkc() {
        use unicode_normalization::UnicodeNormalization;
        let mut checked = 0;
        for c in (0..=0x10ffff).filter_map(char::from_u32).filter(|&c| super::stable_common(c)) {
            let s = c.to_string();
            assert_eq!(s.nfkc().collect::<String>(), s, "U+{:04X}", c as u32);
            // A mark that would compose with it (か + ゙ → が) is never taken as stable.
            let pair = format!("{c}\u{3099}");
            assert!(!super::already_nfkc(&pair) || pair.nfkc().collect::<String>() == pair, "U+{:04X}", c as u32);
            checked += 1;
        }
        assert!(checked > 20_000, "{checked}");
    }

    #[test]
    fn codes_are_tidied_alike_on_the_quick_path_and_the_long_one() {
        use unicode_normalization::UnicodeNormalization;
        let long = |t: &str| {
            let mut out = String::new();
            for c in t.chars() {
                if ('\u{2460}'..='\u{2473}').contains(&c) {
                    out.push(c);
                } else {
                    out.extend(c.to_string().nfkc());
                }
            }
            out.split_whitespace().collect::<Vec<_>>().join(" ")
        };
        for t in ["I 1 (1) ①", "I  1\t(1)  ③ ", "0701-01", "Ⅱ１（２）②", "０７０１－０１", "3-1-1", "行革 1", "ｶﾞ 1", "⑳ ㉑"]
        {
            assert_eq!(super::tidy_code(t), long(t), "{t}");
        }
        assert_eq!(super::tidy_code("I  1 (1)   ①"), "I 1 (1) ①");
        assert_eq!(super::tidy_code("Ⅱ１（２）②"), "II1(2)②");
    }

    #[test]
    fn the_quick_path_folds_as_nfkc_does() {
        use unicode_normalization::UnicodeNormalization;
        for t in [
            "概ね順調",
            "0701-01",
            "０７０１－０１",
            "ｶﾀｶﾅ",
            "㈱ Ⅱ ①",
            "令和 3 年度",
            "ペットボトル・プラクル",
            "\u{3000}全角空白",
            "か\u{3099}",
        ] {
            let slow: String = t.nfkc().filter(|c| !c.is_whitespace()).collect();
            assert_eq!(super::fold(t), slow, "{t}");
            assert_eq!(super::tidy(t), t.nfkc().collect::<String>().trim(), "{t}");
        }
    }

    use super::*;

    fn vocab() -> Vec<String> {
        ["済", "概ね順調", "遅れ", "未着手", "休止", "-"].iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn amounts_as_departments_type_them() {
        for s in ["14,235", "１４，２３５", "14,235千円", " 14235 ", "14235"] {
            assert_eq!(amount_from_text(s).amount, Amount::Value(14235), "{s}");
        }
        assert!(amount_from_text("14,235").note.unwrap().contains("桁区切り"));
        for s in ["△1,200", "▲1,200", "-1,200"] {
            assert_eq!(amount_from_text(s).amount, Amount::Value(-1200), "{s}");
        }
        for s in ["-", "―", "－", "ー"] {
            assert_eq!(amount_from_text(s).amount, Amount::Nil, "{s}");
        }
        assert_eq!(amount_from_text("0").amount, Amount::Value(0));
        assert_eq!(amount_from_text("／").amount, Amount::NotApplicable);
        assert_eq!(amount_from_text("  ").amount, Amount::Empty);
        assert_eq!(amount_from_text("約1万").amount, Amount::Unreadable("約1万".into()));
        assert_eq!(amount_from_text("1,200円").amount, Amount::Unreadable("1,200円".into()));
        assert_eq!(amount_from_number(14235.0).amount, Amount::Value(14235));
        assert!(matches!(amount_from_number(1.5).amount, Amount::Unreadable(_)));
    }

    #[test]
    fn statuses_with_noise_and_suggestions() {
        let v = vocab();
        assert_eq!(status("概ね順調　", &v, &[]), Status::Code { code: "概ね順調".into(), changed: true });
        assert_eq!(status("概ね 順調", &v, &[]), Status::Code { code: "概ね順調".into(), changed: true });
        assert_eq!(status("済", &v, &[]), Status::Code { code: "済".into(), changed: false });
        assert_eq!(status("ー", &v, &[]), Status::Code { code: "-".into(), changed: true });
        assert_eq!(status("", &v, &[]), Status::Empty);
        match status("順調", &v, &[]) {
            Status::Unknown { suggestion, .. } => {
                assert_eq!(suggestion.as_deref(), Some("概ね順調"))
            }
            other => panic!("{other:?}"),
        }
        match status("遅延", &v, &[]) {
            Status::Unknown { suggestion, .. } => assert_eq!(suggestion.as_deref(), Some("遅れ")),
            other => panic!("{other:?}"),
        }
        let hints = vec![("完了".to_string(), "済".to_string())];
        match status("完了", &v, &hints) {
            Status::Unknown { suggestion, .. } => assert_eq!(suggestion.as_deref(), Some("済")),
            other => panic!("{other:?}"),
        }
    }
}
