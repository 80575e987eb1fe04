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
/// answer out of range, a referral or follow of oneself, an event key
/// repeated with other content, or a read failure.
///
/// # Complexity
///
/// O(bytes), streaming: memory holds one line and the batch.
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
    let mut reader = io::BufReader::new(reader);
    let mut builder = BatchBuilder::new(source.to_owned());
    let mut buffer = Vec::new();
    let mut line = 0u64;
    loop {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(|e| EventLogError::new(source, None, None, EventLogErrorKind::Io { message: e.to_string() }))?;
        if read == 0 {
            break;
        }
        line += 1;
        let mut text = buffer.as_slice();
        if line == 1 {
            text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
        }
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let event = parse_line(text).map_err(|(field, kind)| builder.error(line, field.as_deref(), kind))?;
        builder.push(line, event)?;
    }
    Ok(builder.finish())
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
