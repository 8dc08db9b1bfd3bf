//! Lookups (TPL-07): `lookup(name, *terms, **kw)`, `query(...)`/`q(...)`, run on the controller.
//!
//! Each lookup returns a list; `lookup()` joins a list of strings with `,` (one non-string element
//! is returned alone, other lists as they are) unless `wantlist=True`; `query()` always returns the
//! list. `errors='ignore'|'warn'` turns failures into an empty result. Files are searched along the
//! task's [`LookupPaths`] (role dir, then playbook dir; `files/`/`templates/` subdir first).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::value::{Kwargs, Object, Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error, State};

use super::filters::{fail, flatten, items, py_str, split_kwargs, Rng};
use super::lazy::{lookup_paths_of, VarsContext};

/// Controller directories searched by lookups for one task, in order (role path first, then the
/// playbook directory). A relative name `n` is tried as `<dir>/<subdir>/n` then `<dir>/n` for each
/// directory, where subdir is `files` (file, fileglob, first_found) or `templates` (template).
#[derive(Debug, Clone, Default)]
pub struct LookupPaths {
    /// Base directories, most specific first.
    pub search: Vec<PathBuf>,
}

impl Object for LookupPaths {}

impl LookupPaths {
    /// Finds `name` for `subdir` (`files`, `templates`, `vars`); absolute paths are kept as they are.
    pub fn find(&self, subdir: &str, name: &str) -> Option<PathBuf> {
        let p = Path::new(name);
        if p.is_absolute() {
            return p.exists().then(|| p.to_path_buf());
        }
        for dir in self.bases() {
            let mut candidates = Vec::new();
            if !subdir.is_empty() {
                candidates.push(dir.join(subdir).join(name));
            }
            candidates.push(dir.join(name));
            for candidate in candidates {
                if candidate.exists() {
                    return Some(candidate);
                }
            }
        }
        None
    }

    fn bases(&self) -> Vec<PathBuf> {
        if self.search.is_empty() {
            vec![std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))]
        } else {
            self.search.clone()
        }
    }
}

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function(
        "lookup",
        |state: &State, name: String, args: Rest<ValueOrKwargs>| run(state, &name, &args, false),
    );
    env.add_function(
        "query",
        |state: &State, name: String, args: Rest<ValueOrKwargs>| run(state, &name, &args, true),
    );
    env.add_function(
        "q",
        |state: &State, name: String, args: Rest<ValueOrKwargs>| run(state, &name, &args, true),
    );
}

fn kw_value(kwargs: &Option<Kwargs>, name: &str) -> Option<Value> {
    kwargs
        .as_ref()
        .and_then(|k| k.get::<Option<Value>>(name).ok().flatten())
}

fn kw_str(kwargs: &Option<Kwargs>, name: &str) -> Option<String> {
    kw_value(kwargs, name).map(|v| py_str(&v))
}

fn run(
    state: &State,
    name: &str,
    args: &[ValueOrKwargs],
    always_list: bool,
) -> Result<Value, Error> {
    let (terms, kwargs) = split_kwargs(args);
    let wantlist = always_list || kw_value(&kwargs, "wantlist").is_some_and(|v| v.is_true());
    let errors = kw_str(&kwargs, "errors").unwrap_or_else(|| "strict".to_string());
    let name = name
        .strip_prefix("ansible.builtin.")
        .or_else(|| name.strip_prefix("community.general."))
        .unwrap_or(name);
    let result = match run_plugin(state, name, &terms, &kwargs).map_err(|e| {
        let detail = e.detail().unwrap_or("lookup failed").to_string();
        if detail.starts_with("The lookup plugin")
            || e.kind() == minijinja::ErrorKind::UndefinedError
        {
            e
        } else {
            fail(format!("The lookup plugin '{name}' failed: {detail}"))
        }
    }) {
        Ok(r) => r,
        Err(e) if errors == "ignore" || errors == "warn" => {
            let _ = e;
            return Ok(if wantlist {
                Value::from(Vec::<Value>::new())
            } else {
                Value::from(())
            });
        }
        Err(e) => return Err(e),
    };
    if wantlist {
        return Ok(Value::from(result));
    }
    if result.iter().all(|v| v.kind() == ValueKind::String) {
        let joined: Vec<String> = result.iter().map(py_str).collect();
        return Ok(Value::from(joined.join(",")));
    }
    if result.len() == 1 {
        return Ok(result.into_iter().next().unwrap_or(Value::from(())));
    }
    Ok(Value::from(result))
}

