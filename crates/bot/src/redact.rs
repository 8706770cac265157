//! One redaction for every text that can carry configuration: error messages, `check-config`'s
//! report, the log. Two passes: database URLs lose their password and query secrets whether they
//! parse or not, then every configured secret value still in the text is masked.

use std::sync::RwLock;

/// What a masked value reads as.
pub const MASK: &str = "***";

/// Secret values shorter than this are not searched for (masking every `s` would garble the text
/// and protect nothing).
const MIN_SECRET_LEN: usize = 4;

/// The configured secret values, masked out of everything `redact` sees.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Query parameters of a database URL whose values are masked.
fn secret_param(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    ["pass", "pwd", "secret", "token", "key", "auth", "cred"]
        .iter()
        .any(|s| k.contains(s))
}

/// `scheme:` (letters, digits, `+`, `-`, `.`) at the start of `url`: the length including `:`.
fn scheme_len(url: &str) -> Option<usize> {
    let colon = url.find(':')?;
    let scheme = &url[..colon];
    (!scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(colon + 1)
}

/// The parts of a URL-ish text: (before the credentials, user, password, after the credentials
/// up to the query, query). Works on URLs that do not parse (`postgres:/user:pw@host/db`).
struct Parts<'a> {
    head: &'a str,
    user: Option<&'a str>,
    password: Option<&'a str>,
    rest: &'a str,
    query: Option<&'a str>,
}

fn split(url: &str) -> Parts<'_> {
    let (main, query) = match url.find('?') {
        Some(q) => (&url[..q], Some(&url[q + 1..])),
        None => (url, None),
    };
    let start = scheme_len(main).unwrap_or(0);
    let slashes = main[start..].len() - main[start..].trim_start_matches('/').len();
    let creds_start = start + slashes;
    match main[creds_start..].rfind('@') {
        Some(at) => {
            let creds = &main[creds_start..creds_start + at];
            let (user, password) = match creds.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (creds, None),
            };
            Parts {
                head: &main[..creds_start],
                user: Some(user),
                password,
                rest: &main[creds_start + at..],
                query,
            }
        }
        None => Parts {
            head: main,
            user: None,
            password: None,
            rest: "",
            query,
        },
    }
}

/// A database URL (or anything like one) without its password and query secrets, for messages:
/// `postgres://bot:***@db/amb?sslpassword=***`.
pub fn redact_url(url: &str) -> String {
    let parts = split(url);
    let mut out = String::from(parts.head);
    if let Some(user) = parts.user {
        out.push_str(user);
        if parts.password.is_some() {
            out.push(':');
            out.push_str(MASK);
        }
    }
    out.push_str(parts.rest);
    if let Some(query) = parts.query {
        out.push('?');
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((k, _)) if secret_param(k) => format!("{k}={MASK}"),
                _ => param.to_string(),
            })
            .collect();
        out.push_str(&params.join("&"));
    }
    out
}

/// The secret values inside a database URL: its password and its secret query values, as written
/// and percent-decoded.
pub fn url_secrets(url: &str) -> Vec<String> {
    let parts = split(url);
    let mut found: Vec<String> = Vec::new();
    if let Some(p) = parts.password {
        found.push(p.to_string());
    }
    for param in parts.query.unwrap_or("").split('&') {
        if let Some((k, v)) = param.split_once('=')
            && secret_param(k)
        {
            found.push(v.to_string());
        }
    }
    let decoded: Vec<String> = found.iter().map(|s| percent_decode(s)).collect();
    found.extend(decoded);
    found
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |j: usize| bytes.get(j).and_then(|&b| (b as char).to_digit(16));
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2))
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Remembers secret values to mask from now on (the configuration's tokens, passwords and the
/// database URL's secrets).
pub fn register<I: IntoIterator<Item = String>>(values: I) {
    let mut secrets = SECRETS.write().unwrap_or_else(|e| e.into_inner());
    for v in values {
        let v = v.trim().to_string();
        if v.chars().count() >= MIN_SECRET_LEN && !secrets.contains(&v) {
            secrets.push(v);
        }
    }
    // Longest first, so a secret that contains another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// `text` with every registered secret value masked.
pub fn redact(text: &str) -> String {
    let secrets = SECRETS.read().unwrap_or_else(|e| e.into_inner());
    let mut out = text.to_string();
    for s in secrets.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), MASK);
        }
    }
    out
}

/// A log writer that masks registered secrets in each record before it reaches stderr.
pub struct RedactingStderr;

impl std::io::Write for RedactingStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_query_secrets_are_masked_parsed_or_not() {
        for (url, want) in [
            (
                "postgres://bot:s3cret@db:5432/amb",
                "postgres://bot:***@db:5432/amb",
            ),
            (
                "postgres:/user:SECRET@host/db",
                "postgres:/user:***@host/db",
            ),
            ("postgres:user:SECRET@host/db", "postgres:user:***@host/db"),
            (
                "postgres://user:SECRET@host/db?password=X&sslmode=require&sslpassword=Y",
                "postgres://user:***@host/db?password=***&sslmode=require&sslpassword=***",
            ),
            (
                "postgres://host/db?password=X",
                "postgres://host/db?password=***",
            ),
            ("postgres://a:b/c@d@host/db", "postgres://a:***@host/db"),
            ("sqlite://ambassador-bot.db", "sqlite://ambassador-bot.db"),
            ("sqlite://u:SECRET@/x.db", "sqlite://u:***@/x.db"),
            ("", ""),
            ("@", "@"),
            (":@?&=", ":***@?&="),
        ] {
            assert_eq!(redact_url(url), want, "{url}");
        }
    }

    #[test]
    fn url_secrets_include_the_decoded_password() {
        let s = url_secrets("postgres://u:p%40ss%2Fword@h/d?sslpassword=Y2345");
        assert!(s.contains(&"p%40ss%2Fword".to_string()));
        assert!(s.contains(&"p@ss/word".to_string()));
        assert!(s.contains(&"Y2345".to_string()));
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        assert_eq!(percent_decode("%é%4é"), "%é%4é");
    }
}
