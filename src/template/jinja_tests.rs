//! Ansible's Jinja tests (TPL-06) beyond minijinja's builtins: `version`/`version_compare`,
//! `match`/`search`/`regex`, task-result tests (`failed`, `succeeded`, `changed`, `skipped`...),
//! `truthy`/`falsy`, `subset`/`superset`/`contains`, `any`/`all`, `nan`, controller file tests
//! (`exists`, `file`, `directory`, `link`, `abs`, `same_file`, `mount`), `vault_encrypted`, `uri`.

use std::cmp::Ordering;

use minijinja::value::{Rest, Value, ValueKind, ValueOrKwargs};
use minijinja::{Environment, Error};

use super::filters::fail;
use super::filters::{compile_regex, items, py_str, split_kwargs};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_test("version", version_test);
    env.add_test("version_compare", version_test);
    env.add_test("match", |v: &Value, args: Rest<ValueOrKwargs>| {
        regex_test(v, &args, "match")
    });
    env.add_test("search", |v: &Value, args: Rest<ValueOrKwargs>| {
        regex_test(v, &args, "search")
    });
    env.add_test("regex", |v: &Value, args: Rest<ValueOrKwargs>| {
        regex_test(v, &args, "regex")
    });

    env.add_test("failed", |r: &Value| result_flag(r, "failed", "failed"));
    env.add_test("failure", |r: &Value| result_flag(r, "failed", "failure"));
    for name in ["succeeded", "success", "successful"] {
        env.add_test(name, move |r: &Value| {
            result_flag(r, "failed", name).map(|f| !f)
        });
    }
    env.add_test("changed", changed);
    env.add_test("change", changed);
    env.add_test("skipped", |r: &Value| result_flag(r, "skipped", "skipped"));
    env.add_test("skip", |r: &Value| result_flag(r, "skipped", "skip"));
    env.add_test("unreachable", |r: &Value| {
        result_flag(r, "unreachable", "unreachable")
    });
    env.add_test("reachable", |r: &Value| {
        result_flag(r, "unreachable", "reachable").map(|u| !u)
    });
    env.add_test("finished", |r: &Value| -> Result<bool, Error> {
        let f = r.get_attr("finished").unwrap_or(Value::UNDEFINED);
        Ok(f.is_undefined() || f.is_true())
    });
    env.add_test("started", |r: &Value| -> Result<bool, Error> {
        let f = r.get_attr("started").unwrap_or(Value::UNDEFINED);
        Ok(f.is_undefined() || f.is_true())
    });

    env.add_test("truthy", |v: &Value, args: Rest<ValueOrKwargs>| {
        truthy(v, &args)
    });
    env.add_test("falsy", |v: &Value, args: Rest<ValueOrKwargs>| {
        !truthy(v, &args)
    });
    env.add_test("sequence", |v: &Value| {
        matches!(
            v.kind(),
            ValueKind::Seq | ValueKind::String | ValueKind::Bytes | ValueKind::Iterable
        )
    });
    env.add_test("iterable", |v: &Value| {
        matches!(
            v.kind(),
            ValueKind::Seq
                | ValueKind::Map
                | ValueKind::String
                | ValueKind::Iterable
                | ValueKind::Bytes
        )
    });
    env.add_test("subset", |a: &Value, b: &Value| -> Result<bool, Error> {
        let bs = items(b)?;
        Ok(items(a)?.iter().all(|x| bs.contains(x)))
    });
    env.add_test("superset", |a: &Value, b: &Value| -> Result<bool, Error> {
        let a_items = items(a)?;
        Ok(items(b)?.iter().all(|x| a_items.contains(x)))
    });
    env.add_test(
        "contains",
        |seq: &Value, v: &Value| -> Result<bool, Error> { Ok(items(seq)?.contains(v)) },
    );
    env.add_test("any", |v: &Value| -> Result<bool, Error> {
        Ok(items(v)?.iter().any(Value::is_true))
    });
    env.add_test("all", |v: &Value| -> Result<bool, Error> {
        Ok(items(v)?.iter().all(Value::is_true))
    });
    env.add_test("nan", |v: &Value| {
        f64::try_from(v.clone()).map(f64::is_nan).unwrap_or(false)
    });

    env.add_test("exists", |p: &Value| expand(p).exists());
    env.add_test("file", |p: &Value| expand(p).is_file());
    env.add_test("directory", |p: &Value| expand(p).is_dir());
    env.add_test("link", |p: &Value| expand(p).is_symlink());
    env.add_test("abs", |p: &Value| py_str(p).starts_with('/'));
    env.add_test("same_file", |a: &Value, b: &Value| {
        match (
            std::fs::canonicalize(expand(a)),
            std::fs::canonicalize(expand(b)),
        ) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    });
    env.add_test("mount", |p: &Value| is_mount(&expand(p)));
    env.add_test("vault_encrypted", |v: &Value| {
        v.kind() == ValueKind::String && py_str(v).trim_start().starts_with("$ANSIBLE_VAULT;")
    });
    env.add_test("uri", |v: &Value| {
        let s = py_str(v);
        s.find(':').is_some_and(|i| {
            i > 0
                && s[..i]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
    });
    env.add_test("url", |v: &Value| {
        let s = py_str(v);
        s.split_once("://")
            .is_some_and(|(scheme, rest)| !scheme.is_empty() && !rest.is_empty())
    });
    env.add_test("urn", |v: &Value| {
        py_str(v).to_lowercase().starts_with("urn:")
    });
}

fn expand(p: &Value) -> std::path::PathBuf {
    let s = py_str(p);
    if s == "~" || s.starts_with("~/") {
        if let Ok(home) = std::env::var("HOME") {
            return std::path::PathBuf::from(format!("{home}{}", &s[1..]));
        }
    }
    std::path::PathBuf::from(s)
}

fn is_mount(p: &std::path::Path) -> bool {
    let Ok(canon) = std::fs::canonicalize(p) else {
        return false;
    };
    let target = canon.display().to_string();
    std::fs::read_to_string("/proc/self/mounts")
        .map(|m| {
            m.lines()
                .any(|l| l.split_whitespace().nth(1) == Some(target.as_str()))
        })
        .unwrap_or(false)
}

fn result_flag(result: &Value, key: &str, test: &str) -> Result<bool, Error> {
    if result.kind() != ValueKind::Map {
        return Err(fail(format!(
            "The '{test}' test expects a dictionary, not {}",
            crate::template::templar::python_type_name(result)
        )));
    }
    Ok(result.get_attr(key).map(|v| v.is_true()).unwrap_or(false))
}

fn changed(result: &Value) -> Result<bool, Error> {
    if result.kind() != ValueKind::Map {
        return Err(fail("The 'changed' test expects a dictionary"));
    }
    let changed = result.get_attr("changed").unwrap_or(Value::UNDEFINED);
    if !changed.is_undefined() {
        return Ok(changed.is_true());
    }
    let results = result.get_attr("results").unwrap_or(Value::UNDEFINED);
    if results.kind() == ValueKind::Seq {
        return Ok(items(&results)?
            .iter()
            .any(|r| r.get_attr("changed").map(|c| c.is_true()).unwrap_or(false)));
    }
    Ok(false)
}

fn truthy(v: &Value, args: &[ValueOrKwargs]) -> bool {
    let (args, kwargs) = split_kwargs(args);
    let convert_bool = args
        .first()
        .cloned()
        .or_else(|| {
            kwargs
                .as_ref()
                .and_then(|k| k.get::<Value>("convert_bool").ok())
        })
        .is_some_and(|v| v.is_true());
    if convert_bool {
        if let Some(s) = v.as_str() {
            let l = s.to_lowercase();
            if matches!(l.as_str(), "yes" | "on" | "1" | "true") {
                return true;
            }
            if matches!(l.as_str(), "no" | "off" | "0" | "false") {
                return false;
            }
        }
    }
    v.is_true()
}

/// `match`/`search`/`regex(pattern, ignorecase=False, multiline=False, match_type='search')`.
fn regex_test(value: &Value, args: &[ValueOrKwargs], kind: &str) -> Result<bool, Error> {
    let (args, kwargs) = split_kwargs(args);
    let kw = |name: &str| {
        kwargs
            .as_ref()
            .and_then(|k| k.get::<Option<Value>>(name).ok().flatten())
    };
    let pattern = args.first().map(py_str).unwrap_or_default();
    let ignorecase = args
        .get(1)
        .cloned()
        .or_else(|| kw("ignorecase"))
        .is_some_and(|v| v.is_true());
    let multiline = args
        .get(2)
        .cloned()
        .or_else(|| kw("multiline"))
        .is_some_and(|v| v.is_true());
    let match_type = match kind {
        "regex" => args
            .get(3)
            .cloned()
            .or_else(|| kw("match_type"))
            .map(|v| py_str(&v))
            .unwrap_or_else(|| "search".to_string()),
        k => k.to_string(),
    };
    let text = py_str(value);
    let anchored = match match_type.as_str() {
        "match" => format!("^(?:{pattern})"),
        "fullmatch" => format!("^(?:{pattern})$"),
        _ => pattern.clone(),
    };
    // `^` must mean "start of text" even in multiline mode for `match`.
    let anchored = if match_type != "search" && multiline {
        anchored.replacen('^', "\\A", 1)
    } else {
        anchored
    };
    let re = compile_regex(&anchored, ignorecase, multiline)?;
    Ok(re.is_match(&text))
}

/// One component of a loose version (`1.10rc2` → 1, 10, "rc", 2).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Num(u64),
    Text(String),
}

