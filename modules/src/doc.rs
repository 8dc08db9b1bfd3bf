//! Module documentation for `rdoc`, rendered from each module's own [`ModuleSpec`], so the docs a
//! user reads can never drift from the arguments the module accepts.

use std::fmt::Write;

use crate::spec::{ArgKind, ArgSpec, ModuleSpec};

/// Ansible's name for an argument type, as ansible-doc prints it.
fn kind_name(kind: ArgKind) -> &'static str {
    match kind {
        ArgKind::Str => "str",
        ArgKind::Bool => "bool",
        ArgKind::Int => "int",
        ArgKind::Float => "float",
        ArgKind::List => "list",
        ArgKind::Dict => "dict",
        ArgKind::Path => "path",
        ArgKind::Mode => "raw",
        ArgKind::Raw => "raw",
    }
}

fn render_arg(out: &mut String, arg: &ArgSpec, free_form: Option<&str>) {
    let marker = if arg.required { "=" } else { "-" };
    let _ = writeln!(out, "{marker} {}", arg.name);
    for line in arg.doc.lines() {
        let _ = writeln!(out, "        {line}");
    }
    if free_form == Some(arg.name) {
        let _ = writeln!(
            out,
            "        (also given as the free-form text after the module name)"
        );
    }
    if !arg.aliases.is_empty() {
        let _ = writeln!(out, "        aliases: [{}]", arg.aliases.join(", "));
    }
    if !arg.choices.is_empty() {
        let _ = writeln!(out, "        choices: [{}]", arg.choices.join(", "));
    }
    if let Some(default) = arg.default {
        let _ = writeln!(out, "        default: {default}");
    }
    if let Some(el) = arg.elements {
        let _ = writeln!(out, "        elements: {}", kind_name(el));
    }
    if arg.no_log {
        let _ = writeln!(out, "        (secret: never shown in output)");
    }
    let _ = writeln!(out, "        type: {}", kind_name(arg.kind));
    out.push('\n');
}

/// The full page for one module: synopsis, description, arguments, return values, examples.
pub fn render(spec: &ModuleSpec) -> String {
    let mut out = String::new();
    let title = spec
        .fqcn
        .iter()
        .find(|n| n.starts_with("ansible.builtin.") || n.starts_with("ansible.posix."))
        .copied()
        .unwrap_or(spec.name);
    let _ = writeln!(out, "> MODULE {title} ({})\n", spec.name);
    let _ = writeln!(out, "  {}\n", spec.synopsis);
    for line in spec.description.lines() {
        let _ = writeln!(out, "  {line}");
    }
    if !spec.description.is_empty() {
        out.push('\n');
    }
    if !spec.fqcn.is_empty() {
        let _ = writeln!(out, "Also known as: {}\n", spec.fqcn.join(", "));
    }
    if spec.controller_only {
        let _ = writeln!(out, "Runs on the controller; does not contact the host.\n");
    }
    let _ = writeln!(out, "OPTIONS (= indicates it is required):\n");
    for arg in spec.args {
        render_arg(&mut out, arg, spec.free_form);
    }
    for group in spec.mutually_exclusive {
        let _ = writeln!(out, "Mutually exclusive: {}", group.join(", "));
    }
    for group in spec.required_one_of {
        let _ = writeln!(out, "One of these is required: {}", group.join(", "));
    }
    if !spec.returns.is_empty() {
        let _ = writeln!(out, "RETURN VALUES:\n");
        for ret in spec.returns {
            let _ = writeln!(out, "- {}", ret.name);
            for line in ret.doc.lines() {
                let _ = writeln!(out, "        {line}");
            }
            let _ = writeln!(out, "        returned: {}\n", ret.returned);
        }
    }
    if !spec.examples.trim().is_empty() {
        let _ = writeln!(out, "EXAMPLES:\n");
        out.push_str(spec.examples.trim_matches('\n'));
        out.push('\n');
    }
    out
}

/// One line per module: name and synopsis, sorted by name.
pub fn list(specs: &[&ModuleSpec]) -> String {
    let mut specs = specs.to_vec();
    specs.sort_by_key(|s| s.name);
    let width = specs.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for spec in specs {
        let _ = writeln!(out, "{:width$}  {}", spec.name, spec.synopsis);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry;

    #[test]
    fn every_module_page_names_each_argument_and_alias() {
        for module in registry::all() {
            let spec = module.spec();
            let page = render(spec);
            for arg in spec.args {
                assert!(
                    page.contains(&format!(" {}\n", arg.name)),
                    "{}: {}",
                    spec.name,
                    arg.name
                );
                for alias in arg.aliases {
                    assert!(page.contains(alias), "{}: alias {alias}", spec.name);
                }
            }
        }
    }

    #[test]
    fn list_has_one_sorted_line_per_module() {
        let specs: Vec<&ModuleSpec> = registry::all().iter().map(|m| m.spec()).collect();
        let text = list(&specs);
        let names: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), specs.len());
    }
}
