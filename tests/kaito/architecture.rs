//! The layers import downwards: text and grid primitives, the model, reading, checking and
//! consolidation, rendering, commands. A module may use its own layer or those below, and the
//! imports have no cycle. Checked on the source, so a change that reaches upwards fails here.

use crate::common::root;
use std::collections::{BTreeMap, BTreeSet};

const LAYERS: [(&str, &[&str]); 6] = [
    ("primitives", &["normalize", "fsutil", "finding", "period", "grid", "xlsx"]),
    ("model", &["form", "layout", "plan"]),
    ("reading", &["read", "intake", "table"]),
    ("checking", &["validate", "table::check", "consolidate"]),
    ("rendering", &["draw", "packet", "write", "report", "feedback", "template", "table::render"]),
    ("commands", &["ops"]),
];

fn layer(module: &str) -> usize {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module)).unwrap_or_else(|| panic!("module {module} has no layer in this test"))
}

/// Module name of a file: `table/check.rs` → `table::check`, `table/mod.rs` → `table`.
fn module_of(rel: &str) -> String {
    rel.trim_end_matches(".rs").trim_end_matches("/mod").replace('/', "::")
}

/// The crate modules a source text refers to (`crate::x`, `crate::x::y` for nested modules,
/// `super::` inside a nested module).
fn references(module: &str, text: &str) -> BTreeSet<String> {
    let known: Vec<&str> = LAYERS.iter().flat_map(|(_, ms)| ms.iter().copied()).collect();
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
        match nested.filter(|n| known.contains(&n.as_str())) {
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
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
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
            let module = module_of(&rel);
            let text = std::fs::read_to_string(&path).unwrap();
            graph.insert(module.clone(), references(&module, &text));
        }
    }
    let mut upward = Vec::new();
    for (m, uses) in &graph {
        for u in uses {
            if layer(u) > layer(m) {
                upward.push(format!("{m} ({}) uses {u} ({})", LAYERS[layer(m)].0, LAYERS[layer(u)].0));
            }
        }
    }
    assert!(upward.is_empty(), "imports reaching upwards:\n{}", upward.join("\n"));
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
