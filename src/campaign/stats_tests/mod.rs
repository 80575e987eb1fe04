//! The statistics of experiments, one file per test, all from sufficient
//! statistics so that arms summarised in partitions merge first.

mod adjust;
mod bayes;
mod cuped;
mod effect;
mod moments;
mod power;
mod proportion;
mod sample_size;
mod sequential;
mod srm;
mod sums;
mod uplift;
mod welch;

pub use adjust::{Correction, adjust_p_values};
pub use bayes::BayesianEffect;
pub use cuped::Cuped;
pub use effect::{Effect, EffectTest};
pub use moments::Moments;
pub(crate) use moments::Welford;
pub use power::MidExperimentPower;
pub use proportion::{Proportion, ProportionTest};
pub use sample_size::sample_size_per_arm;
pub use sequential::ConfidenceSequence;
pub use srm::SampleRatioTest;
pub use sums::{CrossSums, Sums};
pub use uplift::Uplift;
pub use welch::WelchTest;
