//! How the store's values are laid out. Every value is a format-version
//! byte, a payload and an XXH3-64 checksum of the table's name, the key and
//! the payload, verified on every read. An event row is leaner (rows are
//! the bulk of the file): its payload and the low 32 bits of a checksum
//! that covers the format version without storing it (32 bits still catch
//! all but one damaged row in four billion, and a row of another version
//! fails its check). A customer's state is a
//! hand-written binary codec (varints, instants counted from their
//! creation); each event is a row of its own.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use xxhash_rust::xxh3::Xxh3;

use super::StoreError;
use crate::base::{Kind, Record};
use crate::event::{EngagementAction, Feedback, Purpose};
use crate::lifecycle::{Reason, Rule, Transition};
use crate::{
    AttributeValue, Consent, ConsentState, CsatScore, Customer, CustomerId, EventId, Money, NewCustomer, NpsScore,
    Stage,
};

/// The layout version of every value (and of the store, in its metadata).
/// 2: events in rows of their own, states in a binary codec, the id index
/// keyed by a 64-bit hash. 3: event rows keep no version byte (their
/// checksum covers the version). 4: the id index in log-structured runs,
/// each with a Bloom filter (see the `ids` module). 5: a run's entries
/// packed in sealed blocks of a page each.
pub(super) const FORMAT: u8 = 5;

/// XXH3 (64 bits, seed 0) of the concatenation of `parts`: hashed in one
/// call from a buffer on the stack when they fit in it (most values do),
/// streamed otherwise; the same digest either way.
fn xxh3_of(parts: &[&[u8]]) -> u64 {
    let mut buf = [0u8; 512];
    let mut len = 0;
    for part in parts {
        let Some(room) = buf.get_mut(len..len + part.len()) else {
            let mut h = Xxh3::new();
            for part in parts {
                h.update(part);
            }
            return h.digest();
        };
        room.copy_from_slice(part);
        len += part.len();
    }
    xxhash_rust::xxh3::xxh3_64(&buf[..len])
}

fn checksum(table: &str, key: &[u8], body: &[u8]) -> u64 {
    xxh3_of(&[table.as_bytes(), &[0], &(key.len() as u64).to_le_bytes(), key, body])
}

/// The key a value is stored under, as the checksum covers it and as a
/// [`StoreError::Corrupt`] names it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Key<'a> {
    /// A customer key or a metadata name.
    Text(&'a str),
    /// A customer or interning number.
    Num(u32),
    /// An event row: customer number and sequence.
    Row(u64, u32),
    /// An id index entry: the 64-bit hash of an event id.
    Hash(u64),
}

/// A key's bytes as checksums cover them: the text's, or a number's (big
/// endian) in a buffer of its own.
enum KeyBytes<'a> {
    Text(&'a [u8]),
    Fixed([u8; 12], usize),
}

impl std::ops::Deref for KeyBytes<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            KeyBytes::Text(bytes) => bytes,
            KeyBytes::Fixed(buf, len) => &buf[..*len],
        }
    }
}

impl Key<'_> {
    fn bytes(&self) -> KeyBytes<'_> {
        let mut buf = [0u8; 12];
        let len = match *self {
            Key::Text(text) => return KeyBytes::Text(text.as_bytes()),
            Key::Num(num) => {
                buf[..4].copy_from_slice(&num.to_be_bytes());
                4
            }
            Key::Row(num, seq) => {
                buf[..8].copy_from_slice(&num.to_be_bytes());
                buf[8..].copy_from_slice(&seq.to_be_bytes());
                12
            }
            Key::Hash(hash) => {
                buf[..8].copy_from_slice(&hash.to_be_bytes());
                8
            }
        };
        KeyBytes::Fixed(buf, len)
    }

    pub(super) fn label(&self) -> String {
        match self {
            Key::Text(text) => (*text).to_owned(),
            Key::Num(num) => num.to_string(),
            Key::Row(num, seq) => format!("{num}/{seq}"),
            Key::Hash(hash) => format!("{hash:016x}"),
        }
    }
}

/// A value ready to store: version, payload, checksum.
pub(super) fn seal(table: &str, key: Key<'_>, payload: &[u8]) -> Vec<u8> {
    seal_with(table, key, payload.len(), |out| out.extend_from_slice(payload))
}

