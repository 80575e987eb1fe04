//! Time-invariant covariates on the Pareto/NBD and the BG/NBD: customer
//! characteristics that shift each customer's purchase and dropout rates.
//!
//! The parameterisation is `CLVTools`' (Fader & Hardie 2007, "Incorporating
//! time-invariant covariates into the Pareto/NBD and BG/NBD models"), so
//! that results compare one to one. For customer `i` with covariate row
//! `xᵢ`:
//!
//! | model | purchase | dropout |
//! |---|---|---|
//! | Pareto/NBD | `αᵢ = α·exp(−xᵢ·γ_purchase)` | `βᵢ = β·exp(−xᵢ·γ_dropout)` |
//! | BG/NBD | `αᵢ = α·exp(−xᵢ·γ_purchase)` | `aᵢ = a·exp(xᵢ·γ_dropout)`, `bᵢ = b·exp(xᵢ·γ_dropout)` |
//!
//! A positive purchase coefficient means more purchases (a smaller `αᵢ`,
//! the rate of the gamma mixing the purchase rates); a positive Pareto/NBD
//! dropout coefficient means earlier dropout. Covariates enter raw: no
//! intercept and no centring, so `r, α, …` are the values at `x = 0`. A
//! customer's likelihood is the model's own at the customer's parameters
//! (customers who share a covariate row share one call of the model's
//! likelihood over their histories).
//!
//! What the fit adds to the plain models: standard errors for every
//! parameter and coefficient from the Hessian ([`CovariateFit`]), an L2
//! penalty per process ([`CovariateOptions`]), a covariate whose one
//! coefficient is shared by both processes ([`Process::Both`], an
//! equality constraint), and a likelihood-ratio test between nested fits
//! ([`likelihood_ratio_test`]).
//!
//! The sBG's dropout (`clv::RetentionModel`) takes no covariates here: its
//! data are survivor counts per cohort, not customers, so the natural
//! covariate is one per cohort, which this module does not implement yet.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "sim")] {
//! use customer_lifecycle::clv::{
//!     Coefficient, CovariateData, CovariateKind, CovariateModel, CovariateOptions, CovariateTable, Process,
//! };
//!
//! // Customers with a "loyal" flag that doubles the purchase rate.
//! let truth = CovariateModel::new(
//!     CovariateKind::ParetoNbd,
//!     [0.8, 10.0, 0.6, 12.0],
//!     vec![Coefficient::new("loyal", Process::Purchase, 2f64.ln())],
//! )?;
//! let mut table = CovariateTable::new(vec!["loyal".into()])?;
//! for i in 0..2000 {
//!     table.push(format!("c{i}"), vec![f64::from(i % 2)])?;
//! }
//! let customers = truth.simulate(&table, 52.0, 7)?;
//! let data = CovariateData::new(&customers, &table, &truth.spec())?;
//! let fit = CovariateModel::fit(CovariateKind::ParetoNbd, &data, &CovariateOptions::default())?;
//! let loyal = fit.model.coefficients()[0].value;
//! assert!((loyal - 2f64.ln()).abs() < 0.3, "{loyal}");
//! # }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::clv::bgnbd::{self, Dropout};
use crate::clv::optim::{self, FitOptions, FitReport};
use crate::clv::special::{digamma, ln_gamma};
use crate::clv::{BgNbd, ClvError, CustomerSummary, FitData, History, ParetoNbd, PurchaseModel, TimeUnit, pareto_nbd};
use crate::segment::{FeatureTable, Value};

/// The most coefficients a fit estimates (beside the four model parameters).
pub const MAX_COEFFICIENTS: usize = 12;

/// What went wrong in building covariates or fitting with them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CovariateError {
    /// A customer to fit has no covariate row.
    #[error("customer {customer_id:?} has no covariate row")]
    MissingCustomer {
        /// The customer's key.
        customer_id: String,
    },
    /// Two covariate rows for one customer.
    #[error("customer {customer_id:?} has two covariate rows")]
    DuplicateCustomer {
        /// The customer's key.
        customer_id: String,
    },
    /// A covariate value is missing, not a number or not finite.
    #[error("customer {customer_id:?}, covariate {column:?}: {reason}")]
    InvalidValue {
        /// The customer's key.
        customer_id: String,
        /// The covariate.
        column: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A row has the wrong number of values.
    #[error("customer {customer_id:?} has {found} covariate values for {expected} columns")]
    RowLength {
        /// The customer's key.
        customer_id: String,
        /// The values given.
        found: usize,
        /// The columns of the table.
        expected: usize,
    },
    /// A covariate named that the table does not have.
    #[error("unknown covariate {name:?}")]
    UnknownCovariate {
        /// The name asked for.
        name: String,
    },
    /// A covariate named twice (in the table, or twice for one process).
    #[error("covariate {name:?} named twice")]
    DuplicateCovariate {
        /// The name.
        name: String,
    },
    /// More coefficients than [`MAX_COEFFICIENTS`].
    #[error("{count} covariate coefficients asked for; at most {max} are supported")]
    TooManyCoefficients {
        /// Coefficients asked for.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A covariate takes one value for every customer: without a penalty
    /// its coefficient cannot be told apart from the model's own rate
    /// (or, for zero, has no effect on the likelihood at all).
    #[error("covariate {name:?} is the same for every customer, so its coefficient is not identified")]
    ConstantCovariate {
        /// The covariate.
        name: String,
    },
    /// A coefficient is not finite.
    #[error("coefficient for {name:?} is not finite")]
    InvalidCoefficient {
        /// The covariate.
        name: String,
    },
    /// The model's own error: bad data, a fit that did not converge, ….
    #[error(transparent)]
    Clv(#[from] ClvError),
}

/// A table of numeric covariates keyed by customer: one row of values per
/// customer, one column per covariate.
///
/// # Example
///
/// ```
/// # #[cfg(feature = "csv")] {
/// use customer_lifecycle::clv::CovariateTable;
/// use customer_lifecycle::csv::FeatureCsv;
///
/// let features = FeatureCsv::new().from_reader("customer_id,age,female\na,34,1\nb,51,0\n".as_bytes())?;
/// let table = CovariateTable::from_features(&features, None)?;
/// assert_eq!(table.names(), &["age", "female"]);
/// assert_eq!(table.get("b"), Some(&[51.0, 0.0][..]));
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovariateTable {
    names: Vec<String>,
    keys: Vec<String>,
    values: Vec<f64>,
    #[serde(skip)]
    index: HashMap<String, usize>,
}

impl CovariateTable {
    /// An empty table with these covariate columns.
    ///
    /// # Errors
    ///
    /// [`CovariateError::DuplicateCovariate`] for a name given twice.
    pub fn new(names: Vec<String>) -> Result<CovariateTable, CovariateError> {
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(CovariateError::DuplicateCovariate { name: name.clone() });
            }
        }
        Ok(CovariateTable { names, keys: Vec::new(), values: Vec::new(), index: HashMap::new() })
    }

    /// Adds a customer's row, values in the order of [`names`](Self::names).
    ///
    /// # Errors
    ///
    /// [`CovariateError::RowLength`], [`CovariateError::InvalidValue`] for a
    /// value that is not finite, [`CovariateError::DuplicateCustomer`]; the
    /// table is unchanged then.
    pub fn push(&mut self, customer_id: impl Into<String>, values: Vec<f64>) -> Result<(), CovariateError> {
        let customer_id = customer_id.into();
        if values.len() != self.names.len() {
            return Err(CovariateError::RowLength { customer_id, found: values.len(), expected: self.names.len() });
        }
        if let Some(j) = values.iter().position(|v| !v.is_finite()) {
            return Err(CovariateError::InvalidValue {
                customer_id,
                column: self.names[j].clone(),
                reason: "not a finite number",
            });
        }
        if self.index.contains_key(&customer_id) {
            return Err(CovariateError::DuplicateCustomer { customer_id });
        }
        self.index.insert(customer_id.clone(), self.keys.len());
        self.keys.push(customer_id);
        self.values.extend(values);
        Ok(())
    }

    /// The numeric (or yes/no, as 1/0) features of a segment
    /// [`FeatureTable`] as covariates, its row labels as the keys: `columns`
    /// names the features to take, `None` takes every one. This is how
    /// covariates come from a CSV file (`csv::FeatureCsv`, with a
    /// `customer_id` column), from RFM scores or from customer attributes
    /// loaded into a feature table.
    ///
    /// # Errors
    ///
    /// [`CovariateError::UnknownCovariate`] for a column the table lacks,
    /// [`CovariateError::InvalidValue`] naming the customer and column for
    /// a missing or text cell or a customer who withheld profiling consent
    /// for a profiling feature, and [`CovariateError::DuplicateCustomer`]
    /// for a label that appears twice.
    ///
    /// # Complexity
    ///
    /// O(rows × columns).
    pub fn from_features(table: &FeatureTable, columns: Option<&[&str]>) -> Result<CovariateTable, CovariateError> {
        let names: Vec<String> = match columns {
            Some(columns) => columns.iter().map(|&c| c.to_owned()).collect(),
            None => table.feature_names().map(str::to_owned).collect(),
        };
        let mut out = CovariateTable::new(names.clone())?;
        let mut profiling = Vec::with_capacity(names.len());
        for name in &names {
            let column = table.column(name).ok_or_else(|| CovariateError::UnknownCovariate { name: name.clone() })?;
            profiling.push(column.profiling);
        }
        let withheld = table.profiling_withheld();
        for (row, key) in table.labels().iter().enumerate() {
            let mut values = Vec::with_capacity(names.len());
            for (name, &profiles) in names.iter().zip(&profiling) {
                let bad =
                    |reason| CovariateError::InvalidValue { customer_id: key.clone(), column: name.clone(), reason };
                if profiles && withheld.contains(row) {
                    return Err(bad("the customer withheld consent to profiling"));
                }
                values.push(match table.value(name, row) {
                    Some(Value::Number(x)) => x,
                    Some(Value::Bool(b)) => f64::from(u8::from(b)),
                    Some(Value::Text(_)) => return Err(bad("not a number")),
                    None => return Err(bad("missing")),
                });
            }
            out.push(key.clone(), values)?;
        }
        Ok(out)
    }

    /// The covariate names, in column order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The customers' keys, in row order.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// A customer's row, or `None`.
    pub fn get(&self, customer_id: &str) -> Option<&[f64]> {
        let width = self.names.len();
        self.index.get(customer_id).map(|&i| &self.values[i * width..(i + 1) * width])
    }

    /// The number of customers.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the table has no customers.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    fn column_index(&self, name: &str) -> Result<usize, CovariateError> {
        self.names.iter().position(|n| n == name).ok_or_else(|| CovariateError::UnknownCovariate { name: name.into() })
    }
}

