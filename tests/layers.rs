//! The shape of `src/`, checked from its text: imports between the top-level modules flow
//! one way down the layers, no files import each other round a cycle, and no file is
//! longer than [`MAX_LINES`]. What `cargo modules dependencies --acyclic` would check,
//! without anything to install.
//!
//! An import is any path that names an item of this crate: `use` declarations, and paths
//! in code that start with `crate::`, `super::`, `self::` or the name of a child module.
//! Comments, string literals and `#[cfg(test)]` items are left out: tests may reach up
//! the layers for their fixtures. A path through a re-export (`pub use`) is followed to
//! the file that defines the item, as the compiler resolves it, so a parent module that
//! re-exports its children's items is not in a cycle with them. `src/main.rs` is the
//! binary, a crate of its own that sees only the library's public items.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level modules from the top: each may import only the modules listed after it.
const LAYERS: &[&str] = &[
    "cli",
    "serve",
    "report",
    "plot",
    "output",
    "analysis",
    "engine",
    "input",
    "scenario",
    "stats",
    "strategy",
    "model",
    "fund",
    "portfolio",
    "params",
    "rng",
    "digest",
];

/// Modules that must not import each other in either direction: the allocation rules
/// and the model meet only in `fund`, so that a rule cannot see the model's state.
const APART: &[(&str, &str)] = &[("strategy", "model")];

/// The longest a source file may be, in lines.
const MAX_LINES: usize = 700;

