//! `git` (ansible.builtin.git): a checkout of a git repository at a branch, tag or commit, made
//! and updated with the host's own `git`. One probe reads the checkout (HEAD, local
//! modifications, remote URL, HEAD's branch, submodules) and asks the remote for its refs with
//! one `git ls-remote`, as Ansible's check mode does; the plan compares the SHA the task wants with
//! the one checked out. `apply` runs Ansible's sequence (clone, or reset/set-url/fetch, then the
//! checkout of the version and the submodule update) in one script and reports the SHA reached.

use async_trait::async_trait;

use crate::shell::{quote, ProbeScript, Sections};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Change, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `git` module.
pub struct GitModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "git",
    fqcn: &["ansible.builtin.git", "ansible.legacy.git"],
    synopsis: "Deploy software (or files) from git checkouts.",
    description: "Clones `repo` into `dest` and keeps it at `version` (a branch, a tag, a commit SHA \
        or `HEAD`, the remote's default branch). Local modifications fail the task unless `force`. \
        `archive`, `separate_git_dir` and `verify_commit` are not supported.",
    args: &[
        ArgSpec::new("repo", ArgKind::Str, "git, SSH, or HTTP(S) address of the repository.").required().aliases(&["name"]),
        ArgSpec::new("dest", ArgKind::Path, "Where the repository is checked out (required unless `clone: false`)."),
        ArgSpec::new("version", ArgKind::Str, "`HEAD`, a branch, a tag or a commit SHA.").default("\"HEAD\""),
        ArgSpec::new("remote", ArgKind::Str, "Name of the remote.").default("\"origin\""),
        ArgSpec::new("refspec", ArgKind::Str, "An additional refspec to fetch."),
        ArgSpec::new("reference", ArgKind::Str, "Reference repository (`git clone --reference`)."),
        ArgSpec::new("force", ArgKind::Bool, "Discard local modifications of tracked files.").default("false"),
        ArgSpec::new("depth", ArgKind::Int, "Shallow clone with this many revisions."),
        ArgSpec::new("clone", ArgKind::Bool, "Clone when the repository is not there.").default("true"),
        ArgSpec::new("update", ArgKind::Bool, "Fetch new revisions from the remote.").default("true"),
        ArgSpec::new("verify_commit", ArgKind::Bool, "Verify GPG signatures (not supported).").default("false"),
        ArgSpec::new("gpg_allowlist", ArgKind::List, "Trusted GPG fingerprints (with `verify_commit`).").elements(ArgKind::Str).default("[]").aliases(&["gpg_whitelist"]),
        ArgSpec::new("accept_hostkey", ArgKind::Bool, "Add `-o StrictHostKeyChecking=no` to ssh's options.").default("false"),
        ArgSpec::new("accept_newhostkey", ArgKind::Bool, "Add `-o StrictHostKeyChecking=accept-new` to ssh's options.").default("false"),
        ArgSpec::new("key_file", ArgKind::Path, "Private key on the host for ssh."),
        ArgSpec::new("ssh_opts", ArgKind::Str, "Options for ssh (through `GIT_SSH_COMMAND`)."),
        ArgSpec::new("executable", ArgKind::Path, "The git program to run."),
        ArgSpec::new("bare", ArgKind::Bool, "Make a bare repository.").default("false"),
        ArgSpec::new("umask", ArgKind::Raw, "umask (a quoted octal string) for every git command."),
        ArgSpec::new("recursive", ArgKind::Bool, "Clone and update submodules.").default("true"),
        ArgSpec::new("single_branch", ArgKind::Bool, "Clone only the history of `version`.").default("false"),
        ArgSpec::new("track_submodules", ArgKind::Bool, "Submodules follow their remote's master branch.").default("false"),
        ArgSpec::new("archive", ArgKind::Path, "Archive file to create (not supported)."),
        ArgSpec::new("archive_prefix", ArgKind::Str, "Prefix of the archive's paths (not supported)."),
        ArgSpec::new("separate_git_dir", ArgKind::Path, "Separate git directory (not supported)."),
    ],
    free_form: None,
    mutually_exclusive: &[&["separate_git_dir", "bare"], &["accept_hostkey", "accept_newhostkey"]],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "before", returned: "success", doc: "The commit checked out before the task, null for a new clone." },
        ReturnSpec { name: "after", returned: "success", doc: "The commit checked out after the task (in check mode: the remote's)." },
        ReturnSpec { name: "remote_url_changed", returned: "an existing checkout was updated", doc: "Whether the remote's URL was changed." },
        ReturnSpec { name: "warnings", returned: "when any", doc: "e.g. a `depth` that was ignored." },
    ],
    examples: "- name: Check out the release branch\n  ansible.builtin.git:\n    repo: https://example.com/app.git\n    dest: /srv/app\n    version: release-1.2\n",
};

/// The task's arguments with Ansible's defaults and derived values.
#[derive(Debug, Clone)]
struct Want {
    repo: String,
    dest: Option<String>,
    version: String,
    remote: String,
    refspec: Option<String>,
    reference: Option<String>,
    force: bool,
    depth: Option<i64>,
    clone: bool,
    update: bool,
    bare: bool,
    recursive: bool,
    single_branch: bool,
    track_submodules: bool,
    git: Option<String>,
    umask: Option<u32>,
    ssh_command_opts: String,
}

