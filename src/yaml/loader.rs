//! Builds [`Node`] trees from saphyr-parser's event stream, applying Ansible's loader rules:
//! YAML 1.1 typing of plain scalars, anchors and aliases, `<<` merge keys (single mapping or a
//! list of mappings, PyYAML's order), duplicate keys (last wins, warning), explicit core tags
//! (`!!str`, `!!int`, ...) and Ansible's `!vault` and `!unsafe` tags.
//!
//! Errors never panic: scanner errors, unknown tags, bad merges, unhashable keys and absurd
//! nesting all become a [`Diagnostic`] naming `file:line:col`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, StrInput, Tag};

use super::node::{Mapping, Node, Yaml};
use super::scalar::{resolve_plain, Resolved};
use super::timestamp::Timestamp;
use crate::diag::{Diagnostic, Span};

/// Deeper nesting than this is refused (protects the stack; no real file comes close).
const MAX_DEPTH: usize = 400;
/// Upper bound on nodes produced by expanding aliases (protects against "billion laughs").
const MAX_ALIAS_NODES: usize = 1_000_000;

/// The documents of one YAML stream and the warnings found while loading them.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// One node per document, in order. An empty file has no documents.
    pub documents: Vec<Node>,
    /// Non-fatal findings (duplicate keys, deprecated tags), in source order.
    pub warnings: Vec<Diagnostic>,
}

/// Loads every document in `text`; `file_label` names the source in spans (a path, or a label
/// such as `<extra vars>`). Warnings are dropped; see [`load_str_with_warnings`].
pub fn load_str(text: &str, file_label: &str) -> Result<Vec<Node>, Diagnostic> {
    load_str_with_warnings(text, file_label).map(|loaded| loaded.documents)
}

/// Loads every document in `text` and returns the warnings Ansible would print too.
pub fn load_str_with_warnings(text: &str, file_label: &str) -> Result<Loaded, Diagnostic> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut builder = Builder {
        parser: Parser::new_from_str(text),
        file: Arc::from(file_label),
        source: text,
        anchors: HashMap::new(),
        warnings: Vec::new(),
        unsafe_depth: 0,
        alias_nodes: 0,
    };
    let documents = builder.stream()?;
    Ok(Loaded {
        documents,
        warnings: builder.warnings,
    })
}

/// Reads and loads the YAML (or JSON) file at `path`; spans name the path as given.
pub fn load_file(path: &Path) -> Result<Vec<Node>, Diagnostic> {
    load_file_with_warnings(path).map(|loaded| loaded.documents)
}

/// Reads and loads the file at `path`, keeping warnings.
pub fn load_file_with_warnings(path: &Path) -> Result<Loaded, Diagnostic> {
    let label = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Diagnostic::error(format!("could not read {label}: {e}")))?;
    load_str_with_warnings(&text, &label)
}

type SpannedEvent<'input> = (Event<'input>, saphyr_parser::Span);

struct Builder<'input> {
    parser: Parser<'input, StrInput<'input>>,
    file: Arc<str>,
    source: &'input str,
    /// Anchor id (from the parser) → the node it names.
    anchors: HashMap<usize, Node>,
    warnings: Vec<Diagnostic>,
    /// > 0 while inside a `!unsafe` node: strings become [`Yaml::Unsafe`].
    unsafe_depth: usize,
    alias_nodes: usize,
}

/// Tag names as Ansible's constructor table knows them.
const CORE: &str = "tag:yaml.org,2002:";

impl<'input> Builder<'input> {
    fn span(&self, mark: &saphyr_parser::Marker) -> Span {
        Span {
            file: self.file.clone(),
            line: mark.line(),
            col: mark.col() + 1,
        }
    }

    /// The parser places a block sequence at its first item; PyYAML (and so Ansible's origins)
    /// at the item's `-`.
    fn block_sequence_start(&self, span: Span) -> Span {
        let Some(line) = self.source.lines().nth(span.line.saturating_sub(1)) else {
            return span;
        };
        let before: String = line.chars().take(span.col.saturating_sub(1)).collect();
        let trimmed = before.trim_end();
        if trimmed.ends_with('-') && trimmed.len() < before.len() {
            let col = trimmed.chars().count();
            return Span { col, ..span };
        }
        span
    }

