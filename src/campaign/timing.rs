//! The best time to engage: when each channel's touches are answered.

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, TimeDelta, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};

use super::CampaignError;
use super::stats::{wilson, z_975};
use crate::base::Kind;
use crate::{CampaignId, Channel, CustomerBase};

/// An hour of the week, 0 (Monday 00:00–00:59) to 167 (Sunday 23:00–23:59).
///
/// Serialises as the number.
///
/// # Example
///
/// ```
/// use chrono::Weekday;
/// use customer_lifecycle::campaign::HourOfWeek;
///
/// let h = HourOfWeek::new(Weekday::Tue, 9).unwrap();
/// assert_eq!(h.index(), 33);
/// assert_eq!(h.to_string(), "Tue 09:00");
/// assert!(HourOfWeek::new(Weekday::Tue, 24).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct HourOfWeek(u8);

impl HourOfWeek {
    /// The hour `hour` (0..24) of `day`.
    pub fn new(day: Weekday, hour: u32) -> Option<Self> {
        (hour < 24).then(|| HourOfWeek((day.num_days_from_monday() * 24 + hour) as u8))
    }

    /// The hour of the week of `at`, read at the offset `offset` from UTC.
    pub fn of(at: DateTime<Utc>, offset: FixedOffset) -> Self {
        let local = at.with_timezone(&offset);
        HourOfWeek((local.weekday().num_days_from_monday() * 24 + local.hour()) as u8)
    }

    /// 0..168.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The day.
    pub fn weekday(self) -> Weekday {
        Weekday::try_from(self.0 / 24).expect("below 168")
    }

    /// The hour of the day, 0..24.
    pub fn hour(self) -> u32 {
        u32::from(self.0 % 24)
    }
}

impl TryFrom<u8> for HourOfWeek {
    type Error = String;

    fn try_from(value: u8) -> Result<Self, String> {
        if value < 168 { Ok(HourOfWeek(value)) } else { Err(format!("hour of week {value} is not below 168")) }
    }
}

impl From<HourOfWeek> for u8 {
    fn from(h: HourOfWeek) -> u8 {
        h.0
    }
}

impl fmt::Display for HourOfWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:02}:00", self.weekday(), self.hour())
    }
}

/// One cell of a [`TimingProfile`]: the touches of one channel in one hour
/// of the week, and how many were answered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimingCell {
    /// The hour of the week.
    pub hour: HourOfWeek,
    /// Touches made in that hour.
    pub touches: u64,
    /// Of them, those answered by a response within the response window.
    pub responses: u64,
    /// The Wilson 95% interval of the response rate; `[0, 1]` without touches.
    pub ci95: [f64; 2],
}

impl TimingCell {
    /// `responses / touches`; `None` without touches.
    pub fn response_rate(&self) -> Option<f64> {
        (self.touches > 0).then(|| self.responses as f64 / self.touches as f64)
    }
}

/// The hour-of-week profile of response rates, per channel: 168 cells for
/// every channel with touches.
///
/// A response answers the latest unanswered touch of the same campaign and
/// customer made at most `response_window` before it (at or before its
/// instant); each touch is answered at most once, so a rate never exceeds
/// one. A touch falls in the cell of its own instant and channel.
///
/// # Formula
///
/// Each cell's interval is Wilson's score interval at z = z₀.₉₇₅:
/// (p̂ + z²/2n ∓ z√(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n). Cells rank by its
/// lower bound, so a cell with three touches and three answers (lower bound
/// 0.44) loses to one with 600 of 1,000 (0.57).
///
/// # Example
///
/// ```
/// use chrono::{FixedOffset, TimeDelta, TimeZone, Utc};
/// use customer_lifecycle::campaign::TimingProfile;
/// use customer_lifecycle::{CampaignId, Channel, CustomerBase, Event, EventId, EventKind, NewCustomer, Policy, event::EngagementAction};
///
/// let monday_9 = Utc.with_ymd_and_hms(2024, 1, 1, 9, 0, 0).unwrap();
/// let mut base = CustomerBase::new(Policy::default());
/// let ana = base.add_customer(NewCustomer::with_key("ana", monday_9))?;
/// let campaign = CampaignId::from_key("news");
/// for (n, (hours, kind)) in [
///     (0, EventKind::Touch { campaign }),
///     (1, EventKind::Response { campaign, action: EngagementAction::Open }),
/// ]
/// .into_iter()
/// .enumerate()
/// {
///     let at = monday_9 + TimeDelta::hours(hours);
///     base.apply(&Event { id: EventId::from_key(&n.to_string()), customer: ana, at, channel: Channel::Email, kind })?;
/// }
/// let profile = TimingProfile::new(&base, FixedOffset::east_opt(3600).unwrap(), TimeDelta::days(2), None)?;
/// let cell = profile.cells(&Channel::Email).unwrap()[10]; // Monday 10:00 at UTC+1
/// assert_eq!((cell.touches, cell.responses), (1, 1));
/// # Ok::<(), customer_lifecycle::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimingProfile {
    /// The offset from UTC, in seconds, at which hours were read.
    pub offset_seconds: i32,
    /// Per channel, its 168 cells in hour-of-week order.
    pub channels: Vec<(Channel, Vec<TimingCell>)>,
}