/// [`seal`] of the payload that `encode` appends (about `hint` bytes),
/// written in place.
pub(super) fn seal_with(table: &str, key: Key<'_>, hint: usize, encode: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut value = Vec::with_capacity(hint + 9);
    value.push(FORMAT);
    encode(&mut value);
    let sum = checksum(table, &key.bytes(), &value);
    value.extend_from_slice(&sum.to_le_bytes());
    value
}

/// The payload of a stored value, once its version and checksum are right.
///
/// # Errors
///
/// [`StoreError::Corrupt`] naming the table and key.
pub(super) fn unseal<'a>(table: &'static str, key: Key<'_>, value: &'a [u8]) -> Result<&'a [u8], StoreError> {
    let corrupt = || StoreError::Corrupt { table, key: key.label() };
    if value.len() < 9 || value[0] != FORMAT {
        return Err(corrupt());
    }
    let (body, sum) = value.split_at(value.len() - 8);
    if checksum(table, &key.bytes(), body) != u64::from_le_bytes(sum.try_into().expect("eight bytes")) {
        return Err(corrupt());
    }
    Ok(&body[1..])
}

/// The payload of a value [`unseal`] has checked.
pub(super) fn sealed_payload(value: &[u8]) -> &[u8] {
    &value[1..value.len() - 8]
}

/// The low 32 bits of an event row's checksum: the table, the key, the
/// format version `format` and the payload.
fn row_sum(format: u8, key: Key<'_>, payload: &[u8]) -> u32 {
    let key = key.bytes();
    xxh3_of(&[b"events\0", &(key.len() as u64).to_le_bytes(), &key, &[format], payload]) as u32
}

/// An event row ready to store: the payload and the low 32 bits of its
/// checksum, which covers the format version.
pub(super) fn seal_row(key: Key<'_>, payload: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(payload.len() + 4);
    value.extend_from_slice(payload);
    value.extend_from_slice(&row_sum(FORMAT, key, payload).to_le_bytes());
    value
}

/// Appends event row `record` to `out`, sealed as [`seal_row`] seals
/// [`encode_record`]'s payload.
pub(super) fn append_row(out: &mut Vec<u8>, key: Key<'_>, record: &Record, epoch: i64) {
    let start = out.len();
    put_record(out, record, epoch);
    let sum = row_sum(FORMAT, key, &out[start..]);
    out.extend_from_slice(&sum.to_le_bytes());
}

/// The payload of an event row, once its checksum (and so its version) is
/// right.
///
/// # Errors
///
/// [`StoreError::Corrupt`] naming the row.
pub(super) fn unseal_row<'a>(key: Key<'_>, value: &'a [u8]) -> Result<&'a [u8], StoreError> {
    let corrupt = || StoreError::Corrupt { table: "events", key: key.label() };
    if value.len() < 4 {
        return Err(corrupt());
    }
    let (payload, sum) = value.split_at(value.len() - 4);
    if row_sum(FORMAT, key, payload) != u32::from_le_bytes(sum.try_into().expect("four bytes")) {
        return Err(corrupt());
    }
    Ok(payload)
}

/// The id index's key for an event id: 64 bits of its UUID (itself a hash
/// of the shop's event key).
pub(super) fn id_hash(id: EventId) -> u64 {
    let bytes = id.as_uuid().as_u128();
    ((bytes >> 64) as u64) ^ (bytes as u64)
}

/// The owner number that marks an id index entry shared by several
/// customers' events (a 64-bit collision); the owners are then listed in
/// the `shared ids` table.
pub(super) const SHARED: u32 = u32::MAX;

/// Appends `n` as a LEB128 varint.
pub(super) fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// A cursor over a payload; every read is `None` past the end or on a
/// malformed field.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    pub(super) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.buf.len() < n {
            return None;
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Some(head)
    }

    pub(super) fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }

    pub(super) fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            n |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b < 0x80 {
                return Some(n);
            }
        }
        None
    }

    pub(super) fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.varint()?).ok()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// Appends an instant as seconds from `base` (zigzag) with two bits saying
