//! `uri`: one HTTP(S) request made from the host, as Ansible's uri module makes it (REST calls,
//! health checks, downloads to `dest`). rplay runs no Python on hosts, so the host's curl makes the
//! request in one round trip: everything about the request (URL, headers, credentials, body)
//! reaches curl as a config on its stdin, never in a process's arguments. The response's status
//! line, headers, cookies and (when needed) body come back framed and become Ansible's result keys.

use async_trait::async_trait;

use super::file::{
    ARG_ATTRIBUTES, ARG_GROUP, ARG_MODE, ARG_OWNER, ARG_SELEVEL, ARG_SEROLE, ARG_SETYPE,
    ARG_SEUSER, ARG_UNSAFE,
};
use crate::builtin::copy::{python_json, sha1_hex};
use crate::fileattr::{parse_stat, stat_code};
use crate::host::{Content, FileAttrs};
use crate::shell::{quote, ProbeScript, Sections};
use crate::spec::{value_to_string, ArgKind, ArgSpec, ModuleSpec, ReturnSpec};
use crate::{Args, Command, Context, Map, Module, ModuleError, Outcome, Plan, Value};

/// The `uri` module.
pub struct UriModule;

static SPEC: ModuleSpec = ModuleSpec {
    name: "uri",
    fqcn: &["ansible.builtin.uri", "ansible.legacy.uri"],
    synopsis: "Interact with web services (HTTP and HTTPS requests from the host).",
    description: "Makes one request with the host's curl (needed on the host) and returns the status, \
        every response header (lower-cased, `-` turned into `_`), cookies, and the body as `json` when \
        the response is JSON and as `content` with `return_content`. A status outside `status_code` \
        fails the task. Never changed, except when the response is written to `dest`. Not run in \
        check mode, as in Ansible.",
    args: &[
        ArgSpec::new("url", ArgKind::Str, "http or https URL.").required(),
        ArgSpec::new("method", ArgKind::Str, "HTTP method, one upper-case word.").default("\"GET\""),
        ArgSpec::new("body", ArgKind::Raw, "Request body: text, or data encoded as `body_format` says."),
        ArgSpec::new(
            "body_format",
            ArgKind::Str,
            "How `body` is encoded; `json` and `form-urlencoded` also set Content-Type unless `headers` do.",
        )
        .default("\"raw\"")
        .choices(&["form-urlencoded", "json", "raw", "form-multipart"]),
        ArgSpec::new("src", ArgKind::Path, "File sent as the body (controller file unless `remote_src`)."),
        ArgSpec::new("remote_src", ArgKind::Bool, "`src` (and multipart files) are on the host.").default("false"),
        ArgSpec::new("headers", ArgKind::Dict, "Extra request headers.").default("{}"),
        ArgSpec::new("status_code", ArgKind::List, "Statuses that mean success.")
            .default("[200]")
            .elements(ArgKind::Int),
        ArgSpec::new("return_content", ArgKind::Bool, "Return the body as `content`.").default("false"),
        ArgSpec::new("dest", ArgKind::Path, "Write the body to this file (or into this directory)."),
        ArgSpec::new("creates", ArgKind::Path, "Skip the request when this path exists."),
        ArgSpec::new("removes", ArgKind::Path, "Skip the request unless this path exists."),
        ArgSpec::new("url_username", ArgKind::Str, "User for Basic or Digest authentication.").aliases(&["user"]),
        ArgSpec::new("url_password", ArgKind::Str, "Password for it.").aliases(&["password"]).no_log(),
        ArgSpec::new("force_basic_auth", ArgKind::Bool, "Send Basic credentials without waiting for a 401.")
            .default("false"),
        ArgSpec::new("use_netrc", ArgKind::Bool, "Use ~/.netrc credentials when no user is given.").default("true"),
        ArgSpec::new("follow_redirects", ArgKind::Str, "`safe` follows redirects of GET and HEAD only.")
            .default("\"safe\"")
            .choices(&["all", "no", "none", "safe", "urllib2", "yes"]),
        ArgSpec::new("timeout", ArgKind::Int, "Seconds to connect, and of silence before giving up.").default("30"),
        ArgSpec::new("validate_certs", ArgKind::Bool, "Check TLS certificates.").default("true"),
        ArgSpec::new("ca_path", ArgKind::Path, "CA bundle to check certificates with."),
        ArgSpec::new("client_cert", ArgKind::Path, "PEM client certificate."),
        ArgSpec::new("client_key", ArgKind::Path, "PEM client key."),
        ArgSpec::new("ciphers", ArgKind::List, "TLS ciphers, joined with `:`.").elements(ArgKind::Str),
        ArgSpec::new("use_proxy", ArgKind::Bool, "Use proxy environment variables.").default("true"),
        ArgSpec::new("unix_socket", ArgKind::Path, "Connect through this Unix socket."),
        ArgSpec::new("http_agent", ArgKind::Str, "User-Agent header.").default("\"ansible-httpget\""),
        ArgSpec::new("force", ArgKind::Bool, "Ask caches for a fresh copy (`Cache-Control: no-cache`).")
            .default("false"),
        ArgSpec::new("unredirected_headers", ArgKind::List, "Accepted for compatibility; curl decides.")
            .default("[]")
            .elements(ArgKind::Str),
        ArgSpec::new("decompress", ArgKind::Bool, "Accepted for compatibility; bodies are kept as sent.")
            .default("true"),
        ArgSpec::new("use_gssapi", ArgKind::Bool, "Not supported; must stay false.").default("false"),
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
    mutually_exclusive: &[&["body", "src"]],
    required_one_of: &[],
    controller_only: false,
    returns: &[
        ReturnSpec { name: "status", returned: "always", doc: "HTTP status; -1 when no response came." },
        ReturnSpec { name: "url", returned: "always", doc: "The URL answered (after redirects)." },
        ReturnSpec { name: "msg", returned: "always", doc: "`OK (N bytes)`, `HTTP Error N: reason` or why it failed." },
        ReturnSpec { name: "redirected", returned: "always", doc: "Whether redirects were followed." },
        ReturnSpec { name: "elapsed", returned: "always", doc: "Whole seconds the request took." },
        ReturnSpec { name: "cookies", returned: "success", doc: "Cookies set by the responses, by name." },
        ReturnSpec { name: "cookies_string", returned: "success", doc: "The same as a Cookie header value." },
        ReturnSpec { name: "content", returned: "return_content", doc: "The response body as text." },
        ReturnSpec { name: "json", returned: "JSON response", doc: "The parsed body when Content-Type is JSON." },
        ReturnSpec { name: "path", returned: "dest given", doc: "The file written." },
        ReturnSpec { name: "<header>", returned: "always", doc: "Each response header, e.g. `content_type`." },
    ],
    examples: "- name: Wait for the API\n  ansible.builtin.uri:\n    url: http://127.0.0.1:8080/health\n    return_content: true\n  register: health\n  until: health.status == 200\n  retries: 10\n\n- name: Create an item\n  ansible.builtin.uri:\n    url: https://api.example.org/items\n    method: POST\n    body_format: json\n    body: {name: web}\n    headers:\n      Authorization: \"Bearer {{ token }}\"\n    status_code: [200, 201]\n",
};

/// What the script sends as the request body.
#[derive(Debug, Clone, PartialEq)]
enum Data {
    None,
    /// Text given in the task (sent as is).
    Text(String),
    /// A file on the host (`src`).
    File(String),
    /// multipart/form-data parts, sorted by name as Ansible does.
    Form(Vec<FormPart>),
}

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq)]
enum FormPart {
    /// A plain text field.
    Text { name: String, value: String },
    /// A file part read from `path` on the host; with `content`, the script first writes it there.
    File {
        name: String,
        path: String,
        content: Option<String>,
        filename: String,
        mime: String,
    },
}