/// The flattened terms of list-style lookups (`items`, `file` with a list...).
fn flat_terms(terms: &[Value]) -> Vec<Value> {
    flatten(terms, Some(1), false)
}

fn paths(state: &State) -> Arc<LookupPaths> {
    lookup_paths_of(state).unwrap_or_default()
}

fn run_plugin(
    state: &State,
    name: &str,
    terms: &[Value],
    kwargs: &Option<Kwargs>,
) -> Result<Vec<Value>, Error> {
    match name {
        "file" => {
            let lstrip = kw_value(kwargs, "lstrip").is_some_and(|v| v.is_true());
            let rstrip = kw_value(kwargs, "rstrip").is_none_or(|v| v.is_true());
            let paths = paths(state);
            flat_terms(terms)
                .iter()
                .map(|t| {
                    let term = py_str(t);
                    let path = paths.find("files", &term).ok_or_else(|| {
                        fail(format!(
                            "Unable to access the file '{term}': File not found. Use -vvvvv to \
                             see paths searched."
                        ))
                    })?;
                    let mut content = std::fs::read_to_string(&path).map_err(|e| {
                        fail(format!("could not read file '{}': {e}", path.display()))
                    })?;
                    // Vault-encrypted files are decrypted on the controller, as Ansible does.
                    if content.starts_with("$ANSIBLE_VAULT;") {
                        let root = root_context(state)?;
                        content = root.templar().reveal_vault(&content).map_err(fail)?;
                    }
                    if rstrip {
                        content.truncate(content.trim_end().len());
                    }
                    if lstrip {
                        content = content.trim_start().to_string();
                    }
                    Ok(Value::from(content))
                })
                .collect()
        }
        "env" => {
            let default = kw_str(kwargs, "default").unwrap_or_default();
            Ok(flat_terms(terms)
                .iter()
                .map(|t| Value::from(std::env::var(py_str(t)).unwrap_or_else(|_| default.clone())))
                .collect())
        }
        "pipe" => flat_terms(terms)
            .iter()
            .map(|t| {
                let cmd = py_str(t);
                let out = std::process::Command::new("/bin/sh")
                    .arg("-c")
                    .arg(&cmd)
                    .output()
                    .map_err(|e| fail(format!("lookup_plugin.pipe({cmd}) failed: {e}")))?;
                if !out.status.success() {
                    return Err(fail(format!(
                        "lookup_plugin.pipe({cmd}) returned {}",
                        out.status.code().unwrap_or(-1)
                    )));
                }
                let s = String::from_utf8_lossy(&out.stdout);
                Ok(Value::from(s.trim_end().to_string()))
            })
            .collect(),
        "lines" => {
            let mut out = Vec::new();
            for t in flat_terms(terms) {
                let cmd = py_str(&t);
                let o = std::process::Command::new("/bin/sh")
                    .arg("-c")
                    .arg(&cmd)
                    .output()
                    .map_err(|e| fail(format!("lookup_plugin.lines({cmd}) failed: {e}")))?;
                if !o.status.success() {
                    return Err(fail(format!(
                        "lookup_plugin.lines({cmd}) returned {}",
                        o.status.code().unwrap_or(-1)
                    )));
                }
                out.extend(
                    String::from_utf8_lossy(&o.stdout)
                        .lines()
                        .map(|l| Value::from(l.to_string())),
                );
            }
            Ok(out)
        }
        "template" => {
            let root = root_context(state)?;
            let paths = paths(state);
            flat_terms(terms)
                .iter()
                .map(|t| {
                    let term = py_str(t);
                    let path = paths.find("templates", &term).ok_or_else(|| {
                        fail(format!(
                            "the template file {term} could not be found for the lookup"
                        ))
                    })?;
                    let info = super::file::TemplateFileInfo {
                        search_paths: paths.search.iter().map(|p| p.join("templates")).collect(),
                        src: Some(term.clone()),
                        ..Default::default()
                    };
                    let base = Value::from_dyn_object(root.clone());
                    // `template_vars={...}` adds variables for this rendering only.
                    let ctx = match kw_value(kwargs, "template_vars") {
                        Some(extra) if extra.kind() == ValueKind::Map => {
                            minijinja::context! { ..extra, ..base }
                        }
                        _ => base,
                    };
                    root.templar()
                        .render_file(&path, &ctx, &info)
                        .map(Value::from)
                        .map_err(|e| e.into_minijinja())
                })
                .collect()
        }
        "vars" => {
            let default = kw_value(kwargs, "default");
            flat_terms(terms)
                .iter()
                .map(|t| {
                    let term = py_str(t);
                    match state.lookup(&term) {
                        Some(v) if !v.is_undefined() => Ok(v),
                        _ => default.clone().ok_or_else(|| {
                            minijinja::Error::new(
                                minijinja::ErrorKind::UndefinedError,
                                format!("No variable named '{term}' was found."),
                            )
                        }),
                    }
                })
                .collect()
        }
        "varnames" => {
            let root = root_context(state)?;
            let names = root.var_names();
            let mut out = Vec::new();
            for t in terms {
                let re = super::filters::compile_regex(&py_str(t), false, false)?;
                out.extend(
                    names
                        .iter()
                        .filter(|n| re.is_match(n))
                        .map(|n| Value::from(n.as_str())),
                );
            }
            Ok(out)
        }
        "items" => Ok(flat_terms(terms)),
        "list" => Ok(terms.to_vec()),
        "indexed_items" => Ok(flat_terms(terms)
            .into_iter()
            .enumerate()
            .map(|(i, v)| Value::from(vec![Value::from(i as i64), v]))
            .collect()),
        "dict" => {
            let mut out = Vec::new();
            for t in terms {
                if t.kind() != ValueKind::Map {
                    return Err(fail("with_dict expects a dict"));
                }
                for k in t.try_iter()? {
                    let v = t.get_item(&k)?;
                    out.push(Value::from_pairs([("key", k), ("value", v)]));
                }
            }
            Ok(out)
        }
        "together" => {
            let lists: Vec<Vec<Value>> = terms.iter().map(items).collect::<Result<_, _>>()?;
            let len = lists.iter().map(Vec::len).max().unwrap_or(0);
            Ok((0..len)
                .map(|i| {
                    Value::from(
                        lists
                            .iter()
                            .map(|l| l.get(i).cloned().unwrap_or(Value::from(())))
                            .collect::<Vec<_>>(),
                    )
                })
                .collect())
        }
        "nested" => {
            let lists: Vec<Vec<Value>> = terms.iter().map(items).collect::<Result<_, _>>()?;
            let mut result: Vec<Vec<Value>> = vec![Vec::new()];
            for list in &lists {
                let mut next = Vec::new();
                for prefix in &result {
                    for item in list {
                        let mut p = prefix.clone();
                        p.push(item.clone());
                        next.push(p);
                    }
                }
                result = next;
            }
            Ok(result.into_iter().map(Value::from).collect())
        }
        "subelements" => {
            let list = terms.first().cloned().unwrap_or(Value::from(()));
            let key = terms.get(1).map(py_str).unwrap_or_default();
            let mut extra = Vec::new();
            if let Some(flags) = terms.get(2) {
                if let Ok(skip) = flags.get_attr("skip_missing") {
                    if !skip.is_undefined() {
                        extra.push(skip);
                    }
                }
            }
            let v = super::filters::subelements(
                &list,
                key.clone(),
                Rest(extra.into_iter().map(ValueOrKwargs::from).collect()),
            )?;
            // The lookup (unlike the filter) removes the sub-list from the item it returns.
            items(&v)?
                .into_iter()
                .map(|pair| {
                    let pair = items(&pair)?;
                    let item = pair.first().cloned().unwrap_or(Value::from(()));
                    let sub = pair.get(1).cloned().unwrap_or(Value::from(()));
                    Ok(Value::from(vec![without_key(&item, &key)?, sub]))
                })
                .collect()
        }
        "sequence" => sequence(terms, kwargs),
        "first_found" => first_found(state, terms, kwargs),
        "fileglob" => {
            let paths = paths(state);
            let mut out = Vec::new();
            for t in flat_terms(terms) {
                out.extend(fileglob(&paths, &py_str(&t))?.into_iter().map(Value::from));
            }
            Ok(out)
        }
        "password" => flat_terms(terms)
            .iter()
            .map(|t| password(&py_str(t), kwargs).map(Value::from))
            .collect(),
        "random_choice" => {
            let all = flat_terms(terms);
            if all.is_empty() {
                return Ok(all);
            }
            let i = Rng::new(None).below(all.len() as u64) as usize;
            Ok(vec![all[i].clone()])
        }
        "inventory_hostnames" => inventory_hostnames(state, terms),
        other => Err(fail(format!("The lookup plugin '{other}' was not found."))),
    }
}

