//! Identifiers: [`CustomerId`], [`EventId`] and [`CampaignId`], newtypes over
//! [`uuid::Uuid`].
//!
//! Ids never come from operating-system randomness. They come from the
//! caller (any [`Uuid`]), from an external key through
//! [`CustomerId::from_key`] / [`EventId::from_key`] (a UUID v5 in a fixed
//! namespace of this crate, so the same key always gives the same id), or from
//! the seeded simulator.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

/// The namespace in which external keys are turned into UUID v5 ids.
///
/// It is itself the UUID v5 of the crate name in the URL namespace, and it
/// never changes: the same key maps to the same id in every release.
const KEY_NAMESPACE: Uuid =
    Uuid::from_bytes([0x1b, 0xcf, 0x8f, 0xaf, 0x2c, 0xdc, 0x5a, 0x72, 0xb3, 0xeb, 0x85, 0x81, 0xd9, 0x9a, 0xc8, 0x0e]);

/// The UUID v5 (RFC 9562, section 5.5) of the name made of `parts` one after
/// the other in `namespace`: what `uuid::Uuid::new_v5` (uuid's `v5`
/// feature) gives for their concatenation, without copying them into one
/// buffer.
pub(crate) fn v5(namespace: &Uuid, parts: &[&[u8]]) -> Uuid {
    use sha1::Digest;
    let mut sha = sha1::Sha1::new();
    sha.update(namespace.as_bytes());
    for part in parts {
        sha.update(part);
    }
    let digest = sha.finalize();
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes).into_uuid()
}

/// The error returned when a string is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {input:?}: expected a UUID such as 67e55044-10b1-426f-9247-bb680e5fe0c8")]
pub struct ParseIdError {
    kind: &'static str,
    input: String,
}

macro_rules! uuid_newtype {
    ($(#[$doc:meta])* $name:ident, $label:literal, $salt:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            /// Derives a stable id from an external key (a UUID v5 in a fixed
            /// namespace of this crate). The key is hashed exactly as given:
            /// no trimming, no case folding, no numeric parsing, so `"007"`
            /// and `"7"` are different ids.
            ///
            /// # Example
            ///
            /// ```
            #[doc = concat!("use customer_lifecycle::", stringify!($name), ";")]
            ///
            #[doc = concat!("let a = ", stringify!($name), "::from_key(\"00001\");")]
            #[doc = concat!("assert_eq!(a, ", stringify!($name), "::from_key(\"00001\"));")]
            #[doc = concat!("assert_ne!(a, ", stringify!($name), "::from_key(\"1\"));")]
            /// ```
            pub fn from_key(key: &str) -> Self {
                Self(v5(&KEY_NAMESPACE, &[$salt.as_bytes(), key.as_bytes()]))
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0.hyphenated(), f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0.hyphenated())
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| ParseIdError {
                    kind: $label,
                    input: s.to_owned(),
                })
            }
        }
    };
}

uuid_newtype!(
    /// Identifies a customer (or a prospect: anyone the base knows).
    ///
    /// Serialises as the plain hyphenated UUID string.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::CustomerId;
    ///
    /// let id: CustomerId = "67e55044-10b1-426f-9247-bb680e5fe0c8".parse()?;
    /// assert_eq!(id.to_string(), "67e55044-10b1-426f-9247-bb680e5fe0c8");
    /// # Ok::<(), customer_lifecycle::error::ParseIdError>(())
    /// ```
    CustomerId,
    "customer id",
    "customer:"
);

uuid_newtype!(
    /// Identifies an event. Applying the same event (same id, same payload)
    /// twice is a no-op; the same id with a different payload is an error.
    ///
    /// Serialises as the plain hyphenated UUID string.
    EventId,
    "event id",
    "event:"
);

uuid_newtype!(
    /// Identifies a marketing campaign; touches and responses name it.
    ///
    /// Serialises as the plain hyphenated UUID string.
    CampaignId,
    "campaign id",
    "campaign:"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_is_the_v5_of_the_crate_name() {
        let expected = Uuid::new_v5(&Uuid::NAMESPACE_URL, b"customer-lifecycle");
        assert_eq!(KEY_NAMESPACE, expected);
    }

    /// Ids made from keys are the UUID v5 of the salted key, as Python's
    /// `uuid.uuid5(namespace, salt + key)` computes them: they never
    /// change between releases.
    #[test]
    fn ids_from_keys_are_the_published_v5() {
        let cases = [
            (CustomerId::from_key("cust-42").0, "7aaf0db1-925e-5c61-9de4-3913a4977d97"),
            (EventId::from_key("o-1").0, "d81d8f69-3b05-588b-ae10-ee0978eca60e"),
            (CampaignId::from_key("spring").0, "2d85dd1b-2e5d-516d-9a8f-19f20e39a85d"),
            (CustomerId::from_key("").0, "6fa5683c-2623-5eba-964c-a3f75f56aff5"),
            (CustomerId::from_key("Ünïcode ☕").0, "e20fc444-5b74-54f3-b065-5a73bd84b628"),
        ];
        for (id, expected) in cases {
            assert_eq!(id.to_string(), expected);
        }
    }

    proptest::proptest! {
        /// Hashing the parts one after the other is uuid's v5 of their
        /// concatenation, for any bytes and any cut.
        #[test]
        fn v5_of_parts_is_v5_of_the_whole(whole in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200), cut in 0usize..200, namespace in proptest::prelude::any::<u128>()) {
            let namespace = Uuid::from_u128(namespace);
            let (a, b) = whole.split_at(cut.min(whole.len()));
            proptest::prop_assert_eq!(v5(&namespace, &[a, b]), Uuid::new_v5(&namespace, &whole));
            proptest::prop_assert_eq!(v5(&namespace, &[&whole]), Uuid::new_v5(&namespace, &whole));
        }
    }

    #[test]
    fn keys_are_not_normalised() {
        assert_ne!(CustomerId::from_key("7"), CustomerId::from_key("007"));
        assert_ne!(CustomerId::from_key("a"), CustomerId::from_key(" a"));
        assert_ne!(CustomerId::from_key("x").as_uuid(), EventId::from_key("x").as_uuid());
        assert_ne!(CampaignId::from_key("x").as_uuid(), EventId::from_key("x").as_uuid());
    }

    #[test]
    fn display_parse_and_serde_agree() {
        let id = CustomerId::from_key("cust-42");
        let text = id.to_string();
        assert_eq!(text.parse::<CustomerId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{text}\""));
        assert_eq!(serde_json::from_str::<CustomerId>(&json).unwrap(), id);
        let err = "nope".parse::<EventId>().unwrap_err();
        assert!(err.to_string().contains("invalid event id"));
    }
}