/// how fine its fraction is (none, milliseconds, microseconds,
/// nanoseconds), then the fraction in that unit: a whole second takes one
/// varint, a millisecond instant two.
pub(super) fn put_instant(out: &mut Vec<u8>, at: DateTime<Utc>, base: i64) {
    let nanos = at.timestamp_subsec_nanos();
    let (tag, fraction) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (1, n / 1_000_000),
        n if n % 1_000 == 0 => (2, n / 1_000),
        n => (3, n),
    };
    put_varint(out, (zigzag(at.timestamp().wrapping_sub(base)) << 2) | tag);
    if tag != 0 {
        put_varint(out, u64::from(fraction));
    }
}

pub(super) fn read_instant(r: &mut Reader<'_>, base: i64) -> Option<DateTime<Utc>> {
    let head = r.varint()?;
    let secs = base.checked_add(unzigzag(head >> 2))?;
    let nanos = match head & 3 {
        0 => 0,
        1 => r.u32()?.checked_mul(1_000_000)?,
        2 => r.u32()?.checked_mul(1_000)?,
        _ => r.u32()?,
    };
    if nanos >= 1_000_000_000 {
        return None;
    }
    DateTime::from_timestamp(secs, nanos)
}

fn put_option_instant(out: &mut Vec<u8>, at: Option<DateTime<Utc>>, base: i64) {
    match at {
        None => out.push(0),
        Some(at) => {
            out.push(1);
            put_instant(out, at, base);
        }
    }
}

/// Reads what [`put_option_instant`] wrote into `out`; `None` when it is
/// malformed.
fn read_option_instant(r: &mut Reader<'_>, base: i64, out: &mut Option<DateTime<Utc>>) -> Option<()> {
    *out = match r.u8()? {
        0 => None,
        1 => Some(read_instant(r, base)?),
        _ => return None,
    };
    Some(())
}

