//! The layers import downwards: text and grid primitives, the model, reading, checking and
//! consolidation, rendering, commands. A module may use its own layer or those below, and the
//! imports have no cycle. Checked on the source, so a change that reaches upwards fails here.

use crate::common::root;
use std::collections::{BTreeMap, BTreeSet};

/// The layers, in order: a module lives in its layer's folder (`ops.rs` at the top).
const LAYERS: [&str; 6] = ["primitives", "model", "reading", "checking", "rendering", "commands"];

/// A source file's module path and layer: `checking/validate.rs` → (`validate`, checking);
/// the table's files are `table`, `table::check` and `table::render`.
fn module_of(rel: &str) -> (String, usize) {
    let (folder, file) = rel.split_once('/').unwrap_or(("commands", rel));
    let layer = LAYERS.iter().position(|l| *l == folder).unwrap_or_else(|| panic!("{rel} is in no layer's folder"));
    let stem = file.trim_end_matches(".rs");
    let module = match (folder, stem) {
        ("checking", "table") => "table::check".to_string(),
        ("rendering", "table") => "table::render".to_string(),
        ("checking", "card") => "card::check".to_string(),
        ("rendering", "card") => "card::render".to_string(),
        _ => stem.to_string(),
    };
    (module, layer)
}

/// The crate modules a source text refers to (`crate::x`, `crate::x::y` for the table's
/// nested modules, `super::` inside them).
fn references(module: &str, text: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let code: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + 7..];
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        let parts: Vec<&str> = name.split("::").filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            continue;
        }
        let nested = parts.get(1).map(|p| format!("{}::{p}", parts[0]));
        match nested.filter(|n| known.contains(n)) {
            Some(n) => out.insert(n),
            None => out.insert(parts[0].to_string()),
        };
    }
    if module.contains("::") && code.contains("super::") {
        out.insert(module.split("::").next().unwrap().to_string());
    }
    out.remove(module);
    out
}

#[test]
fn layers_import_downwards_and_without_cycles() {
    let src = root().join("src");
    let mut files: Vec<(String, usize, String)> = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(p) = stack.pop() {
        for e in std::fs::read_dir(&p).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap().display().to_string().replace('\\', "/");
            if rel == "main.rs" || rel == "lib.rs" {
                continue;
            }
            let (module, layer) = module_of(&rel);
            files.push((module, layer, std::fs::read_to_string(&path).unwrap()));
        }
    }
    let layer_of: BTreeMap<String, usize> = files.iter().map(|(m, l, _)| (m.clone(), *l)).collect();
    let known: BTreeSet<String> = layer_of.keys().cloned().collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut upward = Vec::new();
    for (m, l, text) in &files {
        let uses: BTreeSet<String> = references(m, text, &known).into_iter().filter(|u| known.contains(u)).collect();
        for u in &uses {
            if layer_of[u] > *l {
                upward.push(format!("{m} ({}) uses {u} ({})", LAYERS[*l], LAYERS[layer_of[u]]));
            }
        }
        graph.insert(m.clone(), uses);
    }
    assert!(upward.is_empty(), "imports reaching upwards:\n{}", upward.join("\n"));
    // Every layer has its folder and something in it: the tree shows the architecture.
    for (i, name) in LAYERS.iter().enumerate() {
        assert!(layer_of.values().any(|l| *l == i), "no module in {name}");
    }
    // No cycle: repeatedly remove modules that use nothing left.
    let mut left = graph.clone();
    loop {
        let free: Vec<String> =
            left.iter().filter(|(_, uses)| uses.iter().all(|u| !left.contains_key(u))).map(|(m, _)| m.clone()).collect();
        if free.is_empty() {
            break;
        }
        for m in free {
            left.remove(&m);
        }
    }
    assert!(left.is_empty(), "modules in an import cycle: {:?}", left.keys().collect::<Vec<_>>());
}
