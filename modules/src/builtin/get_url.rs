//! `get_url`: downloads a URL on the host into `dest`, with curl, else wget, else (plain http) bash's
//! `/dev/tcp`; `file://` URLs are copied. An existing file is kept unless `force` (then the download
//! is compared by SHA-1) or a given `checksum` does not match. Passwords go through stdin, never argv.

use std::time::Instant;

use async_trait::async_trait;

use super::file::{
    ARG_ATTRIBUTES, ARG_GROUP, ARG_MODE, ARG_OWNER, ARG_SELEVEL, ARG_SEROLE, ARG_SETYPE,
    ARG_SEUSER, ARG_UNSAFE,
};
use crate::fileattr::{
    apply_attr_code, attr_changes, lookup_code, parse_lookup, parse_stat, stat_code, FileKind,
    WantedAttrs,
};
use crate::shell::{quote, ProbeScript};
use crate::spec::{ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Change, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `get_url` module.
pub struct GetUrlModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "get_url",
    fqcn: &["ansible.builtin.get_url", "ansible.legacy.get_url"],
    synopsis: "Download a file from a URL on the host.",
    description: "Downloads with the host's curl or wget (plain http also through bash's /dev/tcp; file:// \
        by copying). With `force: false` (default) an existing dest is kept unless `checksum` differs; with \
        `force: true` the download replaces dest when its SHA-1 differs. A directory dest gets the URL's \
        file name.",
    args: &[
        ArgSpec::new("url", ArgKind::Str, "http, https, ftp or file URL.").required(),
        ArgSpec::new("dest", ArgKind::Path, "File or directory to download to.").required(),
        ArgSpec::new("force", ArgKind::Bool, "Download even when dest exists.").default("false").aliases(&["thirsty"]),
        ArgSpec::new("checksum", ArgKind::Str, "`algorithm:hex` (or `algorithm:URL of a checksum file`) the download must have.")
            .default("\"\""),
        ArgSpec::new("backup", ArgKind::Bool, "Keep a timestamped copy of the old file.").default("false"),
        ArgSpec::new("headers", ArgKind::Dict, "Extra HTTP headers."),
        ArgSpec::new("url_username", ArgKind::Str, "HTTP user.").aliases(&["username"]),
        ArgSpec::new("url_password", ArgKind::Str, "HTTP password.").aliases(&["password"]).no_log(),
        ArgSpec::new("force_basic_auth", ArgKind::Bool, "Send credentials without waiting for a 401.").default("false"),
        ArgSpec::new("validate_certs", ArgKind::Bool, "Check TLS certificates.").default("true"),
        ArgSpec::new("timeout", ArgKind::Int, "Seconds before giving up.").default("10"),
        ArgSpec::new("use_proxy", ArgKind::Bool, "Use proxy environment variables.").default("true"),
        ArgSpec::new("tmp_dest", ArgKind::Path, "Where to download before moving into place."),
        ArgSpec::new("http_agent", ArgKind::Str, "User-Agent header.").default("\"ansible-httpget\""),
        ArgSpec::new("validate", ArgKind::Str, "Not supported by get_url; accepted for compatibility."),
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
    returns: &[
        ReturnSpec { name: "dest", returned: "success", doc: "The file written." },
        ReturnSpec { name: "url", returned: "always", doc: "The URL." },
        ReturnSpec { name: "status_code", returned: "downloaded", doc: "HTTP status (200)." },
        ReturnSpec { name: "msg", returned: "always", doc: "`OK (N bytes)` or why nothing was downloaded." },
        ReturnSpec { name: "checksum_src", returned: "downloaded", doc: "SHA-1 of the download." },
        ReturnSpec { name: "checksum_dest", returned: "success", doc: "SHA-1 of dest before." },
        ReturnSpec { name: "elapsed", returned: "downloaded", doc: "Seconds spent." },
        ReturnSpec { name: "size", returned: "success", doc: "Size of dest." },
    ],
    examples: "- name: Node exporter\n  ansible.builtin.get_url:\n    url: https://example.org/node_exporter.tar.gz\n    dest: /opt/node_exporter.tar.gz\n    checksum: \"sha256:9d1f...\"\n    mode: \"0644\"\n",
};

/// Plain-http GET through bash's /dev/tcp, for hosts without curl or wget: `$1` host, `$2` port, `$3` path.
const BASH_HTTP: &str = r#"exec 3<>"/dev/tcp/$1/$2" || exit 7
printf 'GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: ansible-httpget\r\nConnection: close\r\n\r\n' "$3" "$1" >&3
IFS= read -r st <&3
case "$st" in *" 200 "*|*" 200"|*" 200"$'\r') ;; *) printf 'HTTP Error: %s\n' "${st%$'\r'}" >&2; exit 22 ;; esac
while IFS= read -r l <&3; do case "$l" in $'\r'|'') break ;; esac; done
cat <&3"#;

