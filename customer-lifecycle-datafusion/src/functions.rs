//! The crate's scalar functions: the column rules of a transaction log,
//! applied inside the plans.
//!
//! DataFusion's casts are lenient where the log's rules are strict (a date
//! string `2024-2-3`, an amount `1.005` or `-3`), so reading the columns is
//! written once here, as three functions, and the plans call them. A
//! distributed engine finds functions by name: every process that runs a
//! plan must [`register_all`] of [`functions`] (the `scheduler` and
//! `executor` programs of a cluster included).

use std::sync::Arc;

use customer_lifecycle::Money;
use customer_lifecycle::error::MoneyError;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Date32Array, Int64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Date32Type, Decimal128Type, Float64Type, Int64Type};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use datafusion::prelude::SessionContext;

use crate::error::{ValueError, ValueProblem};

/// The name of the function that reads a customer key: a non-empty string.
pub const CLV_KEY: &str = "clv_key";
/// The name of the function that reads a purchase day as a `Date32`.
pub const CLV_DAY: &str = "clv_day";
/// The name of the function that reads an amount as whole cents (`Int64`).
pub const CLV_CENTS: &str = "clv_cents";

/// The crate's functions, to register in every process that runs its plans.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::from(Column::new(Rule::Key)),
        ScalarUDF::from(Column::new(Rule::Day)),
        ScalarUDF::from(Column::new(Rule::Cents)),
    ]
}

/// Registers every one of [`functions`] with `ctx`.
pub fn register_all(ctx: &SessionContext) {
    for f in functions() {
        ctx.register_udf(f);
    }
}

/// `clv_key(customer_id)`: the key as `Utf8`; a null or empty key is an
/// error.
pub fn clv_key(customer_id: Expr) -> Expr {
    ScalarUDF::from(Column::new(Rule::Key)).call(vec![customer_id])
}

/// `clv_day(date, customer_id)`: the purchase day as a `Date32`.
///
/// A `Date32` is taken as is; a `Date64` or a timestamp is its UTC calendar
/// day (a timestamp without a time zone counts as UTC); a string must be a
/// real day written `YYYY-MM-DD`. A null, or a string of another shape, is
/// an error naming the value and the row's `customer_id` (in SQL the second
/// argument may be left out; the error then names no customer).
pub fn clv_day(date: Expr, customer_id: Expr) -> Expr {
    ScalarUDF::from(Column::new(Rule::Day)).call(vec![date, customer_id])
}

/// `clv_cents(amount, customer_id)`: the amount in whole cents, as `Int64`.
///
/// An integer is whole units; a decimal is rounded to cents half away from
/// zero; a float is its shortest decimal form (the digits it prints as,
/// which for a value written with two decimals are those two) rounded to
/// cents half away from zero; a string must be a decimal with at most two
/// digits after the point, as the main crate's CSV reader requires. A null,
/// a negative amount, a float that is not finite, and an amount beyond
/// 64-bit cents are errors naming the value and the row's `customer_id`
/// (in SQL the second argument may be left out; the error then names no
/// customer).
pub fn clv_cents(amount: Expr, customer_id: Expr) -> Expr {
    ScalarUDF::from(Column::new(Rule::Cents)).call(vec![amount, customer_id])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Rule {
    Key,
    Day,
    Cents,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Column {
    rule: Rule,
    signature: Signature,
}

impl Column {
    fn new(rule: Rule) -> Self {
        let signature = match rule {
            Rule::Key => Signature::any(1, Volatility::Immutable),
            // The value, and optionally the row's key for errors.
            Rule::Day | Rule::Cents => {
                Signature::one_of(vec![TypeSignature::Any(1), TypeSignature::Any(2)], Volatility::Immutable)
            }
        };
        Column { rule, signature }
    }
}

/// Builds the errors of one column of one batch: the row's key comes from
/// the optional key array.
struct Refuse<'a> {
    column: &'static str,
    keys: Option<&'a ArrayRef>,
}

impl Refuse<'_> {
    /// The value of row `row` is refused.
    fn at(&self, row: usize, value: impl Into<String>, problem: ValueProblem) -> DataFusionError {
        let customer_id = self.keys.and_then(|keys| {
            let keys = as_utf8(keys).ok()?;
            let keys = keys.as_string::<i32>();
            (row < keys.len() && keys.is_valid(row)).then(|| keys.value(row).to_owned())
        });
        self.error(customer_id, value.into(), problem)
    }

    /// The column as a whole is refused (its type).
    fn whole(&self, value: impl Into<String>, problem: ValueProblem) -> DataFusionError {
        self.error(None, value.into(), problem)
    }

    fn error(&self, customer_id: Option<String>, value: String, problem: ValueProblem) -> DataFusionError {
        DataFusionError::External(Box::new(ValueError { column: self.column, customer_id, value, problem }))
    }

    /// Refuses the first null of `array`.
    fn no_nulls(&self, array: &ArrayRef) -> Result<()> {
        if array.null_count() == 0 {
            return Ok(());
        }
        let row = (0..array.len()).find(|&i| array.is_null(i)).unwrap_or_default();
        Err(self.at(row, "null", ValueProblem::Missing))
    }
}