/// Which process a coefficient acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Process {
    /// The purchase process (`α`).
    Purchase,
    /// The dropout process (`β` of the Pareto/NBD, `a` and `b` of the
    /// BG/NBD).
    Dropout,
    /// Both, with one coefficient: the equality constraint
    /// `γ_purchase = γ_dropout` for this covariate.
    Both,
}

impl Process {
    fn purchase(self) -> bool {
        matches!(self, Process::Purchase | Process::Both)
    }

    fn dropout(self) -> bool {
        matches!(self, Process::Dropout | Process::Both)
    }
}

/// One covariate's coefficient on one process (or on both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coefficient {
    /// The covariate's name, as in the table.
    pub name: String,
    /// The process it acts on.
    pub process: Process,
    /// The coefficient `γ`.
    pub value: f64,
}

impl Coefficient {
    /// A coefficient.
    pub fn new(name: impl Into<String>, process: Process, value: f64) -> Coefficient {
        Coefficient { name: name.into(), process, value }
    }
}

/// Which purchase model the covariates act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CovariateKind {
    /// The Pareto/NBD: `[r, α, s, β]`.
    ParetoNbd,
    /// The BG/NBD: `[r, α, a, b]`.
    BgNbd,
}

impl CovariateKind {
    fn names(self) -> [&'static str; 4] {
        match self {
            CovariateKind::ParetoNbd => ["r", "alpha", "s", "beta"],
            CovariateKind::BgNbd => ["r", "alpha", "a", "b"],
        }
    }

    /// The parameters' units: which of them scale with time.
    fn units(self, time: f64) -> [f64; 4] {
        match self {
            CovariateKind::ParetoNbd => [1.0, time, 1.0, time],
            CovariateKind::BgNbd => [1.0, time, 1.0, 1.0],
        }
    }

    /// The customer's parameters from the base ones and the linear
    /// predictors of the two processes.
    fn individual(self, base: &[f64; 4], purchase: f64, dropout: f64) -> [f64; 4] {
        let [r, alpha, c, d] = *base;
        match self {
            CovariateKind::ParetoNbd => [r, alpha * (-purchase).exp(), c, d * (-dropout).exp()],
            CovariateKind::BgNbd => {
                let shift = dropout.exp();
                [r, alpha * (-purchase).exp(), c * shift, d * shift]
            }
        }
    }

    /// The model's negative log-likelihood and gradient on `data`.
    fn nll(self, data: &FitData, p: &[f64; 4], grad: &mut [f64; 4]) -> f64 {
        match self {
            CovariateKind::ParetoNbd => pareto_nbd::value_and_gradient(data, p, grad),
            CovariateKind::BgNbd => bgnbd::negative_log_likelihood(data, p, grad, Dropout::AfterRepeats),
        }
    }
}

/// Which covariates act on which process: the names of a
/// [`CovariateTable`]'s columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CovariateSpec {
    /// Covariates with a coefficient on the purchase process.
    pub purchase: Vec<String>,
    /// Covariates with a coefficient on the dropout process.
    pub dropout: Vec<String>,
    /// Covariates with one coefficient shared by both processes.
    pub both: Vec<String>,
}

impl CovariateSpec {
    /// Every column of the table on both processes, each with its own
    /// coefficient per process.
    pub fn all(table: &CovariateTable) -> CovariateSpec {
        CovariateSpec { purchase: table.names.clone(), dropout: table.names.clone(), both: Vec::new() }
    }

    /// The coefficients in order: purchase, dropout, both.
    fn slots(&self) -> Vec<(String, Process)> {
        let mut out = Vec::new();
        for (names, process) in
            [(&self.purchase, Process::Purchase), (&self.dropout, Process::Dropout), (&self.both, Process::Both)]
        {
            out.extend(names.iter().map(|n| (n.clone(), process)));
        }
        out
    }
}

/// Customers' histories with their covariate rows, ready to fit: customers
/// sharing a covariate row are grouped, and each group's histories are a
/// [`FitData`] of distinct patterns.
#[derive(Debug, Clone, PartialEq)]
pub struct CovariateData {
    /// The coefficients to fit: covariate name and process.
    slots: Vec<(String, Process)>,
    /// The covariate columns used, by name, and each slot's column.
    columns: Vec<String>,
    slot_column: Vec<usize>,
    /// Distinct covariate rows (over `columns`) and their histories.
    rows: Vec<Vec<f64>>,
    groups: Vec<Vec<(u32, f64, f64)>>,
    /// Each customer's group, in input order, and their history.
    customer_group: Vec<usize>,
    histories: Vec<(u32, f64, f64)>,
    time_unit: Option<TimeUnit>,
}

