//! Content digests: SHA-256 in lower-case hexadecimal, as scenario hashes, manifests'
//! checksums of data files and shard states, and checkpoint names record them. At the
//! bottom of the layers so that every module, `scenario` included, uses this one copy.

use sha2::{Digest, Sha256};

/// Bytes as lower-case hexadecimal, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut text, byte| {
            // Writing to a String cannot fail.
            let _ = write!(text, "{byte:02x}");
            text
        })
}

/// The SHA-256 of `bytes` in lower-case hexadecimal (64 characters).
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex(&Sha256::digest(bytes.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_matches_the_known_digest() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(sha256_hex(""), sha256_hex(Vec::<u8>::new()));
        assert_eq!(
            sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn hex_writes_two_lower_case_digits_a_byte() {
        assert_eq!(hex(&[0, 15, 16, 171, 255]), "000f10abff");
        assert_eq!(hex(&[]), "");
    }
}
