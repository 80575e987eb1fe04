//! [`Customer`]: who they are, what they consented to, what the base knows
//! about them, and where they stand. [`Customer`], [`NewCustomer`] and
//! [`Consent`] are also at the crate root.
//!
//! # Example
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use customer_lifecycle::customer::AttributeValue;
//! use customer_lifecycle::{Consent, CustomerBase, NewCustomer, Policy, Purpose, Stage};
//!
//! let mut base = CustomerBase::new(Policy::default());
//! let t0 = Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap();
//! let new = NewCustomer::with_key("ana", t0)
//!     .consent(Consent::default())
//!     .attribute("city", AttributeValue::Text("Lyon".into()));
//! let id = base.add_customer(new)?;
//! let ana = base.get(id).unwrap();
//! assert_eq!(ana.stage(), Stage::Prospect);
//! // By default profiling is allowed and contact is not, until the customer says so.
//! assert!(ana.consent().allows(Purpose::Profiling) && !ana.consent().allows(Purpose::Contact));
//! assert_eq!(ana.attributes()["city"], AttributeValue::Text("Lyon".into()));
//! # Ok::<(), customer_lifecycle::Error>(())
//! ```

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::CustomerId;
use crate::event::{Feedback, Purpose};
use crate::lifecycle::rules::Engine;
use crate::lifecycle::{Phase, Stage, Transition};

/// A customer as the [`CustomerBase`](crate::CustomerBase) keeps them.
///
/// Read-only: customers are added with [`NewCustomer`] and change through
/// events, [`CustomerBase::transition`](crate::CustomerBase::transition) and
/// [`CustomerBase::set_attribute`](crate::CustomerBase::set_attribute).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    id: CustomerId,
    key: Option<String>,
    created_at: DateTime<Utc>,
    consent: Consent,
    attributes: BTreeMap<String, AttributeValue>,
    stage: Stage,
    history: Vec<Transition>,
    /// The rules' running summary, kept so a serialised customer reads back
    /// equal.
    #[serde(rename = "rules")]
    pub(crate) engine: Engine,
}

impl Customer {
    pub(crate) fn from_new(new: NewCustomer) -> Self {
        Customer {
            id: new.id,
            key: new.key,
            created_at: new.created_at,
            consent: new.consent,
            attributes: new.attributes,
            stage: Stage::Prospect,
            history: Vec::new(),
            engine: Engine::new(new.created_at),
        }
    }

    /// A customer with nothing in them, left in the place of one moved out.
    #[cfg_attr(not(feature = "store"), allow(dead_code))]
    pub(crate) fn vacant() -> Self {
        Customer::from_new(NewCustomer {
            id: CustomerId::from_uuid(uuid::Uuid::nil()),
            key: None,
            created_at: DateTime::UNIX_EPOCH,
            consent: Consent::default(),
            attributes: BTreeMap::new(),
        })
    }

    /// The customer's id.
    pub fn id(&self) -> CustomerId {
        self.id
    }

    /// The external key the customer was added with, byte for byte, if any.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The key if there is one, otherwise the id as a string: what reports show.
    pub fn label(&self) -> String {
        self.key.clone().unwrap_or_else(|| self.id.to_string())
    }

    /// When the base first knew them.
    pub fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// Their consent, per purpose.
    pub fn consent(&self) -> &Consent {
        &self.consent
    }

    /// Their attributes.
    pub fn attributes(&self) -> &BTreeMap<String, AttributeValue> {
        &self.attributes
    }

    /// One attribute.
    pub fn attribute(&self, key: &str) -> Option<&AttributeValue> {
        self.attributes.get(key)
    }

    /// Their current stage.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The phase of their current stage (`None` when dormant or churned).
    pub fn phase(&self) -> Option<Phase> {
        self.stage.phase()
    }

    /// Every move they made, oldest first.
    pub fn history(&self) -> &[Transition] {
        &self.history
    }

    /// Whether they ever stood at `stage` (now or in their history).
    pub fn ever_reached(&self, stage: Stage) -> bool {
        self.stage == stage || self.history.iter().any(|t| t.from == stage || t.to == stage)
    }