fn put_text(out: &mut Vec<u8>, text: &str) {
    put_varint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

fn read_text(r: &mut Reader<'_>) -> Option<String> {
    let n = usize::try_from(r.varint()?).ok()?;
    String::from_utf8(r.bytes(n)?.to_vec()).ok()
}

/// Attribute name to the instant and event key of the record that set it:
/// a record that arrives later but is older does not override a newer one.
pub(super) type AttributeTimes = std::collections::BTreeMap<String, (DateTime<Utc>, String)>;

/// A customer as stored, without their events: their number, the keys of
/// their event rows, the instant their times count from, their derived
/// state and their bookkeeping.
#[derive(Debug, Clone)]
pub(super) struct Stored {
    pub num: u32,
    /// The keys of their event rows in the events table, in time order
    /// (sequence `i` is `rows[i]`). Keys are handed out in increasing
    /// order as rows are written, so a day's rows land at the right edge
    /// of the table, and this list is increasing too.
    pub rows: Vec<u64>,
    /// The second their event rows' times count from, fixed when they
    /// were created (their creation may move earlier later).
    pub epoch: i64,
    pub customer: Customer,
    pub initial_consent: Consent,
    /// Positions (sequences) of their open tickets and complaints.
    pub open_tickets: Vec<u32>,
    pub attribute_times: AttributeTimes,
}

impl Stored {
    /// How many event rows they have.
    pub fn count(&self) -> u32 {
        self.rows.len() as u32
    }
}

fn action_code(action: EngagementAction) -> u8 {
    EngagementAction::ALL.iter().position(|&a| a == action).expect("every action is listed") as u8
}

fn action_of(code: u8) -> Option<EngagementAction> {
    EngagementAction::ALL.get(usize::from(code)).copied()
}

fn stage_of(code: u8) -> Option<Stage> {
    Stage::ALL.get(usize::from(code)).copied()
}

/// Every rule, in code order.
const RULES: [Rule; 11] = [
    Rule::FirstPurchase,
    Rule::Satisfaction,
    Rule::RepeatPurchase,
    Rule::Loyalty,
    Rule::Advocacy,
    Rule::UnresolvedComplaint,
    Rule::Detractor,
    Rule::Lapsed,
    Rule::Dormancy,
    Rule::Churn,
    Rule::Reactivation,
];

fn rule_code(rule: Rule) -> u8 {
    // A match, not a search: a new rule must be given a code here.
    match rule {
        Rule::FirstPurchase => 0,
        Rule::Satisfaction => 1,
        Rule::RepeatPurchase => 2,
        Rule::Loyalty => 3,
        Rule::Advocacy => 4,
        Rule::UnresolvedComplaint => 5,
        Rule::Detractor => 6,
        Rule::Lapsed => 7,
        Rule::Dormancy => 8,
        Rule::Churn => 9,
        Rule::Reactivation => 10,
    }
}

fn feedback_code(feedback: Feedback) -> u8 {
    match feedback {
        Feedback::Nps(s) => s.get(),
        Feedback::Csat(s) => 0x80 | s.get(),
    }
}

fn feedback_of(b: u8) -> Option<Feedback> {
    Some(if b & 0x80 == 0 {
        Feedback::Nps(NpsScore::new(b).ok()?)
    } else {
        Feedback::Csat(CsatScore::new(b & 0x7f).ok()?)
    })
}

fn put_consent(out: &mut Vec<u8>, consent: &Consent, base: i64) {
    for state in [consent.profiling, consent.contact] {
        out.push(u8::from(state.granted));
        put_option_instant(out, state.changed_at, base);
    }
}

fn read_consent(r: &mut Reader<'_>, base: i64) -> Option<Consent> {
    let mut state = || -> Option<ConsentState> {
        let granted = match r.u8()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        let mut changed_at = None;
        read_option_instant(r, base, &mut changed_at)?;
        Some(ConsentState { granted, changed_at })
    };
    let profiling = state()?;
    let contact = state()?;
    Some(Consent { profiling, contact })
}

fn put_attribute(out: &mut Vec<u8>, value: &AttributeValue) {
    match value {
        AttributeValue::Text(text) => {
            out.push(0);
            put_text(out, text);
        }
        AttributeValue::Integer(n) => {
            out.push(1);
            put_varint(out, zigzag(*n));
        }
        AttributeValue::Number(x) => {
            out.push(2);
            out.extend_from_slice(&x.to_le_bytes());
        }
        AttributeValue::Bool(b) => out.push(3 + u8::from(*b)),
        AttributeValue::Date(date) => {
            out.push(5);
            put_varint(out, zigzag(i64::from(date.num_days_from_ce())));
        }
    }
}

fn read_attribute(r: &mut Reader<'_>) -> Option<AttributeValue> {
    Some(match r.u8()? {
        0 => AttributeValue::Text(read_text(r)?),
        1 => AttributeValue::Integer(unzigzag(r.varint()?)),
        2 => AttributeValue::Number(f64::from_le_bytes(r.bytes(8)?.try_into().ok()?)),
        3 => AttributeValue::Bool(false),
        4 => AttributeValue::Bool(true),
        5 => AttributeValue::Date(NaiveDate::from_num_days_from_ce_opt(i32::try_from(unzigzag(r.varint()?)).ok()?)?),
        _ => return None,
    })
}

/// Encodes a customer's state (everything but their key, which is the
/// record's key, and their events, which are rows of their own).
pub(super) fn encode_state(stored: &Stored) -> Vec<u8> {
    encode_state_parts(&StateParts {
        num: stored.num,
        rows: &stored.rows,
        epoch: stored.epoch,
        customer: &stored.customer,
        initial_consent: &stored.initial_consent,
        open_tickets: &stored.open_tickets,
        attribute_times: &stored.attribute_times,
    })
}

/// A customer's state as [`Stored`] holds it, borrowed from wherever its
/// parts live (a batch encodes from its work base without copying them).
pub(super) struct StateParts<'a> {
    pub num: u32,
    pub rows: &'a [u64],
    pub epoch: i64,
    pub customer: &'a Customer,
    pub initial_consent: &'a Consent,
    pub open_tickets: &'a [u32],
    pub attribute_times: &'a AttributeTimes,
}

/// [`encode_state`] of a state's parts.
pub(super) fn encode_state_parts(stored: &StateParts<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    put_state_parts(&mut out, stored);
    out
}