/// A copy of a dict without the last key of the dotted `path` (in the nested dict it names).
fn without_key(item: &Value, path: &str) -> Result<Value, Error> {
    if item.kind() != ValueKind::Map {
        return Ok(item.clone());
    }
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let mut kept = Vec::new();
    for k in item.try_iter()? {
        let v = item.get_item(&k)?;
        match (k.as_str() == Some(head), rest) {
            (true, None) => continue,
            (true, Some(r)) => kept.push((k, without_key(&v, r)?)),
            (false, _) => kept.push((k, v)),
        }
    }
    Ok(Value::from_pairs(kept))
}

fn root_context(state: &State) -> Result<Arc<VarsContext>, Error> {
    state
        .lookup("vars")
        .and_then(|v| v.downcast_object::<VarsContext>())
        .ok_or_else(|| fail("lookup needs the task variables, which are not available here"))
}

/// `sequence`: `start=1 end=5 stride=1 format=%d`, `count=`, or shortcut `[start-]end[/stride][:format]`.
fn sequence(terms: &[Value], kwargs: &Option<Kwargs>) -> Result<Vec<Value>, Error> {
    let mut out = Vec::new();
    let mut specs: Vec<String> = flat_terms(terms).iter().map(py_str).collect();
    if specs.is_empty() {
        specs.push(String::new());
    }
    for spec in specs {
        let (mut start, mut end, mut stride, mut count, mut format) =
            (1i64, None::<i64>, 1i64, None::<i64>, "%d".to_string());
        let parse_num = |s: &str| -> Result<i64, Error> {
            let s = s.trim();
            let r = if let Some(h) = s.strip_prefix("0x") {
                i64::from_str_radix(h, 16)
            } else if let Some(o) = s.strip_prefix("0o") {
                i64::from_str_radix(o, 8)
            } else {
                s.parse::<i64>()
            };
            r.map_err(|_| fail(format!("can't parse arg '{s}' as integer")))
        };
        let mut apply = |k: &str, v: &str| -> Result<(), Error> {
            match k {
                "start" => start = parse_num(v)?,
                "end" => end = Some(parse_num(v)?),
                "stride" => stride = parse_num(v)?,
                "count" => count = Some(parse_num(v)?),
                "format" => format = v.to_string(),
                other => {
                    return Err(fail(format!(
                        "unrecognized arguments to with_sequence: {other}"
                    )))
                }
            }
            Ok(())
        };
        if spec.contains('=') {
            for part in shell_words::split(&spec).map_err(|e| fail(e.to_string()))? {
                if let Some((k, v)) = part.split_once('=') {
                    apply(k, v)?;
                }
            }
        } else if !spec.trim().is_empty() {
            let (body, fmt) = match spec.split_once(':') {
                Some((b, f)) => (b, Some(f)),
                None => (spec.as_str(), None),
            };
            let (range, st) = match body.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (body, None),
            };
            match range.split_once('-') {
                Some((a, b)) if !a.is_empty() => {
                    apply("start", a)?;
                    apply("end", b)?;
                }
                _ => apply("end", range)?,
            }
            if let Some(s) = st {
                apply("stride", s)?;
            }
            if let Some(f) = fmt {
                apply("format", f)?;
            }
        }
        if let Some(k) = kwargs {
            for name in ["start", "end", "stride", "count", "format"] {
                if let Ok(Some(v)) = k.get::<Option<Value>>(name) {
                    apply(name, &py_str(&v))?;
                }
            }
        }
        let end = match (end, count) {
            (Some(_), Some(_)) => {
                return Err(fail("can't specify both count and end in with_sequence"))
            }
            (Some(e), None) => e,
            (None, Some(0)) => continue,
            (None, Some(c)) => start + (c - 1) * stride,
            (None, None) => return Err(fail("must specify count or end in with_sequence")),
        };
        if stride == 0 {
            continue;
        }
        let mut i = start;
        while (stride > 0 && i <= end) || (stride < 0 && i >= end) {
            out.push(Value::from(format_printf(&format, i)));
            i += stride;
        }
    }
    Ok(out)
}

