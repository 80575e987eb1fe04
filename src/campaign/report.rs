//! [`CampaignReport`]: what a campaign did, in customers and money.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::attribution::Attributor;
use super::stats::rate;
use super::{AttributionOptions, Campaign, CampaignError};
use crate::base::Kind;
use crate::consent::Replay;
use crate::{CampaignId, Customer, CustomerBase, Money, Purpose, Stage, Transition};

/// Return on investment: `(revenue − cost) / cost`, or [`Roi::NoCost`] for a
/// campaign that cost nothing (where the ratio does not exist).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Roi {
    /// `(revenue − cost) / cost`: 0.5 means each unit spent came back with
    /// half a unit more.
    Ratio(f64),
    /// The campaign cost nothing; the ratio is undefined.
    NoCost,
}

impl Roi {
    /// The ROI of `revenue` for `cost`.
    ///
    /// # Formula
    ///
    /// `(revenue − cost) / cost`, in minor units; [`Roi::NoCost`] when the
    /// cost is zero.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::Money;
    /// use customer_lifecycle::campaign::Roi;
    ///
    /// assert_eq!(Roi::of(Money::from_minor(300), Money::from_minor(200)), Roi::Ratio(0.5));
    /// assert_eq!(Roi::of(Money::from_minor(300), Money::ZERO), Roi::NoCost);
    /// ```
    pub fn of(revenue: Money, cost: Money) -> Roi {
        if cost == Money::ZERO {
            Roi::NoCost
        } else {
            let cost = cost.minor_units() as f64;
            Roi::Ratio((revenue.minor_units() as f64 - cost) / cost)
        }
    }

    /// The ratio, if there is one.
    pub fn ratio(self) -> Option<f64> {
        match self {
            Roi::Ratio(r) => Some(r),
            Roi::NoCost => None,
        }
    }
}

/// One row of a report's breakdown: the customers who stood at `stage` when
/// the campaign first touched them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StageBreakdown {
    /// The stage at the first counted touch.
    pub stage: Stage,
    /// Customers reached.
    pub reached: usize,
    /// Of them, who responded.
    pub responders: usize,
    /// Of them, who made a purchase credited (wholly or in part) to the campaign.
    pub converted: usize,
    /// The revenue credited to the campaign.
    pub attributed_revenue: Money,
    /// Of them, who moved up the ladder within the window.
    pub moved_up: usize,
}

impl StageBreakdown {
    fn empty(stage: Stage) -> Self {
        StageBreakdown { stage, reached: 0, responders: 0, converted: 0, attributed_revenue: Money::ZERO, moved_up: 0 }
    }
}

/// What a campaign did.
///
/// Every count is of customers, not events, except `touches`,
/// `attributed_purchases`. "The window" is the conversion window of the
/// [`AttributionOptions`], measured from each customer's first counted touch.
///
/// # Example
///
/// See [`Campaign::report`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignReport {
    /// The campaign.
    pub campaign: CampaignId,
    /// The size of its audience, if it had one.
    pub audience: Option<usize>,
    /// Customers with at least one counted touch (in the period, in the
    /// audience).
    pub reached: usize,
    /// Counted touches.
    pub touches: usize,
    /// Reached customers touched at least once while they withheld consent
    /// to [`Contact`](Purpose::Contact): touches that should not have been
    /// made. The report still counts them, as the touches happened.
    pub reached_without_consent: usize,
    /// Reached customers who responded to the campaign at or after their
    /// first counted touch and before the period's end plus the window.
    pub responders: usize,
    /// Reached customers with at least one purchase credited to the campaign.
    pub converted: usize,
    /// The purchases credited, counting a linear share as its fraction.
    pub attributed_purchases: f64,
    /// The revenue credited to the campaign (gross purchase amounts; refunds
    /// are not netted).
    pub attributed_revenue: Money,
    /// The whole amounts of the purchases it was credited for, in full or in
    /// part: equal to `attributed_revenue` under last or first touch, at
    /// least as large under linear attribution.
    pub influenced_revenue: Money,
    /// What it cost.
    pub cost: Money,
    /// `(attributed_revenue − cost) / cost`.
    pub roi: Roi,
    /// Reached prospects (followers included) whose first purchase came
    /// within the window.
    pub new_customers: usize,
    /// `cost / new_customers`, to the nearest cent (halves up); `None`
    /// without new customers.
    pub cost_per_new_customer: Option<Money>,
    /// Reached customers with at least one move up the ladder (between two
    /// ladder stages, to a higher one) within the window.
    pub moved_up: usize,
    /// Reached customers who stood at dormant or churned when touched and
    /// moved back onto the ladder within the window.
    pub reactivated: usize,
    /// The same figures by the stage each customer stood at when first
    /// touched, one row per stage in [`Stage::ALL`] order.
    pub by_stage: Vec<StageBreakdown>,
}