/// An unanswered touch: campaign code, instant, channel code, cell.
type Pending = (u32, DateTime<Utc>, u32, u8);

/// One channel's (touches, responses) per hour of the week, once it has any.
type Counts = Option<Box<[(u64, u64); 168]>>;

impl TimingProfile {
    /// The profile of `base` at `offset`, over the touches of `campaigns`
    /// (every campaign when `None`).
    ///
    /// # Errors
    ///
    /// [`CampaignError::InvalidWindow`] for a response window that is not
    /// positive.
    ///
    /// # Complexity
    ///
    /// O(events) time, O(channels × 168) memory.
    pub fn new(
        base: &CustomerBase,
        offset: FixedOffset,
        response_window: TimeDelta,
        campaigns: Option<&[CampaignId]>,
    ) -> Result<Self, CampaignError> {
        if response_window <= TimeDelta::zero() {
            return Err(CampaignError::InvalidWindow { window: "response", seconds: response_window.num_seconds() });
        }
        let wanted: Option<Vec<u32>> =
            campaigns.map(|ids| ids.iter().filter_map(|&id| base.campaign_code_of(id)).collect());
        // counts[channel code][cell] = (touches, responses)
        let mut counts: Vec<Counts> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        for (_, records) in base.records() {
            pending.clear();
            for record in records {
                match record.kind {
                    Kind::Touch { campaign } if wanted.as_ref().is_none_or(|w| w.contains(&campaign)) => {
                        let cell = HourOfWeek::of(record.at, offset).0;
                        let channel = record.channel as usize;
                        if counts.len() <= channel {
                            counts.resize(channel + 1, None);
                        }
                        counts[channel].get_or_insert_with(|| Box::new([(0, 0); 168]))[usize::from(cell)].0 += 1;
                        pending.push((campaign, record.at, record.channel, cell));
                    }
                    Kind::Response { campaign, .. } => {
                        let answered = pending
                            .iter()
                            .rposition(|&(c, at, _, _)| c == campaign && record.at - at < response_window);
                        if let Some(i) = answered {
                            let (_, _, channel, cell) = pending.remove(i);
                            let cells = counts[channel as usize].as_mut().expect("touched channels have cells");
                            cells[usize::from(cell)].1 += 1;
                        }
                    }
                    _ => {}
                }
            }
        }
        let z = z_975();
        let channels = counts
            .into_iter()
            .enumerate()
            .filter_map(|(code, cells)| {
                let cells = cells?;
                let cells = (0..168u8)
                    .map(|h| {
                        let (touches, responses) = cells[usize::from(h)];
                        let (lo, hi) = wilson(responses, touches, z);
                        TimingCell { hour: HourOfWeek(h), touches, responses, ci95: [lo, hi] }
                    })
                    .collect();
                Some((base.channel(code as u32), cells))
            })
            .collect();
        Ok(TimingProfile { offset_seconds: offset.local_minus_utc(), channels })
    }

    /// The 168 cells of a channel, or `None` if it had no touches.
    pub fn cells(&self, channel: &Channel) -> Option<&[TimingCell]> {
        self.channels.iter().find(|(c, _)| c == channel).map(|(_, cells)| cells.as_slice())
    }

    /// The `n` best cells over all channels with at least one touch, by the
    /// lower bound of their interval (highest first; ties by more touches,
    /// then in the profile's order of channels and hours).
    pub fn best(&self, n: usize) -> Vec<(&Channel, &TimingCell)> {
        let mut all: Vec<(&Channel, &TimingCell)> = self
            .channels
            .iter()
            .flat_map(|(channel, cells)| cells.iter().filter(|c| c.touches > 0).map(move |cell| (channel, cell)))
            .collect();
        all.sort_by(|(_, a), (_, b)| b.ci95[0].total_cmp(&a.ci95[0]).then(b.touches.cmp(&a.touches)));
        all.truncate(n);
        all
    }
}
