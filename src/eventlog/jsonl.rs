//! The JSON Lines reader and writer.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};

use chrono::SecondsFormat;
use serde::Serialize;

use super::error::EventLogErrorKind;
use super::fields::{self, Fields, action_name, purpose_name};
use super::{BatchBuilder, EventBatch, EventLogError, KeyedEvent, KeyedKind};
use crate::{AttributeValue, Feedback};

/// Reads a JSON Lines event log: one JSON object per line, checked as the
/// [module documentation](super) describes. `source` names the input in
/// errors (a file name).
///
/// # Errors
///
/// The first bad line's [`EventLogError`], with the source, the line and
/// the field: malformed JSON, a missing or mistyped field, an empty key, a
/// bad instant or amount, an unknown type, action or purpose, a survey
/// answer out of range, a referral or follow of oneself, or a read
/// failure. Keys repeated with other content are found once every line
/// has been read: the error names the earliest such line and the line of
/// the key's first appearance.
///
/// # Complexity
///
/// O(bytes), streaming: memory holds a 64 KiB buffer (or the longest
/// line) and the batch.
///
/// # Example
///
/// ```
/// use customer_lifecycle::eventlog::{KeyedKind, read_jsonl};
///
/// let text = r#"{"id":"f1","customer":"ana","at":"2024-03-01T10:00:00Z","channel":"tiktok","type":"feedback","nps":9}"#;
/// let batch = read_jsonl(text.as_bytes(), "feedback.jsonl")?;
/// assert_eq!(batch.events()[0].channel.name(), "tiktok");
/// assert!(matches!(batch.events()[0].kind, KeyedKind::Feedback { .. }));
/// # Ok::<(), customer_lifecycle::eventlog::EventLogError>(())
/// ```
pub fn read_jsonl<R: io::Read>(reader: R, source: &str) -> Result<EventBatch, EventLogError> {
    let io_error =
        |e: io::Error| EventLogError::new(source, None, None, EventLogErrorKind::Io { message: e.to_string() });
    let mut reader = io::BufReader::with_capacity(1 << 16, reader);
    let mut builder = BatchBuilder::new(source.to_owned());
    // A line that lies whole in the reader's buffer is parsed there; one
    // that spans the buffer's end is gathered here first.
    let mut spanning = Vec::new();
    let mut line = 0u64;
    loop {
        let available = reader.fill_buf().map_err(io_error)?;
        if available.is_empty() {
            break;
        }
        let (text, in_buffer) = if let Some(end) = find_newline(available) {
            (&available[..=end], true)
        } else {
            spanning.clear();
            reader.read_until(b'\n', &mut spanning).map_err(io_error)?;
            (spanning.as_slice(), false)
        };
        let consumed = text.len();
        line += 1;
        let text = if line == 1 { text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text) } else { text };
        if !text.iter().all(u8::is_ascii_whitespace) {
            let event = parse_line(text).map_err(|(field, kind)| builder.error(line, field.as_deref(), kind))?;
            builder.push(line, event);
        }
        if in_buffer {
            reader.consume(consumed);
        }
    }
    builder.finish()
}

/// The position of the first `\n`, eight bytes at a time: the zero-byte
/// test of a word XOR-ed with newlines (its lowest flagged byte is exact).
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes")) ^ (ONES * u64::from(b'\n'));
        let zeros = word.wrapping_sub(ONES) & !word & HIGHS;
        if zeros != 0 {
            return Some(offset + (zeros.trailing_zeros() / 8) as usize);
        }
        offset += 8;
    }
    chunks.remainder().iter().position(|&b| b == b'\n').map(|i| offset + i)
}

fn parse_line(text: &[u8]) -> Result<KeyedEvent, fields::FieldError> {
    let fields: Fields<'_> = serde_json::from_slice(text).map_err(|e| {
        let object = text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        let message =
            if object || e.is_syntax() || e.is_eof() { e.to_string() } else { "expected a JSON object".into() };
        (None, EventLogErrorKind::Json { message })
    })?;
    fields::event(&fields)
}

/// One event as the 16 fields of the format, `None` where a field does not
/// apply: what both writers write.
pub(crate) struct Flat<'a> {
    pub cells: [Option<Cow<'a, str>>; 16],
    pub nps: Option<u8>,
    pub csat: Option<u8>,
    pub granted: Option<bool>,
}

/// The columns of the format, in the order of [`Flat::cells`].
pub(crate) const COLUMNS: [&str; 16] = [
    "id", "customer", "at", "channel", "type", "amount", "purchase", "action", "nps", "csat", "ticket", "invitee",
    "of", "purpose", "granted", "campaign",
];

