//! `package_facts`: installed packages as `ansible_facts.packages` (`{name: [{name, version,
//! arch, source, ...}]}`), read with one `dpkg-query` (apt) or `rpm -qa` (rpm) run.

use async_trait::async_trait;

use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Command, Context, Map, Module, ModuleError, Plan, Value};

/// The `package_facts` module.
pub struct PackageFactsModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "package_facts",
    fqcn: &["ansible.builtin.package_facts", "ansible.legacy.package_facts"],
    synopsis: "Package information as facts.",
    description: "Returns the installed packages of the host's package manager (apt/dpkg or rpm).",
    args: &[
        ArgSpec::new("manager", ArgKind::List, "Managers to ask: auto, apt, rpm.").default("[\"auto\"]").elements(ArgKind::Str),
        ArgSpec::new("strategy", ArgKind::Str, "first or all.").default("\"first\"").choices(&["first", "all"]),
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: &[ReturnSpec { name: "ansible_facts.packages", returned: "always", doc: "Packages by name, each a list of installed instances." }],
    examples: "- ansible.builtin.package_facts:\n- ansible.builtin.debug:\n    msg: nginx is installed\n  when: \"'nginx' in ansible_facts.packages\"\n",
};

/// Parses `name<TAB>version<TAB>arch<TAB>status<TAB>section` (dpkg) lines.
pub(crate) fn parse_dpkg(text: &str) -> Map {
    let mut m = Map::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 4 || f[3].chars().nth(1) != Some('i') {
            continue;
        }
        let mut p = Map::new();
        p.insert("name".into(), Value::from(f[0]));
        p.insert("version".into(), Value::from(f[1]));
        p.insert("arch".into(), Value::from(f[2]));
        p.insert(
            "category".into(),
            Value::from(f.get(4).copied().unwrap_or_default()),
        );
        p.insert("origin".into(), Value::from(""));
        p.insert("source".into(), Value::from("apt"));
        push(&mut m, f[0], p);
    }
    m
}

/// Parses `name<TAB>epoch<TAB>version<TAB>release<TAB>arch` (rpm) lines.
pub(crate) fn parse_rpm(text: &str) -> Map {
    let mut m = Map::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 5 {
            continue;
        }
        let mut p = Map::new();
        p.insert("name".into(), Value::from(f[0]));
        p.insert(
            "epoch".into(),
            f[1].parse::<i64>().map(Value::from).unwrap_or(Value::Null),
        );
        p.insert("version".into(), Value::from(f[2]));
        p.insert("release".into(), Value::from(f[3]));
        p.insert("arch".into(), Value::from(f[4]));
        p.insert("source".into(), Value::from("rpm"));
        push(&mut m, f[0], p);
    }
    m
}

fn push(m: &mut Map, name: &str, p: Map) {
    match m.get_mut(name) {
        Some(Value::Array(a)) => a.push(Value::Object(p)),
        _ => {
            m.insert(name.to_string(), Value::Array(vec![Value::Object(p)]));
        }
    }
}

#[async_trait]
impl Module for PackageFactsModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let managers = args.str_list("manager");
        let want = |m: &str| managers.iter().any(|x| x == m || x == "auto");
        let mut script = String::from("export LANG=C LC_ALL=C\n");
        if want("apt") || want("dpkg") {
            script.push_str("if command -v dpkg-query >/dev/null 2>&1; then echo ::apt::; dpkg-query -W -f '${Package}\\t${Version}\\t${Architecture}\\t${db:Status-Abbrev}\\t${Section}\\n'; fi\n");
        }
        if want("rpm") {
            script.push_str("if command -v rpm >/dev/null 2>&1 && ! command -v dpkg-query >/dev/null 2>&1; then echo ::rpm::; rpm -qa --qf '%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n'; fi\n");
        }
        script.push_str("true\n");
        let out = ctx.host.run(Command::new(script)).await?;
        let text = out.stdout_str();
        let mut packages = Map::new();
        if let Some(rest) = text.split_once("::apt::\n").map(|(_, r)| r) {
            packages = parse_dpkg(rest.split("::rpm::").next().unwrap_or(rest));
        } else if let Some(rest) = text.split_once("::rpm::\n").map(|(_, r)| r) {
            packages = parse_rpm(rest);
        }
        if packages.is_empty() && !text.contains("::") {
            return Err(ModuleError::Protocol(format!(
                "Could not detect a supported package manager from the following list: {:?}, or the required Python library is not installed.",
                managers
            )));
        }
        let mut facts = Map::new();
        facts.insert("packages".into(), Value::Object(packages));
        let mut values = Map::new();
        values.insert("ansible_facts".into(), Value::Object(facts));
        Ok(Plan::unchanged(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dpkg_and_rpm() {
        let m = parse_dpkg("bash\t5.2.15-2+b7\tamd64\tii \tshells\nold\t1\tall\trc \tmisc\n");
        assert_eq!(m["bash"][0]["version"], "5.2.15-2+b7");
        assert_eq!(m["bash"][0]["source"], "apt");
        assert!(m.get("old").is_none());
        let m =
            parse_rpm("kernel\t0\t5.14.0\t362.el9\tx86_64\nkernel\t0\t5.14.0\t70.el9\tx86_64\n");
        assert_eq!(m["kernel"].as_array().unwrap().len(), 2);
    }
}