/// Escapes a value for a double-quoted curl config parameter.
fn config_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{0b}' => out.push_str("\\v"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `application/x-www-form-urlencoded` text of a mapping or a list of pairs, as Python's
/// `urlencode(..., doseq=True)`: list values repeat the key, null values are left out.
fn form_urlencoded(body: &Value) -> Result<String, String> {
    fn plus_quote(s: &str) -> String {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                    out.push(b as char)
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    }
    let pairs: Vec<(String, Value)> = match body {
        Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Value::Array(items) => items
            .iter()
            .map(|p| match p {
                Value::Array(kv) if kv.len() == 2 => Ok((value_to_string(&kv[0]), kv[1].clone())),
                _ => {
                    Err("failed to parse body as form_urlencoded: need key-value pairs".to_string())
                }
            })
            .collect::<Result<_, _>>()?,
        other => return Ok(value_to_string(other)),
    };
    let mut out = Vec::new();
    for (k, v) in pairs {
        let values = match v {
            Value::Array(a) => a,
            other => vec![other],
        };
        for value in values.iter().filter(|v| !v.is_null()) {
            out.push(format!(
                "{}={}",
                plus_quote(&k),
                plus_quote(&value_to_string(value))
            ));
        }
    }
    Ok(out.join("&"))
}

/// The method as Ansible checks it: upper-cased, one word of letters.
fn method(args: &Args) -> Result<String, String> {
    let m = args.str("method").unwrap_or("GET").to_uppercase();
    if m.is_empty() || !m.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(
            "Parameter 'method' needs to be a single word in uppercase, like GET or POST.".into(),
        );
    }
    Ok(m)
}

fn has_header(args: &Args, name: &str) -> bool {
    matches!(args.get("headers"), Some(Value::Object(h)) if h.keys().any(|k| k.eq_ignore_ascii_case(name)))
}

/// The request body, the Content-Type it implies (unless the task's headers give one) and the
/// controller files to upload first for `src` and multipart files.
struct Body {
    data: Data,
    implied_type: Option<&'static str>,
    /// (controller path, host path) pairs.
    uploads: Vec<(String, String)>,
}

/// The [`Body`] of the task. Files on the host made for the request are named `<prefix>-...`.
fn request_data(args: &Args, prefix: &str) -> Result<Body, String> {
    let remote = args.bool("remote_src");
    let mut uploads = Vec::new();
    let host_path = |p: &str, uploads: &mut Vec<(String, String)>| -> String {
        if remote {
            return p.to_string();
        }
        let base = p.rsplit('/').next().unwrap_or(p);
        let on_host = format!("{prefix}-{}-{base}", uploads.len());
        uploads.push((p.to_string(), on_host.clone()));
        on_host
    };
    if let Some(src) = args.str("src") {
        let p = host_path(src, &mut uploads);
        return Ok(Body {
            data: Data::File(p),
            implied_type: None,
            uploads,
        });
    }
    let body = args.get("body");
    let format = args
        .str("body_format")
        .unwrap_or("raw")
        .to_ascii_lowercase();
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Object(_) | Value::Array(_) => python_json(v),
        other => value_to_string(other),
    };
    match format.as_str() {
        "json" => {
            // Ansible sends `json.dumps(body)` even without a body: `null`.
            let t = match body {
                Some(Value::String(s)) => s.clone(),
                Some(v) => python_json(v),
                None => "null".into(),
            };
            Ok(Body {
                data: Data::Text(t),
                implied_type: Some("application/json"),
                uploads,
            })
        }
        "form-urlencoded" => {
            let data = match body {
                Some(v) => Data::Text(form_urlencoded(v)?),
                None => Data::None,
            };
            Ok(Body {
                data,
                implied_type: Some("application/x-www-form-urlencoded"),
                uploads,
            })
        }
        "form-multipart" => {
            let Some(Value::Object(fields)) = body else {
                return Err(format!(
                    "body must be mapping, cannot be type {}",
                    match body {
                        None => "NoneType",
                        Some(Value::Array(_)) => "list",
                        Some(Value::String(_)) => "str",
                        Some(_) => "scalar",
                    }
                ));
            };
            let mut names: Vec<&String> = fields.keys().collect();
            names.sort();
            let mut parts = Vec::new();
            for name in names {
                match &fields[name.as_str()] {
                    Value::Object(f) => {
                        let filename = f.get("filename").filter(|v| !v.is_null()).map(value_to_string);
                        let content = f.get("content").filter(|v| !v.is_null()).map(value_to_string);
                        let mime = f
                            .get("mime_type")
                            .filter(|v| !v.is_null())
                            .map(value_to_string)
                            .unwrap_or_else(|| guess_mime(filename.as_deref().unwrap_or("")).into());
                        if filename.is_none() && content.is_none() {
                            return Err("failed to parse body as form-multipart: at least one of filename or content must be provided".into());
                        }
                        let path = match (&content, &filename) {
                            (None, Some(file)) => host_path(file, &mut uploads),
                            _ => format!("{prefix}-part{}", parts.len()),
                        };
                        let shown = filename.as_deref().unwrap_or(name.as_str());
                        parts.push(FormPart::File {
                            name: name.clone(),
                            filename: shown.rsplit('/').next().unwrap_or(shown).to_string(),
                            path,
                            content,
                            mime,
                        });
                    }
                    Value::String(s) => parts.push(FormPart::Text { name: name.clone(), value: s.clone() }),
                    other => {
                        return Err(format!(
                            "failed to parse body as form-multipart: value must be a string, or mapping, cannot be type {}",
                            match other {
                                Value::Array(_) => "list",
                                Value::Bool(_) => "bool",
                                Value::Number(_) => "int",
                                _ => "NoneType",
                            }
                        ))
                    }
                }
            }
            Ok(Body {
                data: Data::Form(parts),
                implied_type: None,
                uploads,
            })
        }
        _ => Ok(Body {
            data: body.map(|b| Data::Text(text(b))).unwrap_or(Data::None),
            implied_type: None,
            uploads,
        }),
    }
}

