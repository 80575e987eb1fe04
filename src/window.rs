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

#[cfg(test)]
mod tests {
    use super::*;

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
