//! Path and URL filters (controller-side, Python `os.path` semantics): `basename`, `dirname`,
//! `realpath`, `expanduser`, `expandvars`, `relpath`, `splitext`, `path_join`, `urlsplit`,
//! `urldecode`.

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error};

use super::core::py_str;
use super::fail;

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("basename", |v: &Value| basename(&py_str(v)).to_string());
    env.add_filter("dirname", |v: &Value| dirname(&py_str(v)).to_string());
    env.add_filter("realpath", |v: &Value| realpath(&py_str(v)));
    env.add_filter("expanduser", |v: &Value| expanduser(&py_str(v)));
    env.add_filter("expandvars", |v: &Value| expandvars(&py_str(v)));
    env.add_filter("relpath", |v: &Value, start: Option<String>| {
        relpath(&py_str(v), start)
    });
    env.add_filter("splitext", |v: &Value| {
        let (a, b) = splitext(&py_str(v));
        Value::from(vec![Value::from(a), Value::from(b)])
    });
    env.add_filter("path_join", path_join);
    env.add_filter("urlsplit", urlsplit);
    env.add_filter("urldecode", |v: &Value| urldecode(&py_str(v)));
}

/// `os.path.basename`.
pub(crate) fn basename(p: &str) -> &str {
    match p.rfind('/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

/// `os.path.dirname`.
pub(crate) fn dirname(p: &str) -> &str {
    match p.rfind('/') {
        Some(i) => {
            let head = &p[..i + 1];
            let trimmed = head.trim_end_matches('/');
            if trimmed.is_empty() {
                head
            } else {
                trimmed
            }
        }
        None => "",
    }
}

fn realpath(p: &str) -> String {
    let expanded = expanduser(p);
    match std::fs::canonicalize(&expanded) {
        Ok(c) => c.display().to_string(),
        Err(_) => normpath(&if expanded.starts_with('/') {
            expanded
        } else {
            let cwd = std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default();
            format!("{cwd}/{expanded}")
        }),
    }
}

/// `os.path.normpath`.
pub(crate) fn normpath(p: &str) -> String {
    let absolute = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

fn expanduser(p: &str) -> String {
    if p == "~" || p.starts_with("~/") {
        if let Ok(home) = std::env::var("HOME") {
            return format!("{home}{}", &p[1..]);
        }
    }
    p.to_string()
}

fn expandvars(p: &str) -> String {
    let mut out = String::new();
    let mut rest = p;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, consumed) = if let Some(inner) = after.strip_prefix('{') {
            match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        match std::env::var(name) {
            Ok(v) if !name.is_empty() => out.push_str(&v),
            _ => out.push_str(&rest[i..i + 1 + consumed]),
        }
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

fn relpath(p: &str, start: Option<String>) -> String {
    let cwd = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| "/".to_string());
    let abs = |s: &str| {
        if s.starts_with('/') {
            normpath(s)
        } else {
            normpath(&format!("{cwd}/{s}"))
        }
    };
    let target = abs(p);
    let base = abs(start.as_deref().unwrap_or("."));
    let t: Vec<&str> = target.split('/').filter(|s| !s.is_empty()).collect();
    let b: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<&str> = vec![".."; b.len() - common];
    parts.extend(&t[common..]);
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// `os.path.splitext`.
pub(crate) fn splitext(p: &str) -> (String, String) {
    let base_start = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    let base = &p[base_start..];
    let leading_dots = base.len() - base.trim_start_matches('.').len();
    match base.rfind('.') {
        Some(i) if i >= leading_dots && i > 0 => {
            let split = base_start + i;
            (p[..split].to_string(), p[split..].to_string())
        }
        _ => (p.to_string(), String::new()),
    }
}

fn path_join(v: &Value) -> Result<String, Error> {
    let parts: Vec<String> = if v.kind() == ValueKind::String {
        vec![py_str(v)]
    } else {
        v.try_iter()?.map(|p| py_str(&p)).collect()
    };
    let mut out = String::new();
    for p in parts {
        if p.starts_with('/') {
            out = p;
        } else if out.is_empty() || out.ends_with('/') {
            out.push_str(&p);
        } else {
            out.push('/');
            out.push_str(&p);
        }
    }
    Ok(out)
}

/// `urlsplit(query='')`: the parts of a URL as a dict, or one part.
fn urlsplit(v: &Value, query: Option<String>) -> Result<Value, Error> {
    let url = py_str(v);
    let (scheme, rest) = match url.find(':') {
        Some(i)
            if url[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                && i > 0 =>
        {
            (url[..i].to_lowercase(), &url[i + 1..])
        }
        _ => (String::new(), url.as_str()),
    };
    let (netloc, rest) = match rest.strip_prefix("//") {
        Some(r) => {
            let end = r.find(['/', '?', '#']).unwrap_or(r.len());
            (&r[..end], &r[end..])
        }
        None => ("", rest),
    };
    let (rest, fragment) = match rest.split_once('#') {
        Some((a, b)) => (a, b),
        None => (rest, ""),
    };
    let (path, q) = match rest.split_once('?') {
        Some((a, b)) => (a, b),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match netloc.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, netloc),
    };
    let (username, password) = match userinfo {
        Some(u) => match u.split_once(':') {
            Some((a, b)) => (Value::from(a), Value::from(b)),
            None => (Value::from(u), Value::from(())),
        },
        None => (Value::from(()), Value::from(())),
    };
    let (hostname, port) = if let Some(h) = hostport.strip_prefix('[') {
        match h.split_once(']') {
            Some((host, p)) => (host.to_string(), p.strip_prefix(':').unwrap_or("")),
            None => (h.to_string(), ""),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p),
            None => (hostport.to_string(), ""),
        }
    };
    let hostname = if hostname.is_empty() {
        Value::from(())
    } else {
        Value::from(hostname.to_lowercase())
    };
    let port = if port.is_empty() {
        Value::from(())
    } else {
        match port.parse::<i64>() {
            Ok(p) => Value::from(p),
            Err(_) => {
                return Err(fail(format!(
                    "Port could not be cast to integer value as '{port}'"
                )))
            }
        }
    };
    let parts = [
        ("fragment", Value::from(fragment)),
        ("hostname", hostname),
        ("netloc", Value::from(netloc)),
        ("password", password),
        ("path", Value::from(path)),
        ("port", port),
        ("query", Value::from(q)),
        ("scheme", Value::from(scheme)),
        ("username", username),
    ];
    match query.as_deref() {
        None | Some("") => Ok(Value::from_pairs(parts)),
        Some(name) => parts
            .into_iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
            .ok_or_else(|| fail(format!("urlsplit: unknown URL component: {name}"))),
    }
}

fn urldecode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len()
                && s.is_char_boundary(i + 1)
                && s.is_char_boundary(i + 3) =>
            {
                match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_path_semantics() {
        assert_eq!(basename("/etc/nginx/nginx.conf"), "nginx.conf");
        assert_eq!(dirname("/etc/nginx/nginx.conf"), "/etc/nginx");
        assert_eq!(dirname("/etc"), "/");
        assert_eq!(dirname("file"), "");
        assert_eq!(
            splitext("/a/c.tar.gz"),
            ("/a/c.tar".to_string(), ".gz".to_string())
        );
        assert_eq!(splitext(".bashrc"), (".bashrc".to_string(), String::new()));
        assert_eq!(normpath("/a/./b/../c"), "/a/c");
    }

    #[test]
    fn url_parts() {
        let v = urlsplit(&Value::from("https://u:p@Example.com:8080/x?q=1#f"), None).ok();
        let v = v.unwrap_or_default();
        assert_eq!(
            v.get_attr("hostname").ok().map(|h| h.to_string()),
            Some("example.com".into())
        );
        assert_eq!(v.get_attr("port").ok().and_then(|p| p.as_i64()), Some(8080));
        assert_eq!(urldecode("a%20b+c"), "a b c");
    }
}