impl CovariateData {
    /// Joins summarised customers to their covariate rows. Every customer
    /// needs a row; rows of other customers are ignored.
    ///
    /// # Errors
    ///
    /// [`CovariateError::MissingCustomer`] naming the first customer
    /// without a row, [`CovariateError::UnknownCovariate`],
    /// [`CovariateError::DuplicateCovariate`] for a name given twice for
    /// one process (or in `both` and in one process),
    /// [`CovariateError::TooManyCoefficients`], and [`ClvError::InvalidData`]
    /// for an impossible history.
    ///
    /// # Complexity
    ///
    /// O(customers × columns) expected.
    pub fn new(
        customers: &[CustomerSummary],
        table: &CovariateTable,
        spec: &CovariateSpec,
    ) -> Result<CovariateData, CovariateError> {
        let slots = spec.slots();
        if slots.len() > MAX_COEFFICIENTS {
            return Err(CovariateError::TooManyCoefficients { count: slots.len(), max: MAX_COEFFICIENTS });
        }
        for (i, (name, process)) in slots.iter().enumerate() {
            let clash = slots[..i]
                .iter()
                .any(|(n, p)| n == name && (p == process || *p == Process::Both || *process == Process::Both));
            if clash {
                return Err(CovariateError::DuplicateCovariate { name: name.clone() });
            }
        }
        let mut columns: Vec<String> = Vec::new();
        let mut table_columns = Vec::new();
        let mut slot_column = Vec::with_capacity(slots.len());
        for (name, _) in &slots {
            let at = table.column_index(name)?;
            let j = if let Some(j) = table_columns.iter().position(|&c| c == at) {
                j
            } else {
                table_columns.push(at);
                columns.push(name.clone());
                table_columns.len() - 1
            };
            slot_column.push(j);
        }
        // Validate every history first, naming the row as FitData does.
        FitData::from_rows(customers.iter().map(|c| (c.frequency, c.recency, c.t, 1.0)))?;
        let mut group_of: HashMap<Vec<u64>, usize> = HashMap::new();
        let (mut rows, mut groups) = (Vec::new(), Vec::<Vec<(u32, f64, f64)>>::new());
        let mut customer_group = Vec::with_capacity(customers.len());
        for c in customers {
            let full =
                table.get(&c.key).ok_or_else(|| CovariateError::MissingCustomer { customer_id: c.key.clone() })?;
            let row: Vec<f64> = table_columns.iter().map(|&j| full[j]).collect();
            // +0.0 and −0.0 are one row.
            let bits: Vec<u64> = row.iter().map(|v| (v + 0.0).to_bits()).collect();
            let g = *group_of.entry(bits).or_insert_with(|| {
                rows.push(row);
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push((c.frequency, c.recency, c.t));
            customer_group.push(g);
        }
        Ok(CovariateData {
            slots,
            columns,
            slot_column,
            rows,
            groups,
            customer_group,
            histories: customers.iter().map(|c| (c.frequency, c.recency, c.t)).collect(),
            time_unit: None,
        })
    }

    /// The customers without covariates, as one group: a fit of it is the
    /// plain model's, with the covariance the bootstrap needs.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidData`] (wrapped) for an impossible history.
    pub fn without_covariates(customers: &[CustomerSummary]) -> Result<CovariateData, CovariateError> {
        FitData::from_rows(customers.iter().map(|c| (c.frequency, c.recency, c.t, 1.0)))?;
        let histories: Vec<(u32, f64, f64)> = customers.iter().map(|c| (c.frequency, c.recency, c.t)).collect();
        Ok(CovariateData {
            slots: Vec::new(),
            columns: Vec::new(),
            slot_column: Vec::new(),
            rows: vec![Vec::new()],
            groups: vec![histories.clone()],
            customer_group: vec![0; histories.len()],
            histories,
            time_unit: None,
        })
    }

    /// The customers at `indices` (with repeats), as a customer bootstrap
    /// draws them.
    pub(crate) fn resample(&self, indices: &[usize]) -> CovariateData {
        let mut group_of = vec![usize::MAX; self.rows.len()];
        let (mut rows, mut groups) = (Vec::new(), Vec::<Vec<(u32, f64, f64)>>::new());
        let mut customer_group = Vec::with_capacity(indices.len());
        for &i in indices {
            let g = self.customer_group[i];
            if group_of[g] == usize::MAX {
                group_of[g] = rows.len();
                rows.push(self.rows[g].clone());
                groups.push(Vec::new());
            }
            groups[group_of[g]].push(self.histories[i]);
            customer_group.push(group_of[g]);
        }
        CovariateData {
            slots: self.slots.clone(),
            columns: self.columns.clone(),
            slot_column: self.slot_column.clone(),
            rows,
            groups,
            customer_group,
            histories: indices.iter().map(|&i| self.histories[i]).collect(),
            time_unit: self.time_unit,
        }
    }

    /// Records the time unit of the histories, which fits carry along.
    #[must_use]
    pub fn with_time_unit(mut self, time_unit: TimeUnit) -> Self {
        self.time_unit = Some(time_unit);
        self
    }

    /// The number of customers.
    pub fn customers(&self) -> usize {
        self.histories.len()
    }

    /// The distinct covariate rows (customers who share one are fitted as
    /// one group).
    pub fn groups(&self) -> usize {
        self.rows.len()
    }

    /// Customer `i`'s covariate row, over the columns of
    /// [`CovariateModel::columns`] of a model fitted to these data, and
    /// their history `(x, t_x, T)`.
    ///
    /// # Panics
    ///
    /// When `i` is not below [`customers`](Self::customers).
    pub fn customer(&self, i: usize) -> (&[f64], (u32, f64, f64)) {
        (&self.rows[self.customer_group[i]], self.histories[i])
    }

    /// The same customers, without covariates (one group).
    fn histories_only(&self) -> FitData {
        let data = FitData::from_rows(self.histories.iter().map(|&(x, tx, t)| (x, tx, t, 1.0)))
            .expect("histories were validated");
        match self.time_unit {
            Some(unit) => data.with_time_unit(unit),
            None => data,
        }
    }
}

/// Settings of a fit with covariates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CovariateOptions {
    /// The model fit's settings; its `l2_penalty` applies to the four
    /// model parameters, as in the fits without covariates.
    pub fit: FitOptions,
    /// An L2 penalty `λ·Σ γ²` on the purchase coefficients, added to the
    /// negative log-likelihood total. Default 0.
    pub purchase_penalty: f64,
    /// An L2 penalty on the dropout coefficients. A coefficient shared by
    /// both processes takes both penalties. Default 0.
    pub dropout_penalty: f64,
}

crate::util::options_setters!(CovariateOptions { fit: FitOptions, purchase_penalty: f64, dropout_penalty: f64 });

impl Default for CovariateOptions {
    fn default() -> Self {
        CovariateOptions { fit: FitOptions::default(), purchase_penalty: 0.0, dropout_penalty: 0.0 }
    }
}

/// A Pareto/NBD or BG/NBD with covariates: the four model parameters (at
/// covariate value 0) and one coefficient per covariate and process.
///
/// The parameterisation is `CLVTools`' (Fader & Hardie 2007), so that
/// results compare one to one. For customer `i` with covariate row `xᵢ`:
///
/// | model | purchase | dropout |
/// |---|---|---|
/// | Pareto/NBD | `αᵢ = α·exp(−xᵢ·γ_purchase)` | `βᵢ = β·exp(−xᵢ·γ_dropout)` |
/// | BG/NBD | `αᵢ = α·exp(−xᵢ·γ_purchase)` | `aᵢ = a·exp(xᵢ·γ_dropout)`, `bᵢ = b·exp(xᵢ·γ_dropout)` |
///
/// A positive purchase coefficient means more purchases; a positive
/// Pareto/NBD dropout coefficient, earlier dropout. Covariates enter raw (no
/// intercept, no centring): `r, α, …` are the values at `x = 0`. A
/// customer's likelihood is the plain model's at the customer's own
/// parameters. The sBG's dropout takes no covariates yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovariateModel {
    kind: CovariateKind,
    params: [f64; 4],
    coefficients: Vec<Coefficient>,
}

/// The model for one customer: the plain model at the customer's own
/// parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum IndividualModel {
    /// A Pareto/NBD.
    ParetoNbd(ParetoNbd),
    /// A BG/NBD.
    BgNbd(BgNbd),
}

impl IndividualModel {
    /// P(alive) at the end of observation for `history`.
    pub fn p_alive(&self, history: History) -> f64 {
        match self {
            IndividualModel::ParetoNbd(m) => m.p_alive(history),
            IndividualModel::BgNbd(m) => m.p_alive(history),
        }
    }

    /// Expected purchases in the next `horizon` time units.
    pub fn expected_purchases(&self, history: History, horizon: f64) -> f64 {
        match self {
            IndividualModel::ParetoNbd(m) => m.expected_purchases(history, horizon),
            IndividualModel::BgNbd(m) => m.expected_purchases(history, horizon),
        }
    }
}

/// A fitted [`CovariateModel`]; a small serde value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CovariateFit {
    /// The maximum-likelihood (or penalised) model.
    pub model: CovariateModel,
    /// The log-likelihood total at the optimum, without the penalties.
    pub log_likelihood: f64,
    /// Standard errors of the four model parameters, on their natural
    /// scale, and of the coefficients, in the order of
    /// [`CovariateModel::coefficients`]; `None` when the Hessian is not
    /// positive definite.
    pub standard_errors: Option<(Vec<f64>, Vec<f64>)>,
    /// The covariance matrix of `(ln r, ln α, ln s|a, ln β|b, γ₁, …)`: the
    /// inverse Hessian of the negative log-likelihood in those
    /// coordinates, the normal approximation the parametric bootstrap
    /// draws from. `None` as for the standard errors.
    pub covariance: Option<Vec<Vec<f64>>>,
    /// Iterations, evaluations and the stop.
    pub report: FitReport,
    /// Customers fitted.
    pub customers: usize,
    /// The number of estimated parameters (4 plus the coefficients).
    pub parameters: usize,
    /// The time unit of the data, when known.
    pub time_unit: Option<TimeUnit>,
}

impl CovariateModel {
    /// A model from its four parameters (`[r, α, s, β]` or `[r, α, a, b]`)
    /// and coefficients.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] (wrapped) for a parameter that is not
    /// positive and finite, [`CovariateError::InvalidCoefficient`] for a
    /// coefficient that is not finite, and
    /// [`CovariateError::DuplicateCovariate`] for a covariate twice on one
    /// process.
    pub fn new(
        kind: CovariateKind,
        params: [f64; 4],
        coefficients: Vec<Coefficient>,
    ) -> Result<CovariateModel, CovariateError> {
        for (name, p) in kind.names().into_iter().zip(params) {
            crate::clv::check_positive(name, p)?;
        }
        for (i, c) in coefficients.iter().enumerate() {
            if !c.value.is_finite() {
                return Err(CovariateError::InvalidCoefficient { name: c.name.clone() });
            }
            let clash = coefficients[..i].iter().any(|o| {
                o.name == c.name && (o.process == c.process || o.process == Process::Both || c.process == Process::Both)
            });
            if clash {
                return Err(CovariateError::DuplicateCovariate { name: c.name.clone() });
            }
        }
        Ok(CovariateModel { kind, params, coefficients })
    }

    /// Which model.
    pub fn kind(&self) -> CovariateKind {
        self.kind
    }

    /// The four model parameters at covariate value 0.
    pub fn params(&self) -> [f64; 4] {
        self.params
    }

    /// The coefficients.
    pub fn coefficients(&self) -> &[Coefficient] {
        &self.coefficients
    }

