//! `setup` (and the implicit `gather_facts`): gathers facts about the host in one round trip
//! (see `crate::facts`) and returns them under `ansible_facts`, with `gather_subset` and
//! `filter` as Ansible has them.

use async_trait::async_trait;

use crate::facts;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Context, Map, Module, ModuleError, Plan, Value};

/// The `setup` module.
pub struct SetupModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "setup",
    fqcn: &["ansible.builtin.setup", "ansible.legacy.setup", "gather_facts", "ansible.builtin.gather_facts"],
    synopsis: "Gathers facts about remote hosts.",
    description: "Collects OS, hardware, network and virtualization facts with one POSIX shell script \
        and returns them as `ansible_facts`; `gather_subset` picks collectors, `filter` picks facts.",
    args: &[
        ArgSpec::new("gather_subset", ArgKind::List, "Collectors: all, min, hardware, network, virtual, or names; `!x` excludes.")
            .default("[\"all\"]")
            .elements(ArgKind::Str),
        ArgSpec::new("gather_timeout", ArgKind::Int, "Seconds allowed per collector.").default("10"),
        ArgSpec::new("filter", ArgKind::List, "Shell-style patterns of fact names to return.").default("[]").elements(ArgKind::Str),
        ArgSpec::new("fact_path", ArgKind::Path, "Directory of local `*.fact` files.").default("\"/etc/ansible/facts.d\""),
        ArgSpec::new("parallel", ArgKind::Bool, "Accepted for compatibility (facts are one script)."),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[ReturnSpec { name: "ansible_facts", returned: "always", doc: "The facts, keyed `ansible_<name>`, plus gather_subset and module_setup." }],
    examples: "- name: Only the distribution facts\n  ansible.builtin.setup:\n    gather_subset: ['!all', '!min', distribution]\n\n\
        - ansible.builtin.setup:\n    filter: ['ansible_distribution*', 'ansible_default_ipv4']\n",
};

#[async_trait]
impl Module for SetupModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let subset = args.str_list("gather_subset");
        let collectors = facts::resolve_subset(&subset).map_err(ModuleError::Args)?;
        let fact_path = args.str("fact_path").unwrap_or("/etc/ansible/facts.d");
        let gathered = facts::gather(ctx.host, &collectors, fact_path).await?;
        let filter = args.str_list("filter");
        let mut f = facts::prefixed(gathered, &filter);
        // Ansible filters these two like any fact: `filter=ansible_os*` leaves them out.
        let kept = |name: &str| filter.is_empty() || filter.iter().any(|p| facts::fnmatch(p, name));
        let shown: Vec<Value> = if subset.is_empty() {
            vec![Value::from("all")]
        } else {
            subset.into_iter().map(Value::from).collect()
        };
        if kept("gather_subset") {
            f.insert("gather_subset".into(), Value::Array(shown));
        }
        if kept("module_setup") {
            f.insert("module_setup".into(), Value::Bool(true));
        }
        let mut values = Map::new();
        values.insert("ansible_facts".into(), Value::Object(f));
        Ok(Plan::unchanged(values))
    }
}
