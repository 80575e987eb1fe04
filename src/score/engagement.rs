//! Engagement: an exponentially time-decayed, weighted sum of each
//! customer's interactions with the brand.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::consent::Profiled;
use crate::group::group_fold_ids;
use crate::score::ScoreError;
use crate::{Channel, CustomerBase, CustomerId, EngagementAction, EventKind};

/// The engagement score's settings: a half-life and weights per action and
/// per channel.
///
/// Defaults: a half-life of 30 days; action weights like 1, comment 2,
/// share 3, mention 3, reply 2, visit 1, open 0.5, click 1 (public advocacy
/// and conversation count more than a glance); every channel weight 1. A
/// channel without a weight of its own (any [`Channel::Other`]) weighs 1.
///
/// Serialises as `{"half_life_days": 30.0, "actions": {"like": 1.0, …},
/// "channels": {"web": 1.0, …}}`, channels by name. Reading fills what is
/// left out from the defaults, and refuses a half-life that is not positive
/// and finite or a weight that is negative or not finite.
///
/// # Example
///
/// ```
/// use customer_lifecycle::score::EngagementConfig;
/// use customer_lifecycle::{Channel, EngagementAction};
///
/// let config: EngagementConfig = serde_json::from_str(r#"{"half_life_days": 14, "channels": {"email": 0.5}}"#)?;
/// assert_eq!(config.half_life_days(), 14.0);
/// assert_eq!(config.weight(EngagementAction::Share, &Channel::Email), 1.5);
/// assert_eq!(config.weight(EngagementAction::Share, &Channel::Other("tiktok".into())), 3.0);
/// assert!(serde_json::from_str::<EngagementConfig>(r#"{"half_life_days": 0}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawConfig", into = "RawConfig")]
pub struct EngagementConfig {
    half_life_days: f64,
    /// By position in [`EngagementAction::ALL`].
    actions: [f64; 8],
    /// By position in [`Channel::NAMED`].
    named_channels: [f64; 10],
    other_channels: BTreeMap<String, f64>,
}

#[derive(Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct RawConfig {
    half_life_days: f64,
    actions: BTreeMap<EngagementAction, f64>,
    channels: BTreeMap<String, f64>,
}

impl Default for RawConfig {
    fn default() -> Self {
        EngagementConfig::default().into()
    }
}

impl TryFrom<RawConfig> for EngagementConfig {
    type Error = ScoreError;

    fn try_from(raw: RawConfig) -> Result<Self, ScoreError> {
        let mut config = EngagementConfig::new(raw.half_life_days)?;
        for (action, weight) in raw.actions {
            config = config.with_action_weight(action, weight)?;
        }
        for (name, weight) in raw.channels {
            let channel = Channel::NAMED.iter().find(|c| c.name() == name).cloned().unwrap_or(Channel::Other(name));
            config = config.with_channel_weight(&channel, weight)?;
        }
        Ok(config)
    }
}

impl From<EngagementConfig> for RawConfig {
    fn from(config: EngagementConfig) -> Self {
        let actions = EngagementAction::ALL.into_iter().zip(config.actions).collect();
        let mut channels: BTreeMap<String, f64> =
            Channel::NAMED.iter().map(|c| c.name().to_owned()).zip(config.named_channels).collect();
        channels.extend(config.other_channels);
        RawConfig { half_life_days: config.half_life_days, actions, channels }
    }
}

impl Default for EngagementConfig {
    fn default() -> Self {
        EngagementConfig {
            half_life_days: 30.0,
            //         like comment share mention reply visit open click
            actions: [1.0, 2.0, 3.0, 3.0, 2.0, 1.0, 0.5, 1.0],
            named_channels: [1.0; 10],
            other_channels: BTreeMap::new(),
        }
    }
}

fn check_weight(name: String, value: f64) -> Result<f64, ScoreError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(ScoreError::InvalidSetting { name, value, reason: "a weight must be finite and not negative" })
    }
}