/// Minimal `%`-formatting of one integer (`%d`, `%02d`, `%x`, `%o`, `%s`).
fn format_printf(format: &str, n: i64) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_digit() || d == '-' || d == '0' {
                spec.push(d);
                chars.next();
            } else {
                break;
            }
        }
        let conv = chars.next().unwrap_or('d');
        let body = match conv {
            'x' => format!("{n:x}"),
            'X' => format!("{n:X}"),
            'o' => format!("{n:o}"),
            '%' => "%".to_string(),
            _ => n.to_string(),
        };
        let zero = spec.starts_with('0');
        let left = spec.starts_with('-');
        let width: usize = spec.trim_start_matches(['-', '0']).parse().unwrap_or(0);
        if body.len() >= width {
            out.push_str(&body);
        } else if left {
            out.push_str(&format!("{body:<width$}"));
        } else if zero {
            out.push_str(&format!("{body:0>width$}"));
        } else {
            out.push_str(&format!("{body:>width$}"));
        }
    }
    out
}

fn first_found(
    state: &State,
    terms: &[Value],
    kwargs: &Option<Kwargs>,
) -> Result<Vec<Value>, Error> {
    let lookup_paths = paths(state);
    let mut files: Vec<String> = Vec::new();
    let mut dirs: Vec<String> = Vec::new();
    let mut skip = kw_value(kwargs, "skip").is_some_and(|v| v.is_true());
    let split = |s: &str| -> Vec<String> {
        s.split([',', ';'])
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect()
    };
    let add_spec = |v: &Value, files: &mut Vec<String>, dirs: &mut Vec<String>, skip: &mut bool| {
        if v.kind() == ValueKind::Map {
            for key in ["files", "paths"] {
                if let Ok(x) = v.get_attr(key) {
                    let list: Vec<String> = match x.kind() {
                        ValueKind::Seq => {
                            items(&x).unwrap_or_default().iter().map(py_str).collect()
                        }
                        ValueKind::Undefined | ValueKind::None => Vec::new(),
                        _ => split(&py_str(&x)),
                    };
                    if key == "files" {
                        files.extend(list);
                    } else {
                        dirs.extend(list);
                    }
                }
            }
            if let Ok(s) = v.get_attr("skip") {
                if s.is_true() {
                    *skip = true;
                }
            }
        } else {
            files.push(py_str(v));
        }
    };
    for t in flat_terms(terms) {
        add_spec(&t, &mut files, &mut dirs, &mut skip);
    }
    if let Some(f) = kw_value(kwargs, "files") {
        match f.kind() {
            ValueKind::Seq => files.extend(items(&f)?.iter().map(py_str)),
            _ => files.extend(split(&py_str(&f))),
        }
    }
    if let Some(p) = kw_value(kwargs, "paths") {
        match p.kind() {
            ValueKind::Seq => dirs.extend(items(&p)?.iter().map(py_str)),
            _ => dirs.extend(split(&py_str(&p))),
        }
    }
    let subdir = state
        .lookup(super::lazy::FIRST_FOUND_SUBDIR_KEY)
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    for f in &files {
        if dirs.is_empty() {
            if let Some(found) = lookup_paths.find(&subdir, f) {
                return Ok(vec![Value::from(absolute(&found))]);
            }
        } else {
            for d in &dirs {
                let candidate = Path::new(d).join(f);
                let found = if candidate.is_absolute() {
                    candidate.exists().then_some(candidate)
                } else {
                    lookup_paths.find(&subdir, &candidate.display().to_string())
                };
                if let Some(found) = found {
                    return Ok(vec![Value::from(absolute(&found))]);
                }
            }
        }
    }
    if skip {
        return Ok(Vec::new());
    }
    Err(fail("No file was found when using first_found."))
}

