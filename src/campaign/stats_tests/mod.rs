//! The statistics of experiments, one file per test, all from sufficient
//! statistics so that arms summarised in partitions merge first.

mod adjust;
mod bayes;
mod cuped;
mod effect;
mod power;
mod sequential;
mod srm;
mod sums;

pub use adjust::{Correction, adjust_p_values};
pub use bayes::BayesianEffect;
pub use cuped::Cuped;
pub use effect::{Effect, EffectTest};
pub use power::MidExperimentPower;
pub use sequential::ConfidenceSequence;
pub use srm::SampleRatioTest;
pub use sums::{CrossSums, Sums};