impl CampaignReport {
    /// `responders / reached`; `None` when no one was reached.
    pub fn response_rate(&self) -> Option<f64> {
        rate(self.responders, self.reached)
    }

    /// `converted / reached`; `None` when no one was reached.
    pub fn conversion_rate(&self) -> Option<f64> {
        rate(self.converted, self.reached)
    }

    fn empty(campaign: &Campaign) -> Self {
        CampaignReport {
            campaign: campaign.id(),
            audience: campaign.audience().map(super::Audience::len),
            reached: 0,
            touches: 0,
            reached_without_consent: 0,
            responders: 0,
            converted: 0,
            attributed_purchases: 0.0,
            attributed_revenue: Money::ZERO,
            influenced_revenue: Money::ZERO,
            cost: campaign.cost(),
            roi: Roi::NoCost,
            new_customers: 0,
            cost_per_new_customer: None,
            moved_up: 0,
            reactivated: 0,
            by_stage: Stage::ALL.into_iter().map(StageBreakdown::empty).collect(),
        }
    }

    /// Adds one reached customer's figures.
    fn add(&mut self, customer: &Customer, t: &Touched, window: TimeDelta) -> Result<(), CampaignError> {
        let movement = Movement::of(customer, t.first_touch, window);
        let row = &mut self.by_stage[movement.at_touch as usize];
        self.reached += 1;
        row.reached += 1;
        if t.responded {
            self.responders += 1;
            row.responders += 1;
        }
        if t.credited {
            self.converted += 1;
            row.converted += 1;
            let revenue = Money::from_minor(t.revenue);
            self.attributed_revenue = self.attributed_revenue.checked_add(revenue)?;
            self.influenced_revenue = self.influenced_revenue.checked_add(Money::from_minor(t.influenced))?;
            row.attributed_revenue = row.attributed_revenue.checked_add(revenue)?;
        }
        if movement.moved_up {
            self.moved_up += 1;
            row.moved_up += 1;
        }
        self.reached_without_consent += usize::from(t.without_consent);
        self.new_customers += usize::from(movement.acquired);
        self.reactivated += usize::from(movement.reactivated);
        Ok(())
    }

    fn finish(&mut self) {
        self.roi = Roi::of(self.attributed_revenue, self.cost);
        self.cost_per_new_customer = (self.new_customers > 0).then(|| {
            let n = self.new_customers as i128;
            let cents = (i128::from(self.cost.minor_units()) * 2 + n) / (2 * n);
            Money::from_minor(cents as i64)
        });
    }
}

impl Campaign {
    /// The campaign's report from the events in `base`, crediting purchases
    /// to this campaign's touches only.
    ///
    /// # Errors
    ///
    /// [`CampaignError::InvalidWindow`]; [`CampaignError::Money`] if a sum
    /// overflows.
    ///
    /// # Complexity
    ///
    /// O(events + transitions), one pass over the base.
    ///
    /// # Example
    ///
    /// ```
    /// use chrono::{TimeDelta, TimeZone, Utc};
    /// use customer_lifecycle::campaign::{AttributionOptions, Campaign, CampaignKind};
    /// use customer_lifecycle::{CampaignId, Channel, CustomerBase, EngagementAction, Event, EventId, EventKind, NewCustomer, Policy, Stage};
    ///
    /// let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 9, 0, 0).unwrap();
    /// let news = Campaign::builder(CampaignId::from_key("may-news"), "May newsletter", CampaignKind::Newsletter)
    ///     .cost("20.00".parse()?)
    ///     .build()?;
    /// let mut base = CustomerBase::new(Policy::default());
    /// for (n, key) in ["ana", "bo"].into_iter().enumerate() {
    ///     let id = base.add_customer(NewCustomer::with_key(key, t0))?;
    ///     let mut event = |what: &str, hours: i64, kind| base.apply(&Event {
    ///         id: EventId::from_key(&format!("{key}-{what}")),
    ///         customer: id,
    ///         at: t0 + TimeDelta::hours(hours),
    ///         channel: Channel::Email,
    ///         kind,
    ///     });
    ///     event("mail", 1, EventKind::Touch { campaign: news.id() })?;
    ///     if n == 0 {
    ///         event("open", 2, EventKind::Response { campaign: news.id(), action: EngagementAction::Open })?;
    ///         event("order", 5, EventKind::Purchase { amount: "30.00".parse()? })?;
    ///     }
    /// }
    /// let report = news.report(&base, AttributionOptions::default())?;
    /// assert_eq!((report.reached, report.responders, report.converted), (2, 1, 1));
    /// assert_eq!(report.response_rate(), Some(0.5));
    /// assert_eq!(report.roi.ratio(), Some(0.5)); // (30 − 20) / 20
    /// assert_eq!(report.cost_per_new_customer, Some("20.00".parse()?));
    /// assert_eq!(report.by_stage[Stage::Prospect as usize].reached, 2);
    /// # Ok::<(), customer_lifecycle::Error>(())
    /// ```
    pub fn report(&self, base: &CustomerBase, options: AttributionOptions) -> Result<CampaignReport, CampaignError> {
        let mut reports = report(base, std::slice::from_ref(self), options)?;
        Ok(reports.pop().expect("one report per campaign"))
    }
}

