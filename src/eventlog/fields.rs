//! One line's fields, as either reader finds them, checked and turned into
//! a [`KeyedEvent`]: the rules of the format live here once for both
//! formats.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::error::EventLogErrorKind;
use super::time::parse_rfc3339;
use super::{KeyedEvent, KeyedKind, StatedConsent};
use crate::{AttributeValue, Channel, CsatScore, EngagementAction, Feedback, Money, NpsScore, Purpose};

/// A field's value before it is checked. JSON gives every type; a CSV cell
/// is text, except that the CSV reader reads the `nps`, `csat` and `granted`
/// cells as integers and booleans when they look like one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Raw<'a> {
    Text(Cow<'a, str>),
    Integer(i64),
    Number(f64),
    Bool(bool),
    Object,
    Array,
}

impl Raw<'_> {
    fn type_name(&self) -> &'static str {
        match self {
            Raw::Text(_) => "a string",
            Raw::Integer(_) => "an integer",
            Raw::Number(_) => "a number",
            Raw::Bool(_) => "a boolean",
            Raw::Object => "an object",
            Raw::Array => "an array",
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Raw<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawVisitor<'a>(std::marker::PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for RawVisitor<'a> {
            type Value = Raw<'a>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Raw<'a>, E> {
                Ok(Raw::Text(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Raw<'a>, E> {
                Ok(Raw::Text(Cow::Owned(v.to_owned())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Raw<'a>, E> {
                Ok(Raw::Text(Cow::Owned(v)))
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Raw<'a>, E> {
                Ok(Raw::Integer(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw<'a>, E> {
                Ok(i64::try_from(v).map_or(Raw::Number(v as f64), Raw::Integer))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Raw<'a>, E> {
                Ok(Raw::Number(v))
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Raw<'a>, E> {
                Ok(Raw::Bool(v))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw<'a>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Raw::Object)
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw<'a>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Raw::Array)
            }
        }

        deserializer.deserialize_any(RawVisitor(std::marker::PhantomData))
    }
}

/// Every field of the format, flat, as found on one line.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Fields<'a> {
    #[serde(borrow)]
    pub id: Option<Raw<'a>>,
    #[serde(borrow)]
    pub customer: Option<Raw<'a>>,
    #[serde(borrow)]
    pub at: Option<Raw<'a>>,
    #[serde(borrow)]
    pub channel: Option<Raw<'a>>,
    #[serde(borrow, rename = "type")]
    pub kind: Option<Raw<'a>>,
    #[serde(borrow)]
    pub amount: Option<Raw<'a>>,
    #[serde(borrow)]
    pub purchase: Option<Raw<'a>>,
    #[serde(borrow)]
    pub action: Option<Raw<'a>>,
    #[serde(borrow)]
    pub nps: Option<Raw<'a>>,
    #[serde(borrow)]
    pub csat: Option<Raw<'a>>,
    #[serde(borrow)]
    pub ticket: Option<Raw<'a>>,
    #[serde(borrow)]
    pub invitee: Option<Raw<'a>>,
    #[serde(borrow)]
    pub of: Option<Raw<'a>>,
    #[serde(borrow)]
    pub purpose: Option<Raw<'a>>,
    #[serde(borrow)]
    pub granted: Option<Raw<'a>>,
    #[serde(borrow)]
    pub campaign: Option<Raw<'a>>,
    /// JSON Lines only: parsed only on `customer` lines.
    pub consent: Option<serde_json::Value>,
    /// JSON Lines only.
    pub attributes: Option<serde_json::Value>,
}

/// A field's name and what is wrong with it.
pub(crate) type FieldError = (Option<String>, EventLogErrorKind);

fn at_field(field: &str, kind: EventLogErrorKind) -> FieldError {
    (Some(field.to_owned()), kind)
}

fn wrong(field: &str, expected: &'static str, found: &Raw<'_>) -> FieldError {
    at_field(field, EventLogErrorKind::WrongType { expected, found: found.type_name() })
}

fn required<'r, 'a>(value: Option<&'r Raw<'a>>, field: &str) -> Result<&'r Raw<'a>, FieldError> {
    value.ok_or_else(|| at_field(field, EventLogErrorKind::Missing))
}

fn text<'r>(value: Option<&'r Raw<'_>>, field: &str) -> Result<&'r str, FieldError> {
    match required(value, field)? {
        Raw::Text(text) => Ok(text),
        other => Err(wrong(field, "a string", other)),
    }
}

fn key(value: Option<&Raw<'_>>, field: &str) -> Result<String, FieldError> {
    let key = text(value, field)?;
    if key.is_empty() {
        return Err(at_field(field, EventLogErrorKind::EmptyKey));
    }
    Ok(key.to_owned())
}

fn amount(value: Option<&Raw<'_>>) -> Result<Money, FieldError> {
    let text = text(value, "amount")?;
    let invalid =
        |reason: String| at_field("amount", EventLogErrorKind::InvalidAmount { value: text.to_owned(), reason });
    if text.starts_with('-') {
        return Err(invalid("the amount cannot be negative".to_owned()));
    }
    Money::parse_decimal(text).map_err(|e| invalid(e.to_string()))
}

fn action(value: Option<&Raw<'_>>) -> Result<EngagementAction, FieldError> {
    let text = text(value, "action")?;
    EngagementAction::ALL
        .into_iter()
        .find(|a| action_name(*a) == text)
        .ok_or_else(|| at_field("action", EventLogErrorKind::UnknownAction { value: text.to_owned() }))
}

pub(crate) fn action_name(action: EngagementAction) -> &'static str {
    match action {
        EngagementAction::Like => "like",
        EngagementAction::Comment => "comment",
        EngagementAction::Share => "share",
        EngagementAction::Mention => "mention",
        EngagementAction::Reply => "reply",
        EngagementAction::Visit => "visit",
        EngagementAction::Open => "open",
        EngagementAction::Click => "click",
    }
}

pub(crate) fn purpose_name(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Profiling => "profiling",
        Purpose::Contact => "contact",
    }
}

fn channel(text: &str) -> Channel {
    Channel::NAMED.iter().find(|c| c.name() == text).cloned().unwrap_or_else(|| Channel::Other(text.to_owned()))
}

fn answer(value: &Raw<'_>, field: &str, min: u8, max: u8) -> Result<u8, FieldError> {
    match *value {
        Raw::Integer(v) if (i64::from(min)..=i64::from(max)).contains(&v) => Ok(v as u8),
        Raw::Integer(v) => Err(at_field(field, EventLogErrorKind::OutOfRange { value: v, min, max })),
        ref other => Err(wrong(field, "an integer", other)),
    }
}

fn feedback(fields: &Fields<'_>) -> Result<Feedback, FieldError> {
    match (&fields.nps, &fields.csat) {
        (Some(_), Some(_)) => Err(at_field("csat", EventLogErrorKind::TwoAnswers)),
        (Some(nps), None) => {
            Ok(Feedback::Nps(NpsScore::new(answer(nps, "nps", 0, 10)?).expect("checked against the same range")))
        }
        (None, Some(csat)) => {
            Ok(Feedback::Csat(CsatScore::new(answer(csat, "csat", 1, 5)?).expect("checked against the same range")))
        }
        (None, None) => Err(at_field("nps", EventLogErrorKind::Missing)),
    }
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn consent(value: Option<&serde_json::Value>) -> Result<StatedConsent, FieldError> {
    let Some(value) = value else { return Ok(StatedConsent::default()) };
    let serde_json::Value::Object(map) = value else {
        return Err(at_field(
            "consent",
            EventLogErrorKind::WrongType { expected: "an object", found: json_type(value) },
        ));
    };
    let purpose = |name: &str| match map.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(at_field(
            &format!("consent.{name}"),
            EventLogErrorKind::WrongType { expected: "a boolean", found: json_type(other) },
        )),
    };
    Ok(StatedConsent { profiling: purpose("profiling")?, contact: purpose("contact")? })
}

fn attributes(value: Option<&serde_json::Value>) -> Result<BTreeMap<String, AttributeValue>, FieldError> {
    let Some(value) = value else { return Ok(BTreeMap::new()) };
    let serde_json::Value::Object(map) = value else {
        return Err(at_field(
            "attributes",
            EventLogErrorKind::WrongType { expected: "an object", found: json_type(value) },
        ));
    };
    map.iter()
        .map(|(name, value)| {
            let attribute = match value {
                serde_json::Value::String(s) => AttributeValue::Text(s.clone()),
                serde_json::Value::Bool(b) => AttributeValue::Bool(*b),
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => AttributeValue::Integer(i),
                    None => AttributeValue::Number(n.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                        at_field(
                            &format!("attributes.{name}"),
                            EventLogErrorKind::WrongType { expected: "a finite number", found: "a number" },
                        )
                    })?),
                },
                other => {
                    return Err(at_field(
                        &format!("attributes.{name}"),
                        EventLogErrorKind::WrongType {
                            expected: "a string, number or boolean",
                            found: json_type(other),
                        },
                    ));
                }
            };
            Ok((name.clone(), attribute))
        })
        .collect()
}