/// Appends [`encode_state_parts`]'s payload to `out`.
pub(super) fn put_state_parts(out: &mut Vec<u8>, stored: &StateParts<'_>) {
    let c = stored.customer;
    put_varint(out, u64::from(stored.num));
    put_varint(out, stored.rows.len() as u64);
    let mut previous = 0;
    for &row in stored.rows {
        put_varint(out, row - previous);
        previous = row;
    }
    put_instant(out, c.created_at(), 0);
    let base = c.created_at().timestamp();
    put_varint(out, zigzag(stored.epoch.wrapping_sub(base)));
    put_consent(out, c.consent(), base);
    put_consent(out, stored.initial_consent, base);
    put_varint(out, c.attributes().len() as u64);
    for (name, value) in c.attributes() {
        put_text(out, name);
        put_attribute(out, value);
    }
    put_varint(out, stored.attribute_times.len() as u64);
    for (name, (at, key)) in stored.attribute_times {
        put_text(out, name);
        put_instant(out, *at, base);
        put_text(out, key);
    }
    put_varint(out, c.history().len() as u64);
    for t in c.history() {
        out.extend_from_slice(&[t.from as u8, t.to as u8]);
        put_instant(out, t.at, base);
        match &t.reason {
            Reason::Rule(rule) => out.push(rule_code(*rule)),
            Reason::Explicit { note } => {
                out.push(0xff);
                put_text(out, note);
            }
        }
    }
    let engine = &c.engine;
    let facts = &engine.facts;
    put_varint(out, u64::from(facts.purchases));
    put_option_instant(out, facts.first_purchase, base);
    put_option_instant(out, facts.last_purchase, base);
    match facts.latest_feedback {
        None => out.push(0),
        Some(feedback) => out.extend_from_slice(&[1, feedback_code(feedback)]),
    }
    put_varint(out, u64::from(facts.open_complaints));
    put_varint(out, u64::from(facts.public_advocacy));
    put_varint(out, facts.conversions.len() as u64);
    for &at in &facts.conversions {
        put_instant(out, at, base);
    }
    out.push(engine.derived as u8);
    put_instant(out, engine.clock, base);
    put_option_instant(out, engine.due, base);
    put_varint(out, stored.open_tickets.len() as u64);
    for &pos in stored.open_tickets {
        put_varint(out, u64::from(pos));
    }
}

/// Decodes a customer's state stored under `key`, whose id is `id`
/// ([`CustomerId::from_key`] of the key, which the caller may have at hand);
/// `None` when it is malformed.
pub(super) fn decode_state(key: &str, id: CustomerId, payload: &[u8]) -> Option<Stored> {
    let mut r = Reader::new(payload);
    let num = r.u32()?;
    let count = r.u32()?;
    let mut rows = Vec::with_capacity((count as usize).min(payload.len()));
    let mut previous = 0u64;
    for i in 0..count {
        let delta = r.varint()?;
        if i > 0 && delta == 0 {
            return None;
        }
        previous = previous.checked_add(delta)?;
        rows.push(previous);
    }
    let created_at = read_instant(&mut r, 0)?;
    let base = created_at.timestamp();
    let epoch = base.checked_add(unzigzag(r.varint()?))?;
    let consent = read_consent(&mut r, base)?;
    let initial_consent = read_consent(&mut r, base)?;
    let mut attributes = std::collections::BTreeMap::new();
    for _ in 0..r.varint()? {
        let name = read_text(&mut r)?;
        let value = read_attribute(&mut r)?;
        attributes.insert(name, value);
    }
    let mut attribute_times = AttributeTimes::new();
    for _ in 0..r.varint()? {
        let name = read_text(&mut r)?;
        let at = read_instant(&mut r, base)?;
        attribute_times.insert(name, (at, read_text(&mut r)?));
    }
    let mut customer =
        Customer::from_new(NewCustomer { id, key: Some(key.to_owned()), created_at, consent, attributes });
    let moves = r.varint()?;
    // Bounded by the bytes left (each move takes several): a damaged count
    // reserves nothing absurd.
    customer.reserve_history(usize::try_from(moves).unwrap_or(usize::MAX).min(payload.len()));
    for _ in 0..moves {
        let from = stage_of(r.u8()?)?;
        let to = stage_of(r.u8()?)?;
        let at = read_instant(&mut r, base)?;
        let reason = match r.u8()? {
            0xff => Reason::Explicit { note: read_text(&mut r)? },
            code => Reason::Rule(*RULES.get(usize::from(code))?),
        };
        customer.set_stage(Transition { from, to, at, reason });
    }
    let engine = &mut customer.engine;
    let facts = &mut engine.facts;
    facts.purchases = r.u32()?;
    read_option_instant(&mut r, base, &mut facts.first_purchase)?;
    read_option_instant(&mut r, base, &mut facts.last_purchase)?;
    facts.latest_feedback = match r.u8()? {
        0 => None,
        1 => Some(feedback_of(r.u8()?)?),
        _ => return None,
    };
    facts.open_complaints = r.u32()?;
    facts.public_advocacy = r.u32()?;
    let n = usize::try_from(r.varint()?).ok()?;
    facts.conversions = Vec::with_capacity(n.min(payload.len()));
    for _ in 0..n {
        facts.conversions.push(read_instant(&mut r, base)?);
    }
    engine.derived = stage_of(r.u8()?)?;
    engine.clock = read_instant(&mut r, base)?;
    read_option_instant(&mut r, base, &mut engine.due)?;
    let n = usize::try_from(r.varint()?).ok()?;
    let mut open_tickets = Vec::with_capacity(n.min(payload.len()));
    for _ in 0..n {
        open_tickets.push(r.u32()?);
    }
    if !r.is_empty() || open_tickets.iter().any(|&p| p >= count) {
        return None;
    }
    Some(Stored { num, rows, epoch, customer, initial_consent, open_tickets, attribute_times })
}

