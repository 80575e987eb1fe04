//! [`Window`]: a half-open span of time, `[start, end)`, the unit in which
//! scores and analytics take their periods.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// The error returned for a window whose end is not after its start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("empty window: end {end} is not after start {start}")]
pub struct WindowError {
    /// The start given.
    pub start: DateTime<Utc>,
    /// The end given.
    pub end: DateTime<Utc>,
}

/// A half-open span of time `[start, end)`: an instant `t` is inside when
/// `start <= t < end`, so consecutive windows never share an instant.
///
/// # Example
///
/// ```
/// use customer_lifecycle::Window;
///
/// let q1 = Window::quarter(2024, 1)?;
/// let q2 = q1.next();
/// assert_eq!(q2, Window::quarter(2024, 2)?);
/// assert!(!q1.contains(q2.start()));
/// assert_eq!(q1.days(), 91.0);
/// # Ok::<(), customer_lifecycle::error::WindowError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawWindow", into = "RawWindow")]
pub struct Window {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct RawWindow {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

impl TryFrom<RawWindow> for Window {
    type Error = WindowError;

    fn try_from(raw: RawWindow) -> Result<Self, WindowError> {
        Window::new(raw.start, raw.end)
    }
}

impl From<Window> for RawWindow {
    fn from(w: Window) -> Self {
        RawWindow { start: w.start, end: w.end }
    }
}

impl Window {
    /// The window `[start, end)`.
    ///
    /// # Errors
    ///
    /// [`WindowError`] unless `start < end`.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, WindowError> {
        if start < end { Ok(Window { start, end }) } else { Err(WindowError { start, end }) }
    }

    /// The calendar quarter `q` (1..=4) of `year`, in UTC.
    ///
    /// # Errors
    ///
    /// [`WindowError`] for a quarter outside 1..=4 or a year chrono cannot
    /// represent (reported as an empty window at the Unix epoch).
    pub fn quarter(year: i32, q: u32) -> Result<Self, WindowError> {
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        let bad = WindowError { start: epoch, end: epoch };
        if !(1..=4).contains(&q) {
            return Err(bad);
        }
        let start = NaiveDate::from_ymd_opt(year, 3 * q - 2, 1).ok_or(bad.clone())?;
        let end =
            if q == 4 { NaiveDate::from_ymd_opt(year + 1, 1, 1) } else { NaiveDate::from_ymd_opt(year, 3 * q + 1, 1) }
                .ok_or(bad)?;
        Window::new(midnight(start), midnight(end))
    }

    /// The calendar quarter that contains `at`.
    pub fn quarter_of(at: DateTime<Utc>) -> Self {
        Window::quarter(at.year(), (at.month() - 1) / 3 + 1).expect("a representable instant is in a quarter")
    }

    /// The window of the same length that starts where this one ends.
    #[must_use]
    pub fn next(&self) -> Self {
        Window { start: self.end, end: self.end + (self.end - self.start) }
    }

    /// The window of the same length that ends where this one starts.
    #[must_use]
    pub fn previous(&self) -> Self {
        Window { start: self.start - (self.end - self.start), end: self.start }
    }

    /// The first instant inside.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// The first instant after the window.
    pub fn end(&self) -> DateTime<Utc> {
        self.end
    }

    /// Whether `at` lies inside.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }

    /// The length in days (fractional).
    pub fn days(&self) -> f64 {
        (self.end - self.start).num_seconds() as f64 / 86_400.0
    }
}

pub(crate) fn midnight(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

/// The calendar length of an acquisition cohort: customers are grouped
/// by the period of their first purchase, in the retention table of
/// [`analytics::CohortTable`](crate::analytics::CohortTable) and the viral
/// coefficients of
/// [`relationship::ReferralForest::viral_coefficients`](crate::relationship::ReferralForest::viral_coefficients).
///
/// # Example
///
/// ```
/// use chrono::NaiveDate;
/// use customer_lifecycle::analytics::CohortPeriod;
///
/// let day = NaiveDate::from_ymd_opt(2024, 5, 16).unwrap(); // a Thursday
/// assert_eq!(CohortPeriod::Week.start(day), NaiveDate::from_ymd_opt(2024, 5, 13).unwrap());
/// assert_eq!(CohortPeriod::Month.start(day), NaiveDate::from_ymd_opt(2024, 5, 1).unwrap());
/// assert_eq!(CohortPeriod::Quarter.start(day), NaiveDate::from_ymd_opt(2024, 4, 1).unwrap());
/// assert_eq!(CohortPeriod::Year.start(day), NaiveDate::from_ymd_opt(2024, 1, 1).unwrap());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CohortPeriod {
    /// ISO weeks, Monday to Sunday.
    Week,
    /// Calendar months.
    Month,
    /// Calendar quarters.
    Quarter,
    /// Calendar years.
    Year,
}

impl CohortPeriod {
    /// The first day of the period that contains `day`.
    pub fn start(self, day: NaiveDate) -> NaiveDate {
        self.start_of(self.index(day))
    }

