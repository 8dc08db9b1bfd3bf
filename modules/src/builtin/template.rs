//! `template`: renders a Jinja2 template on the controller (with the task's variables, through the
//! engine's renderer) and writes the result like `copy` does: SHA-1 compare, backup, validate,
//! attributes, `--diff` of the rendered text.

use async_trait::async_trait;

use super::copy::{apply_write, plan_write, Source, WriteSpec, WRITE_RETURNS};
use super::file::{
    ARG_ATTRIBUTES, ARG_GROUP, ARG_MODE, ARG_OWNER, ARG_SELEVEL, ARG_SEROLE, ARG_SETYPE,
    ARG_SEUSER, ARG_UNSAFE,
};
use crate::fileattr::WantedAttrs;
use crate::spec::{ArgKind, ArgSpec, ModuleSpec};
use crate::{Args, Context, Module, ModuleError, Outcome, Plan};

/// The `template` module.
pub struct TemplateModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "template",
    fqcn: &["ansible.builtin.template", "ansible.legacy.template"],
    synopsis: "Render a Jinja2 template on the controller and write it to the host.",
    description: "`src` is looked up in `templates/` of the role, then beside the playbook. The rendered \
        text is compared by SHA-1 with `dest` and only sent when different; then owner, group and mode \
        are set.",
    args: &[
        ArgSpec::new("src", ArgKind::Path, "The template on the controller.").required(),
        ArgSpec::new("dest", ArgKind::Path, "Where to write on the host.").required(),
        ArgSpec::new("backup", ArgKind::Bool, "Keep a timestamped copy of the old file.").default("false"),
        ArgSpec::new("force", ArgKind::Bool, "Replace a different file (false: only create).").default("true"),
        ArgSpec::new("validate", ArgKind::Str, "Command checking the new file (`%s` is its path)."),
        ArgSpec::new("follow", ArgKind::Bool, "Follow links in dest.").default("false"),
        ArgSpec::new("newline_sequence", ArgKind::Str, "Line ending of the result.")
            .default("\"\\n\"")
            .choices(&["\n", "\r", "\r\n"]),
        ArgSpec::new("trim_blocks", ArgKind::Bool, "Remove the first newline after a block tag.").default("true"),
        ArgSpec::new("lstrip_blocks", ArgKind::Bool, "Strip whitespace before a block tag.").default("false"),
        ArgSpec::new("output_encoding", ArgKind::Str, "Encoding of the result.").default("\"utf-8\""),
        ArgSpec::new("block_start_string", ArgKind::Str, "Block start marker.").default("\"{%\""),
        ArgSpec::new("block_end_string", ArgKind::Str, "Block end marker.").default("\"%}\""),
        ArgSpec::new("variable_start_string", ArgKind::Str, "Variable start marker.").default("\"{{\""),
        ArgSpec::new("variable_end_string", ArgKind::Str, "Variable end marker.").default("\"}}\""),
        ArgSpec::new("comment_start_string", ArgKind::Str, "Comment start marker."),
        ArgSpec::new("comment_end_string", ArgKind::Str, "Comment end marker."),
        ARG_MODE,
        ARG_OWNER,
        ARG_GROUP,
        ARG_SEUSER,
        ARG_SEROLE,
        ARG_SETYPE,
        ARG_SELEVEL,
        ARG_ATTRIBUTES,
        ARG_UNSAFE,
    ],
    free_form: None,
    mutually_exclusive: &[],
    required_one_of: &[],
    controller_only: false,
    returns: WRITE_RETURNS,
    examples: "- name: nginx site\n  ansible.builtin.template:\n    src: site.conf.j2\n    dest: /etc/nginx/sites-enabled/site.conf\n    mode: \"0644\"\n    validate: nginx -t -c %s\n  notify: reload nginx\n",
};

fn write_spec(args: &Args, ctx: &Context<'_>) -> Result<WriteSpec, ModuleError> {
    let src = args.str("src").unwrap_or_default();
    let path = ctx
        .controller
        .find_file("templates", src)
        .map_err(ModuleError::Raised)?;
    let mut text = ctx.controller.render_template(&path).map_err(|e| {
        ModuleError::Failed(format!(
            "AnsibleError: template error while templating string: {e}"
        ))
    })?;
    let nl = args.str("newline_sequence").unwrap_or("\n");
    if nl != "\n" {
        text = text.replace('\n', nl);
    }
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(&path)
            .ok()
            .map(|m| m.permissions().mode() & 0o7777)
    };
    let dest = args.str("dest").unwrap_or_default().to_string();
    let label = path.to_string_lossy().into_owned();
    let base = src.rsplit('/').next().unwrap_or(src);
    let base = base.to_string();
    Ok(WriteSpec {
        dest,
        basename: Some(base),
        source: Source::Bytes(text.into_bytes()),
        src_label: Some(label.clone()),
        after_header: label,
        force: args.bool("force"),
        backup: args.bool("backup"),
        validate: args.str("validate").map(str::to_string),
        wanted: WantedAttrs::from_args(args).map_err(ModuleError::Args)?,
        source_mode: mode,
    })
}

#[async_trait]
impl Module for TemplateModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    /// Like Ansible's `template` action, which does not support async.
    fn supports_async(&self) -> bool {
        false
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        plan_write(&write_spec(args, ctx)?, ctx).await
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        apply_write(&write_spec(args, ctx)?, plan, ctx).await
    }
}