fn absolute(p: &Path) -> String {
    std::fs::canonicalize(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

fn fileglob(paths: &LookupPaths, term: &str) -> Result<Vec<String>, Error> {
    let (dir, pattern) = match term.rfind('/') {
        Some(i) => (&term[..i], &term[i + 1..]),
        None => ("", term),
    };
    let base = if Path::new(term).is_absolute() {
        Some(PathBuf::from(if dir.is_empty() { "/" } else { dir }))
    } else if dir.is_empty() {
        paths
            .bases()
            .into_iter()
            .map(|b| b.join("files"))
            .find(|p| p.is_dir())
            .or_else(|| paths.bases().into_iter().next())
    } else {
        paths.find("files", dir)
    };
    let Some(base) = base else {
        return Ok(Vec::new());
    };
    let matcher = globset::Glob::new(pattern)
        .map_err(|e| fail(format!("fileglob: bad pattern '{pattern}': {e}")))?
        .compile_matcher();
    let mut out: Vec<String> = match std::fs::read_dir(&base) {
        Ok(rd) => rd
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file() && matcher.is_match(e.file_name()))
            .map(|e| e.path().display().to_string())
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    Ok(out)
}

/// The `password` lookup: reads the password stored at the path, or generates and stores one.
fn password(term: &str, kwargs: &Option<Kwargs>) -> Result<String, Error> {
    let words = shell_words::split(term).map_err(|e| fail(e.to_string()))?;
    let mut path = String::new();
    let mut length = 20usize;
    let mut chars_spec: Option<String> = None;
    let mut seed: Option<String> = None;
    for (i, w) in words.iter().enumerate() {
        match w.split_once('=') {
            Some(("length", v)) => length = v.parse().map_err(|_| fail("password: bad length"))?,
            Some(("chars", v)) => chars_spec = Some(v.to_string()),
            Some(("seed", v)) => seed = Some(v.to_string()),
            Some(("encrypt", _)) | Some(("ident", _)) => {}
            _ if i == 0 => path = w.clone(),
            _ => return Err(fail(format!("password: unrecognized parameter '{w}'"))),
        }
    }
    if let Some(l) = kw_value(kwargs, "length").and_then(|v| v.as_usize()) {
        length = l;
    }
    if let Some(c) = kw_value(kwargs, "chars") {
        chars_spec = Some(match c.kind() {
            ValueKind::Seq => items(&c)?.iter().map(py_str).collect::<Vec<_>>().join(","),
            _ => py_str(&c),
        });
    }
    if let Some(s) = kw_str(kwargs, "seed") {
        seed = Some(s);
    }
    let alphabet = password_chars(chars_spec.as_deref());
    let generate = || {
        let mut rng = Rng::new(seed.as_deref());
        (0..length)
            .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
            .collect::<String>()
    };
    if path == "/dev/null" {
        return Ok(generate());
    }
    let p = Path::new(&path);
    if let Ok(content) = std::fs::read_to_string(p) {
        let first = content.lines().next().unwrap_or_default();
        // Stored as "<password> salt=<salt>" when encrypt was used.
        return Ok(first.split(" salt=").next().unwrap_or_default().to_string());
    }
    let pw = generate();
    if let Some(parent) = p.parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent)
                .map_err(|e| fail(format!("password: cannot create {}: {e}", parent.display())))?;
        }
    }
    write_private(p, &format!("{pw}\n"))?;
    Ok(pw)
}

