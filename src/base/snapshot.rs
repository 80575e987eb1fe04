use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{BaseError, CustomerBase};
use crate::{CustomerId, Event, NewCustomer, Policy, Stage};

/// The whole base as a value: its policy and its journal, a sequence of
/// calls that rebuilds it: every customer (with their current attributes) in
/// the order they were added, then the events, explicit moves and advances
/// in time order. Since the base does not depend on the order its inputs
/// came in, this is the same base as the calls that built it, late events
/// and all. Restoring replays the journal through the same checks as the
/// original calls, so a snapshot can never build a base that the calls
/// could not.
///
/// The JSON form is versioned by `format_version`; reading a version this
/// release does not know is [`SnapshotError::UnsupportedVersion`], never a
/// guess.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use customer_lifecycle::{CustomerBase, NewCustomer, Policy};
///
/// let mut base = CustomerBase::new(Policy::default());
/// base.add_customer(NewCustomer::with_key("ana", Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap()))?;
/// let json = base.to_json();
/// assert_eq!(CustomerBase::from_json(&json)?, base);
/// # Ok::<(), customer_lifecycle::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// The format's version: [`Snapshot::FORMAT_VERSION`] when written by this release.
    pub format_version: u32,
    /// The policy the base runs.
    pub policy: Policy,
    /// The calls that rebuild the base, in the order above.
    pub journal: Vec<JournalEntry>,
}

impl Snapshot {
    /// The version this release writes and reads.
    pub const FORMAT_VERSION: u32 = 1;
}

/// One call on a [`CustomerBase`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JournalEntry {
    /// [`CustomerBase::add_customer`], with the customer's current attributes.
    AddCustomer(NewCustomer),
    /// [`CustomerBase::apply`].
    Apply(Event),
    /// [`CustomerBase::transition`].
    Transition {
        /// The customer.
        customer: CustomerId,
        /// The stage moved to.
        to: Stage,
        /// When.
        at: DateTime<Utc>,
        /// The caller's note.
        note: String,
    },
    /// [`CustomerBase::advance_to`].
    AdvanceTo(DateTime<Utc>),
}

/// Why a snapshot could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The snapshot's `format_version` is not one this release reads.
    #[error("snapshot format version {found} is not supported (this release reads version {supported})")]
    UnsupportedVersion {
        /// The version found.
        found: u32,
        /// The version supported.
        supported: u32,
    },
    /// The text is not a snapshot.
    #[error("malformed snapshot: {message}")]
    Malformed {
        /// What the parser said, with line and column.
        message: String,
    },
    /// An entry of the journal was refused on replay.
    #[error("journal entry {entry}: {source}")]
    Replay {
        /// The entry's position in the journal (0-based).
        entry: usize,
        /// Why it was refused.
        source: BaseError,
    },
}

#[derive(Deserialize)]
struct VersionProbe {
    format_version: u32,
}

impl CustomerBase {
    /// The base as a [`Snapshot`].
    ///
    /// # Complexity
    ///
    /// O(customers + events).
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            format_version: Snapshot::FORMAT_VERSION,
            policy: self.policy.clone(),
            journal: self.journal_entries(|_, _| true),
        }
    }

    /// Rebuilds a base from a [`Snapshot`].
    ///
    /// # Errors
    ///
    /// [`SnapshotError::UnsupportedVersion`], or [`SnapshotError::Replay`]
    /// naming the first journal entry that the base refuses.
    pub fn restore(snapshot: Snapshot) -> Result<CustomerBase, SnapshotError> {
        if snapshot.format_version != Snapshot::FORMAT_VERSION {
            return Err(SnapshotError::UnsupportedVersion {
                found: snapshot.format_version,
                supported: Snapshot::FORMAT_VERSION,
            });
        }
        let mut base = CustomerBase::new(snapshot.policy);
        for (entry, call) in snapshot.journal.into_iter().enumerate() {
            base.replay(call).map_err(|source| SnapshotError::Replay { entry, source })?;
        }
        Ok(base)
    }

    /// The base as snapshot JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.snapshot()).expect("snapshots serialise")
    }

    /// Reads a base from snapshot JSON.
    ///
    /// # Errors
    ///
    /// [`SnapshotError::UnsupportedVersion`] when `format_version` is not
    /// [`Snapshot::FORMAT_VERSION`] (checked before anything else is read),
    /// [`SnapshotError::Malformed`] when the text is not a snapshot, and
    /// [`SnapshotError::Replay`] when its journal is refused.
    pub fn from_json(json: &str) -> Result<CustomerBase, SnapshotError> {
        let malformed = |e: serde_json::Error| SnapshotError::Malformed { message: e.to_string() };
        let probe: VersionProbe = serde_json::from_str(json).map_err(malformed)?;
        if probe.format_version != Snapshot::FORMAT_VERSION {
            return Err(SnapshotError::UnsupportedVersion {
                found: probe.format_version,
                supported: Snapshot::FORMAT_VERSION,
            });
        }
        CustomerBase::restore(serde_json::from_str(json).map_err(malformed)?)
    }
}