impl Want {
    fn from(args: &Args) -> Result<Want, ModuleError> {
        for (arg, what) in [
            ("archive", "archive"),
            ("separate_git_dir", "separate_git_dir"),
        ] {
            if args.get(arg).is_some() {
                return Err(ModuleError::Args(format!(
                    "git: {what} is not supported by rplay"
                )));
            }
        }
        if args.get("archive_prefix").is_some() {
            return Err(ModuleError::Args(
                "missing parameter(s) required by 'archive_prefix': archive".into(),
            ));
        }
        if args.bool("verify_commit") {
            return Err(ModuleError::Args(
                "git: verify_commit is not supported by rplay".into(),
            ));
        }
        let umask = match args.get("umask") {
            None => None,
            Some(Value::String(s)) => Some(
                parse_umask(s)
                    .ok_or_else(|| ModuleError::Failed("umask must be an octal integer".into()))?,
            ),
            Some(_) => {
                return Err(ModuleError::Failed(
                    "umask must be defined as a quoted octal integer".into(),
                ))
            }
        };
        let clone = args.bool("clone");
        let dest = args.str("dest").map(str::to_string);
        if dest.is_none() && clone {
            return Err(ModuleError::Failed(
                "the destination directory must be specified unless clone=no".into(),
            ));
        }
        Ok(Want {
            repo: args.str("repo").unwrap_or_default().to_string(),
            dest,
            version: args.str("version").unwrap_or("HEAD").to_string(),
            remote: args.str("remote").unwrap_or("origin").to_string(),
            refspec: args.str("refspec").map(str::to_string),
            reference: args.str("reference").map(str::to_string),
            force: args.bool("force"),
            depth: args.int("depth").filter(|d| *d != 0),
            clone,
            update: args.bool("update"),
            bare: args.bool("bare"),
            recursive: args.bool("recursive"),
            single_branch: args.bool("single_branch"),
            track_submodules: args.bool("track_submodules"),
            git: args.str("executable").map(str::to_string),
            umask,
            ssh_command_opts: ssh_opts(
                args.str("ssh_opts"),
                args.bool("accept_hostkey"),
                args.bool("accept_newhostkey"),
                args.str("key_file"),
            ),
        })
    }
}

/// An octal umask as Ansible reads it (`int(s, 8)`: an optional `0o` prefix, underscores between
/// digits).
fn parse_umask(s: &str) -> Option<u32> {
    let t = s.trim();
    let t = t
        .strip_prefix("0o")
        .or_else(|| t.strip_prefix("0O"))
        .unwrap_or(t);
    if t.is_empty() || t.starts_with('_') || t.ends_with('_') || t.contains("__") {
        return None;
    }
    u32::from_str_radix(&t.replace('_', ""), 8).ok()
}

/// The options appended to ssh's command line (`GIT_SSH_COMMAND`), built as Ansible builds them:
/// host key acceptance, `BatchMode=yes` always, and the key file with `IdentitiesOnly=yes`.
fn ssh_opts(
    given: Option<&str>,
    accept_hostkey: bool,
    accept_newhostkey: bool,
    key_file: Option<&str>,
) -> String {
    let strict = |o: &str| {
        o.contains("-o StrictHostKeyChecking=no")
            || o.contains("-o StrictHostKeyChecking=accept-new")
    };
    let mut opts = given.map(str::to_string);
    for (on, value) in [
        (accept_hostkey, "-o StrictHostKeyChecking=no"),
        (accept_newhostkey, "-o StrictHostKeyChecking=accept-new"),
    ] {
        if on {
            opts = Some(match opts {
                Some(o) if strict(&o) => o,
                Some(o) => format!("{o} {value}"),
                None => value.to_string(),
            });
        }
    }
    let mut s = opts.map(|o| format!(" {o}")).unwrap_or_default();
    if accept_hostkey && !s.contains("StrictHostKeyChecking=no") {
        s.push_str(" -o StrictHostKeyChecking=no");
    }
    if !s.contains("BatchMode=yes") {
        s.push_str(" -o BatchMode=yes");
    }
    if let Some(k) = key_file {
        let key = format!("-i {k}");
        if !s.contains(&key) {
            s.push_str(&format!("  {key}"));
        }
        if !s.contains("IdentitiesOnly=yes") {
            s.push_str(" -o IdentitiesOnly=yes");
        }
    }
    s
}

/// Shell code setting the variables and functions the probe and the apply script share: `G`
/// (git), `D` (dest, absolute), `R` (repo, `file://` for a local path), `RM` (remote), `V`
/// (version), `RP` (the git directory), `BADGIT`, and `head_branch`, which sets `HB` (and
/// `HBSET=1`) to the branch HEAD follows the way Ansible's `get_head_branch` finds it.
fn prelude(w: &Want) -> String {
    let mut s = String::new();
    s.push_str("export LANG=C LC_ALL=C LC_MESSAGES=C LC_CTYPE=C LANGUAGE=C\n");
    s.push_str(&format!(
        "GIT_SSH_COMMAND=\"${{GIT_SSH:-${{GIT_SSH_COMMAND:-ssh}}}} \"{}; export GIT_SSH_COMMAND\n",
        quote(&w.ssh_command_opts)
    ));
    if let Some(m) = w.umask {
        s.push_str(&format!("umask {m:o}\n"));
    }
    s.push_str(&format!(
        "G={}; D={}; R={}; RM={}; V={}; BARE={}\n",
        quote(w.git.as_deref().unwrap_or("")),
        quote(w.dest.as_deref().unwrap_or("")),
        quote(&w.repo),
        quote(&w.remote),
        quote(&w.version),
        u8::from(w.bare),
    ));
    s.push_str(
        r#"case $G in '') G=$(command -v git 2>/dev/null || for d in /sbin /usr/sbin /usr/local/sbin; do [ -x "$d/git" ] && echo "$d/git" && break; done);; esac
case $R in "~") R="file://$HOME";; "~/"*) R="file://$HOME/${R#"~/"}";; /*) R="file://$R";; esac
if [ -n "$D" ]; then
  case $D in "~") D=$HOME;; "~/"*) D="$HOME/${D#"~/"}";; esac
  case $D in /*) ;; *) D="$PWD/$D";; esac
  while :; do case $D in /) break;; */) D=${D%/};; *) break;; esac; done
