//! The words of signing: the [`Digest`] and [`Cipher`] of a signature key (the callback's
//! `X-MessageMedia-Digest-Type` and `X-MessageMedia-Cipher-Type`), and the [`request_line`]
//! that both the API gateway's HMAC scheme and signed callbacks cover.

use std::fmt;
use std::str::FromStr;

use crate::event::{UnknownValue, wire_enum};

/// The hash a signature key signs callbacks with (`X-MessageMedia-Digest-Type`).
///
/// The Signature Key API names them `SHA224`, `SHA256` and `SHA512`; callbacks have also been
/// seen spelling them `SHA-512`. [`Digest::parse`] (and so `FromStr` and `Deserialize`) reads
/// both spellings in any case; `Display` and `Serialize` write the API's.
///
/// ```
/// use webhooks_vocabulary::Digest;
///
/// assert_eq!("sha-512".parse::<Digest>()?, Digest::Sha512);
/// assert_eq!(Digest::Sha224.to_string(), "SHA224");
/// assert!("MD5".parse::<Digest>().is_err());
/// # Ok::<(), webhooks_vocabulary::UnknownValue>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Digest {
    /// `SHA224` (also spelled `SHA-224`).
    Sha224,
    /// `SHA256` (also spelled `SHA-256`).
    Sha256,
    /// `SHA512` (also spelled `SHA-512`).
    Sha512,
}

impl Digest {
    /// Every digest the platform signs with.
    pub const ALL: [Digest; 3] = [Digest::Sha224, Digest::Sha256, Digest::Sha512];

    /// The name the Signature Key API uses, e.g. `"SHA256"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Digest::Sha224 => "SHA224",
            Digest::Sha256 => "SHA256",
            Digest::Sha512 => "SHA512",
        }
    }

    /// Reads a digest name: `SHA224`, `SHA256` or `SHA512`, with or without the hyphen
    /// (`SHA-512`), ignoring ASCII case and surrounding whitespace.
    pub fn parse(name: &str) -> Option<Digest> {
        let name = name.trim();
        let bits = name
            .get(..3)
            .filter(|sha| sha.eq_ignore_ascii_case("sha"))
            .and_then(|_| name.get(3..))
            .map(|bits| bits.strip_prefix('-').unwrap_or(bits))?;
        match bits {
            "224" => Some(Digest::Sha224),
            "256" => Some(Digest::Sha256),
            "512" => Some(Digest::Sha512),
            _ => None,
        }
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Digest {
    type Err = UnknownValue;

    /// As [`Digest::parse`], with a typed error.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Digest::parse(name)
            .ok_or_else(|| UnknownValue::new("digest", name, "SHA224, SHA256, SHA512"))
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// The cipher of a signature key (`X-MessageMedia-Cipher-Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum Cipher {
    /// `RSA`, the only cipher the API offers (and the default).
    #[default]
    Rsa,
}

impl Cipher {
    /// The name the API uses.
    pub const fn as_str(self) -> &'static str {
        match self {
            Cipher::Rsa => "RSA",
        }
    }
}

wire_enum!(Cipher, "cipher", "RSA", [Rsa]);

/// The request line as the API gateway's HMAC scheme and signed callbacks both cover it:
/// `<METHOD> <target> HTTP/1.1`, the target being the origin-form path with its query, exactly
/// as sent (or received). The version is always `HTTP/1.1`, whatever the connection spoke.
///
/// ```
/// assert_eq!(
///     webhooks_vocabulary::request_line("POST", "/hooks/mm?tenant=a%20b"),
///     "POST /hooks/mm?tenant=a%20b HTTP/1.1"
/// );
/// ```
pub fn request_line(method: &str, target: &str) -> String {
    let mut line = String::with_capacity(method.len() + target.len() + 10);
    line.push_str(method);
    line.push(' ');
    line.push_str(target);
    line.push_str(" HTTP/1.1");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_names_in_every_documented_spelling() {
        for (name, digest) in [
            ("SHA224", Digest::Sha224),
            ("SHA-224", Digest::Sha224),
            ("sha256", Digest::Sha256),
            ("Sha-256", Digest::Sha256),
            ("SHA512", Digest::Sha512),
            (" SHA-512 ", Digest::Sha512),
        ] {
            assert_eq!(Digest::parse(name), Some(digest), "{name}");
        }
        for name in [
            "SHA1", "SHA-1", "MD5", "SHA384", "SHA--256", "", "sh", "SHA", "ßHA256",
        ] {
            assert_eq!(Digest::parse(name), None, "{name}");
        }
    }

    #[test]
    fn digest_names_round_trip_through_from_str_and_serde() {
        for digest in Digest::ALL {
            assert_eq!(digest.as_str().parse::<Digest>(), Ok(digest));
            let json = serde_json::to_string(&digest).unwrap();
            assert_eq!(json, format!("\"{}\"", digest.as_str()));
            assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), digest);
        }
        let err = "MD5".parse::<Digest>().unwrap_err();
        assert!(err.to_string().contains("`MD5`"), "{err}");
        assert!(serde_json::from_str::<Digest>("\"SHA1\"").is_err());
        let long = "SHA".repeat(10_000);
        assert!(long.parse::<Digest>().unwrap_err().value().len() <= 67);
    }

    #[test]
    fn ciphers_are_named_as_the_api_names_them() {
        assert_eq!("RSA".parse::<Cipher>(), Ok(Cipher::Rsa));
        assert!("rsa".parse::<Cipher>().is_err());
        assert_eq!(Cipher::default().to_string(), "RSA");
    }

    #[test]
    fn the_request_line_keeps_the_target_as_given() {
        assert_eq!(request_line("GET", "/"), "GET / HTTP/1.1");
        assert_eq!(
            request_line("PATCH", "/v1/webhooks/messages/x?a=1&b=%20"),
            "PATCH /v1/webhooks/messages/x?a=1&b=%20 HTTP/1.1"
        );
    }
}