/// Encodes one event row: the record at position `pos` of its customer,
/// its time counted from their `epoch`. Positions it names (a refund's
/// purchase, a resolution's ticket) are earlier positions.
pub(super) fn encode_record(record: &Record, epoch: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    put_record(&mut out, record, epoch);
    out
}

/// Appends [`encode_record`]'s payload to `out`.
fn put_record(out: &mut Vec<u8>, record: &Record, epoch: i64) {
    out.extend_from_slice(record.id.as_uuid().as_bytes());
    put_instant(out, record.at, epoch);
    put_varint(out, u64::from(record.channel));
    match record.kind {
        Kind::Purchase(amount) => {
            out.push(0);
            put_varint(out, zigzag(amount.minor_units()));
        }
        Kind::Refund { amount, purchase } => {
            out.push(1);
            put_varint(out, zigzag(amount.minor_units()));
            put_varint(out, u64::from(purchase));
        }
        Kind::Engagement(action) => out.extend_from_slice(&[2, action_code(action)]),
        Kind::Feedback(feedback) => out.extend_from_slice(&[3, feedback_code(feedback)]),
        Kind::TicketOpened => out.push(4),
        Kind::Complaint => out.push(5),
        Kind::TicketResolved { ticket } => {
            out.push(6);
            put_varint(out, u64::from(ticket));
        }
        Kind::Referral { invitee } => {
            out.push(7);
            put_varint(out, u64::from(invitee));
        }
        Kind::Follow { of: None } => out.push(8),
        Kind::Follow { of: Some(of) } => {
            out.push(9);
            put_varint(out, u64::from(of));
        }
        Kind::Consent { purpose, granted } => {
            out.extend_from_slice(&[10, u8::from(purpose == Purpose::Contact), u8::from(granted)]);
        }
        Kind::Touch { campaign } => {
            out.push(11);
            put_varint(out, u64::from(campaign));
        }
        Kind::Response { campaign, action } => {
            out.push(12);
            put_varint(out, u64::from(campaign));
            out.push(action_code(action));
        }
    }
}