fi
BADGIT=0
if [ "$BARE" = 1 ]; then RP=$D; else RP=$D/.git; fi
if [ -n "$D" ] && [ -f "$RP" ]; then
  l=$(cat -- "$RP")
  case $l in
    "gitdir: "*) g=${l#"gitdir: "}; case $g in /*) RP=$g;; *) RP=$D/$g;; esac; [ -d "$RP" ] || BADGIT=1;;
    *) BADGIT=1;;
  esac
fi
head_branch() {
  hf=$RP/HEAD; HB=; HBSET=0
  if "$G" branch --no-color -a 2>/dev/null | grep -Eq '^\* .*(no branch|detached from|detached at)'; then hf=$RP/refs/remotes/$RM/HEAD; fi
  [ -f "$hf" ] || return 0
  l=; IFS= read -r l < "$hf"
  [ -n "$l" ] || return 0
  case $l in *"refs/remotes/$RM"*) l="${l%%"refs/remotes/$RM"*}${l#*"refs/remotes/$RM"}";; esac
  l=${l##* }
  case $l in */*/*) l=${l#*/}; l=${l#*/};; */*) l=${l#*/};; esac
  HB=$l; HBSET=1
}
"#,
    );
    s
}

/// One ref of `git ls-remote`'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RemoteRef {
    sha: String,
    name: String,
}

fn parse_ls_remote(text: &str) -> Vec<RemoteRef> {
    text.lines()
        .filter_map(|l| {
            let (sha, name) = l.split_once('\t')?;
            Some(RemoteRef {
                sha: sha.trim().to_string(),
                name: name.trim().to_string(),
            })
        })
        .collect()
}

/// What `version` names on the remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Head,
    Branch,
    Tag,
    /// A commit SHA (or anything else): used as it is.
    Other,
}

fn kind(refs: &[RemoteRef], version: &str) -> Kind {
    if version == "HEAD" {
        Kind::Head
    } else if refs
        .iter()
        .any(|r| r.name == format!("refs/heads/{version}"))
    {
        Kind::Branch
    } else if refs.iter().any(|r| {
        r.name == format!("refs/tags/{version}") || r.name == format!("refs/tags/{version}^{{}}")
    }) {
        Kind::Tag
    } else {
        Kind::Other
    }
}

/// The remote's SHA for `version`, as Ansible's `get_remote_head` finds it in `refs` (the answer
/// of `git ls-remote REMOTE HEAD 'refs/heads/*' 'refs/tags/VERSION*'`). `head_branch` is the
/// branch HEAD follows in an existing checkout (`None` when cloning: the remote's HEAD counts).
/// `Err` holds the failure message.
fn remote_head(
    refs: &[RemoteRef],
    version: &str,
    cloning: bool,
    head_branch: Option<&str>,
) -> Result<String, String> {
    let none = || format!("Could not determine remote revision for {version}");
    let first = |name: &str| {
        refs.iter()
            .find(|r| r.name == name)
            .map(|r| r.sha.clone())
            .ok_or_else(none)
    };
    match kind(refs, version) {
        Kind::Head if cloning => first("HEAD"),
        Kind::Head => first(&format!("refs/heads/{}", head_branch.unwrap_or("None"))),
        Kind::Branch => first(&format!("refs/heads/{version}")),
        Kind::Tag => {
            // Every tag starting with the version; a peeled (annotated) tag wins, else the last
            // one ending with the version, else the first line.
            let lines: Vec<&RemoteRef> = refs
                .iter()
                .filter(|r| {
                    r.name
                        .strip_prefix("refs/tags/")
                        .is_some_and(|t| t.starts_with(version))
                })
                .collect();
            let mut pick = lines.first().copied();
            for r in &lines {
                if r.name.ends_with(&format!("{version}^{{}}")) {
                    pick = Some(r);
                    break;
                } else if r.name.ends_with(version) {
                    pick = Some(r);
                }
            }
            pick.map(|r| r.sha.clone()).ok_or_else(none)
        }
        Kind::Other => Ok(version.to_string()),
    }
}

/// Lines of `git status --porcelain` that are local modifications (untracked files do not count).
fn has_local_mods(porcelain: &str) -> bool {
    porcelain.lines().any(|l| !l.starts_with("??"))
}

/// Python's `os.path.normpath` of a path-like string (URLs included, as Ansible compares them).
fn normpath(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let lead = if p.starts_with("//") && !p.starts_with("///") {
        "//"
    } else if p.starts_with('/') {
        "/"
    } else {
        ""
    };
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." if parts.last().is_some_and(|l| *l != "..") => {
                parts.pop();
            }
            ".." if !lead.is_empty() => {}
            c => parts.push(c),
        }
    }
    let body = parts.join("/");
    if lead.is_empty() && body.is_empty() {
        ".".into()
    } else {
        format!("{lead}{body}")
    }
}

/// Whether the remote's URL differs from the repo the task names, as Ansible compares them.
fn url_differs(remote_url: &str, repo: &str) -> bool {
    remote_url != repo && normpath(remote_url) != normpath(repo)
}