/// The MIME type Python's `mimetypes` gives the usual file names (else a byte stream).
fn guess_mime(filename: &str) -> &'static str {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("json") => "application/json",
        Some("txt") => "text/plain",
        Some("html" | "htm") => "text/html",
        Some("xml") => "text/xml",
        Some("csv") => "text/csv",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("pdf") => "application/pdf",
        Some("zip") => "application/zip",
        Some("tar") => "application/x-tar",
        _ => "application/octet-stream",
    }
}

/// Whether curl follows redirects for this method, per `follow_redirects`.
fn follows(policy: &str, method: &str) -> bool {
    match policy {
        "all" | "yes" => true,
        "urllib2" => matches!(method, "GET" | "HEAD" | "POST"),
        "safe" => matches!(method, "GET" | "HEAD"),
        _ => false,
    }
}

/// The curl config read from stdin: the whole request, secrets included.
fn curl_config(args: &Args, method: &str, data: &Data, implied_type: Option<&str>) -> String {
    let mut c = String::new();
    let mut set = |key: &str, value: Option<&str>| {
        c.push_str(key);
        if let Some(v) = value {
            c.push_str(" = ");
            c.push_str(&config_quote(v));
        }
        c.push('\n');
    };
    set("url", Some(args.str("url").unwrap_or_default()));
    set(
        "user-agent",
        Some(args.str("http_agent").unwrap_or("ansible-httpget")),
    );
    let timeout = args.int("timeout").unwrap_or(30).max(1).to_string();
    set("connect-timeout", Some(&timeout));
    set("speed-limit", Some("1"));
    set("speed-time", Some(&timeout));
    if !args
        .get("validate_certs")
        .and_then(Value::as_bool)
        .unwrap_or(true)
    {
        set("insecure", None);
    }
    for (arg, key) in [
        ("ca_path", "cacert"),
        ("client_cert", "cert"),
        ("client_key", "key"),
        ("unix_socket", "unix-socket"),
    ] {
        if let Some(v) = args.str(arg) {
            set(key, Some(v));
        }
    }
    let ciphers = args.str_list("ciphers");
    if !ciphers.is_empty() {
        set("ciphers", Some(&ciphers.join(":")));
    }
    if !args
        .get("use_proxy")
        .and_then(Value::as_bool)
        .unwrap_or(true)
    {
        set("noproxy", Some("*"));
    }
    if follows(args.str("follow_redirects").unwrap_or("safe"), method) {
        set("location", None);
        set("max-redirs", Some("10"));
    }
    match (args.str("url_username"), args.str("url_password")) {
        (Some(user), password) => {
            set(
                "user",
                Some(&format!("{user}:{}", password.unwrap_or_default())),
            );
            set(
                if args.bool("force_basic_auth") {
                    "basic"
                } else {
                    "anyauth"
                },
                None,
            );
        }
        _ if args
            .get("use_netrc")
            .and_then(Value::as_bool)
            .unwrap_or(true) =>
        {
            set("netrc-optional", None)
        }
        _ => {}
    }
    if !has_header(args, "connection") {
        // As urllib: one request per connection (servers then answer `Connection: close` too).
        set("header", Some("Connection: close"));
    }
    if args.bool("force") {
        set("header", Some("Cache-Control: no-cache"));
    }
    let multipart = matches!(data, Data::Form(_));
    if let Some(ct) = implied_type.filter(|_| !has_header(args, "content-type")) {
        set("header", Some(&format!("Content-Type: {ct}")));
    }
    if let Some(Value::Object(h)) = args.get("headers") {
        for (k, v) in h {
            if multipart && k.eq_ignore_ascii_case("content-type") {
                continue;
            }
            set("header", Some(&format!("{k}: {}", value_to_string(v))));
        }
    }
    let has_body = !matches!(data, Data::None);
    match data {
        Data::None => {}
        Data::Text(t) => set("data-raw", Some(t)),
        Data::File(p) => set("data-binary", Some(&format!("@{p}"))),
        Data::Form(parts) => {
            for part in parts {
                match part {
                    FormPart::Text { name, value } => {
                        set("form-string", Some(&format!("{name}={value}")))
                    }
                    FormPart::File {
                        name,
                        path,
                        filename,
                        mime,
                        ..
                    } => {
                        let mut spec = format!(
                            "{name}=@\"{}\";filename=\"{}\"",
                            path.replace('"', "\\\""),
                            filename.replace('"', "\\\"")
                        );
                        spec.push_str(&format!(";type={mime}"));
                        set("form", Some(&spec));
                    }
                }
            }
        }
    }
    if has_body {
        // urllib sends the body at once; curl would otherwise wait for `100 Continue`.
        set("header", Some("Expect:"));
    }
    match method {
        "HEAD" => set("head", None),
        "GET" if !has_body => {}
        "POST" if has_body => {}
        m => {
            set("request", Some(m));
            if !has_body && matches!(m, "POST" | "PUT" | "PATCH") {
                set("header", Some("Content-Length: 0"));
            }
        }
    }
    c
}