    fn error(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::in_source(span, message, self.source)
    }

    fn scan_error(&self, error: &ScanError) -> Diagnostic {
        let span = self.span(error.marker());
        self.error(span, format!("YAML parsing failed: {}", error.info()))
    }

    fn next(&mut self) -> Result<SpannedEvent<'input>, Diagnostic> {
        match self.parser.next_event() {
            Some(Ok(event)) => Ok(event),
            Some(Err(error)) => Err(self.scan_error(&error)),
            None => {
                let line = self.source.lines().count().max(1);
                Err(self.error(
                    Span::new(self.file.clone(), line, 1),
                    "YAML parsing failed: unexpected end of input",
                ))
            }
        }
    }

    fn stream(&mut self) -> Result<Vec<Node>, Diagnostic> {
        let mut documents = Vec::new();
        loop {
            let (event, span) = self.next()?;
            match event {
                Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                Event::StreamEnd => return Ok(documents),
                Event::DocumentStart(_) => {
                    // Anchors do not cross documents.
                    self.anchors.clear();
                    let (event, span) = self.next()?;
                    documents.push(self.node(event, span, 0)?);
                }
                _ => {
                    let at = self.span(&span.start);
                    return Err(self.error(at, "YAML parsing failed: unexpected event"));
                }
            }
        }
    }

    fn node(
        &mut self,
        event: Event<'input>,
        raw_span: saphyr_parser::Span,
        depth: usize,
    ) -> Result<Node, Diagnostic> {
        let span = self.span(&raw_span.start);
        if depth > MAX_DEPTH {
            return Err(self.error(span, "YAML nesting is too deep"));
        }
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let node = self.scalar(text, style, tag, span)?;
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::SequenceStart(anchor, tag) => {
                let unsafe_tag = self.collection_tag(tag.as_deref(), &span, "seq")?;
                if unsafe_tag {
                    self.unsafe_depth += 1;
                }
                let span = self.block_sequence_start(span);
                let result = self.sequence(span, depth);
                if unsafe_tag {
                    self.unsafe_depth -= 1;
                }
                let node = result?;
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::MappingStart(anchor, tag) => {
                let unsafe_tag = self.collection_tag(tag.as_deref(), &span, "map")?;
                if unsafe_tag {
                    self.unsafe_depth += 1;
                }
                let result = self.mapping(span, depth);
                if unsafe_tag {
                    self.unsafe_depth -= 1;
                }
                let node = result?;
                self.remember(anchor, &node);
                Ok(node)
            }
            Event::Alias(id) => {
                let Some(node) = self.anchors.get(&id) else {
                    return Err(self.error(span, "YAML parsing failed: found undefined alias"));
                };
                let node = node.clone();
                self.alias_nodes += count_nodes(&node);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(self.error(span, "YAML aliases expand to too many values"));
                }
                Ok(Node { span, ..node })
            }
            _ => Err(self.error(span, "YAML parsing failed: unexpected event")),
        }
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    /// Checks the tag of a sequence or mapping; returns true for `!unsafe`.
    fn collection_tag(
        &self,
        tag: Option<&Tag>,
        span: &Span,
        kind: &str,
    ) -> Result<bool, Diagnostic> {
        let Some(name) = tag.map(tag_name) else {
            return Ok(false);
        };
        match name.as_str() {
            "!" => Ok(false),
            "!unsafe" => Ok(true),
            "!vault" | "!vault-encrypted" => Err(self.error(
                span.clone(),
                format!("the '{name}' tag requires a string value"),
            )),
            _ if name == format!("{CORE}{kind}")
                || (kind == "map"
                    && (name == format!("{CORE}set")
                        || name == format!("{CORE}omap")
                        || name == format!("{CORE}pairs")))
                || (kind == "seq"
                    && (name == format!("{CORE}omap") || name == format!("{CORE}pairs"))) =>
            {
                Ok(false)
            }
            _ => Err(self.unknown_tag(span, &name)),
        }
    }

    fn unknown_tag(&self, span: &Span, name: &str) -> Diagnostic {
        self.error(
            span.clone(),
            format!(
                "could not determine a constructor for the tag '{}'",
                display_tag(name)
            ),
        )
    }

    fn sequence(&mut self, span: Span, depth: usize) -> Result<Node, Diagnostic> {
        let mut items = Vec::new();
        loop {
            let (event, raw) = self.next()?;
            if matches!(event, Event::SequenceEnd) {
                return Ok(Node::new(Yaml::Seq(items), span));
            }
            items.push(self.node(event, raw, depth + 1)?);
        }
    }

    fn mapping(&mut self, span: Span, depth: usize) -> Result<Node, Diagnostic> {
        // PyYAML puts all merged entries first (in merge order), then the mapping's own
        // entries; building a dict from that list gives Ansible's result and warnings.
        let mut merged: Vec<(String, Node)> = Vec::new();
        let mut own: Vec<(String, Node)> = Vec::new();
        loop {
            let (event, raw_key) = self.next()?;
            if matches!(event, Event::MappingEnd) {
                break;
            }
            let key_span = self.span(&raw_key.start);
            let is_merge = matches!(
                &event,
                Event::Scalar(text, ScalarStyle::Plain, _, None) if text == "<<"
            );
            let key = if is_merge {
                None
            } else {
                let key_node = self.node(event, raw_key, depth + 1)?;
                Some(self.key_text(key_node)?)
            };
            let (value_event, raw_value) = self.next()?;
            let mut value = self.node(value_event, raw_value, depth + 1)?;
            match key {
                Some(key) => {
                    value.key_span = Some(key_span);
                    own.push((key, value));
                }
                None => merged.extend(self.merge_entries(value, &key_span)?),
            }
        }
        let mut map = Mapping::with_capacity(merged.len() + own.len());
        for (key, value) in merged.into_iter().chain(own) {
            if map.contains_key(&key) {
                let at = value.key_span.clone().unwrap_or_else(|| value.span.clone());
                self.warnings.push(
                    self.error(at, format!("Found duplicate mapping key '{key}'."))
                        .into_warning()
                        .with_note("Using last defined value only."),
                );
            }
            map.insert(key, value);
        }
        Ok(Node::new(Yaml::Map(map), span))
    }

    /// The entries a `<<` value contributes: a mapping's entries, or for a list of mappings
    /// the entries of each, last mapping first (so earlier mappings win).
    fn merge_entries(
        &self,
        value: Node,
        key_span: &Span,
    ) -> Result<Vec<(String, Node)>, Diagnostic> {
        let bad = |found: &Node| {
            self.error(
                found.span.clone(),
                format!(
                    "while constructing a mapping at {key_span}: expected a mapping or list of mappings for merging, but found {}",
                    found.kind()
                ),
            )
        };
        match value.value {
            Yaml::Map(map) => Ok(map.into_iter().collect()),
            Yaml::Seq(items) => {
                let mut entries = Vec::new();
                for item in items.into_iter().rev() {
                    match item.value {
                        Yaml::Map(map) => entries.extend(map),
                        _ => return Err(bad(&item)),
                    }
                }
                Ok(entries)
            }
            _ => Err(bad(&value)),
        }
    }

    /// Stringifies a mapping key as Ansible's JSON output shows it.
    fn key_text(&self, key: Node) -> Result<String, Diagnostic> {
        Ok(match key.value {
            Yaml::Str(s) | Yaml::Unsafe(s) => s,
            Yaml::Null => "null".to_string(),
            Yaml::Bool(b) => b.to_string(),
            Yaml::Int(i) => i.to_string(),
            Yaml::Float(f) => python_float_text(f),
            Yaml::Timestamp(ts) => ts.python_str(),
            Yaml::Seq(_) | Yaml::Map(_) => {
                return Err(self.error(
                    key.span,
                    "while constructing a mapping: found unhashable key (a list or mapping cannot be a key)",
                ))
            }
            Yaml::Vault(_) => {
                return Err(self.error(key.span, "a vault-encrypted value cannot be a mapping key"))
            }
        })
    }

    fn scalar(
        &mut self,
        text: Cow<'input, str>,
        style: ScalarStyle,
        tag: Option<Cow<'input, Tag>>,
        span: Span,
    ) -> Result<Node, Diagnostic> {
        let name = tag.as_deref().map(tag_name);
        let value = match name.as_deref() {
            None | Some("!") => self.implicit(text, style, &span)?,
            Some("!unsafe") => {
                self.unsafe_depth += 1;
                let result = self.implicit(text, style, &span);
                self.unsafe_depth -= 1;
                result?
            }
            Some(vault @ ("!vault" | "!vault-encrypted")) => {
                if vault == "!vault-encrypted" {
                    self.warnings.push(
                        self.error(
                            span.clone(),
                            "Use of the YAML `!vault-encrypted` tag is deprecated.",
                        )
                        .into_warning()
                        .with_note("Use the `!vault` tag instead."),
                    );
                }
                match self.implicit(text, style, &span)? {
                    Yaml::Str(s) | Yaml::Unsafe(s) => Yaml::Vault(s),
                    _ => {
                        return Err(
                            self.error(span, format!("the '{vault}' tag requires a string value"))
                        )
                    }
                }
            }
            Some(other) => match other.strip_prefix(CORE) {
                Some("str") => self.string(text.into_owned()),
                Some("null") => Yaml::Null,
                Some("bool") => match text.to_ascii_lowercase().as_str() {
                    "yes" | "true" | "on" => Yaml::Bool(true),
                    "no" | "false" | "off" => Yaml::Bool(false),
                    _ => return Err(self.error(span, format!("invalid !!bool value '{text}'"))),
                },
                Some("int") => match resolve_plain(&text) {
                    Resolved::Int(i) => Yaml::Int(i),
                    Resolved::BigInt(f) => Yaml::Float(f),
                    _ => return Err(self.error(span, format!("invalid !!int value '{text}'"))),
                },
                Some("float") => match resolve_plain(&text) {
                    Resolved::Float(f) | Resolved::BigInt(f) => Yaml::Float(f),
                    Resolved::Int(i) => Yaml::Float(i as f64),
                    _ => match text.replace('_', "").parse::<f64>() {
                        Ok(f) => Yaml::Float(f),
                        Err(_) => {
                            return Err(self.error(span, format!("invalid !!float value '{text}'")))
                        }
                    },
                },
                Some("timestamp") => match Timestamp::parse(&text) {
                    Some(ts) => Yaml::Timestamp(ts),
                    None => self.string(text.into_owned()),
                },
                Some("binary") => self.string(text.into_owned()),
                _ => return Err(self.unknown_tag(&span, other)),
            },
        };
        Ok(Node::new(value, span))
    }

    fn string(&self, text: String) -> Yaml {
        if self.unsafe_depth > 0 {
            Yaml::Unsafe(text)
        } else {
            Yaml::Str(text)
        }
    }

    /// An untagged scalar: plain ones are typed by YAML 1.1 rules, quoted and block ones are
    /// strings.
    fn implicit(
        &self,
        text: Cow<'input, str>,
        style: ScalarStyle,
        span: &Span,
    ) -> Result<Yaml, Diagnostic> {
        if style != ScalarStyle::Plain {
            return Ok(self.string(text.into_owned()));
        }
        Ok(match resolve_plain(&text) {
            Resolved::Null => Yaml::Null,
            Resolved::Bool(b) => Yaml::Bool(b),
            Resolved::Int(i) => Yaml::Int(i),
            Resolved::Float(f) | Resolved::BigInt(f) => Yaml::Float(f),
            Resolved::Str => self.string(text.into_owned()),
            // Under `!unsafe` a timestamp stays the text it was written as.
            Resolved::Timestamp(_) if self.unsafe_depth > 0 => self.string(text.into_owned()),
            Resolved::Timestamp(ts) => Yaml::Timestamp(ts),
            Resolved::Merge => return Err(self.unknown_tag(span, &format!("{CORE}merge"))),
            Resolved::ValueTag => return Err(self.unknown_tag(span, &format!("{CORE}value"))),
        })
    }
}