impl PartialOrd for Part {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Part {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Part::Num(a), Part::Num(b)) => a.cmp(b),
            (Part::Text(a), Part::Text(b)) => a.cmp(b),
            (Part::Num(_), Part::Text(_)) => Ordering::Greater,
            (Part::Text(_), Part::Num(_)) => Ordering::Less,
        }
    }
}

fn loose_parts(v: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut cur_is_digit = false;
    let flush = |cur: &mut String, is_digit: bool, parts: &mut Vec<Part>| {
        if cur.is_empty() {
            return;
        }
        if is_digit {
            parts.push(Part::Num(cur.parse().unwrap_or(0)));
        } else {
            parts.push(Part::Text(cur.clone()));
        }
        cur.clear();
    };
    for c in v.chars() {
        if c == '.' {
            flush(&mut cur, cur_is_digit, &mut parts);
            continue;
        }
        let d = c.is_ascii_digit();
        if !cur.is_empty() && d != cur_is_digit {
            flush(&mut cur, cur_is_digit, &mut parts);
        }
        cur_is_digit = d;
        cur.push(c);
    }
    flush(&mut cur, cur_is_digit, &mut parts);
    parts
}

/// Compares two versions with the given scheme (`loose`, `strict`, `semver`, `semantic`, `pep440`).
fn compare_versions(a: &str, b: &str, version_type: &str) -> Result<Ordering, Error> {
    match version_type {
        "semver" | "semantic" => {
            let split = |s: &str| -> (Vec<Part>, Option<Vec<Part>>) {
                let core = s.split('+').next().unwrap_or(s);
                match core.split_once('-') {
                    Some((main, pre)) => (loose_parts(main), Some(loose_parts(pre))),
                    None => (loose_parts(core), None),
                }
            };
            let (am, ap) = split(a);
            let (bm, bp) = split(b);
            Ok(am.cmp(&bm).then_with(|| match (ap, bp) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(x), Some(y)) => x.cmp(&y),
            }))
        }
        "strict" => {
            let valid = |s: &str| {
                let core: String = s
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect();
                let n = core.split('.').count();
                (2..=3).contains(&n) && core.split('.').all(|p| !p.is_empty())
            };
            if !valid(a) || !valid(b) {
                return Err(fail(format!(
                    "Version comparison failed: invalid version number '{a}'"
                )));
            }
            let pad = |mut p: Vec<Part>| {
                while p.iter().filter(|x| matches!(x, Part::Num(_))).count() < 3 {
                    let pos = p
                        .iter()
                        .position(|x| matches!(x, Part::Text(_)))
                        .unwrap_or(p.len());
                    p.insert(pos, Part::Num(0));
                }
                p
            };
            Ok(pad(loose_parts(a)).cmp(&pad(loose_parts(b))))
        }
        _ => Ok(loose_parts(a).cmp(&loose_parts(b))),
    }
}