/// Shell function `_dl URL OUT` using what the host has. Credentials are read from `$_auth`.
fn downloader(args: &Args) -> String {
    let timeout = args.int("timeout").unwrap_or(10);
    let insecure = !args
        .get("validate_certs")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let mut curl = format!("curl -fsSL --max-time {timeout}");
    let mut wget = format!("wget -q --timeout={timeout}");
    if insecure {
        curl.push_str(" -k");
        wget.push_str(" --no-check-certificate");
    }
    if !args
        .get("use_proxy")
        .and_then(Value::as_bool)
        .unwrap_or(true)
    {
        curl.push_str(" --noproxy '*'");
        wget.push_str(" --no-proxy");
    }
    let agent = args.str("http_agent").unwrap_or("ansible-httpget");
    curl.push_str(&format!(" -A {}", quote(agent)));
    wget.push_str(&format!(" -U {}", quote(agent)));
    if let Some(Value::Object(h)) = args.get("headers") {
        for (k, v) in h {
            let line = format!("{k}: {}", crate::spec::value_to_string(v));
            curl.push_str(&format!(" -H {}", quote(&line)));
            wget.push_str(&format!(" --header={}", quote(&line)));
        }
    }
    if args.bool("force_basic_auth") {
        curl.push_str(" --basic");
        wget.push_str(" --auth-no-challenge");
    }
    format!(
        "_dl() {{\n\
         case \"$1\" in\n\
         file://*) cp -- \"${{1#file://}}\" \"$2\" ;;\n\
         *) if command -v curl >/dev/null 2>&1; then\n\
              if [ -n \"$_auth\" ]; then printf 'user = \"%s\"\\n' \"$_auth\" | {curl} -K - -o \"$2\" \"$1\"; else {curl} -o \"$2\" \"$1\"; fi\n\
            elif command -v wget >/dev/null 2>&1; then\n\
              if [ -n \"$_auth\" ]; then printf 'user=%s\\npassword=%s\\n' \"${{_auth%%%%:*}}\" \"${{_auth#*:}}\" > \"$2.wgetrc\"; WGETRC=\"$2.wgetrc\" {wget} -O \"$2\" \"$1\"; _r=$?; rm -f \"$2.wgetrc\"; return $_r; else {wget} -O \"$2\" \"$1\"; fi\n\
            else case \"$1\" in\n\
              http://*) _hp=${{1#http://}}; _h=${{_hp%%%%/*}}; _p=/${{_hp#*/}}; [ \"$_hp\" = \"$_h\" ] && _p=/\n\
                _host=${{_h%%%%:*}}; _port=${{_h##*:}}; [ \"$_port\" = \"$_h\" ] && _port=80\n\
                bash -c {bash} _ \"$_host\" \"$_port\" \"$_p\" > \"$2\" ;;\n\
              *) echo \"neither curl nor wget is installed on the host to fetch $1\" >&2; return 127 ;;\n\
            esac; fi ;;\n\
         esac\n\
         }}\n",
        bash = quote(BASH_HTTP)
    )
    .replace("%%%%", "%%")
}

/// `algorithm:value` of the checksum argument.
fn checksum_spec(args: &Args) -> Result<Option<(String, String)>, ModuleError> {
    let c = args.str("checksum").unwrap_or_default();
    if c.is_empty() {
        return Ok(None);
    }
    let (algo, value) = c.split_once(':').ok_or_else(|| {
        ModuleError::Args(
            "The checksum parameter has to be in format <algorithm>:<checksum>".into(),
        )
    })?;
    let algo = algo.to_ascii_lowercase();
    if !matches!(
        algo.as_str(),
        "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512"
    ) {
        return Err(ModuleError::Args(format!(
            "unsupported checksum algorithm: {algo}"
        )));
    }
    Ok(Some((algo, value.trim().to_string())))
}