impl EngagementConfig {
    /// The default weights with the given half-life.
    ///
    /// # Errors
    ///
    /// [`ScoreError::InvalidSetting`] unless the half-life is positive and finite.
    pub fn new(half_life_days: f64) -> Result<Self, ScoreError> {
        if !(half_life_days.is_finite() && half_life_days > 0.0) {
            return Err(ScoreError::InvalidSetting {
                name: "half_life_days".into(),
                value: half_life_days,
                reason: "must be positive and finite",
            });
        }
        Ok(EngagementConfig { half_life_days, ..EngagementConfig::default() })
    }

    /// Sets one action's weight.
    ///
    /// # Errors
    ///
    /// [`ScoreError::InvalidSetting`] for a negative or non-finite weight.
    pub fn with_action_weight(mut self, action: EngagementAction, weight: f64) -> Result<Self, ScoreError> {
        let i = action_index(action);
        self.actions[i] = check_weight(format!("actions.{action:?}"), weight)?;
        Ok(self)
    }

    /// Sets one channel's weight.
    ///
    /// # Errors
    ///
    /// [`ScoreError::InvalidSetting`] for a negative or non-finite weight.
    pub fn with_channel_weight(mut self, channel: &Channel, weight: f64) -> Result<Self, ScoreError> {
        let weight = check_weight(format!("channels.{}", channel.name()), weight)?;
        match named_index(channel) {
            Some(i) => self.named_channels[i] = weight,
            None => {
                self.other_channels.insert(channel.name().to_owned(), weight);
            }
        }
        Ok(self)
    }

    /// The half-life in days.
    pub fn half_life_days(&self) -> f64 {
        self.half_life_days
    }

    /// The weight of one interaction: action weight × channel weight.
    pub fn weight(&self, action: EngagementAction, channel: &Channel) -> f64 {
        let a = self.actions[action_index(action)];
        let c = match named_index(channel) {
            Some(i) => self.named_channels[i],
            None => self.other_channels.get(channel.name()).copied().unwrap_or(1.0),
        };
        a * c
    }

    /// The decayed value at `as_of` of an interaction at `at`:
    /// `weight × 2^(−age / half-life)`, 0 for one after `as_of`.
    pub fn value(&self, action: EngagementAction, channel: &Channel, at: DateTime<Utc>, as_of: DateTime<Utc>) -> f64 {
        if at > as_of {
            return 0.0;
        }
        self.weight(action, channel) * decay((as_of - at).num_milliseconds(), self.half_life_ms())
    }

    fn half_life_ms(&self) -> f64 {
        self.half_life_days * 86_400_000.0
    }
}

/// `2^(−age / half-life)`, both in milliseconds; one division, so that an
/// age of exactly one half-life gives exactly ½.
fn decay(age_ms: i64, half_life_ms: f64) -> f64 {
    (-(age_ms as f64) / half_life_ms).exp2()
}

/// The action's position in [`EngagementAction::ALL`].
fn action_index(action: EngagementAction) -> usize {
    match action {
        EngagementAction::Like => 0,
        EngagementAction::Comment => 1,
        EngagementAction::Share => 2,
        EngagementAction::Mention => 3,
        EngagementAction::Reply => 4,
        EngagementAction::Visit => 5,
        EngagementAction::Open => 6,
        EngagementAction::Click => 7,
    }
}

fn named_index(channel: &Channel) -> Option<usize> {
    Some(match channel {
        Channel::Store => 0,
        Channel::Web => 1,
        Channel::Email => 2,
        Channel::Facebook => 3,
        Channel::Twitter => 4,
        Channel::Blog => 5,
        Channel::Youtube => 6,
        Channel::Foursquare => 7,
        Channel::Phone => 8,
        Channel::Support => 9,
        _ => return None,
    })
}

/// One interaction, for scoring interactions held outside a base.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// Who.
    pub customer: CustomerId,
    /// When.
    pub at: DateTime<Utc>,
    /// What.
    pub action: EngagementAction,
    /// Where.
    pub channel: Channel,
}

/// One customer's engagement score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngagementScore {
    /// The customer.
    pub customer: CustomerId,
    /// The decayed weighted sum (0 without interactions).
    pub score: f64,
    /// The interactions counted (those at or before the as-of instant).
    pub interactions: u64,
}

