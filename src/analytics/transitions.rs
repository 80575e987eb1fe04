//! The stage transition matrix of a period, from the customers' transition
//! histories, and its projection of the stage mix some periods ahead.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::consent::Profiled;
use crate::{Customer, CustomerBase, Stage, Window};

/// How many customers moved from each stage to each stage over a period.
///
/// `counts[i][j]` counts the customers who stood at `Stage::ALL[i]` at the
/// start of the period and at `Stage::ALL[j]` at its end (the diagonal:
/// those who ended where they began, whatever happened in between).
/// Customers added during the period are not counted: they were not part of
/// the mix at its start. A move at the period's start instant belongs to it.
///
/// # Formula
///
/// `P[i][j] = counts[i][j] / Σ_j counts[i][j]`, the share of stage `i` found
/// at stage `j` one period later (a stage nobody stood at keeps its people:
/// `P[i][i] = 1`). Assuming the same matrix applies period after period (a
/// Markov chain), the mix `k` periods ahead is `x_k = x_0 P^k`.
///
/// # Example
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use customer_lifecycle::analytics::TransitionMatrix;
/// use customer_lifecycle::{Channel, CustomerBase, Event, EventId, EventKind, Money, NewCustomer, Policy, Stage, Window};
///
/// let mut base = CustomerBase::new(Policy::default());
/// let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// for (who, buys) in [("ana", true), ("bo", false)] {
///     let id = base.add_customer(NewCustomer::with_key(who, t0))?;
///     if buys {
///         let kind = EventKind::Purchase { amount: Money::from_minor(100) };
///         base.apply(&Event { id: EventId::from_key(who), customer: id, at: t0 + TimeDelta::days(3), channel: Channel::Web, kind })?;
///     }
/// }
/// let m = TransitionMatrix::from_base(&base, Window::new(t0 + TimeDelta::days(1), t0 + TimeDelta::days(8))?);
/// let p = m.probabilities();
/// assert_eq!(p[Stage::Prospect as usize][Stage::New as usize], 0.5);
/// let ahead = m.project(&m.mix_at_start(), 2);
/// assert_eq!(ahead[Stage::Prospect as usize], 0.5); // half of the half that stayed
/// # Ok::<(), customer_lifecycle::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionMatrix {
    /// The period.
    pub period: Window,
    /// Customers by stage at the start (row) and at the end (column), in
    /// [`Stage::ALL`] order.
    pub counts: [[u64; 8]; 8],
    /// Customers left out for withheld profiling consent.
    pub left_out: usize,
}

/// The customer's stage just before `t`: after every move earlier than `t`.
fn stage_before(customer: &Customer, t: DateTime<Utc>) -> Stage {
    customer.history().iter().take_while(|m| m.at < t).last().map_or(Stage::Prospect, |m| m.to)
}

impl TransitionMatrix {
    /// The matrix of the consenting customers over `period`.
    ///
    /// # Complexity
    ///
    /// O(c + m) for c customers and m moves.
    pub fn from_base(base: &CustomerBase, period: Window) -> TransitionMatrix {
        let Profiled { customers, left_out } = Profiled::as_of(base, period.end());
        let mut counts = [[0u64; 8]; 8];
        for customer in customers.into_iter().filter(|c| c.created_at() < period.start()) {
            let from = stage_before(customer, period.start());
            let to = stage_before(customer, period.end());
            counts[from as usize][to as usize] += 1;
        }
        TransitionMatrix { period, counts, left_out }
    }

    /// The row-normalised matrix `P` (see the formula above).
    pub fn probabilities(&self) -> [[f64; 8]; 8] {
        let mut p = [[0.0; 8]; 8];
        for (i, row) in self.counts.iter().enumerate() {
            let total: u64 = row.iter().sum();
            if total == 0 {
                p[i][i] = 1.0;
            } else {
                for (j, &n) in row.iter().enumerate() {
                    p[i][j] = n as f64 / total as f64;
                }
            }
        }
        p
    }

    /// Customers per stage at the start of the period.
    pub fn mix_at_start(&self) -> [f64; 8] {
        self.counts.map(|row| row.iter().sum::<u64>() as f64)
    }

    /// Customers per stage at the end of the period.
    pub fn mix_at_end(&self) -> [f64; 8] {
        let mut mix = [0.0; 8];
        for row in &self.counts {
            for (j, &n) in row.iter().enumerate() {
                mix[j] += n as f64;
            }
        }
        mix
    }

    /// The stage mix `periods` periods after `mix` (counts or shares, in
    /// [`Stage::ALL`] order): `mix × P^periods`.
    ///
    /// # Complexity
    ///
    /// O(64 × periods).
    pub fn project(&self, mix: &[f64; 8], periods: u32) -> [f64; 8] {
        let p = self.probabilities();
        let mut x = *mix;
        for _ in 0..periods {
            let mut next = [0.0; 8];
            for (i, &xi) in x.iter().enumerate() {
                for (j, pij) in p[i].iter().enumerate() {
                    next[j] += xi * pij;
                }
            }
            x = next;
        }
        x
    }
}
