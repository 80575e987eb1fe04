//! The one owner of consent for whole-base computations: who may be
//! profiled (or contacted) as of a time, and each customer's net revenue up
//! to a time.
//!
//! The rule, on the protective side: a customer is **left out** of a
//! computation as of `t` when they withheld the purpose at `t` *or* at their
//! latest recorded change (one who has withdrawn since `t` is left out of a
//! look back at `t` as well). Left out means absent from the input: such a
//! customer moves nobody else's quintile edges, reach, rank or cohort sizes,
//! and every output counts them in a field (or method) named `left_out`.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeDelta, Utc};

use crate::base::{Kind, Record};
use crate::{Consent, Customer, CustomerBase, CustomerId, EventKind, Money, MoneyError, Purpose};

/// Whether `customer` allows `purpose` as it stood at `at` (their consent at
/// creation with every change up to `at` applied).
///
/// O(1) when their latest change of `purpose` is at or before `at` (the
/// state then is the state now), else O(their events).
pub(crate) fn allowed_at(base: &CustomerBase, customer: &Customer, purpose: Purpose, at: DateTime<Utc>) -> bool {
    let now = customer.consent().state(purpose);
    if now.changed_at.is_none_or(|changed| changed <= at) {
        return now.granted;
    }
    base.consent_at(customer.id(), at).unwrap_or_default().allows(purpose)
}

/// Whether `customer` may be used for `purpose` in a computation as of `at`:
/// they allow it now (their latest recorded change) and allowed it at `at`.
pub(crate) fn may(base: &CustomerBase, customer: &Customer, purpose: Purpose, at: DateTime<Utc>) -> bool {
    customer.consent().allows(purpose) && allowed_at(base, customer, purpose, at)
}

/// Whether `customer` may be profiled (scored, predicted, segmented, ranked)
/// in a computation as of `at`.
pub(crate) fn may_profile(base: &CustomerBase, customer: &Customer, at: DateTime<Utc>) -> bool {
    may(base, customer, Purpose::Profiling, at)
}

/// The customers of a base who may be profiled as of a time, in the order
/// they were added, and how many were left out.
#[derive(Debug)]
pub(crate) struct Profiled<'a> {
    /// The customers who may be profiled.
    pub(crate) customers: Vec<&'a Customer>,
    /// How many were left out for withheld profiling consent.
    pub(crate) left_out: usize,
}

impl<'a> Profiled<'a> {
    /// Every customer of `base` who may be profiled as of `at`.
    pub(crate) fn as_of(base: &'a CustomerBase, at: DateTime<Utc>) -> Self {
        Profiled::among(base, base.customers(), at)
    }

    /// The customers of `candidates` (customers of `base`) who may be
    /// profiled as of `at`; `left_out` counts the candidates left out.
    pub(crate) fn among(
        base: &CustomerBase,
        candidates: impl IntoIterator<Item = &'a Customer>,
        at: DateTime<Utc>,
    ) -> Self {
        let mut out = Profiled { customers: Vec::new(), left_out: 0 };
        for customer in candidates {
            if may_profile(base, customer, at) {
                out.customers.push(customer);
            } else {
                out.left_out += 1;
            }
        }
        out
    }

    /// The purchases of these customers as `(customer, UTC day, amount)`
    /// records, in their order and each customer's events in order.
    pub(crate) fn purchases(&self, base: &CustomerBase) -> Vec<(CustomerId, NaiveDate, Money)> {
        let mut records = Vec::new();
        for customer in &self.customers {
            for event in base.events(customer.id()).into_iter().flatten() {
                if let EventKind::Purchase { amount } = event.kind {
                    records.push((customer.id(), event.at.date_naive(), amount));
                }
            }
        }
        records
    }
}

/// One customer's consent replayed along their records in the order they
/// were applied, for computations that walk the records once and ask at
/// each one what the customer allowed then (a touch made while contact was
/// withheld).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Replay {
    consent: Consent,
}

impl Replay {
    /// Every customer of `base` with their records and a replay at their
    /// consent on creation, in the order they were added.
    pub(crate) fn customers(base: &CustomerBase) -> impl Iterator<Item = (&Customer, &[Record], Replay)> + '_ {
        base.records()
            .zip(base.initial_consents())
            .map(|((customer, records), consent)| (customer, records, Replay { consent }))
    }

    /// Applies `record` if it changes consent.
    pub(crate) fn apply(&mut self, record: &Record) {
        if let Kind::Consent { purpose, granted } = record.kind {
            self.consent.set(purpose, granted, record.at);
        }
    }

    /// Whether the customer allows `purpose` as of the records applied.
    pub(crate) fn allows(&self, purpose: Purpose) -> bool {
        self.consent.allows(purpose)
    }
}

/// The last instant of a calendar day in UTC.
pub(crate) fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    end_of_day_at(day, FixedOffset::east_opt(0).expect("zero offset"))
}