/// Engagement scores as of an instant.
///
/// # Formula
///
/// `score = Σ w_action × w_channel × 2^(−(as_of − t) / half_life)` over the
/// customer's engagement events at instants `t ≤ as_of` (see
/// [`EngagementConfig`] for the weights). An interaction a half-life old
/// counts half; later ones are ignored.
///
/// # Example
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use customer_lifecycle::score::{Engagement, EngagementConfig, Interaction};
/// use customer_lifecycle::{Channel, CustomerId, EngagementAction};
///
/// let now = Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0).unwrap();
/// let ana = CustomerId::from_key("ana");
/// let seen = |days, action| Interaction { customer: ana, at: now - TimeDelta::days(days), action, channel: Channel::Web };
/// let log = [seen(0, EngagementAction::Like), seen(30, EngagementAction::Share), seen(-1, EngagementAction::Click)];
/// let scores = Engagement::from_interactions(&EngagementConfig::default(), &log, now);
/// assert_eq!(scores.scores[0].score, 1.0 + 3.0 * 0.5);
/// assert_eq!(scores.scores[0].interactions, 2);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Engagement {
    /// The as-of instant.
    pub as_of: DateTime<Utc>,
    /// One score per customer: for a base, every consenting customer in the
    /// order added; for interactions, every customer in order of first
    /// appearance.
    pub scores: Vec<EngagementScore>,
    /// Customers left out for withheld profiling consent.
    pub left_out: usize,
}

impl Engagement {
    /// Scores the engagement events of every consenting customer.
    ///
    /// # Complexity
    ///
    /// O(e) for e events.
    pub fn from_base(base: &CustomerBase, config: &EngagementConfig, as_of: DateTime<Utc>) -> Engagement {
        let Profiled { customers, left_out } = Profiled::as_of(base, as_of);
        let scores = customers
            .into_iter()
            .map(|customer| {
                let mut score = EngagementScore { customer: customer.id(), score: 0.0, interactions: 0 };
                for event in base.events(customer.id()).into_iter().flatten() {
                    if let EventKind::Engagement { action } = event.kind
                        && event.at <= as_of
                    {
                        score.score += config.value(action, &event.channel, event.at, as_of);
                        score.interactions += 1;
                    }
                }
                score
            })
            .collect();
        Engagement { as_of, scores, left_out }
    }

    /// Scores interactions held outside a base, in any order. They carry no
    /// consent: leave out those who withheld it before calling.
    ///
    /// # Complexity
    ///
    /// O(n) expected for n interactions: hashing (partitioned by key hash
    /// for large inputs, as for [`Rfm`](crate::score::Rfm)) and one `exp2` each.
    pub fn from_interactions(
        config: &EngagementConfig,
        interactions: &[Interaction],
        as_of: DateTime<Utc>,
    ) -> Engagement {
        let half_life_ms = config.half_life_ms();
        let as_of_ms = as_of.timestamp_millis();
        // Weights by action and named channel, looked up once per interaction.
        let mut table = [[0.0; 10]; 8];
        for (a, action) in EngagementAction::ALL.into_iter().enumerate() {
            for (c, channel) in Channel::NAMED.iter().enumerate() {
                table[a][c] = config.weight(action, channel);
            }
        }
        // A value below zero marks an interaction after `as_of`, which is not counted.
        let valued = interactions.iter().map(|x| {
            let age = as_of_ms - x.at.timestamp_millis();
            let value = if age < 0 {
                -1.0
            } else {
                let weight = match named_index(&x.channel) {
                    Some(c) => table[action_index(x.action)][c],
                    None => config.weight(x.action, &x.channel),
                };
                weight * decay(age, half_life_ms)
            };
            (x.customer, value)
        });
        let groups = group_fold_ids(
            valued,
            interactions.len(),
            || (0.0, 0u64),
            |(score, n), value| {
                if value >= 0.0 {
                    *score += value;
                    *n += 1;
                }
            },
        );
        let scores = groups
            .into_iter()
            .map(|(customer, (score, interactions))| EngagementScore { customer, score, interactions })
            .collect();
        Engagement { as_of, scores, left_out: 0 }
    }
}
