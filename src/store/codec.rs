//! How the store's values are laid out: every value is a format-version
//! byte, a payload and an XXH3-64 checksum of the table's name, the key and
//! the payload, verified on every read; a customer's payload holds their
//! derived state (JSON) and their events in a compact binary form.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::Xxh3;

use super::StoreError;
use crate::base::{Kind, Record};
use crate::event::{EngagementAction, Feedback, Purpose};
use crate::{Consent, CsatScore, Customer, EventId, Money, NpsScore};

/// The layout version of every value (and of the store, in its metadata).
pub(super) const FORMAT: u8 = 1;

fn checksum(table: &str, key: &[u8], body: &[u8]) -> u64 {
    let mut h = Xxh3::new();
    h.update(table.as_bytes());
    h.update(&[0]);
    h.update(&(key.len() as u64).to_le_bytes());
    h.update(key);
    h.update(body);
    h.digest()
}

/// The key a value is stored under, as the checksum covers it and as a
/// [`StoreError::Corrupt`] names it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Key<'a> {
    /// A customer key or a metadata name.
    Text(&'a str),
    /// A customer or interning number.
    Num(u32),
    /// An event id's bytes.
    Id(&'a [u8]),
}

impl Key<'_> {
    fn bytes(&self) -> std::borrow::Cow<'_, [u8]> {
        match self {
            Key::Text(text) => text.as_bytes().into(),
            Key::Num(num) => num.to_be_bytes().to_vec().into(),
            Key::Id(id) => (*id).into(),
        }
    }

    pub(super) fn label(&self) -> String {
        match self {
            Key::Text(text) => (*text).to_owned(),
            Key::Num(num) => num.to_string(),
            Key::Id(id) => id.iter().fold(String::with_capacity(32), |mut hex, b| {
                use std::fmt::Write;
                let _ = write!(hex, "{b:02x}");
                hex
            }),
        }
    }
}

/// A value ready to store: version, payload, checksum.
pub(super) fn seal(table: &str, key: Key<'_>, payload: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(payload.len() + 9);
    value.push(FORMAT);
    value.extend_from_slice(payload);
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

/// Appends an instant: seconds as a zigzag varint difference from `base`,
/// then nanoseconds.
pub(super) fn put_instant(out: &mut Vec<u8>, at: DateTime<Utc>, base: i64) {
    put_varint(out, zigzag(at.timestamp().wrapping_sub(base)));
    put_varint(out, u64::from(at.timestamp_subsec_nanos()));
}

pub(super) fn read_instant(r: &mut Reader<'_>, base: i64) -> Option<DateTime<Utc>> {
    let secs = base.checked_add(unzigzag(r.varint()?))?;
    DateTime::from_timestamp(secs, r.u32()?)
}

/// A customer's derived state as stored: everything but their events.
#[derive(Serialize, Deserialize)]
pub(super) struct State {
    pub customer: Customer,
    pub initial_consent: Consent,
    pub open_tickets: Vec<u32>,
    /// For each attribute, the instant and event key of the `customer`
    /// record that set it: a record that arrives later but is older does
    /// not override a newer one.
    #[serde(default)]
    pub attribute_times: AttributeTimes,
}

/// Attribute name to the instant and event key of the record that set it.
pub(super) type AttributeTimes = std::collections::BTreeMap<String, (DateTime<Utc>, String)>;

/// A customer as stored: their number, state and events (naming other
/// customers by number).
#[derive(Debug, Clone)]
pub(super) struct Stored {
    pub num: u32,
    pub customer: Customer,
    pub initial_consent: Consent,
    pub open_tickets: Vec<u32>,
    pub attribute_times: AttributeTimes,
    pub records: Vec<Record>,
}

fn action_code(action: EngagementAction) -> u8 {
    EngagementAction::ALL.iter().position(|&a| a == action).expect("every action is listed") as u8
}

fn action_of(code: u8) -> Option<EngagementAction> {
    EngagementAction::ALL.get(usize::from(code)).copied()
}

/// Encodes a customer's payload.
pub(super) fn encode_customer(
    num: u32,
    customer: &Customer,
    initial_consent: Consent,
    open_tickets: &[u32],
    attribute_times: &AttributeTimes,
    records: &[Record],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + records.len() * 28);
    out.extend_from_slice(&num.to_le_bytes());
    let state = State {
        customer: customer.clone(),
        initial_consent,
        open_tickets: open_tickets.to_vec(),
        attribute_times: attribute_times.clone(),
    };
    let json = serde_json::to_vec(&state).expect("a customer serialises");
    put_varint(&mut out, json.len() as u64);
    out.extend_from_slice(&json);
    put_varint(&mut out, records.len() as u64);
    let mut base = 0;
    for record in records {
        out.extend_from_slice(record.id.as_uuid().as_bytes());
        put_instant(&mut out, record.at, base);
        base = record.at.timestamp();
        put_varint(&mut out, u64::from(record.channel));
        match record.kind {
            Kind::Purchase(amount) => {
                out.push(0);
                put_varint(&mut out, zigzag(amount.minor_units()));
            }
            Kind::Refund { amount, purchase } => {
                out.push(1);
                put_varint(&mut out, zigzag(amount.minor_units()));
                put_varint(&mut out, u64::from(purchase));
            }
            Kind::Engagement(action) => out.extend_from_slice(&[2, action_code(action)]),
            Kind::Feedback(Feedback::Nps(s)) => out.extend_from_slice(&[3, s.get()]),
            Kind::Feedback(Feedback::Csat(s)) => out.extend_from_slice(&[3, 0x80 | s.get()]),
            Kind::TicketOpened => out.push(4),
            Kind::Complaint => out.push(5),
            Kind::TicketResolved { ticket } => {
                out.push(6);
                put_varint(&mut out, u64::from(ticket));
            }
            Kind::Referral { invitee } => {
                out.push(7);
                put_varint(&mut out, u64::from(invitee));
            }
            Kind::Follow { of: None } => out.push(8),
            Kind::Follow { of: Some(of) } => {
                out.push(9);
                put_varint(&mut out, u64::from(of));
            }
            Kind::Consent { purpose, granted } => {
                out.extend_from_slice(&[10, u8::from(purpose == Purpose::Contact), u8::from(granted)]);
            }
            Kind::Touch { campaign } => {
                out.push(11);
                put_varint(&mut out, u64::from(campaign));
            }
            Kind::Response { campaign, action } => {
                out.push(12);
                put_varint(&mut out, u64::from(campaign));
                out.push(action_code(action));
            }
        }
    }
    out
}