    /// The covariates the model uses, in first-use order: the columns of
    /// the rows [`individual`](Self::individual) takes.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.coefficients {
            if !out.contains(&c.name) {
                out.push(c.name.clone());
            }
        }
        out
    }

    /// Which covariates act on which process, as a spec to build
    /// [`CovariateData`] with.
    pub fn spec(&self) -> CovariateSpec {
        let pick = |p: Process| self.coefficients.iter().filter(|c| c.process == p).map(|c| c.name.clone()).collect();
        CovariateSpec { purchase: pick(Process::Purchase), dropout: pick(Process::Dropout), both: pick(Process::Both) }
    }

    /// The linear predictors `(x·γ_purchase, x·γ_dropout)` of a row over
    /// [`columns`](Self::columns).
    fn predictors(&self, row: &[f64]) -> (f64, f64) {
        let (mut purchase, mut dropout) = (0.0, 0.0);
        for c in &self.coefficients {
            // The column of c's covariate: how many distinct names first
            // appear before its own first use (no allocation: this runs per
            // customer and bootstrap draw).
            let first = self.coefficients.iter().position(|o| o.name == c.name).unwrap_or(0);
            let j = (0..first)
                .filter(|&i| self.coefficients[..i].iter().all(|o| o.name != self.coefficients[i].name))
                .count();
            let x = row.get(j).copied().unwrap_or(0.0);
            if c.process.purchase() {
                purchase += x * c.value;
            }
            if c.process.dropout() {
                dropout += x * c.value;
            }
        }
        (purchase, dropout)
    }

    /// The plain model at the parameters of a customer whose covariate row
    /// (over [`columns`](Self::columns)) is `row`.
    ///
    /// # Errors
    ///
    /// [`ClvError::InvalidParameter`] when the customer's parameters
    /// overflow or vanish (a huge covariate value).
    pub fn individual(&self, row: &[f64]) -> Result<IndividualModel, ClvError> {
        let (purchase, dropout) = self.predictors(row);
        let [r, alpha, c, d] = self.kind.individual(&self.params, purchase, dropout);
        Ok(match self.kind {
            CovariateKind::ParetoNbd => IndividualModel::ParetoNbd(ParetoNbd::new(r, alpha, c, d)?),
            CovariateKind::BgNbd => IndividualModel::BgNbd(BgNbd::new(r, alpha, c, d)?),
        })
    }

    /// The log-likelihood total of the data under the model.
    ///
    /// # Errors
    ///
    /// As [`individual`](Self::individual).
    ///
    /// # Complexity
    ///
    /// O(customers), grouped by covariate row.
    pub fn log_likelihood(&self, data: &CovariateData) -> Result<f64, CovariateError> {
        let columns = self.columns();
        let at: Vec<Option<usize>> = columns.iter().map(|n| data.columns.iter().position(|c| c == n)).collect();
        // Fixed blocks of covariate rows, summed on the thread pool and
        // added in block order: the same total on any number of threads.
        let groups = data.rows.len();
        let blocks: Vec<usize> = (0..groups.div_ceil(EVAL_BLOCK)).collect();
        let parts = crate::util::par_map(&blocks, |&b| -> Result<f64, ClvError> {
            let mut total = 0.0;
            for g in b * EVAL_BLOCK..((b + 1) * EVAL_BLOCK).min(groups) {
                let row: Vec<f64> = at.iter().map(|j| j.map_or(0.0, |j| data.rows[g][j])).collect();
                let (purchase, dropout) = self.predictors(&row);
                let p = self.kind.individual(&self.params, purchase, dropout);
                let fit = FitData::from_rows(data.groups[g].iter().map(|&(x, tx, t)| (x, tx, t, 1.0)))?;
                total -= self.kind.nll(&fit, &p, &mut [0.0; 4]);
            }
            Ok(total)
        });
        let mut total = 0.0;
        for part in parts {
            total += part?;
        }
        Ok(total)
    }

    /// Fits the model by (penalised) maximum likelihood, from `r = α = … = 1`
    /// and every coefficient 0, in canonical units (times divided by the
    /// mean `T`, covariates by their root mean square, weights by the
    /// number of customers) so that neither the time unit nor the scale of
    /// a covariate reaches the search.
    ///
    /// # Formula
    ///
    /// `ln L = Σ_i ln L_model(x_i, t_x,i, T_i | r, αᵢ, …)` with each
    /// customer's parameters as in the table above; the penalties
    /// add `λ_purchase·Σ γ² + λ_dropout·Σ γ²`.
    ///
    /// # Complexity
    ///
    /// Each evaluation takes every distinct history of every distinct
    /// covariate row once, with nothing allocated per row (O(customers) for
    /// continuous covariates; a row shared by many customers is summed as
    /// the plain model's patterns, sharing its series terms); the standard
    /// errors take `4 + k` more. The per-history sum gives the fitted values
    /// of the per-row sums before it to within 1e-13 relative, the standard
    /// errors to within 1e-9 (they come from a forward-difference Hessian).
    ///
    /// # Errors
    ///
    /// [`CovariateError::ConstantCovariate`] for a coefficient whose
    /// covariate is the same for every customer and whose process has no
    /// penalty; [`ClvError::Unidentifiable`], [`ClvError::InvalidOption`]
    /// (also for a negative or non-finite penalty),
    /// [`ClvError::Unbounded`] (a coefficient running off is named
    /// `gamma_purchase`, `gamma_dropout` or `gamma_both`) and
    /// [`ClvError::NotConverged`], wrapped.
    pub fn fit(
        kind: CovariateKind,
        data: &CovariateData,
        options: &CovariateOptions,
    ) -> Result<CovariateFit, CovariateError> {
        for (name, value) in
            [("purchase_penalty", options.purchase_penalty), ("dropout_penalty", options.dropout_penalty)]
        {
            if !(value.is_finite() && value >= 0.0) {
                return Err(ClvError::InvalidOption { name, value }.into());
            }
        }
        macro_rules! dispatch {
            ($($n:literal),*) => {
                match data.slots.len() + 4 {
                    $($n => fit_n::<$n>(kind, data, options),)*
                    _ => Err(CovariateError::TooManyCoefficients { count: data.slots.len(), max: MAX_COEFFICIENTS }),
                }
            };
        }
        dispatch!(4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16)
    }
}

/// The fit with `N − 4` coefficients.
fn fit_n<const N: usize>(
    kind: CovariateKind,
    data: &CovariateData,
    options: &CovariateOptions,
) -> Result<CovariateFit, CovariateError> {
    let plain = data.histories_only();
    plain.check_identifiable()?;
    let k = N - 4;
    let weight = data.customers() as f64;
    let time = data.histories.iter().map(|h| h.2).sum::<f64>() / weight;
    // Each column's root mean square over the customers (1 for a column of
    // zeros), and whether it is constant.
    let width = data.columns.len();
    let mut scale = vec![0.0; width];
    let mut constant = vec![true; width];
    for &g in &data.customer_group {
        let row = &data.rows[g];
        for j in 0..width {
            scale[j] += row[j] * row[j] / weight;
            constant[j] &= row[j] == data.rows[data.customer_group[0]][j];
        }
    }
    let scale: Vec<f64> = scale.iter().map(|s| if *s > 0.0 { s.sqrt() } else { 1.0 }).collect();
    let penalty_of = |process: Process| match process {
        Process::Purchase => options.purchase_penalty,
        Process::Dropout => options.dropout_penalty,
        Process::Both => options.purchase_penalty + options.dropout_penalty,
    };
    for (s, (name, process)) in data.slots.iter().enumerate() {
        if constant[data.slot_column[s]] && penalty_of(*process) == 0.0 {
            return Err(CovariateError::ConstantCovariate { name: name.clone() });
        }
    }
    // Canonical histories: times by the time scale, each customer weighing 1/W.
    let slot_scale: Vec<f64> = (0..k).map(|s| scale[data.slot_column[s]]).collect();
    let processes: Vec<Process> = data.slots.iter().map(|s| s.1).collect();
    // The canonical penalty on γ̃ = γ·scale: λ·(γ̃/scale)²/W.
    let lambda: Vec<f64> =
        (0..k).map(|s| penalty_of(processes[s]) / (slot_scale[s] * slot_scale[s]) / weight).collect();

    // Warm start: the search's 1 is the fit without covariates (on a
    // sample of a large data set), where the coefficients' 0 puts every
    // customer; from the fixed 1 when that fit fails.
    let start = warm_start(kind, &data.histories, &options.fit, time);
    let problem = Problem::new(kind, data, time, &slot_scale, lambda.clone(), start)?;
    let objective = |p: &[f64; N], grad: &mut [f64; N]| problem.eval(p, grad);
    let units = kind.units(time);
    let scales = optim::Scales { units: std::array::from_fn(|i| units[i] * start[i]), weight };
    let base_penalty = scales.penalty(&options.fit);
    let penalty: [f64; N] = std::array::from_fn(|i| if i < 4 { base_penalty[i] } else { 0.0 });
    let names: [&'static str; N] = std::array::from_fn(|i| match i {
        0..4 => kind.names()[i],
        _ => match processes[i - 4] {
            Process::Purchase => "gamma_purchase",
            Process::Dropout => "gamma_dropout",
            Process::Both => "gamma_both",
        },
    });
    // From the warm start a Newton-like search takes far fewer evaluations
    // (each a pass over every customer) than the N its first Hessian costs;
    // on many customers that Hessian, a guess the search refines anyway,
    // comes from the warm start's sample of them.
    let first = if data.customers() > 2 * WARM_SAMPLE {
        let sample = data.resample(&sample_indices(data.customers()));
        let stand_in = Problem::new(kind, &sample, time, &slot_scale, lambda, start)?;
        optim::start_inverse_hessian(&penalty, |p: &[f64; N], grad: &mut [f64; N]| stand_in.eval(p, grad))
            .map_or(optim::Start::Identity, optim::Start::Inverse)
    } else {
        optim::Start::Hessian
    };
    let min = optim::minimise_from(&options.fit, names, penalty, first, objective)?;
    let natural = scales.natural(&[min.params[0], min.params[1], min.params[2], min.params[3]]);
    let coefficients: Vec<Coefficient> = (0..k)
        .map(|s| Coefficient::new(data.slots[s].0.clone(), processes[s], min.params[4 + s].ln() / slot_scale[s]))
        .collect();
    let model = CovariateModel::new(kind, natural, coefficients)?;

    // The Hessian in θ = (ln p_canonical, γ̃), with the base penalty: the
    // one the search checked its stop with, when it did (a fit without the
    // base penalty), else by the same forward differences here.
    let hessian = min.hessian.unwrap_or_else(|| {
        let theta: [f64; N] = min.params.map(f64::ln);
        let grad_theta = |t: &[f64; N], g: &mut [f64; N]| {
            let p: [f64; N] = t.map(f64::exp);
            objective(&p, g);
            for i in 0..N {
                g[i] = (g[i] + 2.0 * penalty[i] * p[i]) * p[i];
            }
        };
        let mut at = [0.0; N];
        grad_theta(&theta, &mut at);
        optim::forward_hessian(&theta, &at, |x| x + 1e-5, grad_theta)
    });
    let covariance = optim::invert_spd(&hessian).map(|inv| {
        // Per unit weight → total; γ̃ → γ divides by the scales.
        let unit = |i: usize| if i < 4 { 1.0 } else { slot_scale[i - 4] };
        (0..N).map(|i| (0..N).map(|j| inv[i][j] / weight / (unit(i) * unit(j))).collect()).collect::<Vec<Vec<f64>>>()
    });
    let covariance = covariance.filter(|c| (0..N).all(|i| c[i][i].is_finite() && c[i][i] > 0.0));
    let standard_errors = covariance.as_ref().map(|c| {
        let base = (0..4).map(|i| natural[i] * c[i][i].sqrt()).collect();
        let coefficients = (4..N).map(|i| c[i][i].sqrt()).collect();
        (base, coefficients)
    });
    let log_likelihood = model.log_likelihood(data)?;
    Ok(CovariateFit {
        model,
        log_likelihood,
        standard_errors,
        covariance,
        report: min.report,
        customers: data.customers(),
        parameters: N,
        time_unit: data.time_unit,
    })
}

