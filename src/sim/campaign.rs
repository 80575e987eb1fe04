//! Running a campaign on simulated customers: touches to an audience, with
//! a response rate that follows the hour of the day and a conversion lift
//! over untouched customers.

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma};
use serde::{Deserialize, Serialize};

use super::SimError;
use crate::campaign::Experiment;
use crate::{CampaignId, Channel, CustomerBase, CustomerId, EngagementAction, Event, EventId, EventKind, Money};

/// How one customer buys during a run: a scale on the chance to buy, and
/// their own mean amount (`None`: the run's).
#[derive(Debug, Clone, Copy)]
struct Habit {
    chance_scale: f64,
    mean_amount: Option<f64>,
}

impl Habit {
    /// Everyone alike: the story of [`CampaignSim::events`].
    const AVERAGE: Habit = Habit { chance_scale: 1.0, mean_amount: None };
}

/// A simulated campaign run.
///
/// # The story
///
/// Every customer of the audience who is not in a holdout arm of the
/// experiment (if one is given) is touched `touches_per_customer` times, at
/// instants drawn uniformly over the period. Each touch is answered with
/// chance `response_rate` times the hour's appeal (daytime hours, 8:00 to
/// 21:59 UTC, twice the night's), a few hours later. Over the period, an
/// untouched customer buys with chance `base_conversion` at a uniform
/// instant; a touched one with chance `base_conversion + conversion_lift`,
/// an exponential three days (on average) after the first touch. Responses
/// and purchases may fall after the period, as they would. Amounts are Gamma
/// distributed with mean `mean_amount` and shape 4.
///
/// The same settings, customers and seed give the same events on every
/// platform: each customer draws from their own `ChaCha8` stream.
///
/// # Example
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use customer_lifecycle::sim::CampaignSim;
/// use customer_lifecycle::{CampaignId, CustomerId};
///
/// let start = Utc.with_ymd_and_hms(2025, 1, 6, 0, 0, 0).unwrap();
/// let run = CampaignSim::new(CampaignId::from_key("winter"), start);
/// let customers: Vec<CustomerId> = (0..50).map(|i| CustomerId::from_key(&i.to_string())).collect();
/// let events: Vec<_> = run.events(&customers, None, 7)?.collect();
/// assert!(events.len() >= 50 * run.touches_per_customer as usize);
/// assert_eq!(events, run.events(&customers, None, 7)?.collect::<Vec<_>>());
/// # Ok::<(), customer_lifecycle::sim::SimError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignSim {
    /// The campaign the touches and responses name.
    pub campaign: CampaignId,
    /// When it starts; every event is at or after it.
    pub start: DateTime<Utc>,
    /// How long it runs, in days.
    pub days: u32,
    /// Where it touches.
    pub channel: Channel,
    /// Touches per touched customer.
    pub touches_per_customer: u32,
    /// The chance that a daytime touch is answered (half that at night).
    pub response_rate: f64,
    /// The chance that an untouched customer buys during the period.
    pub base_conversion: f64,
    /// The extra chance that a touched customer buys.
    pub conversion_lift: f64,
    /// The mean purchase amount, in major units.
    pub mean_amount: f64,
}

impl CampaignSim {
    /// A two-week email campaign from `start`: three touches each, 20%
    /// daytime response, 5% base conversion and a 3-point lift, purchases of
    /// 40.00 on average.
    pub fn new(campaign: CampaignId, start: DateTime<Utc>) -> Self {
        CampaignSim {
            campaign,
            start,
            days: 14,
            channel: Channel::Email,
            touches_per_customer: 3,
            response_rate: 0.2,
            base_conversion: 0.05,
            conversion_lift: 0.03,
            mean_amount: 40.0,
        }
    }

    /// The end of the period.
    pub fn end(&self) -> DateTime<Utc> {
        self.start + TimeDelta::days(i64::from(self.days))
    }

