use std::fmt;

use chrono::{DateTime, Utc};

use crate::Money;

/// Why an event log was refused, and where: the file, the line, the field,
/// in the shop's own keys. A refused batch changes nothing.
///
/// # Example
///
/// ```
/// use customer_lifecycle::eventlog::{EventLogErrorKind, read_jsonl};
///
/// let text = r#"{"id":"o1","customer":"ana","at":"2024-03-01T10:00:00Z","channel":"web","type":"purchase","amount":"1.234"}"#;
/// let err = read_jsonl(text.as_bytes(), "orders.jsonl").unwrap_err();
/// assert_eq!((err.file.as_str(), err.line, err.field.as_deref()), ("orders.jsonl", Some(1), Some("amount")));
/// assert!(matches!(err.kind, EventLogErrorKind::InvalidAmount { .. }));
/// assert!(err.to_string().starts_with("orders.jsonl:1: field \"amount\": invalid amount \"1.234\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub struct EventLogError {
    /// The file (its path as given, or the source name passed to a reader).
    pub file: String,
    /// The 1-based physical line (a CSV header is line 1), when the error
    /// belongs to one.
    pub line: Option<u64>,
    /// The field (JSON Lines key or CSV column; `attributes.NAME` for an
    /// attribute), when the error belongs to one.
    pub field: Option<String>,
    /// What went wrong.
    pub kind: EventLogErrorKind,
}

impl fmt::Display for EventLogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field {field:?}")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl EventLogError {
    pub(crate) fn new(file: &str, line: Option<u64>, field: Option<&str>, kind: EventLogErrorKind) -> Self {
        EventLogError { file: file.to_owned(), line, field: field.map(str::to_owned), kind }
    }
}

/// What was wrong with an event log; [`EventLogError`] says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventLogErrorKind {
    /// The file could not be read.
    #[error("cannot read: {message}")]
    Io {
        /// The operating system's message.
        message: String,
    },
    /// [`read_path`](super::read_path) was given a file that is neither
    /// `.jsonl` nor `.csv`.
    #[error("unknown format {extension:?}: expected a .jsonl or .csv file")]
    UnknownFormat {
        /// The file's extension (empty when it has none).
        extension: String,
    },
    /// A line of a JSON Lines file is not a JSON object.
    #[error("malformed JSON: {message}")]
    Json {
        /// What the JSON parser said.
        message: String,
    },
    /// A CSV record is malformed (unbalanced quotes, bad UTF-8, a wrong
    /// number of cells).
    #[error("malformed CSV: {message}")]
    Csv {
        /// What the CSV parser said.
        message: String,
    },
    /// The CSV header lacks a column (the error's field).
    #[error("missing column")]
    MissingColumn,
    /// The CSV header names a column twice (the error's field).
    #[error("duplicate column")]
    DuplicateColumn,
    /// A required field is absent (or JSON `null`, or an empty CSV cell).
    #[error("missing")]
    Missing,
    /// A field holds a value of the wrong JSON type.
    #[error("expected {expected}, found {found}")]
    WrongType {
        /// The type the format asks for.
        expected: &'static str,
        /// The type found.
        found: &'static str,
    },
    /// A key (event, customer, campaign) is the empty string.
    #[error("empty key")]
    EmptyKey,
    /// `at` is not an RFC 3339 instant with an offset.
    #[error("invalid instant {value:?}: expected RFC 3339 such as 2024-03-01T10:00:00Z")]
    InvalidInstant {
        /// The text as given.
        value: String,
    },
    /// An amount is not a decimal string ≥ 0 with at most two decimals.
    #[error("invalid amount {value:?}: {reason}")]
    InvalidAmount {
        /// The text as given.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
    /// `type` names no event type of the format.
    #[error("unknown event type {value:?}")]
    UnknownType {
        /// The text as given.
        value: String,
    },
    /// `action` names no engagement action.
    #[error("unknown action {value:?}: expected like, comment, share, mention, reply, visit, open or click")]
    UnknownAction {
        /// The text as given.
        value: String,
    },
    /// `purpose` names no consent purpose.
    #[error("unknown purpose {value:?}: expected profiling or contact")]
    UnknownPurpose {
        /// The text as given.
        value: String,
    },
    /// A survey answer outside its scale.
    #[error("answer {value} is outside {min}..={max}")]
    OutOfRange {
        /// The answer.
        value: i64,
        /// The scale's lowest answer.
        min: u8,
        /// The scale's highest answer.
        max: u8,
    },
    /// A feedback line gives both `nps` and `csat`.
    #[error("a feedback event gives nps or csat, not both")]
    TwoAnswers,
    /// A referral or follow names the event's own customer.
    #[error("customer {customer:?} cannot {action} themselves")]
    SelfReference {
        /// The customer key.
        customer: String,
        /// `"refer"` or `"follow"`.
        action: &'static str,
    },
    /// An event key seen before with other content: earlier in the same file
    /// (`first_line`), or already stored (`first_line` is `None`).
    #[error("event {id:?} {} with other content", match first_line {
        Some(line) => format!("appears on line {line}"),
        None => "is already stored".to_owned(),
    })]
    ConflictingDuplicate {
        /// The event key.
        id: String,
        /// The line of the first occurrence in the same file.
        first_line: Option<u64>,
    },
    /// The base holds the customer with a creation instant later than this
    /// line's instant. (An earlier creation needs the late-event support of
    /// the store.)
    #[error("customer {customer:?} is named at {at}, before their stored creation at {created_at}")]
    BeforeCreation {
        /// The customer key.
        customer: String,
        /// The instant of the line.
        at: DateTime<Utc>,
        /// The stored creation instant.
        created_at: DateTime<Utc>,
    },
    /// The event is older than the customer's last stored update by more
    /// than the policy's lateness bound allows.
    #[error("event at {at} for customer {customer:?} is older than their last update at {last}")]
    OutOfOrder {
        /// The customer key.
        customer: String,
        /// The event's instant.
        at: DateTime<Utc>,
        /// The customer's last update.
        last: DateTime<Utc>,
    },
    /// A refund names an event key that is not an earlier purchase of the
    /// same customer.
    #[error("refunded purchase {purchase:?} is not an earlier purchase of this customer")]
    UnknownPurchase {
        /// The purchase's event key.
        purchase: String,
    },
    /// The refunds of a purchase would add up to more than it.
    #[error("refunds of purchase {purchase:?} would total {refunded}, more than its {paid}")]
    RefundExceedsPurchase {
        /// The purchase's event key.
        purchase: String,
        /// The refunds' total with this one.
        refunded: Money,
        /// The purchase amount.
        paid: Money,
    },
    /// A resolution names an event key that is not an open ticket or
    /// complaint of the same customer.
    #[error("ticket {ticket:?} is not an open ticket or complaint of this customer")]
    UnknownTicket {
        /// The ticket's event key.
        ticket: String,
    },
    /// The customer base refused the event for another reason, stated in
    /// the shop's keys.
    #[error("refused: {reason}")]
    Refused {
        /// Why.
        reason: String,
    },
}
