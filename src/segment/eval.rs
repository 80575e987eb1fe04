//! Evaluating segments over a [`FeatureTable`]: [`FeatureTable::evaluate`]
//! and [`FeatureTable::explain`], and the comparisons of two evaluations,
//! [`SegmentChange`] and [`MigrationMatrix`].

use serde::{Deserialize, Serialize};

use super::definition::{Comparison, DefinitionError, Op, Predicate, Segment, Value};
use super::membership::Membership;
use super::table::{Cells, Column, FeatureTable, FeatureType, MISSING_CODE};

/// Who entered and who left a segment between two evaluations over the
/// same rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentChange {
    /// Members after who were not before.
    pub entered: Membership,
    /// Members before who are not after.
    pub left: Membership,
}

impl SegmentChange {
    /// The change from `before` to `after`.
    ///
    /// # Panics
    ///
    /// When the memberships are of tables of different sizes.
    pub fn between(before: &Membership, after: &Membership) -> Self {
        SegmentChange { entered: after.and_not(before), left: before.and_not(after) }
    }
}

/// For mutually exclusive segments, how many rows moved from each segment
/// (rows of the matrix) to each other one (columns) between two evaluations.
/// The last row and column, labelled `"(none)"`, count rows in no segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationMatrix {
    /// The segment names, then `"(none)"`.
    pub labels: Vec<String>,
    /// `counts[from][to]`.
    pub counts: Vec<Vec<usize>>,
}

impl MigrationMatrix {
    /// Counts the moves from `before[i]` to `after[j]`; a row in several
    /// segments counts under the first.
    ///
    /// # Panics
    ///
    /// When the lists differ in length or the memberships in table size.
    pub fn between(names: &[&str], before: &[Membership], after: &[Membership]) -> Self {
        assert!(
            names.len() == before.len() && before.len() == after.len(),
            "one membership per name, before and after"
        );
        let rows = before.first().map_or(0, Membership::table_rows);
        let none = names.len();
        let first = |ms: &[Membership], row: usize| ms.iter().position(|m| m.contains(row)).unwrap_or(none);
        let mut counts = vec![vec![0; none + 1]; none + 1];
        for row in 0..rows {
            counts[first(before, row)][first(after, row)] += 1;
        }
        let labels = names.iter().map(|s| (*s).to_owned()).chain(std::iter::once("(none)".to_owned())).collect();
        MigrationMatrix { labels, counts }
    }
}

/// Why a customer is or is not in a segment: each clause with whether it
/// held and the feature value that decided it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// Whether the customer is a member.
    pub member: bool,
    /// Whether consent kept them out (they withheld profiling consent and
    /// the segment uses a profiling feature).
    pub left_out: bool,
    /// The clauses, depth first; the first is the whole predicate.
    pub clauses: Vec<ClauseOutcome>,
}

/// One clause of an [`Explanation`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClauseOutcome {
    /// Where the clause stands in the definition (`where.all[1]`).
    pub path: String,
    /// The clause in words.
    pub clause: String,
    /// Whether it held.
    pub held: bool,
    /// For a comparison, the customer's value (`None`: missing).
    pub value: Option<String>,
}

impl FeatureTable {
    /// Checks a segment against the table: every field exists, typed
    /// fields are compared with values of their type, and closed fields
    /// ([`close_values`](FeatureTable::close_values)) are tested for
    /// equality (`eq`, `ne`, `in`) only with values they can take.
    ///
    /// # Errors
    ///
    /// [`DefinitionError`] pointing at the offending `field` or operand.
    pub fn check(&self, segment: &Segment) -> Result<(), DefinitionError> {
        self.check_predicate(&segment.predicate, "where")
    }

    fn check_predicate(&self, predicate: &Predicate, path: &str) -> Result<(), DefinitionError> {
        match predicate {
            Predicate::All(parts) | Predicate::Any(parts) => {
                let name = if matches!(predicate, Predicate::All(_)) { "all" } else { "any" };
                for (i, part) in parts.iter().enumerate() {
                    self.check_predicate(part, &format!("{path}.{name}[{i}]"))?;
                }
                Ok(())
            }
            Predicate::Not(part) => self.check_predicate(part, &format!("{path}.not")),
            Predicate::Compare(c) => {
                let Some(column) = self.column(&c.field) else {
                    return Err(DefinitionError {
                        path: format!("{path}.field"),
                        reason: format!("unknown field {:?}", c.field),
                    });
                };
                let Some(declared) = column.declared else { return check_closed(column, c, path) };
                for value in c.op.values() {
                    let fits = matches!(
                        (declared, value),
                        (FeatureType::Number, Value::Number(_))
                            | (FeatureType::Text, Value::Text(_))
                            | (FeatureType::Bool, Value::Bool(_))
                    );
                    if !fits {
                        return Err(DefinitionError {
                            path: format!("{path}.{}", c.op.name()),
                            reason: format!(
                                "field {:?} holds {declared:?} values, not a {}",
                                c.field,
                                value.type_name()
                            ),
                        });
                    }
                }
                check_closed(column, c, path)
            }
        }
    }

