//! The library's layers point one way (ARCHITECTURE.md, "Layers"): a module may import only
//! modules of a lower layer. This test reads the sources and fails on any import upwards.
//!
//! What counts as an import: a `use crate::…` line (including `use crate::{a::…, b::…}` groups)
//! and any `crate::module::…` path in code. Comments, doc comments and `#[cfg(test)]` modules do
//! not count, and neither do `pub use` re-exports, which only give a lower item a second public
//! path (`fe::backend::save_model`, `fe::network::Model`) without making the module's code
//! depend on it.

use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and its layer; a module may import lower layers only.
/// Modules of the same layer do not import each other either.
const LAYERS: &[(&str, u32)] = &[
    ("error", 0),
    ("runtime", 1),
    ("output", 1),
    ("distributed", 1),
    ("util", 2),
    ("value", 2),
    ("schedule", 3),
    ("backend", 4),
    ("model", 5),
    ("architecture", 6),
    ("xai", 6),
    ("dataset", 6),
    ("op", 7),
    ("pipeline", 8),
    ("network", 8),
    ("summary", 9),
    ("trace", 10),
    ("estimator", 11),
    ("cli", 12),
    ("search", 12),
];

/// Items that `lib.rs` re-exports at the crate root, and the module each comes from.
const ROOT_ITEMS: &[(&str, &str)] = &[
    ("Result", "error"),
    ("FeError", "error"),
    ("enable_deterministic", "runtime"),
    ("deterministic_seed", "runtime"),
    ("set_num_threads", "runtime"),
    ("Mode", "util"),
    ("Sample", "value"),
    ("Value", "value"),
    ("DType", "value"),
    ("TensorMap", "value"),
    ("collate_samples", "value"),
    ("build", "model"),
    ("build_named", "model"),
    ("Model", "model"),
    ("Network", "network"),
    ("Pipeline", "pipeline"),
    ("Summary", "summary"),
    ("Estimator", "estimator"),
];

fn layer_of(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|&(_, l)| l)
}

/// The module a `crate::<name>` path reaches.
fn module_of(name: &str) -> Option<&str> {
    if layer_of(name).is_some() {
        return LAYERS.iter().find(|(m, _)| *m == name).map(|&(m, _)| m);
    }
    ROOT_ITEMS.iter().find(|(item, _)| *item == name).map(|&(_, m)| m)
}

/// The names right after `crate::` in `code`: one name, or every top-level name of a `{…}` group.
fn crate_paths(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `fastestimator_crate::` and the like
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && (c.is_alphanumeric() || c == '_') => {
                        let name: String =
                            group[j..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                        names.push(name);
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            names.push(rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect());
        }
    }
    names
}

/// Every import upwards in one file of `module`: (line number, imported module).
fn upward_imports(module: &str, source: &str) -> Vec<(usize, String)> {
    let own = layer_of(module).expect("a known module");
    let mut found = Vec::new();
    let mut lines = source.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let code = line.trim_start();
        if code.starts_with("#[cfg(test)]") {
            break; // test modules sit at the end of a file and may use anything
        }
        if code.starts_with("//") {
            continue;
        }
        let mut code = code.split("//").next().unwrap_or_default().to_string();
        // A `use` statement that rustfmt spread over several lines is read as one.
        if (code.starts_with("use ") || code.starts_with("pub use ")) && !code.contains(';') {
            for (_, more) in lines.by_ref() {
                code.push_str(more.trim().split("//").next().unwrap_or_default());
                if more.contains(';') {
                    break;
                }
            }
        }
        if code.starts_with("pub use ") {
            continue;
        }
        for name in crate_paths(&code) {
            let Some(target) = module_of(&name) else { continue };
            if target != module && layer_of(target).is_some_and(|l| l >= own) {
                found.push((n + 1, target.to_string()));
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_imports_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut seen_modules = std::collections::BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().into_owned();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" {
            continue; // the crate root only declares modules and re-exports
        }
        assert!(layer_of(&module).is_some(), "src/{} belongs to no layer: add `{module}` to LAYERS", rel.display());
        seen_modules.insert(module.clone());
        let source = std::fs::read_to_string(file).unwrap();
        for (line, target) in upward_imports(&module, &source) {
            violations.push(format!(
                "src/{}:{line}: {module} (layer {}) imports {target} (layer {})",
                rel.display(),
                layer_of(&module).unwrap(),
                layer_of(&target).unwrap()
            ));
        }
    }
    assert_eq!(seen_modules.len(), LAYERS.len(), "LAYERS names a module that does not exist: {seen_modules:?}");
    assert!(violations.is_empty(), "imports that point up a layer:\n{}", violations.join("\n"));
}

#[test]
fn the_layer_check_catches_a_reversed_import() {
    let reversed = "use crate::estimator::Estimator;\nfn f() {}\n";
    assert_eq!(upward_imports("dataset", reversed), vec![(1, "estimator".to_string())]);
    let grouped = "use crate::{error::Result, network::Network, Pipeline};\n";
    assert_eq!(upward_imports("op", grouped), vec![(1, "network".into()), (1, "pipeline".into())]);
    let same_layer = "    let x = crate::architecture::LeNet::new(p);\n";
    assert_eq!(upward_imports("dataset", same_layer), vec![(1, "architecture".to_string())]);
    let allowed = "use crate::value::Sample;\n/// [`crate::estimator::Estimator`]\npub use crate::model::save_model;\n";
    assert!(upward_imports("backend", allowed).is_empty());
    let spread = "use crate::{\n    error::Result,\n    network::Network,\n};\n";
    assert_eq!(upward_imports("op", spread), vec![(1, "network".to_string())]);
    let spread_reexport = "pub use crate::{\n    estimator::Estimator,\n};\nfn g() {}\n";
    assert!(upward_imports("backend", spread_reexport).is_empty());
    let in_tests = "#[cfg(test)]\nmod tests {\n    use crate::estimator::Estimator;\n}\n";
    assert!(upward_imports("dataset", in_tests).is_empty());
}