/// Decodes the event row at position `pos`; `None` when it is malformed.
pub(super) fn decode_record(payload: &[u8], epoch: i64, pos: u32) -> Option<Record> {
    let mut r = Reader::new(payload);
    let id = EventId::from_uuid(uuid::Uuid::from_bytes(r.bytes(16)?.try_into().ok()?));
    let at = read_instant(&mut r, epoch)?;
    let channel = r.u32()?;
    let earlier = |p: u32| (p < pos).then_some(p);
    let money = |r: &mut Reader<'_>| Some(Money::from_minor(unzigzag(r.varint()?)));
    let kind = match r.u8()? {
        0 => Kind::Purchase(money(&mut r)?),
        1 => Kind::Refund { amount: money(&mut r)?, purchase: earlier(r.u32()?)? },
        2 => Kind::Engagement(action_of(r.u8()?)?),
        3 => Kind::Feedback(feedback_of(r.u8()?)?),
        4 => Kind::TicketOpened,
        5 => Kind::Complaint,
        6 => Kind::TicketResolved { ticket: earlier(r.u32()?)? },
        7 => Kind::Referral { invitee: r.u32()? },
        8 => Kind::Follow { of: None },
        9 => Kind::Follow { of: Some(r.u32()?) },
        10 => {
            let purpose = match r.u8()? {
                0 => Purpose::Profiling,
                1 => Purpose::Contact,
                _ => return None,
            };
            let granted = match r.u8()? {
                0 => false,
                1 => true,
                _ => return None,
            };
            Kind::Consent { purpose, granted }
        }
        11 => Kind::Touch { campaign: r.u32()? },
        12 => Kind::Response { campaign: r.u32()?, action: action_of(r.u8()?)? },
        _ => return None,
    };
    r.is_empty().then_some(Record { id, at, channel, kind })
}

/// Encodes a list of `(customer number, instant)` pairs.
pub(super) fn encode_pairs(pairs: &[(u32, DateTime<Utc>)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pairs.len() * 8 + 2);
    put_varint(&mut out, pairs.len() as u64);
    for &(num, at) in pairs {
        put_varint(&mut out, u64::from(num));
        put_instant(&mut out, at, 0);
    }
    out
}

pub(super) fn decode_pairs(payload: &[u8]) -> Option<Vec<(u32, DateTime<Utc>)>> {
    let mut r = Reader::new(payload);
    let n = usize::try_from(r.varint()?).ok()?;
    let mut pairs = Vec::with_capacity(n.min(payload.len()));
    for _ in 0..n {
        pairs.push((r.u32()?, read_instant(&mut r, 0)?));
    }
    r.is_empty().then_some(pairs)
}

/// Encodes a sorted list of instants.
pub(super) fn encode_instants(instants: &[DateTime<Utc>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(instants.len() * 6 + 2);
    put_varint(&mut out, instants.len() as u64);
    let mut base = 0;
    for &at in instants {
        put_instant(&mut out, at, base);
        base = at.timestamp();
    }
    out
}

pub(super) fn decode_instants(payload: &[u8]) -> Option<Vec<DateTime<Utc>>> {
    let mut r = Reader::new(payload);
    let n = usize::try_from(r.varint()?).ok()?;
    let mut instants: Vec<DateTime<Utc>> = Vec::with_capacity(n.min(payload.len()));
    let mut base = 0;
    for _ in 0..n {
        let at = read_instant(&mut r, base)?;
        if instants.last().is_some_and(|&last| last >= at) {
            return None;
        }
        base = at.timestamp();
        instants.push(at);
    }
    r.is_empty().then_some(instants)
}

/// Encodes a list of customer numbers.
pub(super) fn encode_nums(nums: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nums.len() * 3 + 2);
    put_varint(&mut out, nums.len() as u64);
    for &num in nums {
        put_varint(&mut out, u64::from(num));
    }
    out
}

