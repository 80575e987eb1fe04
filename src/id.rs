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
                let mut bytes = Vec::with_capacity($salt.len() + key.len());
                bytes.extend_from_slice($salt.as_bytes());
                bytes.extend_from_slice(key.as_bytes());
                Self(Uuid::new_v5(&KEY_NAMESPACE, &bytes))
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
