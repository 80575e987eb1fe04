//! Net Promoter Score and customer satisfaction from survey answers: per
//! base, per group of a caller's grouping, and over time windows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::consent::may_profile;
use crate::{Customer, CustomerBase, EventKind, Feedback, Window};

/// Promoters (9–10), passives (7–8) and detractors (0–6) among NPS answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NpsSummary {
    /// Answers of 9 or 10.
    pub promoters: u64,
    /// Answers of 7 or 8.
    pub passives: u64,
    /// Answers of 0 to 6.
    pub detractors: u64,
}

impl NpsSummary {
    /// All answers.
    pub fn responses(&self) -> u64 {
        self.promoters + self.passives + self.detractors
    }

    /// The Net Promoter Score, −100..=100; `None` without answers.
    ///
    /// # Formula
    ///
    /// `NPS = 100 × (promoters − detractors) / responses`.
    pub fn score(&self) -> Option<f64> {
        let n = self.responses();
        (n > 0).then(|| 100.0 * (self.promoters as f64 - self.detractors as f64) / n as f64)
    }

    fn add(&mut self, answer: u8) {
        match answer {
            9..=10 => self.promoters += 1,
            7..=8 => self.passives += 1,
            _ => self.detractors += 1,
        }
    }
}

/// Customer-satisfaction answers (1..=5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CsatSummary {
    /// All answers.
    pub responses: u64,
    /// Answers of 4 or 5.
    pub satisfied: u64,
    /// The sum of the answers.
    pub total: u64,
}

impl CsatSummary {
    /// The CSAT score: the percentage of satisfied answers (4 or 5),
    /// 0..=100; `None` without answers.
    pub fn score(&self) -> Option<f64> {
        (self.responses > 0).then(|| 100.0 * self.satisfied as f64 / self.responses as f64)
    }

    /// The mean answer, 1..=5; `None` without answers.
    pub fn mean(&self) -> Option<f64> {
        (self.responses > 0).then(|| self.total as f64 / self.responses as f64)
    }

    fn add(&mut self, answer: u8) {
        self.responses += 1;
        self.total += u64::from(answer);
        if answer >= 4 {
            self.satisfied += 1;
        }
    }
}

/// NPS and CSAT over a window.
///
/// Each customer speaks once per scale: their latest NPS answer and their
/// latest CSAT answer in the window count, so a customer who answers often
/// does not outweigh the others. Customers who withheld profiling consent
/// are left out and counted.
///
/// # Example
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use customer_lifecycle::score::FeedbackScores;
/// use customer_lifecycle::{AttributeValue, Channel, CustomerBase, Event, EventId, EventKind, Feedback, NewCustomer, NpsScore, Policy, Window};
///
/// let mut base = CustomerBase::new(Policy::default());
/// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// for (i, (who, answer)) in [("ana", 10), ("bo", 9), ("cy", 3), ("di", 8)].into_iter().enumerate() {
///     let id = base.add_customer(NewCustomer::with_key(who, t0).attribute("region", if i < 2 { "north" } else { "south" }))?;
///     let kind = EventKind::Feedback { feedback: Feedback::Nps(NpsScore::new(answer)?) };
///     base.apply(&Event { id: EventId::from_key(who), customer: id, at: t0 + TimeDelta::days(5), channel: Channel::Email, kind })?;
/// }
/// let q1 = Window::quarter(2024, 1)?;
/// let all = FeedbackScores::from_base(&base, q1);
/// assert_eq!((all.nps.promoters, all.nps.passives, all.nps.detractors), (2, 1, 1));
/// assert_eq!(all.nps.score(), Some(25.0));
/// let by_region = FeedbackScores::by_group(&base, q1, |c| match c.attribute("region") {
///     Some(AttributeValue::Text(region)) => Some(region.clone()),
///     _ => None,
/// });
/// assert_eq!(by_region.values().map(|s| s.nps.score()).collect::<Vec<_>>(), [Some(100.0), Some(-50.0)]);
/// assert_eq!(FeedbackScores::over_windows(&base, &[q1, q1.next()])[1].nps.responses(), 0);
/// # Ok::<(), customer_lifecycle::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackScores {
    /// The window.
    pub window: Window,
    /// NPS answers.
    pub nps: NpsSummary,
    /// CSAT answers.
    pub csat: CsatSummary,
    /// Customers left out for withheld profiling consent.
    pub left_out: usize,
}

impl FeedbackScores {
    fn empty(window: Window) -> Self {
        FeedbackScores { window, nps: NpsSummary::default(), csat: CsatSummary::default(), left_out: 0 }
    }

    /// Adds one customer's latest answers in the window.
    fn add(&mut self, base: &CustomerBase, customer: &Customer) {
        if !may_profile(base, customer, self.window.end()) {
            self.left_out += 1;
            return;
        }
        let (mut nps, mut csat) = (None, None);
        for event in base.events(customer.id()).into_iter().flatten() {
            if let EventKind::Feedback { feedback } = event.kind
                && self.window.contains(event.at)
            {
                match feedback {
                    Feedback::Nps(n) => nps = Some(n.get()),
                    Feedback::Csat(c) => csat = Some(c.get()),
                }
            }
        }
        if let Some(n) = nps {
            self.nps.add(n);
        }
        if let Some(c) = csat {
            self.csat.add(c);
        }
    }

    /// The scores of the whole base over `window`.
    ///
    /// # Complexity
    ///
    /// O(e) for e events.
    pub fn from_base(base: &CustomerBase, window: Window) -> FeedbackScores {
        let mut out = FeedbackScores::empty(window);
        for customer in base.customers() {
            out.add(base, customer);
        }
        out
    }

    /// The scores per group of the caller's grouping (`None`: in no group),
    /// in group order; `left_out` counts each group's own.
    ///
    /// # Complexity
    ///
    /// O(e + c log g) for e events, c customers and g groups.
    pub fn by_group<G: Ord>(
        base: &CustomerBase,
        window: Window,
        mut group: impl FnMut(&Customer) -> Option<G>,
    ) -> BTreeMap<G, FeedbackScores> {
        let mut out = BTreeMap::new();
        for customer in base.customers() {
            if let Some(g) = group(customer) {
                out.entry(g).or_insert_with(|| FeedbackScores::empty(window)).add(base, customer);
            }
        }
        out
    }

    /// The scores over each window, in the order given.
    ///
    /// # Complexity
    ///
    /// O(w × e) for w windows and e events.
    pub fn over_windows(base: &CustomerBase, windows: &[Window]) -> Vec<FeedbackScores> {
        windows.iter().map(|&w| FeedbackScores::from_base(base, w)).collect()
    }
}