    /// When they first moved to `stage`, if ever (`created_at` for `Prospect`).
    pub fn first_reached(&self, stage: Stage) -> Option<DateTime<Utc>> {
        if stage == Stage::Prospect {
            return Some(self.created_at);
        }
        self.history.iter().find(|t| t.to == stage).map(|t| t.at)
    }

    /// How many purchases they made.
    pub fn purchase_count(&self) -> u32 {
        self.engine.facts.purchases
    }

    /// When they first bought.
    pub fn first_purchase(&self) -> Option<DateTime<Utc>> {
        self.engine.facts.first_purchase
    }

    /// When they last bought.
    pub fn last_purchase(&self) -> Option<DateTime<Utc>> {
        self.engine.facts.last_purchase
    }

    /// Their latest survey answer.
    pub fn latest_feedback(&self) -> Option<Feedback> {
        self.engine.facts.latest_feedback
    }

    /// How many complaints are still unresolved.
    pub fn open_complaints(&self) -> u32 {
        self.engine.facts.open_complaints
    }

    /// How many customers they referred made a first purchase after the referral.
    pub fn converted_referrals(&self) -> usize {
        self.engine.facts.conversions.len()
    }

    /// How many times they shared the brand's content or mentioned it in public.
    pub fn public_advocacy(&self) -> u32 {
        self.engine.facts.public_advocacy
    }

    /// The instant up to which the base has evaluated them: their last
    /// event, explicit move or [`advance_to`](crate::CustomerBase::advance_to).
    pub fn as_of(&self) -> DateTime<Utc> {
        self.engine.clock
    }

    /// Makes room for `moves` more moves in the history.
    #[cfg_attr(not(feature = "store"), allow(dead_code))]
    pub(crate) fn reserve_history(&mut self, moves: usize) {
        self.history.reserve(moves);
    }

    pub(crate) fn set_stage(&mut self, transition: Transition) {
        self.stage = transition.to;
        self.history.push(transition);
    }

    /// Forgets the moves after `t`: the customer as their history had them
    /// at `t` (their facts and consent are left as they are).
    #[cfg(feature = "store")]
    pub(crate) fn truncate_history(&mut self, t: DateTime<Utc>) {
        let kept = self.history.partition_point(|m| m.at <= t);
        self.history.truncate(kept);
        self.stage = self.history.last().map_or(Stage::Prospect, |m| m.to);
    }

    /// Moves the creation instant earlier, for a key that a later batch
    /// names before the instant it was first seen: nothing before their
    /// first event moves a customer, so their history stands.
    #[cfg(feature = "store")]
    pub(crate) fn set_created_at(&mut self, at: DateTime<Utc>) {
        debug_assert!(at <= self.created_at);
        self.created_at = at;
    }

    pub(crate) fn consent_mut(&mut self) -> &mut Consent {
        &mut self.consent
    }

    pub(crate) fn attributes_mut(&mut self) -> &mut BTreeMap<String, AttributeValue> {
        &mut self.attributes
    }
}

/// A customer to add to a [`CustomerBase`](crate::CustomerBase).
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use customer_lifecycle::{CustomerBase, NewCustomer, Policy, Stage, customer::AttributeValue};
///
/// let mut base = CustomerBase::new(Policy::default());
/// let at = Utc.with_ymd_and_hms(2024, 1, 5, 9, 30, 0).unwrap();
/// let id = base.add_customer(NewCustomer::with_key("cust-42", at).attribute("region", "north"))?;
/// let customer = base.get(id).unwrap();
/// assert_eq!(customer.key(), Some("cust-42"));
/// assert_eq!(customer.stage(), Stage::Prospect);
/// assert_eq!(customer.attribute("region"), Some(&AttributeValue::Text("north".into())));
/// # Ok::<(), customer_lifecycle::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCustomer {
    /// The id.
    pub id: CustomerId,
    /// The external key, kept byte for byte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// When the base first knew them; no event of theirs may be earlier.
    pub created_at: DateTime<Utc>,
    /// Their consent at creation.
    #[serde(default)]
    pub consent: Consent,
    /// Their attributes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, AttributeValue>,
}

