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
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Date32Array, Int64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Date32Type, Decimal128Type, Float64Type, Int64Type};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;

use crate::error::ValueError;

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

/// `clv_day(date)`: the purchase day as a `Date32`.
///
/// A `Date32` is taken as is; a `Date64` or a timestamp is its UTC calendar
/// day (a timestamp without a time zone counts as UTC); a string must be a
/// real day written `YYYY-MM-DD`. A null, or a string of another shape, is
/// an error naming the value.
pub fn clv_day(date: Expr) -> Expr {
    ScalarUDF::from(Column::new(Rule::Day)).call(vec![date])
}

/// `clv_cents(amount)`: the amount in whole cents, as `Int64`.
///
/// An integer is whole units; a decimal is rounded to cents half away from
/// zero; a float is its shortest decimal form (the digits it prints as,
/// which for a value written with two decimals are those two) rounded to
/// cents half away from zero; a string must be a decimal with at most two
/// digits after the point, as the main crate's CSV reader requires. A null,
/// a negative amount, a float that is not finite, and an amount beyond
/// 64-bit cents are errors naming the value.
pub fn clv_cents(amount: Expr) -> Expr {
    ScalarUDF::from(Column::new(Rule::Cents)).call(vec![amount])
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
        Column { rule, signature: Signature::any(1, Volatility::Immutable) }
    }
}

fn refuse(column: &'static str, value: impl Into<String>, reason: &'static str) -> DataFusionError {
    DataFusionError::External(Box::new(ValueError { column, value: value.into(), reason }))
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
        let [arg] = args.args.as_slice() else {
            return Err(DataFusionError::Plan(format!("{} takes one argument", self.name())));
        };
        let array = arg.to_array(args.number_rows)?;
        let out = match self.rule {
            Rule::Key => keys(&array)?,
            Rule::Day => days(&array)?,
            Rule::Cents => cents(&array)?,
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// The string form of an array, for the string rules.
fn as_utf8(array: &ArrayRef) -> Result<ArrayRef> {
    Ok(if array.data_type() == &DataType::Utf8 { Arc::clone(array) } else { cast(array, &DataType::Utf8)? })
}

fn no_nulls(array: &ArrayRef, column: &'static str) -> Result<()> {
    if array.null_count() > 0 {
        return Err(refuse(column, "null", "is missing"));
    }
    Ok(())
}

fn keys(array: &ArrayRef) -> Result<ArrayRef> {
    if !matches!(array.data_type(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
        return Err(refuse("customer_id", array.data_type().to_string(), "is not a string type"));
    }
    no_nulls(array, "customer_id")?;
    let strings = as_utf8(array)?;
    let text = strings.as_string::<i32>();
    // An empty key has equal offsets around it.
    if text.offsets().windows(2).any(|w| w[0] == w[1]) {
        return Err(refuse("customer_id", "", "is an empty customer id"));
    }
    Ok(strings)
}

/// Days from 1970-01-01 of an integer count of `per_day` units, rounded
/// down (an instant before the epoch belongs to the day it falls in).
fn day_of(value: i64, per_day: i64) -> Result<i32> {
    i32::try_from(value.div_euclid(per_day)).map_err(|_| refuse("date", value.to_string(), "is out of range"))
}

fn days(array: &ArrayRef) -> Result<ArrayRef> {
    use datafusion::arrow::datatypes::TimeUnit as Unit;
    no_nulls(array, "date")?;
    let per_day = |unit: &Unit| match unit {
        Unit::Second => 86_400,
        Unit::Millisecond => 86_400_000,
        Unit::Microsecond => 86_400_000_000,
        Unit::Nanosecond => 86_400_000_000_000,
    };
    let out: Date32Array = match array.data_type() {
        DataType::Date32 => return Ok(Arc::clone(array)),
        DataType::Date64 => {
            let raw = cast(array, &DataType::Int64)?;
            raw.as_primitive::<Int64Type>()
                .values()
                .iter()
                .map(|&v| day_of(v, 86_400_000))
                .collect::<Result<Vec<i32>>>()?
                .into()
        }
        DataType::Timestamp(unit, _) => {
            // The stored value counts from the epoch in UTC, whatever the
            // time zone the column is shown in.
            let n = per_day(unit);
            let raw = cast(array, &DataType::Int64)?;
            raw.as_primitive::<Int64Type>().values().iter().map(|&v| day_of(v, n)).collect::<Result<Vec<i32>>>()?.into()
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let strings = as_utf8(array)?;
            strings
                .as_string::<i32>()
                .iter()
                .map(|text| {
                    let text = text.unwrap_or_default();
                    parse_ymd(text)
                        .map(Date32Type::from_naive_date)
                        .ok_or_else(|| refuse("date", text, "is not a calendar date YYYY-MM-DD"))
                })
                .collect::<Result<Vec<i32>>>()?
                .into()
        }
        other => return Err(refuse("date", other.to_string(), "is not a date, timestamp or string type")),
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

fn checked_cents(value: i128, text: impl FnOnce() -> String) -> Result<i64> {
    if value < 0 {
        return Err(refuse("amount", text(), "is negative: a purchase amount cannot be negative"));
    }
    i64::try_from(value).map_err(|_| refuse("amount", text(), "does not fit in 64-bit cents"))
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

fn cents(array: &ArrayRef) -> Result<ArrayRef> {
    no_nulls(array, "amount")?;
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
                .map(|&v| checked_cents(i128::from(v) * 100, || v.to_string()))
                .collect::<Result<_>>()?
        }
        DataType::Decimal128(_, scale) => {
            let scale = i32::from(*scale);
            let decimals = array.as_primitive::<Decimal128Type>();
            let text = |v: i128| format!("{v}e{}", -scale);
            decimals
                .values()
                .iter()
                .map(|&v| {
                    let c = if scale <= 2 {
                        10i128.checked_pow((2 - scale) as u32).and_then(|f| v.checked_mul(f))
                    } else {
                        round_half_away(v, (scale - 2) as u32)
                    };
                    match c {
                        Some(c) => checked_cents(c, || text(v)),
                        None => Err(refuse("amount", text(v), "does not fit in 64-bit cents")),
                    }
                })
                .collect::<Result<_>>()?
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let raw = cast(array, &DataType::Float64)?;
            raw.as_primitive::<Float64Type>()
                .values()
                .iter()
                .map(|&v| match float_cents(v) {
                    Some(c) => checked_cents(c, || v.to_string()),
                    None => Err(refuse("amount", v.to_string(), "is not a finite amount")),
                })
                .collect::<Result<_>>()?
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let strings = as_utf8(array)?;
            let text: &StringArray = strings.as_string::<i32>();
            text.iter()
                .map(|t| {
                    let t = t.unwrap_or_default();
                    match Money::parse_decimal(t) {
                        Ok(m) => checked_cents(i128::from(m.minor_units()), || t.to_owned()),
                        Err(_) => Err(refuse("amount", t, "is not a decimal with at most two digits after the point")),
                    }
                })
                .collect::<Result<_>>()?
        }
        other => return Err(refuse("amount", other.to_string(), "is not a number, decimal or string type")),
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
        assert_eq!(day_of(-1, 86_400).unwrap(), -1);
        assert_eq!(day_of(86_399, 86_400).unwrap(), 0);
        assert_eq!(day_of(86_400, 86_400).unwrap(), 1);
    }
}