#[test]
fn imports_flow_down_the_layers() {
    let problems = Crate::read(&source_files()).upward_imports();
    assert!(
        problems.is_empty(),
        "imports that run up the layers (a module may import only the modules after it in \
         {LAYERS:?}; {APART:?} not each other):\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_files_import_each_other_round_a_cycle() {
    let problems = Crate::read(&source_files()).file_cycles();
    assert!(
        problems.is_empty(),
        "import cycles between files:\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_source_file_is_longer_than_the_limit() {
    let long: Vec<String> = source_files()
        .iter()
        .map(|(path, text)| (path, text.lines().count()))
        .filter(|&(_, lines)| lines > MAX_LINES)
        .map(|(path, lines)| format!("  {path}: {lines} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "files longer than {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// The check itself must be able to fail: a small crate with one upward import, one
/// forbidden pair, one cycle, and the things that must not count (comments, strings, test
/// modules, `pub(in ...)`, re-exports of children, a test-only child file).
#[test]
fn the_checks_find_what_they_should_and_nothing_else() {
    let files = [
        (
            "src/lib.rs",
            "pub mod cli;\npub mod model;\npub mod rng;\npub mod strategy;\npub const V: u8 = 1;",
        ),
        // A parent that re-exports its children, and a child that uses a sibling through
        // the parent: no cycle.
        (
            "src/rng/mod.rs",
            "mod a;\nmod b;\n#[cfg(test)]\nmod fixtures;\n\
             pub use a::A;\npub use b::{B, self as bee};",
        ),
        (
            "src/rng/a.rs",
            "use super::B;\npub(in crate::rng) struct Hidden;\npub struct A(B);",
        ),
        ("src/rng/b.rs", "pub struct B;\nfn f() -> u8 { crate::V }"),
        ("src/rng/fixtures.rs", "use crate::cli::Up;"),
        // Upward: model imports cli in a use (line 2) and in code (line 6); the comments,
        // the strings, the character and the test module do not count.
        (
            "src/model/mod.rs",
            "// use crate::cli::X;\nuse crate::{cli::Run, rng::{self, A}};\n\
             /* crate::cli::Y /* nested */ crate::cli::Z */\n\
             const S: &str = \"crate::cli::W\";\nconst R: &str = r#\"crate::cli::V\"#;\n\
             fn f<'a>(x: &'a str) -> char { let _ = crate::cli::Up; '\"' }\n\
             #[cfg(test)]\nmod tests {\n    use crate::cli::Fixture;\n}\npub struct State;\n",
        ),
        // Strategy is above model, but the two must not meet.
        (
            "src/strategy/mod.rs",
            "pub struct Rule;\nuse crate::model::State;\nuse crate::rng::A;",
        ),
        // A cycle between two files of cli, one import in code, one in a use.
        (
            "src/cli/mod.rs",
            "mod merge;\nmod run;\npub use run::Run;\npub struct Up;",
        ),
        (
            "src/cli/merge.rs",
            "pub struct Merged;\nfn f() { super::run::execute(); }",
        ),
        (
            "src/cli/run.rs",
            "use super::merge::Merged;\npub struct Run;\npub fn execute() {}",
        ),
    ];
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(path, text)| (path.to_string(), text.to_string()))
        .collect();
    let checked = Crate::read(&files);
    assert_eq!(
        checked.upward_imports(),
        [
            "  src/model/mod.rs:2: model imports cli (crate::cli::Run)",
            "  src/model/mod.rs:6: model imports cli (crate::cli::Up)",
            "  src/strategy/mod.rs:2: strategy imports model (crate::model::State)",
        ]
    );
    assert_eq!(
        checked.file_cycles(),
        [
            "  cycle: src/cli/merge.rs, src/cli/run.rs",
            "    src/cli/merge.rs:2 → src/cli/run.rs (super::run::execute)",
            "    src/cli/run.rs:1 → src/cli/merge.rs (super::merge::Merged)",
        ]
    );
}

/// Every `.rs` file under `src/` with its text, by path from the package root (`/`
/// separated), in path order.
fn source_files() -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                let relative = path.strip_prefix(root).expect("under the root");
                let name: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push((name.join("/"), text));
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), root, &mut files);
    files.sort();
    assert!(files.len() > 10, "found the sources in {}", root.display());
    files
}

/// A module path from the crate root: `["model", "project"]`; the root is empty.
type ModulePath = Vec<String>;

/// One path that names an item of the crate, as written, and where.
#[derive(Debug, Clone)]
struct Reference {
    segments: Vec<String>,
    line: usize,
}

/// A name a `use` declaration binds in its module, and the path it stands for.
#[derive(Debug, Clone)]
struct Binding {
    name: Option<String>,
    reference: Reference,
}

/// One source file of the library: its module and the crate paths it names.
#[derive(Debug, Default)]
struct File {
    path: String,
    /// The names `use` binds (`None` for a glob), with their paths.
    uses: Vec<Binding>,
    /// Paths in code outside `use` declarations.
    code: Vec<Reference>,
}

/// The library's files by module, as far as imports go.
struct Crate {
    files: BTreeMap<ModulePath, File>,
}

/// An import of one file by another: `from` names `written` at `line`, which is defined
/// in the file of module `to`.
struct Import {
    from: ModulePath,
    to: ModulePath,
    line: usize,
    written: String,
}

impl Crate {
    fn read(sources: &[(String, String)]) -> Self {
        let mut files = BTreeMap::new();
        let mut test_only = BTreeSet::new();
        for (path, text) in sources {
            let Some(module) = module_of(path) else {
                continue;
            };
            let scan = scan(&tokens(text));
            if scan.test_only {
                test_only.insert(module.clone());
            }
            for child in scan.test_children {
                let mut child_module = module.clone();
                child_module.push(child);
                test_only.insert(child_module);
            }
            let file = File {
                path: path.clone(),
                uses: scan.uses,
                code: scan.code,
            };
            files.insert(module, file);
        }
        // A file declared by `#[cfg(test)] mod name;` is test code, and so is all under it.
        files.retain(|module, _| !test_only.iter().any(|t| module.starts_with(t)));
        Self { files }
    }

    /// Every import of a file by another, in file and line order.
    fn imports(&self) -> Vec<Import> {
        let mut imports = Vec::new();
        for (module, file) in &self.files {
            let written = file.uses.iter().map(|b| &b.reference).chain(&file.code);
            for reference in written {
                let Some(absolute) = self.absolute(module, &reference.segments) else {
                    continue;
                };
                let to = self.defining_module(&absolute, 0);
                if &to != module {
                    imports.push(Import {
                        from: module.clone(),
                        to,
                        line: reference.line,
                        written: reference.segments.join("::"),
                    });
                }
            }
        }
        imports.sort_by(|a, b| (&a.from, a.line).cmp(&(&b.from, b.line)));
        imports
    }

    /// Each import of a top-level module by another that is not below it, as
    /// `  file:line: importer imports imported (path)`.
    fn upward_imports(&self) -> Vec<String> {
        let rank = |name: &str| LAYERS.iter().position(|&layer| layer == name);
        let mut problems = Vec::new();
        for (module, file) in &self.files {
            let Some(own) = module.first() else {
                continue; // The crate root declares the modules; it is above them all.
            };
            let written = file.uses.iter().map(|b| &b.reference).chain(&file.code);
            for reference in written {
                let Some(absolute) = self.absolute(module, &reference.segments) else {
                    continue;
                };
                let Some(other) = absolute.first() else {
                    continue;
                };
                // An item of the crate root (`crate::VERSION`) is not a module.
                if other == own || !self.files.contains_key(&absolute[..1]) {
                    continue;
                }
                let allowed = match (rank(own), rank(other)) {
                    (Some(a), Some(b)) => {
                        a < b
                            && !APART
                                .iter()
                                .any(|&(x, y)| (x == own && y == other) || (y == own && x == other))
                    }
                    _ => false, // A module missing from LAYERS must be placed first.
                };
                if !allowed {
                    let text = format!(
                        "  {}:{}: {own} imports {other} ({})",
                        file.path,
                        reference.line,
                        reference.segments.join("::")
                    );
                    problems.push((file.path.as_str(), reference.line, text));
                }
            }
        }
        problems.sort();
        problems.dedup();
        problems.into_iter().map(|(_, _, text)| text).collect()
    }

    /// Each set of files that import each other round a cycle, with the imports between
    /// them: `  cycle: a, b`, then `    a:line → b (path)` per import.
    fn file_cycles(&self) -> Vec<String> {
        let imports = self.imports();
        let mut edges: BTreeMap<&ModulePath, BTreeSet<&ModulePath>> = BTreeMap::new();
        for import in &imports {
            edges.entry(&import.from).or_default().insert(&import.to);
        }
        let reach = |start: &ModulePath| {
            let mut seen: BTreeSet<&ModulePath> = BTreeSet::new();
            let mut todo = vec![start];
            while let Some(module) = todo.pop() {
                for &next in edges.get(module).into_iter().flatten() {
                    if seen.insert(next) {
                        todo.push(next);
                    }
                }
            }
            seen
        };
        let reachable: BTreeMap<&ModulePath, BTreeSet<&ModulePath>> =
            self.files.keys().map(|m| (m, reach(m))).collect();
        let mut problems = Vec::new();
        let mut placed: BTreeSet<&ModulePath> = BTreeSet::new();
        for module in self.files.keys() {
            if placed.contains(module) || !reachable[module].contains(module) {
                continue;
            }
            let cycle: BTreeSet<&ModulePath> = reachable[module]
                .iter()
                .copied()
                .filter(|other| reachable[other].contains(module))
                .collect();
            placed.extend(cycle.iter().copied());
            let names: Vec<&str> = cycle.iter().map(|m| self.files[*m].path.as_str()).collect();
            problems.push(format!("  cycle: {}", names.join(", ")));
            for import in imports
                .iter()
                .filter(|i| cycle.contains(&i.from) && cycle.contains(&i.to))
            {
                problems.push(format!(
                    "    {}:{} → {} ({})",
                    self.files[&import.from].path,
                    import.line,
                    self.files[&import.to].path,
                    import.written
                ));
            }
        }
        problems
    }

    /// The path from the crate root that `segments`, written in `module`, stands for;
    /// `None` for a path outside the crate (`std::`, another crate, a local name).
    fn absolute(&self, module: &ModulePath, segments: &[String]) -> Option<Vec<String>> {
        let first = segments.first()?;
        let mut rest = &segments[1..];
        let mut base: Vec<String> = match first.as_str() {
            "crate" => Vec::new(),
            "self" => module.clone(),
            "super" => {
                let mut base = module.clone();
                base.pop()?;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
                base
            }
            _ => {
                let mut child = module.clone();
                child.push(first.clone());
                if !self.files.contains_key(&child) {
                    return None;
                }
                child
            }
        };
        base.extend(rest.iter().filter(|s| *s != "self").cloned());
        Some(base)
    }

    /// The module whose file defines what the absolute path names: the longest prefix
    /// that is a file's module, through the `use` declarations of that file when they
    /// bind the next name (re-exports).
    fn defining_module(&self, absolute: &[String], depth: usize) -> ModulePath {
        let mut known = absolute.len();
        while known > 0 && !self.files.contains_key(&absolute[..known]) {
            known -= 1;
        }
        let module = absolute[..known].to_vec();
        let Some(name) = absolute.get(known) else {
            return module;
        };
        let bound = self.files.get(&module).and_then(|file| {
            file.uses
                .iter()
                .find(|b| b.name.as_deref() == Some(name.as_str()))
        });
        match bound {
            Some(binding) if depth < 32 => {
                match self.absolute(&module, &binding.reference.segments) {
                    Some(mut target) => {
                        target.extend(absolute[known + 1..].iter().cloned());
                        self.defining_module(&target, depth + 1)
                    }
                    None => module,
                }
            }
            _ => module,
        }
    }
}

/// The module of a file under `src/`, `None` for the binary's `src/main.rs`.
fn module_of(path: &str) -> Option<ModulePath> {
    let relative = path.strip_prefix("src/")?.strip_suffix(".rs")?;
    let mut module: ModulePath = relative.split('/').map(String::from).collect();
    match module.as_slice() {
        [only] if only == "main" => return None,
        [only] if only == "lib" => return Some(Vec::new()),
        _ => {}
    }
    if module.last().is_some_and(|last| last == "mod") {
        module.pop();
    }
    Some(module)
}

/// A token of Rust source, without comments, literals' contents or whitespace.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    /// `::`
    Colons,
    Punct(char),
    /// A string, character or number literal.
    Literal,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

/// The tokens of `source` that matter for paths: comments (nested ones too) are dropped,
/// literals become [`Tok::Literal`], lifetimes a quote and a name.
fn tokens(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let at = |k: usize| chars.get(k).copied().unwrap_or('\0');
    let is_ident_start = |c: char| c.is_alphabetic() || c == '_';
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    // Skips from `k` (just after an opening quote) past the closing `quote`, counting
    // lines; a backslash escapes the next character unless the literal is raw.
    let skip_quoted = |mut k: usize, quote: char, raw: bool, line: &mut usize| {
        while k < chars.len() && chars[k] != quote {
            if chars[k] == '\\' && !raw {
                k += 1;
            }
            if chars.get(k) == Some(&'\n') {
                *line += 1;
            }
            k += 1;
        }
        k + 1
    };
    while i < chars.len() {
        let c = chars[i];
        let start_line = line;
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            loop {
                if at(i) == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if at(i) == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else if i >= chars.len() {
                    break;
                } else {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
            }
        } else if let Some(after) = raw_string_start(&chars, i) {
            // r"…", r#"…"#, br"…": ends at a quote followed by as many hashes.
            let hashes = after - i - usize::from(c == 'b') - 2;
            let mut k = after;
            loop {
                if k >= chars.len() {
                    break;
                }
                if chars[k] == '"' && (1..=hashes).all(|h| at(k + h) == '#') {
                    k += 1 + hashes;
                    break;
                }
                line += usize::from(chars[k] == '\n');
                k += 1;
            }
            i = k;
            out.push(Token {
                tok: Tok::Literal,
                line: start_line,
            });
        } else if c == '"' || (c == 'b' && at(i + 1) == '"') {
            let open = if c == 'b' { i + 2 } else { i + 1 };
            i = skip_quoted(open, '"', false, &mut line);
            out.push(Token {
                tok: Tok::Literal,
                line: start_line,
            });
        } else if c == '\'' || (c == 'b' && at(i + 1) == '\'') {
            let open = if c == 'b' { i + 2 } else { i + 1 };
            if at(open) == '\\' || at(open + 1) == '\'' {
                i = skip_quoted(open, '\'', false, &mut line);
                out.push(Token {
                    tok: Tok::Literal,
                    line: start_line,
                });
            } else {
                // A lifetime or a label: the quote, then its name as an identifier.
                out.push(Token {
                    tok: Tok::Punct('\''),
                    line,
                });
                i += 1;
            }
        } else if c == 'r' && at(i + 1) == '#' && is_ident_start(at(i + 2)) {
            let start = i + 2;
            i = start;
            while is_ident(at(i)) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Ident(chars[start..i].iter().collect()),
                line,
            });
        } else if is_ident_start(c) {
            let start = i;
            while is_ident(at(i)) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Ident(chars[start..i].iter().collect()),
                line,
            });
        } else if c.is_ascii_digit() {
            while is_ident(at(i)) || (at(i) == '.' && at(i + 1).is_ascii_digit()) {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Literal,
                line,
            });
        } else if c == ':' && at(i + 1) == ':' {
            out.push(Token {
                tok: Tok::Colons,
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                tok: Tok::Punct(c),
                line,
            });
            i += 1;
        }
    }
    out
}