pub(crate) fn flat(event: &KeyedEvent) -> Flat<'_> {
    let mut cells: [Option<Cow<'_, str>>; 16] = Default::default();
    let mut set = |column: &str, value: Cow<'static, str>| {
        cells[COLUMNS.iter().position(|c| *c == column).expect("a column of the format")] = Some(value);
    };
    let (mut nps, mut csat, mut granted) = (None, None, None);
    let at = event.at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let mut amount_of = None;
    match &event.kind {
        KeyedKind::Purchase { amount } => amount_of = Some(amount),
        KeyedKind::Refund { amount, purchase } => {
            amount_of = Some(amount);
            set("purchase", Cow::Owned(purchase.clone()));
        }
        KeyedKind::Engagement { action } => set("action", Cow::Borrowed(action_name(*action))),
        KeyedKind::Feedback { feedback: Feedback::Nps(score) } => nps = Some(score.get()),
        KeyedKind::Feedback { feedback: Feedback::Csat(score) } => csat = Some(score.get()),
        KeyedKind::TicketResolved { ticket } => set("ticket", Cow::Owned(ticket.clone())),
        KeyedKind::Referral { invitee } => set("invitee", Cow::Owned(invitee.clone())),
        KeyedKind::Follow { of: Some(of) } => set("of", Cow::Owned(of.clone())),
        KeyedKind::ConsentChange { purpose, granted: g } => {
            set("purpose", Cow::Borrowed(purpose_name(*purpose)));
            granted = Some(*g);
        }
        KeyedKind::Touch { campaign } => set("campaign", Cow::Owned(campaign.clone())),
        KeyedKind::Response { campaign, action } => {
            set("campaign", Cow::Owned(campaign.clone()));
            set("action", Cow::Borrowed(action_name(*action)));
        }
        _ => {}
    }
    if let Some(amount) = amount_of {
        set("amount", Cow::Owned(amount.to_string()));
    }
    set("at", Cow::Owned(at));
    set("type", Cow::Borrowed(event.kind.name()));
    if let Some(n) = nps {
        set("nps", Cow::Owned(n.to_string()));
    }
    if let Some(c) = csat {
        set("csat", Cow::Owned(c.to_string()));
    }
    if let Some(g) = granted {
        set("granted", Cow::Borrowed(if g { "true" } else { "false" }));
    }
    cells[0] = Some(Cow::Borrowed(&event.id));
    cells[1] = Some(Cow::Borrowed(&event.customer));
    cells[3] = Some(Cow::Borrowed(event.channel.name()));
    Flat { cells, nps, csat, granted }
}

#[derive(Serialize)]
struct Line<'a> {
    id: &'a str,
    customer: &'a str,
    at: &'a str,
    channel: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purchase: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nps: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    csat: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invitee: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    of: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purpose: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    granted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    campaign: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consent: Option<BTreeMap<&'static str, bool>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes: Option<BTreeMap<&'a str, serde_json::Value>>,
}

fn attribute_json(value: &AttributeValue) -> serde_json::Value {
    match value {
        AttributeValue::Text(text) => serde_json::Value::from(text.as_str()),
        AttributeValue::Integer(i) => serde_json::Value::from(*i),
        AttributeValue::Number(x) => serde_json::Value::from(*x),
        AttributeValue::Bool(b) => serde_json::Value::from(*b),
        AttributeValue::Date(d) => serde_json::Value::from(d.to_string()),
    }
}

/// Writes events as JSON Lines, one object per line in the format that
/// [`read_jsonl`] reads, fields that do not apply left out. Instants are
/// written in UTC (`2024-03-01T10:00:00Z`, fractional seconds only when
/// not zero); a date attribute is written as its `YYYY-MM-DD` text, and
/// reads back as text.
///
/// # Errors
///
/// The writer's I/O error.
///
/// # Example
///
/// ```
/// use customer_lifecycle::eventlog::{KeyedEvent, KeyedKind, read_jsonl, write_jsonl};
/// use customer_lifecycle::Channel;
///
/// let event = KeyedEvent {
///     id: "f-1".into(),
///     customer: "ana".into(),
///     at: "2024-03-01T10:00:00Z".parse()?,
///     channel: Channel::Web,
///     kind: KeyedKind::Follow { of: None },
/// };
/// let mut out = Vec::new();
/// write_jsonl(&mut out, [&event])?;
/// assert_eq!(
///     String::from_utf8(out.clone())?,
///     "{\"id\":\"f-1\",\"customer\":\"ana\",\"at\":\"2024-03-01T10:00:00Z\",\"channel\":\"web\",\"type\":\"follow\"}\n"
/// );
/// assert_eq!(read_jsonl(out.as_slice(), "out.jsonl")?.events(), [event]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn write_jsonl<'a, W: Write>(mut writer: W, events: impl IntoIterator<Item = &'a KeyedEvent>) -> io::Result<()> {
    for event in events {
        let Flat { cells, nps, csat, granted } = flat(event);
        let cell = |i: usize| cells[i].as_deref();
        let (consent, attributes) = match &event.kind {
            KeyedKind::Customer { consent, attributes } => {
                let stated: BTreeMap<_, _> = consent.stated().map(|(p, g)| (purpose_name(p), g)).collect();
                let attributes: BTreeMap<_, _> =
                    attributes.iter().map(|(k, v)| (k.as_str(), attribute_json(v))).collect();
                ((!stated.is_empty()).then_some(stated), (!attributes.is_empty()).then_some(attributes))
            }
            _ => (None, None),
        };
        let line = Line {
            id: cell(0).unwrap_or_default(),
            customer: cell(1).unwrap_or_default(),
            at: cell(2).unwrap_or_default(),
            channel: cell(3).unwrap_or_default(),
            kind: cell(4).unwrap_or_default(),
            amount: cell(5),
            purchase: cell(6),
            action: cell(7),
            nps,
            csat,
            ticket: cell(10),
            invitee: cell(11),
            of: cell(12),
            purpose: cell(13),
            granted,
            campaign: cell(15),
            consent,
            attributes,
        };
        serde_json::to_writer(&mut writer, &line)?;
        writer.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::find_newline;

    proptest! {
        #[test]
        fn find_newline_finds_the_first(bytes in prop::collection::vec(prop_oneof![Just(b'\n'), any::<u8>()], 0..40)) {
            prop_assert_eq!(find_newline(&bytes), bytes.iter().position(|&b| b == b'\n'));
        }
    }
}