fn write_private(p: &Path, content: &str) -> Result<(), Error> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(p)
        .map_err(|e| fail(format!("password: cannot write {}: {e}", p.display())))?;
    f.write_all(content.as_bytes())
        .map_err(|e| fail(format!("password: cannot write {}: {e}", p.display())))
}

fn password_chars(spec: Option<&str>) -> Vec<char> {
    let spec = spec.unwrap_or("ascii_letters,digits,.,:-_");
    let mut out = Vec::new();
    // "," inside the list is written as ",,".
    let spec = spec.replace(",,", "\u{0}");
    for part in spec.split(',') {
        let part = part.replace('\u{0}', ",");
        match part.as_str() {
            "ascii_letters" => out.extend(('a'..='z').chain('A'..='Z')),
            "ascii_lowercase" => out.extend('a'..='z'),
            "ascii_uppercase" => out.extend('A'..='Z'),
            "digits" => out.extend('0'..='9'),
            "hexdigits" => out.extend(('0'..='9').chain('a'..='f').chain('A'..='F')),
            "octdigits" => out.extend('0'..='7'),
            "punctuation" => out.extend("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".chars()),
            other => out.extend(other.chars()),
        }
    }
    out.dedup();
    if out.is_empty() {
        out.extend('a'..='z');
    }
    out
}