impl ScalarUDFImpl for Column {
    fn name(&self) -> &str {
        match self.rule {
            Rule::Key => CLV_KEY,
            Rule::Day => CLV_DAY,
            Rule::Cents => CLV_CENTS,
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.rule {
            Rule::Key => DataType::Utf8,
            Rule::Day => DataType::Date32,
            Rule::Cents => DataType::Int64,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (array, keys) = match (self.rule, args.args.as_slice()) {
            (_, [value]) => (value.to_array(args.number_rows)?, None),
            (Rule::Day | Rule::Cents, [value, key]) => {
                (value.to_array(args.number_rows)?, Some(key.to_array(args.number_rows)?))
            }
            _ => return Err(DataFusionError::Plan(format!("{}: wrong number of arguments", self.name()))),
        };
        let keys = keys.as_ref();
        let out = match self.rule {
            Rule::Key => self::keys(&array)?,
            Rule::Day => days(&array, &Refuse { column: "date", keys })?,
            Rule::Cents => cents(&array, &Refuse { column: "amount", keys })?,
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// The string form of an array, for the string rules.
fn as_utf8(array: &ArrayRef) -> Result<ArrayRef> {
    Ok(if array.data_type() == &DataType::Utf8 { Arc::clone(array) } else { cast(array, &DataType::Utf8)? })
}

fn keys(array: &ArrayRef) -> Result<ArrayRef> {
    let refuse = Refuse { column: "customer_id", keys: None };
    if !matches!(array.data_type(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
        return Err(refuse.whole(array.data_type().to_string(), ValueProblem::WrongType));
    }
    refuse.no_nulls(array)?;
    let strings = as_utf8(array)?;
    let text = strings.as_string::<i32>();
    // An empty key has equal offsets around it.
    if text.offsets().windows(2).any(|w| w[0] == w[1]) {
        return Err(refuse.whole("", ValueProblem::EmptyKey));
    }
    Ok(strings)
}

/// Days from 1970-01-01 of an integer count of `per_day` units, rounded
/// down (an instant before the epoch belongs to the day it falls in).
fn day_of(value: i64, per_day: i64) -> Option<i32> {
    i32::try_from(value.div_euclid(per_day)).ok()
}

fn days(array: &ArrayRef, refuse: &Refuse<'_>) -> Result<ArrayRef> {
    use datafusion::arrow::datatypes::TimeUnit as Unit;
    refuse.no_nulls(array)?;
    let per_day = |unit: &Unit| match unit {
        Unit::Second => 86_400,
        Unit::Millisecond => 86_400_000,
        Unit::Microsecond => 86_400_000_000,
        Unit::Nanosecond => 86_400_000_000_000,
    };
    let counted = |n: i64| -> Result<Date32Array> {
        let raw = cast(array, &DataType::Int64)?;
        let days = raw
            .as_primitive::<Int64Type>()
            .values()
            .iter()
            .enumerate()
            .map(|(row, &v)| day_of(v, n).ok_or_else(|| refuse.at(row, v.to_string(), ValueProblem::DayOutOfRange)))
            .collect::<Result<Vec<i32>>>()?;
        Ok(days.into())
    };
    let out: Date32Array = match array.data_type() {
        DataType::Date32 => return Ok(Arc::clone(array)),
        DataType::Date64 => counted(86_400_000)?,
        // The stored value counts from the epoch in UTC, whatever the time
        // zone the column is shown in.
        DataType::Timestamp(unit, _) => counted(per_day(unit))?,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let strings = as_utf8(array)?;
            strings
                .as_string::<i32>()
                .iter()
                .enumerate()
                .map(|(row, text)| {
                    let text = text.unwrap_or_default();
                    parse_ymd(text)
                        .map(Date32Type::from_naive_date)
                        .ok_or_else(|| refuse.at(row, text, ValueProblem::NotACalendarDate))
                })
                .collect::<Result<Vec<i32>>>()?
                .into()
        }
        other => return Err(refuse.whole(other.to_string(), ValueProblem::WrongType)),
    };
    Ok(Arc::new(out))
}

/// A real day written exactly `YYYY-MM-DD`.
pub(crate) fn parse_ymd(text: &str) -> Option<chrono::NaiveDate> {
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| if i == 4 || i == 7 { *c == b'-' } else { c.is_ascii_digit() });
    if shape { chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok() } else { None }
}

/// Whole cents that are neither negative nor beyond 64 bits.
fn checked_cents(value: i128) -> std::result::Result<i64, ValueProblem> {
    if value < 0 {
        return Err(ValueProblem::Negative);
    }
    i64::try_from(value).map_err(|_| ValueProblem::TooLarge)
}

/// `value / 10^shift` rounded half away from zero.
fn round_half_away(value: i128, shift: u32) -> Option<i128> {
    let unit = 10i128.checked_pow(shift)?;
    let (q, r) = (value / unit, value % unit);
    Some(if 2 * r.abs() >= unit { q + value.signum() } else { q })
}

/// A float's shortest decimal form in cents, rounded half away from zero.
fn float_cents(value: f64) -> Option<i128> {
    if !value.is_finite() {
        return None;
    }
    let text = format!("{}", value.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut digits: i128 = whole.parse().ok()?;
    let fraction = fraction.as_bytes();
    for k in 0..2 {
        digits = digits.checked_mul(10)? + i128::from(fraction.get(k).map_or(0, |d| d - b'0'));
    }
    if fraction.get(2).is_some_and(|d| *d >= b'5') {
        digits += 1;
    }
    Some(if value < 0.0 && digits != 0 { -digits } else { digits })
}

fn cents(array: &ArrayRef, refuse: &Refuse<'_>) -> Result<ArrayRef> {
    refuse.no_nulls(array)?;
    let out: Int64Array = match array.data_type() {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => {
            let raw = cast(array, &DataType::Int64)?;
            raw.as_primitive::<Int64Type>()
                .values()
                .iter()
                .enumerate()
                .map(|(row, &v)| checked_cents(i128::from(v) * 100).map_err(|p| refuse.at(row, v.to_string(), p)))
                .collect::<Result<_>>()?
        }
        DataType::Decimal128(_, scale) => {
            let scale = i32::from(*scale);
            let decimals = array.as_primitive::<Decimal128Type>();
            decimals
                .values()
                .iter()
                .enumerate()
                .map(|(row, &v)| {
                    let c = if scale <= 2 {
                        10i128.checked_pow((2 - scale) as u32).and_then(|f| v.checked_mul(f))
                    } else {
                        round_half_away(v, (scale - 2) as u32)
                    };
                    c.ok_or(ValueProblem::TooLarge)
                        .and_then(checked_cents)
                        .map_err(|p| refuse.at(row, format!("{v}e{}", -scale), p))
                })
                .collect::<Result<_>>()?
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let raw = cast(array, &DataType::Float64)?;
            raw.as_primitive::<Float64Type>()
                .values()
                .iter()
                .enumerate()
                .map(|(row, &v)| {
                    float_cents(v)
                        .ok_or(ValueProblem::NotFinite)
                        .and_then(checked_cents)
                        .map_err(|p| refuse.at(row, v.to_string(), p))
                })
                .collect::<Result<_>>()?
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let strings = as_utf8(array)?;
            let text: &StringArray = strings.as_string::<i32>();
            text.iter()
                .enumerate()
                .map(|(row, t)| {
                    let t = t.unwrap_or_default();
                    Money::parse_decimal(t)
                        .map_err(|e| match e {
                            MoneyError::Overflow { .. } => ValueProblem::TooLarge,
                            _ => ValueProblem::NotADecimal,
                        })
                        .and_then(|m| checked_cents(i128::from(m.minor_units())))
                        .map_err(|p| refuse.at(row, t, p))
                })
                .collect::<Result<_>>()?
        }
        other => return Err(refuse.whole(other.to_string(), ValueProblem::WrongType)),
    };
    Ok(Arc::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_half_away(12_345, 1), Some(1235));
        assert_eq!(round_half_away(12_344, 1), Some(1234));
        assert_eq!(round_half_away(-12_345, 1), Some(-1235));
        assert_eq!(float_cents(1.005), Some(101));
        assert_eq!(float_cents(0.285), Some(29));
        assert_eq!(float_cents(19.99), Some(1999));
        assert_eq!(float_cents(0.004_999), Some(0));
        assert_eq!(float_cents(2.0), Some(200));
        assert_eq!(float_cents(1e-7), Some(0));
        assert_eq!(float_cents(f64::NAN), None);
        assert_eq!(day_of(-1, 86_400), Some(-1));
        assert_eq!(day_of(86_399, 86_400), Some(0));
        assert_eq!(day_of(86_400, 86_400), Some(1));
        assert_eq!(day_of(i64::MAX, 1), None);
    }
}
