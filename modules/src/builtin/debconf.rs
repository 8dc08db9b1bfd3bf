//! `debconf`: pre-seeds (or reads) a Debian package's debconf answers. The plan reads the
//! package's answers with `debconf-show` (and a password answer with `debconf-get-selections`)
//! in one probe and compares them the way the Ansible module does; applying feeds the one line
//! to `debconf-set-selections` on stdin, so a password never appears in a command line.

use async_trait::async_trait;

use crate::shell::{quote, ProbeScript};
use crate::spec::{value_to_string, ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Change, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `debconf` module.
pub struct DebconfModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "debconf",
    fqcn: &["ansible.builtin.debconf", "ansible.legacy.debconf"],
    synopsis: "Configure a .deb package.",
    description: "Sets one debconf answer of a package with `debconf-set-selections`, or, without \
        `question`, returns the package's answers as `current`. It does not reconfigure the package.",
    args: &[
        ArgSpec::new("name", ArgKind::Str, "The package.").required().aliases(&["pkg"]),
        ArgSpec::new("question", ArgKind::Str, "The debconf question.").aliases(&["selection", "setting"]),
        ArgSpec::new("vtype", ArgKind::Str, "The answer's type.").choices(&[
            "boolean", "error", "multiselect", "note", "password", "seen", "select", "string", "text", "title",
        ]),
        ArgSpec::new("value", ArgKind::Raw, "The answer (a list for `multiselect`).").aliases(&["answer"]),
        ArgSpec::new("unseen", ArgKind::Bool, "Do not mark the question as seen.").default("false"),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "current", returned: "always", doc: "The answer set, or all the package's answers when nothing changed." },
        ReturnSpec { name: "previous", returned: "changed", doc: "The answer before." },
        ReturnSpec { name: "msg", returned: "always", doc: "Output of debconf-set-selections." },
    ],
    examples: "- name: Default locale\n  ansible.builtin.debconf:\n    name: locales\n    question: locales/default_environment_locale\n    value: fr_FR.UTF-8\n    vtype: select\n",
};

/// `debconf-show` output: question → answer (the `*` of seen questions dropped).
fn parse_show(text: &str) -> Map {
    let mut m = Map::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once(':') {
            m.insert(
                k.trim().trim_matches('*').trim().to_string(),
                Value::String(v.trim().to_string()),
            );
        }
    }
    m
}

