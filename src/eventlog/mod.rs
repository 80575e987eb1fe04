//! Keyed event logs: a shop's own events, read from JSON Lines or CSV files
//! in which every id is the shop's own text key, and ingested into a
//! [`CustomerBase`](crate::CustomerBase) as one all-or-nothing batch.
//!
//! A reader ([`read_jsonl`], [`read_csv`], [`read_path`]) checks every line
//! and returns an [`EventBatch`] of [`KeyedEvent`]s; [`EventBatch::resolve`]
//! turns the keys into the base's ids and the customers to create; and
//! [`ingest`] applies a batch to a base, or refuses it whole with an
//! [`EventLogError`] that names the file, the line, the field and the keys.
//!
//! # The format
//!
//! **JSON Lines** (`.jsonl`): one JSON object per line; blank lines are
//! skipped and unknown fields ignored; a `null` field counts as absent.
//! Every line has
//!
//! - `id`: the event's key, unique in the shop;
//! - `customer`: the customer's key;
//! - `at`: an RFC 3339 instant with an offset (`2024-03-01T10:00:00Z`,
//!   `2024-03-01T11:00:00.250+01:00`);
//! - `channel`: `store`, `web`, `email`, `facebook`, `twitter`, `blog`,
//!   `youtube`, `foursquare`, `phone`, `support`, or any other text, which is
//!   a [`Channel::Other`] of that name;
//! - `type`, and the fields of that type:
//!
//! | `type` | fields |
//! |---|---|
//! | `customer` | optional `consent` `{"profiling": bool, "contact": bool}` (either may be left out), optional `attributes`: an object of strings, numbers and booleans |
//! | `purchase` | `amount`: a decimal string ≥ 0 with at most two decimals (`"12.50"`; no sign, exponent or separator) |
//! | `refund` | `amount`; `purchase`: the refunded purchase's event key |
//! | `engagement` | `action`: `like`, `comment`, `share`, `mention`, `reply`, `visit`, `open` or `click` |
//! | `feedback` | `nps` (an integer 0–10) or `csat` (an integer 1–5) |
//! | `ticket_opened`, `complaint` | none |
//! | `ticket_resolved` | `ticket`: the ticket's or complaint's event key |
//! | `referral` | `invitee`: a customer key |
//! | `follow` | optional `of`: a customer key; absent means the brand |
//! | `consent_change` | `purpose` (`profiling` or `contact`), `granted`: a boolean |
//! | `touch` | `campaign`: a campaign key |
//! | `response` | `campaign`, `action` |
//!
//! **CSV** (`.csv`): a header naming the 16 columns
//! `id,customer,at,channel,type,amount,purchase,action,nps,csat,ticket,invitee,of,purpose,granted,campaign`
//! in any order (other columns are ignored; a missing or repeated column is
//! an error naming it), one event per record, an empty cell where a field
//! does not apply, booleans `true`/`false`. A `customer` record carries no
//! consent or attributes in CSV.
//!
//! Keys are kept byte for byte (no trimming, no case folding) and may not
//! be empty. Fields that a type does not use are ignored.
//!
//! # Batches
//!
//! An event key that appears twice with identical content is read once
//! (the repeat is counted in [`EventBatch::skipped`]); with other content
//! it refuses the file. [`ingest`] skips an event already stored with
//! identical content and refuses the batch for one stored with other
//! content.
//!
//! A customer key seen for the first time in any role (the `customer` of a
//! line, an `invitee`, the `of` of a follow) is created as a prospect with
//! the default [`Consent`](crate::Consent), at the earliest instant the key
//! appears anywhere in the batch, whatever the order of the lines. A
//! `customer` record never fails because the customer exists: it sets their
//! attributes, and its stated consent is recorded as a
//! [`ConsentChange`](crate::EventKind::ConsentChange) at the record's
//! instant (one per purpose stated, with an id derived from the record's key
//! and the purpose), so the result is the same whether the record arrives
//! before or after the lines that first named the customer.
//!
//! # Example
//!
//! ```
//! use customer_lifecycle::eventlog::{ingest, read_jsonl};
//! use customer_lifecycle::{CustomerBase, Policy, Stage};
//!
//! let log = r#"
//! {"id":"e1","customer":"ana","at":"2024-03-01T10:00:00Z","channel":"web","type":"referral","invitee":"bo"}
//! {"id":"e2","customer":"bo","at":"2024-03-02T09:00:00Z","channel":"store","type":"purchase","amount":"25.00"}
//! {"id":"e3","customer":"bo","at":"2024-03-03T09:00:00Z","channel":"store","type":"refund","amount":"5","purchase":"e2"}
//! {"id":"s1","customer":"bo","at":"2024-03-05T12:00:00+01:00","channel":"web","type":"customer","consent":{"contact":true},"attributes":{"region":"north"}}
//! "#;
//! let batch = read_jsonl(log.as_bytes(), "day1.jsonl")?;
//! let mut base = CustomerBase::new(Policy::default());
//! let report = ingest(&mut base, &batch)?;
//! assert_eq!((report.customers_created, report.events_applied), (2, 4));
//!
//! let bo = base.get_by_key("bo").unwrap();
//! assert_eq!(bo.created_at().to_rfc3339(), "2024-03-01T10:00:00+00:00"); // first named as ana's invitee
//! assert_eq!(bo.stage(), Stage::New);
//! assert!(bo.consent().contact.granted);
//!
//! // The same file again changes nothing.
//! let again = ingest(&mut base, &batch)?;
//! assert_eq!((again.events_applied, again.duplicates), (0, 4));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#[cfg(feature = "csv")]
mod csv;
mod error;
mod fields;
mod ingest;
mod jsonl;
mod time;

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::path::Path;