/// The canonical parameters of the plain model's maximum-likelihood fit
/// (α and β divided by the time scale `time`) to the customers, or to a
/// sample of about [`WARM_SAMPLE`] of them when there are more; 1s when that fit
/// fails. Only the search runs: a start needs no standard errors.
fn warm_start(kind: CovariateKind, histories: &[(u32, f64, f64)], options: &FitOptions, time: f64) -> [f64; 4] {
    let sample: Vec<(u32, f64, f64)> = sample_indices(histories.len()).into_iter().map(|i| histories[i]).collect();
    let weight = 1.0 / sample.len() as f64;
    let rows = sample.iter().map(|&(x, tx, t)| (x, tx / time, t / time, weight));
    let Ok(data) = FitData::from_rows(rows) else {
        return [1.0; 4];
    };
    if data.check_identifiable().is_err() {
        return [1.0; 4];
    }
    // The penalty per unit weight of the whole data's canonical objective.
    let scales = optim::Scales { units: kind.units(time), weight: histories.len() as f64 };
    optim::minimise(options, kind.names(), scales.penalty(options), |p, g| kind.nll(&data, p, g))
        .map_or([1.0; 4], |min| min.params)
}

/// The positions of about [`WARM_SAMPLE`] of `n` customers (all of them
/// when there are no more), in order: a customer is in the sample by a hash
/// of their position, so that an order of the input (by a covariate, by
/// tenure) does not bias it.
fn sample_indices(n: usize) -> Vec<usize> {
    let stride = n.div_ceil(WARM_SAMPLE).max(1) as u64;
    let chosen =
        |i: usize| stride == 1 || ((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32).is_multiple_of(stride);
    (0..n).filter(|&i| chosen(i)).collect()
}

/// About the most customers the warm start fits: beyond, a sample (one
/// customer in k, chosen by a hash of the position) is as good a start, at
/// a fraction of the plain fit's cost on the whole data.
const WARM_SAMPLE: usize = 10_000;

/// Covariate rows with at least this many distinct histories are summed
/// as a [`FitData`] by the plain model's likelihood, which shares the
/// series terms of equal `t_x` and `T` within each `x`; smaller ones (a
/// continuous covariate gives each customer a row of their own) one
/// history at a time, with nothing allocated.
const SHARED_GROUP: usize = 64;

/// The canonical histories of a fit, by covariate row: the rows'
/// distinct histories laid out flat, except for large rows, kept as a
/// [`FitData`] each.
struct Cells {
    /// Per covariate row, the range of its histories in the columns below
    /// (empty for a large row).
    start: Vec<usize>,
    /// Per covariate row, its histories as patterns when it is large.
    large: Vec<Option<FitData>>,
    x: Vec<u32>,
    /// Index of each history's `x` in `xs`.
    x_level: Vec<u32>,
    t_x: Vec<f64>,
    t: Vec<f64>,
    count: Vec<f64>,
    /// The distinct `x` of the flat histories, ascending.
    xs: Vec<u32>,
}

impl Cells {
    /// Times divided by `time`, each customer weighing `1/weight`; equal
    /// histories within a row are combined, sorted by `(x, t_x, T)`.
    fn new(groups: &[Vec<(u32, f64, f64)>], time: f64, weight: f64) -> Result<Cells, ClvError> {
        let mut cells = Cells {
            start: Vec::with_capacity(groups.len() + 1),
            large: Vec::with_capacity(groups.len()),
            x: Vec::new(),
            x_level: Vec::new(),
            t_x: Vec::new(),
            t: Vec::new(),
            count: Vec::new(),
            xs: Vec::new(),
        };
        let mut sorted = Vec::new();
        for group in groups {
            cells.start.push(cells.x.len());
            if group.len() >= SHARED_GROUP {
                let rows = group.iter().map(|&(x, tx, t)| (x, tx / time, t / time, 1.0 / weight));
                cells.large.push(Some(FitData::from_rows(rows)?));
                continue;
            }
            cells.large.push(None);
            sorted.clear();
            sorted.extend(group.iter().map(|&(x, tx, t)| (x, tx / time, t / time)));
            sorted.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.total_cmp(&b.2)));
            let first = cells.x.len();
            for &(x, tx, t) in &sorted {
                let n = cells.x.len();
                if n > first && cells.x[n - 1] == x && cells.t_x[n - 1] == tx && cells.t[n - 1] == t {
                    cells.count[n - 1] += 1.0 / weight;
                } else {
                    cells.x.push(x);
                    cells.t_x.push(tx);
                    cells.t.push(t);
                    cells.count.push(1.0 / weight);
                }
            }
        }
        cells.start.push(cells.x.len());
        cells.xs.clone_from(&cells.x);
        cells.xs.sort_unstable();
        cells.xs.dedup();
        cells.x_level = cells.x.iter().map(|x| cells.xs.binary_search(x).map_or(0, |i| i as u32)).collect();
        Ok(cells)
    }

    fn groups(&self) -> usize {
        self.large.len()
    }
}

/// The canonical objective of a fit with covariates: per distinct
/// covariate row, its histories (times in canonical units, each customer
/// weighing 1/W) and its scaled covariates per coefficient.
struct Problem {
    kind: CovariateKind,
    cells: Cells,
    /// Per covariate row, the scaled covariate of each coefficient, row
    /// after row.
    z: Vec<f64>,
    processes: Vec<Process>,
    /// The penalty on each canonical coefficient.
    lambda: Vec<f64>,
    /// The canonical parameters the search's 1 stands for.
    start: [f64; 4],
}

impl Problem {
    /// The objective of a fit of `data`: times divided by `time`, each
    /// customer weighing 1/customers, each slot's covariate divided by its
    /// scale.
    fn new(
        kind: CovariateKind,
        data: &CovariateData,
        time: f64,
        slot_scale: &[f64],
        lambda: Vec<f64>,
        start: [f64; 4],
    ) -> Result<Problem, ClvError> {
        let k = data.slots.len();
        let cells = Cells::new(&data.groups, time, data.customers() as f64)?;
        // Per group, the scaled covariate of each slot.
        // (Flat, row after row: this is read once per row and evaluation.)
        let z: Vec<f64> =
            data.rows.iter().flat_map(|row| (0..k).map(|s| row[data.slot_column[s]] / slot_scale[s])).collect();
        let processes = data.slots.iter().map(|s| s.1).collect();
        Ok(Problem { kind, cells, z, processes, lambda, start })
    }

    /// The objective at `p` (the four canonical parameters, then
    /// `exp(γ̃)` per coefficient) and its gradient in `p`.
    fn eval<const N: usize>(&self, p: &[f64; N], grad: &mut [f64; N]) -> f64 {
        let k = self.processes.len();
        let base: [f64; 4] = std::array::from_fn(|i| p[i] * self.start[i]);
        let gamma: Vec<f64> = (0..k).map(|s| p[4 + s].ln()).collect();
        let by_x = XTerms::new(self.kind, &self.cells.xs, base[0], base[2]);
        // Fixed blocks of consecutive rows (fixed by the data alone), each
        // summed on one thread and added in block order: the same sums for
        // any number of threads.
        let groups = self.cells.groups();
        let blocks: Vec<usize> = (0..groups.div_ceil(EVAL_BLOCK)).collect();
        let parts = crate::util::par_map(&blocks, |&b| {
            let rows = b * EVAL_BLOCK..((b + 1) * EVAL_BLOCK).min(groups);
            self.eval_rows::<N>(rows, &base, &gamma, &by_x)
        });
        let mut total = 0.0;
        let mut g = [0.0; N];
        for (t, part) in parts {
            total += t;
            for (gi, pi) in g.iter_mut().zip(part) {
                *gi += pi;
            }
        }
        for i in 0..4 {
            g[i] *= self.start[i];
        }
        for s in 0..k {
            total += self.lambda[s] * gamma[s] * gamma[s];
            g[4 + s] += 2.0 * self.lambda[s] * gamma[s];
            // The minimiser wants d/dp with p = e^γ̃.
            g[4 + s] /= p[4 + s];
        }
        *grad = g;
        total
    }

    /// The unpenalised objective and its gradient (in the base parameters,
    /// before the start's factor, and in γ̃) summed over the covariate rows
    /// `rows`, in order.
    fn eval_rows<const N: usize>(
        &self,
        rows: std::ops::Range<usize>,
        base: &[f64; 4],
        gamma: &[f64],
        by_x: &XTerms,
    ) -> (f64, [f64; N]) {
        let k = self.processes.len();
        let mut total = 0.0;
        let mut g = [0.0; N];
        let mut local = [0.0; 4];
        for row in rows {
            let z = &self.z[row * k..(row + 1) * k];
            let (mut purchase, mut dropout) = (0.0, 0.0);
            for s in 0..k {
                if self.processes[s].purchase() {
                    purchase += z[s] * gamma[s];
                }
                if self.processes[s].dropout() {
                    dropout += z[s] * gamma[s];
                }
            }
            let q = self.kind.individual(base, purchase, dropout);
            total += if let Some(data) = &self.cells.large[row] {
                self.kind.nll(data, &q, &mut local)
            } else {
                let cells = self.cells.start[row]..self.cells.start[row + 1];
                match self.kind {
                    CovariateKind::ParetoNbd => pareto_cells(&self.cells, cells, &q, by_x, &mut local),
                    CovariateKind::BgNbd => bgnbd_cells(&self.cells, cells, &q, by_x, &mut local),
                }
            };
            // Chain rule: d/d(base) and d/d(linear predictors).
            g[0] += local[0];
            g[1] += local[1] * q[1] / base[1];
            g[2] += local[2] * q[2] / base[2];
            g[3] += local[3] * q[3] / base[3];
            // (The start's factor is applied once, below.)
            let d_purchase = -local[1] * q[1];
            let d_dropout = match self.kind {
                CovariateKind::ParetoNbd => -local[3] * q[3],
                CovariateKind::BgNbd => local[2] * q[2] + local[3] * q[3],
            };
            for s in 0..k {
                let mut d = 0.0;
                if self.processes[s].purchase() {
                    d += d_purchase;
                }
                if self.processes[s].dropout() {
                    d += d_dropout;
                }
                g[4 + s] += d * z[s];
            }
        }
        (total, g)
    }
}