    /// A running number of the period that holds `day`: consecutive
    /// periods have consecutive numbers.
    pub(crate) fn index(self, day: NaiveDate) -> i32 {
        let month = day.year() * 12 + day.month0() as i32;
        match self {
            // 1 January of year 1 (day 1 from the common era) is a Monday.
            CohortPeriod::Week => (day.num_days_from_ce() - 1).div_euclid(7),
            CohortPeriod::Month => month,
            CohortPeriod::Quarter => month.div_euclid(3),
            CohortPeriod::Year => day.year(),
        }
    }

    /// The first day of the period with running number `index`.
    pub(crate) fn start_of(self, index: i32) -> NaiveDate {
        let month = match self {
            CohortPeriod::Week => {
                return NaiveDate::from_num_days_from_ce_opt(index * 7 + 1).expect("a day in chrono's range");
            }
            CohortPeriod::Month => index,
            CohortPeriod::Quarter => index * 3,
            CohortPeriod::Year => index * 12,
        };
        NaiveDate::from_ymd_opt(month.div_euclid(12), month.rem_euclid(12) as u32 + 1, 1).expect("a valid month")
    }

    /// The period that starts on `start`, as tables and charts label it:
    /// `2024-05-13` (a week's Monday), `2024-05`, `2024-Q2`, `2024`.
    pub(crate) fn label(self, start: NaiveDate) -> String {
        match self {
            CohortPeriod::Week => start.format("%Y-%m-%d").to_string(),
            CohortPeriod::Month => start.format("%Y-%m").to_string(),
            CohortPeriod::Quarter => format!("{}-Q{}", start.year(), start.month0() / 3 + 1),
            CohortPeriod::Year => start.year().to_string(),
        }
    }

    /// The plural noun of the period, for axis labels.
    #[cfg(feature = "plot")]
    pub(crate) fn plural(self) -> &'static str {
        match self {
            CohortPeriod::Week => "weeks",
            CohortPeriod::Month => "months",
            CohortPeriod::Quarter => "quarters",
            CohortPeriod::Year => "years",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohort_periods_number_consecutive_periods_and_start_on_their_first_day() {
        let periods = [CohortPeriod::Week, CohortPeriod::Month, CohortPeriod::Quarter, CohortPeriod::Year];
        let mut day = NaiveDate::from_ymd_opt(1999, 12, 20).unwrap();
        let mut last: Vec<(i32, NaiveDate)> = periods.iter().map(|p| (p.index(day), p.start(day))).collect();
        for _ in 0..3000 {
            day = day.succ_opt().unwrap();
            for (p, last) in periods.iter().zip(&mut last) {
                let (index, start) = (p.index(day), p.start(day));
                assert!(start <= day && p.index(start) == index && p.start_of(index) == start, "{p:?} {day}");
                if index == last.0 {
                    assert_eq!(start, last.1, "{p:?} {day}");
                } else {
                    // A new period begins on this very day, one number on.
                    assert_eq!((index, start), (last.0 + 1, day), "{p:?} {day}");
                }
                *last = (index, start);
            }
        }
        assert_eq!(CohortPeriod::Week.start(day).weekday(), chrono::Weekday::Mon);
    }

    #[test]
    fn quarters_tile_the_year() {
        let q4 = Window::quarter(2023, 4).unwrap();
        assert_eq!(q4.end(), Window::quarter(2024, 1).unwrap().start());
        assert!(Window::quarter(2024, 5).is_err());
        assert_eq!(Window::quarter_of(q4.start()), q4);
        assert_eq!(Window::quarter(2024, 2).unwrap().previous().start(), Window::quarter(2024, 1).unwrap().start());
        let json = serde_json::to_string(&q4).unwrap();
        assert_eq!(serde_json::from_str::<Window>(&json).unwrap(), q4);
        assert!(
            serde_json::from_str::<Window>(r#"{"start":"2024-01-02T00:00:00Z","end":"2024-01-01T00:00:00Z"}"#).is_err()
        );
    }
}