/// The repo as Ansible uses it: a local path becomes a `file://` URL.
fn repo_url(repo: &str, home: &str) -> String {
    if repo == "~" {
        format!("file://{home}")
    } else if let Some(rest) = repo.strip_prefix("~/") {
        format!("file://{home}/{rest}")
    } else if repo.starts_with('/') {
        format!("file://{repo}")
    } else {
        repo.to_string()
    }
}

/// Whether `.gitmodules` lists a submodule not checked out, or `git submodule status` shows one
/// that is not at the superproject's commit (a line not starting with a space).
fn submodules_outdated(missing: &str, status: &str) -> bool {
    !missing.trim().is_empty() || status.lines().any(|l| !l.starts_with(' '))
}

/// Everything the probe found.
struct Found {
    dest: String,
    home: String,
    /// The git directory has a `config`.
    have: bool,
    before: Option<String>,
    local_mods: bool,
    remote_url: Option<String>,
    head_branch: Option<String>,
    refs: Result<Vec<RemoteRef>, String>,
    /// The version resolved to a commit locally (for SHAs already fetched).
    local_commit: Option<String>,
    submodules_outdated: bool,
}

fn sect(s: &Sections, name: &str) -> String {
    s.opt(name).map(|x| x.text()).unwrap_or_default()
}

async fn probe(w: &Want, ctx: &Context<'_>) -> Result<Found, ModuleError> {
    let mut p = ProbeScript::new();
    p.prelude(&prelude(w));
    p.prelude("E=$(mktemp) || exit 1");
    p.section(
        "env",
        "if [ -z \"$G\" ]; then echo NOGIT; printf '%s\\n' \"$PATH\"; else echo OK; fi; printf '%s\\n' \"$D\" \"$HOME\" \"$BADGIT\"; \
         if [ -n \"$D\" ] && [ -e \"$RP/config\" ]; then echo HAVE; else echo NONE; fi",
    );
    p.prelude(
        "if [ -n \"$G\" ] && [ \"$BADGIT\" = 0 ] && [ -n \"$D\" ] && [ -e \"$RP/config\" ]; then \
         cd -- \"$D\" || exit 1; HAVE=1; else HAVE=0; fi",
    );
    p.section(
        "before",
        "[ \"$HAVE\" = 1 ] && \"$G\" rev-parse HEAD 2>/dev/null; :",
    );
    if w.update {
        let refs_cmd = format!(
            "\"$G\" ls-remote \"$1\" HEAD 'refs/heads/*' {} 2>\"$E\"",
            quote(&format!("refs/tags/{}*", w.version))
        );
        p.prelude(&format!("lsr() {{ {refs_cmd}; }}"));
        if !w.bare {
            p.section(
                "status",
                "[ \"$HAVE\" = 1 ] && \"$G\" status --porcelain 2>/dev/null; :",
            );
        }
        p.section(
            "url",
            "[ \"$HAVE\" = 1 ] && \"$G\" ls-remote --get-url \"$RM\" 2>/dev/null",
        );
        p.section(
            "head",
            "if [ \"$HAVE\" = 1 ]; then head_branch; [ \"$HBSET\" = 1 ] && printf '%s' \"$HB\"; fi; :",
        );
        p.section(
            "commit",
            "[ \"$HAVE\" = 1 ] && \"$G\" rev-parse --verify -q \"$V^{commit}\" 2>/dev/null",
        );
        if w.recursive && !w.bare {
            p.section(
                "submissing",
                "if [ \"$HAVE\" = 1 ] && [ -f .gitmodules ]; then sed -n 's/^[[:space:]]*path[[:space:]]*=[[:space:]]*//p' .gitmodules | \
                 while IFS= read -r sp; do sp=${sp%\"${sp##*[![:space:]]}\"}; [ -e \"$sp/.git\" ] || echo \"$sp\"; done; fi; :",
            );
            let status = if w.track_submodules {
                "export RM; \"$G\" submodule foreach --quiet 'h=$(git rev-parse HEAD); r=$(git ls-remote \"$RM\" refs/heads/master | cut -f1); [ \"$h\" = \"$r\" ] || echo \"+$h\"'".to_string()
            } else {
                "\"$G\" submodule status 2>/dev/null".to_string()
            };
            p.section(
                "substatus",
                &format!("if [ \"$HAVE\" = 1 ] && [ -f .gitmodules ]; then {status}; fi; :"),
            );
        }
        p.section(
            "refs",
            "if [ -z \"$G\" ] || [ \"$BADGIT\" = 1 ]; then :; elif [ \"$HAVE\" = 1 ]; then lsr \"$RM\"; else cd / && lsr \"$R\"; fi",
        );
    } else {
        p.section(
            "refs",
            "if [ -n \"$G\" ] && [ \"$BADGIT\" = 0 ] && [ \"$HAVE\" = 0 ]; then cd / && \"$G\" ls-remote \"$R\" HEAD 'refs/heads/*' \"refs/tags/$V*\" 2>\"$E\"; fi",
        );
    }
    p.section("refs_err", "cat -- \"$E\"; rm -f -- \"$E\"");
    let out = ctx.host.run(Command::new(p.script())).await?;
    let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
    let env = s.get("env").map_err(ModuleError::Protocol)?.lines();
    if env.first().map(String::as_str) == Some("NOGIT") {
        return Err(ModuleError::Failed(format!(
            "Failed to find required executable \"git\" in paths: {}",
            env.get(1).cloned().unwrap_or_default()
        )));
    }
    let at = |i: usize| env.get(i).cloned().unwrap_or_default();
    if at(3) == "1" {
        return Err(ModuleError::Failed(
            "Current repo does not have a valid reference to a separate Git dir or it refers to \
             the invalid path"
                .into(),
        ));
    }
    let refs_sec = s.opt("refs");
    let refs = match refs_sec {
        Some(r) if r.rc == 0 => Ok(parse_ls_remote(&r.text())),
        _ => Err(sect(&s, "refs_err").trim_end().to_string()),
    };
    let have = at(4) == "HAVE";
    let url = s.opt("url");
    Ok(Found {
        dest: at(1),
        home: at(2),
        have,
        before: have.then(|| sect(&s, "before").trim_end_matches('\n').to_string()),
        local_mods: has_local_mods(&sect(&s, "status")),
        remote_url: url
            .filter(|u| u.rc == 0)
            .map(|u| u.text().trim_end_matches('\n').to_string()),
        head_branch: s.opt("head").map(|h| h.text()).filter(|h| !h.is_empty()),
        refs,
        local_commit: Some(sect(&s, "commit").trim().to_string()).filter(|c| !c.is_empty()),
        submodules_outdated: submodules_outdated(&sect(&s, "submissing"), &sect(&s, "substatus")),
    })
}