/// What the histories of one `x` share within an evaluation, per level of
/// `x` (`r` and `s` are every customer's; only the rates vary).
struct XTerms {
    /// `ln Γ(r+x) − ln Γ(r)` and `ψ(r+x) − ψ(r)`.
    gamma: Vec<(f64, f64)>,
    /// `ln(r+s+x)`, for the Pareto/NBD's tails (empty for the BG/NBD).
    ln_rsx: Vec<f64>,
    /// `ln s` (the Pareto/NBD's; unused for the BG/NBD).
    ln_s: f64,
}

impl XTerms {
    fn new(kind: CovariateKind, xs: &[u32], r: f64, s: f64) -> XTerms {
        let (lg_r, dg_r) = (ln_gamma(r), digamma(r));
        let gamma = xs
            .iter()
            .map(|&x| {
                let rx = r + f64::from(x);
                (ln_gamma(rx) - lg_r, digamma(rx) - dg_r)
            })
            .collect();
        let ln_rsx = match kind {
            CovariateKind::ParetoNbd => xs.iter().map(|&x| (r + s + f64::from(x)).ln()).collect(),
            CovariateKind::BgNbd => Vec::new(),
        };
        XTerms { gamma, ln_rsx, ln_s: s.ln() }
    }
}

/// The Pareto/NBD's negative log-likelihood and its gradient in
/// `q = [r, α, s, β]` over the histories `range` of `cells`, one at a time
/// (the same terms as `pareto_nbd::value_and_gradient`, without its
/// tables); `by_x` holds `ln Γ(r+x) − ln Γ(r)` and `ψ(r+x) − ψ(r)` per
/// level of `x`, with `ln(r+s+x)` and `ln s` ([`XTerms`]).
fn pareto_cells(cells: &Cells, range: std::ops::Range<usize>, q: &[f64; 4], by_x: &XTerms, grad: &mut [f64; 4]) -> f64 {
    let [r, alpha, s, beta] = *q;
    let (ln_alpha, ln_beta) = (alpha.ln(), beta.ln());
    let (mut total, mut g) = (0.0, [0.0; 4]);
    for i in range {
        let (xf, t, count) = (f64::from(cells.x[i]), cells.t[i], cells.count[i]);
        let ln_t = ((alpha + t).ln(), (beta + t).ln());
        let level = cells.x_level[i] as usize;
        let t_x = cells.t_x[i];
        let (bracket, d) = pareto_nbd::pattern_with_gradient(q, by_x.ln_s, xf, t_x, t, ln_t, || {
            // Both tails in one pass of the series, ln(α + T) and
            // ln(β + T) reused, and ln α and ln β at t_x = 0 (every
            // customer without a repeat purchase).
            let ln_tx = if t_x == 0.0 { (ln_alpha, ln_beta) } else { ((alpha + t_x).ln(), (beta + t_x).ln()) };
            let [at_tx, at_t] = pareto_nbd::ln_tails_with_gradient(q, xf, [t_x, t], [ln_tx, ln_t], by_x.ln_rsx[level]);
            (at_tx, at_t)
        });
        let (lg, dg) = by_x.gamma[level];
        total += count * (bracket + lg + r * ln_alpha + s * ln_beta);
        g[0] += count * (d[0] + dg + ln_alpha);
        g[1] += count * (d[1] + r / alpha);
        g[2] += count * (d[2] + ln_beta);
        g[3] += count * (d[3] + s / beta);
    }
    *grad = g.map(|v| -v);
    -total
}

/// The BG/NBD's negative log-likelihood and its gradient in
/// `q = [r, α, a, b]` over the histories `range` of `cells`, one at a time
/// (the same terms as `bgnbd::negative_log_likelihood`); `by_x` as for
/// [`pareto_cells`].
fn bgnbd_cells(cells: &Cells, range: std::ops::Range<usize>, q: &[f64; 4], by_x: &XTerms, grad: &mut [f64; 4]) -> f64 {
    let [r, alpha, a, b] = *q;
    let (ln_alpha, ln_a) = (alpha.ln(), a.ln());
    let (mut total, mut g) = (0.0, [0.0; 4]);
    for i in range {
        let (x, count) = (cells.x[i], cells.count[i]);
        let rx = r + f64::from(x);
        let (ln_t, inv_t) = {
            let v = alpha + cells.t[i];
            (v.ln(), 1.0 / v)
        };
        let a3 = -rx * ln_t;
        let (lg, dg) = by_x.gamma[cells.x_level[i] as usize];
        let (beta, d_beta_a, d_beta_b) = ln_beta_ratio(a, b, x);
        let shared = lg + r * ln_alpha + beta;
        g[0] += count * (dg + ln_alpha);
        g[1] += count * r / alpha;
        g[2] += count * d_beta_a;
        g[3] += count * d_beta_b;
        if x > 0 {
            let v = alpha + cells.t_x[i];
            let (ln_tx, inv_tx) = (v.ln(), 1.0 / v);
            let b1 = b + f64::from(x) - 1.0;
            let a4 = ln_a - b1.ln() - rx * ln_tx;
            let (hi, lo) = if a3 >= a4 { (a3, a4) } else { (a4, a3) };
            let sum = 1.0 + (lo - hi).exp();
            let share_hi = 1.0 / sum;
            let (w3, w4) = if a3 >= a4 { (share_hi, 1.0 - share_hi) } else { (1.0 - share_hi, share_hi) };
            total += count * (hi + sum.ln() + shared);
            g[0] -= count * (w3 * ln_t + w4 * ln_tx);
            g[1] -= count * rx * (w3 * inv_t + w4 * inv_tx);
            g[2] += count * w4 / a;
            g[3] -= count * w4 / b1;
        } else {
            total += count * (a3 + shared);
            g[0] -= count * ln_t;
            g[1] -= count * rx * inv_t;
        }
    }
    *grad = g.map(|v| -v);
    -total
}

/// `ln[B(a, b+x) / B(a, b)]` and its derivatives in `a` and `b`: for small
/// `x` as `ln Π_{j<x} (b+j)/(a+b+j)` (one logarithm instead of four ln Γ
/// and four ψ), else by ln Γ and ψ.
fn ln_beta_ratio(a: f64, b: f64, x: u32) -> (f64, f64, f64) {
    if x == 0 {
        return (0.0, 0.0, 0.0);
    }
    if x <= 24 {
        let (mut product, mut inv_b, mut inv_ab) = (1.0, 0.0, 0.0);
        for j in 0..x {
            let j = f64::from(j);
            product *= (b + j) / (a + b + j);
            inv_b += 1.0 / (b + j);
            inv_ab += 1.0 / (a + b + j);
        }
        if product.is_normal() {
            return (product.ln(), -inv_ab, inv_b - inv_ab);
        }
    }
    let xf = f64::from(x);
    let value = ln_gamma(a + b) - ln_gamma(b) + ln_gamma(b + xf) - ln_gamma(a + b + xf);
    let d_ab = digamma(a + b) - digamma(a + b + xf);
    (value, d_ab, d_ab + digamma(b + xf) - digamma(b))
}

/// Covariate rows per block of [`Problem::eval`]'s sum.
const EVAL_BLOCK: usize = 512;

/// The result of [`likelihood_ratio_test`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LikelihoodRatio {
    /// `2·(ln L_full − ln L_restricted)`, at least 0.
    pub statistic: f64,
    /// Degrees of freedom: the difference in estimated parameters.
    pub df: usize,
    /// `P(χ²_df ≥ statistic)`.
    pub p_value: f64,
}