/// `inventory_hostnames`: hosts matching simple patterns (`all`, group or host names, `a:b`,
/// `!x`, `&y`), resolved from the `groups` variable.
fn inventory_hostnames(state: &State, terms: &[Value]) -> Result<Vec<Value>, Error> {
    let groups = state.lookup("groups").unwrap_or(Value::UNDEFINED);
    let hosts_of = |name: &str| -> Vec<String> {
        let g = groups.get_attr(name).unwrap_or(Value::UNDEFINED);
        if !g.is_undefined() {
            return items(&g).unwrap_or_default().iter().map(py_str).collect();
        }
        let all: Vec<String> = items(&groups.get_attr("all").unwrap_or(Value::UNDEFINED))
            .unwrap_or_default()
            .iter()
            .map(py_str)
            .collect();
        all.into_iter().filter(|h| h == name).collect()
    };
    let mut selected: Vec<String> = Vec::new();
    for t in flat_terms(terms) {
        for pat in py_str(&t).split([':', ',']).filter(|p| !p.is_empty()) {
            if let Some(x) = pat.strip_prefix('!') {
                let ex = hosts_of(x);
                selected.retain(|h| !ex.contains(h));
            } else if let Some(x) = pat.strip_prefix('&') {
                let keep = hosts_of(x);
                selected.retain(|h| keep.contains(h));
            } else {
                for h in hosts_of(pat) {
                    if !selected.contains(&h) {
                        selected.push(h);
                    }
                }
            }
        }
    }
    Ok(selected.into_iter().map(Value::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_is_generated_once_then_read_back() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let path = dir.path().join("creds/db_pw");
        let term = format!("{} length=12 chars=digits", path.display());
        let first = password(&term, &None).unwrap_or_default();
        assert_eq!(first.len(), 12);
        assert!(first.chars().all(|c| c.is_ascii_digit()));
        let again = password(&term, &None).unwrap_or_default();
        assert_eq!(first, again);
        let meta = std::fs::metadata(&path).ok();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.map(|m| m.permissions().mode() & 0o777), Some(0o600));
    }

    #[test]
    fn printf_formats() {
        assert_eq!(format_printf("host%02d", 3), "host03");
        assert_eq!(format_printf("%x", 255), "ff");
    }

    #[test]
    fn sequence_shortcuts() {
        let v = sequence(&[Value::from("4-8/2")], &None).unwrap_or_default();
        let got: Vec<String> = v.iter().map(py_str).collect();
        assert_eq!(got, vec!["4", "6", "8"]);
        let v = sequence(&[Value::from("start=1 count=3 format=n%d")], &None).unwrap_or_default();
        let got: Vec<String> = v.iter().map(py_str).collect();
        assert_eq!(got, vec!["n1", "n2", "n3"]);
    }
}
