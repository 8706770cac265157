//! Reading the configuration file and the environment; syntax errors reported by line and key,
//! never by value; the secret values handed to the redaction.

use super::*;

/// Where the configuration came from, for messages.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub config: Config,
    pub file: Option<PathBuf>,
    /// Keys set in the file or the environment that no setting has.
    pub unknown_keys: Vec<String>,
}

fn env_source() -> config::Environment {
    config::Environment::with_prefix(ENV_PREFIX)
        .prefix_separator("__")
        .separator("__")
        .list_separator(",")
        .with_list_parse_key("program.office")
        .with_list_parse_key("digest.channels")
        .with_list_parse_key("checkins.questions")
        .with_list_parse_key("matrix.allowed_servers")
        .with_list_parse_key("matrix.allowed_rooms")
        .with_list_parse_key("lifecycle.training_links")
        .with_list_parse_key("lifecycle.expectations")
        .try_parsing(true)
}

/// Loads the configuration. `explicit` must exist; otherwise `./bot-config.toml` is read if present.
pub fn load(explicit: Option<&Path>) -> anyhow::Result<Loaded> {
    let file = match explicit {
        Some(p) => {
            anyhow::ensure!(
                p.is_file(),
                "the configuration file {} does not exist",
                p.display()
            );
            Some(p.to_path_buf())
        }
        None => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.is_file()),
    };
    let mut user = config::Config::builder();
    if let Some(f) = &file {
        user = user.add_source(config::File::from(f.as_path()).format(config::FileFormat::Toml));
    }
    if let Some(f) = &file {
        check_syntax(f)?;
    }
    let user = user.add_source(env_source());
    let source = match &file {
        Some(f) => format!("cannot read the configuration file {}", f.display()),
        None => "cannot read the configuration from the environment".into(),
    };
    let overrides = user
        .clone()
        .build()
        .map_err(|e| anyhow::anyhow!("{source}: {}", describe(&e)))?;
    // From here on every output masks the secrets given, even if a value below is refused.
    register_secrets(|key| overrides.get_string(key).ok());
    let given: serde_json::Value = overrides
        .clone()
        .try_deserialize()
        .unwrap_or(serde_json::Value::Null);
    let known = serde_json::to_value(Config::default())?;
    let mut unknown_keys = Vec::new();
    unknown(&given, &known, "", &mut unknown_keys);

    let defaults = config::Config::try_from(&Config::default())?;
    let merged = config::Config::builder()
        .add_source(defaults)
        .add_source(overrides)
        .build()
        .map_err(|e| anyhow::anyhow!("{source}: {}", describe(&e)))?;
    let config: Config = merged
        .try_deserialize()
        .map_err(|e| anyhow::anyhow!("{source}: {}", describe(&e)))?;
    register_secrets(|key| match key {
        "database.url" => Some(config.database.url.clone()),
        "slack.app_token" => Some(config.slack.app_token.0.clone()),
        "slack.bot_token" => Some(config.slack.bot_token.0.clone()),
        "slack.signing_secret" => Some(config.slack.signing_secret.0.clone()),
        "matrix.password" => Some(config.matrix.password.0.clone()),
        "matrix.access_token" => Some(config.matrix.access_token.0.clone()),
        _ => None,
    });
    Ok(Loaded {
        config,
        file,
        unknown_keys,
    })
}

/// The keys whose values are secret (the database URL: its password and secret parameters).
pub const SECRET_KEYS: &[&str] = &[
    "database.url",
    "slack.app_token",
    "slack.bot_token",
    "slack.signing_secret",
    "matrix.password",
    "matrix.access_token",
];

/// Hands the secret values to the redaction every output goes through.
fn register_secrets(value: impl Fn(&str) -> Option<String>) {
    for key in SECRET_KEYS {
        let Some(v) = value(key) else { continue };
        if *key == "database.url" {
            crate::redact::register(crate::redact::url_secrets(&v));
        } else {
            crate::redact::register([v]);
        }
    }
}

