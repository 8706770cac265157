//! Slack request signatures (v0): `v0=` + hex(HMAC-SHA256(signing secret, "v0:{timestamp}:{raw body}")),
//! sent in `X-Slack-Signature` with the timestamp in `X-Slack-Request-Timestamp`. Checked before
//! anything in the request is parsed or stored.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a request timestamp may be from now, either way.
pub const MAX_SKEW_SECS: i64 = 5 * 60;

/// Why a request was refused. Never carries the secret or the expected signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing X-Slack-Request-Timestamp or X-Slack-Signature header")]
    Missing,
    #[error("request timestamp is not a number")]
    BadTimestamp,
    #[error("request timestamp is {0} s away from now (more than 5 minutes): replay refused")]
    Stale(i64),
    #[error("signature is not of the form v0=<64 hex digits>")]
    Malformed,
    #[error("signature does not match the body")]
    Mismatch,
}

/// A signing secret. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself, for the few places that must use it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

fn mac(secret: &Secret, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.0.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac
}

/// The `X-Slack-Signature` value for a body: what Slack sends (and what tests sign with).
pub fn sign(secret: &Secret, timestamp: &str, body: &[u8]) -> String {
    format!(
        "v0={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Checks a request: the timestamp within 5 minutes of `now` (Unix seconds), then the signature
/// over the raw body, compared in constant time.
pub fn verify(
    secret: &Secret,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
) -> Result<(), VerifyError> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(VerifyError::Missing);
    };
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    let skew = now.saturating_sub(ts);
    if skew.saturating_abs() > MAX_SKEW_SECS {
        return Err(VerifyError::Stale(skew));
    }
    let digest = signature
        .strip_prefix("v0=")
        .filter(|h| h.len() == 64)
        .and_then(|h| hex::decode(h).ok())
        .ok_or(VerifyError::Malformed)?;
    mac(secret, timestamp.trim(), body)
        .verify_slice(&digest)
        .map_err(|_| VerifyError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Slack's worked example ("Verifying requests from Slack"). Its token is `xyzz0WbapA4vBCDEFasx0q6G`;
    // with any other byte the published signature does not match.
    const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
    const TS: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    const NOW: i64 = 1531420618 + 30;

    fn check(ts: Option<&str>, sig: Option<&str>, body: &str, now: i64) -> Result<(), VerifyError> {
        verify(&Secret::new(SECRET), ts, sig, body.as_bytes(), now)
    }

    #[test]
    fn slacks_published_example_verifies() {
        assert_eq!(sign(&Secret::new(SECRET), TS, BODY.as_bytes()), SIG);
        assert_eq!(check(Some(TS), Some(SIG), BODY, NOW), Ok(()));
        // Exactly five minutes either way is still accepted.
        assert_eq!(check(Some(TS), Some(SIG), BODY, 1531420618 + 300), Ok(()));
        assert_eq!(check(Some(TS), Some(SIG), BODY, 1531420618 - 300), Ok(()));
    }

    #[test]
    fn forged_replayed_and_truncated_requests_are_refused() {
        let forged = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b504";
        assert_eq!(
            check(Some(TS), Some(forged), BODY, NOW),
            Err(VerifyError::Mismatch)
        );
        let signed_elsewhere = sign(&Secret::new("another secret"), TS, BODY.as_bytes());
        assert_eq!(
            check(Some(TS), Some(&signed_elsewhere), BODY, NOW),
            Err(VerifyError::Mismatch)
        );
        // Replayed: the right signature, but too old, or too far ahead.
        assert_eq!(
            check(Some(TS), Some(SIG), BODY, 1531420618 + 301),
            Err(VerifyError::Stale(301))
        );
        assert_eq!(
            check(Some(TS), Some(SIG), BODY, 1531420618 - 301),
            Err(VerifyError::Stale(-301))
        );
        // Truncated body, truncated signature, another timestamp.
        assert_eq!(
            check(Some(TS), Some(SIG), &BODY[..BODY.len() - 10], NOW),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            check(Some(TS), Some(&SIG[..40]), BODY, NOW),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            check(Some("1531420619"), Some(SIG), BODY, NOW),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(check(None, Some(SIG), BODY, NOW), Err(VerifyError::Missing));
        assert_eq!(check(Some(TS), None, BODY, NOW), Err(VerifyError::Missing));
        assert_eq!(
            check(Some("soon"), Some(SIG), BODY, NOW),
            Err(VerifyError::BadTimestamp)
        );
    }

    #[test]
    fn errors_and_debug_never_show_the_secret() {
        let secret = Secret::new(SECRET);
        assert!(!format!("{secret:?}").contains(SECRET));
        for e in [
            VerifyError::Missing,
            VerifyError::Mismatch,
            VerifyError::Malformed,
            VerifyError::Stale(400),
            VerifyError::BadTimestamp,
        ] {
            assert!(!e.to_string().contains(SECRET));
        }
    }
}
