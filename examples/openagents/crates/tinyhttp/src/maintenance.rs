//! Maintenance mode as DeployMatrix hands it to a service on Cloud Run (on the local platform the
//! proxy does the same in front of the service), from the environment:
//!
//! - `DEPLOYMATRIX_MAINTENANCE=1` — on; `…_MESSAGE` (the 503 body), `…_RETRY_AFTER` (seconds),
//!   `…_SCOPE` (`env/service`, what cookies are signed for), `…_TOKEN` (the secret, from Secret Manager)
//! - every request but the probes gets 503 with Retry-After, except with a valid bypass cookie;
//! - `GET /__deploymatrix/bypass` with the token in `X-DeployMatrix-Bypass-Token` answers 204 and sets
//!   `deploymatrix_bypass=EXPIRES.SIG` (SIG = base64url HMAC-SHA256 of `SCOPE:EXPIRES` keyed with the
//!   token), Max-Age 900, Secure, HttpOnly, SameSite=Strict;
//! - a cookie is valid until EXPIRES, and only if EXPIRES is at most 900 s away (nothing issued here lasts longer);
//! - fail closed: with maintenance on and no usable token (missing, empty, shorter than 43 base64url
//!   characters) or no scope, the maintenance page stays and nobody gets through — never maintenance off.
use std::env;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Request, Response};

pub const COOKIE: &str = "deploymatrix_bypass";
pub const TOKEN_HEADER: &str = "x-deploymatrix-bypass-token";
pub const BYPASS_PATH: &str = "/__deploymatrix/bypass";
const TTL_SECONDS: u64 = 900;
/// 32 random bytes in unpadded base64url, what DeployMatrix writes; anything shorter is no key.
const MIN_TOKEN_LENGTH: usize = 43;

pub struct Maintenance {
    /// None when the token is unusable: then no bypass is possible.
    token: Option<String>,
    scope: String,
    message: String,
    retry_after: String,
}

impl Maintenance {
    /// Some when `DEPLOYMATRIX_MAINTENANCE=1`, whatever the token: a missing or damaged token keeps
    /// maintenance on with no way through, never turns it off.
    pub fn from_env() -> Option<Maintenance> {
        if env::var("DEPLOYMATRIX_MAINTENANCE").map(|v| v == "1").unwrap_or(false) {
            Some(Maintenance::new(
                env::var("DEPLOYMATRIX_MAINTENANCE_TOKEN").ok(),
                env::var("DEPLOYMATRIX_MAINTENANCE_SCOPE").unwrap_or_default(),
                env::var("DEPLOYMATRIX_MAINTENANCE_MESSAGE").unwrap_or_else(|_| "down for maintenance".to_string()),
                env::var("DEPLOYMATRIX_MAINTENANCE_RETRY_AFTER").unwrap_or_else(|_| "300".to_string()),
            ))
        } else {
            None
        }
    }

    fn new(token: Option<String>, scope: String, message: String, retry_after: String) -> Maintenance {
        let usable = |t: &String| t.len() >= MIN_TOKEN_LENGTH && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let token = if scope.is_empty() { None } else { token.filter(usable) };
        Maintenance { token, scope, message, retry_after }
    }

    /// Whether anyone can get through (a usable token and a scope); false keeps everyone on the maintenance page.
    pub fn bypassable(&self) -> bool {
        self.token.is_some()
    }