/// Reads `path` as TOML first, so that a syntax error is reported by its line and key and never
/// quotes the line (it may hold a token).
fn check_syntax(path: &Path) -> anyhow::Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        anyhow::bail!(
            "cannot read the configuration file {}: it is not readable UTF-8 text",
            path.display()
        );
    };
    match toml::de::DeTable::parse(&text) {
        Ok(_) => Ok(()),
        Err(e) => anyhow::bail!("{}", syntax_error(&path.display().to_string(), &text, &e)),
    }
}

/// `bot-config.toml line 7 (key `slack.bot_token`): invalid basic string, expected `"`` and
/// nothing of the value.
fn syntax_error(file: &str, text: &str, e: &toml::de::Error) -> String {
    let at = e.span().map_or(0, |s| s.start).min(text.len());
    let line_no = text.as_bytes()[..at]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1;
    let lines: Vec<&str> = text.lines().collect();
    let line = lines.get(line_no - 1).copied().unwrap_or("");
    let key = line.split_once('=').map(|(k, _)| k.trim()).filter(|k| {
        !k.is_empty()
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | '\''))
    });
    let section = lines[..(line_no - 1).min(lines.len())]
        .iter()
        .rev()
        .map(|l| l.trim())
        .find(|l| l.starts_with('['))
        .map(|l| l.trim_matches(|c| c == '[' || c == ']').trim());
    let mut kind = e
        .message()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    // The parser's own words only: any piece of the line's value they repeat is masked.
    let value = line.split_once('=').map_or(line, |(_, v)| v);
    for piece in value
        .split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .filter(|p| p.len() >= 3)
    {
        kind = kind.replace(piece, crate::redact::MASK);
    }
    match (key, section) {
        (Some(k), Some(s)) => format!("{file} line {line_no} (key `{s}.{k}`): {kind}"),
        (Some(k), None) => format!("{file} line {line_no} (key `{k}`): {kind}"),
        (None, _) => format!("{file} line {line_no}: {kind}"),
    }
}

/// A configuration error with its key and what was expected, without the value given.
fn describe(e: &config::ConfigError) -> String {
    use config::ConfigError as E;
    match e {
        E::Type {
            unexpected,
            expected,
            key,
            ..
        } => {
            // Its first word names the kind (`string`, `integer`, `sequence`); the rest quotes
            // the value.
            let shown = unexpected.to_string();
            let found = shown.split_whitespace().next().unwrap_or("something else");
            match key {
                Some(k) => format!("{k}: expected {expected}, found {found}"),
                None => format!("expected {expected}, found {found}"),
            }
        }
        E::At { error, key, .. } => match key {
            Some(k) if !describe(error).starts_with(k.as_str()) => {
                format!("{k}: {}", describe(error))
            }
            _ => describe(error),
        },
        E::NotFound(k) => format!("{k}: missing"),
        E::FileParse { .. } => "not valid TOML".into(),
        E::Message(m) => value_free(m),
        other => value_free(&other.to_string()),
    }
}

/// serde's `invalid type: string "xoxb-…", expected …` without the value.
fn value_free(message: &str) -> String {
    let mut out = message.to_string();
    for lead in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(start) = out.find(lead) {
            let from = start + lead.len();
            let end = out[from..]
                .find(", expected")
                .map_or(out.len(), |e| from + e);
            let kind = out[from..end]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string();
            out.replace_range(from..end, &kind);
        }
    }
    out
}

pub(crate) fn unknown(
    given: &serde_json::Value,
    known: &serde_json::Value,
    prefix: &str,
    out: &mut Vec<String>,
) {
    let (Some(given), Some(known)) = (given.as_object(), known.as_object()) else {
        return;
    };
    for (k, v) in given {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match known.get(k) {
            None => out.push(path),
            Some(kv) if kv.is_object() => unknown(v, kv, &path, out),
            Some(_) => {}
        }
    }
}

/// Every key of the configuration, as `section.key`.
pub fn known_keys() -> Vec<String> {
    let mut keys = Vec::new();
    if let Ok(serde_json::Value::Object(sections)) = serde_json::to_value(Config::default()) {
        for (s, v) in sections {
            if let serde_json::Value::Object(fields) = v {
                keys.extend(fields.keys().map(|k| format!("{s}.{k}")));
            }
        }
    }
    keys
}