impl NewCustomer {
    /// A customer with the given id and no external key.
    pub fn new(id: CustomerId, created_at: DateTime<Utc>) -> Self {
        NewCustomer { id, key: None, created_at, consent: Consent::default(), attributes: BTreeMap::new() }
    }

    /// A customer known by an external key; the id is [`CustomerId::from_key`].
    pub fn with_key(key: impl Into<String>, created_at: DateTime<Utc>) -> Self {
        let key = key.into();
        NewCustomer { key: Some(key.clone()), ..NewCustomer::new(CustomerId::from_key(&key), created_at) }
    }

    /// Sets an attribute.
    #[must_use]
    pub fn attribute(mut self, key: impl Into<String>, value: impl Into<AttributeValue>) -> Self {
        self.attributes.insert(key.into(), value.into());
        self
    }

    /// Sets the consent at creation.
    #[must_use]
    pub fn consent(mut self, consent: Consent) -> Self {
        self.consent = consent;
        self
    }
}

/// A customer's consent, per purpose.
///
/// The default, for a customer who has never said: profiling granted (the
/// brand may score the customers it has a relationship with, which the
/// customer can withdraw at any time) and contact withheld (marketing
/// contact is opt-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Being scored, predicted and segmented.
    pub profiling: ConsentState,
    /// Being contacted by campaigns.
    pub contact: ConsentState,
}

impl Default for Consent {
    fn default() -> Self {
        Consent {
            profiling: ConsentState { granted: true, changed_at: None },
            contact: ConsentState { granted: false, changed_at: None },
        }
    }
}

impl Consent {
    /// Consent for everything, never changed.
    pub fn all_granted() -> Self {
        Consent {
            profiling: ConsentState { granted: true, changed_at: None },
            contact: ConsentState { granted: true, changed_at: None },
        }
    }

    /// Whether the customer allows `purpose`.
    pub fn allows(&self, purpose: Purpose) -> bool {
        self.state(purpose).granted
    }

    /// The state for `purpose`.
    pub fn state(&self, purpose: Purpose) -> ConsentState {
        match purpose {
            Purpose::Profiling => self.profiling,
            Purpose::Contact => self.contact,
        }
    }

    /// Records a change of consent for `purpose` at `at`.
    pub fn set(&mut self, purpose: Purpose, granted: bool, at: DateTime<Utc>) {
        let state = match purpose {
            Purpose::Profiling => &mut self.profiling,
            Purpose::Contact => &mut self.contact,
        };
        *state = ConsentState { granted, changed_at: Some(at) };
    }
}

/// Consent for one purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentState {
    /// Whether it is granted.
    pub granted: bool,
    /// When the customer last changed it (`None`: never, the default applies).
    pub changed_at: Option<DateTime<Utc>>,
}

/// A typed attribute value.
///
/// Serialises externally tagged (`{"text": "north"}`, `{"number": 1.5}`) so a
/// round trip never confuses a date with a string or an integer with a float.
/// A [`Number`](AttributeValue::Number) must be finite; the base rejects NaN
/// and infinities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttributeValue {
    /// Text.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A finite real number.
    Number(f64),
    /// Yes or no.
    Bool(bool),
    /// A calendar date.
    Date(NaiveDate),
}

impl AttributeValue {
    /// Whether the value is acceptable (numbers must be finite).
    pub fn is_valid(&self) -> bool {
        !matches!(self, AttributeValue::Number(x) if !x.is_finite())
    }
}

impl From<&str> for AttributeValue {
    fn from(value: &str) -> Self {
        AttributeValue::Text(value.to_owned())
    }
}

impl From<String> for AttributeValue {
    fn from(value: String) -> Self {
        AttributeValue::Text(value)
    }
}

impl From<i64> for AttributeValue {
    fn from(value: i64) -> Self {
        AttributeValue::Integer(value)
    }
}

impl From<f64> for AttributeValue {
    fn from(value: f64) -> Self {
        AttributeValue::Number(value)
    }
}

impl From<bool> for AttributeValue {
    fn from(value: bool) -> Self {
        AttributeValue::Bool(value)
    }
}

impl From<NaiveDate> for AttributeValue {
    fn from(value: NaiveDate) -> Self {
        AttributeValue::Date(value)
    }
}