/// Values of a failed plan.
fn with_before(before: Option<&str>) -> Map {
    let mut m = Map::new();
    m.insert(
        "before".into(),
        before.map(Value::from).unwrap_or(Value::Null),
    );
    m
}

#[async_trait]
impl Module for GitModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let w = Want::from(args)?;
        let f = probe(&w, ctx).await?;
        let repo = repo_url(&w.repo, &f.home);
        let mut plan = Plan::default();
        if !f.have {
            if w.dest.is_some() && w.clone && !ctx.check_mode {
                // A clone: its result is known once it is made.
                let kind = f.refs.as_ref().map(|r| kind(r, &w.version)).ok();
                plan.values = with_before(None);
                plan.changes.push(
                    Change::new("clone", Value::Null, repo.clone()).with_prepared(String::new()),
                );
                plan.values
                    .insert("rplay_kind".into(), Value::from(format!("{kind:?}")));
                return Ok(plan);
            }
            let refs = match &f.refs {
                Ok(r) => r,
                Err(e) => return Ok(Plan::failed(e.clone(), with_before(None))),
            };
            let after = match remote_head(refs, &w.version, true, None) {
                Ok(a) => a,
                Err(e) => return Ok(Plan::failed(e, with_before(None))),
            };
            plan.values = with_before(None);
            plan.values.insert("after".into(), after.clone().into());
            plan.changes.push(
                Change::new("version", Value::Null, after.clone())
                    .with_prepared(format!(">> Newly checked out {after}")),
            );
            return Ok(plan);
        }
        let before = f.before.clone().unwrap_or_default();
        if !w.update {
            plan.values = with_before(Some(&before));
            plan.values.insert("after".into(), before.into());
            return Ok(plan);
        }
        if f.local_mods && !w.force {
            return Ok(Plan::failed(
                format!(
                    "Local modifications exist in the destination: {} (force=no).",
                    f.dest
                ),
                with_before(Some(&before)),
            ));
        }
        let url_changed = f
            .remote_url
            .as_deref()
            .is_some_and(|u| url_differs(u, &repo));
        let refs = match &f.refs {
            Ok(r) => r,
            Err(e) => return Ok(Plan::failed(e.clone(), with_before(Some(&before)))),
        };
        let kind = kind(refs, &w.version);
        let mut after = match remote_head(refs, &w.version, false, f.head_branch.as_deref()) {
            Ok(a) => a,
            Err(e) => return Ok(Plan::failed(e, with_before(Some(&before)))),
        };
        // A commit given by a short SHA that is already here: the run checks out its full SHA.
        let target = match (kind, &f.local_commit) {
            (Kind::Other, Some(c)) if !ctx.check_mode => {
                after = c.clone();
                c.clone()
            }
            (Kind::Other, Some(c)) => c.clone(),
            _ => after.clone(),
        };
        if f.local_mods {
            plan.changes
                .push(Change::new("local_modifications", true, false).with_prepared(String::new()));
        }
        if url_changed {
            plan.changes.push(
                Change::new(
                    "remote_url",
                    f.remote_url.clone().unwrap_or_default(),
                    repo.clone(),
                )
                .with_prepared(String::new()),
            );
        }
        if before != target {
            let prepared = if ctx.diff && ctx.check_mode {
                check_diff(&w, ctx, &before, &after).await?
            } else {
                String::new()
            };
            plan.changes.push(
                Change::new("version", before.clone(), after.clone()).with_prepared(prepared),
            );
        }
        if f.submodules_outdated && !w.bare && w.recursive {
            plan.changes.push(
                Change::new("submodules", Value::Null, Value::Null).with_prepared(String::new()),
            );
        }
        plan.values = with_before(Some(&before));
        plan.values
            .insert("remote_url_changed".into(), url_changed.into());
        plan.values.insert("after".into(), after.into());
        plan.values
            .insert("rplay_kind".into(), Value::from(format!("{kind:?}")));
        if ctx.check_mode || plan.changes.is_empty() {
            plan.values.remove("rplay_kind");
        }
        Ok(plan)
    }

    async fn apply(
        &self,
        args: &Args,
        mut plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let w = Want::from(args)?;
        let kind = plan
            .values
            .remove("rplay_kind")
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let cloning = plan.changes.iter().any(|c| c.field == "clone");
        let before = plan
            .values
            .get("before")
            .and_then(Value::as_str)
            .map(str::to_string);
        if !cloning && before.is_none() {
            // clone=no and nothing there: Ansible reports the remote's SHA as a change, and does
            // nothing.
            return Ok(Outcome::applied(plan));
        }
        let mut warnings = Vec::new();
        let mut script = prelude(&w);
        script.push_str(ACTIONS);
        script.push_str("T=$(mktemp -d) || exit 1\n(\n");
        if cloning {
            script.push_str(&clone_script(&w, &kind, &mut warnings));
        } else {
            let has = |f: &str| plan.changes.iter().any(|c| c.field == f);
            script.push_str("cd -- \"$D\" || fail \"cannot enter $D\"\n");
            if has("local_modifications") {
                script.push_str("run \"$G\" reset --hard HEAD; : > \"$T/reset\"\n");
            }
            if has("remote_url") {
                script.push_str(
                    "o=$(\"$G\" remote set-url \"$RM\" \"$R\" 2>&1) || fail \"Failed to set a new url $R for $RM: $o\"\n",
                );
            }
            script.push_str(&fetch_script(&w, &kind));
        }
        if !w.bare {
            script.push_str(&switch_script(&w));
        }
        if w.recursive && !w.bare {
            script.push_str(&submodule_script(&w));
        }
        script.push_str(")\n");
        script.push_str(
            "if [ -f \"$T/fail\" ]; then printf 'FAIL\\n'; cat -- \"$T/fail\"; rm -rf -- \"$T\"; exit 0; fi\n\
             printf 'DEST %s\\n' \"$D\"; cd -- \"$D\" && printf 'AFTER %s\\n' \"$(\"$G\" rev-parse HEAD 2>/dev/null)\"\n\
             [ -f \"$T/reset\" ] && echo RESET; [ -f \"$T/sub\" ] && echo SUB\n",
        );
        if ctx.diff {
            if let Some(b) = &before {
                script.push_str(&format!(
                    "a=$(\"$G\" rev-parse HEAD 2>/dev/null); if [ \"$a\" != {b} ]; then echo DIFF; \"$G\" diff {b} \"$a\" 2>&1; echo \"rc=$?\"; fi\n",
                    b = quote(b)
                ));
            }
        }
        script.push_str("rm -rf -- \"$T\"\n");
        let out = ctx.host.run(Command::new(script)).await?;
        let text = out.stdout_str();
        if let Some(msg) = text.strip_prefix("FAIL\n") {
            let mut o = Outcome::failed(msg.trim_end().to_string());
            o.values = with_before(before.as_deref());
            return Ok(o);
        }
        if out.rc != 0 {
            return Ok(Outcome::failed(format!("{text}{}", out.stderr_str())));
        }
        let (head, diff) = match text.split_once("\nDIFF\n") {
            Some((h, d)) => (h.to_string(), Some(d.to_string())),
            None => (text.clone(), None),
        };
        let after = head
            .lines()
            .find_map(|l| l.strip_prefix("AFTER "))
            .unwrap_or_default()
            .to_string();
        let reset = head.lines().any(|l| l == "RESET");
        let sub = head.lines().any(|l| l == "SUB");
        let url_changed = plan.changes.iter().any(|c| c.field == "remote_url");
        let mut values = with_before(before.as_deref());
        let changed =
            cloning || before.as_deref() != Some(after.as_str()) || reset || sub || url_changed;
        if reset {
            values.insert(
                "msg".into(),
                format!(
                    "Local modifications exist in the destination: {}",
                    head.lines()
                        .find_map(|l| l.strip_prefix("DEST "))
                        .unwrap_or_default()
                )
                .into(),
            );
        }
        if !cloning {
            values.insert("remote_url_changed".into(), url_changed.into());
        }
        values.insert("after".into(), after.clone().into());
        if sub {
            values.insert("submodules_changed".into(), true.into());
        }
        if !warnings.is_empty() {
            values.insert(
                "warnings".into(),
                Value::Array(warnings.into_iter().map(Value::from).collect()),
            );
        }
        let prepared = match (&before, diff) {
            (None, _) => Some(format!(">> Newly checked out {after}")),
            (Some(b), Some(d)) if b != &after => {
                let framed = format!("\n{}", d.trim_end_matches('\n'));
                let (body, rc) = framed.rsplit_once("\nrc=").unwrap_or((&framed, "0"));
                let body = match body.strip_prefix('\n') {
                    Some(b) => format!("{b}\n"),
                    None => String::new(),
                };
                Some(if rc.trim() != "0" {
                    format!(
                        ">> Failed to get proper diff between {b} and {after}:\n>> {}",
                        body.trim_end()
                    )
                } else if body.trim().is_empty() {
                    format!(">> No visual differences between {b} and {after}")
                } else {
                    body
                })
            }
            _ => None,
        };
        let mut diffs = Vec::new();
        if changed {
            let c = Change::new(
                "version",
                before.clone().map(Value::from).unwrap_or(Value::Null),
                after,
            );
            diffs.push(match prepared {
                Some(p) => c.with_prepared(p),
                None => c.with_prepared(String::new()),
            });
        }
        Ok(Outcome {
            changed,
            values,
            diffs,
            ..Default::default()
        })
    }
}