/// Shell code turning `$v` into the host's expansion of a leading `~`.
fn tilde(var: &str) -> String {
    format!("case \"${var}\" in '~'|'~/'*) {var}=\"$HOME${{{var}#\\~}}\" ;; esac\n")
}

/// The request script: skips for `creates`/`removes`, runs curl with the config on stdin, writes
/// `dest`, and prints the answer in sections.
fn script(args: &Args, method: &str, data: &Data, prefix: &str) -> ProbeScript {
    let codes: Vec<String> = status_codes(args).iter().map(i64::to_string).collect();
    let mut pre = format!(
        "_codes={}\n_want={}\n_head={}\n_force={}\nd={}\n_c={}\n_r={}\n",
        quote(&format!(" {} ", codes.join(" "))),
        u8::from(args.bool("return_content")),
        u8::from(method == "HEAD"),
        u8::from(args.bool("force")),
        quote(args.str("dest").unwrap_or_default()),
        quote(args.str("creates").unwrap_or_default()),
        quote(args.str("removes").unwrap_or_default()),
    );
    for v in ["d", "_c", "_r"] {
        pre.push_str(&tilde(v));
    }
    pre.push_str(
        "_skip=\nif [ -n \"$_c\" ] && [ -e \"$_c\" ]; then _skip=\"creates|$_c\"; \
         elif [ -n \"$_r\" ] && [ ! -e \"$_r\" ]; then _skip=\"removes|$_r\"; fi\n",
    );
    pre.push_str(&format!("_up={}\n", quote(prefix)));
    let mut parts = String::new();
    if let Data::Form(ps) = data {
        for p in ps {
            if let FormPart::File {
                path,
                content: Some(text),
                ..
            } = p
            {
                // printf is a shell builtin: the content never shows in a process's arguments.
                parts.push_str(&format!(
                    "(umask 077; printf '%s' {} > {})\n",
                    quote(text),
                    quote(path)
                ));
            }
        }
    }
    pre.push_str(&format!(
        "if [ -z \"$_skip\" ]; then\n\
         _t=$(mktemp -d) || exit 1\n\
         {parts}\
         set --\n\
         if [ -n \"$d\" ] && [ -f \"$d\" ] && [ \"$_force\" = 0 ]; then\n\
           set -- -H \"If-Modified-Since: $(LC_ALL=C date -u -r \"$d\" '+%a, %d %b %Y %H:%M:%S GMT')\"\n\
         fi\n\
         if command -v curl >/dev/null 2>&1; then\n\
           curl -sS --http1.1 -o \"$_t/body\" -D \"$_t/head\" -c \"$_t/jar\" \
             -w '%{{http_code}}\\n%{{num_redirects}}\\n%{{time_total}}\\n%{{url_effective}}' \"$@\" -K - \
             > \"$_t/meta\" 2> \"$_t/err\"\n\
           _rc=$?\n\
         else _rc=127; echo 'curl: not found' > \"$_t/err\"; fi\n\
         [ \"$_head\" = 1 ] && : > \"$_t/body\"\n\
         _code=$(head -n 1 \"$_t/meta\" 2>/dev/null)\n\
         _eff=$(sed -n 4p \"$_t/meta\" 2>/dev/null)\n\
         case \"$_code\" in 2??) ;; *) _want=1 ;; esac\n\
         case \"$_codes\" in *\" $_code \"*) _ok=1 ;; *) _ok=0; _want=1 ;; esac\n\
         case \"$(tr 'A-Z' 'a-z' < \"$_t/head\" 2>/dev/null | grep '^content-type:' | tail -n 1)\" in *json*|*javascript*) _want=1 ;; esac\n\
         _wrote=0; _derr=\n\
         if [ -n \"$d\" ] && [ \"$_rc\" = 0 ] && [ \"$_code\" != 000 ]; then\n\
           if [ -d \"$d\" ]; then\n\
             _fn=$(tr -d '\\r' < \"$_t/head\" | sed -n 's/^[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-[Dd][Ii][Ss][Pp][Oo][Ss][Ii][Tt][Ii][Oo][Nn]:.*filename=\"\\{{0,1\\}}\\([^\";]*\\).*/\\1/p' | tail -n 1)\n\
             _fn=${{_fn##*/}}\n\
             if [ -z \"$_fn\" ]; then _p=${{_eff%%[?#]*}}; _p=${{_p#*://}}; case \"$_p\" in */*) _p=${{_p#*/}} ;; *) _p= ;; esac\n\
               while case \"$_p\" in */) true ;; *) false ;; esac; do _p=${{_p%/}}; done; _fn=${{_p##*/}}; fi\n\
             d=\"${{d%/}}/${{_fn:-index.html}}\"\n\
           fi\n\
           if [ \"$_ok\" = 1 ] && [ \"$_code\" != 304 ]; then\n\
             _wrote=1\n\
             if [ ! -f \"$d\" ] || [ \"$(sha1sum < \"$_t/body\")\" != \"$(sha1sum < \"$d\")\" ]; then\n\
               _n=$(mktemp \"$(dirname -- \"$d\")/.rplay-uri.XXXXXXXX\" 2>&1) && cat \"$_t/body\" > \"$_n\" && \
               if [ -e \"$d\" ]; then chmod --reference=\"$d\" -- \"$_n\" && chown --reference=\"$d\" -- \"$_n\"; \
               else chmod \"$(printf '%o' $(( 0666 & ~0$(umask) )))\" -- \"$_n\"; fi && mv -f -- \"$_n\" \"$d\" 2>&1 \
               || {{ _derr=\"failed to write $d: $_n\"; rm -f -- \"$_n\" 2>/dev/null; }}\n\
             fi\n\
             {attrs}\
           fi\n\
         fi\n\
         fi\n",
        attrs = attr_code(args),
    ));
    let mut p = ProbeScript::new();
    p.prelude(&pre);
    p.section("skip", "printf '%s' \"$_skip\"");
    p.section(
        "meta",
        "[ -n \"$_skip\" ] || { printf '%s\\n' \"$_rc\"; cat \"$_t/meta\" 2>/dev/null; }; :",
    );
    p.section("err", "[ -n \"$_skip\" ] || cat \"$_t/err\" 2>/dev/null; :");
    p.section(
        "head",
        "[ -n \"$_skip\" ] || cat \"$_t/head\" 2>/dev/null; :",
    );
    p.section(
        "body",
        "[ -n \"$_skip\" ] || [ \"$_want\" != 1 ] || cat \"$_t/body\" 2>/dev/null; :",
    );
    p.section("jar", "[ -n \"$_skip\" ] || cat \"$_t/jar\" 2>/dev/null; :");
    p.section(
        "dest",
        &format!(
            "if [ -z \"$_skip\" ] && [ -n \"$d\" ] && [ \"${{_code:-000}}\" != 000 ]; then \
             printf 'P|%s\\nW|%s\\nE|%s\\n' \"$d\" \"$_wrote\" \"$_derr\"; {}; fi; :",
            stat_code("d", false)
        ),
    );
    p.section(
        "cleanup",
        "[ -n \"$_skip\" ] || rm -rf -- \"$_t\"; rm -f -- \"$_up\"-*; :",
    );
    p
}

