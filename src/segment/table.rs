//! The columnar container segments are evaluated over: [`FeatureTable`],
//! one row a customer and one typed column a feature, with its
//! [`TableError`]s.
//!
//! This file knows nothing of where features come from. The crate's own
//! catalogue of features ([`FeatureTable::from_base`],
//! [`FeatureTable::add_model_features`]) is in `catalogue.rs`; evaluation
//! ([`FeatureTable::evaluate`], [`FeatureTable::explain`]) in `eval.rs`.

use std::collections::HashMap;

use super::definition::Value;
use super::membership::Membership;
use crate::MoneyError;

/// The declared type of a feature, when it has one. A definition that
/// compares a typed feature with a value of another type is refused;
/// an untyped feature (as read from a plain table) compares at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FeatureType {
    /// Numbers.
    Number,
    /// Strings.
    Text,
    /// Booleans.
    Bool,
}

/// One feature for every row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cells {
    /// NaN marks a missing value.
    Number(Vec<f64>),
    /// Dictionary codes; `u32::MAX` marks a missing value.
    Text { codes: Vec<u32>, dict: Vec<String> },
    /// 0, 1, or 2 for missing.
    Bool(Vec<u8>),
    /// Anything, cell by cell.
    Mixed(Vec<Option<Value>>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Column {
    pub name: String,
    pub declared: Option<FeatureType>,
    pub profiling: bool,
    pub cells: Cells,
    /// The closed set of values a text column can take, when it has one:
    /// a definition naming another value in `eq`, `ne` or `in` is refused.
    pub allowed: Option<Vec<String>>,
}

pub(crate) const MISSING_CODE: u32 = u32::MAX;

/// Customers' features as columns, one row a customer: what segments are
/// evaluated over. Computing the features once and evaluating every segment
/// over them is what makes evaluating many segments cheap.
///
/// A table comes from a [`CustomerBase`](crate::CustomerBase) as of an instant
/// ([`FeatureTable::from_base`]), from plain rows ([`FeatureTable::from_rows`]),
/// or is built column by column; any module's output (RFM scores, P(alive),
/// influence rank) joins as another column.
///
/// # Example
///
/// ```
/// use customer_lifecycle::segment::{FeatureTable, Segment, Value};
///
/// let mut table = FeatureTable::new(vec!["c1".into(), "c2".into(), "c3".into()]);
/// table.add_numbers("recency_days", vec![Some(5.0), Some(90.0), None], true)?;
/// table.add_texts("region", vec![Some("north".into()), Some("south".into()), Some("north".into())], true)?;
/// let segment = Segment::from_json(r#"{"name": "quiet north", "where": {"all": [
///     {"field": "region", "eq": "north"}, {"not": {"field": "recency_days", "lt": 30}}]}}"#)?;
/// let members = table.evaluate(&segment)?;
/// assert_eq!(table.labels_of(&members), vec!["c3"]); // a missing recency is not below 30
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTable {
    labels: Vec<String>,
    columns: Vec<Column>,
    index: HashMap<String, usize>,
    /// Rows whose customer withheld profiling consent.
    withheld: Membership,
    /// Customers [`from_base`](FeatureTable::from_base) left out (no row)
    /// for withheld profiling consent.
    pub(super) left_out: usize,
}

/// A table that cannot be built as asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TableError {
    /// A column's length differs from the number of rows.
    #[error("column {name:?} has {found} values for {rows} rows")]
    Length {
        /// The column.
        name: String,
        /// Its length.
        found: usize,
        /// The rows.
        rows: usize,
    },
    /// Two columns with one name.
    #[error("duplicate column {name:?}")]
    Duplicate {
        /// The name.
        name: String,
    },
    /// A customer's purchases less refunds overflowed.
    #[error("monetary feature: {0}")]
    Money(#[from] MoneyError),
    /// The models could not value the customers.
    #[error("model features: {0}")]
    Model(#[source] crate::clv::ClvError),
    /// A number that is not finite.
    #[error("column {name:?} row {row}: numbers must be finite")]
    NotFinite {
        /// The column.
        name: String,
        /// The row (0-based).
        row: usize,
    },
    /// No column has this name.
    #[error("no column {name:?}")]
    UnknownColumn {
        /// The name.
        name: String,
    },
    /// Values joined by label, none of whose labels is a row's: most likely
    /// keyed otherwise (ids for keys), and a column of nothing but missing
    /// values would silently match nobody.
    #[error("column {name:?}: none of the {given} labels given is a row's label")]
    NoLabelMatched {
        /// The column.
        name: String,
        /// How many values were given.
        given: usize,
    },
    /// A closed set of values declared for a column that does not hold text.
    #[error("column {name:?} does not hold text: only text columns take a closed set of values")]
    NotText {
        /// The column.
        name: String,
    },
    /// A column holds a value outside the closed set declared for it.
    #[error("column {name:?} holds {value:?}, which is not among the values declared for it")]
    ValueNotAllowed {
        /// The column.
        name: String,
        /// The value.
        value: String,
    },
}

impl FeatureTable {
    /// A table with these row labels (customer keys or ids) and no column.
    pub fn new(labels: Vec<String>) -> Self {
        let rows = labels.len();
        FeatureTable {
            labels,
            columns: Vec::new(),
            index: HashMap::new(),
            withheld: Membership::empty(rows),
            left_out: 0,
        }
    }

    /// How many rows.
    pub fn rows(&self) -> usize {
        self.labels.len()
    }

    /// The row labels.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The labels of a membership's rows, in row order.
    pub fn labels_of(&self, members: &Membership) -> Vec<&str> {
        members.rows().map(|r| self.labels[r].as_str()).collect()
    }

    /// The feature names, in the order they were added.
    pub fn feature_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }

    /// Marks the rows whose customer withheld profiling consent: they are
    /// never members of a segment that uses a profiling feature.
    pub fn set_profiling_withheld(&mut self, rows: impl IntoIterator<Item = usize>) {
        let mut withheld = Membership::empty(self.rows());
        for row in rows.into_iter().filter(|&r| r < self.rows()) {
            withheld.insert(row);
        }
        self.withheld = withheld;
    }

    /// The rows whose customer withheld profiling consent.
    pub fn profiling_withheld(&self) -> &Membership {
        &self.withheld
    }

    /// How many customers of the base [`from_base`](FeatureTable::from_base)
    /// left out (they have no row) for withheld profiling consent; 0 for a
    /// table built otherwise.
    pub fn left_out(&self) -> usize {
        self.left_out
    }

    pub(crate) fn column(&self, name: &str) -> Option<&Column> {
        self.index.get(name).map(|&i| &self.columns[i])
    }

    /// The value of a feature in a row (`None` when missing or unknown).
    pub fn value(&self, name: &str, row: usize) -> Option<Value> {
        let column = self.column(name)?;
        match &column.cells {
            Cells::Number(v) => v.get(row).copied().filter(|x| !x.is_nan()).map(Value::Number),
            Cells::Text { codes, dict } => {
                codes.get(row).filter(|&&c| c != MISSING_CODE).map(|&c| Value::Text(dict[c as usize].clone()))
            }
            Cells::Bool(v) => v.get(row).filter(|&&b| b < 2).map(|&b| Value::Bool(b == 1)),
            Cells::Mixed(v) => v.get(row).cloned().flatten(),
        }
    }

    fn push(
        &mut self,
        name: &str,
        declared: Option<FeatureType>,
        profiling: bool,
        cells: Cells,
        len: usize,
    ) -> Result<(), TableError> {
        if len != self.rows() {
            return Err(TableError::Length { name: name.to_owned(), found: len, rows: self.rows() });
        }
        if self.index.contains_key(name) {
            return Err(TableError::Duplicate { name: name.to_owned() });
        }
        self.index.insert(name.to_owned(), self.columns.len());
        self.columns.push(Column { name: name.to_owned(), declared, profiling, cells, allowed: None });
        Ok(())
    }

    /// Adds a numeric feature (`None` for missing). `profiling` says whether
    /// it describes the customer by processing their data (then consent
    /// applies).
    ///
    /// # Errors
    ///
    /// [`TableError`] for a wrong length, a duplicate name or a non-finite number.
    pub fn add_numbers(&mut self, name: &str, values: Vec<Option<f64>>, profiling: bool) -> Result<(), TableError> {
        if let Some(row) = values.iter().position(|v| v.is_some_and(|x| !x.is_finite())) {
            return Err(TableError::NotFinite { name: name.to_owned(), row });
        }
        let len = values.len();
        let cells = Cells::Number(values.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect());
        self.push(name, Some(FeatureType::Number), profiling, cells, len)
    }

    /// Adds a numeric feature given by row label, such as the CLV models'
    /// `p_alive` or `clv` keyed by customer label; rows without a value are
    /// missing, labels not in the table are ignored — unless no label is,
    /// which is an error: values keyed otherwise than the rows (ids for
    /// keys) would leave a column that silently matches nobody.
    ///
    /// # Errors
    ///
    /// [`TableError`] for a duplicate name or a non-finite number;
    /// [`TableError::NoLabelMatched`] when values were given and none of
    /// their labels is a row's.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::segment::{FeatureTable, Value};
    ///
    /// let mut table = FeatureTable::new(vec!["ana".into(), "bo".into()]);
    /// table.join_numbers("p_alive", [("bo", 0.25), ("zed", 1.0)], true)?;
    /// assert_eq!(table.value("p_alive", 0), None);
    /// assert_eq!(table.value("p_alive", 1), Some(Value::Number(0.25)));
    /// assert!(table.join_numbers("clv", [("zed", 9.0)], true).is_err(), "keyed otherwise");
    /// # Ok::<(), customer_lifecycle::segment::TableError>(())
    /// ```
    pub fn join_numbers<K: AsRef<str>>(
        &mut self,
        name: &str,
        values: impl IntoIterator<Item = (K, f64)>,
        profiling: bool,
    ) -> Result<(), TableError> {
        let row_of: HashMap<&str, usize> = self.labels.iter().enumerate().map(|(i, l)| (l.as_str(), i)).collect();
        let mut column = vec![None; self.rows()];
        let (mut given, mut matched) = (0, 0);
        for (label, value) in values {
            given += 1;
            if let Some(&row) = row_of.get(label.as_ref()) {
                column[row] = Some(value);
                matched += 1;
            }
        }
        if given > 0 && matched == 0 {
            return Err(TableError::NoLabelMatched { name: name.to_owned(), given });
        }
        self.add_numbers(name, column, profiling)
    }

    /// Adds a string feature (`None` for missing).
    ///
    /// # Errors
    ///
    /// [`TableError`] for a wrong length or a duplicate name.
    pub fn add_texts(&mut self, name: &str, values: Vec<Option<String>>, profiling: bool) -> Result<(), TableError> {
        let len = values.len();
        let mut dict: Vec<String> = Vec::new();
        let mut lookup: HashMap<String, u32> = HashMap::new();
        let codes = values
            .into_iter()
            .map(|v| match v {
                None => MISSING_CODE,
                Some(s) => *lookup.entry(s).or_insert_with_key(|s| {
                    dict.push(s.clone());
                    (dict.len() - 1) as u32
                }),
            })
            .collect();
        self.push(name, Some(FeatureType::Text), profiling, Cells::Text { codes, dict }, len)
    }

    /// Declares the closed set of values a text column can take (its
    /// categories): a segment that compares the column with any other value
    /// in `eq`, `ne` or `in` is then refused when it is evaluated, rather
    /// than silently matching nobody (or, with `ne`, everybody). Columns are
    /// open until declared; [`from_base`](Self::from_base) declares its
    /// categorical ones (`stage`, `phase`, `nps_category`, `rfm_segment`).
    /// Declaring again replaces the set.
    ///
    /// # Errors
    ///
    /// [`TableError::UnknownColumn`]; [`TableError::NotText`] for a column
    /// that does not hold text; [`TableError::ValueNotAllowed`] when a cell
    /// holds a value outside the set. The table is unchanged after an error.
    ///
    /// # Example
    ///
    /// ```
    /// use customer_lifecycle::segment::{FeatureTable, Segment};
    ///
    /// let mut table = FeatureTable::new(vec!["ana".into(), "bo".into()]);
    /// table.add_texts("tier", vec![Some("gold".into()), None], true)?;
    /// table.close_values("tier", ["gold", "silver"])?;
    /// let typo = Segment::from_json(r#"{"name": "g", "where": {"field": "tier", "eq": "Gold"}}"#)?;
    /// let err = table.evaluate(&typo).unwrap_err();
    /// assert_eq!(err.path, "where.eq");
    /// assert!(err.reason.ends_with("one of: gold, silver"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn close_values<S: Into<String>>(
        &mut self,
        name: &str,
        allowed: impl IntoIterator<Item = S>,
    ) -> Result<(), TableError> {
        let allowed: Vec<String> = allowed.into_iter().map(Into::into).collect();
        let &i = self.index.get(name).ok_or_else(|| TableError::UnknownColumn { name: name.to_owned() })?;
        let column = &mut self.columns[i];
        let Cells::Text { dict, .. } = &column.cells else {
            return Err(TableError::NotText { name: name.to_owned() });
        };
        // The dictionary holds exactly the values present.
        if let Some(value) = dict.iter().find(|v| !allowed.contains(v)) {
            return Err(TableError::ValueNotAllowed { name: name.to_owned(), value: value.clone() });
        }
        column.allowed = Some(allowed);
        Ok(())
    }

    /// Adds a boolean feature (`None` for missing).
    ///
    /// # Errors
    ///
    /// [`TableError`] for a wrong length or a duplicate name.
    pub fn add_bools(&mut self, name: &str, values: Vec<Option<bool>>, profiling: bool) -> Result<(), TableError> {
        let len = values.len();
        let cells = Cells::Bool(values.into_iter().map(|v| v.map_or(2, u8::from)).collect());
        self.push(name, Some(FeatureType::Bool), profiling, cells, len)
    }

    /// Adds an untyped feature whose cells may be of any type, as read from
    /// a plain table: comparisons are typed cell by cell. Stored as numbers
    /// or strings when every cell allows it.
    ///
    /// # Errors
    ///
    /// [`TableError`] for a wrong length, a duplicate name or a non-finite number.
    pub fn add_cells(&mut self, name: &str, values: Vec<Option<Value>>, profiling: bool) -> Result<(), TableError> {
        let len = values.len();
        if let Some(row) = values.iter().position(|v| matches!(v, Some(Value::Number(x)) if !x.is_finite())) {
            return Err(TableError::NotFinite { name: name.to_owned(), row });
        }
        let all_numbers = values.iter().all(|v| matches!(v, None | Some(Value::Number(_))));
        let all_texts = values.iter().all(|v| matches!(v, None | Some(Value::Text(_))));
        if all_numbers {
            let numbers =
                values.into_iter().map(|v| v.map(|v| if let Value::Number(x) = v { x } else { 0.0 })).collect();
            self.add_numbers(name, numbers, profiling)?;
        } else if all_texts {
            let texts =
                values.into_iter().map(|v| v.map(|v| if let Value::Text(s) = v { s } else { String::new() })).collect();
            self.add_texts(name, texts, profiling)?;
        } else {
            return self.push(name, None, profiling, Cells::Mixed(values), len);
        }
        // Stored compactly, but still untyped: compare cell by cell.
        self.columns.last_mut().expect("just pushed").declared = None;
        Ok(())
    }

    /// A table from plain rows: the header names the features, each row is
    /// a label and one cell per feature (`None` for missing). Features are
    /// untyped and non-profiling.
    ///
    /// # Errors
    ///
    /// [`TableError`] for a duplicate name, a ragged row or a non-finite number.
    pub fn from_rows(header: &[String], rows: Vec<(String, Vec<Option<Value>>)>) -> Result<Self, TableError> {
        let mut columns: Vec<Vec<Option<Value>>> = vec![Vec::with_capacity(rows.len()); header.len()];
        let mut labels = Vec::with_capacity(rows.len());
        for (label, cells) in rows {
            if cells.len() != header.len() {
                return Err(TableError::Length { name: label, found: cells.len(), rows: header.len() });
            }
            for (column, cell) in columns.iter_mut().zip(cells) {
                column.push(cell);
            }
            labels.push(label);
        }
        let mut table = FeatureTable::new(labels);
        for (name, cells) in header.iter().zip(columns) {
            table.add_cells(name, cells, false)?;
        }
        Ok(table)
    }
}