/// Where the text of a raw string starting at `i` begins (after its opening quote), if
/// one starts there.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    let mut k = i;
    if chars.get(k) == Some(&'b') {
        k += 1;
    }
    if chars.get(k) != Some(&'r') {
        return None;
    }
    k += 1;
    while chars.get(k) == Some(&'#') {
        k += 1;
    }
    (chars.get(k) == Some(&'"')).then_some(k + 1)
}

/// What a file names, outside its test code.
#[derive(Debug, Default)]
struct Scan {
    uses: Vec<Binding>,
    code: Vec<Reference>,
    /// Child modules declared `#[cfg(test)] mod name;`.
    test_children: Vec<String>,
    /// The file starts with `#![cfg(test)]`.
    test_only: bool,
}

fn scan(tokens: &[Token]) -> Scan {
    let mut scan = Scan::default();
    let ident = |k: usize| match tokens.get(k).map(|t| &t.tok) {
        Some(Tok::Ident(name)) => Some(name.as_str()),
        _ => None,
    };
    let is = |k: usize, tok: Tok| tokens.get(k).map(|t| &t.tok) == Some(&tok);
    let mut i = 0;
    while i < tokens.len() {
        if let Some(end) = cfg_test_attribute(tokens, i) {
            if is(i + 1, Tok::Punct('!')) {
                scan.test_only = true;
                return scan;
            }
            let (item_end, declared) = skip_item(tokens, end);
            scan.test_children.extend(declared);
            i = item_end;
            continue;
        }
        match ident(i) {
            // `use<'a>` is a bound of an `impl Trait`, not a declaration.
            Some("use") if !is(i + 1, Tok::Punct('<')) => {
                let mut k = i + 1;
                use_tree(tokens, &mut k, &[], &mut scan.uses);
                i = k;
            }
            Some(first)
                if !is(i.wrapping_sub(1), Tok::Colons)
                    && ident(i.wrapping_sub(1)) != Some("in")
                    && is(i + 1, Tok::Colons)
                    && ident(i + 2).is_some() =>
            {
                let line = tokens[i].line;
                let mut segments = vec![first.to_string()];
                let mut k = i + 1;
                while is(k, Tok::Colons) {
                    match ident(k + 1) {
                        Some(next) => segments.push(next.to_string()),
                        None => break, // `::<` or `::{` in an expression
                    }
                    k += 2;
                }
                scan.code.push(Reference { segments, line });
                i = k;
            }
            _ => i += 1,
        }
    }
    scan
}

