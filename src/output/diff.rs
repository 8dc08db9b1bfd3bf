//! `--diff` output: a result's `diff` (one or a list of `{before, after, before_header,
//! after_header}`) printed as unified diffs with 3 lines of context, like Ansible's callback.
//! Dict before/after values are shown as sorted, indented JSON first.

use serde_json::Value;

use crate::pyjson;

/// The diff text for a result's `diff` value (empty when there is nothing to show).
pub fn render(diff: &Value) -> String {
    let mut out = String::new();
    match diff {
        Value::Array(items) => {
            for item in items {
                out.push_str(&render_one(item));
            }
        }
        other => out.push_str(&render_one(other)),
    }
    out
}

fn side_text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            let mut s = pyjson::pretty(other);
            s.push('\n');
            s
        }
    }
}

fn render_one(d: &Value) -> String {
    let Some(map) = d.as_object() else {
        return String::new();
    };
    let mut out = String::new();
    if let Some(Value::String(msg)) = map.get("prepared") {
        out.push_str(msg);
        out.push('\n');
        return out;
    }
    if map.contains_key("before") || map.contains_key("after") {
        let before = side_text(map.get("before"));
        let after = side_text(map.get("after"));
        if before == after {
            return out;
        }
        let header = |side: &str, key: &str| match map.get(key).and_then(Value::as_str) {
            Some(h) => format!("{side}: {h}"),
            None => side.to_string(),
        };
        let text = similar::TextDiff::from_lines(&before, &after);
        let unified = text
            .unified_diff()
            .context_radius(3)
            .header(
                &header("before", "before_header"),
                &header("after", "after_header"),
            )
            .to_string();
        out.push_str(&unified);
        if !unified.ends_with('\n') {
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unified_diff_with_headers() {
        let d = json!({"before": "a\nb\n", "after": "a\nc\n", "before_header": "/etc/x", "after_header": "/etc/x"});
        let text = render(&d);
        assert!(
            text.starts_with("--- before: /etc/x\n+++ after: /etc/x\n@@ -1,2 +1,2 @@\n"),
            "{text}"
        );
        assert!(text.contains("-b\n+c\n"), "{text}");
    }

    #[test]
    fn dicts_render_as_json() {
        let d = json!({"before": {"path": "/x", "state": "absent"}, "after": {"path": "/x", "state": "directory"}});
        let text = render(&d);
        assert!(
            text.contains("-    \"state\": \"absent\"\n+    \"state\": \"directory\"\n"),
            "{text}"
        );
    }
}