/// Shell code applying `owner`, `group` and `mode` to the written `$d`.
fn attr_code(args: &Args) -> String {
    let mut code = String::new();
    for (arg, cmd) in [("owner", "chown"), ("group", "chgrp"), ("mode", "chmod")] {
        if let Some(v) = args.str(arg).filter(|v| !v.is_empty()) {
            code.push_str(&format!(
                "[ -n \"$_derr\" ] || _derr=$({cmd} {} -- \"$d\" 2>&1) || _derr=\"{cmd} failed: $_derr\"\n",
                quote(v)
            ));
        }
    }
    code
}

fn status_codes(args: &Args) -> Vec<i64> {
    match args.get("status_code") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_i64).collect(),
        _ => vec![200],
    }
}

/// The last response of a header dump (one block per response when redirects were followed).
#[derive(Debug, Clone, Default, PartialEq)]
struct Response {
    code: i64,
    reason: String,
    headers: Vec<(String, String)>,
}

fn last_response(head: &str) -> Option<Response> {
    let mut last: Option<Response> = None;
    for line in head.split('\n') {
        let line = line.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix("HTTP/") {
            let mut words = rest.splitn(3, ' ');
            let _version = words.next();
            let code = words.next().and_then(|c| c.parse().ok()).unwrap_or(-1);
            let reason = words.next().unwrap_or_default().trim().to_string();
            // An interim `100 Continue` is followed by the real answer.
            last = Some(Response {
                code,
                reason,
                headers: Vec::new(),
            });
        } else if let Some(r) = last.as_mut() {
            if line.starts_with([' ', '\t']) {
                if let Some((_, v)) = r.headers.last_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
            } else if let Some((k, v)) = line.split_once(':') {
                r.headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
    }
    last
}

/// Cookies of curl's jar, in the order Python's cookie jar lists them: grouped by domain, then
/// path, in the order each was first set (the `Set-Cookie` headers of `head`, all responses).
fn cookies(jar: &str, head: &str) -> Vec<(String, String)> {
    let mut order: Vec<String> = Vec::new();
    for line in head.lines() {
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("set-cookie") {
                let name = v.split(['=', ';']).next().unwrap_or("").trim().to_string();
                if !order.contains(&name) {
                    order.push(name);
                }
            }
        }
    }
    let pos = |name: &str| order.iter().position(|n| n == name).unwrap_or(usize::MAX);
    let found: Vec<JarCookie> = jar
        .lines()
        .map(|l| l.strip_prefix("#HttpOnly_").unwrap_or(l))
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 7).then(|| JarCookie {
                domain: f[0].trim_start_matches('.').to_string(),
                path: f[2].to_string(),
                name: f[5].to_string(),
                value: f[6].to_string(),
            })
        })
        .collect();
    // Python's jar keeps domains, then paths, then names in the order they were first met.
    let first_set = |domain: &str, path: Option<&str>| {
        found
            .iter()
            .filter(|c| c.domain == domain && path.is_none_or(|p| c.path == p))
            .map(|c| pos(&c.name))
            .min()
            .unwrap_or(usize::MAX)
    };
    let mut keyed: Vec<(usize, usize, usize, &JarCookie)> = found
        .iter()
        .map(|c| {
            (
                first_set(&c.domain, None),
                first_set(&c.domain, Some(&c.path)),
                pos(&c.name),
                c,
            )
        })
        .collect();
    keyed.sort_by_key(|k| (k.0, k.1, k.2));
    keyed
        .into_iter()
        .map(|(_, _, _, c)| (c.name.clone(), c.value.clone()))
        .collect()
}

/// One line of curl's cookie jar.
struct JarCookie {
    domain: String,
    path: String,
    name: String,
    value: String,
}

/// Python's `urljoin(base, location)` for the usual forms of a Location header.
fn urljoin(base: &str, loc: &str) -> String {
    if loc.contains("://") {
        return loc.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    if let Some(net) = loc.strip_prefix("//") {
        return format!("{scheme}://{net}");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    if loc.starts_with('/') {
        return format!("{scheme}://{authority}{loc}");
    }
    let path = &rest[authority.len()..];
    let path = path.split(['?', '#']).next().unwrap_or(path);
    if loc.is_empty() {
        return base.to_string();
    }
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    format!("{scheme}://{authority}{dir}{loc}")
}

/// Content type, whether it is JSON, and the charset, as Ansible's `parse_content_type` reads the
/// first Content-Type header (`text/plain` when missing or malformed).
fn content_type(headers: &[(String, String)]) -> (bool, String) {
    let raw = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str());
    let mut params = raw.unwrap_or("").split(';');
    let mut ctype = params.next().unwrap_or("").trim().to_ascii_lowercase();
    if ctype.matches('/').count() != 1 {
        ctype = "text/plain".into();
    }
    let ctype = ctype.split(',').next().unwrap_or("").to_string();
    let sub = ctype.split_once('/').map(|(_, s)| s).unwrap_or("");
    let sub = sub.split_once('+').map(|(_, s)| s).unwrap_or(sub);
    let json = matches!(sub, "json" | "javascript");
    let charset = params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, v)| v.trim().trim_matches('"').to_ascii_lowercase())
        .unwrap_or_else(|| "utf-8".into());
    (json, charset)
}

fn decode(body: &[u8], charset: &str) -> String {
    match charset {
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" => {
            body.iter().map(|&b| b as char).collect()
        }
        _ => String::from_utf8_lossy(body).into_owned(),
    }
}

