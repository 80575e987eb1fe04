//! The crate's errors.

use std::fmt;

use customer_lifecycle::clv::ClvError;
use datafusion::error::DataFusionError;

/// What is wrong with a value of a transaction log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueProblem {
    /// The value is null (an empty CSV cell).
    Missing,
    /// The customer key is the empty string.
    EmptyKey,
    /// The column's type cannot hold the column's meaning (the value is
    /// the type's name).
    WrongType,
    /// A string date that is not a real day written `YYYY-MM-DD`.
    NotACalendarDate,
    /// A date or timestamp whose day lies beyond the `Date32` range.
    DayOutOfRange,
    /// A negative amount.
    Negative,
    /// An amount beyond 64-bit cents.
    TooLarge,
    /// A float amount that is infinite or not a number.
    NotFinite,
    /// A string amount that is not a decimal with at most two digits after
    /// the point.
    NotADecimal,
}

impl ValueProblem {
    /// Every problem, in declaration order.
    pub const ALL: [ValueProblem; 9] = [
        ValueProblem::Missing,
        ValueProblem::EmptyKey,
        ValueProblem::WrongType,
        ValueProblem::NotACalendarDate,
        ValueProblem::DayOutOfRange,
        ValueProblem::Negative,
        ValueProblem::TooLarge,
        ValueProblem::NotFinite,
        ValueProblem::NotADecimal,
    ];

    /// The problem in words, as [`ValueError`]'s message ends.
    pub fn message(self) -> &'static str {
        match self {
            ValueProblem::Missing => "is missing",
            ValueProblem::EmptyKey => "is an empty customer id",
            ValueProblem::WrongType => "is not a type the column can be read from",
            ValueProblem::NotACalendarDate => "is not a calendar date YYYY-MM-DD",
            ValueProblem::DayOutOfRange => "is a day out of range",
            ValueProblem::Negative => "is negative: a purchase amount cannot be negative",
            ValueProblem::TooLarge => "does not fit in 64-bit cents",
            ValueProblem::NotFinite => "is not a finite amount",
            ValueProblem::NotADecimal => "is not a decimal with at most two digits after the point",
        }
    }
}

impl fmt::Display for ValueProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// The columns a [`ValueError`] can name.
const COLUMNS: [&str; 3] = ["customer_id", "date", "amount"];

/// A value in a transaction log that cannot be read as the column's
/// meaning: raised inside the plan by [`clv_key`](crate::functions::clv_key),
/// [`clv_day`](crate::functions::clv_day) and
/// [`clv_cents`](crate::functions::clv_cents), and recovered by the crate's
/// functions as [`Error::Value`], on one machine or from a Ballista
/// cluster (which sends errors between processes as text: the message
/// carries every field, and [`ValueError::find_in`] reads it back).
///
/// The message is `column "amount" of customer "c42": "1.005" is not a
/// decimal with at most two digits after the point`, with the strings
/// quoted and escaped as Rust writes them, and without `of customer …`
/// when the row's key is unknown; `Debug` writes the same message.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValueError {
    /// The column: `customer_id`, `date` or `amount`.
    pub column: &'static str,
    /// The key of the row holding the value, when the plan passed the
    /// function the key and the key itself is readable.
    pub customer_id: Option<String>,
    /// The offending value as text (`null` for a missing one, the type's
    /// name for [`ValueProblem::WrongType`]).
    pub value: String,
    /// Why it was refused.
    pub problem: ValueProblem,
}

impl ValueError {
    /// The first value error whose message appears in `text` (an error
    /// message that went through other processes, quoted once more or
    /// not), read back field by field.
    ///
    /// # Complexity
    ///
    /// Linear in the length of `text` per occurrence of `column "`.
    pub fn find_in(text: &str) -> Option<ValueError> {
        let once = find_plain(text);
        once.or_else(|| find_plain(&unescape_all(text)))
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {:?}", self.column)?;
        if let Some(key) = &self.customer_id {
            write!(f, " of customer {key:?}")?;
        }
        write!(f, ": {:?} {}", self.value, self.problem)
    }
}

impl std::error::Error for ValueError {}