/// For `--check --diff` on a checkout that would move: as Ansible, fetch the remote's objects and
/// show `git diff BEFORE AFTER`.
async fn check_diff(
    w: &Want,
    ctx: &Context<'_>,
    before: &str,
    after: &str,
) -> Result<String, ModuleError> {
    let mut script = prelude(w);
    script.push_str(&format!(
        "cd -- \"$D\" || exit 1\n\"$G\" fetch {} \"$RM\" >/dev/null 2>&1\n\"$G\" diff {} {} 2>&1\n",
        if w.bare { "" } else { "--tags" },
        quote(before),
        quote(after)
    ));
    let out = ctx.host.run(Command::new(script)).await?;
    let text = out.stdout_str();
    Ok(if out.rc != 0 {
        format!(
            ">> Failed to get proper diff between {before} and {after}:\n>> {}",
            text.trim_end()
        )
    } else if text.is_empty() {
        format!(">> No visual differences between {before} and {after}")
    } else {
        text
    })
}

/// Shell functions of the apply script: `fail MSG` records the failure and ends the (sub)shell;
/// `run CMD...` runs a command that must succeed (failing with its standard error, as Ansible's
/// `check_rc`); `is_remote_branch` and `is_local_branch` ask about `$V` as Ansible does.
const ACTIONS: &str = r#"fail() { printf '%s' "$1" > "$T/fail"; exit 1; }
run() { o=$("$@" 2>"$T/err") || { e=$(cat -- "$T/err"); fail "${e:-$o}"; }; }
is_remote_branch() { run "$G" ls-remote "$1" -h "refs/heads/$V"; case $o in *"$V"*) return 0;; esac; return 1; }
is_local_branch() { "$G" branch --no-color -a 2>/dev/null | sed 's/^[[:space:]]*//;s/[[:space:]]*$//' | grep -qxF -e "$V" -e "* $V"; }
"#;