fn url_basename(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let path = match path.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map(|(_, p)| p).unwrap_or(""),
        None => path,
    };
    let base = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    if base.is_empty() || base.contains(':') {
        "index.html".to_string()
    } else {
        base.to_string()
    }
}

/// The probe/apply prelude: variables, the downloader, credentials on stdin.
fn prelude(args: &Args) -> String {
    let mut s = format!(
        "u={}\nd={}\nbase={}\n",
        quote(args.str("url").unwrap_or_default()),
        quote(args.str("dest").unwrap_or_default()),
        quote(&url_basename(args.str("url").unwrap_or_default()))
    );
    s.push_str("case \"$d\" in */) d=\"$d$base\" ;; *) if [ -d \"$d\" ]; then d=\"$d/$base\"; fi ;; esac\n");
    s.push_str("_auth=''\nif [ -n \"$RPLAY_AUTH\" ]; then IFS= read -r _auth; fi\n");
    s.push_str(&downloader(args));
    s
}

/// Credentials for stdin, and the env flag telling the script to read them.
fn credentials(args: &Args) -> (Option<Vec<u8>>, Vec<(String, String)>) {
    match (args.str("url_username"), args.str("url_password")) {
        (Some(u), p) => (
            Some(format!("{u}:{}\n", p.unwrap_or_default()).into_bytes()),
            vec![("RPLAY_AUTH".to_string(), "1".to_string())],
        ),
        _ => (None, vec![]),
    }
}

/// Shell code fetching the expected checksum when it is given as a URL.
fn expected_code(value: &str) -> String {
    if value.contains("://") {
        format!(
            "_ck=$(mktemp) && _dl {} \"$_ck\" && {{ grep -E \"(^|[ *])$base\\$\" \"$_ck\" || head -n1 \"$_ck\"; }} | awk '{{print $1}}' | head -n1; rm -f \"$_ck\"",
            quote(value)
        )
    } else {
        format!("printf '%s' {}", quote(value))
    }
}