impl fmt::Debug for ValueError {
    /// The message itself: a Ballista executor sends a failed task's error
    /// to the client in its `Debug` form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ValueError({self})")
    }
}

/// A string as `{:?}` writes it, from just after its opening quote: the
/// string and the text after its closing quote.
fn unquote(text: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = text.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &text[i + 1..])),
            '\\' => out.push(match chars.next()?.1 {
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                '0' => '\0',
                'u' => {
                    let rest = &text[chars.next().filter(|(_, c)| *c == '{')?.0 + 1..];
                    let end = rest.find('}')?;
                    let c = char::from_u32(u32::from_str_radix(&rest[..end], 16).ok()?)?;
                    for _ in 0..=end {
                        chars.next();
                    }
                    c
                }
                other => other,
            }),
            c => out.push(c),
        }
    }
    None
}

/// `text` with one level of `\"` and `\\` escapes removed.
fn unescape_all(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(next @ ('"' | '\\')) => out.push(next),
                Some(next) => {
                    out.push(c);
                    out.push(next);
                }
                None => out.push(c),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The first value error written in `text` exactly as its `Display` writes
/// it.
fn find_plain(text: &str) -> Option<ValueError> {
    const START: &str = "column \"";
    text.match_indices(START).find_map(|(at, _)| {
        let (column, rest) = unquote(&text[at + START.len()..])?;
        let column = COLUMNS.into_iter().find(|c| *c == column)?;
        let (customer_id, rest) = match rest.strip_prefix(" of customer \"") {
            Some(rest) => {
                let (key, rest) = unquote(rest)?;
                (Some(key), rest)
            }
            None => (None, rest),
        };
        let (value, rest) = unquote(rest.strip_prefix(": \"")?)?;
        let rest = rest.strip_prefix(' ')?;
        let problem = ValueProblem::ALL.into_iter().find(|p| rest.starts_with(p.message()))?;
        Some(ValueError { column, customer_id, value, problem })
    })
}

/// Everything that can go wrong reading a log or running a plan.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The path is neither a Parquet or CSV file nor a directory holding
    /// such files of one kind.
    #[error("{path}: {reason}")]
    Source {
        /// The path given.
        path: String,
        /// Why it cannot be read.
        reason: String,
    },
    /// The table lacks a column the log needs, or has it with a type the
    /// crate does not read.
    #[error("{source_name}: column {column:?} {reason}")]
    Schema {
        /// The file, directory or table name.
        source_name: String,
        /// The column.
        column: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A value that cannot be read (see [`ValueError`]: the column, the
    /// row's customer key, the value and the problem), in the named source;
    /// the same whether the plan ran in this process or on a cluster.
    #[error("{source_name}: {error}")]
    Value {
        /// The file, directory or table name.
        source_name: String,
        /// The value and column.
        error: ValueError,
    },
    /// A customer's sum of purchases does not fit in 64-bit cents.
    #[error(
        "{}: the sum of purchases overflows 64-bit cents",
        .customer_id.as_deref().map_or_else(|| "a customer".to_owned(), |key| format!("customer {key:?}"))
    )]
    Overflow {
        /// The customer's key; `None` where the plan had already grouped
        /// customers by their pattern (the histogram).
        customer_id: Option<String>,
    },
    /// A model fit or a prediction failed.
    #[error("{model}: {error}")]
    Model {
        /// The model: `BG/NBD`, `Pareto/NBD` or `Gamma-Gamma`.
        model: &'static str,
        /// The library's error.
        error: ClvError,
    },
    /// Reading or writing a file.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        error: std::io::Error,
    },
    /// A cluster process could not start, or could not reach another.
    #[error("ballista: {0}")]
    Cluster(String),
    /// DataFusion refused or failed the plan.
    #[error("{0}")]
    DataFusion(Box<DataFusionError>),
}

impl Error {
    /// Wraps a DataFusion error, recovering a [`ValueError`] raised inside
    /// the plan as [`Error::Value`] of `source_name`: from the chain of
    /// causes when the plan ran in this process, from the message when it
    /// ran on a cluster (whose processes send errors as text).
    pub(crate) fn from_datafusion(error: DataFusionError, source_name: &str) -> Error {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        let mut found = None;
        while let Some(e) = cause {
            if let Some(value) = e.downcast_ref::<ValueError>() {
                found = Some(value.clone());
                break;
            }
            cause = e.source();
        }
        match found.or_else(|| ValueError::find_in(&error.to_string())) {
            Some(error) => Error::Value { source_name: source_name.to_owned(), error },
            None => Error::DataFusion(Box::new(error)),
        }
    }
}

