//! Answers a play's `vars_prompt` when the play starts, as ansible-playbook does: entries are
//! templated with the extra vars and play vars, a variable given with `-e` is not asked, the
//! question goes to the terminal (no echo when `private`), and when standard input is not a
//! terminal nothing is asked: a warning, then the default (or the text `None`).

use std::io::{BufRead, IsTerminal, Write};

use serde_json::{json, Map, Value};

use super::runner::{RunError, Runner};
use super::templating::Ctx;
use crate::playbook::vars_prompt::VarPrompt;
use crate::pyjson::python_str;
use crate::run::event::Event;

/// One templated `vars_prompt` entry.
struct Question {
    name: String,
    prompt: Option<String>,
    default: Option<Value>,
    private: bool,
    confirm: bool,
    encrypt: Option<Value>,
    salt: Option<Value>,
    salt_size: Option<Value>,
    unsafe_: bool,
}

impl Question {
    fn new(fields: &Map<String, Value>) -> Self {
        let get = |k: &str| fields.get(k).filter(|v| !v.is_null()).cloned();
        let flag = |k: &str, dflt: bool| {
            get(k)
                .and_then(|v| rplay_modules::spec::parse_bool(&v))
                .unwrap_or(dflt)
        };
        let name = fields.get("name").map(python_str).unwrap_or_default();
        Question {
            prompt: match fields.get("prompt") {
                None => Some(name.clone()),
                Some(Value::Null) => None,
                Some(p) => Some(python_str(p)),
            },
            name,
            default: get("default"),
            private: flag("private", true),
            confirm: flag("confirm", false),
            encrypt: get("encrypt"),
            salt: get("salt"),
            salt_size: get("salt_size"),
            unsafe_: flag("unsafe", false),
        }
    }

    /// The text shown: `<prompt> [<default>]: `.
    fn message(&self) -> String {
        match (&self.prompt, &self.default) {
            (Some(p), Some(d)) if !p.is_empty() => format!("{p} [{}]: ", python_str(d)),
            (Some(p), _) if !p.is_empty() => format!("{p}: "),
            _ => format!("input for {}: ", self.name),
        }
    }
}

/// Reads one answer: without echo from the terminal when private, else a line from stdin.
fn read_answer(message: &str, private: bool) -> String {
    if private {
        return rpassword::prompt_password(message).unwrap_or_default();
    }
    let mut out = std::io::stdout();
    let _ = out.write_all(message.as_bytes());
    let _ = out.flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    line.trim_end_matches(['\n', '\r']).to_string()
}

fn ask(q: &Question) -> String {
    let message = q.message();
    loop {
        let first = read_answer(&message, q.private);
        if !q.confirm {
            return first;
        }
        let second = read_answer(&format!("confirm {message}"), q.private);
        if first == second {
            return first;
        }
        println!("***** VALUES ENTERED DO NOT MATCH ****");
    }
}

impl Runner {
    /// The play's variables with the `vars_prompt` answers added.
    pub(crate) fn answer_prompts(
        &self,
        prompts: &[VarPrompt],
        vars: &mut Map<String, Value>,
        ctx: &Ctx,
    ) -> Result<(), RunError> {
        let raw = Value::Array(
            prompts
                .iter()
                .map(|p| Value::Object(p.fields.clone()))
                .collect(),
        );
        let templated = self
            .templating
            .render_value(&raw, ctx)
            .map_err(RunError::Fatal)?;
        let Value::Array(entries) = templated else {
            return Ok(());
        };
        let interactive = std::io::stdin().is_terminal();
        for entry in entries {
            let Value::Object(fields) = entry else {
                continue;
            };
            let q = Question::new(&fields);
            if self.opts.extra_vars.contains_key(&q.name) {
                continue;
            }
            let answer = if interactive {
                Some(ask(&q))
            } else {
                self.report(Event::Warning {
                    message: "Not prompting as we are not in interactive mode".into(),
                });
                None
            };
            let mut value = match (answer, &q.default) {
                (Some(a), _) if !a.is_empty() => Value::String(a),
                (_, Some(d)) => Value::String(python_str(d)),
                (Some(a), None) => Value::String(a),
                (None, None) => Value::String("None".into()),
            };
            if let Some(scheme) = &q.encrypt {
                value = self.hash_answer(value, scheme, &q)?;
            }
            if q.unsafe_ {
                value = json!({ "__ansible_unsafe": value });
            }
            vars.insert(q.name, value);
        }
        Ok(())
    }

    /// `encrypt:` hashes the answer as the `password_hash` filter does.
    fn hash_answer(&self, value: Value, scheme: &Value, q: &Question) -> Result<Value, RunError> {
        let mut m = Map::new();
        m.insert("answer".into(), value);
        m.insert("scheme".into(), scheme.clone());
        m.insert("salt".into(), q.salt.clone().unwrap_or(Value::Null));
        m.insert(
            "salt_size".into(),
            q.salt_size.clone().unwrap_or(Value::Null),
        );
        let hctx = self
            .templating
            .context(std::sync::Arc::new(m), Vec::new(), Default::default());
        self.templating
            .eval(
                "answer | password_hash(scheme, salt=salt, salt_size=salt_size)",
                &hctx,
            )
            .map_err(RunError::Fatal)
    }
}