/// A password answer from `debconf-get-selections` lines (tab-separated: package, question,
/// type, value); empty when none is stored.
fn password_in(selections: &str, pkg: &str, question: &str, vtype: &str) -> String {
    for line in selections.split('\n') {
        if !line.starts_with(pkg) {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() <= 3 {
            return String::new();
        }
        if fields[1] == question && fields[2] == vtype {
            return fields[3].to_string();
        }
    }
    String::new()
}

/// The asked answer, checked against the package's answers on the host.
struct Assessment {
    /// The package's answers (`debconf-show`).
    prev: Map,
    /// The question, when one is asked and its answer differs.
    change: Option<Answer>,
}

/// An answer to set.
struct Answer {
    question: String,
    vtype: String,
    /// As the module holds it: booleans lowercased; a multiselect list sorted when the question
    /// had an answer already (as Ansible compares it), else in the given order.
    value: Value,
}

impl Answer {
    /// The answer as `debconf-set-selections` reads it (a list joined with `, `).
    fn text(&self) -> String {
        match &self.value {
            Value::Array(items) => items
                .iter()
                .map(value_to_string)
                .collect::<Vec<_>>()
                .join(", "),
            v => value_to_string(v),
        }
    }
}

/// Reads the package's answers (one probe) and compares the asked one as Ansible does.
async fn assess(args: &Args, ctx: &Context<'_>) -> Result<Result<Assessment, String>, ModuleError> {
    let given = ["question", "vtype", "value"].map(|k| args.get(k).is_some());
    if given.iter().any(|g| *g) && !given.iter().all(|g| *g) {
        return Err(ModuleError::Args(
            "parameters are required together: question, vtype, value".into(),
        ));
    }
    let pkg = args.str("name").unwrap_or_default();
    let vtype = args.str("vtype").unwrap_or_default().to_string();
    let mut p = ProbeScript::new();
    p.section("show", &format!("debconf-show {} 2>&1", quote(pkg)));
    if vtype == "password" {
        p.section("selections", "debconf-get-selections 2>/dev/null");
    }
    let out = ctx.host.run(Command::new(p.script())).await?;
    let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
    let show = s.get("show").map_err(ModuleError::Protocol)?;
    if show.rc != 0 {
        return Ok(Err(show.text()));
    }
    let prev = parse_show(&show.text());
    let Some(question) = args.str("question").map(str::to_string) else {
        return Ok(Ok(Assessment { prev, change: None }));
    };
    let mut value = args.get("value").cloned().unwrap_or(Value::Null);
    if vtype == "boolean" {
        value = Value::String(value_to_string(&value).to_lowercase());
    }
    let sorted = |items: Vec<String>| {
        let mut items = items;
        items.sort();
        Value::Array(items.into_iter().map(Value::String).collect())
    };
    let differs = match prev.get(&question) {
        None => true,
        Some(v) => {
            let text = value_to_string(v);
            let existing = match vtype.as_str() {
                "boolean" => Value::String(text.to_lowercase()),
                "password" => {
                    let all = s.get("selections").map(|x| x.text()).unwrap_or_default();
                    Value::String(password_in(&all, pkg, &question, &vtype))
                }
                "multiselect" if value.is_array() => {
                    let items = value.as_array().cloned().unwrap_or_default();
                    value = sorted(items.iter().map(value_to_string).collect());
                    sorted(text.split(',').map(|i| i.trim().to_string()).collect())
                }
                _ => Value::String(text),
            };
            existing != value
        }
    };
    let change = differs.then_some(Answer {
        question,
        vtype,
        value,
    });
    Ok(Ok(Assessment { prev, change }))
}

#[async_trait]
impl Module for DebconfModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let a = match assess(args, ctx).await? {
            Ok(a) => a,
            Err(msg) => return Ok(Plan::failed(msg, Map::new())),
        };
        let mut plan = Plan::default();
        plan.values.insert("msg".into(), "".into());
        let Some(answer) = a.change else {
            plan.values.insert("current".into(), Value::Object(a.prev));
            return Ok(plan);
        };
        // `previous`: the question's old answer; for a new question, all the package's answers
        // and the question with an empty one. The diff goes from it to it with the new answer.
        let previous = match a.prev.get(&answer.question) {
            Some(old) => Map::from_iter([(answer.question.clone(), old.clone())]),
            None => {
                let mut all = a.prev.clone();
                all.insert(answer.question.clone(), "".into());
                all
            }
        };
        for (k, old) in &previous {
            let new = if *k == answer.question {
                answer.value.clone()
            } else {
                old.clone()
            };
            plan.changes.push(Change::new(k.clone(), old.clone(), new));
        }
        let current = Map::from_iter([(answer.question.clone(), answer.value.clone())]);
        plan.values.insert("current".into(), Value::Object(current));
        plan.values
            .insert("previous".into(), Value::Object(previous));
        Ok(plan)
    }

    async fn apply(
        &self,
        args: &Args,
        mut plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let answer = match assess(args, ctx).await? {
            Ok(Assessment {
                change: Some(answer),
                ..
            }) => answer,
            Ok(_) => return Err(ModuleError::Failed(
                "the debconf answer changed on the host between planning and applying; run again"
                    .into(),
            )),
            Err(msg) => return Ok(Outcome::failed(msg)),
        };
        let pkg = args.str("name").unwrap_or_default();
        let line = format!(
            "{pkg} {} {} {}",
            answer.question,
            answer.vtype,
            answer.text()
        );
        let unseen = if args.bool("unseen") { " -u" } else { "" };
        let mut cmd = Command::new(format!("debconf-set-selections{unseen}"));
        cmd.stdin = Some(line.into_bytes());
        let out = ctx.host.run(cmd).await?;
        if out.rc != 0 {
            return Ok(Outcome::failed(out.stderr_str()));
        }
        plan.values.insert("msg".into(), out.stdout_str().into());
        // A real run stores (and reports) a multiselect list as its joined text.
        let set = Value::String(answer.text());
        if answer.value.is_array() {
            let current = Map::from_iter([(answer.question.clone(), set.clone())]);
            plan.values.insert("current".into(), Value::Object(current));
            for c in plan
                .changes
                .iter_mut()
                .filter(|c| c.field == answer.question)
            {
                c.after = set.clone();
            }
        }
        Ok(Outcome::applied(plan))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_and_password_parsing() {
        let m = parse_show("* tzdata/Areas: Etc\n  tzdata/Zones/US:\n");
        assert_eq!(m["tzdata/Areas"], "Etc");
        assert_eq!(m["tzdata/Zones/US"], "");
        let sel = "tripwire\ttripwire/site-passphrase\tpassword\ts3cret\nother\tq\tstring\tx\n";
        assert_eq!(
            password_in(sel, "tripwire", "tripwire/site-passphrase", "password"),
            "s3cret"
        );
        assert_eq!(
            password_in("tripwire\tq\tpassword", "tripwire", "q", "password"),
            ""
        );
    }
}
