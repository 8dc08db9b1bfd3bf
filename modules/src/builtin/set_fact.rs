//! `set_fact`: sets host variables from the task's arguments (values keep their types). Runs on
//! the controller; the engine stores the returned `ansible_facts`.

use async_trait::async_trait;

use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec, ANY_ARG};
use crate::{Args, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `set_fact` module.
pub struct SetFactModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "set_fact",
    fqcn: &["ansible.builtin.set_fact", "ansible.legacy.set_fact"],
    synopsis: "Set host variables.",
    description: "Every argument except `cacheable` becomes a host variable with the given value.",
    args: &[
        ArgSpec::new("cacheable", ArgKind::Bool, "Also store the facts in the fact cache.").default("false"),
        ArgSpec::new(ANY_ARG, ArgKind::Raw, "Any variable name, with its value."),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: true,
    returns: &[ReturnSpec { name: "ansible_facts", returned: "always", doc: "The variables set." }],
    examples: "- ansible.builtin.set_fact:\n    app_port: 8080\n    app_url: \"http://{{ inventory_hostname }}:8080\"\n",
};

/// Whether `name` can be a variable name.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn result(args: &Args) -> Result<Map, ModuleError> {
    let mut facts = Map::new();
    for (k, v) in &args.0 {
        if k == "cacheable" {
            continue;
        }
        if !valid_name(k) {
            return Err(ModuleError::Failed(format!(
                "The variable name '{k}' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores."
            )));
        }
        facts.insert(k.clone(), v.clone());
    }
    if facts.is_empty() {
        return Err(ModuleError::Failed(
            "No key/value pairs provided, at least one is required for this action to succeed"
                .into(),
        ));
    }
    let mut m = Map::new();
    m.insert("ansible_facts".into(), Value::Object(facts));
    if args.bool("cacheable") {
        m.insert("_ansible_facts_cacheable".into(), Value::Bool(true));
    }
    Ok(m)
}

#[async_trait]
impl Module for SetFactModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, _ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        Ok(Plan::unchanged(result(args)?))
    }

    async fn apply(
        &self,
        args: &Args,
        _plan: Plan,
        _ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        Ok(Outcome::ok(result(args)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn any_name_with_types_kept() {
        let args = SPEC
            .validate(
                json!({"a": 1, "b": "yes", "cacheable": "true"})
                    .as_object()
                    .unwrap(),
            )
            .unwrap();
        let m = result(&args).unwrap();
        assert_eq!(m["ansible_facts"], json!({"a": 1, "b": "yes"}));
        assert_eq!(m["_ansible_facts_cacheable"], json!(true));
        let bad = SPEC
            .validate(json!({"1x": 1}).as_object().unwrap())
            .unwrap();
        assert!(result(&bad).is_err());
    }
}
