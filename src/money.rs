//! [`Money`]: an amount in integer minor units (cents), never a float.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What went wrong with an amount of money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// The text is not a decimal amount with at most two fraction digits.
    #[error("invalid amount {input:?}: {reason}")]
    Parse {
        /// The text as given.
        input: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// The result does not fit in 64-bit minor units.
    #[error("amount overflow in {operation}")]
    Overflow {
        /// The operation that overflowed (`"add"`, `"sub"`, `"mul"`, …).
        operation: &'static str,
    },
}

/// An amount of money in integer minor units (hundredths: cents, pence).
///
/// Arithmetic is checked: an overflow is a [`MoneyError::Overflow`], never a
/// wrap. Amounts parse from and print as plain decimals with two fraction
/// digits (`"12.34"`, `"-0.50"`), and serialise as that string, so nothing is
/// lost on a round trip. Models that need a float call [`Money::to_f64`].
///
/// # Example
///
/// ```
/// use customer_lifecycle::Money;
///
/// let price: Money = "12.34".parse()?;
/// let total = price.checked_add(Money::from_minor(66))?;
/// assert_eq!(total.to_string(), "13.00");
/// assert_eq!(total.minor_units(), 1300);
/// assert!("12.345".parse::<Money>().is_err());
/// # Ok::<(), customer_lifecycle::error::MoneyError>(())
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);

    /// The amount with the given number of minor units (cents).
    pub const fn from_minor(minor_units: i64) -> Self {
        Money(minor_units)
    }

    /// The amount with the given number of major units (dollars, euros).
    ///
    /// # Errors
    ///
    /// [`MoneyError::Overflow`] when the amount does not fit.
    pub fn from_major(major_units: i64) -> Result<Self, MoneyError> {
        major_units.checked_mul(100).map(Money).ok_or(MoneyError::Overflow { operation: "from_major" })
    }

    /// The amount in minor units.
    pub const fn minor_units(self) -> i64 {
        self.0
    }

    /// The amount in major units as a float, for models and reports.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// Whether the amount is below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// `self + other`.
    ///
    /// # Errors
    ///
    /// [`MoneyError::Overflow`] when the sum does not fit.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.0.checked_add(other.0).map(Money).ok_or(MoneyError::Overflow { operation: "add" })
    }

    /// `self - other`.
    ///
    /// # Errors
    ///
    /// [`MoneyError::Overflow`] when the difference does not fit.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.0.checked_sub(other.0).map(Money).ok_or(MoneyError::Overflow { operation: "sub" })
    }

    /// `self × factor`.
    ///
    /// # Errors
    ///
    /// [`MoneyError::Overflow`] when the product does not fit.
    pub fn checked_mul(self, factor: i64) -> Result<Money, MoneyError> {
        self.0.checked_mul(factor).map(Money).ok_or(MoneyError::Overflow { operation: "mul" })
    }

    /// The sum of the amounts.
    ///
    /// # Errors
    ///
    /// [`MoneyError::Overflow`] when a partial sum does not fit.
    pub fn try_sum<I: IntoIterator<Item = Money>>(amounts: I) -> Result<Money, MoneyError> {
        amounts.into_iter().try_fold(Money::ZERO, Money::checked_add)
    }

    /// Parses a decimal amount: an optional `-`, one or more ASCII digits,
    /// and optionally `.` followed by one or two digits. Nothing else is
    /// accepted: no sign `+`, no spaces, no exponent, no thousands separator.
    ///
    /// # Errors
    ///
    /// [`MoneyError::Parse`] naming the reason, or [`MoneyError::Overflow`].
    pub fn parse_decimal(text: &str) -> Result<Money, MoneyError> {
        let fail = |reason| MoneyError::Parse { input: text.to_owned(), reason };
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = match body.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (body, None),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("expected digits before the decimal point"));
        }
        let cents_part = match fraction {
            None => 0,
            Some(f) if f.is_empty() || f.len() > 2 || !f.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(fail("expected one or two digits after the decimal point"));
            }
            Some(f) => {
                let digits: i64 = f.parse().map_err(|_| fail("bad fraction"))?;
                if f.len() == 1 { digits * 10 } else { digits }
            }
        };
        // Accumulate in i128 so that i64::MIN, whose magnitude has no i64,
        // parses like every other amount.
        let overflow = || MoneyError::Overflow { operation: "parse" };
        let mut units: i128 = 0;
        for digit in whole.bytes() {
            units = units * 10 + i128::from(digit - b'0');
            if units > i128::from(i64::MAX) / 100 + 1 {
                return Err(overflow());
            }
        }
        let magnitude = units * 100 + i128::from(cents_part);
        let signed = if negative { -magnitude } else { magnitude };
        i64::try_from(signed).map(Money).map_err(|_| overflow())
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Money::parse_decimal(s)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({self})")
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Money::parse_decimal(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_accepted_forms() {
        assert_eq!("0".parse::<Money>().unwrap(), Money::ZERO);
        assert_eq!("12".parse::<Money>().unwrap().minor_units(), 1200);
        assert_eq!("12.3".parse::<Money>().unwrap().minor_units(), 1230);
        assert_eq!("12.34".parse::<Money>().unwrap().minor_units(), 1234);
        assert_eq!("-0.05".parse::<Money>().unwrap().minor_units(), -5);
        assert_eq!("007.10".parse::<Money>().unwrap().minor_units(), 710);
    }

    #[test]
    fn rejects_everything_else() {
        for bad in ["", "-", ".5", "1.", "1.234", "+1", " 1", "1 ", "1e3", "1,000", "NaN", "inf", "--1", "1.-2", "١"] {
            assert!(matches!(bad.parse::<Money>(), Err(MoneyError::Parse { .. })), "{bad:?}");
        }
        assert!(matches!("99999999999999999999".parse::<Money>(), Err(MoneyError::Overflow { .. })));
    }

    #[test]
    fn arithmetic_is_checked() {
        let max = Money::from_minor(i64::MAX);
        assert_eq!(max.checked_add(Money::from_minor(1)), Err(MoneyError::Overflow { operation: "add" }));
        assert!(Money::from_minor(i64::MIN).checked_sub(Money::from_minor(1)).is_err());
        assert!(max.checked_mul(2).is_err());
        assert!(Money::from_major(i64::MAX / 10).is_err());
        assert_eq!(Money::try_sum([Money::from_minor(5), Money::from_minor(7)]).unwrap().minor_units(), 12);
    }

    #[test]
    fn display_round_trips() {
        for minor in [0, 1, -1, 99, -100, 123_456, i64::MAX, i64::MIN] {
            let m = Money::from_minor(minor);
            assert_eq!(m.to_string().parse::<Money>().unwrap(), m);
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
        }
        assert_eq!(Money::from_minor(-5).to_string(), "-0.05");
        assert!((Money::from_minor(1234).to_f64() - 12.34).abs() < 1e-12);
    }
}