/// The last instant of a calendar day at a fixed offset from UTC.
pub(crate) fn end_of_day_at(day: NaiveDate, offset: FixedOffset) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    let start = midnight.and_utc() - TimeDelta::seconds(i64::from(offset.local_minus_utc()));
    start + TimeDelta::days(1) - TimeDelta::nanoseconds(1)
}

/// A customer's purchases less refunds up to a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NetRevenue {
    /// Purchases less refunds.
    pub(crate) amount: Money,
    /// When they first bought, if they did.
    pub(crate) first_purchase: Option<DateTime<Utc>>,
}

/// A customer's net revenue, purchases less refunds, over their events at or
/// before `up_to`, and when they first bought.
///
/// # Errors
///
/// [`MoneyError::Overflow`] when the running sum does not fit.
pub(crate) fn net_revenue(base: &CustomerBase, id: CustomerId, up_to: DateTime<Utc>) -> Result<NetRevenue, MoneyError> {
    let mut out = NetRevenue { amount: Money::ZERO, first_purchase: None };
    for event in base.events(id).into_iter().flatten().filter(|e| e.at <= up_to) {
        match event.kind {
            EventKind::Purchase { amount } => {
                out.first_purchase.get_or_insert(event.at);
                out.amount = out.amount.checked_add(amount)?;
            }
            EventKind::Refund { amount, .. } => out.amount = out.amount.checked_sub(amount)?,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::{Channel, Event, EventId, NewCustomer, Policy};

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, day, 12, 0, 0).unwrap()
    }

    fn change(base: &mut CustomerBase, id: CustomerId, key: &str, day: u32, granted: bool) {
        let kind = EventKind::ConsentChange { purpose: Purpose::Profiling, granted };
        base.apply(&Event { id: EventId::from_key(key), customer: id, at: t(day), channel: Channel::Web, kind })
            .unwrap();
    }

    #[test]
    fn left_out_when_withheld_then_or_now() {
        let mut base = CustomerBase::new(Policy::default());
        let always = base.add_customer(NewCustomer::with_key("always", t(1))).unwrap();
        let withdrew_later = base.add_customer(NewCustomer::with_key("later", t(1))).unwrap();
        let withdrew_before = base.add_customer(NewCustomer::with_key("before", t(1))).unwrap();
        let came_back = base.add_customer(NewCustomer::with_key("back", t(1))).unwrap();
        change(&mut base, withdrew_later, "a", 20, false);
        change(&mut base, withdrew_before, "b", 5, false);
        change(&mut base, came_back, "c", 5, false);
        change(&mut base, came_back, "d", 20, true);
        let profiled = Profiled::as_of(&base, t(10));
        let kept: Vec<CustomerId> = profiled.customers.iter().map(|c| c.id()).collect();
        assert_eq!(kept, vec![always]);
        assert_eq!(profiled.left_out, 3);
        assert!(may_profile(&base, base.get(came_back).unwrap(), t(25)));
        assert!(allowed_at(&base, base.get(withdrew_later).unwrap(), Purpose::Profiling, t(10)));
        assert!(!allowed_at(&base, base.get(withdrew_later).unwrap(), Purpose::Profiling, t(25)));
    }

    #[test]
    fn net_revenue_is_checked() {
        let mut base = CustomerBase::new(Policy::default());
        let id = base.add_customer(NewCustomer::with_key("x", t(1))).unwrap();
        let buy = |key: &str, day, amount| Event {
            id: EventId::from_key(key),
            customer: id,
            at: t(day),
            channel: Channel::Web,
            kind: EventKind::Purchase { amount: Money::from_minor(amount) },
        };
        base.apply(&buy("p1", 2, 1_000)).unwrap();
        base.apply(&Event {
            id: EventId::from_key("r1"),
            customer: id,
            at: t(3),
            channel: Channel::Web,
            kind: EventKind::Refund { amount: Money::from_minor(300), purchase: EventId::from_key("p1") },
        })
        .unwrap();
        assert_eq!(net_revenue(&base, id, t(1)).unwrap(), NetRevenue { amount: Money::ZERO, first_purchase: None });
        let first_purchase = Some(t(2));
        assert_eq!(
            net_revenue(&base, id, t(2)).unwrap(),
            NetRevenue { amount: Money::from_minor(1_000), first_purchase }
        );
        assert_eq!(
            net_revenue(&base, id, t(3)).unwrap(),
            NetRevenue { amount: Money::from_minor(700), first_purchase }
        );
        base.apply(&buy("p2", 4, i64::MAX)).unwrap();
        base.apply(&buy("p3", 5, i64::MAX)).unwrap();
        assert!(matches!(net_revenue(&base, id, t(5)), Err(MoneyError::Overflow { .. })));
    }

    #[test]
    fn end_of_day_is_the_last_instant() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        let end = end_of_day(day);
        assert_eq!(end.date_naive(), day);
        assert_eq!((end + TimeDelta::nanoseconds(1)).date_naive(), day.succ_opt().unwrap());
        let east = FixedOffset::east_opt(3_600).unwrap();
        assert_eq!(end_of_day_at(day, east), end - TimeDelta::hours(1));
    }
}