/// Checks one line's fields and builds its event.
pub(crate) fn event(fields: &Fields<'_>) -> Result<KeyedEvent, FieldError> {
    let id = key(fields.id.as_ref(), "id")?;
    let customer = key(fields.customer.as_ref(), "customer")?;
    let at_text = text(fields.at.as_ref(), "at")?;
    let at = parse_rfc3339(at_text)
        .ok_or_else(|| at_field("at", EventLogErrorKind::InvalidInstant { value: at_text.to_owned() }))?;
    let channel_text = text(fields.channel.as_ref(), "channel")?;
    if channel_text.is_empty() {
        return Err(at_field("channel", EventLogErrorKind::Missing));
    }
    let channel = channel(channel_text);
    let kind = match text(fields.kind.as_ref(), "type")? {
        "customer" => KeyedKind::Customer {
            consent: consent(fields.consent.as_ref())?,
            attributes: attributes(fields.attributes.as_ref())?,
        },
        "purchase" => KeyedKind::Purchase { amount: amount(fields.amount.as_ref())? },
        "refund" => KeyedKind::Refund {
            amount: amount(fields.amount.as_ref())?,
            purchase: key(fields.purchase.as_ref(), "purchase")?,
        },
        "engagement" => KeyedKind::Engagement { action: action(fields.action.as_ref())? },
        "feedback" => KeyedKind::Feedback { feedback: feedback(fields)? },
        "ticket_opened" => KeyedKind::TicketOpened,
        "complaint" => KeyedKind::Complaint,
        "ticket_resolved" => KeyedKind::TicketResolved { ticket: key(fields.ticket.as_ref(), "ticket")? },
        "referral" => KeyedKind::Referral { invitee: key(fields.invitee.as_ref(), "invitee")? },
        "follow" => KeyedKind::Follow { of: fields.of.as_ref().map(|_| key(fields.of.as_ref(), "of")).transpose()? },
        "consent_change" => {
            let purpose_text = text(fields.purpose.as_ref(), "purpose")?;
            let purpose = [Purpose::Profiling, Purpose::Contact]
                .into_iter()
                .find(|p| purpose_name(*p) == purpose_text)
                .ok_or_else(|| {
                    at_field("purpose", EventLogErrorKind::UnknownPurpose { value: purpose_text.to_owned() })
                })?;
            let granted = match required(fields.granted.as_ref(), "granted")? {
                Raw::Bool(b) => *b,
                other => return Err(wrong("granted", "a boolean", other)),
            };
            KeyedKind::ConsentChange { purpose, granted }
        }
        "touch" => KeyedKind::Touch { campaign: key(fields.campaign.as_ref(), "campaign")? },
        "response" => KeyedKind::Response {
            campaign: key(fields.campaign.as_ref(), "campaign")?,
            action: action(fields.action.as_ref())?,
        },
        other => return Err(at_field("type", EventLogErrorKind::UnknownType { value: other.to_owned() })),
    };
    let event = KeyedEvent { id, customer, at, channel, kind };
    check(&event)?;
    Ok(event)
}

