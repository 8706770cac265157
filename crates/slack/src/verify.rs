//! Slack request signatures (v0): `v0=` + hex(HMAC-SHA256(signing secret, "v0:{timestamp}:{raw body}")),
//! sent in `X-Slack-Signature` with the timestamp in `X-Slack-Request-Timestamp`. Checked before
//! anything in the request is parsed or stored.
//!
//! The signature itself is checked by slack-morphism's `SlackEventSignatureVerifier` (HMAC-SHA256,
//! compared in constant time). What stays here is what it cannot do: take "now" as a parameter. Its
//! public `verify` reads the system clock (its `verify_at_time` is private), so the bot's clock, the
//! one every other rule of the program reads and tests set, decides freshness here, first; the
//! verifier's own clock check only ever runs after the signature matched (see `accept`).

use slack_morphism::SlackSigningSecret;
use slack_morphism::signature_verifier::{
    SlackEventSignatureVerifier, SlackEventSignatureVerifierError,
};

/// How far a request timestamp may be from now, either way (Slack's five minutes, the verifier's too).
pub const MAX_SKEW_SECS: i64 = SlackEventSignatureVerifier::MAX_TIMESTAMP_AGE_SECONDS;

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
    #[error("the signing secret is empty")]
    NoSecret,
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

/// The verifier's answer, read with freshness already settled by the caller's clock. Its
/// timestamp error comes only after its signature comparison succeeded (it signs, compares, then
/// reads the system clock), so it means "signed by Slack, but old by this machine's clock", which
/// the caller's clock has already ruled on. The test with Slack's published example, signed in
/// 2018, and a forged signature with that same old timestamp keep this reading honest: should the
/// verifier ever check the clock first, the forged one would stop being refused as a mismatch.
fn accept(answer: Result<(), SlackEventSignatureVerifierError>) -> Result<(), VerifyError> {
    match answer {
        Ok(()) => Ok(()),
        Err(SlackEventSignatureVerifierError::IncorrectOrExpiredTimestampError(_)) => Ok(()),
        Err(SlackEventSignatureVerifierError::CryptoInitError(_)) => Err(VerifyError::NoSecret),
        Err(_) => Err(VerifyError::Mismatch),
    }
}

/// Checks a request: the timestamp within 5 minutes of `now` (Unix seconds), then the signature
/// over the raw body (slack-morphism's verifier, constant-time).
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
    let timestamp = timestamp.trim();
    let ts: i64 = timestamp.parse().map_err(|_| VerifyError::BadTimestamp)?;
    let skew = now.saturating_sub(ts);
    if skew.saturating_abs() > MAX_SKEW_SECS {
        return Err(VerifyError::Stale(skew));
    }
    // Hex digits in either case are the same signature; the verifier compares lower case.
    let signature = signature
        .strip_prefix("v0=")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|h| format!("v0={}", h.to_ascii_lowercase()))
        .ok_or(VerifyError::Malformed)?;
    // Slack signs UTF-8 bodies (form-encoded or JSON); anything else was not signed by it.
    let body = std::str::from_utf8(body).map_err(|_| VerifyError::Mismatch)?;
    let verifier = SlackEventSignatureVerifier::new(&SlackSigningSecret::new(secret.0.clone()));
    accept(verifier.verify(&signature, body, timestamp))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The tests' signer, written apart from the verifier (with hmac and sha2).
    mod signer {
        include!("../tests/support/sign.rs");
    }
    use signer::sign;

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
        assert_eq!(sign(SECRET, TS, BODY.as_bytes()), SIG);
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
        let signed_elsewhere = sign("another secret", TS, BODY.as_bytes());
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
    fn an_empty_secret_verifies_nothing() {
        assert_eq!(
            verify(&Secret::new(""), Some(TS), Some(SIG), BODY.as_bytes(), NOW),
            Err(VerifyError::NoSecret)
        );
        // Not even a request signed with the empty key.
        let signed = sign("", TS, BODY.as_bytes());
        assert_eq!(
            verify(
                &Secret::new(""),
                Some(TS),
                Some(&signed),
                BODY.as_bytes(),
                NOW
            ),
            Err(VerifyError::NoSecret)
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
            VerifyError::NoSecret,
        ] {
            assert!(!e.to_string().contains(SECRET));
        }
    }
}