/// The likelihood-ratio test of a restricted fit against a fuller one that
/// nests it (for instance without and with a covariate, or with a shared
/// coefficient and with two), both on the same customers.
///
/// # Formula
///
/// `LR = 2·(ln L_full − ln L_restricted)` against `χ²` with
/// `df = parameters_full − parameters_restricted`.
///
/// # Errors
///
/// [`ClvError::InvalidOption`] (wrapped) when the full fit has no more
/// parameters than the restricted one (`name = "df"`) or the two fits are
/// of different numbers of customers (`name = "customers"`).
///
/// # Example
///
/// ```
/// # #[cfg(feature = "sim")] {
/// use customer_lifecycle::clv::{
///     Coefficient, CovariateData, CovariateKind, CovariateModel, CovariateOptions, CovariateTable, Process,
///     likelihood_ratio_test,
/// };
///
/// // A "loyal" flag that doubles the purchase rate: the fit without it is rejected.
/// let truth = CovariateModel::new(
///     CovariateKind::ParetoNbd,
///     [0.8, 10.0, 0.6, 12.0],
///     vec![Coefficient::new("loyal", Process::Purchase, 2f64.ln())],
/// )?;
/// let mut table = CovariateTable::new(vec!["loyal".into()])?;
/// for i in 0..2000 {
///     table.push(format!("c{i}"), vec![f64::from(i % 2)])?;
/// }
/// let customers = truth.simulate(&table, 52.0, 7)?;
/// let options = CovariateOptions::default();
/// let full = CovariateModel::fit(CovariateKind::ParetoNbd, &CovariateData::new(&customers, &table, &truth.spec())?, &options)?;
/// let restricted = CovariateModel::fit(CovariateKind::ParetoNbd, &CovariateData::without_covariates(&customers)?, &options)?;
/// let test = likelihood_ratio_test(&restricted, &full)?;
/// assert!(test.p_value < 0.01, "{test:?}");
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn likelihood_ratio_test(
    restricted: &CovariateFit,
    full: &CovariateFit,
) -> Result<LikelihoodRatio, CovariateError> {
    if full.parameters <= restricted.parameters {
        let value = full.parameters as f64 - restricted.parameters as f64;
        return Err(ClvError::InvalidOption { name: "df", value }.into());
    }
    if full.customers != restricted.customers {
        let value = full.customers as f64 - restricted.customers as f64;
        return Err(ClvError::InvalidOption { name: "customers", value }.into());
    }
    Ok(LikelihoodRatio::between(
        full.log_likelihood,
        restricted.log_likelihood,
        full.parameters - restricted.parameters,
    )?)
}

impl LikelihoodRatio {
    /// The test of two nested fits' log-likelihoods with `df` more
    /// parameters in the full one.
    pub(crate) fn between(full: f64, restricted: f64, df: usize) -> Result<LikelihoodRatio, ClvError> {
        use statrs::distribution::{ChiSquared, ContinuousCDF};
        let statistic = (2.0 * (full - restricted)).max(0.0);
        let chi = ChiSquared::new(df as f64).map_err(|_| ClvError::InvalidOption { name: "df", value: df as f64 })?;
        Ok(LikelihoodRatio { statistic, df, p_value: chi.sf(statistic) })
    }
}

#[cfg(feature = "sim")]
impl CovariateModel {
    /// Simulates the customers of a covariate table (in its row order),
    /// each observed for `t` time units after the first purchase, from the
    /// model at each one's own parameters; customer `i` draws from its own
    /// `ChaCha8` stream, seeded by `seed` and `i`. Keys are the table's.
    ///
    /// # Errors
    ///
    /// [`CovariateError::UnknownCovariate`] when the table lacks a
    /// covariate of the model, [`ClvError::InvalidParameter`] (wrapped) for
    /// a `t` that is not positive and finite or a customer's parameters
    /// that overflow.
    ///
    /// # Complexity
    ///
    /// O(customers + purchases).
    #[cfg_attr(docsrs, doc(cfg(feature = "sim")))]
    pub fn simulate(&self, table: &CovariateTable, t: f64, seed: u64) -> Result<Vec<CustomerSummary>, CovariateError> {
        let columns: Vec<usize> = self.columns().iter().map(|n| table.column_index(n)).collect::<Result<_, _>>()?;
        let width = table.names.len();
        let mut out = Vec::with_capacity(table.len());
        for (i, key) in table.keys.iter().enumerate() {
            let row: Vec<f64> = columns.iter().map(|&j| table.values[i * width + j]).collect();
            let customer_seed = seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            let one = match self.individual(&row)? {
                IndividualModel::ParetoNbd(m) => m.simulate(1, t, customer_seed)?,
                IndividualModel::BgNbd(m) => m.simulate(1, t, customer_seed)?,
            };
            let (x, t_x, t, _) = one.rows().next().expect("one customer");
            out.push(CustomerSummary { key: key.clone(), frequency: x, recency: t_x, t, monetary_value: 0.0 });
        }
        Ok(out)
    }
}

#[cfg(all(test, feature = "sim"))]
mod tests {
    use super::*;

    fn table(n: usize, seed: u64) -> CovariateTable {
        use rand::SeedableRng;
        use rand_distr::{Distribution, StandardNormal};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut table = CovariateTable::new(vec!["flag".into(), "score".into()]).unwrap();
        for i in 0..n {
            let score: f64 = StandardNormal.sample(&mut rng);
            table.push(format!("c{i}"), vec![f64::from(u8::from(i % 3 == 0)), score]).unwrap();
        }
        table
    }

    fn truth(kind: CovariateKind) -> CovariateModel {
        let base = match kind {
            CovariateKind::ParetoNbd => [0.7, 8.0, 0.9, 20.0],
            CovariateKind::BgNbd => [0.7, 8.0, 0.8, 3.0],
        };
        CovariateModel::new(
            kind,
            base,
            vec![
                Coefficient::new("flag", Process::Purchase, 0.5),
                Coefficient::new("score", Process::Purchase, 0.3),
                Coefficient::new("score", Process::Dropout, -0.4),
            ],
        )
        .unwrap()
    }