    /// None to serve the request; otherwise the answer instead.
    pub fn judge(&self, request: &Request) -> Option<Response> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        if request.path == BYPASS_PATH {
            let presented = request.header(TOKEN_HEADER).unwrap_or("");
            return Some(match &self.token {
                Some(token) if constant_time_eq(presented.as_bytes(), token.as_bytes()) => {
                    let expires = (now + TTL_SECONDS).to_string();
                    let value = format!("{}.{}", expires, sign(token, &self.scope, &expires));
                    Response::text(204, "")
                        .with_header("set-cookie", &format!("{}={}; Max-Age={}; Path=/; Secure; HttpOnly; SameSite=Strict", COOKIE, value, TTL_SECONDS))
                        .with_header("cache-control", "no-store")
                }
                _ => Response::text(403, "wrong or missing bypass token\n").with_header("cache-control", "no-store"),
            });
        }
        let cookie = request
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
            .flat_map(|(_, v)| v.split(';'))
            .filter_map(|c| c.trim().strip_prefix(COOKIE).and_then(|rest| rest.strip_prefix('=')))
            .last();
        if cookie.map(|c| self.valid(c, now)).unwrap_or(false) {
            return None;
        }
        Some(
            Response::text(503, &format!("{}\n", self.message))
                .with_header("retry-after", &self.retry_after)
                .with_header("cache-control", "no-store"),
        )
    }

    fn valid(&self, value: &str, now: u64) -> bool {
        let token = match &self.token {
            Some(token) => token,
            None => return false,
        };
        match value.split_once('.') {
            Some((expires, sig)) => {
                let fresh = expires.bytes().all(|b| b.is_ascii_digit()) && expires.parse::<u64>().map(|e| e > now && e <= now + TTL_SECONDS).unwrap_or(false);
                fresh && constant_time_eq(sign(token, &self.scope, expires).as_bytes(), sig.as_bytes())
            }
            None => false,
        }
    }
}

fn sign(token: &str, scope: &str, expires: &str) -> String {
    base64url(&hmac_sha256(token.as_bytes(), format!("{}:{}", scope, expires).as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (chunk[0] as u32) << 16 | (*chunk.get(1).unwrap_or(&0) as u32) << 8 | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&sha256(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner: Vec<u8> = block.iter().map(|b| b ^ 0x36).chain(message.iter().copied()).collect();
    let outer: Vec<u8> = block.iter().map(|b| b ^ 0x5c).chain(sha256(&inner)).collect();
    sha256(&outer)
}

/// SHA-256 (FIPS 180-4).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
        0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
        0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
        0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
        0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
        0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];
    let mut h: [u32; 8] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    let mut padded = data.to_vec();
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for block in padded.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([block[4 * i], block[4 * i + 1], block[4 * i + 2], block[4 * i + 3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7].wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [t1.wrapping_add(t2), v[0], v[1], v[2], v[3].wrapping_add(t1), v[4], v[5], v[6]];
        }
        for i in 0..8 {
            h[i] = h[i].wrapping_add(v[i]);
        }
    }
    let mut out = [0u8; 32];
    for (i, word) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_and_hmac_match_the_published_vectors() {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{:02x}", x)).collect::<String>();
        assert_eq!(hex(&sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        // RFC 4231, test case 2.
        assert_eq!(hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn an_empty_or_short_token_or_no_scope_leaves_no_way_through() {
        let good = "q6Lk0pZ3mN8vR2xW5yT1aB4cD7eF9gH0jK2lM3nP5rS".to_string();
        let m = |t: Option<&str>, scope: &str| Maintenance::new(t.map(str::to_string), scope.to_string(), String::new(), "1".to_string());
        assert!(m(Some(&good), "staging/web").bypassable());
        assert!(!m(None, "staging/web").bypassable());
        assert!(!m(Some(""), "staging/web").bypassable());
        assert!(!m(Some(&good[..42]), "staging/web").bypassable());
        assert!(!m(Some(&format!("{} ", &good[..43])), "staging/web").bypassable());
        assert!(!m(Some(&good), "").bypassable());
        // A cookie signed with the empty key is nothing, whatever it claims.
        let empty = m(Some(""), "staging/web");
        assert!(!empty.valid(&format!("2000000000.{}", sign("", "staging/web", "2000000000")), 1_900_000_000));
    }

    #[test]
    fn a_cookie_claiming_more_than_900_seconds_is_refused() {
        let token = "q6Lk0pZ3mN8vR2xW5yT1aB4cD7eF9gH0jK2lM3nP5rS";
        let m = Maintenance::new(Some(token.to_string()), "staging/web".to_string(), String::new(), "1".to_string());
        let now = 1_800_000_000u64;
        let cookie = |e: u64| format!("{}.{}", e, sign(token, "staging/web", &e.to_string()));
        assert!(m.valid(&cookie(now + 900), now));
        assert!(!m.valid(&cookie(now + 901), now));
        assert!(!m.valid(&cookie(now), now));
    }
}