/// Decodes a customer's payload; `None` when it is malformed.
pub(super) fn decode_customer(payload: &[u8]) -> Option<Stored> {
    let mut r = Reader::new(payload);
    let num = u32::from_le_bytes(r.bytes(4)?.try_into().ok()?);
    let len = usize::try_from(r.varint()?).ok()?;
    let state: State = serde_json::from_slice(r.bytes(len)?).ok()?;
    let n = usize::try_from(r.varint()?).ok()?;
    let mut records = Vec::with_capacity(n.min(payload.len() / 20));
    let mut base = 0;
    for pos in 0..n {
        let id = EventId::from_uuid(uuid::Uuid::from_bytes(r.bytes(16)?.try_into().ok()?));
        let at = read_instant(&mut r, base)?;
        base = at.timestamp();
        let channel = r.u32()?;
        let earlier = |p: u32| (p < pos as u32).then_some(p);
        let money = |r: &mut Reader<'_>| Some(Money::from_minor(unzigzag(r.varint()?)));
        let kind = match r.u8()? {
            0 => Kind::Purchase(money(&mut r)?),
            1 => Kind::Refund { amount: money(&mut r)?, purchase: earlier(r.u32()?)? },
            2 => Kind::Engagement(action_of(r.u8()?)?),
            3 => {
                let b = r.u8()?;
                Kind::Feedback(if b & 0x80 == 0 {
                    Feedback::Nps(NpsScore::new(b).ok()?)
                } else {
                    Feedback::Csat(CsatScore::new(b & 0x7f).ok()?)
                })
            }
            4 => Kind::TicketOpened,
            5 => Kind::Complaint,
            6 => Kind::TicketResolved { ticket: earlier(r.u32()?)? },
            7 => Kind::Referral { invitee: r.u32()? },
            8 => Kind::Follow { of: None },
            9 => Kind::Follow { of: Some(r.u32()?) },
            10 => {
                let purpose = if r.u8()? == 1 { Purpose::Contact } else { Purpose::Profiling };
                Kind::Consent { purpose, granted: r.u8()? == 1 }
            }
            11 => Kind::Touch { campaign: r.u32()? },
            12 => Kind::Response { campaign: r.u32()?, action: action_of(r.u8()?)? },
            _ => return None,
        };
        records.push(Record { id, at, channel, kind });
    }
    if !r.is_empty() {
        return None;
    }
    Some(Stored {
        num,
        customer: state.customer,
        initial_consent: state.initial_consent,
        open_tickets: state.open_tickets,
        attribute_times: state.attribute_times,
        records,
    })
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