pub(super) fn decode_nums(payload: &[u8]) -> Option<Vec<u32>> {
    let mut r = Reader::new(payload);
    let n = usize::try_from(r.varint()?).ok()?;
    let mut nums = Vec::with_capacity(n.min(payload.len()));
    for _ in 0..n {
        nums.push(r.u32()?);
    }
    r.is_empty().then_some(nums)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flipped_bit_anywhere_is_caught() {
        let value = seal("customers", Key::Text("ana"), b"payload");
        assert_eq!(unseal("customers", Key::Text("ana"), &value).unwrap(), b"payload");
        for byte in 0..value.len() {
            for bit in 0..8 {
                let mut bad = value.clone();
                bad[byte] ^= 1 << bit;
                assert!(unseal("customers", Key::Text("ana"), &bad).is_err(), "byte {byte} bit {bit}");
            }
        }
        assert!(unseal("customers", Key::Text("bo"), &value).is_err(), "a value moved to another key");
    }

    #[test]
    fn a_flipped_bit_in_a_row_is_caught() {
        let key = Key::Row(7, 3);
        let value = seal_row(key, b"row");
        assert_eq!(unseal_row(key, &value).unwrap(), b"row");
        for byte in 0..value.len() {
            for bit in 0..8 {
                let mut bad = value.clone();
                bad[byte] ^= 1 << bit;
                assert!(unseal_row(key, &bad).is_err(), "byte {byte} bit {bit}");
            }
        }
        assert!(unseal_row(Key::Row(7, 4), &value).is_err(), "a row moved to another sequence");
        let mut older = b"row".to_vec();
        older.extend_from_slice(&row_sum(FORMAT - 1, key, b"row").to_le_bytes());
        assert!(unseal_row(key, &older).is_err(), "a row of another format version");
    }

    #[test]
    fn instants_round_trip_at_every_precision() {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        for nanos in [0, 5_000_000, 999_000_000, 7_000, 1, 999_999_999] {
            for secs in [-86_400 * 400, -1, 0, 1, 3_600, 86_400 * 4_000] {
                let at = t + chrono::TimeDelta::seconds(secs) + chrono::TimeDelta::nanoseconds(nanos);
                let mut out = Vec::new();
                put_instant(&mut out, at, t.timestamp());
                let mut r = Reader::new(&out);
                assert_eq!(read_instant(&mut r, t.timestamp()), Some(at));
                assert!(r.is_empty());
            }
        }
        let mut out = Vec::new();
        put_instant(&mut out, t + chrono::TimeDelta::milliseconds(86_400_123), t.timestamp());
        assert_eq!(out.len(), 4, "a day and some milliseconds on: {out:?}");
    }

    /// The checksums keep the format: hashing the parts in one call from
    /// the stack is the streamed XXH3 of them, short or long, and so are the
    /// seals built on it.
    #[test]
    fn the_checksum_is_the_streamed_digest() {
        use proptest::prelude::*;
        let parts = proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..6);
        proptest!(|(parts in parts)| {
            let slices: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
            let mut h = Xxh3::new();
            for part in &slices {
                h.update(part);
            }
            prop_assert_eq!(xxh3_of(&slices), h.digest());
        });
        // A value pinned from the streamed form (format 5).
        assert_eq!(checksum("customers", b"ana", b"\x05payload"), {
            let mut h = Xxh3::new();
            for part in [&b"customers"[..], &[0], &3u64.to_le_bytes(), b"ana", b"\x05payload"] {
                h.update(part);
            }
            h.digest()
        });
    }

    #[test]
    fn rows_and_states_sealed_in_place_are_the_sealed_encodings() {
        let at = DateTime::from_timestamp(1_700_000_123, 456_000_000).unwrap();
        let kinds = [
            Kind::Purchase(Money::from_minor(1234)),
            Kind::Refund { amount: Money::from_minor(5), purchase: 2 },
            Kind::Referral { invitee: 77 },
            Kind::Follow { of: None },
            Kind::Response { campaign: 3, action: EngagementAction::Click },
        ];
        let mut out = vec![9u8; 3];
        for (seq, kind) in (0u32..).zip(kinds) {
            let record = Record { id: EventId::from_key(&format!("e{seq}")), at, channel: 4, kind };
            let start = out.len();
            append_row(&mut out, Key::Row(11, seq), &record, 1_699_999_000);
            assert_eq!(out[start..], seal_row(Key::Row(11, seq), &encode_record(&record, 1_699_999_000)));
        }
        let sealed = seal_with("customers", Key::Text("ana"), 1, |out| out.extend_from_slice(b"state"));
        assert_eq!(sealed, seal("customers", Key::Text("ana"), b"state"));
    }

    #[test]
    fn varints_round_trip() {
        for n in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, n);
            assert_eq!(Reader::new(&out).varint(), Some(n));
        }
        for n in [0, -1, 1, i64::MIN, i64::MAX] {
            assert_eq!(unzigzag(zigzag(n)), n);
        }
    }
}