impl From<DataFusionError> for Error {
    fn from(error: DataFusionError) -> Self {
        Error::from_datafusion(error, "the plan")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of up to three characters from an alphabet of the
    /// characters that quoting and parsing could trip over.
    fn tricky_strings() -> Vec<String> {
        let alphabet = ['a', '"', '\\', ' ', ':', '\n', '\u{301}', '\u{7f}', 'é', '}'];
        let mut all = vec![String::new()];
        let mut last = vec![String::new()];
        for _ in 0..3 {
            last = last.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
            all.extend(last.iter().cloned());
        }
        all.extend(["column \"amount\": \"1\" is missing", "1.005", "null", "customer \"x\""].map(str::to_owned));
        all
    }

    fn errors() -> Vec<ValueError> {
        let strings = tricky_strings();
        let mut out = Vec::new();
        for (k, value) in strings.iter().enumerate() {
            let problem = ValueProblem::ALL[k % ValueProblem::ALL.len()];
            let column = COLUMNS[k % COLUMNS.len()];
            let key = (k % 4 != 0).then(|| strings[(k * 7) % strings.len()].clone());
            out.push(ValueError { column, customer_id: key, value: value.clone(), problem });
        }
        out
    }

    #[test]
    fn the_message_reads_back_as_the_error() {
        for error in errors() {
            let text = error.to_string();
            assert_eq!(ValueError::find_in(&text), Some(error.clone()), "{text}");
            assert_eq!(format!("{error:?}"), format!("ValueError({text})"));
        }
    }

    #[test]
    fn the_message_reads_back_from_inside_a_cluster_error() {
        for error in errors() {
            // How a Ballista executor and then the client wrap it.
            let task = format!("Task failed due to runtime execution error: DataFusionError(External({error:?}))");
            let job = format!("Job 3 failed: Job failed due to stage 1 failed: {task}\n");
            assert_eq!(ValueError::find_in(&job).as_ref(), Some(&error), "{job}");
            // Quoted once more, as a retried stage's reason is.
            let quoted = format!("Stage 1 has failed 4 times, most recent failure reason: {task:?}");
            assert_eq!(ValueError::find_in(&quoted).as_ref(), Some(&error), "{quoted}");
        }
    }

    #[test]
    fn other_text_is_not_a_value_error() {
        for text in [
            "",
            "column \"amount\"",
            "column \"price\": \"1\" is missing",
            "column \"amount\": \"1\" is pink",
            "column \"amount\" of customer \"a: \"1\" is missing",
            "column \"amount\": \"1\\u{zz}\" is missing",
            "Arrow error: column \"date\": 3 is missing",
        ] {
            assert_eq!(ValueError::find_in(text), None, "{text}");
        }
    }

    #[test]
    fn messages_are_as_documented() {
        let error = ValueError {
            column: "amount",
            customer_id: Some("c42".to_owned()),
            value: "1.005".to_owned(),
            problem: ValueProblem::NotADecimal,
        };
        assert_eq!(
            error.to_string(),
            "column \"amount\" of customer \"c42\": \"1.005\" is not a decimal with at most two digits after the point"
        );
        let error = ValueError { customer_id: None, value: "null".to_owned(), problem: ValueProblem::Missing, ..error };
        assert_eq!(error.to_string(), "column \"amount\": \"null\" is missing");
        let wrapped = Error::from_datafusion(DataFusionError::Execution(format!("Job 1 failed: {error:?}")), "log.csv");
        assert!(
            matches!(wrapped, Error::Value { ref source_name, error: ref e } if source_name == "log.csv" && *e == error)
        );
        let other = Error::from_datafusion(DataFusionError::Execution("Job 1 failed: disk full".to_owned()), "x");
        assert!(matches!(other, Error::DataFusion(_)));
    }
}