    /// The members of a segment. Rows whose customer withheld profiling
    /// consent are left out when the segment uses a profiling feature.
    ///
    /// # Errors
    ///
    /// [`DefinitionError`] when the segment does not fit the table
    /// ([`FeatureTable::check`]).
    ///
    /// # Complexity
    ///
    /// O(rows × comparisons), a bit per row.
    pub fn evaluate(&self, segment: &Segment) -> Result<Membership, DefinitionError> {
        self.check(segment)?;
        Ok(self.members(segment))
    }

    /// The members of each segment, checking them all first. Names must be
    /// unique.
    ///
    /// # Errors
    ///
    /// [`DefinitionError`] with the path prefixed by the segment's index
    /// (`[2].where.all[1].field`).
    pub fn evaluate_all(&self, segments: &[Segment]) -> Result<Vec<Membership>, DefinitionError> {
        for (i, segment) in segments.iter().enumerate() {
            if segments[..i].iter().any(|s| s.name == segment.name) {
                return Err(DefinitionError {
                    path: format!("[{i}].name"),
                    reason: format!("duplicate segment name {:?}", segment.name),
                });
            }
            self.check(segment).map_err(|e| DefinitionError { path: format!("[{i}].{}", e.path), reason: e.reason })?;
        }
        Ok(segments.iter().map(|s| self.members(s)).collect())
    }

    fn members(&self, segment: &Segment) -> Membership {
        let raw = self.eval(&segment.predicate);
        if self.uses_profiling(segment) { raw.and_not(self.profiling_withheld()) } else { raw }
    }

    fn uses_profiling(&self, segment: &Segment) -> bool {
        segment.fields().iter().any(|f| self.column(f).is_some_and(|c| c.profiling))
    }

    fn eval(&self, predicate: &Predicate) -> Membership {
        match predicate {
            Predicate::All(parts) => parts
                .iter()
                .map(|p| self.eval(p))
                .reduce(|a, b| a.and(&b))
                .unwrap_or_else(|| Membership::full(self.rows())),
            Predicate::Any(parts) => parts
                .iter()
                .map(|p| self.eval(p))
                .reduce(|a, b| a.or(&b))
                .unwrap_or_else(|| Membership::empty(self.rows())),
            Predicate::Not(part) => self.eval(part).complement(),
            Predicate::Compare(c) => match self.column(&c.field) {
                Some(column) => compare_column(column, &c.op, self.rows()),
                None => Membership::empty(self.rows()),
            },
        }
    }

    /// Why the customer in `row` is or is not a member of `segment`.
    ///
    /// # Errors
    ///
    /// [`DefinitionError`] when the segment does not fit the table.
    pub fn explain(&self, segment: &Segment, row: usize) -> Result<Explanation, DefinitionError> {
        self.check(segment)?;
        let mut clauses = Vec::new();
        let held = self.explain_into(&segment.predicate, row, "where", &mut clauses);
        let left_out = held && self.uses_profiling(segment) && self.profiling_withheld().contains(row);
        Ok(Explanation { member: held && !left_out, left_out, clauses })
    }

    fn explain_into(&self, predicate: &Predicate, row: usize, path: &str, out: &mut Vec<ClauseOutcome>) -> bool {
        let at = out.len();
        out.push(ClauseOutcome { path: path.to_owned(), clause: String::new(), held: false, value: None });
        let (clause, held, value) = match predicate {
            Predicate::All(parts) | Predicate::Any(parts) => {
                let all = matches!(predicate, Predicate::All(_));
                let name = if all { "all" } else { "any" };
                let results: Vec<bool> = parts
                    .iter()
                    .enumerate()
                    .map(|(i, p)| self.explain_into(p, row, &format!("{path}.{name}[{i}]"), out))
                    .collect();
                let held = if all { results.iter().all(|&b| b) } else { results.iter().any(|&b| b) };
                (format!("{name} of {} clauses", parts.len()), held, None)
            }
            Predicate::Not(part) => {
                let inner = self.explain_into(part, row, &format!("{path}.not"), out);
                ("not".to_owned(), !inner, None)
            }
            Predicate::Compare(c) => {
                let value = self.value(&c.field, row);
                let held =
                    self.column(&c.field).is_some_and(|col| compare_column(col, &c.op, self.rows()).contains(row));
                (describe(c), held, Some(value.map(|v| v.to_string())))
            }
        };
        out[at] = ClauseOutcome { path: path.to_owned(), clause, held, value: value.flatten() };
        held
    }
}