use chrono::{DateTime, Utc};
use foldhash::fast::FixedState;
use serde::{Deserialize, Serialize};

#[cfg(feature = "csv")]
#[cfg_attr(docsrs, doc(cfg(feature = "csv")))]
pub use self::csv::{CSV_HEADER, read_csv, write_csv};
pub use error::{EventLogError, EventLogErrorKind};
#[cfg(feature = "store")]
pub(crate) use ingest::ingest_disposable;
pub use ingest::{AttributeUpdate, FirstSeen, IngestReport, Resolution, ResolvedEvent, ingest};
pub use jsonl::{read_jsonl, write_jsonl};

use crate::{AttributeValue, Channel, EngagementAction, Feedback, Money, Purpose};

/// One line of an event log: an event named by the shop's own keys.
///
/// Serialises (with serde) as a plain record of its fields; the file format
/// is written by [`write_jsonl`] and [`write_csv`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyedEvent {
    /// The event's key, unique in the shop.
    pub id: String,
    /// The customer's key.
    pub customer: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Where it happened.
    pub channel: Channel,
    /// What happened.
    pub kind: KeyedKind,
}

/// What happened, with every reference a key.
///
/// The variants mirror [`EventKind`](crate::EventKind), plus
/// [`Customer`](KeyedKind::Customer), a record of the customer themselves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum KeyedKind {
    /// The customer's own record: a sign-up or a profile update.
    Customer {
        /// The consent the customer stated, per purpose.
        consent: StatedConsent,
        /// Attributes to set.
        attributes: BTreeMap<String, AttributeValue>,
    },
    /// A purchase.
    Purchase {
        /// What the customer paid (not negative).
        amount: Money,
    },
    /// Money returned for an earlier purchase of the same customer.
    Refund {
        /// How much (not negative).
        amount: Money,
        /// The purchase's event key.
        purchase: String,
    },
    /// An interaction with the brand.
    Engagement {
        /// The kind of interaction.
        action: EngagementAction,
    },
    /// A survey answer.
    Feedback {
        /// The answer.
        feedback: Feedback,
    },
    /// A support ticket was opened.
    TicketOpened,
    /// A complaint.
    Complaint,
    /// A ticket or complaint was resolved.
    TicketResolved {
        /// The ticket's or complaint's event key.
        ticket: String,
    },
    /// The customer referred someone.
    Referral {
        /// The invitee's customer key.
        invitee: String,
    },
    /// The customer followed the brand (`None`) or another customer.
    Follow {
        /// The followed customer's key.
        of: Option<String>,
    },
    /// The customer granted or withdrew consent.
    ConsentChange {
        /// The purpose.
        purpose: Purpose,
        /// Granted or withdrawn.
        granted: bool,
    },
    /// A campaign reached the customer.
    Touch {
        /// The campaign's key.
        campaign: String,
    },
    /// The customer engaged with a campaign.
    Response {
        /// The campaign's key.
        campaign: String,
        /// How they engaged.
        action: EngagementAction,
    },
}