/// The full tag name: `!vault`, `tag:yaml.org,2002:str`, ...
fn tag_name(tag: &Tag) -> String {
    let handle = if tag.handle == "!!" {
        CORE
    } else {
        tag.handle.as_str()
    };
    format!("{handle}{}", tag.suffix)
}

/// Tag names as PyYAML prints them in errors.
fn display_tag(name: &str) -> String {
    name.to_string()
}

/// Python's `repr` of a float, close enough for mapping keys (`1.5`, `1e+20`, `inf`).
fn python_float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else if f.fract() == 0.0 && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Yaml::Seq(items) => items.iter().map(count_nodes).sum(),
        Yaml::Map(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn json_of(text: &str) -> serde_json::Value {
        let docs = load_str(text, "t.yml").unwrap();
        assert_eq!(docs.len(), 1, "{text}");
        docs[0].to_json()
    }

    fn error_of(text: &str) -> Diagnostic {
        load_str(text, "bad.yml").unwrap_err()
    }

    #[test]
    fn quoted_scalars_are_always_strings() {
        assert_eq!(
            json_of("a: 'yes'\nb: \"0644\"\nc: |\n  12\nd: yes\ne: 0644\n"),
            json!({"a": "yes", "b": "0644", "c": "12\n", "d": true, "e": 420})
        );
    }

    #[test]
    fn explicit_core_tags() {
        // Checked with PyYAML via Ansible's loader: !!str 5 → '5', ! 5 → 5, !!int "7" → 7.
        assert_eq!(
            json_of(
                "e: !!str 5\nf: ! 5\ng: !!int \"7\"\nh: !!float 1\ni: !!bool yes\nj: !!null x\n"
            ),
            json!({"e": "5", "f": 5, "g": 7, "h": 1.0, "i": true, "j": null})
        );
    }

    #[test]
    fn vault_and_unsafe_tags() {
        let text = "secret: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162\nraw: !unsafe '{{ x }}'\nn: !unsafe 5\ndeep: !unsafe {a: '{{ y }}', b: [c]}\n";
        assert_eq!(
            json_of(text),
            json!({
                "secret": {"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n6162\n"},
                "raw": {"__ansible_unsafe": "{{ x }}"},
                "n": 5,
                "deep": {"a": {"__ansible_unsafe": "{{ y }}"}, "b": [{"__ansible_unsafe": "c"}]},
            })
        );
    }

    #[test]
    fn vault_needs_a_string() {
        let e = error_of("a: !vault 5\n");
        assert!(e.message.contains("requires a string"), "{e}");
        assert_eq!(e.span.map(|s| (s.line, s.col)), Some((1, 4)));
    }

    #[test]
    fn merge_keys_follow_pyyaml_order_and_precedence() {
        // Expected results printed by PyYAML 6.0.3 through Ansible's loader (json.dumps).
        let list = "a: &a {x: 1, y: 2}\nb: &b {y: 3, z: 4}\nc:\n  w: 0\n  <<: [*a, *b]\n  x: 9\n";
        let loaded = load_str_with_warnings(list, "m.yml").unwrap();
        let c = loaded.documents[0].get("c").unwrap();
        assert_eq!(c.to_json().to_string(), r#"{"y":2,"z":4,"x":9,"w":0}"#);
        // Two warnings, as Ansible: y (a's y overrides b's, at 1:14) and x (own key, at 6:3).
        let spans: Vec<(usize, usize)> = loaded
            .warnings
            .iter()
            .filter_map(|w| w.span.as_ref().map(|s| (s.line, s.col)))
            .collect();
        assert_eq!(spans, vec![(1, 14), (6, 3)]);

        let two = "a: &a {x: 1, y: 2}\nb: &b {q: 1, x: 3}\nc:\n  k: 1\n  <<: *a\n  <<: *b\n";
        let c = json_of(two)["c"].clone();
        assert_eq!(c.to_string(), r#"{"x":3,"y":2,"q":1,"k":1}"#);

        assert_eq!(
            json_of("c:\n  \"<<\": {x: 1}\n"),
            json!({"c": {"<<": {"x": 1}}})
        );
    }

    #[test]
    fn merge_of_a_scalar_is_an_error() {
        let e = error_of("c:\n  <<: 5\n");
        assert!(
            e.message.contains("expected a mapping or list of mappings"),
            "{e}"
        );
        assert_eq!(e.span.map(|s| (s.line, s.col)), Some((2, 7)));
    }

    #[test]
    fn duplicate_keys_last_wins_with_warning() {
        let loaded = load_str_with_warnings("v: 1\nw: 2\nv: 3\n", "d.yml").unwrap();
        assert_eq!(
            loaded.documents[0].to_json().to_string(),
            r#"{"v":3,"w":2}"#
        );
        assert_eq!(loaded.warnings.len(), 1);
        let w = &loaded.warnings[0];
        assert!(w.is_warning());
        assert_eq!(w.message, "Found duplicate mapping key 'v'.");
        assert_eq!(
            w.span.as_ref().map(|s| s.to_string()).as_deref(),
            Some("d.yml:3:1")
        );
    }

    #[test]
    fn non_string_keys_are_stringified() {
        assert_eq!(
            json_of("1: a\nnull: c\n1.5: d\nyes: e\n"),
            json!({"1": "a", "null": "c", "1.5": "d", "true": "e"})
        );
    }

    #[test]
    fn anchors_aliases_and_spans() {
        let docs = load_str("base: &b\n  k: v\ncopy: *b\nlist:\n  - x\n  - 2\n", "s.yml").unwrap();
        let root = &docs[0];
        assert_eq!(root.get("copy").unwrap().to_json(), json!({"k": "v"}));
        let copy = root.get("copy").unwrap();
        assert_eq!((copy.span.line, copy.span.col), (3, 7));
        let key = copy.key_span.as_ref().unwrap();
        assert_eq!((key.line, key.col), (3, 1));
        let second = &root.get("list").unwrap().as_seq().unwrap()[1];
        assert_eq!(
            (second.span.line, second.span.col, second.as_i64()),
            (6, 5, Some(2))
        );
    }

    #[test]
    fn several_documents_and_empty_input() {
        let docs = load_str("---\na: 1\n---\n- b\n...\n", "m.yml").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].to_json(), json!(["b"]));
        assert!(load_str("", "e.yml").unwrap().is_empty());
        assert!(load_str("# only a comment\n", "e.yml").unwrap().is_empty());
        assert_eq!(
            load_str("---\n", "e.yml").unwrap()[0].to_json(),
            json!(null)
        );
    }

    #[test]
    fn json_input_loads() {
        assert_eq!(
            json_of(r#"{"all": {"hosts": {"a": {"p": 22, "t": true, "n": null}}}}"#),
            json!({"all": {"hosts": {"a": {"p": 22, "t": true, "n": null}}}})
        );
    }

    #[test]
    fn unquoted_colon_in_value_names_the_place() {
        let e = error_of("- debug:\n    msg: a: b\n");
        let span = e.span.clone().unwrap();
        assert_eq!(&*span.file, "bad.yml");
        assert_eq!(span.line, 2);
        assert!(e.message.starts_with("YAML parsing failed"), "{e}");
        assert!(e.to_string().contains("msg: a: b"), "{e}");
    }

    #[test]
    fn unknown_tags_and_reserved_scalars_are_errors() {
        assert!(error_of("a: !foo 1\n").message.contains("'!foo'"));
        assert!(error_of("a: =\n")
            .message
            .contains("tag:yaml.org,2002:value"));
        assert!(error_of("a: <<\n")
            .message
            .contains("tag:yaml.org,2002:merge"));
        let alias = error_of("a: *nope\n").message;
        assert!(
            alias.contains("alias") || alias.contains("anchor"),
            "{alias}"
        );
        assert!(error_of("? [a]\n: 1\n").message.contains("unhashable"));
    }

    #[test]
    fn broken_inputs_never_panic_and_have_a_location() {
        let broken = [
            "a: [1, 2",
            "a: {b: 1",
            "a: 'x",
            "a: \"x",
            "- a\nb: 1",
            "a:\n\t- b",
            "%YAML 9.9\n---\na",
            "a: &x\nb: *y",
            "]",
            "}",
            "a: b: c",
            "? ? ?",
            "- - - [",
            "!<tag> x",
            "&a &b x",
            "*",
            "'",
            "key: |\n bad\n  indentation\n x: y",
            "a:\n  - b\n c: d",
            "\u{0}",
            "--- >\n x\n---\n- [",
        ];
        for text in broken {
            match load_str(text, "f.yml") {
                Ok(_) => {}
                Err(e) => {
                    let span = e.span.as_ref();
                    assert!(span.is_some(), "no span for {text:?}: {e}");
                    assert!(e.to_string().contains("f.yml:"), "{text:?}: {e}");
                }
            }
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = "[".repeat(5000);
        let e = error_of(&text);
        assert!(e.span.is_some());
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        assert!(error_of(&text).message.contains("too many"));
    }
}