/// One campaign's running figures for the customer at hand.
#[derive(Debug, Clone, Copy)]
struct Touched {
    campaign: usize,
    first_touch: DateTime<Utc>,
    responded: bool,
    credited: bool,
    /// Touched at least once while contact consent was withheld.
    without_consent: bool,
    /// Cents credited.
    revenue: i64,
    /// The whole amounts of the purchases credited, each once.
    influenced: i64,
    /// The number of the customer's last purchase credited to it.
    last_purchase: u32,
}

/// The reports of several campaigns at once, which share the credit for each
/// purchase: under last-touch attribution a purchase after touches of two
/// campaigns is credited to the later one only, and no purchase is ever
/// credited more than once in total across them.
///
/// Touches of campaigns not in `campaigns` are ignored.
///
/// # Errors
///
/// [`CampaignError::InvalidWindow`]; [`CampaignError::DuplicateCampaign`];
/// [`CampaignError::Money`] if a sum overflows.
///
/// # Complexity
///
/// O(events + transitions + campaigns), one pass over the base; memory
/// O(campaigns).
///
/// # Example
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use customer_lifecycle::campaign::{AttributionOptions, Campaign, CampaignKind, report};
/// use customer_lifecycle::{CampaignId, Channel, CustomerBase, Event, EventId, EventKind, Money, NewCustomer, Policy};
///
/// let t0 = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
/// let ad = Campaign::builder(CampaignId::from_key("ad"), "Ad", CampaignKind::Ad).build()?;
/// let mail = Campaign::builder(CampaignId::from_key("mail"), "Mail", CampaignKind::Newsletter).build()?;
/// let mut base = CustomerBase::new(Policy::default());
/// let ana = base.add_customer(NewCustomer::with_key("ana", t0))?;
/// for (i, kind) in [
///     EventKind::Touch { campaign: ad.id() },
///     EventKind::Touch { campaign: mail.id() },
///     EventKind::Purchase { amount: "10.00".parse()? },
/// ]
/// .into_iter()
/// .enumerate()
/// {
///     let at = t0 + TimeDelta::hours(i as i64);
///     base.apply(&Event { id: EventId::from_key(&i.to_string()), customer: ana, at, channel: Channel::Web, kind })?;
/// }
/// let reports = report(&base, &[ad, mail], AttributionOptions::default())?;
/// assert_eq!(reports[0].attributed_revenue, Money::ZERO); // the mail came last
/// assert_eq!(reports[1].attributed_revenue, Money::from_minor(1000));
/// # Ok::<(), customer_lifecycle::Error>(())
/// ```
pub fn report(
    base: &CustomerBase,
    campaigns: &[Campaign],
    options: AttributionOptions,
) -> Result<Vec<CampaignReport>, CampaignError> {
    options.validate()?;
    // Base campaign code → position in `campaigns`.
    let mut index = Vec::new();
    for (i, campaign) in campaigns.iter().enumerate() {
        if campaigns[..i].iter().any(|c| c.id() == campaign.id()) {
            return Err(CampaignError::DuplicateCampaign { campaign: campaign.id() });
        }
        if let Some(code) = base.campaign_code_of(campaign.id()) {
            let code = code as usize;
            if index.len() <= code {
                index.resize(code + 1, usize::MAX);
            }
            index[code] = i;
        }
    }
    let mut reports: Vec<CampaignReport> = campaigns.iter().map(CampaignReport::empty).collect();
    // Responses count until the period's end plus the window.
    let deadlines: Vec<DateTime<Utc>> = campaigns
        .iter()
        .map(|c| c.end().checked_add_signed(options.window).unwrap_or(DateTime::<Utc>::MAX_UTC))
        .collect();
    let mut attributor = Attributor::new(options);
    let mut touched: Vec<Touched> = Vec::new();
    let mut overflow = false;
    for (customer, records, mut consent) in Replay::customers(base) {
        touched.clear();
        attributor.reset();
        let mut purchases = 0u32;
        for record in records {
            consent.apply(record);
            let contact = consent.allows(Purpose::Contact);
            match record.kind {
                Kind::Touch { campaign } => {
                    let Some(&i) = index.get(campaign as usize).filter(|&&i| i != usize::MAX) else { continue };
                    if !campaigns[i].counts(customer.id(), record.at) {
                        continue;
                    }
                    reports[i].touches += 1;
                    match touched.iter_mut().find(|t| t.campaign == i) {
                        Some(t) => t.without_consent |= !contact,
                        None => touched.push(Touched {
                            campaign: i,
                            first_touch: record.at,
                            responded: false,
                            credited: false,
                            without_consent: !contact,
                            revenue: 0,
                            influenced: 0,
                            last_purchase: 0,
                        }),
                    }
                    attributor.touch(i, record.at);
                }
                Kind::Response { campaign, .. } => {
                    let Some(&i) = index.get(campaign as usize) else { continue };
                    if let Some(t) = touched.iter_mut().find(|t| t.campaign == i)
                        && record.at < deadlines[i]
                    {
                        t.responded = true;
                    }
                }
                Kind::Purchase(amount) if !touched.is_empty() => {
                    let amount = amount.minor_units();
                    purchases += 1;
                    attributor.purchase(record.at, amount, |i, cents, fraction| {
                        reports[i].attributed_purchases += fraction;
                        let t = touched.iter_mut().find(|t| t.campaign == i).expect("credited campaigns were touched");
                        t.credited = true;
                        let influenced = if t.last_purchase == purchases { 0 } else { amount };
                        t.last_purchase = purchases;
                        match (t.revenue.checked_add(cents), t.influenced.checked_add(influenced)) {
                            (Some(revenue), Some(influenced)) => (t.revenue, t.influenced) = (revenue, influenced),
                            _ => overflow = true,
                        }
                    });
                }
                _ => {}
            }
        }
        for t in &touched {
            reports[t.campaign].add(customer, t, options.window)?;
        }
    }
    if overflow {
        return Err(crate::MoneyError::Overflow { operation: "add" }.into());
    }
    for report in &mut reports {
        report.finish();
    }
    Ok(reports)
}