    fn validate(&self) -> Result<(), SimError> {
        for (field, value) in [
            ("response_rate", self.response_rate),
            ("base_conversion", self.base_conversion),
            ("base_conversion + conversion_lift", self.base_conversion + self.conversion_lift),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(SimError { field, reason: "must lie in 0..=1" });
            }
        }
        if self.conversion_lift < 0.0 {
            return Err(SimError { field: "conversion_lift", reason: "must not be negative" });
        }
        if !(self.mean_amount.is_finite() && self.mean_amount > 0.0) {
            return Err(SimError { field: "mean_amount", reason: "must be finite and positive" });
        }
        if self.days == 0 || self.days > 3_660 {
            return Err(SimError { field: "days", reason: "must lie in 1..=3660" });
        }
        Ok(())
    }

    /// The run's events for `customers`, one customer after another, each
    /// one's in time order: ready to apply to a base that holds them and has
    /// not seen later events of theirs. Customers in a holdout arm of
    /// `experiment` are not touched. Drawn lazily.
    ///
    /// # Errors
    ///
    /// [`SimError`] naming an impossible setting.
    pub fn events<'a>(
        &'a self,
        customers: &'a [CustomerId],
        experiment: Option<&'a Experiment>,
        seed: u64,
    ) -> Result<impl Iterator<Item = Event> + 'a, SimError> {
        self.validate()?;
        Ok(customers.iter().enumerate().flat_map(move |(i, &customer)| {
            let holdout = experiment.is_some_and(|e| e.arm(customer).holdout);
            self.customer_events(customer, holdout, Habit::AVERAGE, seed, i)
        }))
    }

    /// As [`events`](CampaignSim::events), but each customer buys by their
    /// own habits in `base` over the year before the start, as real
    /// customers do: their chance to buy is the run's chance times
    /// `(p + 1) / (p̄ + 1)` (capped at 1), where p is their purchases that
    /// year and p̄ the mean over `customers`, and their amounts have their own
    /// mean purchase amount of all time (the run's `mean_amount` for someone
    /// who never bought). This is what makes a pre-period covariate worth
    /// adjusting for ([`Cuped`](crate::campaign::Cuped)).
    ///
    /// # Errors
    ///
    /// [`SimError`] naming an impossible setting.
    pub fn events_by_habit<'a>(
        &'a self,
        base: &CustomerBase,
        customers: &'a [CustomerId],
        experiment: Option<&'a Experiment>,
        seed: u64,
    ) -> Result<impl Iterator<Item = Event> + 'a, SimError> {
        self.validate()?;
        let year_before = self.start - TimeDelta::days(365);
        let history: Vec<(u32, f64)> = customers
            .iter()
            .map(|&c| {
                let (mut recent, mut count, mut total) = (0_u32, 0_u32, 0.0);
                for event in base.events(c).into_iter().flatten() {
                    if let EventKind::Purchase { amount } = event.kind {
                        recent += u32::from(event.at >= year_before && event.at < self.start);
                        count += 1;
                        total += amount.to_f64();
                    }
                }
                let mean = if count > 0 && total > 0.0 { total / f64::from(count) } else { self.mean_amount };
                (recent, mean)
            })
            .collect();
        let average = history.iter().map(|&(p, _)| f64::from(p)).sum::<f64>() / customers.len().max(1) as f64;
        Ok(customers.iter().zip(history).enumerate().flat_map(move |(i, (&customer, (recent, mean_amount)))| {
            let holdout = experiment.is_some_and(|e| e.arm(customer).holdout);
            let habit =
                Habit { chance_scale: (f64::from(recent) + 1.0) / (average + 1.0), mean_amount: Some(mean_amount) };
            self.customer_events(customer, holdout, habit, seed, i)
        }))
    }

    fn customer_events(&self, customer: CustomerId, holdout: bool, habit: Habit, seed: u64, i: usize) -> Vec<Event> {
        let mean_amount = habit.mean_amount.unwrap_or(self.mean_amount);
        let amount = Gamma::new(4.0, mean_amount / 4.0).expect("a positive mean amount");
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xc2b2_ae3d_27d4_eb4f_u64.wrapping_mul(i as u64 + 1));
        let period = f64::from(self.days) * 86_400.0;
        let instant = |seconds: f64| self.start + TimeDelta::seconds(seconds as i64);
        let mut events: Vec<Event> = Vec::new();
        let mut push = |rng: &mut ChaCha8Rng, at: DateTime<Utc>, channel: Channel, kind: EventKind| {
            let mut bytes = [0u8; 16];
            rng.fill(&mut bytes);
            let id = EventId::from_uuid(uuid::Builder::from_random_bytes(bytes).into_uuid());
            events.push(Event { id, customer, at, channel, kind });
        };
        let soon = Exp::new(1.0 / 3.0).expect("positive");
        let mut first_touch = None;
        if !holdout {
            let mut touches: Vec<f64> = (0..self.touches_per_customer).map(|_| rng.random::<f64>() * period).collect();
            touches.sort_by(f64::total_cmp);
            for &s in &touches {
                let at = instant(s);
                first_touch.get_or_insert(s);
                push(&mut rng, at, self.channel.clone(), EventKind::Touch { campaign: self.campaign });
                let appeal = if (8..22).contains(&at.hour()) { 1.0 } else { 0.5 };
                if rng.random::<f64>() < self.response_rate * appeal {
                    let later = instant(s + soon.sample(&mut rng) * 3_600.0);
                    let action = if rng.random::<bool>() { EngagementAction::Open } else { EngagementAction::Click };
                    push(
                        &mut rng,
                        later,
                        self.channel.clone(),
                        EventKind::Response { campaign: self.campaign, action },
                    );
                }
            }
        }
        let chance = habit.chance_scale
            * if first_touch.is_some() { self.base_conversion + self.conversion_lift } else { self.base_conversion };
        if rng.random::<f64>() < chance {
            let at = match first_touch {
                Some(s) => s + soon.sample(&mut rng) * 86_400.0,
                None => rng.random::<f64>() * period,
            };
            let paid = Money::from_minor((amount.sample(&mut rng) * 100.0).round().min(1e9) as i64);
            push(&mut rng, instant(at), Channel::Web, EventKind::Purchase { amount: paid });
        }
        events.sort_by_key(|e| e.at);
        events
    }
}
