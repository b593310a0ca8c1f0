//! Canmou (参谋): the backend of a DingTalk mini-program that shows government officials the
//! key indicators of the organisations they are responsible for.

pub mod auth;
pub mod cache;
pub mod config;
pub mod db;
pub mod dingtalk;
pub mod domain;
pub mod encoding;
pub mod error;
pub mod export;
pub mod feed;
pub mod middleware;
pub mod open;
pub mod policy;
pub mod retry;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;
pub mod supervisor;
pub mod telemetry;
pub mod tls;
pub mod views;
pub mod workers;

/// The direction of dependencies between the modules above, checked on the sources: a module
/// names (`crate::…`) only modules of lower layers, so that no cycle can come back unnoticed.
#[cfg(test)]
mod architecture {
    use std::path::{Path, PathBuf};

    /// The layers, lowest first. Pure code and leaves at the bottom; then settings and caches;
    /// the clients of the outside; the database; who is calling; the open API's machinery; the
    /// state the handlers share; what they compute; the background jobs; the HTTP handlers and
    /// their table; and the application that mounts them.
    const LAYERS: &[&[&str]] = &[
        &["domain", "encoding", "error", "export", "retry", "supervisor", "tls"],
        &["config", "cache", "middleware"],
        &["db", "dingtalk", "feed", "telemetry"],
        &["store"],
        &["auth"],
        &["open"],
        &["state"],
        &["policy", "views"],
        &["workers"],
        &["routes"],
        &["startup"],
    ];

    fn layer(module: &str) -> Option<usize> {
        LAYERS.iter().position(|l| l.contains(&module))
    }

    /// The top-level modules a source names through `crate::` paths, grouped ones
    /// (`crate::{a::X, b}`) included, leaving out its test module at the end of the file.
    fn named(source: &str) -> Vec<String> {
        let code = source.split("\n#[cfg(test)]\nmod ").next().unwrap_or(source);
        let ident = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
        let mut out = Vec::new();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let Some(group) = rest.strip_prefix('{') else {
                out.push(ident(rest));
                continue;
            };
            let mut depth = 0;
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if c.is_whitespace() => {}
                    _ if start => {
                        out.push(ident(&group[i..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        }
        out.retain(|m| !m.is_empty());
        out.sort();
        out.dedup();
        out
    }

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn lower_layers_never_name_higher_ones() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        sources(&src, &mut files);
        assert!(files.len() > 50, "the sources were not found under {}", src.display());
        let mut wrong = Vec::new();
        for path in files {
            let rel = path.strip_prefix(&src).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            let module = rel.split('/').next().unwrap_or("").trim_end_matches(".rs").to_owned();
            if module == "lib" {
                continue;
            }
            let Some(own) = layer(&module) else {
                wrong.push(format!("{rel}: module `{module}` has no layer in `LAYERS`"));
                continue;
            };
            let source = std::fs::read_to_string(&path).unwrap_or_default();
            for other in named(&source) {
                match layer(&other) {
                    _ if other == module => {}
                    Some(l) if l < own => {}
                    _ => wrong.push(format!("{rel}: `{module}` names `crate::{other}`, which is not below it")),
                }
            }
        }
        assert!(wrong.is_empty(), "dependencies against the layers:\n{}", wrong.join("\n"));
    }

    #[test]
    fn the_scanner_sees_plain_grouped_and_nested_paths() {
        let source = "use crate::state::AppState;\nuse crate::{config::{A, B}, store};\nfn f() { crate::views::x() }\n\
                      #[cfg(test)]\nmod tests { use crate::startup; }\n";
        assert_eq!(named(source), ["config", "state", "store", "views"]);
    }
}