/// What curl's exit status means, worded as Python's urllib errors are.
fn request_failure(rc: i32, stderr: &str) -> String {
    let detail = stderr
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .trim_start_matches("curl: ")
        .to_string();
    let detail = match detail.split_once(") ") {
        Some((num, rest)) if num.starts_with('(') => rest.to_string(),
        _ => detail,
    };
    let reason = match rc {
        6 => "[Errno -2] Name or service not known".to_string(),
        7 => "[Errno 111] Connection refused".to_string(),
        28 => "timed out".to_string(),
        127 => {
            return "Failed to find required executable \"curl\" on the host: rplay's uri needs it"
                .into()
        }
        _ => detail,
    };
    format!("Request failed: <urlopen error {reason}>")
}

/// The host's answer, as the script printed it.
#[derive(Debug, Default)]
struct Answer {
    skip: Option<(String, String)>,
    rc: i32,
    redirects: u32,
    seconds: f64,
    effective_url: String,
    stderr: String,
    head: String,
    body: Option<Vec<u8>>,
    jar: String,
    /// `P|`, `W|`, `E|` and stat lines of the dest section.
    dest: String,
}

fn read_answer(s: &Sections) -> Result<Answer, String> {
    let skip = s.get("skip")?.text();
    if let Some((kind, path)) = skip.split_once('|') {
        return Ok(Answer {
            skip: Some((kind.to_string(), path.to_string())),
            ..Default::default()
        });
    }
    let meta = s.get("meta")?.text();
    let lines: Vec<&str> = meta.lines().collect();
    let field = |i: usize| lines.get(i).copied().unwrap_or("").trim();
    let body = s.get("body")?;
    Ok(Answer {
        skip: None,
        rc: field(0).parse().unwrap_or(-1),
        redirects: field(2).parse().unwrap_or(0),
        seconds: field(3).parse().unwrap_or(0.0),
        effective_url: field(4).to_string(),
        stderr: s.get("err")?.text(),
        head: s.get("head")?.text(),
        body: (!body.out.is_empty()).then(|| body.out.clone()),
        jar: s.get("jar")?.text(),
        dest: s.get("dest")?.text(),
    })
}

/// Ansible's result for the answer: the keys of the module's `uresp`, in its order.
fn outcome(args: &Args, a: Answer) -> Result<Outcome, String> {
    if let Some((kind, path)) = a.skip {
        let text = if kind == "creates" {
            format!("skipped, since '{path}' exists")
        } else {
            format!("skipped, since '{path}' does not exist")
        };
        let mut values = Map::new();
        values.insert("stdout".into(), Value::String(text.clone()));
        values.insert(
            "stdout_lines".into(),
            Value::Array(vec![Value::String(text)]),
        );
        return Ok(Outcome::ok(values));
    }
    let url = args.str("url").unwrap_or_default().to_string();
    let codes = status_codes(args);
    let return_content = args.bool("return_content");
    let response = if a.rc == 0 {
        last_response(&a.head)
    } else {
        None
    };
    // `info` of fetch_url, then uri's own keys; header names lower-cased.
    let mut info = Map::new();
    info.insert("url".into(), Value::String(url.clone()));
    info.insert("status".into(), Value::from(-1));
    let mut maybe_json = false;
    let mut charset = "utf-8".to_string();
    let mut error_response = false;
    let status = match &response {
        None => {
            info.insert(
                "msg".into(),
                Value::String(request_failure(a.rc, &a.stderr)),
            );
            -1
        }
        Some(r) => {
            (maybe_json, charset) = content_type(&r.headers);
            let success = (200..300).contains(&r.code);
            for (k, v) in &r.headers {
                let key = k.to_ascii_lowercase();
                match info.get_mut(&key) {
                    // A successful response joins repeated headers; an error keeps the last.
                    Some(Value::String(old)) if success => *old = format!("{old}, {v}"),
                    _ => {
                        info.insert(key, Value::String(v.clone()));
                    }
                }
            }
            if success {
                let jar = cookies(&a.jar, &a.head);
                let cookie_string: Vec<String> =
                    jar.iter().map(|(n, v)| format!("{n}={v}")).collect();
                info.insert(
                    "cookies_string".into(),
                    Value::String(cookie_string.join("; ")),
                );
                let mut cookie_map = Map::new();
                for (n, v) in jar {
                    cookie_map.insert(n, Value::String(v));
                }
                info.insert("cookies".into(), Value::Object(cookie_map));
                let length = r
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("unknown");
                info.insert("msg".into(), Value::String(format!("OK ({length} bytes)")));
                let final_url = if a.redirects > 0 {
                    a.effective_url.clone()
                } else {
                    url.clone()
                };
                info.insert("url".into(), Value::String(final_url));
            } else {
                info.insert(
                    "msg".into(),
                    Value::String(format!("HTTP Error {}: {}", r.code, r.reason)),
                );
                // urllib keeps an error's body in `info`; uri takes it out when it reads it.
                error_response = true;
                info.insert("body".into(), Value::Null);
            }
            info.insert("status".into(), Value::from(r.code));
            r.code
        }
    };
    let maybe_output = maybe_json || return_content || !codes.contains(&status);
    let content: Option<String> = if maybe_output {
        // Read from the response, or the error body urllib kept.
        info.shift_remove("body");
        Some(
            a.body
                .as_deref()
                .map(|b| decode(b, &charset))
                .unwrap_or_default(),
        )
    } else {
        if error_response {
            let text = a
                .body
                .as_deref()
                .map(|b| decode(b, &charset))
                .unwrap_or_default();
            info.insert("body".into(), Value::String(text));
        }
        None
    };
    let mut resp = Map::new();
    resp.insert(
        "redirected".into(),
        Value::Bool(info.get("url").and_then(Value::as_str) != Some(url.as_str())),
    );
    resp.extend(info);
    resp.insert("elapsed".into(), Value::from(a.seconds as i64));
    resp.insert("status".into(), Value::from(status));
    let mut changed = false;
    let mut file_values = Map::new();
    let mut write_error = None;
    for line in a.dest.lines() {
        if let Some(p) = line.strip_prefix("P|") {
            resp.insert("path".into(), Value::String(p.to_string()));
        } else if line == "W|1" {
            changed = true;
        } else if let Some(e) = line.strip_prefix("E|").filter(|e| !e.is_empty()) {
            write_error = Some(e.to_string());
        }
    }
    if resp.contains_key("path") {
        let stat_lines: String = a
            .dest
            .lines()
            .filter(|l| l.starts_with("S|") || l.starts_with("L|") || *l == "A")
            .map(|l| format!("{l}\n"))
            .collect();
        if let Some(st) = parse_stat(&stat_lines)? {
            let hard = st.nlink > 1 && st.kind == crate::fileattr::FileKind::File;
            file_values = st.attr_values();
            if hard {
                file_values.insert("state".into(), Value::String("hard".into()));
            }
        }
    }
    let mut uresp = Map::new();
    if return_content {
        uresp.insert(
            "content".into(),
            content.clone().map(Value::String).unwrap_or(Value::Null),
        );
    }
    for (k, v) in resp {
        uresp.insert(k.replace('-', "_").to_ascii_lowercase(), v);
    }
    if let Some(Value::String(loc)) = uresp.get("location") {
        let joined = urljoin(&url, loc);
        uresp.insert("location".into(), Value::String(joined));
    }
    if maybe_json {
        if let Some(parsed) = content
            .as_deref()
            .and_then(|c| serde_json::from_str::<Value>(c).ok())
        {
            uresp.insert("json".into(), parsed);
        }
    }
    uresp.extend(file_values);
    let msg = uresp
        .get("msg")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let failed = if let Some(e) = write_error {
        uresp.insert(
            "msg".into(),
            Value::String(format!("{e} {msg}").trim().to_string()),
        );
        true
    } else if !codes.contains(&status) {
        let list: Vec<String> = codes.iter().map(i64::to_string).collect();
        let m = format!(
            "Status code was {status} and not [{}]: {msg}",
            list.join(", ")
        );
        uresp.insert("msg".into(), Value::String(m));
        true
    } else {
        false
    };
    let msg = uresp.get("msg").and_then(Value::as_str).map(str::to_string);
    Ok(Outcome {
        changed,
        failed,
        msg,
        values: uresp,
        ..Default::default()
    })
}