impl KeyedKind {
    /// The `type` of the line, as the format spells it.
    pub fn name(&self) -> &'static str {
        match self {
            KeyedKind::Customer { .. } => "customer",
            KeyedKind::Purchase { .. } => "purchase",
            KeyedKind::Refund { .. } => "refund",
            KeyedKind::Engagement { .. } => "engagement",
            KeyedKind::Feedback { .. } => "feedback",
            KeyedKind::TicketOpened => "ticket_opened",
            KeyedKind::Complaint => "complaint",
            KeyedKind::TicketResolved { .. } => "ticket_resolved",
            KeyedKind::Referral { .. } => "referral",
            KeyedKind::Follow { .. } => "follow",
            KeyedKind::ConsentChange { .. } => "consent_change",
            KeyedKind::Touch { .. } => "touch",
            KeyedKind::Response { .. } => "response",
        }
    }
}

/// The consent a `customer` record states, per purpose; `None` where it
/// says nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatedConsent {
    /// Being scored, predicted and segmented.
    pub profiling: Option<bool>,
    /// Being contacted by campaigns.
    pub contact: Option<bool>,
}

impl StatedConsent {
    /// The purposes stated, with the answer, profiling first.
    pub fn stated(&self) -> impl Iterator<Item = (Purpose, bool)> {
        [(Purpose::Profiling, self.profiling), (Purpose::Contact, self.contact)]
            .into_iter()
            .filter_map(|(purpose, granted)| granted.map(|g| (purpose, g)))
    }
}

/// The checked events of one file, each with its line: what [`ingest`]
/// applies as one all-or-nothing batch.
///
/// # Example
///
/// ```
/// use customer_lifecycle::eventlog::{EventBatch, KeyedEvent, KeyedKind};
/// use customer_lifecycle::Channel;
///
/// let event = KeyedEvent {
///     id: "o-1".into(),
///     customer: "ana".into(),
///     at: "2024-03-01T10:00:00Z".parse()?,
///     channel: Channel::Web,
///     kind: KeyedKind::Purchase { amount: "12.00".parse()? },
/// };
/// let batch = EventBatch::new("api", vec![event.clone(), event])?;
/// assert_eq!((batch.len(), batch.skipped()), (1, 1));
/// assert_eq!(batch.line(0), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EventBatch {
    source: String,
    events: Vec<KeyedEvent>,
    lines: Vec<u64>,
    skipped: usize,
}

impl EventBatch {
    /// A batch of events built in code, numbered as lines 1, 2, … of
    /// `source`, checked as a reader checks them.
    ///
    /// # Errors
    ///
    /// An [`EventLogError`] for an empty key, a negative amount, a referral
    /// or follow of the event's own customer, or an event key repeated with
    /// other content.
    pub fn new(source: impl Into<String>, events: Vec<KeyedEvent>) -> Result<Self, EventLogError> {
        let mut builder = BatchBuilder::new(source.into());
        for (i, event) in events.into_iter().enumerate() {
            let line = i as u64 + 1;
            fields::check(&event).map_err(|(field, kind)| builder.error(line, field.as_deref(), kind))?;
            builder.push(line, event);
        }
        builder.finish()
    }

    /// The file or source name the batch was read from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The events, in file order, without skipped repeats.
    pub fn events(&self) -> &[KeyedEvent] {
        &self.events
    }

    /// The line of the `index`th event.
    ///
    /// # Panics
    ///
    /// When `index` is out of bounds.
    pub fn line(&self, index: usize) -> u64 {
        self.lines[index]
    }

    /// `(line, event)` pairs, in file order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (u64, &KeyedEvent)> + '_ {
        self.lines.iter().copied().zip(&self.events)
    }

    /// How many events the batch holds.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether the batch holds no event.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// How many lines repeated an earlier line of the file exactly and were
    /// skipped.
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    /// The events, without their lines.
    pub fn into_events(self) -> Vec<KeyedEvent> {
        self.events
    }

    pub(crate) fn error(&self, index: usize, field: Option<&str>, kind: EventLogErrorKind) -> EventLogError {
        EventLogError::new(&self.source, Some(self.lines[index]), field, kind)
    }
}