    fn fit_truth(kind: CovariateKind, n: usize, seed: u64) -> (CovariateModel, CovariateData, CovariateFit) {
        let model = truth(kind);
        let t = table(n, seed);
        let customers = model.simulate(&t, 52.0, seed + 1).unwrap();
        let data = CovariateData::new(&customers, &t, &model.spec()).unwrap();
        let fit = CovariateModel::fit(kind, &data, &CovariateOptions::default()).unwrap();
        (model, data, fit)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3))]
        /// The objective's blocks are fixed by the data, so a fit (more
        /// than one block of covariate rows) is the same bit for bit on 1,
        /// 2 or 3 threads.
        #[test]
        fn a_fit_is_the_same_on_any_number_of_threads(seed in 0u64..1000, pareto in proptest::bool::ANY) {
            let kind = if pareto { CovariateKind::ParetoNbd } else { CovariateKind::BgNbd };
            let n = 2 * EVAL_BLOCK + 77;
            let run = |threads: usize| {
                crate::util::on_threads(threads, || {
                    let (_, data, fit) = fit_truth(kind, n, seed);
                    assert!(data.groups() > EVAL_BLOCK);
                    // Debug text of f64 round-trips: equal text, equal bits.
                    format!("{fit:?}")
                })
            };
            let one = run(1);
            proptest::prop_assert_eq!(&one, &run(2));
            proptest::prop_assert_eq!(&one, &run(3));
        }
    }

    /// The flat per-history sums are the plain models' likelihoods and
    /// gradients, which the rows large enough to share series terms use.
    #[test]
    fn flat_sums_equal_the_plain_likelihoods() {
        let rows = [(0, 0.0, 1.2), (0, 0.0, 0.7), (1, 0.3, 1.1), (3, 0.9, 1.0), (3, 0.2, 1.0), (30, 0.8, 0.9)];
        let groups = vec![rows.iter().map(|&(x, tx, t)| (x, tx * 40.0, t * 40.0)).collect::<Vec<_>>()];
        let cells = Cells::new(&groups, 40.0, 6.0).unwrap();
        assert!(cells.large[0].is_none());
        let plain = FitData::from_rows(rows.iter().map(|&(x, tx, t)| (x, tx, t, 1.0 / 6.0))).unwrap();
        for (kind, q) in [
            (CovariateKind::ParetoNbd, [0.6, 0.4, 0.9, 0.7]),
            (CovariateKind::ParetoNbd, [2.0, 1.3, 0.3, 0.2]),
            (CovariateKind::BgNbd, [0.6, 0.4, 0.9, 2.5]),
            (CovariateKind::BgNbd, [0.3, 2.0, 1e-3, 1e3]),
        ] {
            let by_x = XTerms::new(kind, &cells.xs, q[0], q[2]);
            let (mut flat_g, mut plain_g) = ([0.0; 4], [0.0; 4]);
            let flat = match kind {
                CovariateKind::ParetoNbd => pareto_cells(&cells, 0..cells.x.len(), &q, &by_x, &mut flat_g),
                CovariateKind::BgNbd => bgnbd_cells(&cells, 0..cells.x.len(), &q, &by_x, &mut flat_g),
            };
            let want = kind.nll(&plain, &q, &mut plain_g);
            assert!((flat - want).abs() <= 1e-13 * want.abs(), "{kind:?} {q:?}: {flat} vs {want}");
            for i in 0..4 {
                assert!((flat_g[i] - plain_g[i]).abs() <= 1e-11 * (1.0 + plain_g[i].abs()), "{kind:?} {q:?} [{i}]");
            }
        }
    }

    #[test]
    fn recovers_known_coefficients_within_their_standard_errors() {
        for kind in [CovariateKind::ParetoNbd, CovariateKind::BgNbd] {
            let (truth, _, fit) = fit_truth(kind, 6000, 11);
            let (base_se, coef_se) = fit.standard_errors.clone().expect("standard errors");
            for (i, (got, want)) in fit.model.params().iter().zip(truth.params()).enumerate() {
                assert!((got - want).abs() < 4.0 * base_se[i], "{kind:?} param {i}: {got} vs {want} ± {}", base_se[i]);
            }
            for (i, (got, want)) in fit.model.coefficients().iter().zip(truth.coefficients()).enumerate() {
                assert_eq!(got.name, want.name);
                assert!(
                    (got.value - want.value).abs() < 4.0 * coef_se[i],
                    "{kind:?} {}: {} vs {} ± {}",
                    got.name,
                    got.value,
                    want.value,
                    coef_se[i]
                );
                assert!(coef_se[i] > 0.0 && coef_se[i] < 0.2, "{kind:?} se {}", coef_se[i]);
            }
            assert!(fit.log_likelihood.is_finite() && fit.log_likelihood < 0.0);
        }
    }

    #[test]
    fn the_fit_is_a_maximum_in_every_coefficient() {
        for kind in [CovariateKind::ParetoNbd, CovariateKind::BgNbd] {
            let (_, data, fit) = fit_truth(kind, 800, 3);
            for i in 0..fit.model.coefficients().len() {
                for step in [-0.02, 0.02] {
                    let mut moved = fit.model.clone();
                    moved.coefficients[i].value += step;
                    assert!(moved.log_likelihood(&data).unwrap() < fit.log_likelihood, "{kind:?} {i} {step}");
                }
            }
        }
    }

    #[test]
    fn zero_covariates_reproduce_the_fit_without_them() {
        let t = {
            let mut t = CovariateTable::new(vec!["zero".into()]).unwrap();
            for i in 0..1500 {
                t.push(format!("c{i}"), vec![0.0]).unwrap();
            }
            t
        };
        let plain = ParetoNbd::new(0.7, 8.0, 0.9, 20.0).unwrap();
        let data = plain.simulate(1500, 40.0, 5).unwrap();
        let customers: Vec<CustomerSummary> = data
            .rows()
            .flat_map(|(x, tx, tt, n)| std::iter::repeat_n((x, tx, tt), n as usize))
            .enumerate()
            .map(|(i, (x, tx, tt))| CustomerSummary {
                key: format!("c{i}"),
                frequency: x,
                recency: tx,
                t: tt,
                monetary_value: 0.0,
            })
            .collect();
        let spec = CovariateSpec { purchase: vec!["zero".into()], dropout: vec![], both: vec![] };
        let cov = CovariateData::new(&customers, &t, &spec).unwrap();
        // Without a penalty the coefficient of a column of zeros is not identified.
        let err = CovariateModel::fit(CovariateKind::ParetoNbd, &cov, &CovariateOptions::default()).unwrap_err();
        assert!(matches!(err, CovariateError::ConstantCovariate { ref name } if name == "zero"), "{err}");
        let options = CovariateOptions { purchase_penalty: 1.0, ..CovariateOptions::default() };
        let with = CovariateModel::fit(CovariateKind::ParetoNbd, &cov, &options).unwrap();
        let without = ParetoNbd::fit(&data, &FitOptions::default()).unwrap();
        let m = without.model;
        for (got, want) in with.model.params().iter().zip([m.r(), m.alpha(), m.s(), m.beta()]) {
            assert!((got / want - 1.0).abs() < 1e-5, "{got} vs {want}");
        }
        assert_eq!(with.model.coefficients()[0].value, 0.0);
        assert!((with.log_likelihood - without.log_likelihood).abs() < 1e-6 * without.log_likelihood.abs());
    }

    #[test]
    fn the_time_unit_scales_the_rates_only() {
        for kind in [CovariateKind::ParetoNbd, CovariateKind::BgNbd] {
            let model = truth(kind);
            let t = table(1500, 21);
            let customers = model.simulate(&t, 52.0, 22).unwrap();
            let days: Vec<CustomerSummary> = customers
                .iter()
                .map(|c| CustomerSummary { recency: c.recency * 7.0, t: c.t * 7.0, ..c.clone() })
                .collect();
            let weeks = CovariateData::new(&customers, &t, &model.spec()).unwrap();
            let daily = CovariateData::new(&days, &t, &model.spec()).unwrap();
            let options = CovariateOptions::default();
            let a = CovariateModel::fit(kind, &weeks, &options).unwrap();
            let b = CovariateModel::fit(kind, &daily, &options).unwrap();
            let units = kind.units(7.0);
            for i in 0..4 {
                let ratio = b.model.params()[i] / a.model.params()[i];
                assert!((ratio / units[i] - 1.0).abs() < 1e-5, "{kind:?} {i}: {ratio}");
            }
            for (x, y) in a.model.coefficients().iter().zip(b.model.coefficients()) {
                assert!((x.value - y.value).abs() < 1e-5, "{kind:?} {}: {} vs {}", x.name, x.value, y.value);
            }
        }
    }

    #[test]
    fn a_shared_coefficient_and_the_likelihood_ratio_test() {
        let kind = CovariateKind::ParetoNbd;
        let model = CovariateModel::new(
            kind,
            [0.7, 8.0, 0.9, 20.0],
            vec![Coefficient::new("flag", Process::Both, 0.6), Coefficient::new("score", Process::Purchase, 0.0)],
        )
        .unwrap();
        let t = table(4000, 31);
        let customers = model.simulate(&t, 52.0, 32).unwrap();
        let options = CovariateOptions::default();
        let shared = CovariateSpec { both: vec!["flag".into()], ..CovariateSpec::default() };
        let split = CovariateSpec { purchase: vec!["flag".into()], dropout: vec!["flag".into()], both: vec![] };
        let with_score = CovariateSpec { purchase: vec!["score".into()], ..shared.clone() };
        let fit = |spec: &CovariateSpec| {
            CovariateModel::fit(kind, &CovariateData::new(&customers, &t, spec).unwrap(), &options).unwrap()
        };
        let (a, b, c) = (fit(&shared), fit(&split), fit(&with_score));
        assert!((a.model.coefficients()[0].value - 0.6).abs() < 0.2, "{:?}", a.model.coefficients());
        assert_eq!(a.parameters, 5);
        // The constraint holds in the data: the test does not reject it
        // (at 0.1%), and a covariate with no effect adds next to nothing.
        let lr = likelihood_ratio_test(&a, &b).unwrap();
        assert_eq!(lr.df, 1);
        assert!(lr.statistic >= 0.0 && lr.p_value > 0.001, "{lr:?}");
        let lr = likelihood_ratio_test(&a, &c).unwrap();
        assert!(lr.p_value > 0.001, "{lr:?}");
        // Dropping the real covariate is rejected.
        let none = CovariateSpec { purchase: vec!["score".into()], ..CovariateSpec::default() };
        let lr = likelihood_ratio_test(&fit(&none), &c).unwrap();
        assert!(lr.p_value < 1e-6, "{lr:?}");
        assert!(matches!(
            likelihood_ratio_test(&c, &a),
            Err(CovariateError::Clv(ClvError::InvalidOption { name: "df", .. }))
        ));
    }

    #[test]
    fn bad_input_is_a_typed_error_naming_the_key() {
        let mut t = CovariateTable::new(vec!["a".into(), "b".into()]).unwrap();
        t.push("x", vec![1.0, 2.0]).unwrap();
        let before = t.clone();
        assert!(matches!(t.push("y", vec![1.0]), Err(CovariateError::RowLength { found: 1, expected: 2, .. })));
        assert!(matches!(
            t.push("y", vec![1.0, f64::NAN]),
            Err(CovariateError::InvalidValue { ref customer_id, ref column, .. }) if customer_id == "y" && column == "b"
        ));
        assert!(matches!(t.push("x", vec![1.0, 2.0]), Err(CovariateError::DuplicateCustomer { .. })));
        assert_eq!(t, before);
        assert!(matches!(
            CovariateTable::new(vec!["a".into(), "a".into()]),
            Err(CovariateError::DuplicateCovariate { .. })
        ));
        let customers = vec![
            CustomerSummary { key: "x".into(), frequency: 1, recency: 2.0, t: 5.0, monetary_value: 0.0 },
            CustomerSummary { key: "z".into(), frequency: 0, recency: 0.0, t: 5.0, monetary_value: 0.0 },
        ];
        let spec = CovariateSpec::all(&t);
        assert_eq!(
            CovariateData::new(&customers, &t, &spec),
            Err(CovariateError::MissingCustomer { customer_id: "z".into() })
        );
        let unknown = CovariateSpec { purchase: vec!["c".into()], ..CovariateSpec::default() };
        assert!(matches!(
            CovariateData::new(&customers[..1], &t, &unknown),
            Err(CovariateError::UnknownCovariate { .. })
        ));
        let twice = CovariateSpec { purchase: vec!["a".into()], both: vec!["a".into()], ..CovariateSpec::default() };
        assert!(matches!(
            CovariateData::new(&customers[..1], &t, &twice),
            Err(CovariateError::DuplicateCovariate { .. })
        ));
        let data = CovariateData::new(&customers[..1], &t, &spec).unwrap();
        let bad = CovariateOptions { dropout_penalty: -1.0, ..CovariateOptions::default() };
        assert!(matches!(
            CovariateModel::fit(CovariateKind::BgNbd, &data, &bad),
            Err(CovariateError::Clv(ClvError::InvalidOption { name: "dropout_penalty", .. }))
        ));
        assert!(CovariateModel::new(CovariateKind::BgNbd, [1.0, -1.0, 1.0, 1.0], vec![]).is_err());
        assert!(
            CovariateModel::new(
                CovariateKind::BgNbd,
                [1.0; 4],
                vec![Coefficient::new("a", Process::Both, f64::INFINITY)]
            )
            .is_err()
        );
    }

    #[test]
    fn feature_tables_give_covariates() {
        let mut features = FeatureTable::new(vec!["p".into(), "q".into()]);
        features.add_numbers("age", vec![Some(30.0), Some(40.0)], false).unwrap();
        features.add_bools("vip", vec![Some(true), Some(false)], false).unwrap();
        features.add_texts("tier", vec![Some("gold".into()), None], false).unwrap();
        let t = CovariateTable::from_features(&features, Some(&["vip", "age"])).unwrap();
        assert_eq!(t.get("p"), Some(&[1.0, 30.0][..]));
        let err = CovariateTable::from_features(&features, None).unwrap_err();
        assert_eq!(
            err,
            CovariateError::InvalidValue { customer_id: "p".into(), column: "tier".into(), reason: "not a number" }
        );
        assert!(matches!(
            CovariateTable::from_features(&features, Some(&["height"])),
            Err(CovariateError::UnknownCovariate { .. })
        ));
    }
}