/// The skipped result of a task run in check mode, which uri does not support.
fn check_mode_skip() -> Outcome {
    Outcome {
        skipped: true,
        msg: Some("This action (uri) does not support check mode.".into()),
        ..Default::default()
    }
}

#[async_trait]
impl Module for UriModule {
    fn spec(&self) -> &'static ModuleSpec {
        &SPEC
    }

    fn supports_check_mode(&self) -> bool {
        false
    }

    /// The request is the action: nothing is asked of the host before it.
    async fn plan(&self, args: &Args, ctx: &Context<'_>) -> Result<Plan, ModuleError> {
        if ctx.check_mode {
            return Ok(Plan {
                finished: Some(check_mode_skip()),
                ..Default::default()
            });
        }
        if args.bool("use_gssapi") {
            return Err(ModuleError::Failed(
                "use_gssapi is not supported by rplay's uri".into(),
            ));
        }
        method(args).map_err(ModuleError::Failed)?;
        Ok(Plan {
            always_acts: true,
            ..Default::default()
        })
    }

    async fn apply(
        &self,
        args: &Args,
        _plan: Plan,
        ctx: &Context<'_>,
    ) -> Result<Outcome, ModuleError> {
        let method = method(args).map_err(ModuleError::Failed)?;
        let prefix = format!(
            "/tmp/.rplay-uri-{}-{}",
            std::process::id(),
            &sha1_hex(format!("{}{:?}", ctx.host.name(), std::time::SystemTime::now()).as_bytes())
                [..12]
        );
        let Body {
            data,
            implied_type,
            uploads,
        } = request_data(args, &prefix).map_err(ModuleError::Failed)?;
        for (local, remote) in &uploads {
            let path = ctx
                .controller
                .find_file("files", local)
                .map_err(ModuleError::Failed)?;
            ctx.host
                .put_file(
                    remote,
                    Content::LocalFile(path),
                    &FileAttrs {
                        mode: Some("0600".into()),
                        ..Default::default()
                    },
                )
                .await?;
        }
        let p = script(args, &method, &data, &prefix);
        let config = curl_config(args, &method, &data, implied_type);
        let out = ctx
            .host
            .run(Command {
                script: p.script(),
                stdin: Some(config.into_bytes()),
                env: vec![],
                cwd: None,
            })
            .await?;
        let sections = p.parse(&out.stdout).map_err(ModuleError::Protocol)?;
        let answer = read_answer(&sections).map_err(|e| {
            ModuleError::Protocol(format!("{e}; stderr: {}", out.stderr_str().trim()))
        })?;
        outcome(args, answer).map_err(ModuleError::Protocol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(v: Value) -> Args {
        SPEC.validate(v.as_object().unwrap()).unwrap()
    }

    #[test]
    fn spec_defaults_and_errors() {
        let a = args(
            json!({"url": "http://x/", "status_code": "200,201", "user": "u", "password": "p"}),
        );
        assert_eq!(status_codes(&a), vec![200, 201]);
        assert_eq!(a.str("url_username"), Some("u"));
        assert_eq!(a.str("method"), Some("GET"));
        let e = SPEC
            .validate(json!({"url": "x", "bogus": 1}).as_object().unwrap())
            .unwrap_err();
        assert!(
            e.starts_with("Unsupported parameters for (uri) module: bogus."),
            "{e}"
        );
        assert!(
            e.contains("status_code") && e.contains("url_password"),
            "{e}"
        );
        let e = SPEC
            .validate(
                json!({"url": "x", "body": "a", "src": "b"})
                    .as_object()
                    .unwrap(),
            )
            .unwrap_err();
        assert_eq!(e, "parameters are mutually exclusive: body|src");
        assert!(method(&args(json!({"url": "x", "method": "get"}))).is_ok());
        assert!(method(&args(json!({"url": "x", "method": "M-SEARCH"}))).is_err());
    }

    #[test]
    fn bodies_are_encoded_as_ansible_does() {
        assert_eq!(
            python_json(&json!({"x": 1, "y": "é\"", "z": [true, null]})),
            r#"{"x": 1, "y": "\u00e9\"", "z": [true, null]}"#
        );
        assert_eq!(
            form_urlencoded(&json!({"a": "1 2", "b": ["x", "y"], "c": null, "d": "&="})).unwrap(),
            "a=1+2&b=x&b=y&d=%26%3D"
        );
        assert_eq!(
            form_urlencoded(&json!([["k", "v"], ["k", 2]])).unwrap(),
            "k=v&k=2"
        );
        let a = args(json!({"url": "x", "body_format": "json"}));
        assert_eq!(
            request_data(&a, "/t").unwrap().data,
            Data::Text("null".into())
        );
        let a = args(json!({"url": "x", "src": "f.json"}));
        let Body { data, uploads, .. } = request_data(&a, "/t").unwrap();
        assert_eq!(data, Data::File("/t-0-f.json".into()));
        assert_eq!(
            uploads,
            vec![("f.json".to_string(), "/t-0-f.json".to_string())]
        );
    }

    #[test]
    fn config_holds_the_secrets() {
        let a = args(json!({
            "url": "http://h/p", "method": "POST", "body_format": "json", "body": {"k": "v"},
            "user": "u", "password": "s\"ecret", "force_basic_auth": true,
            "headers": {"Authorization": "Bearer tok"}
        }));
        let Body {
            data,
            implied_type: ct,
            ..
        } = request_data(&a, "/t").unwrap();
        let c = curl_config(&a, "POST", &data, ct);
        assert!(c.contains("user = \"u:s\\\"ecret\"\nbasic\n"), "{c}");
        assert!(c.contains("header = \"Authorization: Bearer tok\""), "{c}");
        assert!(
            c.contains("header = \"Content-Type: application/json\""),
            "{c}"
        );
        assert!(c.contains("data-raw = \"{\\\"k\\\": \\\"v\\\"}\""), "{c}");
        assert!(
            !c.contains("request ="),
            "POST with a body needs no -X: {c}"
        );
        assert!(!c.contains("location"), "safe: POST is not redirected: {c}");
        let s = script(&a, "POST", &data, "/t").script();
        assert!(!s.contains("ecret") && !s.contains("tok"), "{s}");
        let head = curl_config(
            &args(json!({"url": "x", "method": "HEAD"})),
            "HEAD",
            &Data::None,
            None,
        );
        assert!(
            head.contains("\nhead\n") && head.contains("location"),
            "{head}"
        );
    }

    fn answer(head: &str, body: &str) -> Answer {
        Answer {
            head: head.into(),
            body: Some(body.as_bytes().to_vec()),
            ..Default::default()
        }
    }

    #[test]
    fn success_keys_as_ansible() {
        let a = args(json!({"url": "http://h/data"}));
        let mut ans = answer(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\nX-Dup: 1\r\nx-dup: 2\r\nSet-Cookie: sid=abc\r\nSet-Cookie: b=2; HttpOnly\r\n\r\n",
            "{\"a\": 1}",
        );
        ans.jar =
            "# Netscape\nh\tFALSE\t/\tFALSE\t0\tsid\tabc\n#HttpOnly_h\tFALSE\t/\tFALSE\t0\tb\t2\n"
                .into();
        let o = outcome(&a, ans).unwrap();
        assert!(!o.failed && !o.changed);
        let v = Value::Object(o.values);
        assert_eq!(v["status"], json!(200));
        assert_eq!(v["msg"], json!("OK (8 bytes)"));
        assert_eq!(v["content_type"], json!("application/json"));
        assert_eq!(v["x_dup"], json!("1, 2"));
        assert_eq!(v["json"], json!({"a": 1}));
        assert_eq!(v["cookies"], json!({"b": "2", "sid": "abc"}));
        assert_eq!(v["cookies_string"], json!("sid=abc; b=2"));
        assert_eq!(v["redirected"], json!(false));
        assert_eq!(v["url"], json!("http://h/data"));
        assert!(v.get("content").is_none());
    }

    #[test]
    fn error_statuses_as_ansible() {
        let head = "HTTP/1.1 302 Found\r\nLocation: /page.html\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n\r\n";
        let a = args(json!({"url": "http://h/a/b"}));
        let o = outcome(&a, answer(head, "gone")).unwrap();
        assert!(o.failed);
        assert_eq!(
            o.msg.as_deref(),
            Some("Status code was 404 and not [200]: HTTP Error 404: Not Found")
        );
        assert!(o.values.get("content").is_none() && o.values.get("cookies").is_none());
        // An accepted error status keeps urllib's `body`.
        let a = args(json!({"url": "http://h/a/b", "status_code": [404]}));
        let o = outcome(&a, answer(head, "gone")).unwrap();
        assert!(!o.failed);
        assert_eq!(o.values["body"], json!("gone"));
        assert_eq!(o.values["msg"], json!("HTTP Error 404: Not Found"));
        let a = args(json!({"url": "http://h/a/b", "follow_redirects": "none"}));
        let o = outcome(&a, answer("HTTP/1.1 302 Found\r\nLocation: c\r\n\r\n", "")).unwrap();
        assert_eq!(o.values["location"], json!("http://h/a/c"));
        let refused = Answer {
            rc: 7,
            stderr: "curl: (7) Failed to connect".into(),
            ..Default::default()
        };
        let o = outcome(
            &args(json!({"url": "http://h:1/", "return_content": true})),
            refused,
        )
        .unwrap();
        assert_eq!(
            o.msg.as_deref(),
            Some("Status code was -1 and not [200]: Request failed: <urlopen error [Errno 111] Connection refused>")
        );
        assert_eq!(o.values["content"], json!(""));
        assert_eq!(o.values["status"], json!(-1));
    }

    #[test]
    fn urls_and_types() {
        assert_eq!(urljoin("http://h:8/a/b?q", "/x"), "http://h:8/x");
        assert_eq!(urljoin("https://h/a/b", "c"), "https://h/a/c");
        assert_eq!(urljoin("https://h", "c"), "https://h/c");
        assert_eq!(urljoin("https://h/a", "http://o/"), "http://o/");
        let h = |v: &str| vec![("Content-Type".to_string(), v.to_string())];
        assert_eq!(
            content_type(&h("application/problem+json; charset=UTF-8")),
            (true, "utf-8".into())
        );
        assert!(content_type(&h("text/javascript")).0);
        assert!(!content_type(&h("text/html")).0);
        assert!(!content_type(&[]).0);
    }
}
