// Signs a request the way Slack does (v0: `v0=` + hex(HMAC-SHA256(secret, "v0:{ts}:{body}"))), for
// tests and benchmarks. Written apart from the adapter, which checks signatures with
// slack-morphism's verifier: a misreading of Slack's scheme would have to be made twice to pass.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The `X-Slack-Signature` value Slack would send for `body` at `timestamp`.
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}