/// The rules that a [`KeyedEvent`] built in code must also meet: no empty
/// key, no negative amount, no referral or follow of oneself.
pub(crate) fn check(event: &KeyedEvent) -> Result<(), FieldError> {
    let non_empty = |key: &str, field: &str| {
        if key.is_empty() { Err(at_field(field, EventLogErrorKind::EmptyKey)) } else { Ok(()) }
    };
    non_empty(&event.id, "id")?;
    non_empty(&event.customer, "customer")?;
    if event.channel.name().is_empty() {
        return Err(at_field("channel", EventLogErrorKind::Missing));
    }
    let myself = |other: &str, field: &str, action: &'static str| {
        non_empty(other, field)?;
        if other == event.customer {
            Err(at_field(field, EventLogErrorKind::SelfReference { customer: other.to_owned(), action }))
        } else {
            Ok(())
        }
    };
    match &event.kind {
        KeyedKind::Purchase { amount } | KeyedKind::Refund { amount, .. } if amount.is_negative() => Err(at_field(
            "amount",
            EventLogErrorKind::InvalidAmount {
                value: amount.to_string(),
                reason: "the amount cannot be negative".to_owned(),
            },
        )),
        KeyedKind::Customer { attributes, .. } => match attributes.iter().find(|(_, v)| !v.is_valid()) {
            Some((name, _)) => Err(at_field(
                &format!("attributes.{name}"),
                EventLogErrorKind::WrongType { expected: "a finite number", found: "a number" },
            )),
            None => Ok(()),
        },
        KeyedKind::Refund { purchase, .. } => non_empty(purchase, "purchase"),
        KeyedKind::TicketResolved { ticket } => non_empty(ticket, "ticket"),
        KeyedKind::Referral { invitee } => myself(invitee, "invitee", "refer"),
        KeyedKind::Follow { of: Some(of) } => myself(of, "of", "follow"),
        KeyedKind::Touch { campaign } | KeyedKind::Response { campaign, .. } => non_empty(campaign, "campaign"),
        _ => Ok(()),
    }
}