/// Collects checked events into a batch, then skips exact repeats of an
/// event key and refuses other repeats.
///
/// Repeats are found by sorting the keys' hashes once the file is read
/// (a radix sort, sequential in memory) rather than by a hash table probed
/// per line, whose random accesses cost more than the rest of the parsing.
pub(crate) struct BatchBuilder {
    batch: EventBatch,
    /// The hash of each event's key, with its position.
    hashes: Vec<(u64, u32)>,
    hasher: FixedState,
}

impl BatchBuilder {
    pub(crate) fn new(source: String) -> Self {
        BatchBuilder {
            batch: EventBatch { source, events: Vec::new(), lines: Vec::new(), skipped: 0 },
            hashes: Vec::new(),
            hasher: FixedState::default(),
        }
    }

    pub(crate) fn error(&self, line: u64, field: Option<&str>, kind: EventLogErrorKind) -> EventLogError {
        EventLogError::new(&self.batch.source, Some(line), field, kind)
    }

    pub(crate) fn push(&mut self, line: u64, event: KeyedEvent) {
        let index = u32::try_from(self.batch.events.len()).expect("fewer than 2^32 events in one batch");
        self.hashes.push((self.hasher.hash_one(event.id.as_bytes()), index));
        self.batch.events.push(event);
        self.batch.lines.push(line);
    }

    /// The batch without exact repeats.
    ///
    /// # Errors
    ///
    /// [`EventLogErrorKind::ConflictingDuplicate`] for the earliest line
    /// that repeats an earlier key with other content.
    pub(crate) fn finish(self) -> Result<EventBatch, EventLogError> {
        let BatchBuilder { mut batch, mut hashes, .. } = self;
        // By the top 33 bits of the hash, in three passes: a run of equal
        // bits holds every repeat of a key (and, at a million keys, a few
        // dozen strangers, told apart by the keys themselves). The sort is
        // stable, so a run is in file order.
        let top = |&(hash, _): &(u64, u32)| hash >> 31;
        crate::util::radix_sort_by_key(&mut hashes, 33, top);
        let mut repeat = vec![false; batch.events.len()];
        let mut conflict: Option<(usize, usize)> = None;
        for run in hashes.chunk_by(|a, b| top(a) == top(b)).filter(|run| run.len() > 1) {
            for (j, &(_, later)) in run.iter().enumerate() {
                let later = later as usize;
                let event = &batch.events[later];
                let Some(&(_, first)) = run[..j].iter().find(|&&(_, i)| batch.events[i as usize].id == event.id) else {
                    continue;
                };
                let first = first as usize;
                if batch.events[first] == *event {
                    repeat[later] = true;
                } else if conflict.is_none_or(|(at, _)| later < at) {
                    conflict = Some((later, first));
                }
            }
        }
        if let Some((later, first)) = conflict {
            let kind = EventLogErrorKind::ConflictingDuplicate {
                id: batch.events[later].id.clone(),
                first_line: Some(batch.lines[first]),
            };
            return Err(batch.error(later, Some("id"), kind));
        }
        batch.skipped = repeat.iter().filter(|&&r| r).count();
        if batch.skipped > 0 {
            let mut flags = repeat.iter();
            batch.events.retain(|_| !flags.next().copied().unwrap_or(false));
            let mut flags = repeat.iter();
            batch.lines.retain(|_| !flags.next().copied().unwrap_or(false));
        }
        Ok(batch)
    }
}

/// Reads an event log file, by its extension: `.jsonl` as JSON Lines,
/// `.csv` as CSV (with the `csv` feature). The batch's source is the path
/// as given.
///
/// # Errors
///
/// [`EventLogErrorKind::UnknownFormat`] for any other extension (or `.csv`
/// without the `csv` feature), [`EventLogErrorKind::Io`] when the file
/// cannot be read, otherwise as [`read_jsonl`] and [`read_csv`].
pub fn read_path(path: impl AsRef<Path>) -> Result<EventBatch, EventLogError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let extension = path.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_default();
    let open = || {
        std::fs::File::open(path)
            .map(std::io::BufReader::new)
            .map_err(|e| EventLogError::new(&name, None, None, EventLogErrorKind::Io { message: e.to_string() }))
    };
    match extension.as_str() {
        "jsonl" => read_jsonl(open()?, &name),
        #[cfg(feature = "csv")]
        "csv" => read_csv(open()?, &name),
        _ => Err(EventLogError::new(&name, None, None, EventLogErrorKind::UnknownFormat { extension })),
    }
}