/// `git clone` with Ansible's arguments, then the extra remote and refspec.
fn clone_script(w: &Want, kind: &str, warnings: &mut Vec<String>) -> String {
    let branch_or_tag = kind == "Branch" || kind == "Tag";
    let mut a: Vec<String> = Vec::new();
    if w.bare {
        a.push("--bare".into());
    } else {
        a.push("--origin".into());
        a.push(quote(&w.remote));
    }
    if let Some(d) = w.depth {
        if w.version == "HEAD" || w.refspec.is_some() {
            a.push(format!("--depth {d}"));
        } else if branch_or_tag {
            a.push(format!("--depth {d} --branch {}", quote(&w.version)));
        } else {
            warnings.push(
                "Ignoring depth argument. Shallow clones are only available for HEAD, branches, \
                 tags or in combination with refspec."
                    .into(),
            );
        }
    }
    if let Some(r) = &w.reference {
        a.push(format!("--reference {}", quote(r)));
    }
    if w.single_branch {
        a.push("--single-branch".into());
        if branch_or_tag {
            a.push(format!("--branch {}", quote(&w.version)));
        }
    }
    let mut s = format!(
        "p=$(dirname -- \"$D\"); mkdir -p -- \"$p\" 2>/dev/null; cd -- \"$p\" 2>/dev/null || cd /\n\
         run \"$G\" clone {} \"$R\" \"$D\"\ncd -- \"$D\" || fail \"cannot enter $D\"\n",
        a.join(" ")
    );
    if w.bare && w.remote != "origin" {
        s.push_str("run \"$G\" remote add \"$RM\" \"$R\"\n");
    }
    if let Some(r) = &w.refspec {
        let depth = w.depth.map(|d| format!("--depth {d} ")).unwrap_or_default();
        s.push_str(&format!("run \"$G\" fetch {depth}\"$RM\" {}\n", quote(r)));
    }
    s
}

/// Ansible's `fetch` of an existing checkout: the fewest refs with `depth`, else all heads and tags.
fn fetch_script(w: &Want, kind: &str) -> String {
    let force = if w.force { " --force" } else { "" };
    let fail = "fail \"Failed to download remote objects and refs: $o $(cat -- \"$T/err\")\"";
    let full = |extra: &str| {
        let (opts, specs) = if w.bare {
            (
                String::new(),
                "'+refs/heads/*:refs/heads/*' '+refs/tags/*:refs/tags/*'".to_string(),
            )
        } else {
            (" --tags".to_string(), String::new())
        };
        format!("o=$(\"$G\" fetch{opts}{force} \"$RM\" {specs} {extra} 2>\"$T/err\") || {fail}\n")
    };
    let refspec = w.refspec.as_deref().map(quote).unwrap_or_default();
    let Some(d) = w.depth else {
        return full(&refspec);
    };
    let v = &w.version;
    let specs = if w.refspec.is_some() {
        refspec.clone()
    } else if v == "HEAD" {
        "\"$HB\"".into()
    } else if kind == "Branch" {
        format!(
            "$([ \"$HB\" != \"$V\" ] && printf '%s' {}) {}",
            quote(&format!("+refs/heads/{v}:refs/heads/{v}")),
            quote(&format!("+refs/heads/{v}:refs/remotes/{}/{v}", w.remote))
        )
    } else if kind == "Tag" {
        quote(&format!("+refs/tags/{v}:refs/tags/{v}"))
    } else {
        return full(&refspec);
    };
    format!(
        "head_branch\no=$(\"$G\" fetch --depth {d}{force} \"$RM\" {specs} 2>\"$T/err\") || {fail}\n"
    )
}

/// Ansible's `switch_version`: HEAD follows its branch's remote tip, a branch is checked out
/// (created tracking the remote when missing) and reset to the remote's, anything else is
/// checked out detached.
fn switch_script(w: &Want) -> String {
    let depth = w.depth.map(|d| d.to_string()).unwrap_or_default();
    format!(
        r#"if [ "$V" = HEAD ]; then
  head_branch
  o=$("$G" checkout --force "$HB" 2>&1) || fail "Failed to checkout branch $HB"
  o=$("$G" reset --hard "$RM/$HB" -- 2>&1) || fail "Failed to checkout branch $HB"
elif is_remote_branch "$RM"; then
  if [ -n "{depth}" ] && ! is_local_branch; then
    o=$("$G" fetch --depth={depth} "$RM" "+refs/heads/$V:refs/heads/$V" "+refs/heads/$V:refs/remotes/$RM/$V" 2>&1) || fail "Failed to fetch branch from remote: $V"
  fi
  if ! is_local_branch; then
    o=$("$G" checkout --track -b "$V" "$RM/$V" 2>&1) || fail "Failed to checkout $V"
  else
    o=$("$G" checkout --force "$V" 2>&1) || fail "Failed to checkout branch $V"
    o=$("$G" reset --hard "$RM/$V" 2>&1) || fail "Failed to checkout $V"
  fi
else
  o=$("$G" checkout --force "$V" 2>&1) || fail "Failed to checkout $V"
fi
"#
    )
}