/// If a `#[cfg(test)]` (or `#![cfg(test)]`) attribute starts at `i`, the index after it.
fn cfg_test_attribute(tokens: &[Token], i: usize) -> Option<usize> {
    let texts: Vec<Tok> = tokens
        .iter()
        .skip(i)
        .take(8)
        .map(|t| t.tok.clone())
        .collect();
    let ident = |s: &str| Tok::Ident(s.to_string());
    let pattern = |bang: bool| {
        let mut p = vec![Tok::Punct('#')];
        if bang {
            p.push(Tok::Punct('!'));
        }
        p.extend([
            Tok::Punct('['),
            ident("cfg"),
            Tok::Punct('('),
            ident("test"),
            Tok::Punct(')'),
            Tok::Punct(']'),
        ]);
        p
    };
    [false, true]
        .into_iter()
        .map(pattern)
        .find(|p| texts.starts_with(p))
        .map(|p| i + p.len())
}

/// Skips the item that starts at `i` (after its `#[cfg(test)]`), with any further
/// attributes: up to its `;` or past its `{ … }`. Returns where the next item starts and
/// the module the item declares, if it is `mod name;`.
fn skip_item(tokens: &[Token], mut i: usize) -> (usize, Option<String>) {
    let tok = |k: usize| tokens.get(k).map(|t| &t.tok);
    let start = i;
    let mut depth = 0i32;
    while let Some(t) = tok(i) {
        match t {
            Tok::Punct('(' | '[') => depth += 1,
            Tok::Punct(')' | ']') => depth -= 1,
            Tok::Punct(';') if depth == 0 => {
                let words: Vec<&str> = tokens[start..i]
                    .iter()
                    .filter_map(|t| match &t.tok {
                        Tok::Ident(name) => Some(name.as_str()),
                        _ => None,
                    })
                    .collect();
                let declared = match words.as_slice() {
                    [.., "mod", name] => Some(name.to_string()),
                    _ => None,
                };
                return (i + 1, declared);
            }
            Tok::Punct('{') if depth == 0 => {
                let mut braces = 0;
                while let Some(t) = tok(i) {
                    match t {
                        Tok::Punct('{') => braces += 1,
                        Tok::Punct('}') => {
                            braces -= 1;
                            if braces == 0 {
                                return (i + 1, None);
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                return (i, None);
            }
            _ => {}
        }
        i += 1;
    }
    (i, None)
}

/// Parses the use tree at `*i` (after `use`, or inside a group) under `prefix`, adding
/// every name it binds; leaves `*i` after the tree.
fn use_tree(tokens: &[Token], i: &mut usize, prefix: &[String], out: &mut Vec<Binding>) {
    let tok = |k: usize| tokens.get(k).map(|t| &t.tok);
    let mut path = prefix.to_vec();
    if tok(*i) == Some(&Tok::Colons) {
        // `::name`: a path from the extern prelude, never this crate.
        path.push("::".to_string());
        *i += 1;
    }
    loop {
        match tok(*i) {
            Some(Tok::Ident(segment)) => {
                let line = tokens[*i].line;
                path.push(segment.clone());
                *i += 1;
                if tok(*i) == Some(&Tok::Colons) {
                    *i += 1;
                    continue;
                }
                // `a::b::{self}` binds the module `b` under its own name.
                if path.last().is_some_and(|s| s == "self") {
                    path.pop();
                }
                let mut name = path.last().cloned();
                if tok(*i) == Some(&Tok::Ident("as".to_string())) {
                    name = match tok(*i + 1) {
                        Some(Tok::Ident(alias)) if alias != "_" => Some(alias.clone()),
                        _ => None,
                    };
                    *i += 2;
                }
                out.push(Binding {
                    name,
                    reference: Reference {
                        segments: path,
                        line,
                    },
                });
                return;
            }
            Some(Tok::Punct('{')) => {
                *i += 1;
                while let Some(t) = tok(*i) {
                    match t {
                        Tok::Punct('}') => {
                            *i += 1;
                            break;
                        }
                        Tok::Punct(',') => *i += 1,
                        _ => {
                            let before = *i;
                            use_tree(tokens, i, &path, out);
                            if *i == before {
                                *i += 1; // Not a use tree: move on rather than loop.
                            }
                        }
                    }
                }
                return;
            }
            Some(Tok::Punct('*')) => {
                let line = tokens[*i].line;
                *i += 1;
                out.push(Binding {
                    name: None,
                    reference: Reference {
                        segments: path,
                        line,
                    },
                });
                return;
            }
            _ => return,
        }
    }
}