/// Where a customer stood at a touch and how they moved within the window
/// after it.
#[derive(Debug, Clone, Copy)]
struct Movement {
    at_touch: Stage,
    acquired: bool,
    moved_up: bool,
    reactivated: bool,
}

impl Movement {
    fn of(customer: &Customer, touch: DateTime<Utc>, window: TimeDelta) -> Self {
        let history = customer.history();
        // The stage just before the touch's instant: moves at the same
        // instant are the touch's effect, or simultaneous with it.
        let before = history.partition_point(|t| t.at < touch);
        let at_touch = before.checked_sub(1).map_or(Stage::Prospect, |i| history[i].to);
        let end = touch.checked_add_signed(window).unwrap_or(DateTime::<Utc>::MAX_UTC);
        let within = history[before..].iter().take_while(|t| t.at < end);
        let mut moved_up = false;
        let mut came_back = false;
        for t in within {
            moved_up |= is_up(t);
            came_back |= matches!(t.from, Stage::Dormant | Stage::Churned) && t.to.is_on_ladder();
        }
        Movement {
            at_touch,
            acquired: at_touch == Stage::Prospect
                && customer.first_purchase().is_some_and(|bought| bought >= touch && bought < end),
            moved_up,
            reactivated: matches!(at_touch, Stage::Dormant | Stage::Churned) && came_back,
        }
    }
}

/// A move between two ladder stages, upwards.
pub(crate) fn is_up(t: &Transition) -> bool {
    matches!((t.from.ladder_rank(), t.to.ladder_rank()), (Some(a), Some(b)) if b > a)
}