/// `version(other, operator='eq', strict=False, version_type=None)`.
fn version_test(value: &Value, args: Rest<ValueOrKwargs>) -> Result<bool, Error> {
    let (args, kwargs) = split_kwargs(&args);
    let kw = |name: &str| {
        kwargs
            .as_ref()
            .and_then(|k| k.get::<Option<Value>>(name).ok().flatten())
    };
    let other = args
        .first()
        .cloned()
        .or_else(|| kw("version"))
        .map(|v| py_str(&v))
        .ok_or_else(|| fail("Version comparison failed: no version to compare to"))?;
    let op = args
        .get(1)
        .cloned()
        .or_else(|| kw("operator"))
        .map(|v| py_str(&v))
        .unwrap_or_else(|| "eq".to_string());
    let strict = args
        .get(2)
        .cloned()
        .or_else(|| kw("strict"))
        .is_some_and(|v| v.is_true());
    let version_type = args
        .get(3)
        .cloned()
        .or_else(|| kw("version_type"))
        .map(|v| py_str(&v))
        .unwrap_or_else(|| if strict { "strict" } else { "loose" }.to_string());
    let ord = compare_versions(&py_str(value), &other, &version_type)?;
    Ok(match op.as_str() {
        "==" | "=" | "eq" => ord == Ordering::Equal,
        "!=" | "<>" | "ne" => ord != Ordering::Equal,
        "<" | "lt" => ord == Ordering::Less,
        "<=" | "le" => ord != Ordering::Greater,
        ">" | "gt" => ord == Ordering::Greater,
        ">=" | "ge" => ord != Ordering::Less,
        other => {
            return Err(fail(format!(
                "Invalid operator type ({other}). Must be one of <, lt, <=, le, >, gt, >=, ge, ==, =, eq, !=, <>, ne"
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_versions_compare_numerically() {
        assert_eq!(
            compare_versions("1.10", "1.9", "loose").ok(),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare_versions("2.0", "2.0", "loose").ok(),
            Some(Ordering::Equal)
        );
        assert_eq!(
            compare_versions("1.0.0-rc1", "1.0.0", "semver").ok(),
            Some(Ordering::Less)
        );
    }
}
