//! `getent`: reads a name-service database (passwd, group, hosts, services...) with `getent`
//! and returns it as `ansible_facts.getent_<database>`, one list of fields per key.

use async_trait::async_trait;

use crate::shell::quote;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Command, Context, Map, Module, ModuleError, Plan, Value};

/// The `getent` module.
pub struct GetentModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "getent",
    fqcn: &["ansible.builtin.getent", "ansible.legacy.getent"],
    synopsis: "A wrapper to the unix getent utility.",
    description: "Runs `getent DATABASE [KEY]` and returns `ansible_facts.getent_DATABASE`: a dict from \
        each entry's first field to the list of its other fields.",
    args: &[
        ArgSpec::new("database", ArgKind::Str, "passwd, group, hosts, services, shadow...").required(),
        ArgSpec::new("key", ArgKind::Str, "One key (or several, comma-separated); all entries when omitted."),
        ArgSpec::new("split", ArgKind::Str, "Field separator (default: `:` for passwd/group/shadow/gshadow, else whitespace)."),
        ArgSpec::new("fail_key", ArgKind::Bool, "Fail when a key is missing.").default("true"),
        ArgSpec::new("service", ArgKind::Str, "Override the NSS service (`-s`)."),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[ReturnSpec { name: "ansible_facts.getent_<database>", returned: "always", doc: "Entries by key, each a list of fields." }],
    examples: "- name: Get root's passwd entry\n  ansible.builtin.getent:\n    database: passwd\n    key: root\n- ansible.builtin.debug:\n    var: ansible_facts.getent_passwd.root\n",
};

/// Splits getent's output into `{key: [fields...]}`.
pub(crate) fn parse(database: &str, split: Option<&str>, text: &str) -> Map {
    let colon = ["passwd", "shadow", "group", "gshadow"];
    let sep = split
        .map(str::to_string)
        .or_else(|| colon.contains(&database).then(|| ":".to_string()));
    let mut m = Map::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<String> = match &sep {
            Some(s) => line.split(s.as_str()).map(str::to_string).collect(),
            None => line.split_whitespace().map(str::to_string).collect(),
        };
        let Some((k, rest)) = fields.split_first() else {
            continue;
        };
        let list = Value::Array(rest.iter().map(|f| Value::from(f.as_str())).collect());
        // Duplicate keys (e.g. services over tcp and udp): Ansible keeps the first.
        if !m.contains_key(k) {
            m.insert(k.clone(), list);
        }
    }
    m
}

#[async_trait]
impl Module for GetentModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let db = args.str("database").unwrap_or_default();
        let mut cmd = String::from("getent");
        if let Some(s) = args.str("service") {
            cmd.push_str(&format!(" -s {}", quote(s)));
        }
        cmd.push_str(&format!(" {}", quote(db)));
        if let Some(k) = args.str("key") {
            for key in k.split(',') {
                cmd.push_str(&format!(" {}", quote(key.trim())));
            }
        }
        let out = ctx.host.run(Command::new(cmd)).await?;
        match out.rc {
            0 => {}
            1 => {
                return Err(ModuleError::Protocol(
                    "Missing arguments, or database unknown.".into(),
                ))
            }
            2 if args
                .get("fail_key")
                .and_then(Value::as_bool)
                .unwrap_or(true) =>
            {
                return Err(ModuleError::Protocol(
                    "One or more supplied key could not be found in the database.".into(),
                ))
            }
            2 => {}
            3 => {
                return Err(ModuleError::Protocol(
                    "Enumeration not supported on this database.".into(),
                ))
            }
            rc => {
                return Err(ModuleError::Protocol(format!(
                    "Unexpected failure! rc {rc}: {}",
                    out.stderr_str().trim()
                )))
            }
        }
        let mut entries = parse(db, args.str("split"), &out.stdout_str());
        if out.rc == 2 {
            if let Some(k) = args.str("key") {
                for key in k.split(',') {
                    entries.entry(key.trim().to_string()).or_insert(Value::Null);
                }
            }
        }
        let mut facts = Map::new();
        facts.insert(format!("getent_{db}"), Value::Object(entries));
        let mut values = Map::new();
        values.insert("ansible_facts".into(), Value::Object(facts));
        Ok(Plan::unchanged(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_ansible() {
        let m = parse("passwd", None, "root:x:0:0:root:/root:/bin/bash\n");
        assert_eq!(
            m["root"],
            serde_json::json!(["x", "0", "0", "root", "/root", "/bin/bash"])
        );
        let m = parse(
            "hosts",
            None,
            "127.0.0.1       localhost\n::1 localhost ip6-localhost\n",
        );
        assert_eq!(m["127.0.0.1"], serde_json::json!(["localhost"]));
        assert_eq!(m["::1"], serde_json::json!(["localhost", "ip6-localhost"]));
    }
}