#[async_trait]
impl Module for GetUrlModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        let wanted = WantedAttrs::from_args(args).map_err(ModuleError::Args)?;
        let sum = checksum_spec(args)?;
        let force = args.bool("force");
        let mut p = ProbeScript::new();
        p.prelude(&prelude(args));
        p.section("dest", "printf '%s' \"$d\"");
        p.section("stat", &stat_code("d", true));
        p.section(
            "sha1",
            "if [ -f \"$d\" ]; then sha1sum -- \"$d\" | cut -c1-40; fi; :",
        );
        p.section("ids", &lookup_code(&wanted));
        if let Some((algo, value)) = &sum {
            p.section("expected", &expected_code(value));
            p.section(
                "destsum",
                &format!("if [ -f \"$d\" ]; then {algo}sum -- \"$d\" | cut -d' ' -f1; fi; :"),
            );
        }
        if force {
            // The download decides whether anything changes: fetch it now and compare.
            p.section(
                "download",
                "_t=$(mktemp) || exit 1; if _dl \"$u\" \"$_t\"; then sha1sum -- \"$_t\" | cut -c1-40; else echo FAILED; fi; rm -f \"$_t\"",
            );
        }
        let (stdin, env) = credentials(args);
        let out = ctx
            .host
            .run(Command {
                script: p.script(),
                stdin,
                env,
                cwd: None,
            })
            .await?;
        let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let get = |n: &str| s.get(n).map_err(ModuleError::Protocol);
        let dest = get("dest")?.text();
        let stat = parse_stat(&get("stat")?.text()).map_err(ModuleError::Protocol)?;
        if stat
            .as_ref()
            .is_some_and(|st| st.kind == FileKind::Directory)
        {
            return Err(ModuleError::Failed(format!("{dest} is a directory")));
        }
        let ids = parse_lookup(&wanted, &get("ids")?.text()).map_err(ModuleError::Failed)?;
        let dest_sha1 = Some(get("sha1")?.text().trim().to_string()).filter(|x| x.len() == 40);
        let url = args.str("url").unwrap_or_default().to_string();
        let mut values = Map::new();
        values.insert("dest".into(), Value::String(dest.clone()));
        values.insert("url".into(), Value::String(url.clone()));
        values.insert(
            "checksum_dest".into(),
            dest_sha1.clone().map(Value::String).unwrap_or(Value::Null),
        );
        let mut changes = Vec::new();
        let mut reason = None;
        let expected = match &sum {
            Some(_) => Some(get("expected")?.text().trim().to_ascii_lowercase()),
            None => None,
        };
        if let Some(exp) = &expected {
            values.insert("checksum_expected".into(), Value::String(exp.clone()));
        }
        let download = if stat.is_none() {
            true
        } else if let Some(exp) = &expected {
            let destsum = get("destsum")?.text().trim().to_ascii_lowercase();
            if &destsum == exp {
                reason = Some("file already exists".to_string());
                false
            } else {
                true
            }
        } else if force {
            let fetched = get("download")?.text().trim().to_string();
            if fetched == "FAILED" {
                return Err(ModuleError::Failed(format!(
                    "Request failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
            values.insert("checksum_src".into(), Value::String(fetched.clone()));
            dest_sha1.as_deref() != Some(fetched.as_str())
        } else {
            reason = Some("file already exists".to_string());
            false
        };
        if download {
            changes.push(Change::new(
                "content",
                dest_sha1.map(Value::String).unwrap_or(Value::Null),
                url.clone(),
            ));
        }
        changes.extend(
            attr_changes(stat.as_ref(), &wanted, &ids, false, 0o644)
                .map_err(ModuleError::Failed)?,
        );
        if let Some(st) = &stat {
            values.extend(st.attr_values());
        }
        let msg = reason.unwrap_or_default();
        values.insert("msg".into(), Value::String(msg.clone()));
        Ok(Plan {
            changes,
            values,
            msg: Some(msg).filter(|m| !m.is_empty()),
            ..Default::default()
        })
    }

    async fn apply(
        &self,
        args: &Args,
        plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let started = Instant::now();
        let download = plan.changes.iter().any(|c| c.field == "content");
        let attrs: Vec<Change> = plan
            .changes
            .iter()
            .filter(|c| matches!(c.field.as_str(), "owner" | "group" | "mode"))
            .cloned()
            .collect();
        let mut p = ProbeScript::new();
        p.prelude(&prelude(args));
        let mut code = String::new();
        if download {
            let tmpdir = args
                .str("tmp_dest")
                .map(quote)
                .unwrap_or_else(|| "\"$(dirname -- \"$d\")\"".into());
            code.push_str(&format!(
                "_t=$(mktemp -p {tmpdir} .rplay-get_url.XXXXXXXX) || exit 1\n\
                 if ! _dl \"$u\" \"$_t\"; then rm -f \"$_t\"; exit 3; fi\n"
            ));
            if let Some((algo, _)) = checksum_spec(args)? {
                let exp = plan
                    .values
                    .get("checksum_expected")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                code.push_str(&format!(
                    "_got=$({algo}sum -- \"$_t\" | cut -d' ' -f1)\n\
                     if [ \"$_got\" != {e} ]; then rm -f \"$_t\"; printf 'The checksum for %s did not match %s; it was %s.' \"$d\" {e} \"$_got\" >&2; exit 4; fi\n",
                    e = quote(exp)
                ));
            }
            code.push_str(
                "_src=$(sha1sum -- \"$_t\" | cut -c1-40); _size=$(stat -c %s -- \"$_t\")\n",
            );
            if args.bool("backup") {
                code.push_str("if [ -f \"$d\" ]; then _b=\"$d.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"; cp -p -- \"$d\" \"$_b\" || exit 1; fi\n");
            }
            // A replaced file keeps its attributes; a new one gets 0644 unless others are asked for.
            code.push_str("if [ -e \"$d\" ]; then chmod --reference=\"$d\" -- \"$_t\" 2>/dev/null; chown --reference=\"$d\" -- \"$_t\" 2>/dev/null; else chmod 0644 \"$_t\"; fi\n");
            code.push_str(&apply_attr_code("$_t", &attrs, false).replace("'$_t'", "\"$_t\""));
            code.push_str("mv -f -- \"$_t\" \"$d\" || exit 1\n");
        } else {
            code.push_str(&apply_attr_code("$d", &attrs, false).replace("'$d'", "\"$d\""));
        }
        p.prelude(&code);
        p.section(
            "result",
            "printf '%s|%s|%s' \"${_src:-}\" \"${_size:-}\" \"${_b:-}\"",
        );
        p.section("stat", &stat_code("d", true));
        let (stdin, env) = credentials(args);
        let out = ctx
            .host
            .run(Command {
                script: p.script(),
                stdin,
                env,
                cwd: None,
            })
            .await?;
        let mut values = plan.values.clone();
        values.shift_remove("checksum_expected");
        if out.rc != 0 {
            let err = out.stderr_str().trim().to_string();
            let msg = match out.rc {
                4 => err,
                _ => format!("Request failed: {err}"),
            };
            let mut o = Outcome::failed(msg);
            o.values = values;
            return Ok(o);
        }
        let s = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let result = s.get("result").map_err(ModuleError::Protocol)?.text();
        let f: Vec<&str> = result.split('|').collect();
        if download {
            values.insert(
                "checksum_src".into(),
                Value::String(f.first().copied().unwrap_or_default().to_string()),
            );
            values.insert("status_code".into(), Value::from(200));
            values.insert(
                "msg".into(),
                Value::String(format!("OK ({} bytes)", f.get(1).copied().unwrap_or("0"))),
            );
            values.insert("elapsed".into(), Value::from(started.elapsed().as_secs()));
        }
        if let Some(b) = f.get(2).filter(|b| !b.is_empty()) {
            values.insert("backup_file".into(), Value::String(b.to_string()));
        }
        if let Some(st) = parse_stat(&s.get("stat").map_err(ModuleError::Protocol)?.text())
            .map_err(ModuleError::Protocol)?
        {
            values.extend(st.attr_values());
        }
        let msg = values
            .get("msg")
            .and_then(Value::as_str)
            .map(str::to_string);
        Ok(Outcome {
            changed: true,
            msg,
            values,
            diffs: plan.changes,
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without curl or wget, plain http goes through bash's /dev/tcp (binary-safe body).
    #[test]
    fn bash_fallback_downloads_http() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let body: Vec<u8> = (0..=255u8).chain(b"\r\n\r\nend".iter().copied()).collect();
        let served = body.clone();
        std::thread::spawn(move || {
            if let Some(Ok(mut s)) = listener.incoming().next() {
                // Read the whole request before answering, as servers do.
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = write!(s, "HTTP/1.0 200 OK\r\nX-A: b\r\n\r\n");
                let _ = s.write_all(&served);
            }
        });
        let bin = tempfile::tempdir().unwrap();
        for tool in ["sh", "bash", "cat", "cp"] {
            let real = ["/usr/bin", "/bin"]
                .iter()
                .map(|d| format!("{d}/{tool}"))
                .find(|p| std::path::Path::new(p).exists())
                .unwrap();
            std::os::unix::fs::symlink(real, bin.path().join(tool)).unwrap();
        }
        let out_file = bin.path().join("out");
        let args = SPEC
            .validate(
                serde_json::json!({"url": "http://x/", "dest": "/y"})
                    .as_object()
                    .unwrap(),
            )
            .unwrap();
        let script = format!(
            "{}\n_dl http://127.0.0.1:{port}/f {}",
            downloader(&args),
            out_file.display()
        );
        let status = std::process::Command::new(bin.path().join("sh"))
            .arg("-c")
            .arg(script)
            .env("PATH", bin.path())
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{:?} {}",
            status.status,
            String::from_utf8_lossy(&status.stderr)
        );
        assert_eq!(std::fs::read(out_file).unwrap(), body);
    }

    #[test]
    fn names_and_checksums() {
        assert_eq!(url_basename("https://x.org/a/b.tar.gz?x=1"), "b.tar.gz");
        assert_eq!(url_basename("https://x.org/"), "index.html");
        let args = SPEC
            .validate(
                serde_json::json!({"url": "file:///x", "dest": "/y", "checksum": "SHA256:ab"})
                    .as_object()
                    .unwrap(),
            )
            .unwrap();
        assert_eq!(
            checksum_spec(&args).unwrap(),
            Some(("sha256".into(), "ab".into()))
        );
    }
}