/// Ansible's `submodules_fetch` and `submodule_update`: a submodule not checked out, or (after a
/// fetch) one away from the superproject's commit (or from its remote's master with
/// `track_submodules`), updates them all.
fn submodule_script(w: &Want) -> String {
    let track = if w.track_submodules { "1" } else { "" };
    let force = if w.force { " --force" } else { "" };
    let remote = if w.track_submodules { " --remote" } else { "" };
    format!(
        r#"if [ -f .gitmodules ]; then
  sub=0
  m=$(sed -n 's/^[[:space:]]*path[[:space:]]*=[[:space:]]*//p' .gitmodules | while IFS= read -r sp; do sp=${{sp%"${{sp##*[![:space:]]}}"}}; [ -e "$sp/.git" ] || echo x; done)
  [ -n "$m" ] && sub=1
  if [ $sub = 0 ]; then
    b=$("$G" submodule foreach "$G" rev-parse HEAD 2>/dev/null)
    run "$G" submodule foreach "$G" fetch
    if [ -n "{track}" ]; then
      a=$("$G" submodule foreach "$G" rev-parse "$RM/master" 2>/dev/null)
      [ "$a" = "$b" ] || sub=1
    else
      run "$G" submodule status
      printf '%s\n' "$o" | grep -q '^[^ ]' && sub=1
    fi
  fi
  if [ $sub = 1 ]; then
    : > "$T/sub"
    run "$G" submodule sync
    o=$("$G" submodule update --init --recursive{remote}{force} 2>&1) || fail "Failed to init/update submodules: $o"
  fi
fi
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs() -> Vec<RemoteRef> {
        parse_ls_remote(
            "bbb\tHEAD\nbbb\trefs/heads/feature/x\nbbb\trefs/heads/main\naaa\trefs/heads/old\n\
             a11\trefs/tags/v1\nb10\trefs/tags/v10\nt1a\trefs/tags/v1a\na1a\trefs/tags/v1a^{}\n",
        )
    }

    #[test]
    fn remote_heads_like_ansible() {
        let r = refs();
        assert_eq!(remote_head(&r, "HEAD", true, None).unwrap(), "bbb");
        assert_eq!(remote_head(&r, "HEAD", false, Some("old")).unwrap(), "aaa");
        assert!(remote_head(&r, "HEAD", false, None)
            .unwrap_err()
            .contains("Could not determine remote revision for HEAD"));
        assert_eq!(remote_head(&r, "feature/x", false, None).unwrap(), "bbb");
        assert_eq!(remote_head(&r, "v1", false, None).unwrap(), "a11");
        // An annotated tag resolves to its commit.
        assert_eq!(remote_head(&r, "v1a", false, None).unwrap(), "a1a");
        assert_eq!(
            remote_head(&r, "deadbeef", false, None).unwrap(),
            "deadbeef"
        );
        assert_eq!(kind(&r, "v10"), Kind::Tag);
        assert_eq!(kind(&r, "main"), Kind::Branch);
        assert_eq!(kind(&r, "v2"), Kind::Other);
    }

    #[test]
    fn ssh_options_like_ansible() {
        assert_eq!(ssh_opts(None, false, false, None), " -o BatchMode=yes");
        assert_eq!(
            ssh_opts(None, true, false, Some("/k")),
            " -o StrictHostKeyChecking=no -o BatchMode=yes  -i /k -o IdentitiesOnly=yes"
        );
        assert_eq!(
            ssh_opts(
                Some("-o StrictHostKeyChecking=accept-new -o BatchMode=yes"),
                true,
                false,
                None
            ),
            " -o StrictHostKeyChecking=accept-new -o BatchMode=yes -o StrictHostKeyChecking=no"
        );
        assert_eq!(
            ssh_opts(Some("-p 2222"), false, true, None),
            " -p 2222 -o StrictHostKeyChecking=accept-new -o BatchMode=yes"
        );
    }

    #[test]
    fn small_parsers() {
        assert!(has_local_mods(" M a.txt\n?? new\n"));
        assert!(!has_local_mods("?? new\n"));
        assert!(!has_local_mods(""));
        assert_eq!(parse_umask("022"), Some(0o22));
        assert_eq!(parse_umask("0o77"), Some(0o77));
        assert_eq!(parse_umask("8"), None);
        assert_eq!(normpath("file:///srv/r.git/"), "file:/srv/r.git");
        assert_eq!(normpath("/a/./b/../c"), "/a/c");
        assert!(!url_differs("file:///srv/r.git", "file:///srv/r.git/"));
        assert!(url_differs("https://h/a.git", "https://h/b.git"));
        assert_eq!(repo_url("/srv/r.git", "/root"), "file:///srv/r.git");
        assert_eq!(repo_url("~/r", "/root"), "file:///root/r");
        assert_eq!(repo_url("git@h:r.git", "/root"), "git@h:r.git");
        assert!(submodules_outdated("", "+abc sub (heads/main)\n"));
        assert!(submodules_outdated("sub\n", ""));
        assert!(!submodules_outdated("", " abc sub (heads/main)\n"));
    }
}