/// Every value an equality test (`eq`, `ne`, `in`) compares a closed column
/// with must be one the column can take: any other can never match, which
/// is a mistake (a typo, the wrong case) and not a question worth answering
/// with "nobody".
fn check_closed(column: &Column, c: &Comparison, path: &str) -> Result<(), DefinitionError> {
    let Some(allowed) = &column.allowed else { return Ok(()) };
    let values: Vec<(String, &Value)> = match &c.op {
        Op::Eq(v) | Op::Ne(v) => vec![(format!("{path}.{}", c.op.name()), v)],
        Op::In(vs) => vs.iter().enumerate().map(|(i, v)| (format!("{path}.in[{i}]"), v)).collect(),
        _ => return Ok(()),
    };
    for (here, value) in values {
        if !matches!(value, Value::Text(s) if allowed.contains(s)) {
            return Err(DefinitionError {
                path: here,
                reason: format!(
                    "{value} is not a value of field {:?}; it takes one of: {}",
                    c.field,
                    allowed.join(", ")
                ),
            });
        }
    }
    Ok(())
}

fn describe(c: &Comparison) -> String {
    let values: Vec<String> = c.op.values().iter().map(ToString::to_string).collect();
    format!("{} {} {}", c.field, c.op.name(), values.join(", "))
}

/// Whether a present cell value satisfies a comparison; `ne` of values of
/// different types holds.
fn holds(cell: &Value, op: &Op) -> bool {
    use std::cmp::Ordering;
    let order = |v: &Value| -> Option<Ordering> {
        match (cell, v) {
            (Value::Number(a), Value::Number(b)) => a.partial_cmp(b),
            (Value::Text(a), Value::Text(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            _ => None,
        }
    };
    match op {
        Op::Eq(v) => order(v) == Some(Ordering::Equal),
        Op::Ne(v) => order(v) != Some(Ordering::Equal),
        Op::Lt(v) => order(v) == Some(Ordering::Less),
        Op::Le(v) => matches!(order(v), Some(Ordering::Less | Ordering::Equal)),
        Op::Gt(v) => order(v) == Some(Ordering::Greater),
        Op::Ge(v) => matches!(order(v), Some(Ordering::Greater | Ordering::Equal)),
        Op::In(vs) => vs.iter().any(|v| order(v) == Some(Ordering::Equal)),
        Op::Between(lo, hi) => {
            matches!(order(lo), Some(Ordering::Greater | Ordering::Equal))
                && matches!(order(hi), Some(Ordering::Less | Ordering::Equal))
        }
    }
}

/// A comparison over a whole column. Missing values satisfy only `ne`.
fn compare_column(column: &Column, op: &Op, rows: usize) -> Membership {
    let missing_holds = matches!(op, Op::Ne(_));
    match &column.cells {
        Cells::Number(values) => {
            // Fast paths for the common numeric comparisons.
            let number = |v: &Value| if let Value::Number(x) = v { Some(*x) } else { None };
            match op {
                Op::Lt(v) if number(v).is_some() => {
                    let b = number(v).expect("checked");
                    Membership::from_fn(rows, |r| values[r] < b)
                }
                Op::Le(v) if number(v).is_some() => {
                    let b = number(v).expect("checked");
                    Membership::from_fn(rows, |r| values[r] <= b)
                }
                Op::Gt(v) if number(v).is_some() => {
                    let b = number(v).expect("checked");
                    Membership::from_fn(rows, |r| values[r] > b)
                }
                Op::Ge(v) if number(v).is_some() => {
                    let b = number(v).expect("checked");
                    Membership::from_fn(rows, |r| values[r] >= b)
                }
                Op::Between(lo, hi) if number(lo).is_some() && number(hi).is_some() => {
                    let (a, b) = (number(lo).expect("checked"), number(hi).expect("checked"));
                    Membership::from_fn(rows, |r| values[r] >= a && values[r] <= b)
                }
                _ => Membership::from_fn(rows, |r| {
                    let x = values[r];
                    if x.is_nan() { missing_holds } else { holds(&Value::Number(x), op) }
                }),
            }
        }
        Cells::Text { codes, dict } => {
            // Decide once per distinct string, then look the answer up per row.
            let answers: Vec<bool> = dict.iter().map(|s| holds(&Value::Text(s.clone()), op)).collect();
            Membership::from_fn(rows, |r| {
                let code = codes[r];
                if code == MISSING_CODE { missing_holds } else { answers[code as usize] }
            })
        }
        Cells::Bool(values) => {
            let answers = [holds(&Value::Bool(false), op), holds(&Value::Bool(true), op), missing_holds];
            Membership::from_fn(rows, |r| answers[values[r] as usize])
        }
        Cells::Mixed(values) => {
            Membership::from_fn(rows, |r| values[r].as_ref().map_or(missing_holds, |v| holds(v, op)))
        }
    }
}
